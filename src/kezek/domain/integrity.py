"""Phantom enrolments ("dead souls"): the scan's rules, the review of flags, suspensions and disputes.

Pure rules over plain rows: the caller reads the rows with a few set-based queries and gives the clock and
the region's numbers. Each rule returns findings; a finding's fingerprint names the fact it is about, so a
nightly scan that finds the same fact again adds nothing (the flag is stored once).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kezek.domain.errors import Conflict, InvalidInput, gettext_noop
from kezek.domain.iin import age_in_months
from kezek.domain.workdays import _calendar as national_calendar
from kezek.domain.workdays import is_working_day

MAX_NOTE_CHARS = 2000
# A provider is flagged when parents' upheld contested days exceed this share of its present marks ...
CONTESTED_RATIO_THRESHOLD = 0.2
# ... and there are at least this many, so one contested day in a small section is not a pattern.
CONTESTED_MIN_DAYS = 3
# A section whose schedule names a start time only: a session starting this far from it is off schedule.
SCHEDULE_SLACK = dt.timedelta(minutes=60)


class FlagKind(StrEnum):
    NO_ATTENDANCE = "no_attendance"
    OVERLAPPING_PRESENCE = "overlapping_presence"
    TOO_MANY_SECTIONS = "too_many_sections"
    HOLIDAY_ATTENDANCE = "holiday_attendance"
    OFF_SCHEDULE = "off_schedule"
    AGE_OUTSIDE_RANGE = "age_outside_range"
    MARKS_CONTESTED = "marks_contested"
    OVER_CAPACITY = "over_capacity"
    TWO_VOUCHERS = "two_vouchers"


class FlagStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class DisputeStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class SuspensionStatus(StrEnum):
    SUSPENDED = "suspended"
    LIFTED = "lifted"  # attendance came back, or a dispute settled the place
    RELEASED = "released"  # the grace period ended: the place went back to the campaign or the queue


FLAG_TRANSITIONS: dict[FlagStatus, frozenset[FlagStatus]] = {
    FlagStatus.OPEN: frozenset({FlagStatus.CONFIRMED, FlagStatus.DISMISSED}),
    FlagStatus.CONFIRMED: frozenset(),
    FlagStatus.DISMISSED: frozenset(),
}
DISPUTE_TRANSITIONS: dict[DisputeStatus, frozenset[DisputeStatus]] = {
    DisputeStatus.OPEN: frozenset({DisputeStatus.UPHELD, DisputeStatus.REJECTED}),
    DisputeStatus.UPHELD: frozenset(),
    DisputeStatus.REJECTED: frozenset(),
}
SUSPENSION_TRANSITIONS: dict[SuspensionStatus, frozenset[SuspensionStatus]] = {
    SuspensionStatus.SUSPENDED: frozenset({SuspensionStatus.LIFTED, SuspensionStatus.RELEASED}),
    SuspensionStatus.LIFTED: frozenset(),
    SuspensionStatus.RELEASED: frozenset(),
}


# --- errors ------------------------------------------------------------------------------------------


class FlagAlreadyReviewed(Conflict):
    code = "flag_already_reviewed"
    message = gettext_noop("This flag was already %(current)s.")
    hint = gettext_noop("Reload the list to see the flags still open.")


class DisputeAlreadyDecided(Conflict):
    code = "dispute_already_decided"
    message = gettext_noop("This dispute was already %(current)s.")
    hint = gettext_noop("Reload the page to see the decision.")


class SuspensionNotOpen(Conflict):
    code = "suspension_not_open"
    message = gettext_noop("This suspension already ended (%(current)s).")
    hint = gettext_noop("Reload the page to see the place's current state.")


class NoteRequired(InvalidInput):
    code = "note_required"
    message = gettext_noop("Write a note or a reason for this decision.")
    hint = gettext_noop("One or two sentences the provider and the family can read.")


class InvalidSinceDate(InvalidInput):
    code = "dispute_since_invalid"
    message = gettext_noop("The date must be between %(start)s and today.")
    hint = gettext_noop("Give the first day the child did not attend, or leave it empty.")


def _check(table: dict, current: StrEnum, target: StrEnum, error: type[Conflict]) -> None:
    if target not in table[current]:
        raise error(current=current.value)


def check_flag_transition(current: str, target: str) -> None:
    """Refuse a second review of a flag (rule: an officer confirms or dismisses an open flag once)."""
    _check(FLAG_TRANSITIONS, FlagStatus(current), FlagStatus(target), FlagAlreadyReviewed)


def check_dispute_transition(current: str, target: str) -> None:
    """Refuse a second decision on a dispute (rule: an open dispute is upheld or rejected once)."""
    _check(DISPUTE_TRANSITIONS, DisputeStatus(current), DisputeStatus(target), DisputeAlreadyDecided)


def check_suspension_transition(current: str, target: str) -> None:
    """Refuse ending a suspension twice (rule: a suspension is lifted or released once)."""
    _check(SUSPENSION_TRANSITIONS, SuspensionStatus(current), SuspensionStatus(target), SuspensionNotOpen)


def clean_note(note: str | None, *, required: bool) -> str:
    """A reviewer's note or a decision's reason, trimmed; refused when empty where a reason is required."""
    text = (note or "").strip()
    if required and not text:
        raise NoteRequired()
    return text[:MAX_NOTE_CHARS]


# --- findings ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One suspicious fact: its kind, what it is about (``subject``), the keys that identify it, the evidence."""

    kind: FlagKind
    subject: str  # e.g. "enrolment:12", "child:7", "group:3", "organisation:5", "session:40"
    key: str  # what makes this fact distinct from another fact of the same subject (a date, a pair of ids)
    evidence: dict[str, Any] = field(default_factory=dict)
    group_id: int | None = None
    organisation_id: int | None = None
    child_id: int | None = None

    @property
    def fingerprint(self) -> str:
        """SHA-256 of kind, subject and key: the same fact found again has the same fingerprint."""
        return hashlib.sha256(f"{self.kind}|{self.subject}|{self.key}".encode()).hexdigest()


