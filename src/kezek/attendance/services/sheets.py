"""Monthly sheets: made for last month, confirmed or contested by the parent by the region's day, silence applied after
the deadline, contested days resolved by the provider or the district's officer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_organisation, require_role
from kezek.attendance import errors
from kezek.attendance.models import ContestedDay, Mark, MonthlySheet, RegionAttendanceRules
from kezek.attendance.selectors import child_sheet, is_representative
from kezek.audit.services import audit_record
from kezek.domain import attendance as rules

SILENCE_BATCH = 500


def sheets_create_for_month(*, month: dt.date | None = None) -> int:
    """Make a sheet for every child marked in a group during ``month`` (last month by default), with the deadline the
    group's region sets (rule: confirm by day N of the next month). Idempotent: existing sheets are kept."""
    month = rules.month_start(month or rules.previous_month(timezone.localdate()))
    first, last = rules.month_bounds(month)
    pairs = (
        Mark.objects.filter(session__date__gte=first, session__date__lte=last)
        .values_list("child_id", "session__group_id", "session__group__organisation__district__region_id")
        .distinct()
    )
    existing = set(MonthlySheet.objects.filter(month=month).values_list("child_id", "group_id"))
    confirm_by = dict(RegionAttendanceRules.objects.values_list("region_id", "confirm_by_day"))
    default_day = RegionAttendanceRules._meta.get_field("confirm_by_day").default
    tz = timezone.get_current_timezone()
    new = [
        MonthlySheet(child_id=child_id, group_id=group_id, month=month,
                     deadline=rules.sheet_deadline(month=month, confirm_by_day=confirm_by.get(region_id, default_day), tz=tz))
        for child_id, group_id, region_id in pairs
        if (child_id, group_id) not in existing
    ]
    MonthlySheet.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


def _lock_parent_sheet(actor: Any, sheet_id: int) -> MonthlySheet:
    require_role(actor, Role.PARENT)
    sheet = MonthlySheet.objects.select_for_update().filter(pk=sheet_id).first()
    if sheet is None or not is_representative(user=actor, child=sheet.child_id):
        raise errors.SheetNotFound()
    return sheet


def sheet_confirm(*, actor: Any, sheet_id: int, now: dt.datetime | None = None) -> MonthlySheet:
    """The parent confirms the month as listed (rule: a legal representative, before the deadline, once)."""
    now = now or timezone.now()
    with transaction.atomic():
        sheet = _lock_parent_sheet(actor, sheet_id)
        rules.check_before_deadline(now=now, deadline=sheet.deadline)
        rules.check_sheet_transition(sheet.status, MonthlySheet.Status.CONFIRMED)
        before = sheet.status
        sheet.status, sheet.decided_at, sheet.decided_by = MonthlySheet.Status.CONFIRMED, now, actor
        sheet.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action="attendance.sheet.confirm", obj=sheet, before={"status": before},
                     after={"status": sheet.status})
    return sheet


def sheet_contest(*, actor: Any, sheet_id: int, session_ids: list[int], reason: str,
                  now: dt.datetime | None = None) -> list[ContestedDay]:
    """The parent contests days of the month with a reason (rule: before the deadline; each day once; the days are
    excluded from payment until resolved)."""
    now = now or timezone.now()
    text = rules.decision_reason(reason)
    wanted = {int(s) for s in session_ids}
    if not wanted:
        raise errors.NoDayChosen()
    with transaction.atomic():
        sheet = _lock_parent_sheet(actor, sheet_id)
        rules.check_before_deadline(now=now, deadline=sheet.deadline)
        rules.check_sheet_transition(sheet.status, MonthlySheet.Status.CONTESTED)
        listed = {day.session.pk for day in child_sheet(sheet=sheet).days}
        if not wanted <= listed:
            raise errors.DayNotOnSheet()
        already = set(sheet.contested_days.values_list("session_id", flat=True))
        made = ContestedDay.objects.bulk_create(
            ContestedDay(sheet=sheet, session_id=s, reason=text) for s in sorted(wanted - already)
        )
        before = sheet.status
        sheet.status, sheet.decided_at, sheet.decided_by = MonthlySheet.Status.CONTESTED, now, actor
        sheet.save(update_fields=["status", "decided_at", "decided_by"])
        audit_record(actor=actor, action="attendance.sheet.contest", obj=sheet, before={"status": before},
                     after={"status": sheet.status, "sessions": sorted(wanted - already), "reason": text})
    return list(ContestedDay.objects.filter(sheet=sheet, session_id__in=[c.session_id for c in made]))


def sheets_apply_silence(*, now: dt.datetime | None = None, limit: int = SILENCE_BATCH) -> int:
    """Open sheets past their deadline become confirmed or unconfirmed as their region says (rule: what silence means)."""
    now = now or timezone.now()
    silence = dict(RegionAttendanceRules.objects.values_list("region_id", "silence_means"))
    default = RegionAttendanceRules._meta.get_field("silence_means").default
    due = list(MonthlySheet.objects.filter(status=MonthlySheet.Status.OPEN, deadline__lte=now)
               .values_list("pk", flat=True)[:limit])
    done = 0
    for sheet_id in due:
        with transaction.atomic():
            sheet = (MonthlySheet.objects.select_for_update(of=("self",))
                     .select_related("group__organisation__district").filter(pk=sheet_id, status=MonthlySheet.Status.OPEN)
                     .first())
            if sheet is None:
                continue  # another worker got there first
            outcome = rules.silence_outcome(silence.get(sheet.group.organisation.district.region_id, default))
            rules.check_sheet_transition(sheet.status, outcome)
            sheet.status, sheet.decided_at = outcome, now
            sheet.save(update_fields=["status", "decided_at"])
            audit_record(actor=None, action="attendance.sheet.silence", obj=sheet, before={"status": "open"},
                         after={"status": outcome})
            done += 1
    return done


def contest_resolve(*, actor: Any, contest_id: int, upheld: bool, reason: str,
                    now: dt.datetime | None = None) -> ContestedDay:
    """Decide a contested day (rule: the provider's staff or the district's officer, with a reason, once); upheld means
    the child was not there, so the mark becomes absent."""
    now = now or timezone.now()
    text = rules.decision_reason(reason)
    target = ContestedDay.Status.UPHELD if upheld else ContestedDay.Status.REJECTED
    with transaction.atomic():
        contest = (ContestedDay.objects.select_for_update(of=("self",)).select_related("sheet__group__organisation")
                   .filter(pk=contest_id).first())
        if contest is None:
            raise errors.ContestNotFound()
        require_role(actor, Role.PROVIDER_STAFF, Role.OFFICER)
        require_organisation(actor, contest.sheet.group.organisation)
        rules.check_contest_transition(contest.status, target)
        contest.status, contest.resolved_by, contest.resolved_at, contest.resolution_reason = target, actor, now, text
        contest.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_reason"])
        mark_before = None
        if upheld:
            mark = Mark.objects.select_for_update().filter(session_id=contest.session_id, child_id=contest.sheet.child_id).first()
            if mark is not None and mark.status != Mark.Status.ABSENT:
                mark_before = mark.status
                mark.status, mark.corrected_at, mark.correction_reason = Mark.Status.ABSENT, now, text
                mark.save(update_fields=["status", "corrected_at", "correction_reason"])
        audit_record(actor=actor, action="attendance.contest.resolve", obj=contest, before={"status": "open"},
                     after={"status": target, "reason": text, "mark_before": mark_before})
    return contest

