"""API shapes of allocation rounds."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class RoundSummaryOut(Schema):
    code: str
    title: str
    district: str
    district_code: str
    policy: str
    tie_break: str
    status: str
    runs_at: dt.datetime
    offers_close_at: dt.datetime | None
    open_to_all_at: dt.datetime | None
    announced_at: dt.datetime | None


class RoundPlaceOut(Schema):
    id: str
    kindergarten_id: int
    kindergarten: str
    group_id: int
    group: str
    language: str
    age_group: int
    places: int
    frees_on: dt.date


class RoundChangeOut(Schema):
    place: str | None
    field: str
    old_value: str
    new_value: str
    reason: str
    changed_at: dt.datetime


class RoundOut(RoundSummaryOut):
    seed_commitment: str
    seed_hex: str | None
    places: list[RoundPlaceOut]
    changes: list[RoundChangeOut]
    input_sha256: str | None
    result_sha256: str | None
    input_url: str | None
    result_url: str | None
