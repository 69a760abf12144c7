"""The public format "kezek.allocation/1": what is accepted, what is refused and why, canonical JSON."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given

from kezek.domain.allocation import (
    AllocationResult,
    Applicant,
    Group,
    InvalidAllocationInput,
    Rotation,
    allocate,
    input_to_json_bytes,
    parse_allocation_input,
    result_to_json_bytes,
)
from tests.unit.domain.allocation_strategies import instances

SEED = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"


def valid() -> dict:
    return {
        "format": "kezek.allocation/1",
        "seed": SEED,
        "tie_break": "lottery",
        "groups": [{"id": "sun", "capacity": 1}, {"id": "moon", "capacity": 2}],
        "applicants": [
            {"id": "A1", "priority": 2, "registered_at": "2024-03-01T09:30:00+05:00", "preferences": ["sun", "moon"]},
            {
                "id": "A2", "priority": 1, "registered_at": "2024-03-02", "preferences": ["moon"],
                "group_priority": {"moon": 0},
            },
        ],
    }


def test_a_valid_input_is_read_with_defaults():
    instance = parse_allocation_input(valid())
    assert instance.policy == "match" and instance.rotation is None and instance.tie_break == "lottery"
    assert instance.groups == (Group(id="sun", capacity=1), Group(id="moon", capacity=2))
    first, second = instance.applicants
    assert first == Applicant(id="A1", priority=2, registered_at="2024-03-01T09:30:00+05:00", preferences=("sun", "moon"))
    assert dict(first.group_priority) == {} and dict(second.group_priority) == {"moon": 0}
    assert instance.seed == bytes.fromhex(SEED)


def test_queue_policy_with_a_rotation_and_its_defaults():
    data = valid() | {"policy": "queue", "rotation": {"general": 2}}
    instance = parse_allocation_input(data)
    assert instance.rotation == Rotation(first_priority_class=1, general_class=2, first_priority=1, general=2)


def test_registered_at_tie_break_needs_no_seed():
    data = valid() | {"tie_break": "registered_at"}
    del data["seed"]
    assert parse_allocation_input(data).seed_hex == ""


def _set(data: dict, path: str, value) -> dict:
    """Set (or with value ... delete) a dotted path such as applicants.0.priority in a copy."""
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    key = int(last) if isinstance(target, list) else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return data


BAD = [
    # (path, value, words the message must contain)
    ("format", "kezek.allocation/2", ["format must be", "kezek.allocation/1"]),
    ("format", ..., ["format must be"]),
    ("surprise", 1, ["surprise is not a field"]),
    ("tie_break", "coin", ["tie_break must be one of: lottery, registered_at"]),
    ("policy", "fastest", ["policy must be one of: match, queue"]),
    ("seed", "xyz", ["seed must be"]),
    ("seed", "abc", ["seed must be"]),
    ("seed", " ab", ["seed must be"]),
    ("seed", "", ["seed must be"]),
    ("seed", 12, ["seed must be"]),
    ("rotation", {"general": 3}, ["rotation applies only to the queue policy"]),
    ("groups", {}, ["groups must be a list"]),
    ("groups.0", "sun", ["groups[0] must be an object"]),
    ("groups.0.colour", "red", ["groups[0].colour is not a field"]),
    ("groups.1.id", "sun", ["The group id sun appears more than once"]),
    ("groups.1.id", "", ["groups[1].id must be a non-empty text"]),
    ("groups.1.id", "moon\n", ["groups[1].id must be a non-empty text"]),
    ("groups.0.capacity", -1, ["groups[0].capacity must be a whole number from 0 to"]),
    ("groups.0.capacity", 1.5, ["groups[0].capacity must be a whole number"]),
    ("groups.0.capacity", True, ["groups[0].capacity must be a whole number"]),
    ("groups.0.capacity", ..., ["groups[0].capacity must be a whole number"]),
    ("applicants", None, ["applicants must be a list"]),
    ("applicants.1", ["A2"], ["applicants[1] must be an object"]),
    ("applicants.1.groups", ["moon"], ["applicants[1].groups is not a field"]),
    ("applicants.1.id", ..., ["applicants[1].id must be a non-empty text"]),
    ("applicants.1.id", 7, ["applicants[1].id must be a non-empty text"]),
    ("applicants.1.id", "A1", ["The applicant id A1 appears more than once"]),
    ("applicants.0.priority", "2", ["applicants[0].priority must be a whole number"]),
    ("applicants.0.priority", 2**31, ["applicants[0].priority must be a whole number from 0 to 2147483647"]),
    ("applicants.0.registered_at", "yesterday", ["applicants[0].registered_at must be an ISO 8601 date and time"]),
    ("applicants.0.registered_at", "2024-02-30T10:00:00", ["applicants[0].registered_at must be an ISO 8601"]),
    ("applicants.0.registered_at", 20240301, ["applicants[0].registered_at must be an ISO 8601"]),
    ("applicants.0.registered_at", ..., ["applicants[0].registered_at must be an ISO 8601"]),
    ("applicants.0.preferences", "sun", ["applicants[0].preferences must be a list"]),
    ("applicants.0.preferences", ..., ["applicants[0].preferences must be a list"]),
    ("applicants.0.preferences", ["sun", "star"], ["Applicant A1 lists star, which is not a group of this round"]),
    ("applicants.0.preferences", [["sun"]], ["Applicant A1 lists ['sun'], which is not a group of this round"]),
    ("applicants.0.preferences", ["sun", "moon", "sun"], ["Applicant A1 lists the group sun twice"]),
    ("applicants.1.group_priority", {"star": 0}, ["Applicant A2 has a priority class for star, which is not a group"]),
    ("applicants.1.group_priority", ["moon"], ["applicants[1].group_priority must be an object"]),
    ("applicants.1.group_priority", {"moon": -1}, ["applicants[1].group_priority.moon must be a whole number"]),
]


@pytest.mark.parametrize(("path", "value", "words"), BAD, ids=[f"{p}={v!r}" for p, v, _ in BAD])
def test_bad_input_is_refused_naming_the_field(path, value, words):
    with pytest.raises(InvalidAllocationInput) as caught:
        parse_allocation_input(_set(valid(), path, value))
    error = caught.value
    assert error.code == "allocation_input_invalid" and error.kind == "invalid"
    assert "docs/allocation-format.md" in error.hint
    for word in words:
        assert word in str(error)


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_input_that_is_not_an_object_is_refused(data):
    with pytest.raises(InvalidAllocationInput, match="The allocation input must be a JSON object"):
        parse_allocation_input(data)


@pytest.mark.parametrize(
    ("rotation", "words"),
    [
        ([1, 3], "rotation must be an object"),
        ({"general": -1}, "rotation.general must be a whole number"),
        ({"first_priority_class": 2, "general_class": 2}, "rotation.first_priority_class must be lower than"),
        ({"every": 3}, "rotation.every is not a field"),
    ],
)
def test_bad_rotation_is_refused(rotation, words):
    with pytest.raises(InvalidAllocationInput, match=words):
        parse_allocation_input(valid() | {"policy": "queue", "rotation": rotation})


def test_an_empty_group_priority_is_no_override():
    data = _set(valid(), "applicants.1.group_priority", {})
    assert dict(parse_allocation_input(data).applicants[1].group_priority) == {}


def test_registered_at_without_offset_is_accepted():
    data = _set(valid(), "applicants.0.registered_at", "2024-03-01T09:30:00")
    assert parse_allocation_input(data).applicants[0].registered_at == "2024-03-01T09:30:00"


def test_input_json_is_canonical_and_reads_back_to_the_same_instance():
    instance = parse_allocation_input(valid() | {"policy": "queue", "rotation": {"general": 3}})
    written = input_to_json_bytes(instance)
    assert written.endswith(b"}\n") and b": " not in written and b", " not in written
    data = json.loads(written)
    assert list(data) == sorted(data)
    assert data["applicants"][0] == {
        "id": "A1", "preferences": ["sun", "moon"], "priority": 2, "registered_at": "2024-03-01T09:30:00+05:00"
    }
    assert data["rotation"] == {"first_priority": 1, "first_priority_class": 1, "general": 3, "general_class": 2}
    assert parse_allocation_input(data) == instance
    assert input_to_json_bytes(parse_allocation_input(data)) == written


@given(instance=instances())
def test_any_instance_survives_a_round_trip(instance):
    assert parse_allocation_input(json.loads(input_to_json_bytes(instance))) == instance


def test_result_json_is_canonical_utf8_and_reproducible_leaves_out_machine_figures():
    result = AllocationResult(
        assignments={"Б": "sun", "A": None}, stats={"assigned": 1, "solve_seconds": 0.25, "solve_cpu_seconds": 0.2}
    )
    assert result_to_json_bytes(result, reproducible=True) == (
        '{"assignments":{"A":null,"Б":"sun"},"format":"kezek.allocation-result/1","stats":{"assigned":1}}\n'.encode()
    )
    full = json.loads(result_to_json_bytes(result, reproducible=False))
    assert full["stats"] == {"assigned": 1, "solve_seconds": 0.25, "solve_cpu_seconds": 0.2}


def test_two_runs_give_identical_reproducible_bytes():
    instance = parse_allocation_input(valid())
    first = result_to_json_bytes(allocate(instance), reproducible=True)
    assert first == result_to_json_bytes(allocate(parse_allocation_input(valid())), reproducible=True)
    assert json.loads(first)["assignments"] == {"A1": "sun", "A2": "moon"}
