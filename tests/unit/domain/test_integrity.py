"""The phantom rules, the review/dispute/suspension transition tables and the small rules around them."""

from __future__ import annotations

import datetime as dt

import pytest

from kezek.domain import integrity as I
from kezek.domain.integrity import FlagKind

TODAY = dt.date(2025, 11, 24)  # a Monday


def seat(**overrides) -> I.Seat:
    values = dict(kind="enrolment", pk=1, child_id=10, group_id=100, organisation_id=1000,
                  started_on=dt.date(2025, 9, 1), birth_date=dt.date(2021, 5, 1), age_min_months=36,
                  age_max_months=59, last_attended=TODAY - dt.timedelta(days=2), no_attendance_weeks=3)
    values.update(overrides)
    return I.Seat(**values)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute)


# --- transitions and notes ---------------------------------------------------------------------------


def test_every_status_has_a_transition_row():
    assert set(I.FLAG_TRANSITIONS) == set(I.FlagStatus)
    assert set(I.DISPUTE_TRANSITIONS) == set(I.DisputeStatus)
    assert set(I.SUSPENSION_TRANSITIONS) == set(I.SuspensionStatus)


def test_open_flags_disputes_and_suspensions_end_once():
    I.check_flag_transition("open", "confirmed")
    I.check_dispute_transition("open", "rejected")
    I.check_suspension_transition("suspended", "released")
    with pytest.raises(I.FlagAlreadyReviewed) as flag:
        I.check_flag_transition("dismissed", "confirmed")
    assert flag.value.params == {"current": "dismissed"}
    with pytest.raises(I.DisputeAlreadyDecided):
        I.check_dispute_transition("upheld", "rejected")
    with pytest.raises(I.SuspensionNotOpen):
        I.check_suspension_transition("lifted", "released")


def test_notes_are_trimmed_and_required_where_a_reason_is():
    assert I.clean_note("  seen the roster  ", required=True) == "seen the roster"
    assert I.clean_note(None, required=False) == ""
    assert len(I.clean_note("x" * 5000, required=False)) == I.MAX_NOTE_CHARS
    with pytest.raises(I.NoteRequired):
        I.clean_note("   ", required=True)


# --- findings ----------------------------------------------------------------------------------------


def test_a_fingerprint_names_the_fact_not_the_scan():
    a = I.Finding(FlagKind.NO_ATTENDANCE, "enrolment:1", "2025-10-01", {"days": 30})
    b = I.Finding(FlagKind.NO_ATTENDANCE, "enrolment:1", "2025-10-01", {"days": 31})
    c = I.Finding(FlagKind.NO_ATTENDANCE, "enrolment:1", "2025-11-01")
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert len(a.fingerprint) == 64


def test_no_attendance_for_the_regions_weeks_is_flagged():
    fresh = seat(pk=1, last_attended=TODAY - dt.timedelta(days=20))
    stale = seat(pk=2, last_attended=TODAY - dt.timedelta(days=21))
    never = seat(pk=3, last_attended=None, started_on=TODAY - dt.timedelta(days=40))
    new_place = seat(pk=4, last_attended=None, started_on=TODAY - dt.timedelta(days=5))
    # A mark older than the place (a previous enrolment in the same group) does not count against the new one.
    old_mark = seat(pk=5, last_attended=dt.date(2024, 1, 1), started_on=TODAY - dt.timedelta(days=6))
    found = I.rule_no_attendance([fresh, stale, never, new_place, old_mark], today=TODAY)
    assert [f.subject for f in found] == ["enrolment:2", "enrolment:3"]
    assert found[0].evidence == {"last_attended": (TODAY - dt.timedelta(days=21)).isoformat(),
                                 "started_on": "2025-09-01", "days": 21, "weeks_rule": 3}
    assert found[1].evidence["last_attended"] is None and found[1].evidence["days"] == 40
    assert found[1].key == never.started_on.isoformat()
    assert I.is_unattended(stale, today=TODAY) and not I.is_unattended(fresh, today=TODAY)


