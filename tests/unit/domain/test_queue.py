"""Kindergarten queue rules: classes from benefits, ages, age groups and status transitions."""

from __future__ import annotations

import datetime as dt

import pytest

from kezek.domain.errors import Conflict, InvalidInput
from kezek.domain.queue import (
    APPLICATION_TRANSITIONS,
    BENEFIT_CLASS,
    OPEN_STATUSES,
    ApplicationStatus,
    ChildNotBorn,
    ChildTooOld,
    PriorityClass,
    QueueRules,
    TransitionNotAllowed,
    age_group,
    check_age,
    check_transition,
    class_for_benefits,
)

RULES = QueueRules()
S = ApplicationStatus


def test_defaults_are_astanas_numbers():
    assert (RULES.max_age_years, RULES.min_phones, RULES.max_preferences) == (6, 2, 5)
    assert (RULES.rotation_first_priority, RULES.rotation_general) == (1, 3)
    assert (RULES.extraordinary_confirm_working_days, RULES.stop_list_days) == (5, 10)
    assert RULES.document_max_bytes == 5 * 1024 * 1024


def test_lower_class_is_served_first():
    assert PriorityClass.EXTRAORDINARY < PriorityClass.FIRST < PriorityClass.GENERAL


def test_military_is_the_only_extraordinary_right():
    assert [k for k, c in BENEFIT_CLASS.items() if c == PriorityClass.EXTRAORDINARY] == ["military"]


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (set(), PriorityClass.GENERAL),
        ({"large_family"}, PriorityClass.FIRST),
        ({"large_family", "military"}, PriorityClass.EXTRAORDINARY),
        ({"not_a_benefit"}, PriorityClass.GENERAL),
        (frozenset({"teacher", "not_a_benefit"}), PriorityClass.FIRST),
    ],
)
def test_class_is_the_best_known_benefit(kinds, expected):
    assert class_for_benefits(kinds) == expected


@pytest.mark.parametrize(
    ("birth", "start"),
    [
        (dt.date(2020, 9, 2), dt.date(2026, 9, 1)),  # one day short of 6
        (dt.date(2026, 9, 1), dt.date(2026, 9, 1)),  # born on the start date
        (dt.date(2024, 2, 29), dt.date(2026, 9, 1)),
    ],
)
def test_children_under_the_limit_pass(birth, start):
    check_age(birth_date=birth, start_date=start, rules=RULES)


def test_six_on_the_start_date_is_too_old():
    with pytest.raises(ChildTooOld) as exc:
        check_age(birth_date=dt.date(2020, 9, 1), start_date=dt.date(2026, 9, 1), rules=RULES)
    assert isinstance(exc.value, InvalidInput)
    assert exc.value.code == "child_too_old" and exc.value.params == {"years": 6}
    assert "6" in str(exc.value)


def test_a_child_born_after_the_start_date_is_refused():
    with pytest.raises(ChildNotBorn) as exc:
        check_age(birth_date=dt.date(2026, 10, 1), start_date=dt.date(2026, 9, 1), rules=RULES)
    assert exc.value.code == "child_not_born"


def test_a_region_from_one_and_a_half_years_refuses_younger_children():
    rules = QueueRules(min_age_months=18, max_age_years=7)
    with pytest.raises(ChildNotBorn) as exc:
        check_age(birth_date=dt.date(2025, 3, 2), start_date=dt.date(2026, 9, 1), rules=rules)
    assert exc.value.params == {"months": 18}
    check_age(birth_date=dt.date(2025, 3, 1), start_date=dt.date(2026, 9, 1), rules=rules)
    check_age(birth_date=dt.date(2019, 9, 2), start_date=dt.date(2026, 9, 1), rules=rules)


def test_age_group_by_birth_year():
    assert age_group(birth_date=dt.date(2022, 12, 31), start_date=dt.date(2026, 9, 1), rules=RULES) == 2022


@pytest.mark.parametrize(
    ("birth", "expected"),
    [(dt.date(2022, 9, 1), 4), (dt.date(2022, 9, 2), 3), (dt.date(2022, 1, 1), 4), (dt.date(2022, 12, 31), 3)],
)
def test_age_group_by_full_years_on_1_september(birth, expected):
    rules = QueueRules(age_group_basis="years_on_sept_1")
    assert age_group(birth_date=birth, start_date=dt.date(2026, 3, 1), rules=rules) == expected


def test_open_statuses_hold_the_one_application():
    assert OPEN_STATUSES == {S.ACTIVE, S.INACTIVE, S.OFFERED}


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c, targets in APPLICATION_TRANSITIONS.items() for t in targets],
)
def test_allowed_transitions_pass(current, target):
    check_transition(current.value, target.value)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("withdrawn", "active"),
        ("closed", "active"),
        ("enrolled", "active"),
        ("active", "enrolled"),
        ("active", "active"),
        ("inactive", "offered"),
    ],
)
def test_other_transitions_are_refused(current, target):
    with pytest.raises(TransitionNotAllowed) as exc:
        check_transition(current, target)
    assert isinstance(exc.value, Conflict)
    assert exc.value.params == {"current": current, "target": target}


def test_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError):
        check_transition("lost", "active")
