"""Request and response shapes of the attendance API."""

from __future__ import annotations

import datetime as dt

from ninja import Schema


class MarkIn(Schema):
    client_mark_id: str
    session_id: int
    child_id: int
    status: str
    reason: str = ""


class BatchIn(Schema):
    marks: list[MarkIn]


class MarkResultOut(Schema):
    client_mark_id: str
    result: str
    mark_id: int | None = None
    status: str | None = None
    code: str | None = None
    message: str | None = None


class BatchOut(Schema):
    results: list[MarkResultOut]


class RosterChildOut(Schema):
    id: int
    full_name: str


class AttendanceSessionOut(Schema):
    id: int
    group_id: int
    date: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime


class RosterOut(Schema):
    group_id: int
    date: dt.date
    children: list[RosterChildOut]
    sessions: list[AttendanceSessionOut]


class CheckInIn(Schema):
    session_id: int
    window: int
    code: str
    child_ids: list[int] = []


class CheckInOut(Schema):
    session_id: int
    child_ids: list[int]


class ContestOut(Schema):
    id: int
    sheet_id: int
    session_id: int
    reason: str
    status: str
    resolved_at: dt.datetime | None
    resolution_reason: str


class SheetDayOut(Schema):
    session_id: int
    date: dt.date
    starts_at: dt.datetime
    mark: str | None
    checked_in: bool
    contest: ContestOut | None


class SheetOut(Schema):
    id: int
    child_id: int
    group_id: int
    month: dt.date
    status: str
    deadline: dt.datetime
    decided_at: dt.datetime | None
    present: int
    days: list[SheetDayOut]


class ContestIn(Schema):
    session_ids: list[int]
    reason: str = ""


class ResolveIn(Schema):
    upheld: bool
    reason: str = ""
