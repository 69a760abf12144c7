"""Attendance pages: the staff's groups and mobile roster (offline-capable), the section's rotating QR code, the
parent's check-in, the parent's monthly sheets, and contested days for the provider and the officer.

Thin views: services check the rules; a refusal is shown on the page in the user's language, never as a 500.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kezek.accounts.models import Role
from kezek.attendance import errors, selectors
from kezek.attendance.models import ContestedDay, MonthlySheet, Session
from kezek.attendance.services import checkins, marks, sheets
from kezek.core.errors import STATUS_BY_KIND, error_text
from kezek.domain.errors import DomainError
from kezek.placements.documents import qr_svg
from kezek.accounts.decorators import role_required

app_name = "attendance"
# How long after a valid scan the parent may press "Check in" (the code itself lives 30-60 seconds).
CHECKIN_GRANT_SECONDS = 120
GRANT_KEY = "kezek_attendance_checkin"


def _problem(request: HttpRequest, exc: DomainError, *, back: str = "") -> HttpResponse:
    response = render(request, "attendance/problem.html", {"alert": error_text(exc), "back": back},
                      status=STATUS_BY_KIND.get(exc.kind, 400))
    add_never_cache_headers(response)
    return response


def _staff_session(request: HttpRequest, session_id: int) -> Session:
    session = (Session.objects.select_related("group__organisation")
               .filter(pk=session_id, group__in=selectors.groups_for_staff(user=request.user)).first())
    if session is None:
        raise Http404
    return session


# --- staff: groups, sessions and the roster --------------------------------------------------------------


@role_required(Role.PROVIDER_STAFF)
@require_http_methods(["GET", "POST"])
def staff_home(request: HttpRequest) -> HttpResponse:
    groups = selectors.groups_for_staff(user=request.user)
    if request.method == "POST":
        group = groups.filter(pk=request.POST.get("group") or 0).first()
        if group is None:
            raise Http404
        try:
            session = marks.session_start_today(actor=request.user, group=group)
        except DomainError as exc:
            messages.error(request, error_text(exc))
            return redirect("attendance:staff")
        return redirect("attendance:roster", session_id=session.pk)
    today = timezone.localdate()
    todays = {}
    for session in Session.objects.filter(group__in=groups, date=today).order_by("starts_at"):
        todays.setdefault(session.group_id, []).append(session)
    rows = [{"group": g, "sessions": todays.get(g.pk, [])} for g in groups]
    return render(request, "attendance/staff_home.html", {"rows": rows, "today": today})


@role_required(Role.PROVIDER_STAFF)
@require_GET
def roster(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _staff_session(request, session_id)
    rows = selectors.session_roster(session=session)
    late = session.date < timezone.localdate()
    context = {
        "session": session, "rows": rows, "late": late,
        "present": sum(1 for r in rows if r.mark and r.mark.status == "present"),
        "page_key": secrets.token_hex(6),
    }
    response = render(request, "attendance/roster.html", context)
    add_never_cache_headers(response)
    return response


@role_required(Role.PROVIDER_STAFF)
@require_POST
def roster_mark(request: HttpRequest, session_id: int) -> HttpResponse:
    """The roster without JavaScript: one form per tap, through the same batch service."""
    session = _staff_session(request, session_id)
    children = request.POST.getlist("child")
    items = [
        {"client_mark_id": request.POST.get("client_mark_id") or f"form-{secrets.token_hex(8)}-{i}",
         "session_id": session.pk, "child_id": int(c) if c.isdigit() else 0,
         "status": request.POST.get("status", ""), "reason": request.POST.get("reason", "")}
        for i, c in enumerate(children)
    ]
    try:
        results = marks.marks_record_batch(actor=request.user, items=items)
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        for result in results:
            if result.error is not None:
                messages.error(request, error_text(result.error))
    return redirect("attendance:roster", session_id=session.pk)


@role_required(Role.PROVIDER_STAFF)
@require_GET
def session_qr(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _staff_session(request, session_id)
    return render(request, "attendance/qr.html", {"session": session, **_qr_context(request, session)})


@role_required(Role.PROVIDER_STAFF)
@require_GET
def session_qr_code(request: HttpRequest, session_id: int) -> HttpResponse:
    """The QR part of the section's screen, polled every few seconds (the code changes every 30 seconds)."""
    session = _staff_session(request, session_id)
    response = render(request, "attendance/_qr_code.html", _qr_context(request, session))
    add_never_cache_headers(response)
    return response


def _qr_context(request: HttpRequest, session: Session) -> dict:
    current = checkins.checkin_code_current(actor=request.user, session=session)
    url = request.build_absolute_uri(current.path)
    return {"qr": qr_svg(url), "checkin_url": url, "current": current, "checked_in": session.checkins.count()}


# --- the parent: check-in ---------------------------------------------------------------------------------


