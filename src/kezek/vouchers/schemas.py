"""Request and response bodies of the club voucher API."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class SectionOut(Schema):
    id: int
    name: str
    kind: str
    provider_id: int
    provider: str
    ownership: str
    district_id: int
    address: str
    language: str
    age_min_months: int
    age_max_months: int
    schedule: str
    monthly_price: int | None
    capacity: int
    free_places: int


class StageOut(Schema):
    number: int
    opens_at: datetime
    share: int
    is_open: bool
    remaining: int | None = Field(None, description="first_come: vouchers left in this stage")
    waiting_room: str | None = Field(None, description="first_come: the waiting room's slug (/api/v1/rush/openings/{slug})")


class ChangeOut(Schema):
    created_at: datetime
    summary: str
    reason: str
    before: dict
    after: dict


class CampaignOut(Schema):
    id: int
    title: str
    region_id: int
    district_id: int | None
    period_start: date
    period_end: date
    kind: str
    policy: str
    status: str
    quota: int
    monthly_value: int
    min_age: int
    max_age: int
    use_priority_classes: bool
    applications_close_at: datetime | None
    announced_at: datetime | None
    seed_commitment: str
    seed_hex: str = Field("", description="Published after the lottery draw")
    remaining: int
    stages: list[StageOut]
    changes: list[ChangeOut]


class StageIn(Schema):
    opens_at: datetime
    share: int


class CampaignIn(Schema):
    title: str = Field(..., max_length=200)
    region_id: int
    district_id: int | None = None
    period_start: date
    period_end: date
    kind: str = Field(..., max_length=16)
    policy: str = Field(..., max_length=16)
    quota: int
    monthly_value: int
    min_age: int
    max_age: int
    stages: list[StageIn] = Field(..., max_length=20)
    use_priority_classes: bool = False
    applications_close_at: datetime | None = None


class CampaignChangeIn(Schema):
    reason: str = Field(..., max_length=1000)
    title: str | None = Field(None, max_length=200)
    monthly_value: int | None = None
    period_end: date | None = None
    applications_close_at: datetime | None = None
    stage_times: dict[int, datetime] | None = None


class ChildIn(Schema):
    child_iin: str = Field(..., max_length=32)


class PlaceIn(Schema):
    section_id: int
    accept_agreement: bool


class ReasonIn(Schema):
    reason: str = Field("", max_length=1000)


class VoucherOut(Schema):
    id: int
    number: str
    campaign_id: int
    kind: str
    status: str
    child_iin: str
    child_name: str
    section_id: int | None
    issued_at: datetime


class VoucherApplicationOut(Schema):
    id: int
    public_id: str
    campaign_id: int
    child_iin: str
    status: str
    priority_class: int
    registered_at: datetime
    lottery_number: str
    position: int | None
