"""Sessions and marks: staff start a session or the schedule makes it; marks arrive in batches, possibly replayed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_organisation, require_role
from kezek.attendance import errors
from kezek.attendance.models import Mark, MarkReceipt, Session
from kezek.attendance.selectors import child_on_roster, rules_for_group
from kezek.audit.services import audit_record
from kezek.domain import attendance as rules
from kezek.domain.errors import DomainError
from kezek.domain.workdays import is_working_day
from kezek.organisations.models import Group, Organisation
from kezek.placements.models import Enrolment

CLUB_SESSION_MINUTES = 60
KINDERGARTEN_DAY = (dt.time(8, 0), dt.time(18, 0))


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, at))


def _session_times(group: Group, day: dt.date, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Today's slot of the schedule nearest to now; a kindergarten's day; else an hour from now."""
    slots = rules.slots_on(day, rules.parse_schedule(group.schedule))
    if slots:
        starts = min((_local(day, t) for t in slots), key=lambda moment: abs((moment - now).total_seconds()))
        return starts, starts + dt.timedelta(minutes=CLUB_SESSION_MINUTES)
    if group.organisation.kind == Organisation.Kind.KINDERGARTEN:
        return _local(day, KINDERGARTEN_DAY[0]), _local(day, KINDERGARTEN_DAY[1])
    starts = timezone.localtime(now).replace(second=0, microsecond=0)
    return starts, starts + dt.timedelta(minutes=CLUB_SESSION_MINUTES)


def session_start_today(*, actor: Any, group: Group | int, now: dt.datetime | None = None) -> Session:
    """Start (or reopen) today's session of a group (rule: the provider's own staff; one session per start time)."""
    now = now or timezone.now()
    group = Group.objects.select_related("organisation").get(pk=getattr(group, "pk", group))
    require_role(actor, Role.PROVIDER_STAFF)
    require_organisation(actor, group.organisation)
    today = timezone.localdate(now)
    existing = Session.objects.filter(group=group, date=today).order_by("starts_at").first()
    if existing is not None:
        return existing
    starts, ends = _session_times(group, today, now)
    with transaction.atomic():
        session, created = Session.objects.get_or_create(
            group=group, starts_at=starts, defaults={"date": today, "ends_at": ends, "created_by": actor}
        )
        if created:
            audit_record(actor=actor, action="attendance.session.start", obj=session,
                         after={"group": group.pk, "date": today.isoformat(), "starts_at": starts.isoformat()})
    return session


def sessions_create_from_schedules(*, day: dt.date | None = None) -> int:
    """Make the day's sessions: every scheduled slot of an approved club section, and a kindergarten day for each
    kindergarten group with children, on working days (rule: no sessions on public holidays). Idempotent."""
    day = day or timezone.localdate()
    holiday = day.weekday() < 5 and not is_working_day(day)
    if holiday:
        return 0
    existing = set(Session.objects.filter(date=day).values_list("group_id", "starts_at"))
    new: list[Session] = []
    clubs = Group.objects.filter(is_active=True, is_approved=True, organisation__kind=Organisation.Kind.CLUB).exclude(schedule="")
    for group in clubs.only("pk", "schedule"):
        for at in rules.slots_on(day, rules.parse_schedule(group.schedule)):
            starts = _local(day, at)
            if (group.pk, starts) not in existing:
                new.append(Session(group_id=group.pk, date=day, starts_at=starts,
                                   ends_at=starts + dt.timedelta(minutes=CLUB_SESSION_MINUTES)))
    if is_working_day(day):
        kindergarten_groups = Enrolment.objects.filter(status=Enrolment.Status.ACTIVE, started_on__lte=day).values_list(
            "group_id", flat=True).distinct()
        starts, ends = _local(day, KINDERGARTEN_DAY[0]), _local(day, KINDERGARTEN_DAY[1])
        new.extend(Session(group_id=g, date=day, starts_at=starts, ends_at=ends)
                   for g in kindergarten_groups if (g, starts) not in existing)
    Session.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