@role_required(Role.PARENT)
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, session_id: int, window: int, code: str) -> HttpResponse:
    grant = request.session.get(GRANT_KEY) or {}
    granted = (grant.get("session") == session_id and grant.get("window") == window and grant.get("code") == code
               and time.time() - grant.get("at", 0) < CHECKIN_GRANT_SECONDS)
    if request.method == "POST":
        if not granted:
            return _problem(request, errors.CheckInExpired())
        chosen = [int(c) for c in request.POST.getlist("child") if c.isdigit()]
        try:
            made = checkins.checkin_record(actor=request.user, session_id=session_id, window=window, code=code,
                                           child_ids=chosen or None, now=grant["at"],
                                           request_id=getattr(request, "request_id", ""))
        except DomainError as exc:
            return _problem(request, exc)
        request.session.pop(GRANT_KEY, None)
        names = ", ".join(c.child.first_name for c in made)
        messages.success(request, _("Checked in: %(names)s.") % {"names": names})
        return redirect("attendance:sheets")
    now = time.time()
    try:
        children = checkins.checkin_verify(actor=request.user, session_id=session_id, window=window, code=code, now=now)
    except DomainError as exc:
        return _problem(request, exc)
    request.session[GRANT_KEY] = {"session": session_id, "window": window, "code": code, "at": now}
    session = Session.objects.select_related("group__organisation").get(pk=session_id)
    response = render(request, "attendance/checkin.html", {"session": session, "children": children})
    add_never_cache_headers(response)
    return response


# --- the parent: monthly sheets -----------------------------------------------------------------------------


@role_required(Role.PARENT)
@require_GET
def parent_sheets(request: HttpRequest) -> HttpResponse:
    return render(request, "attendance/sheets.html", {"sheets": selectors.sheets_for_parent(user=request.user)[:120]})


@role_required(Role.PARENT)
@require_http_methods(["GET", "POST"])
def parent_sheet(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = selectors.sheets_for_parent(user=request.user).filter(pk=sheet_id).first()
    if sheet is None:
        raise Http404
    alert = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                sheets.sheet_confirm(actor=request.user, sheet_id=sheet.pk)
                messages.success(request, _("Thank you: the month is confirmed."))
            else:
                ids = [int(s) for s in request.POST.getlist("session") if s.isdigit()]
                sheets.sheet_contest(actor=request.user, sheet_id=sheet.pk, session_ids=ids,
                                     reason=request.POST.get("reason", ""))
                messages.success(request, _("The days are contested: the provider and the officer will review them."))
        except DomainError as exc:
            alert = error_text(exc)
        else:
            return redirect("attendance:sheet", sheet_id=sheet.pk)
        sheet.refresh_from_db()
    view = selectors.child_sheet(sheet=sheet)
    answerable = sheet.status in (MonthlySheet.Status.OPEN, MonthlySheet.Status.CONTESTED) and timezone.now() < sheet.deadline
    context = {"view": view, "sheet": sheet, "alert": alert, "answerable": answerable,
               "can_confirm": answerable and sheet.status == MonthlySheet.Status.OPEN,
               "deadline_day": timezone.localtime(sheet.deadline - dt.timedelta(seconds=1)).date()}
    return render(request, "attendance/sheet.html", context, status=422 if alert else 200)


# --- provider and officer: contested days ---------------------------------------------------------------------


@role_required(Role.PROVIDER_STAFF, Role.OFFICER)
@require_http_methods(["GET", "POST"])
def staff_contests(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        contest = selectors.contested_days_for_staff(user=request.user, open_only=False).filter(
            pk=request.POST.get("contest") or 0).first()
        if contest is None:
            raise Http404
        try:
            sheets.contest_resolve(actor=request.user, contest_id=contest.pk, upheld=request.POST.get("decision") == "upheld",
                                   reason=request.POST.get("reason", ""))
        except DomainError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, _("The decision is recorded."))
        return redirect("attendance:contests")
    contests = selectors.contested_days_for_staff(user=request.user)[:200]
    decided = selectors.contested_days_for_staff(user=request.user, open_only=False).exclude(
        status=ContestedDay.Status.OPEN).order_by("-resolved_at")[:50]
    return render(request, "attendance/contests.html", {"contests": contests, "decided": decided})


urlpatterns = [
    path("", staff_home, name="staff"),
    path("sessions/<int:session_id>/", roster, name="roster"),
    path("sessions/<int:session_id>/mark/", roster_mark, name="roster-mark"),
    path("sessions/<int:session_id>/qr/", session_qr, name="qr"),
    path("sessions/<int:session_id>/qr/code/", session_qr_code, name="qr-code"),
    path("checkin/<int:session_id>/<int:window>/<str:code>/", checkin, name="checkin"),
    path("sheets/", parent_sheets, name="sheets"),
    path("sheets/<int:sheet_id>/", parent_sheet, name="sheet"),
    path("contests/", staff_contests, name="contests"),
]