@dataclass(frozen=True)
class Seat:
    """A child's place: an active kindergarten enrolment or a seated club voucher, with its last attendance."""

    kind: str  # "enrolment" | "voucher"
    pk: int
    child_id: int
    group_id: int
    organisation_id: int
    started_on: dt.date
    birth_date: dt.date
    age_min_months: int
    age_max_months: int
    last_attended: dt.date | None
    no_attendance_weeks: int

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.pk}"


def days_without_attendance(seat: Seat, *, today: dt.date) -> int:
    """Days since the seat's last attendance, or since it started when the child never came."""
    reference = max(seat.last_attended or seat.started_on, seat.started_on)
    return (today - reference).days


def is_unattended(seat: Seat, *, today: dt.date) -> bool:
    """The region's rule: no attendance for ``no_attendance_weeks`` weeks (a week-old place is not judged yet)."""
    return days_without_attendance(seat, today=today) >= seat.no_attendance_weeks * 7


def rule_no_attendance(seats: Iterable[Seat], *, today: dt.date) -> list[Finding]:
    """An enrolment or voucher with no attendance for N weeks (rule: region's no_attendance_weeks)."""
    found = []
    for seat in seats:
        if is_unattended(seat, today=today):
            since = seat.last_attended or seat.started_on
            found.append(Finding(
                FlagKind.NO_ATTENDANCE, seat.subject, since.isoformat(),
                {"last_attended": seat.last_attended.isoformat() if seat.last_attended else None,
                 "started_on": seat.started_on.isoformat(), "days": days_without_attendance(seat, today=today),
                 "weeks_rule": seat.no_attendance_weeks},
                group_id=seat.group_id, organisation_id=seat.organisation_id, child_id=seat.child_id,
            ))
    return found


def rule_age_outside_range(seats: Iterable[Seat], *, today: dt.date) -> list[Finding]:
    """A child whose age today is outside the group's or section's range (rule: ages from the birth date)."""
    found = []
    for seat in seats:
        months = age_in_months(seat.birth_date, today)
        if not seat.age_min_months <= months <= seat.age_max_months:
            found.append(Finding(
                FlagKind.AGE_OUTSIDE_RANGE, seat.subject, f"{seat.age_min_months}-{seat.age_max_months}",
                {"age_months": months, "range_months": [seat.age_min_months, seat.age_max_months],
                 "birth_date": seat.birth_date.isoformat()},
                group_id=seat.group_id, organisation_id=seat.organisation_id, child_id=seat.child_id,
            ))
    return found