@dataclass(frozen=True)
class MarkResult:
    client_mark_id: str
    result: str  # saved | corrected | unchanged | duplicate | refused
    mark_id: int | None = None
    status: str = ""
    code: str = ""
    error: DomainError | None = None


def _scoped_session(session_id: int, cache: dict[int, Session], actor: Any) -> Session:
    if session_id not in cache:
        session = Session.objects.select_related("group__organisation__district").filter(pk=session_id).first()
        if session is None:
            raise errors.SessionNotFound()
        require_organisation(actor, session.group.organisation)
        cache[session_id] = session
    return cache[session_id]


def _apply(item: rules.MarkItem, session: Session, *, actor: Any, now: dt.datetime, events: list[dict]) -> MarkResult:
    receipt = MarkReceipt.objects.select_related("mark").filter(client_mark_id=item.client_mark_id).first()
    if receipt is not None:
        if (receipt.mark.session_id, receipt.mark.child_id) != (item.session_id, item.child_id):
            raise errors.ClientIdReused()
        return MarkResult(item.client_mark_id, "duplicate", receipt.mark_id, receipt.mark.status)
    today = timezone.localdate(now)
    if session.date > today:
        raise errors.SessionInFuture()
    if not child_on_roster(group=session.group_id, child=item.child_id, on=session.date):
        raise errors.ChildNotOnRoster()
    mark = Mark.objects.select_for_update().filter(session=session, child_id=item.child_id).first()
    if mark is None:
        mark = Mark.objects.create(session=session, child_id=item.child_id, status=item.status, marked_by=actor,
                                   marked_at=now, client_mark_id=item.client_mark_id)
        outcome = "saved"
        events.append({"session": session.pk, "child": item.child_id, "status": str(item.status)})
    elif mark.status == item.status:
        outcome = "unchanged"
    else:
        same_day_only = rules_for_group(group=session.group).same_day_correction_only
        reason = rules.correction_reason(session_day=session.date, today=today, reason=item.reason,
                                         same_day_only=same_day_only)
        before = {"status": mark.status, "marked_by": mark.marked_by_id}
        late = today > session.date
        mark.status, mark.marked_by_id, mark.marked_at, mark.client_mark_id = item.status, actor.pk, now, item.client_mark_id
        if late:
            mark.corrected_at, mark.correction_reason = now, reason
        mark.save()
        audit_record(actor=actor, action="attendance.mark.correct", obj=mark, before=before,
                     after={"status": mark.status, "late": late, "reason": reason})
        outcome = "corrected"
    MarkReceipt.objects.create(client_mark_id=item.client_mark_id, mark=mark, received_at=now)
    return MarkResult(item.client_mark_id, outcome, mark.pk, mark.status)


def marks_record_batch(*, actor: Any, items: object, now: dt.datetime | None = None) -> list[MarkResult]:
    """Save a batch of marks from the roster page (rule: replaying a tap changes nothing; later corrections need a
    reason). A malformed batch or another organisation's session refuses it whole; a rule refuses one mark."""
    now = now or timezone.now()
    require_role(actor, Role.PROVIDER_STAFF)
    parsed = rules.parse_mark_batch(items)
    sessions: dict[int, Session] = {}
    for item in parsed:
        _scoped_session(item.session_id, sessions, actor)
    results: list[MarkResult] = []
    events: list[dict] = []
    with transaction.atomic():
        for item in rules.latest_per_child(parsed):
            try:
                with transaction.atomic():
                    results.append(_apply(item, sessions[item.session_id], actor=actor, now=now, events=events))
            except DomainError as exc:
                results.append(MarkResult(item.client_mark_id, "refused", code=exc.code, error=exc))
            except IntegrityError:
                # Another device saved the same tap or child a moment ago: the stored row stands, nothing more to do.
                results.append(MarkResult(item.client_mark_id, "duplicate"))
        if events:
            audit_record(actor=actor, action="attendance.marks.batch", object_type="attendance.session",
                         object_id=",".join(sorted({str(e["session"]) for e in events})), after={"marks": events})
    superseded = {i.client_mark_id for i in parsed} - {r.client_mark_id for r in results}
    results.extend(MarkResult(cid, "superseded") for cid in sorted(superseded))
    return results
