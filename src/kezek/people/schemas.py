"""Response bodies of the people API."""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema


class ChildOut(Schema):
    iin: str
    last_name: str
    first_name: str
    patronymic: str
    full_name: str
    birth_date: date
    sex: str = Field(..., description="M or F")
    age_years: int = Field(..., description="Full years today")
    benefits: list[str] = Field(..., description="Benefit kinds the registry confirms today")
