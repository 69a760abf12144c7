"""Allocation rounds: the status table, the notice and timetable rules, and the published allocation input.

A round is announced at least ``lead_hours`` before it runs; its timetable runs forward (the run, then the
end of the offer phase, then the moment free places open to all). ``allocation_input`` turns plain rows
(no Django) into the ``kezek.allocation/1`` document that the round publishes and anyone can re-run.

Who is in a round's input:
- applications of the round's district in the queue (active) whose age group has places in the round, and
  that chose at least one kindergarten with a matching place (same age group, same language of instruction);
  a child who can be offered nothing here would only make the published file longer;
- each applicant is named by the application's public id only;
- ``preferences`` are the round's places at the chosen kindergartens, in the parent's rank order; a
  kindergarten with two matching groups contributes both, in place-id order;
- ``priority`` is the application's priority class (0 extraordinary, 1 first-priority, 2 general).

Sibling and staff rule (``match`` policy only): a child whose brother or sister (another child of the same
legal representative) is actively enrolled in a kindergarten, or whose legal representative works there (a
provider staff account of that kindergarten linked to the representative), gets the first-priority class,
``min(priority, 1)``, at that kindergarten's places only. It is written into ``group_priority`` only where it
improves the class.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kezek.domain.errors import Conflict, InvalidInput, gettext_noop

ALLOCATION_FORMAT = "kezek.allocation/1"
PLACE_ID_PREFIX = "p"
SIBLING_CLASS = 1
FIRST_PRIORITY_CLASS = 1
GENERAL_CLASS = 2


class RoundStatus(StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    RUNNING = "running"  # a run is requested or under way; places are locked
    RAN = "ran"
    OPEN_TO_ALL = "open_to_all"
    CLOSED = "closed"


ROUND_TRANSITIONS: dict[RoundStatus, frozenset[RoundStatus]] = {
    RoundStatus.DRAFT: frozenset({RoundStatus.ANNOUNCED}),
    RoundStatus.ANNOUNCED: frozenset({RoundStatus.RUNNING}),
    # A failed run leaves the round announced again, as if it had never started.
    RoundStatus.RUNNING: frozenset({RoundStatus.RAN, RoundStatus.ANNOUNCED}),
    RoundStatus.RAN: frozenset({RoundStatus.OPEN_TO_ALL, RoundStatus.CLOSED}),
    RoundStatus.OPEN_TO_ALL: frozenset({RoundStatus.CLOSED}),
    RoundStatus.CLOSED: frozenset(),
}


class RoundTransitionNotAllowed(Conflict):
    code = "round_transition_not_allowed"
    message = gettext_noop("A round that is %(current)s cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the round's current state.")


class NoticeTooShort(InvalidInput):
    code = "round_notice_too_short"
    message = gettext_noop("A round must be announced at least %(hours)s hours before it runs.")
    hint = gettext_noop("Move the run time to %(earliest)s or later, then announce the round.")


class TimetableInvalid(InvalidInput):
    code = "round_timetable_invalid"
    message = gettext_noop("The timetable is out of order: the round runs, then the offer phase ends, then free places open to all.")
    hint = gettext_noop("Set the run time before the end of the offer phase, and the opening to all at or after that end.")


def check_round_transition(current: str, target: str) -> None:
    """Refuse a round status change the transition table does not allow (rule: rounds move only forward)."""
    if RoundStatus(target) not in ROUND_TRANSITIONS[RoundStatus(current)]:
        raise RoundTransitionNotAllowed(current=current, target=target)


def earliest_run_at(*, now: dt.datetime, lead_hours: int) -> dt.datetime:
    """The earliest run time a round announced at ``now`` may have."""
    return now + dt.timedelta(hours=lead_hours)


def check_notice(*, runs_at: dt.datetime, now: dt.datetime, lead_hours: int) -> None:
    """Refuse an announcement less than ``lead_hours`` before the run (rule: rounds are announced ahead)."""
    earliest = earliest_run_at(now=now, lead_hours=lead_hours)
    if runs_at < earliest:
        # Shown in the clock of ``now``: callers pass local time so the officer reads their own clock.
        raise NoticeTooShort(hours=lead_hours, earliest=earliest.strftime("%d.%m.%Y %H:%M"))


def check_timetable(*, runs_at: dt.datetime, offers_close_at: dt.datetime, open_to_all_at: dt.datetime) -> None:
    """Refuse a timetable out of order (rule: runs_at < offers_close_at <= open_to_all_at)."""
    if not (runs_at < offers_close_at <= open_to_all_at):
        raise TimetableInvalid()


def place_allocation_id(place_id: int) -> str:
    """The group id of a round place in the published allocation input and result."""
    return f"{PLACE_ID_PREFIX}{place_id}"


def place_id_from_allocation_id(group_id: str | None) -> int | None:
    """The round place an allocation result names (None: no place)."""
    return None if group_id is None else int(group_id.removeprefix(PLACE_ID_PREFIX))


def iso_utc(moment: dt.datetime) -> str:
    """An aware time as ISO 8601 in UTC with microseconds, the form the published input uses."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PlaceRow:
    """A round's places in one group, as the builder needs them."""

    place_id: int
    organisation_id: int
    age_group: int
    language: str
    places: int


