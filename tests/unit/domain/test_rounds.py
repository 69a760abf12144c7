"""Allocation rounds: status table, notice and timetable rules, and the published allocation input."""

from __future__ import annotations

import datetime as dt

import pytest

from kezek.domain.errors import Conflict, InvalidInput
from kezek.domain.rounds import (
    ALLOCATION_FORMAT,
    ROUND_TRANSITIONS,
    ApplicantRow,
    NoticeTooShort,
    PlaceRow,
    RoundStatus,
    RoundTransitionNotAllowed,
    TimetableInvalid,
    allocation_input,
    check_notice,
    check_round_transition,
    check_timetable,
    earliest_run_at,
    iso_utc,
    place_allocation_id,
    place_id_from_allocation_id,
)

ALMATY = dt.timezone(dt.timedelta(hours=5))
NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=ALMATY)
S = RoundStatus


# --- status table ---------------------------------------------------------------------------------


def test_every_status_has_a_row_and_closed_is_final():
    assert set(ROUND_TRANSITIONS) == set(RoundStatus)
    assert ROUND_TRANSITIONS[S.CLOSED] == frozenset()


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.DRAFT, S.ANNOUNCED), (S.ANNOUNCED, S.RUNNING), (S.RUNNING, S.RAN), (S.RUNNING, S.ANNOUNCED),
     (S.RAN, S.OPEN_TO_ALL), (S.RAN, S.CLOSED), (S.OPEN_TO_ALL, S.CLOSED)],
)
def test_allowed_transitions_pass(current, target):
    check_round_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.DRAFT, S.RAN), (S.ANNOUNCED, S.DRAFT), (S.RAN, S.RUNNING), (S.RAN, S.ANNOUNCED), (S.CLOSED, S.DRAFT)],
)
def test_other_transitions_are_refused_with_a_conflict(current, target):
    with pytest.raises(RoundTransitionNotAllowed) as caught:
        check_round_transition(current, target)
    assert isinstance(caught.value, Conflict)
    assert caught.value.params == {"current": current, "target": target}


# --- notice and timetable ---------------------------------------------------------------------


def test_earliest_run_is_now_plus_the_lead_time():
    assert earliest_run_at(now=NOW, lead_hours=24) == NOW + dt.timedelta(hours=24)


def test_notice_of_exactly_the_lead_time_is_enough():
    check_notice(runs_at=NOW + dt.timedelta(hours=24), now=NOW, lead_hours=24)
    check_notice(runs_at=NOW + dt.timedelta(days=10), now=NOW, lead_hours=24)


def test_shorter_notice_is_refused_naming_the_earliest_allowed_run_time():
    with pytest.raises(NoticeTooShort) as caught:
        check_notice(runs_at=NOW + dt.timedelta(hours=23, minutes=59), now=NOW, lead_hours=24)
    assert isinstance(caught.value, InvalidInput)
    assert caught.value.params == {"hours": 24, "earliest": "02.06.2026 09:30"}
    assert "24 hours" in str(caught.value)


def test_lead_time_is_configurable():
    check_notice(runs_at=NOW + dt.timedelta(hours=2), now=NOW, lead_hours=2)
    with pytest.raises(NoticeTooShort):
        check_notice(runs_at=NOW + dt.timedelta(hours=47), now=NOW, lead_hours=48)


def test_timetable_in_order_passes_and_opening_may_coincide_with_the_end_of_offers():
    check_timetable(runs_at=NOW, offers_close_at=NOW + dt.timedelta(days=3), open_to_all_at=NOW + dt.timedelta(days=3))
    check_timetable(runs_at=NOW, offers_close_at=NOW + dt.timedelta(days=3), open_to_all_at=NOW + dt.timedelta(days=4))


@pytest.mark.parametrize(
    ("offers_close", "open_to_all"),
    [(0, 1), (-1, 1), (3, 2)],  # offers close at the run, before the run, opening before offers close
)
def test_timetable_out_of_order_is_refused(offers_close, open_to_all):
    with pytest.raises(TimetableInvalid):
        check_timetable(
            runs_at=NOW, offers_close_at=NOW + dt.timedelta(days=offers_close), open_to_all_at=NOW + dt.timedelta(days=open_to_all)
        )


# --- ids and times ----------------------------------------------------------------------------


def test_place_ids_round_trip_and_none_means_no_place():
    assert place_allocation_id(42) == "p42"
    assert place_id_from_allocation_id("p42") == 42
    assert place_id_from_allocation_id(None) is None


