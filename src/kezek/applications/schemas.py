"""Request and response bodies of the kindergarten queue API (applying and the personal cabinet)."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Schema


class ApplicationSubmitIn(Schema):
    child_iin: str = Field(..., max_length=32, description="The child's IIN (12 digits)")
    district_id: int
    desired_start_date: date
    language: str = Field(..., max_length=8, description="Language of instruction: kk or ru")
    preferences: list[int] = Field(..., max_length=20, description="Kindergarten organisation ids, first choice first")
    phones: list[str] = Field(..., max_length=10, description="At least two different Kazakhstan mobile numbers")
    email: str = Field("", max_length=254)
    notify_channel: str = Field(..., max_length=8, description="sms or email")
    notify_language: str = Field(..., max_length=8, description="kk, ru or en")
    claimed_benefits: list[str] = Field(
        default_factory=list, max_length=10, description="Benefit rights the registry may not know (a document is needed)"
    )


class ContactsIn(Schema):
    phones: list[str] = Field(..., max_length=10)
    email: str = Field("", max_length=254)
    notify_channel: str = Field(..., max_length=8)
    notify_language: str = Field(..., max_length=8)


class PreferencesIn(Schema):
    preferences: list[int] = Field(..., max_length=20)


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


class PreferenceOut(Schema):
    rank: int
    organisation_id: int
    name: str


class ClaimOut(Schema):
    id: int
    kind: str
    priority_class: int
    source: str
    status: str
    confirm_by: datetime | None


class ApplicationOut(Schema):
    id: int
    queue_number: int
    public_id: str
    status: str
    priority_class: int
    registered_at: datetime
    child_iin: str
    child_name: str
    district_id: int
    desired_start_date: date
    language: str
    age_group: int
    phones: list[str]
    email: str
    notify_channel: str
    notify_language: str
    preferences: list[PreferenceOut]
    claims: list[ClaimOut]


class ChildForApplicationOut(Schema):
    iin: str
    full_name: str
    birth_date: date
    sex: str
    age_years: int
    benefits: list[str] = Field(..., description="Benefit kinds the registry confirms today")
    open_application_id: int | None = Field(None, description="The child's open application, if any")


class KindergartenOut(Schema):
    id: int
    name: str
    address: str
    district_id: int
    languages: list[str]
    ownership: str
    capacity: int = Field(..., description="Seats in its active groups (in the language asked for)")
    has_free_places: bool = Field(..., description="Approximation until enrolment data exists: capacity > 0")
