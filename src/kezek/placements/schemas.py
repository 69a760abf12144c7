"""Shapes of the offers and referrals API."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema


class PlaceOut(Schema):
    kindergarten_id: int
    kindergarten: str
    group_id: int
    group: str
    frees_on: date


class OfferOut(Schema):
    id: int
    application_id: int
    round_code: str
    status: str
    source: str
    offered_at: datetime
    deadline: datetime
    place: PlaceOut
    referral_id: int | None


class ReferralOut(Schema):
    id: int
    offer_id: int
    number: str
    status: str
    issued_at: datetime
    contract_deadline: datetime
    extended: bool
    check_url: str
    pdf_url: str


class ReferralCheckOut(Schema):
    genuine: bool
    state: str
    kindergarten: str