def test_age_outside_the_groups_range_is_flagged():
    inside = seat(pk=1, birth_date=dt.date(2021, 11, 24))  # 48 months
    too_young = seat(pk=2, birth_date=dt.date(2023, 1, 1))
    too_old = seat(kind="voucher", pk=3, birth_date=dt.date(2019, 1, 1))
    found = I.rule_age_outside_range([inside, too_young, too_old], today=TODAY)
    assert [f.subject for f in found] == ["enrolment:2", "voucher:3"]
    assert found[0].evidence["range_months"] == [36, 59] and found[0].evidence["age_months"] == 34


def test_overlapping_presence_in_two_groups_is_flagged():
    day = TODAY
    rows = [
        I.Presence(1, 11, 100, 1000, at(day, 9), at(day, 12)),
        I.Presence(1, 12, 200, 2000, at(day, 11), at(day, 13)),  # overlaps 11-12 in another group
        I.Presence(1, 13, 100, 1000, at(day, 10), at(day, 11)),  # same group as the first; ends as the second starts
        I.Presence(1, 14, 300, 3000, at(day, 13), at(day, 14)),  # starts as the second ends: no overlap
        I.Presence(2, 15, 100, 1000, at(day, 9), at(day, 12)),
    ]
    found = I.rule_overlapping_presence(rows)
    assert [(f.subject, f.key) for f in found] == [("child:1", "11-12")]
    assert [s["session_id"] for s in found[0].evidence["sessions"]] == [11, 12]


def test_more_sections_than_allowed_is_flagged():
    found = I.rule_too_many_sections({1: [5, 3, 4, 6], 2: [1, 2]}, limits={1: 3, 2: 3})
    assert len(found) == 1
    assert found[0].evidence == {"sections": [3, 4, 5, 6], "count": 4, "limit": 3}
    assert found[0].key == "3,4,5,6"


def session_row(**overrides) -> I.SessionRow:
    values = dict(session_id=1, group_id=100, organisation_id=1000, starts_at=at(TODAY, 16), ends_at=at(TODAY, 17),
                  schedule="Пн, Ср 16:00–17:30", kindergarten=False, present=8)
    values.update(overrides)
    return I.SessionRow(**values)


def test_attendance_on_a_public_holiday_is_flagged():
    independence = dt.date(2025, 12, 16)
    found = I.rule_holiday_attendance([session_row(session_id=1, starts_at=at(independence, 16)), session_row(session_id=2)])
    assert [f.subject for f in found] == ["session:1"]
    assert found[0].evidence["holiday"] and found[0].evidence["present"] == 8
    assert I.public_holiday_name(TODAY) is None


@pytest.mark.parametrize(
    ("text", "days", "start", "end"),
    [
        ("Пн, Ср 16:00–17:30", {0, 2}, dt.time(16), dt.time(17, 30)),
        ("Mon, Thu 15.00", {0, 3}, dt.time(15), None),
        ("Сейсенбі, жұма", {1, 4}, None, None),
        ("вторник, четверг, суббота, воскресенье, пятница 10:00 - 11:00", {1, 3, 5, 6, 4}, dt.time(10), dt.time(11)),
        ("Sat 25:99 9:30", {5}, dt.time(9, 30), None),
    ],
)
def test_schedules_are_read_in_three_languages(text, days, start, end):
    schedule = I.parse_schedule(text)
    assert schedule == I.Schedule(frozenset(days), start, end)


def test_an_unreadable_schedule_is_none():
    assert I.parse_schedule("по договорённости") is None
    assert I.outside_schedule(session_row(schedule="")) is None


