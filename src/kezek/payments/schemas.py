"""Request and response bodies of the payments API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Schema


class LineOut(Schema):
    id: int
    kind: str
    child_id: int | None
    child_iin: str | None
    child_name: str | None
    group_id: int | None
    group_name: str | None
    sessions: int
    paid: int
    absent: int
    contested: int
    upheld: int
    awaiting: int
    unconfirmed: int
    monthly_value: Decimal
    amount: Decimal
    reason: str
    created_at: datetime


class StatementOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    district_id: int
    month: str = Field(description="YYYY-MM")
    status: str
    payment_rule: str
    due_on: date
    late: bool
    generated_at: datetime
    approved_at: datetime | None
    attendance_total: Decimal
    adjustments_total: Decimal
    total: Decimal
    intact: bool = Field(description="False if an approved statement's lines differ from what was approved")
    lines: list[LineOut] | None = None


class GenerateIn(Schema):
    organisation_id: int
    month: str = Field(description="YYYY-MM, a month that has ended")


class AdjustmentIn(Schema):
    amount: str = Field(description="Tenge with up to two decimals; negative reduces the payment", max_length=20)
    reason: str = Field(max_length=1000)
    line_id: int | None = Field(None, description="The child's attendance line it corrects, if any")