@dataclass(frozen=True)
class Presence:
    """A child marked present at one session, with the session's local times."""

    child_id: int
    session_id: int
    group_id: int
    organisation_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def rule_overlapping_presence(presences: Iterable[Presence]) -> list[Finding]:
    """A child marked present in two groups at overlapping times (rule: one child, one place at a time)."""
    by_child: dict[int, list[Presence]] = defaultdict(list)
    for presence in presences:
        by_child[presence.child_id].append(presence)
    found = []
    for child_id, rows in by_child.items():
        rows.sort(key=lambda p: (p.starts_at, p.session_id))
        for i, first in enumerate(rows):
            for second in rows[i + 1:]:
                if second.starts_at >= first.ends_at:
                    break
                if second.group_id == first.group_id:
                    continue
                found.append(Finding(
                    FlagKind.OVERLAPPING_PRESENCE, f"child:{child_id}", f"{first.session_id}-{second.session_id}",
                    {"sessions": [
                        {"session_id": p.session_id, "group_id": p.group_id, "starts_at": p.starts_at.isoformat(),
                         "ends_at": p.ends_at.isoformat()} for p in (first, second)
                    ]},
                    group_id=second.group_id, organisation_id=second.organisation_id, child_id=child_id,
                ))
    return found


def rule_too_many_sections(sections_by_child: dict[int, Sequence[int]], *, limits: dict[int, int]) -> list[Finding]:
    """A child in more club sections than the region allows (rule: max_sections_per_child).

    ``sections_by_child``: child -> distinct section ids; ``limits``: child -> the region's maximum.
    """
    found = []
    for child_id, sections in sections_by_child.items():
        limit = limits[child_id]
        if len(sections) > limit:
            ids = sorted(sections)
            found.append(Finding(
                FlagKind.TOO_MANY_SECTIONS, f"child:{child_id}", ",".join(map(str, ids)),
                {"sections": ids, "count": len(ids), "limit": limit}, child_id=child_id,
            ))
    return found


def public_holiday_name(day: dt.date) -> str | None:
    """The Kazakhstan public holiday on ``day`` (None on other days, weekends included)."""
    return national_calendar(day.year).get(day)


@dataclass(frozen=True)
class SessionRow:
    """A session with children marked present: its group's schedule text and the provider kind."""

    session_id: int
    group_id: int
    organisation_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    schedule: str
    kindergarten: bool
    present: int


def rule_holiday_attendance(sessions: Iterable[SessionRow]) -> list[Finding]:
    """Children marked present on a public holiday (rule: the national calendar, kezek.domain.workdays)."""
    found = []
    for row in sessions:
        name = public_holiday_name(row.starts_at.date())
        if name:
            found.append(Finding(
                FlagKind.HOLIDAY_ATTENDANCE, f"session:{row.session_id}", row.starts_at.date().isoformat(),
                {"date": row.starts_at.date().isoformat(), "holiday": name, "present": row.present},
                group_id=row.group_id, organisation_id=row.organisation_id,
            ))
    return found


_DAY_WORDS = {
    0: ("mon", "пн", "пон", "дс", "дүй"),
    1: ("tue", "вт", "сс", "сей"),
    2: ("wed", "ср", "сәр"),
    3: ("thu", "чт", "чет", "бс", "бей"),
    4: ("fri", "пт", "пят", "жм", "жұм"),
    5: ("sat", "сб", "суб", "сн", "сен"),
    6: ("sun", "вс", "вос", "жс", "жек"),
}
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Schedule:
    days: frozenset[int]
    start: dt.time | None = None
    end: dt.time | None = None


def parse_schedule(text: str) -> Schedule | None:
    """A section's schedule text ("Пн, Ср 16:00–17:30", "Mon, Thu 15:00") as weekdays and times; None if unreadable."""
    days = set()
    for word in _WORD.findall(text.lower()):
        for weekday, prefixes in _DAY_WORDS.items():
            if any(word.startswith(p) for p in prefixes):
                days.add(weekday)
    if not days:
        return None
    times = [dt.time(int(h), int(m)) for h, m in _TIME.findall(text) if int(h) < 24 and int(m) < 60]
    return Schedule(frozenset(days), times[0] if times else None, times[1] if len(times) > 1 else None)


KINDERGARTEN_SCHEDULE = Schedule(frozenset(range(5)))


