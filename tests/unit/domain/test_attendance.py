"""Attendance rules: the rotating check-in code, corrections, mark batches, sheet deadlines, silence and schedules."""

from __future__ import annotations

import datetime as dt

import pytest

from kezek.domain import attendance as a

KEY = a.qr_key("test-secret")
ALMATY = dt.timezone(dt.timedelta(hours=5))


# --- the check-in code ---------------------------------------------------------------------------------


def test_the_code_depends_on_the_session_the_window_and_the_key():
    code = a.qr_code(key=KEY, session_id=7, window=100)
    assert len(code) == a.QR_CODE_CHARS
    assert code == a.qr_code(key=KEY, session_id=7, window=100)
    assert code != a.qr_code(key=KEY, session_id=8, window=100)
    assert code != a.qr_code(key=KEY, session_id=7, window=101)
    assert code != a.qr_code(key=a.qr_key("other"), session_id=7, window=100)


def test_windows_are_30_seconds_long():
    assert a.qr_window(0) == 0
    assert a.qr_window(29.9) == 0
    assert a.qr_window(30) == 1
    assert a.qr_window(95, seconds=10) == 9


def test_the_current_and_the_previous_window_are_accepted():
    now = 3000.0  # window 100
    for window in (100, 99):
        a.check_qr_code(key=KEY, session_id=1, window=window, code=a.qr_code(key=KEY, session_id=1, window=window), now=now)
    upper = a.qr_code(key=KEY, session_id=1, window=100).upper()
    a.check_qr_code(key=KEY, session_id=1, window=100, code=upper, now=now)


def test_a_code_from_an_older_photo_is_refused_as_expired():
    code = a.qr_code(key=KEY, session_id=1, window=98)
    with pytest.raises(a.CodeExpired):
        a.check_qr_code(key=KEY, session_id=1, window=98, code=code, now=3000.0)


@pytest.mark.parametrize("window, code", [(100, "0000000000"), (100, ""), (100, None)])
def test_a_forged_code_is_refused(window, code):
    with pytest.raises(a.CodeInvalid):
        a.check_qr_code(key=KEY, session_id=1, window=window, code=code, now=3000.0)


def test_a_code_of_a_future_window_is_refused():
    code = a.qr_code(key=KEY, session_id=1, window=101)
    with pytest.raises(a.CodeInvalid):
        a.check_qr_code(key=KEY, session_id=1, window=101, code=code, now=3000.0)


def test_a_code_of_another_session_is_refused():
    code = a.qr_code(key=KEY, session_id=2, window=100)
    with pytest.raises(a.CodeInvalid):
        a.check_qr_code(key=KEY, session_id=1, window=100, code=code, now=3000.0)


# --- corrections -----------------------------------------------------------------------------------------

DAY = dt.date(2025, 3, 12)


def test_same_day_corrections_need_no_reason():
    assert a.correction_reason(session_day=DAY, today=DAY, reason=None) == ""
    assert a.correction_reason(session_day=DAY, today=DAY, reason="  typo ") == "typo"


def test_later_corrections_need_a_reason():
    with pytest.raises(a.ReasonRequired):
        a.correction_reason(session_day=DAY, today=DAY + dt.timedelta(days=1), reason="   ")
    assert a.correction_reason(session_day=DAY, today=DAY + dt.timedelta(days=1), reason="x" * 2000) == "x" * 1000


def test_a_region_may_allow_later_corrections_without_a_reason():
    assert a.correction_reason(session_day=DAY, today=DAY + dt.timedelta(days=3), reason="", same_day_only=False) == ""


# --- batches ---------------------------------------------------------------------------------------------


def _item(**overrides):
    return {"client_mark_id": "tap-00000001", "session_id": 1, "child_id": 2, "status": "present", **overrides}


def test_a_valid_batch_is_parsed():
    items = a.parse_mark_batch([_item(), _item(client_mark_id="tap-00000002", status="absent", reason=" late ")])
    assert items == [
        a.MarkItem("tap-00000001", 1, 2, a.MarkStatus.PRESENT, ""),
        a.MarkItem("tap-00000002", 1, 2, a.MarkStatus.ABSENT, "late"),
    ]
    assert a.parse_mark_batch([]) == []


@pytest.mark.parametrize(
    "items",
    [
        {"not": "a list"},
        ["string"],
        [_item(client_mark_id="short")],
        [_item(client_mark_id=12345678)],
        [_item(client_mark_id="has space in it")],
        [_item(session_id=0)],
        [_item(child_id="2")],
        [_item(session_id=True)],
        [_item(status="late")],
        [_item(reason=5)],
    ],
)
def test_a_malformed_batch_is_refused_whole(items):
    with pytest.raises(a.InvalidMark):
        a.parse_mark_batch(items)