def test_times_are_published_in_utc_with_microseconds():
    assert iso_utc(dt.datetime(2025, 1, 2, 5, 0, 0, 7, tzinfo=ALMATY)) == "2025-01-02T00:00:00.000007Z"


# --- the allocation input -------------------------------------------------------------------------

KG_A, KG_B, KG_C = 10, 20, 30
PLACES = [
    PlaceRow(place_id=7, organisation_id=KG_A, age_group=2022, language="kk", places=5),
    PlaceRow(place_id=3, organisation_id=KG_A, age_group=2022, language="kk", places=2),  # a second kk group at A
    PlaceRow(place_id=4, organisation_id=KG_A, age_group=2022, language="ru", places=4),
    PlaceRow(place_id=5, organisation_id=KG_B, age_group=2022, language="kk", places=1),
    PlaceRow(place_id=6, organisation_id=KG_B, age_group=2023, language="kk", places=3),
]
REGISTERED = dt.datetime(2024, 3, 1, 14, 0, tzinfo=ALMATY)


def applicant(public_id: str, kindergartens, *, priority: int = 2, age_group: int = 2022, language: str = "kk", siblings=()):
    return ApplicantRow(
        public_id=public_id, priority=priority, registered_at=REGISTERED, age_group=age_group, language=language,
        kindergartens=tuple(kindergartens), sibling_kindergartens=frozenset(siblings),
    )


def build(applicants, *, policy: str = "match", rotation=(1, 3)):
    return allocation_input(seed_hex="ab" * 32, policy=policy, tie_break="lottery", places=PLACES, applicants=applicants, rotation=rotation)


def test_header_and_groups_in_place_id_order_with_places_as_capacity():
    doc = build([])
    assert doc["format"] == ALLOCATION_FORMAT == "kezek.allocation/1"
    assert (doc["seed"], doc["tie_break"], doc["policy"]) == ("ab" * 32, "lottery", "match")
    assert doc["groups"] == [
        {"id": "p3", "capacity": 2}, {"id": "p4", "capacity": 4}, {"id": "p5", "capacity": 1},
        {"id": "p6", "capacity": 3}, {"id": "p7", "capacity": 5},
    ]
    assert doc["applicants"] == []
    assert "rotation" not in doc


def test_preferences_follow_rank_then_place_id_within_a_kindergarten_same_age_group_and_language():
    doc = build([applicant("b1", [KG_B, KG_A, KG_C])])
    assert doc["applicants"] == [
        {"id": "b1", "priority": 2, "registered_at": "2024-03-01T09:00:00.000000Z", "preferences": ["p5", "p3", "p7"]}
    ]


def test_language_and_age_group_select_the_groups():
    doc = build([applicant("ru", [KG_A, KG_B], language="ru"), applicant("young", [KG_A, KG_B], age_group=2023)])
    assert {a["id"]: a["preferences"] for a in doc["applicants"]} == {"ru": ["p4"], "young": ["p6"]}


def test_applicants_with_nothing_to_offer_are_left_out_and_the_rest_sorted_by_id():
    doc = build([applicant("z", [KG_A]), applicant("nothing", [KG_C]), applicant("a", [KG_B])])
    assert [a["id"] for a in doc["applicants"]] == ["a", "z"]


def test_sibling_gives_first_priority_class_at_that_kindergarten_only_under_match():
    doc = build([applicant("s", [KG_A, KG_B], siblings=[KG_A])])
    assert doc["applicants"][0]["group_priority"] == {"p3": 1, "p7": 1}
    assert doc["applicants"][0]["priority"] == 2


def test_sibling_never_worsens_a_better_class_and_is_not_written_when_it_changes_nothing():
    doc = build([applicant("x", [KG_A], priority=0, siblings=[KG_A]), applicant("y", [KG_A], priority=1, siblings=[KG_A])])
    assert all("group_priority" not in a for a in doc["applicants"])


def test_queue_policy_ignores_siblings_and_carries_the_regions_rotation():
    doc = build([applicant("s", [KG_A], siblings=[KG_A])], policy="queue", rotation=(1, 3))
    assert "group_priority" not in doc["applicants"][0]
    assert doc["rotation"] == {"first_priority_class": 1, "general_class": 2, "first_priority": 1, "general": 3}


def test_queue_policy_without_rotation_writes_none():
    assert "rotation" not in build([], policy="queue", rotation=None)
