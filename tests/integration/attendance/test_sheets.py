"""Monthly sheets: made once for last month, confirmed or contested before the deadline, silence by the region's rule,
contested days resolved with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope
from kezek.attendance import errors
from kezek.attendance.models import ContestedDay, Mark, MonthlySheet
from kezek.attendance.services.sheets import (
    contest_resolve,
    sheet_confirm,
    sheet_contest,
    sheets_apply_silence,
    sheets_create_for_month,
)
from kezek.audit.models import AuditEvent
from kezek.domain import attendance as rules
from tests.factories.accounts import make_officer, make_provider_staff
from tests.factories.attendance import make_month_of_attendance, make_sheet, set_region_rules
from tests.factories.organisations import make_group

MONTH = dt.date(2025, 2, 1)


@pytest.fixture
def month(group, families, staff):
    """February 2025 attended by the three children (the second one absent on Mondays)."""
    for _, child in families:
        child.kindergarten_enrolments.update(started_on=dt.date(2025, 1, 1))
    absent_child = families[1][1]
    return make_month_of_attendance(group, month=MONTH, marked_by=staff,
                                    present=lambda c, day: not (c == absent_child and day.weekday() == 0))


def test_sheets_are_made_once_with_the_regions_deadline(group, families, month):
    set_region_rules(group, confirm_by_day=7)
    assert sheets_create_for_month(month=MONTH) == 3
    assert sheets_create_for_month(month=MONTH) == 0
    assert MonthlySheet.objects.count() == 3
    sheet = MonthlySheet.objects.get(child=families[0][1])
    assert timezone.localtime(sheet.deadline) == timezone.make_aware(dt.datetime(2025, 3, 8))
    assert sheet.status == "open"


def test_the_parent_confirms_before_the_deadline_only_once(group, families, month):
    sheets_create_for_month(month=MONTH)
    parent, child = families[0]
    sheet = MonthlySheet.objects.get(child=child)
    before_deadline = sheet.deadline - dt.timedelta(days=1)
    sheet_confirm(actor=parent, sheet_id=sheet.pk, now=before_deadline)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.decided_by) == ("confirmed", parent)
    with pytest.raises(rules.SheetTransitionNotAllowed):
        sheet_confirm(actor=parent, sheet_id=sheet.pk, now=before_deadline)
    late = MonthlySheet.objects.get(child=families[2][1])
    with pytest.raises(rules.SheetDeadlinePassed):
        sheet_confirm(actor=families[2][0], sheet_id=late.pk, now=late.deadline)


def test_another_parent_cannot_see_or_answer_a_sheet(families, month):
    sheets_create_for_month(month=MONTH)
    sheet = MonthlySheet.objects.get(child=families[0][1])
    with pytest.raises(errors.SheetNotFound):
        sheet_confirm(actor=families[1][0], sheet_id=sheet.pk, now=sheet.deadline - dt.timedelta(days=1))


def test_the_parent_contests_days_with_a_reason(group, families, month, staff):
    sheets_create_for_month(month=MONTH)
    parent, child = families[0]
    sheet = MonthlySheet.objects.get(child=child)
    now = sheet.deadline - dt.timedelta(days=2)
    with pytest.raises(rules.DecisionReasonRequired):
        sheet_contest(actor=parent, sheet_id=sheet.pk, session_ids=[month[0].pk], reason=" ", now=now)
    with pytest.raises(errors.NoDayChosen):
        sheet_contest(actor=parent, sheet_id=sheet.pk, session_ids=[], reason="ill", now=now)
    other_month = make_month_of_attendance(group, month=dt.date(2025, 1, 1), children=[child], marked_by=staff)
    with pytest.raises(errors.DayNotOnSheet):
        sheet_contest(actor=parent, sheet_id=sheet.pk, session_ids=[other_month[0].pk], reason="ill", now=now)
    made = sheet_contest(actor=parent, sheet_id=sheet.pk, session_ids=[month[0].pk, month[1].pk], reason="Ill at home",
                         now=now)
    assert {c.session for c in made} == {month[0], month[1]}
    # More days may be contested until the deadline; a day already contested is not doubled.
    sheet_contest(actor=parent, sheet_id=sheet.pk, session_ids=[month[1].pk, month[2].pk], reason="Away", now=now)
    assert ContestedDay.objects.filter(sheet=sheet).count() == 3
    sheet.refresh_from_db()
    assert sheet.status == "contested"
    with pytest.raises(rules.SheetTransitionNotAllowed):
        sheet_confirm(actor=parent, sheet_id=sheet.pk, now=now)


@pytest.mark.parametrize("silence, outcome", [("confirmed", "silent_confirmed"), ("not_confirmed", "unconfirmed")])
def test_silence_after_the_deadline_follows_the_region(group, families, month, silence, outcome):
    set_region_rules(group, silence_means=silence)
    sheets_create_for_month(month=MONTH)
    answered = MonthlySheet.objects.get(child=families[0][1])
    sheet_confirm(actor=families[0][0], sheet_id=answered.pk, now=answered.deadline - dt.timedelta(hours=1))
    deadline = answered.deadline
    assert sheets_apply_silence(now=deadline - dt.timedelta(seconds=1)) == 0
    assert sheets_apply_silence(now=deadline) == 2
    assert sheets_apply_silence(now=deadline) == 0
    statuses = dict(MonthlySheet.objects.values_list("child_id", "status"))
    assert statuses == {families[0][1].pk: "confirmed", families[1][1].pk: outcome, families[2][1].pk: outcome}
    assert AuditEvent.objects.filter(action="attendance.sheet.silence").count() == 2


def test_a_contested_day_is_resolved_once_with_a_reason(group, families, month, staff):
    sheets_create_for_month(month=MONTH)
    parent, child = families[0]
    sheet = MonthlySheet.objects.get(child=child)
    (first, second) = sheet_contest(actor=parent, sheet_id=sheet.pk, session_ids=[month[0].pk, month[1].pk],
                                    reason="Ill", now=sheet.deadline - dt.timedelta(days=1))
    with pytest.raises(rules.DecisionReasonRequired):
        contest_resolve(actor=staff, contest_id=first.pk, upheld=True, reason="")
    with pytest.raises(OutOfScope):
        contest_resolve(actor=make_provider_staff(make_group().organisation), contest_id=first.pk, upheld=True,
                        reason="x")
    contest_resolve(actor=staff, contest_id=first.pk, upheld=True, reason="Our register was wrong")
    first.refresh_from_db()
    assert (first.status, first.resolved_by, first.resolution_reason) == ("upheld", staff, "Our register was wrong")
    mark = Mark.objects.get(session=first.session, child=child)
    assert (mark.status, mark.correction_reason) == ("absent", "Our register was wrong")
    with pytest.raises(rules.ContestTransitionNotAllowed):
        contest_resolve(actor=staff, contest_id=first.pk, upheld=False, reason="changed my mind")
    officer = make_officer(group.organisation.district)
    contest_resolve(actor=officer, contest_id=second.pk, upheld=False, reason="The parent's own check-in shows presence")
    assert Mark.objects.get(session=second.session, child=child).status == "present"
    assert AuditEvent.objects.filter(action="attendance.contest.resolve").count() == 2
    with pytest.raises(errors.ContestNotFound):
        contest_resolve(actor=staff, contest_id=999999, upheld=True, reason="x")


def test_a_sheet_factory_makes_an_open_sheet(group, families):
    sheet = make_sheet(families[0][1], group, month=MONTH)
    assert (sheet.status, sheet.month) == ("open", MONTH)