def _minutes(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute


def outside_schedule(row: SessionRow) -> str | None:
    """Why a session falls outside its section's schedule (None when inside, or the schedule is unreadable).

    Kindergartens work Kazakhstan's working days; a club section keeps the weekdays and times its schedule names.
    """
    if row.kindergarten and is_working_day(row.starts_at.date()):
        return None  # a weekend day the government made a working day: kindergartens work it too
    schedule = KINDERGARTEN_SCHEDULE if row.kindergarten else parse_schedule(row.schedule)
    if schedule is None:
        return None
    if row.starts_at.weekday() not in schedule.days:
        return "weekday"
    if schedule.start is None:
        return None
    start, slack = _minutes(row.starts_at.time()), SCHEDULE_SLACK.seconds // 60
    if schedule.end is None:
        return "time" if abs(start - _minutes(schedule.start)) > slack else None
    ends = _minutes(row.ends_at.time()) if row.ends_at.date() == row.starts_at.date() else 24 * 60
    if start < _minutes(schedule.start) - slack or ends > _minutes(schedule.end) + slack:
        return "time"
    return None


def rule_off_schedule(sessions: Iterable[SessionRow]) -> list[Finding]:
    """Children marked present at a session outside the section's schedule (rule: attendance only as scheduled)."""
    found = []
    for row in sessions:
        why = outside_schedule(row)
        if why:
            found.append(Finding(
                FlagKind.OFF_SCHEDULE, f"session:{row.session_id}", why,
                {"starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat(),
                 "schedule": row.schedule or "Mon-Fri", "reason": why, "present": row.present},
                group_id=row.group_id, organisation_id=row.organisation_id,
            ))
    return found


@dataclass(frozen=True)
class ProviderMarks:
    organisation_id: int
    present_marks: int
    upheld_contested: int


def rule_marks_contested(rows: Iterable[ProviderMarks], *, period: str) -> list[Finding]:
    """A provider whose marks parents contest sharply (rule: upheld contested days / present marks > threshold)."""
    found = []
    for row in rows:
        ratio = row.upheld_contested / row.present_marks if row.present_marks else 1.0
        if row.upheld_contested >= CONTESTED_MIN_DAYS and ratio > CONTESTED_RATIO_THRESHOLD:
            found.append(Finding(
                FlagKind.MARKS_CONTESTED, f"organisation:{row.organisation_id}", period,
                {"present_marks": row.present_marks, "upheld_contested": row.upheld_contested,
                 "ratio": round(ratio, 3), "threshold": CONTESTED_RATIO_THRESHOLD},
                organisation_id=row.organisation_id,
            ))
    return found


@dataclass(frozen=True)
class GroupLoad:
    group_id: int
    organisation_id: int
    capacity: int
    roster: int
    most_present: int


def rule_over_capacity(rows: Iterable[GroupLoad], *, period: str) -> list[Finding]:
    """A group whose roster or busiest session exceeds its capacity (rule: capacity is a hard limit)."""
    found = []
    for row in rows:
        if max(row.roster, row.most_present) > row.capacity:
            found.append(Finding(
                FlagKind.OVER_CAPACITY, f"group:{row.group_id}", period,
                {"capacity": row.capacity, "roster": row.roster, "most_present": row.most_present},
                group_id=row.group_id, organisation_id=row.organisation_id,
            ))
    return found


@dataclass(frozen=True)
class SeatedVoucher:
    voucher_id: int
    child_id: int
    section_id: int
    organisation_id: int


def rule_two_vouchers(vouchers: Iterable[SeatedVoucher]) -> list[Finding]:
    """The same child enrolled with one provider under two vouchers (rule: one child, one payment per provider)."""
    by_pair: dict[tuple[int, int], list[SeatedVoucher]] = defaultdict(list)
    for voucher in vouchers:
        by_pair[(voucher.child_id, voucher.organisation_id)].append(voucher)
    found = []
    for (child_id, organisation_id), rows in by_pair.items():
        if len(rows) > 1:
            ids = sorted(v.voucher_id for v in rows)
            found.append(Finding(
                FlagKind.TWO_VOUCHERS, f"child:{child_id}", ",".join(map(str, ids)),
                {"vouchers": ids, "sections": sorted({v.section_id for v in rows})},
                organisation_id=organisation_id, child_id=child_id,
            ))
    return found


# --- suspension and disputes -------------------------------------------------------------------------


def release_on(*, suspended_on: dt.date, grace_days: int) -> dt.date:
    """The day a suspended place is released if the child has not come back (rule: suspension_grace_days)."""
    return suspended_on + dt.timedelta(days=grace_days)


def check_dispute_since(*, since: dt.date | None, started_on: dt.date, today: dt.date) -> dt.date:
    """The first day the parent says the child did not attend: default the place's start, never in the future."""
    if since is None:
        return started_on
    if not started_on <= since <= today:
        raise InvalidSinceDate(start=started_on.isoformat())
    return since
