"""Request and response bodies of the sign-in and sessions API."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class OtpRequestIn(Schema):
    phone: str = Field(..., max_length=32, description="Kazakhstan mobile number, e.g. +7 701 123 45 67")
    language: str = Field("", max_length=5, description="kk, ru or en; the account's language when omitted")


class OtpRequestOut(Schema):
    status: str = Field("sent_if_registered", description="Always the same, whether the phone is registered or not")


class OtpVerifyIn(Schema):
    phone: str = Field(..., max_length=32)
    code: str = Field(..., max_length=16, description="The 6 digits from the SMS")


class StaffSigninIn(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=256)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    preferred_language: str
    person_id: int | None = None
    district_id: int | None = None
    organisation_id: int | None = None


class SessionOut(Schema):
    id: int
    created_at: datetime
    last_seen_at: datetime
    ip: str
    user_agent: str
    is_current: bool


class CsrfOut(Schema):
    csrf_token: str
