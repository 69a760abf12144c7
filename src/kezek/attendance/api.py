"""Attendance API, mounted at /api/v1/attendance: rosters and sessions, batches of marks (offline pages replay them
safely), parent check-in with the rotating code, monthly sheets and contested days. Same services as the pages;
signed in with the session cookie (and the CSRF token when the cookie is sent), as the sign-in API describes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from kezek.accounts.api import session_auth
from kezek.attendance import errors, selectors
from kezek.attendance.models import ContestedDay, MonthlySheet
from kezek.attendance.schemas import (
    BatchIn,
    BatchOut,
    CheckInIn,
    CheckInOut,
    ContestIn,
    ContestOut,
    ResolveIn,
    RosterOut,
    AttendanceSessionOut,
    SheetOut,
)
from kezek.attendance.services import checkins, marks, sheets
from kezek.core.errors import error_text

router = Router(auth=session_auth)


def _session_out(session: Any) -> dict[str, Any]:
    return {"id": session.pk, "group_id": session.group_id, "date": session.date, "starts_at": session.starts_at,
            "ends_at": session.ends_at}


def _contest_out(contest: ContestedDay) -> dict[str, Any]:
    return {"id": contest.pk, "sheet_id": contest.sheet_id, "session_id": contest.session_id, "reason": contest.reason,
            "status": contest.status, "resolved_at": contest.resolved_at, "resolution_reason": contest.resolution_reason}


def _sheet_out(sheet: MonthlySheet) -> dict[str, Any]:
    view = selectors.child_sheet(sheet=sheet)
    return {
        "id": sheet.pk, "child_id": sheet.child_id, "group_id": sheet.group_id, "month": sheet.month, "status": sheet.status,
        "deadline": sheet.deadline, "decided_at": sheet.decided_at, "present": view.present,
        "days": [
            {"session_id": d.session.pk, "date": d.session.date, "starts_at": d.session.starts_at,
             "mark": d.mark.status if d.mark else None, "checked_in": d.checkin is not None,
             "contest": _contest_out(d.contest) if d.contest else None}
            for d in view.days
        ],
    }


def _staff_group(request: HttpRequest, group_id: int):
    group = selectors.groups_for_staff(user=request.auth).filter(pk=group_id).first()
    if group is None:
        raise errors.GroupNotFound()
    return group


@router.get("/groups/{group_id}/roster", response=RosterOut, summary="A group's roster and sessions on a day")
def roster(request: HttpRequest, group_id: int, on: dt.date | None = Query(None)):
    group = _staff_group(request, group_id)
    day = on or timezone.localdate()
    return {
        "group_id": group.pk, "date": day,
        "children": [{"id": c.pk, "full_name": c.full_name} for c in selectors.group_roster(group=group, on=day)],
        "sessions": [_session_out(s) for s in selectors.group_sessions(group=group, on=day)],
    }


@router.post("/groups/{group_id}/sessions/today", response={200: AttendanceSessionOut}, summary="Start today's session")
def start_today(request: HttpRequest, group_id: int):
    group = _staff_group(request, group_id)
    return _session_out(marks.session_start_today(actor=request.auth, group=group))


@router.post("/marks", response=BatchOut, summary="Save a batch of marks (each with its own client_mark_id)")
def mark_batch(request: HttpRequest, payload: BatchIn):
    results = marks.marks_record_batch(actor=request.auth, items=[m.model_dump() for m in payload.marks])
    return {"results": [
        {"client_mark_id": r.client_mark_id, "result": r.result, "mark_id": r.mark_id, "status": r.status or None,
         "code": r.code or None, "message": error_text(r.error) if r.error else None}
        for r in results
    ]}


@router.post("/checkin", response={201: CheckInOut}, summary="Check your child in with the section's current code")
def checkin(request: HttpRequest, payload: CheckInIn):
    made = checkins.checkin_record(actor=request.auth, session_id=payload.session_id, window=payload.window,
                                   code=payload.code, child_ids=payload.child_ids or None,
                                   request_id=getattr(request, "request_id", ""))
    return Status(201, {"session_id": payload.session_id, "child_ids": [c.child_id for c in made]})


@router.get("/sheets", response=list[SheetOut], summary="Your children's monthly sheets")
def sheet_list(request: HttpRequest):
    return [_sheet_out(s) for s in selectors.sheets_for_parent(user=request.auth)[:120]]


def _own_sheet(request: HttpRequest, sheet_id: int) -> MonthlySheet:
    sheet = selectors.sheets_for_parent(user=request.auth).filter(pk=sheet_id).first()
    if sheet is None:
        raise errors.SheetNotFound()
    return sheet


@router.get("/sheets/{sheet_id}", response=SheetOut, summary="One monthly sheet with its days")
def sheet_detail(request: HttpRequest, sheet_id: int):
    return _sheet_out(_own_sheet(request, sheet_id))


@router.post("/sheets/{sheet_id}/confirm", response=SheetOut, summary="Confirm the month")
def sheet_confirm(request: HttpRequest, sheet_id: int):
    return _sheet_out(sheets.sheet_confirm(actor=request.auth, sheet_id=sheet_id))


@router.post("/sheets/{sheet_id}/contest", response={201: SheetOut}, summary="Contest days of the month")
def sheet_contest(request: HttpRequest, sheet_id: int, payload: ContestIn):
    sheets.sheet_contest(actor=request.auth, sheet_id=sheet_id, session_ids=payload.session_ids, reason=payload.reason)
    return Status(201, _sheet_out(_own_sheet(request, sheet_id)))


@router.post("/contests/{contest_id}/resolve", response=ContestOut, summary="Uphold or reject a contested day")
def contest_resolve(request: HttpRequest, contest_id: int, payload: ResolveIn):
    return _contest_out(sheets.contest_resolve(actor=request.auth, contest_id=contest_id, upheld=payload.upheld,
                                               reason=payload.reason))
