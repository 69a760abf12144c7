"""The allocation engine: both policies against slow reference implementations, stability, classes, queue order."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kezek.domain.allocation import InvalidAllocationInput, allocate, group_order, parse_allocation_input
from kezek.domain.allocation import match as match_module
from kezek.domain.lottery import lottery_number
from tests.unit.domain.allocation_reference import class_at, reference_match, reference_queue, tie_key
from tests.unit.domain.allocation_strategies import instances

SEED = "5eed" * 16


def make(groups: dict[str, int], applicants: list[tuple], **extra) -> object:
    """Applicants as (id, priority, registered_at day, preferences[, group_priority])."""
    records = []
    for applicant_id, priority, day, preferences, *overrides in applicants:
        record = {"id": applicant_id, "priority": priority, "registered_at": f"2024-01-{day:02d}T10:00:00+05:00",
                  "preferences": preferences}
        if overrides:
            record["group_priority"] = overrides[0]
        records.append(record)
    data = {"format": "kezek.allocation/1", "seed": SEED, "tie_break": "registered_at",
            "groups": [{"id": g, "capacity": c} for g, c in groups.items()], "applicants": records}
    return parse_allocation_input(data | extra)


def assert_stable(instance, assignments) -> None:
    """No applicant and group would both rather be matched to each other (no blocking pair); capacities hold."""
    capacity = {g.id: g.capacity for g in instance.groups}
    holders: dict[str, list] = {g: [] for g in capacity}
    by_id = {a.id: a for a in instance.applicants}
    for applicant_id, group in assignments.items():
        if group is not None:
            assert group in by_id[applicant_id].preferences
            holders[group].append(by_id[applicant_id])
    for group, held in holders.items():
        assert len(held) <= capacity[group]
    for a in instance.applicants:
        own = assignments[a.id]
        better = a.preferences[: a.preferences.index(own)] if own else a.preferences
        for g in better:
            mine = (class_at(a, g), tie_key(instance, a))
            assert len(holders[g]) == capacity[g], f"{a.id} was refused by {g}, which has a free place"
            assert all((class_at(b, g), tie_key(instance, b)) < mine for b in holders[g]), f"{a.id} and {g} block"


@settings(max_examples=300)
@given(instance=instances(policy="match"))
def test_match_equals_sequential_gale_shapley_and_is_stable(instance):
    result = allocate(instance)
    assert result.assignments == reference_match(instance)
    assert_stable(instance, result.assignments)


@settings(max_examples=300)
@given(instance=instances(policy="queue"))
def test_queue_equals_the_reference_serial_dictatorship(instance):
    assert allocate(instance).assignments == reference_queue(instance)


@given(instance=instances(), data=st.data())
def test_the_order_of_the_input_does_not_matter(instance, data):
    shuffled = dataclasses.replace(
        instance,
        applicants=tuple(data.draw(st.permutations(instance.applicants))),
        groups=tuple(data.draw(st.permutations(instance.groups))),
    )
    assert allocate(shuffled).assignments == allocate(instance).assignments


@given(instance=instances(policy="match"))
def test_packing_and_two_key_sort_agree(instance):
    packed = allocate(instance).assignments
    limit, match_module.PACKED_LIMIT = match_module.PACKED_LIMIT, 0
    try:
        assert allocate(instance).assignments == packed
    finally:
        match_module.PACKED_LIMIT = limit


def test_a_class_at_one_group_beats_a_better_general_class_there_only():
    instance = make(
        {"sun": 1, "moon": 1},
        [
            ("first", 1, 1, ["sun", "moon"]),
            ("sibling", 2, 2, ["sun", "moon"], {"sun": 0}),
            ("late", 2, 3, ["moon"]),
        ],
    )
    assert allocate(instance).assignments == {"sibling": "sun", "first": "moon", "late": None}


def test_earlier_registration_then_id_breaks_ties():
    instance = make({"sun": 2}, [("b", 2, 1, ["sun"]), ("a", 2, 1, ["sun"]), ("c", 2, 1, ["sun"]), ("z", 2, 1, ["sun"])])
    assert allocate(instance).assignments == {"a": "sun", "b": "sun", "c": None, "z": None}
    earlier = make({"sun": 1}, [("a", 2, 2, ["sun"]), ("b", 2, 1, ["sun"])])
    assert allocate(earlier).assignments == {"a": None, "b": "sun"}


def test_the_lower_lottery_number_wins():
    ids = [f"child-{i}" for i in range(10)]
    instance = make({"sun": 3}, [(x, 2, 1, ["sun"]) for x in ids], tie_break="lottery")
    winners = sorted(ids, key=lambda x: lottery_number(bytes.fromhex(SEED), x))[:3]
    assert {x for x, g in allocate(instance).assignments.items() if g} == set(winners)


def test_the_queue_rotation_counts_only_places_given():
    instance = make(
        {"a": 4, "b": 1, "c": 1, "d": 1, "nowhere": 0},
        [
            ("f1", 1, 1, ["a"]), ("f2", 1, 2, ["a", "b"]),
            ("g1", 2, 1, ["a"]), ("g2", 2, 2, ["nowhere"]), ("g3", 2, 3, ["a"]), ("g4", 2, 4, ["a"]), ("g5", 2, 5, ["a", "b"]),
            ("e1", 0, 9, ["c"]), ("x1", 3, 1, ["c", "d"]),
        ],
        policy="queue", rotation={"first_priority": 1, "general": 3},
    )
    # e1 first; then f1, g1, g2 (nothing: no turn used), g3, g4; then f2 takes b; then class 3.
    assert allocate(instance).assignments == {
        "e1": "c", "f1": "a", "g1": "a", "g2": None, "g3": "a", "g4": "a", "f2": "b", "g5": None, "x1": "d",
    }


@pytest.mark.parametrize("rotation", [None, {"first_priority": 0, "general": 3}])
def test_without_rotation_the_queue_goes_class_by_class(rotation):
    extra = {"policy": "queue"} | ({"rotation": rotation} if rotation else {})
    instance = make({"a": 2}, [("g1", 2, 1, ["a"]), ("f1", 1, 5, ["a"]), ("f2", 1, 6, ["a"])], **extra)
    assert allocate(instance).assignments == {"f1": "a", "f2": "a", "g1": None}


def test_queue_ignores_group_priority():
    instance = make({"a": 1}, [("f1", 1, 2, ["a"]), ("g1", 2, 1, ["a"], {"a": 0})], policy="queue")
    assert allocate(instance).assignments == {"f1": "a", "g1": None}


def test_with_no_places_at_all_nobody_is_assigned():
    for policy in ("match", "queue"):
        instance = make({"a": 0}, [("x", 2, 1, ["a"]), ("y", 2, 1, [])], policy=policy)
        assert allocate(instance).assignments == {"x": None, "y": None}


@pytest.mark.parametrize("policy", ["match", "queue"])
def test_a_huge_capacity_needs_no_memory(policy):
    instance = make({"a": 2**31 - 1, "b": 1}, [("x", 2, 1, ["a"]), ("y", 2, 2, ["b", "a"]), ("z", 2, 3, ["b"])], policy=policy)
    result = allocate(instance)
    assert result.assignments == {"x": "a", "y": "b", "z": None}
    assert result.stats["free_places"] == 2**31 - 1 - 1


def test_an_empty_round():
    result = allocate(make({"a": 3}, []))
    assert result.assignments == {}
    assert result.stats["applicants"] == 0 and result.stats["free_places"] == 3


def test_stats_count_by_class_and_by_choice():
    instance = make(
        {"sun": 1, "moon": 2},
        [("a", 1, 1, ["sun", "moon"]), ("b", 2, 1, ["sun", "moon"]), ("c", 2, 2, ["sun"]), ("d", 2, 3, ["moon"])],
    )
    stats = allocate(instance).stats
    assert {k: v for k, v in stats.items() if not k.startswith("solve_")} == {
        "policy": "match", "tie_break": "registered_at", "applicants": 4, "groups": 2, "places": 3,
        "assigned": 3, "unassigned": 1, "free_places": 0,
        "applicants_by_priority": {"1": 1, "2": 3}, "assigned_by_priority": {"1": 1, "2": 2},
        "assigned_by_choice": {"1": 2, "2": 1},
    }
    assert stats["solve_seconds"] >= 0 and stats["solve_cpu_seconds"] >= 0


def test_progress_is_reported_while_matching():
    seen = []
    instance = make({"a": 1, "b": 1}, [("x", 2, 1, ["a", "b"]), ("y", 2, 2, ["a", "b"])])
    allocate(instance, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen == [("match", 2, 4), ("match", 3, 4)]


def test_a_bigger_random_round_is_stable():
    rng = random.Random(7)
    groups = {f"g{i}": rng.randint(0, 30) for i in range(60)}
    applicants = [
        (f"p{i}", rng.choice([0, 1, 2, 2, 2]), rng.randint(1, 28), rng.sample(sorted(groups), rng.randint(0, 5)))
        for i in range(2000)
    ]
    instance = make(groups, applicants, tie_break="lottery")
    result = allocate(instance)
    assert_stable(instance, result.assignments)
    assert result.assignments == reference_match(instance)
    per_group = Counter(g for g in result.assignments.values() if g)
    assert all(per_group[g] <= c for g, c in groups.items())


# --- passing a place on -------------------------------------------------------------------------------------


def test_group_order_under_match_is_by_class_at_the_group_then_tie_break():
    instance = make(
        {"sun": 1, "moon": 1},
        [("a", 1, 3, ["sun"]), ("b", 2, 1, ["moon", "sun"], {"sun": 0}), ("c", 1, 2, ["sun"]), ("d", 0, 1, ["moon"])],
    )
    assert group_order(instance, "sun") == ["b", "c", "a"]
    assert group_order(instance, "moon") == ["d", "b"]


def test_group_order_under_queue_follows_the_rotation():
    instance = make(
        {"sun": 1, "moon": 1},
        [("f1", 1, 1, ["sun"]), ("f2", 1, 2, ["sun"]), ("g1", 2, 1, ["sun"]), ("g2", 2, 2, ["sun"]),
         ("g3", 2, 3, ["sun"]), ("g4", 2, 4, ["sun"]), ("e1", 0, 5, ["moon", "sun"], {"sun": 3}), ("x", 3, 1, ["sun"])],
        policy="queue", rotation={"first_priority": 1, "general": 2},
    )
    assert group_order(instance, "sun") == ["e1", "f1", "g1", "g2", "f2", "g3", "g4", "x"]


def test_group_order_with_the_lottery():
    instance = make({"sun": 1}, [(x, 2, 1, ["sun"]) for x in "pqrst"], tie_break="lottery")
    assert group_order(instance, "sun") == sorted("pqrst", key=lambda x: lottery_number(bytes.fromhex(SEED), x))


@given(instance=instances(policy="match"))
def test_group_order_under_match_agrees_with_the_engine(instance):
    # Whoever comes before one of a group's holders in its order and is not held there got a group they prefer.
    result = allocate(instance)
    by_id = {a.id: a for a in instance.applicants}
    for group in instance.groups:
        order = group_order(instance, group.id)
        assert sorted(order) == sorted(a.id for a in instance.applicants if group.id in a.preferences)
        held = [i for i, x in enumerate(order) if result.assignments[x] == group.id]
        for x in order[: held[-1]] if held else []:
            own = result.assignments[x]
            if own != group.id:
                preferences = by_id[x].preferences
                assert own is not None and preferences.index(own) < preferences.index(group.id)


def test_group_order_refuses_an_unknown_group():
    with pytest.raises(InvalidAllocationInput, match="star is not a group of this round"):
        group_order(make({"sun": 1}, []), "star")