@dataclass(frozen=True)
class ApplicantRow:
    """An application as the builder needs it: its kindergartens in rank order and its siblings' kindergartens."""

    public_id: str
    priority: int
    registered_at: dt.datetime
    age_group: int
    language: str
    kindergartens: tuple[int, ...]
    sibling_kindergartens: frozenset[int] = field(default_factory=frozenset)


def _places_by_choice(places: Iterable[PlaceRow]) -> dict[tuple[int, int, str], list[int]]:
    index: dict[tuple[int, int, str], list[int]] = {}
    for place in sorted(places, key=lambda p: p.place_id):
        index.setdefault((place.organisation_id, place.age_group, place.language), []).append(place.place_id)
    return index


def _applicant(row: ApplicantRow, index: dict[tuple[int, int, str], list[int]], *, siblings: bool) -> dict[str, Any] | None:
    preferences: list[str] = []
    group_priority: dict[str, int] = {}
    sibling_class = min(row.priority, SIBLING_CLASS)
    for organisation_id in row.kindergartens:
        for place_id in index.get((organisation_id, row.age_group, row.language), ()):
            group_id = place_allocation_id(place_id)
            preferences.append(group_id)
            if siblings and organisation_id in row.sibling_kindergartens and sibling_class < row.priority:
                group_priority[group_id] = sibling_class
    if not preferences:
        return None
    applicant: dict[str, Any] = {
        "id": row.public_id,
        "priority": row.priority,
        "registered_at": iso_utc(row.registered_at),
        "preferences": preferences,
    }
    if group_priority:
        applicant["group_priority"] = group_priority
    return applicant


def allocation_input(
    *,
    seed_hex: str,
    policy: str,
    tie_break: str,
    places: Iterable[PlaceRow],
    applicants: Iterable[ApplicantRow],
    rotation: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The ``kezek.allocation/1`` document of a round (rule: published input, applicants pseudonymised).

    ``rotation`` is the region's (first-priority, general) ratio; it is written for the ``queue`` policy only.
    """
    places = list(places)
    index = _places_by_choice(places)
    rows = [_applicant(row, index, siblings=policy == "match") for row in applicants]
    document: dict[str, Any] = {
        "format": ALLOCATION_FORMAT,
        "seed": seed_hex,
        "tie_break": tie_break,
        "policy": policy,
        "groups": [{"id": place_allocation_id(p.place_id), "capacity": p.places} for p in sorted(places, key=lambda p: p.place_id)],
        "applicants": sorted((row for row in rows if row is not None), key=lambda a: a["id"]),
    }
    if policy == "queue" and rotation is not None:
        document["rotation"] = {
            "first_priority_class": FIRST_PRIORITY_CLASS,
            "general_class": GENERAL_CLASS,
            "first_priority": rotation[0],
            "general": rotation[1],
        }
    return document
