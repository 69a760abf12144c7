"""Rosters, sessions and batches of marks: replayed batches, late corrections, other organisations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.attendance.models import Mark, MarkReceipt, Session
from kezek.attendance.selectors import group_roster
from kezek.attendance.services.marks import marks_record_batch, session_start_today, sessions_create_from_schedules
from kezek.audit.models import AuditEvent
from kezek.domain.attendance import InvalidMark
from kezek.placements.models import Enrolment
from tests.factories.accounts import make_provider_staff
from tests.factories.attendance import make_mark, make_roster, make_session
from tests.factories.organisations import make_group
from tests.factories.vouchers import make_club_section


def _item(session, child, status="present", cid=None, reason=""):
    return {"client_mark_id": cid or f"tap-{session.pk}-{child.pk}-{status}", "session_id": session.pk,
            "child_id": child.pk, "status": status, "reason": reason}


def test_the_roster_has_enrolled_children_and_placed_vouchers_only(group, families):
    section = make_club_section()
    (_, club_child), = make_roster(section, children=1, via="voucher")
    today = timezone.localdate()
    assert set(group_roster(group=group, on=today)) == {c for _, c in families}
    assert list(group_roster(group=section, on=today)) == [club_child]
    # An enrolment that ended yesterday counted until then; a future start does not count yet.
    enrolment = Enrolment.objects.get(child=families[0][1])
    enrolment.status, enrolment.ended_on = Enrolment.Status.ENDED, today
    enrolment.save()
    assert families[0][1] not in group_roster(group=group, on=today)
    assert families[0][1] in group_roster(group=group, on=today - dt.timedelta(days=1))
    assert not group_roster(group=group, on=today - dt.timedelta(days=365)).exists()
    club_child.vouchers.update(status="issued", section=None)
    assert not group_roster(group=section, on=today).exists()


def test_a_batch_sent_twice_changes_nothing_the_second_time(session, staff, families):
    items = [_item(session, c, cid=f"tap-000000{i}") for i, (_, c) in enumerate(families)]
    first = marks_record_batch(actor=staff, items=items)
    assert [r.result for r in first] == ["saved"] * 3
    events = AuditEvent.objects.count()
    second = marks_record_batch(actor=staff, items=items)
    assert [r.result for r in second] == ["duplicate"] * 3
    assert Mark.objects.filter(session=session).count() == 3
    assert MarkReceipt.objects.count() == 3
    assert AuditEvent.objects.count() == events


def test_an_old_tap_replayed_after_a_newer_one_changes_nothing(session, staff, families):
    child = families[0][1]
    marks_record_batch(actor=staff, items=[_item(session, child, "present", cid="tap-first-1")])
    marks_record_batch(actor=staff, items=[_item(session, child, "absent", cid="tap-second-2")])
    (result,) = marks_record_batch(actor=staff, items=[_item(session, child, "present", cid="tap-first-1")])
    assert result.result == "duplicate"
    assert Mark.objects.get(session=session, child=child).status == "absent"


def test_in_one_batch_the_last_tap_per_child_wins(session, staff, families):
    child = families[0][1]
    results = marks_record_batch(actor=staff, items=[_item(session, child, "present", cid="tap-aaaa-1"),
                                                     _item(session, child, "absent", cid="tap-bbbb-2")])
    assert {r.client_mark_id: r.result for r in results} == {"tap-bbbb-2": "saved", "tap-aaaa-1": "superseded"}
    assert Mark.objects.get(session=session, child=child).status == "absent"


def test_same_day_corrections_are_free_and_audited(session, staff, families):
    child = families[0][1]
    marks_record_batch(actor=staff, items=[_item(session, child, "present", cid="tap-day-0001")])
    (result,) = marks_record_batch(actor=staff, items=[_item(session, child, "absent", cid="tap-day-0002")])
    assert result.result == "corrected"
    mark = Mark.objects.get(session=session, child=child)
    assert (mark.status, mark.corrected_at, mark.correction_reason) == ("absent", None, "")
    assert AuditEvent.objects.filter(action="attendance.mark.correct", object_id=str(mark.pk)).exists()


def test_a_later_correction_needs_a_reason_and_is_audited(group, staff, families):
    yesterday = make_session(group, day=timezone.localdate() - dt.timedelta(days=1))
    child = families[0][1]
    make_mark(yesterday, child, status="present", marked_by=staff)
    (refused,) = marks_record_batch(actor=staff, items=[_item(yesterday, child, "absent", cid="tap-late-0001")])
    assert (refused.result, refused.code) == ("refused", "attendance_reason_required")
    assert Mark.objects.get(session=yesterday, child=child).status == "present"
    (done,) = marks_record_batch(actor=staff, items=[_item(yesterday, child, "absent", cid="tap-late-0002",
                                                           reason="Marked the wrong child")])
    assert done.result == "corrected"
    mark = Mark.objects.get(session=yesterday, child=child)
    assert (mark.status, mark.correction_reason) == ("absent", "Marked the wrong child")
    assert mark.corrected_at is not None
    event = AuditEvent.objects.get(action="attendance.mark.correct", object_id=str(mark.pk))
    assert event.after == {"status": "absent", "late": True, "reason": "Marked the wrong child"}


def test_children_off_the_roster_and_future_sessions_are_refused_per_mark(group, session, staff, families):
    stranger = make_roster(make_group(), children=1)[0][1]
    tomorrow = make_session(group, day=timezone.localdate() + dt.timedelta(days=1))
    results = marks_record_batch(actor=staff, items=[
        _item(session, stranger, cid="tap-stranger1"), _item(tomorrow, families[0][1], cid="tap-tomorrow"),
        _item(session, families[1][1], cid="tap-good-0001"),
    ])
    assert [(r.result, r.code) for r in results] == [
        ("refused", "attendance_child_not_on_roster"), ("refused", "attendance_session_in_future"), ("saved", ""),
    ]


def test_a_tap_id_reused_for_another_child_is_refused(session, staff, families):
    marks_record_batch(actor=staff, items=[_item(session, families[0][1], cid="tap-same-0001")])
    (result,) = marks_record_batch(actor=staff, items=[_item(session, families[1][1], cid="tap-same-0001")])
    assert (result.result, result.code) == ("refused", "attendance_client_id_reused")


def test_a_malformed_batch_saves_nothing(session, staff, families):
    with pytest.raises(InvalidMark):
        marks_record_batch(actor=staff, items=[_item(session, families[0][1]), {"status": "present"}])
    assert not Mark.objects.exists()


def test_only_the_providers_own_staff_mark(session, families):
    other_staff = make_provider_staff(make_group().organisation)
    with pytest.raises(OutOfScope):
        marks_record_batch(actor=other_staff, items=[_item(session, families[0][1])])
    with pytest.raises(RoleRequired):
        marks_record_batch(actor=families[0][0], items=[_item(session, families[0][1])])
    assert not Mark.objects.exists()


def test_start_today_is_idempotent_and_uses_the_schedule(staff, group):
    first = session_start_today(actor=staff, group=group)
    assert session_start_today(actor=staff, group=group) == first
    assert timezone.localtime(first.starts_at).time() == dt.time(8, 0)  # a kindergarten's day
    section = make_club_section(schedule="Пн, Вт, Ср, Чт, Пт, Сб, Вс 16:00")
    club = session_start_today(actor=make_provider_staff(section.organisation), group=section)
    assert timezone.localtime(club.starts_at).time() == dt.time(16, 0)
    with pytest.raises(OutOfScope):
        session_start_today(actor=make_provider_staff(section.organisation), group=group)


def test_sessions_are_made_from_schedules_once(group, families):
    monday = dt.date(2025, 3, 3)
    section = make_club_section(schedule="Пн, Ср 16:00")
    Enrolment.objects.update(started_on=monday - dt.timedelta(days=30))
    made = sessions_create_from_schedules(day=monday)
    assert made == 2  # the section's 16:00 and the kindergarten group's day
    assert sessions_create_from_schedules(day=monday) == 0
    assert set(Session.objects.filter(date=monday).values_list("group_id", flat=True)) == {group.pk, section.pk}
    assert sessions_create_from_schedules(day=dt.date(2025, 3, 21)) == 0  # Nauryz: a public holiday