def test_sessions_outside_the_schedule_are_flagged():
    monday = TODAY
    tuesday = TODAY + dt.timedelta(days=1)
    saturday = TODAY + dt.timedelta(days=5)
    rows = [
        session_row(session_id=1),  # Monday 16-17 inside 16:00-17:30
        session_row(session_id=2, starts_at=at(tuesday, 16), ends_at=at(tuesday, 17)),  # wrong day
        session_row(session_id=3, starts_at=at(monday, 19), ends_at=at(monday, 20)),  # ends after 17:30 + slack
        session_row(session_id=4, starts_at=at(monday, 13), ends_at=at(monday, 14)),  # starts before 16:00 - slack
        session_row(session_id=5, starts_at=at(monday, 16), ends_at=at(monday + dt.timedelta(days=1), 1)),  # past midnight
        session_row(session_id=6, schedule="Mon 16:00", starts_at=at(monday, 16, 30), ends_at=at(monday, 17)),  # near start
        session_row(session_id=7, schedule="Mon 16:00", starts_at=at(monday, 18), ends_at=at(monday, 19)),  # far from start
        session_row(session_id=8, schedule="Mon", starts_at=at(monday, 7), ends_at=at(monday, 8)),  # days only
        session_row(session_id=9, kindergarten=True, schedule="", starts_at=at(saturday, 8), ends_at=at(saturday, 18)),
        session_row(session_id=10, kindergarten=True, schedule="", starts_at=at(monday, 8), ends_at=at(monday, 18)),
        # Sunday 2025-01-05 was a working day in place of Friday 3 January: kindergartens worked it.
        session_row(session_id=11, kindergarten=True, schedule="", starts_at=at(dt.date(2025, 1, 5), 8),
                    ends_at=at(dt.date(2025, 1, 5), 18)),
    ]
    found = I.rule_off_schedule(rows)
    assert [(f.subject, f.key) for f in found] == [
        ("session:2", "weekday"), ("session:3", "time"), ("session:4", "time"), ("session:5", "time"),
        ("session:7", "time"), ("session:9", "weekday"),
    ]
    assert found[-1].evidence["schedule"] == "Mon-Fri"


def test_providers_whose_marks_parents_contest_are_flagged():
    rows = [
        I.ProviderMarks(1, present_marks=10, upheld_contested=3),  # 30 %: flagged
        I.ProviderMarks(2, present_marks=100, upheld_contested=5),  # 5 %: not
        I.ProviderMarks(3, present_marks=4, upheld_contested=2),  # too few to be a pattern
        I.ProviderMarks(4, present_marks=0, upheld_contested=3),  # every mark contested away
    ]
    found = I.rule_marks_contested(rows, period="2025-11")
    assert [f.subject for f in found] == ["organisation:1", "organisation:4"]
    assert found[0].evidence["ratio"] == 0.3 and found[1].evidence["ratio"] == 1.0


def test_groups_above_capacity_are_flagged():
    rows = [
        I.GroupLoad(1, 10, capacity=20, roster=21, most_present=18),
        I.GroupLoad(2, 10, capacity=20, roster=20, most_present=22),
        I.GroupLoad(3, 10, capacity=20, roster=20, most_present=20),
    ]
    assert [f.subject for f in I.rule_over_capacity(rows, period="2025-11")] == ["group:1", "group:2"]


def test_the_same_child_under_two_vouchers_with_one_provider_is_flagged():
    rows = [
        I.SeatedVoucher(1, child_id=7, section_id=70, organisation_id=700),
        I.SeatedVoucher(2, child_id=7, section_id=71, organisation_id=700),
        I.SeatedVoucher(3, child_id=8, section_id=70, organisation_id=700),
        I.SeatedVoucher(4, child_id=8, section_id=80, organisation_id=800),
    ]
    found = I.rule_two_vouchers(rows)
    assert [(f.subject, f.key) for f in found] == [("child:7", "1,2")]
    assert found[0].evidence == {"vouchers": [1, 2], "sections": [70, 71]}


# --- suspension and disputes -------------------------------------------------------------------------


def test_a_suspended_place_is_released_after_the_grace():
    assert I.release_on(suspended_on=TODAY, grace_days=14) == dt.date(2025, 12, 8)


def test_a_disputes_since_date_defaults_to_the_start_and_never_is_in_the_future():
    start = dt.date(2025, 9, 1)
    assert I.check_dispute_since(since=None, started_on=start, today=TODAY) == start
    assert I.check_dispute_since(since=dt.date(2025, 10, 1), started_on=start, today=TODAY) == dt.date(2025, 10, 1)
    for bad in (dt.date(2025, 8, 31), TODAY + dt.timedelta(days=1)):
        with pytest.raises(I.InvalidSinceDate):
            I.check_dispute_since(since=bad, started_on=start, today=TODAY)
