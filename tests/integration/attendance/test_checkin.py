"""Parent check-in with the rotating code: the current code works once per child; old photos, strangers and forged
codes are refused."""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from kezek.attendance import errors
from kezek.attendance.models import CheckIn, Mark
from kezek.attendance.services.checkins import checkin_code_current, checkin_record
from kezek.domain import attendance as rules
from tests.factories.accounts import make_parent, make_provider_staff
from tests.factories.attendance import make_mark, make_roster
from tests.factories.organisations import make_group
from tests.factories.people import make_family


def _code(session, window):
    return rules.qr_code(key=rules.qr_key(settings.SECRET_KEY), session_id=session.pk, window=window)


def test_the_current_code_checks_the_child_in_and_marks_them_present(session, families, staff):
    parent, child = families[0]
    current = checkin_code_current(actor=staff, session=session)
    assert current.path == f"/attendance/checkin/{session.pk}/{current.window}/{current.code}/"
    (checkin,) = checkin_record(actor=parent, session_id=session.pk, window=current.window, code=current.code)
    assert (checkin.child, checkin.parent, checkin.code_window) == (child, parent, current.window)
    mark = Mark.objects.get(session=session, child=child)
    assert (mark.status, mark.marked_by) == ("present", parent)


def test_the_previous_window_is_accepted_for_clock_skew(session, families):
    parent, _ = families[0]
    now = time.time()
    window = rules.qr_window(now) - 1
    assert checkin_record(actor=parent, session_id=session.pk, window=window, code=_code(session, window), now=now)


def test_a_replayed_code_from_an_earlier_photo_is_refused(session, families):
    parent, _ = families[0]
    now = time.time()
    old = rules.qr_window(now) - 2
    with pytest.raises(rules.CodeExpired) as caught:
        checkin_record(actor=parent, session_id=session.pk, window=old, code=_code(session, old), now=now)
    assert caught.value.code == "checkin_code_expired"
    assert not CheckIn.objects.exists()


def test_a_forged_code_is_refused(session, families):
    window = rules.qr_window(time.time())
    with pytest.raises(rules.CodeInvalid):
        checkin_record(actor=families[0][0], session_id=session.pk, window=window, code="0123456789")


def test_a_parent_whose_child_is_not_in_the_group_is_refused(session):
    outsider, _ = make_roster(make_group(), children=1)[0]
    window = rules.qr_window(time.time())
    with pytest.raises(errors.NoChildInGroup):
        checkin_record(actor=outsider, session_id=session.pk, window=window, code=_code(session, window))
    assert not CheckIn.objects.exists()


def test_a_parent_cannot_check_in_another_parents_child(session, families):
    (parent, _), (_, other_child) = families[0], families[1]
    window = rules.qr_window(time.time())
    with pytest.raises(errors.NoChildInGroup):
        checkin_record(actor=parent, session_id=session.pk, window=window, code=_code(session, window),
                       child_ids=[other_child.pk])
    assert not CheckIn.objects.exists()


def test_staff_cannot_check_in_and_a_child_checks_in_once(session, families, staff):
    window = rules.qr_window(time.time())
    with pytest.raises(errors.NotAParent):
        checkin_record(actor=staff, session_id=session.pk, window=window, code=_code(session, window))
    parent, child = families[0]
    checkin_record(actor=parent, session_id=session.pk, window=window, code=_code(session, window))
    with pytest.raises(errors.AlreadyCheckedIn):
        checkin_record(actor=parent, session_id=session.pk, window=window, code=_code(session, window))
    assert CheckIn.objects.filter(child=child).count() == 1


def test_a_check_in_keeps_the_providers_own_mark(session, families, staff):
    parent, child = families[0]
    make_mark(session, child, status="absent", marked_by=staff)
    window = rules.qr_window(time.time())
    checkin_record(actor=parent, session_id=session.pk, window=window, code=_code(session, window))
    assert Mark.objects.get(session=session, child=child).status == "absent"
    assert CheckIn.objects.filter(session=session, child=child).exists()


def test_only_the_providers_staff_see_the_code(session, families):
    from kezek.accounts.permissions import OutOfScope

    with pytest.raises(OutOfScope):
        checkin_code_current(actor=make_provider_staff(make_group().organisation), session=session)


def test_a_parent_of_two_children_in_the_group_checks_both_in(group, session):
    parent_person, kids = make_family(children=2)
    parent = make_parent(parent_person)
    from tests.factories.attendance import enrol_child

    for kid in kids:
        enrol_child(group, kid, applicant=parent)
    window = rules.qr_window(time.time())
    made = checkin_record(actor=parent, session_id=session.pk, window=window, code=_code(session, window))
    assert {c.child for c in made} == set(kids)