def test_a_batch_above_the_limit_is_refused():
    with pytest.raises(a.BatchTooLarge):
        a.parse_mark_batch([_item()] * 3, limit=2)


def test_the_last_tap_per_child_wins():
    first = a.MarkItem("tap-1aaaaaaa", 1, 2, a.MarkStatus.PRESENT)
    other = a.MarkItem("tap-2aaaaaaa", 1, 3, a.MarkStatus.PRESENT)
    last = a.MarkItem("tap-3aaaaaaa", 1, 2, a.MarkStatus.ABSENT)
    assert a.latest_per_child([first, other, last]) == [other, last]


# --- months and sheets -------------------------------------------------------------------------------------


def test_months():
    assert a.month_start(dt.date(2025, 3, 12)) == dt.date(2025, 3, 1)
    assert a.previous_month(dt.date(2025, 1, 5)) == dt.date(2024, 12, 1)
    assert a.month_bounds(dt.date(2024, 2, 10)) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))


def test_the_deadline_is_the_end_of_the_regions_day_of_the_next_month():
    assert a.sheet_deadline(month=dt.date(2025, 3, 1), confirm_by_day=5, tz=ALMATY) == dt.datetime(2025, 4, 6, tzinfo=ALMATY)
    assert a.sheet_deadline(month=dt.date(2024, 12, 1), confirm_by_day=5, tz=ALMATY) == dt.datetime(2025, 1, 6, tzinfo=ALMATY)


def test_a_day_beyond_the_next_months_end_is_its_last_day():
    assert a.sheet_deadline(month=dt.date(2025, 1, 1), confirm_by_day=31, tz=ALMATY) == dt.datetime(2025, 3, 1, tzinfo=ALMATY)
    assert a.sheet_deadline(month=dt.date(2025, 1, 1), confirm_by_day=0, tz=ALMATY) == dt.datetime(2025, 2, 2, tzinfo=ALMATY)


def test_sheet_transitions():
    a.check_sheet_transition("open", "confirmed")
    a.check_sheet_transition("open", "contested")
    a.check_sheet_transition("contested", "contested")
    a.check_sheet_transition("open", "silent_confirmed")
    for current, target in [("confirmed", "contested"), ("contested", "confirmed"), ("unconfirmed", "confirmed"),
                            ("silent_confirmed", "contested")]:
        with pytest.raises(a.SheetTransitionNotAllowed):
            a.check_sheet_transition(current, target)


def test_contest_transitions():
    a.check_contest_transition("open", "upheld")
    a.check_contest_transition("open", "rejected")
    with pytest.raises(a.ContestTransitionNotAllowed):
        a.check_contest_transition("upheld", "rejected")


def test_answers_are_refused_from_the_deadline_on():
    deadline = dt.datetime(2025, 4, 6, tzinfo=ALMATY)
    a.check_before_deadline(now=deadline - dt.timedelta(seconds=1), deadline=deadline)
    with pytest.raises(a.SheetDeadlinePassed):
        a.check_before_deadline(now=deadline, deadline=deadline)


def test_silence_follows_the_region():
    assert a.silence_outcome("confirmed") is a.SheetStatus.CONFIRMED_BY_SILENCE
    assert a.silence_outcome("not_confirmed") is a.SheetStatus.UNCONFIRMED


def test_decisions_need_a_reason():
    assert a.decision_reason(" was ill ") == "was ill"
    with pytest.raises(a.DecisionReasonRequired):
        a.decision_reason(None)


# --- schedules ------------------------------------------------------------------------------------------------


def test_schedules_in_three_languages():
    assert a.parse_schedule("Пн, Ср 16:00") == [a.Slot(0, dt.time(16)), a.Slot(2, dt.time(16))]
    assert a.parse_schedule("Дс, Жм 9.30; Сн 10:00") == [a.Slot(0, dt.time(9, 30)), a.Slot(4, dt.time(9, 30)),
                                                           a.Slot(5, dt.time(10))]
    assert a.parse_schedule("Tuesday and Thursday 17:15") == [a.Slot(1, dt.time(17, 15)), a.Slot(3, dt.time(17, 15))]


def test_unreadable_schedules_give_no_slots():
    assert a.parse_schedule("") == []
    assert a.parse_schedule("по договорённости") == []
    assert a.parse_schedule("16:00") == []


def test_slots_on_a_day():
    slots = a.parse_schedule("Пн 10:00, Пн 16:00; Ср 16:00")
    assert a.slots_on(dt.date(2025, 3, 10), slots) == [dt.time(10), dt.time(16)]  # a Monday
    assert a.slots_on(dt.date(2025, 3, 11), slots) == []
