"""The public allocation format "kezek.allocation/1": value objects, validation and canonical JSON.

The format is documented in docs/allocation-format.md; a published round's input and result are written with
``input_to_json_bytes`` and ``result_to_json_bytes`` so that anyone re-running ``kezek allocate`` gets the same
bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from kezek.domain.errors import InvalidInput, gettext_noop

INPUT_FORMAT = "kezek.allocation/1"
RESULT_FORMAT = "kezek.allocation-result/1"
TIE_BREAKS = ("lottery", "registered_at")
POLICIES = ("match", "queue")
MAX_CLASS = 2**31 - 1
NO_OVERRIDES: Mapping[str, int] = MappingProxyType({})
# Figures that depend on the machine, left out of a reproducible result.
MACHINE_STATS = ("solve_seconds", "solve_cpu_seconds")

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_TOP_FIELDS = frozenset({"format", "seed", "tie_break", "policy", "groups", "applicants", "rotation"})
_GROUP_FIELDS = frozenset({"id", "capacity"})
_APPLICANT_FIELDS = frozenset({"id", "priority", "registered_at", "preferences", "group_priority"})
_ROTATION_FIELDS = ("first_priority_class", "general_class", "first_priority", "general")


class InvalidAllocationInput(InvalidInput):
    code = "allocation_input_invalid"
    message = gettext_noop("The allocation input is not valid.")
    hint = gettext_noop("See docs/allocation-format.md for the format of an allocation input.")


@dataclass(frozen=True, slots=True)
class Group:
    """A group (a kindergarten's age group) and the number of places the round fills in it."""

    id: str
    capacity: int


@dataclass(frozen=True, slots=True)
class Applicant:
    """A child in the round: class (lower is better), registration time, ranked groups, per-group classes."""

    id: str
    priority: int
    registered_at: str
    preferences: tuple[str, ...]
    group_priority: Mapping[str, int] = NO_OVERRIDES


def _slot_setters(cls: type) -> tuple[Any, ...]:
    return tuple(cls.__dict__[name].__set__ for name in cls.__slots__)


_APPLICANT_SETTERS = _slot_setters(Applicant)


def _applicant_unchecked(applicant_id: str, priority: int, registered_at: str, preferences: tuple[str, ...]) -> Applicant:
    """Build an already-checked applicant by setting its slots directly.

    A frozen dataclass's generated ``__init__`` goes through ``object.__setattr__`` field by field, which costs
    about a second per million applicants more than this.
    """
    applicant = object.__new__(Applicant)
    set_id, set_priority, set_registered_at, set_preferences, set_group_priority = _APPLICANT_SETTERS
    set_id(applicant, applicant_id)
    set_priority(applicant, priority)
    set_registered_at(applicant, registered_at)
    set_preferences(applicant, preferences)
    set_group_priority(applicant, NO_OVERRIDES)
    return applicant


@dataclass(frozen=True, slots=True)
class Rotation:
    """The queue policy's rotation: ``first_priority`` places of one class, then ``general`` places of the other."""

    first_priority_class: int = 1
    general_class: int = 2
    first_priority: int = 1
    general: int = 3


@dataclass(frozen=True, slots=True)
class AllocationInput:
    """One allocation instance, as read from the public format."""

    seed_hex: str
    tie_break: str
    policy: str
    groups: tuple[Group, ...]
    applicants: tuple[Applicant, ...]
    rotation: Rotation | None = None

    @property
    def seed(self) -> bytes:
        return bytes.fromhex(self.seed_hex)


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """Each applicant's group (None: no place) and the round's figures."""

    assignments: dict[str, str | None]
    stats: dict[str, Any]


# --- validation -------------------------------------------------------------------------------------------


def _fail(message: str, **params: Any) -> InvalidAllocationInput:
    return InvalidAllocationInput(message, **params)


def _unknown_fields(record: dict, allowed: frozenset[str], where: str) -> None:
    if not allowed.issuperset(record):
        field = sorted(set(record) - allowed)[0]
        raise _fail(gettext_noop("%(field)s is not a field of the allocation format."), field=f"{where}{field}")


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise _fail(gettext_noop("%(field)s must be an object."), field=field)
    return value


def _list(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise _fail(gettext_noop("%(field)s must be a list."), field=field)
    return value


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value or not value.isprintable():
        raise _fail(gettext_noop("%(field)s must be a non-empty text without control characters."), field=field)
    return value


def _count(value: Any, field: str, *, maximum: int = MAX_CLASS) -> int:
    if type(value) is not int or not 0 <= value <= maximum:
        raise _fail(gettext_noop("%(field)s must be a whole number from 0 to %(maximum)s."), field=field, maximum=maximum)
    return value


def _choice(value: Any, field: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(gettext_noop("%(field)s must be one of: %(allowed)s."), field=field, allowed=", ".join(allowed))
    return value


def parse_registered_at(value: str) -> dt.datetime:
    """An ISO 8601 date and time; one without a UTC offset is taken as UTC."""
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _moment(value: Any, field: str) -> str:
    if isinstance(value, str):
        try:
            parse_registered_at(value)
            return value
        except ValueError:
            pass
    raise _fail(gettext_noop("%(field)s must be an ISO 8601 date and time, for example 2024-03-01T09:30:00+05:00."), field=field)


def _groups(raw: Any) -> tuple[Group, ...]:
    groups = []
    seen: set[str] = set()
    for i, record in enumerate(_list(raw, "groups")):
        where = f"groups[{i}]"
        _unknown_fields(_object(record, where), _GROUP_FIELDS, f"{where}.")
        group_id = _text(record.get("id"), f"{where}.id")
        if group_id in seen:
            raise _fail(gettext_noop("The group id %(id)s appears more than once."), id=group_id)
        seen.add(group_id)
        groups.append(Group(id=group_id, capacity=_count(record.get("capacity"), f"{where}.capacity")))
    return tuple(groups)


def _overrides(raw: Any, where: str, applicant_id: str, group_ids: frozenset[str]) -> Mapping[str, int]:
    if raw is None or raw == {}:
        return NO_OVERRIDES
    overrides = {}
    for group_id, value in _object(raw, f"{where}.group_priority").items():
        if group_id not in group_ids:
            raise _fail(
                gettext_noop("Applicant %(id)s has a priority class for %(group)s, which is not a group of this round."),
                id=applicant_id, group=group_id,
            )
        overrides[group_id] = _count(value, f"{where}.group_priority.{group_id}")
    return MappingProxyType(overrides)


def _preferences(raw: Any, where: str, applicant_id: str, group_ids: frozenset[str]) -> tuple[str, ...]:
    preferences = tuple(_list(raw, f"{where}.preferences"))
    unknown = [p for p in preferences if not isinstance(p, str) or p not in group_ids]
    if unknown:
        raise _fail(
            gettext_noop("Applicant %(id)s lists %(group)s, which is not a group of this round."),
            id=applicant_id, group=str(unknown[0]),
        )
    if len(set(preferences)) != len(preferences):
        twice = next(p for i, p in enumerate(preferences) if p in preferences[:i])
        raise _fail(gettext_noop("Applicant %(id)s lists the group %(group)s twice."), id=applicant_id, group=twice)
    return preferences


def _applicant(i: int, record: Any, group_ids: frozenset[str]) -> Applicant:
    where = f"applicants[{i}]"
    _unknown_fields(_object(record, where), _APPLICANT_FIELDS, f"{where}.")
    applicant_id = _text(record.get("id"), f"{where}.id")
    return Applicant(
        id=applicant_id,
        priority=_count(record.get("priority"), f"{where}.priority"),
        registered_at=_moment(record.get("registered_at"), f"{where}.registered_at"),
        preferences=_preferences(record.get("preferences"), where, applicant_id, group_ids),
        group_priority=_overrides(record.get("group_priority"), where, applicant_id, group_ids),
    )


def _applicants(raw: Any, group_ids: frozenset[str]) -> tuple[Applicant, ...]:
    applicants = []
    append = applicants.append
    fields, fromisoformat = _APPLICANT_FIELDS, dt.datetime.fromisoformat
    # The common case is checked inline with no per-field work (a national round has a million applicants);
    # anything unusual goes through _applicant, which names the field that is wrong.
    for i, record in enumerate(_list(raw, "applicants")):
        try:
            applicant_id = record["id"]
            priority = record["priority"]
            registered_at = record["registered_at"]
            preferences = record["preferences"]
            fromisoformat(registered_at)
            if (
                len(record) == 4
                and fields.issuperset(record)
                and type(applicant_id) is str
                and applicant_id
                and applicant_id.isprintable()
                and type(priority) is int
                and 0 <= priority <= MAX_CLASS
                and type(preferences) is list
                and group_ids.issuperset(preferences)
                and len(set(preferences)) == len(preferences)
            ):
                append(_applicant_unchecked(applicant_id, priority, registered_at, tuple(preferences)))
                continue
        except (KeyError, TypeError, ValueError):
            pass
        append(_applicant(i, record, group_ids))
    ids = [a.id for a in applicants]
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        twice = next(x for x in ids if x in seen or seen.add(x))
        raise _fail(gettext_noop("The applicant id %(id)s appears more than once."), id=twice)
    return tuple(applicants)


def _rotation(raw: Any, policy: str) -> Rotation | None:
    if raw is None:
        return None
    record = _object(raw, "rotation")
    if policy != "queue":
        raise _fail(gettext_noop("rotation applies only to the queue policy."))
    _unknown_fields(record, frozenset(_ROTATION_FIELDS), "rotation.")
    defaults = Rotation()
    values = {name: _count(record.get(name, getattr(defaults, name)), f"rotation.{name}") for name in _ROTATION_FIELDS}
    rotation = Rotation(**values)
    if rotation.first_priority_class >= rotation.general_class:
        raise _fail(gettext_noop("rotation.first_priority_class must be lower than rotation.general_class."))
    return rotation


def parse_allocation_input(data: Any) -> AllocationInput:
    """Read and check an allocation input in the public format (rule: anything unclear is refused, naming the field)."""
    if not isinstance(data, dict):
        raise _fail(gettext_noop("The allocation input must be a JSON object."))
    _unknown_fields(data, _TOP_FIELDS, "")
    if data.get("format") != INPUT_FORMAT:
        raise _fail(gettext_noop("format must be %(expected)s."), expected=f'"{INPUT_FORMAT}"')
    tie_break = _choice(data.get("tie_break"), "tie_break", TIE_BREAKS)
    policy = _choice(data.get("policy", "match"), "policy", POLICIES)
    seed = data.get("seed", "")
    if not isinstance(seed, str) or not _HEX.fullmatch(seed) or (tie_break == "lottery" and not seed):
        raise _fail(gettext_noop("seed must be the round's seed as an even number of hexadecimal digits."))
    rotation = _rotation(data.get("rotation"), policy)
    groups = _groups(data.get("groups"))
    applicants = _applicants(data.get("applicants"), frozenset(g.id for g in groups))
    return AllocationInput(
        seed_hex=seed, tie_break=tie_break, policy=policy, groups=groups, applicants=applicants, rotation=rotation
    )


# --- canonical JSON ---------------------------------------------------------------------------------------


def canonical_json_bytes(data: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8 and a final newline: the same data always gives the same bytes."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def input_to_json_bytes(instance: AllocationInput) -> bytes:
    """The input in the public format, as a round publishes it."""

    def applicant(a: Applicant) -> dict[str, Any]:
        record = {"id": a.id, "priority": a.priority, "registered_at": a.registered_at, "preferences": list(a.preferences)}
        if a.group_priority:
            record["group_priority"] = dict(a.group_priority)
        return record

    data: dict[str, Any] = {
        "format": INPUT_FORMAT,
        "seed": instance.seed_hex,
        "tie_break": instance.tie_break,
        "policy": instance.policy,
        "groups": [{"id": g.id, "capacity": g.capacity} for g in instance.groups],
        "applicants": [applicant(a) for a in instance.applicants],
    }
    if instance.rotation is not None:
        data["rotation"] = {name: getattr(instance.rotation, name) for name in _ROTATION_FIELDS}
    return canonical_json_bytes(data)


def result_to_json_bytes(result: AllocationResult, *, reproducible: bool) -> bytes:
    """The result in the public format; ``reproducible`` leaves out the figures that depend on the machine."""
    stats = {k: v for k, v in result.stats.items() if not (reproducible and k in MACHINE_STATS)}
    return canonical_json_bytes({"format": RESULT_FORMAT, "assignments": result.assignments, "stats": stats})
