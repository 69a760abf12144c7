"""Attendance rules: the parent's rotating check-in code, corrections of marks, monthly sheets and their deadline,
what silence means, and the section schedule that sessions are made from.

Pure rules: the caller gives the clock, the key and the region's numbers as plain values.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from kezek.domain.errors import Conflict, Forbidden, InvalidInput, gettext_noop

QR_WINDOW_SECONDS = 30
QR_CODE_CHARS = 10
MAX_REASON_CHARS = 1000
MAX_BATCH = 500
CLIENT_MARK_ID = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


class MarkStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"


class SheetStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CONTESTED = "contested"
    CONFIRMED_BY_SILENCE = "silent_confirmed"
    UNCONFIRMED = "unconfirmed"


class ContestStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class SilenceMeans(StrEnum):
    CONFIRMED = "confirmed"
    NOT_CONFIRMED = "not_confirmed"


# A parent answers an open sheet once (confirm, or contest days; more days may be contested until the deadline);
# after the deadline the worker turns silence into the region's answer.
SHEET_TRANSITIONS: dict[SheetStatus, frozenset[SheetStatus]] = {
    SheetStatus.OPEN: frozenset(
        {SheetStatus.CONFIRMED, SheetStatus.CONTESTED, SheetStatus.CONFIRMED_BY_SILENCE, SheetStatus.UNCONFIRMED}
    ),
    SheetStatus.CONTESTED: frozenset({SheetStatus.CONTESTED}),
    SheetStatus.CONFIRMED: frozenset(),
    SheetStatus.CONFIRMED_BY_SILENCE: frozenset(),
    SheetStatus.UNCONFIRMED: frozenset(),
}

CONTEST_TRANSITIONS: dict[ContestStatus, frozenset[ContestStatus]] = {
    ContestStatus.OPEN: frozenset({ContestStatus.UPHELD, ContestStatus.REJECTED}),
    ContestStatus.UPHELD: frozenset(),
    ContestStatus.REJECTED: frozenset(),
}


# --- errors ------------------------------------------------------------------------------------------


class CodeExpired(Forbidden):
    code = "checkin_code_expired"
    message = gettext_noop("This check-in code has expired: it changes every 30 seconds.")
    hint = gettext_noop("Scan the code shown at the section now, not a photo taken earlier.")


class CodeInvalid(Forbidden):
    code = "checkin_code_invalid"
    message = gettext_noop("This check-in code is not valid.")
    hint = gettext_noop("Scan the code shown at the section again.")


class ReasonRequired(InvalidInput):
    code = "attendance_reason_required"
    message = gettext_noop("A reason is required to correct a mark after the day of the session.")
    hint = gettext_noop("Write why the mark is being corrected; the correction is recorded.")


class DecisionReasonRequired(InvalidInput):
    code = "attendance_decision_reason_required"
    message = gettext_noop("A reason is required for this decision.")
    hint = gettext_noop("Write why, in a sentence the family can read.")


class InvalidMark(InvalidInput):
    code = "attendance_mark_invalid"
    message = gettext_noop("Mark %(index)s is not valid: %(problem)s.")
    hint = gettext_noop("Each mark needs a client_mark_id (8-64 letters, digits or -_.:), a session_id, a child_id "
                        "and a status of present or absent.")


class BatchTooLarge(InvalidInput):
    code = "attendance_batch_too_large"
    message = gettext_noop("A batch can hold at most %(limit)s marks.")
    hint = gettext_noop("Send the marks in smaller batches.")


class SheetTransitionNotAllowed(Conflict):
    code = "sheet_transition_not_allowed"
    message = gettext_noop("A sheet that is %(current)s cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the sheet's current state.")


class ContestTransitionNotAllowed(Conflict):
    code = "contest_transition_not_allowed"
    message = gettext_noop("This contested day is already %(current)s.")
    hint = gettext_noop("Reload the page to see the current decision.")


class SheetDeadlinePassed(Conflict):
    code = "sheet_deadline_passed"
    message = gettext_noop("The deadline to answer this sheet has passed.")
    hint = gettext_noop("If something is wrong with the month, file an appeal.")


# --- the rotating check-in code ------------------------------------------------------------------------


def qr_key(secret_key: str) -> bytes:
    """The check-in codes' own key, derived from the site's secret so that no other signature can be replayed here."""
    return hashlib.sha256(b"kezek.attendance.checkin:" + secret_key.encode("utf-8")).digest()


def qr_window(moment: float, *, seconds: int = QR_WINDOW_SECONDS) -> int:
    """The number of the ``seconds``-long window that the Unix time ``moment`` falls in."""
    return int(moment // seconds)


def qr_code(*, key: bytes, session_id: int, window: int) -> str:
    """The code of one session in one window: HMAC-SHA256 of both, truncated (rule: the QR changes every 30 s)."""
    digest = hmac.new(key, f"{session_id}:{window}".encode(), hashlib.sha256).hexdigest()
    return digest[:QR_CODE_CHARS]


def check_qr_code(*, key: bytes, session_id: int, window: int, code: str, now: float,
                  seconds: int = QR_WINDOW_SECONDS) -> None:
    """Accept a code only for the current window or the one before (clock skew); refuse older and forged ones."""
    expected = qr_code(key=key, session_id=session_id, window=window)
    if not hmac.compare_digest(expected, (code or "").lower()):
        raise CodeInvalid()
    current = qr_window(now, seconds=seconds)
    if window > current:
        raise CodeInvalid()
    if window < current - 1:
        raise CodeExpired()


# --- marks ---------------------------------------------------------------------------------------------


def clean_reason(reason: str | None) -> str:
    """A reason trimmed to its limit ('' when none was given)."""
    return (reason or "").strip()[:MAX_REASON_CHARS]


def correction_reason(*, session_day: dt.date, today: dt.date, reason: str | None, same_day_only: bool = True) -> str:
    """The reason a correction needs: none on the session's day, a written one later (rule: later corrections audited)."""
    text = clean_reason(reason)
    if same_day_only and today > session_day and not text:
        raise ReasonRequired()
    return text


@dataclass(frozen=True)
class MarkItem:
    client_mark_id: str
    session_id: int
    child_id: int
    status: MarkStatus
    reason: str = ""


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def parse_mark_batch(items: object, *, limit: int = MAX_BATCH) -> list[MarkItem]:
    """Check a batch of marks as the page sends it; refused whole when any item is malformed (nothing saved)."""
    if not isinstance(items, list):
        raise InvalidMark(index=0, problem="a list of marks is expected")
    if len(items) > limit:
        raise BatchTooLarge(limit=limit)
    parsed: list[MarkItem] = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise InvalidMark(index=index, problem="not an object")
        client_id = item.get("client_mark_id")
        if not isinstance(client_id, str) or not CLIENT_MARK_ID.fullmatch(client_id):
            raise InvalidMark(index=index, problem="client_mark_id")
        session_id, child_id = _positive_int(item.get("session_id")), _positive_int(item.get("child_id"))
        if session_id is None or child_id is None:
            raise InvalidMark(index=index, problem="session_id or child_id")
        if item.get("status") not in (MarkStatus.PRESENT, MarkStatus.ABSENT):
            raise InvalidMark(index=index, problem="status")
        reason = item.get("reason") or ""
        if not isinstance(reason, str):
            raise InvalidMark(index=index, problem="reason")
        parsed.append(MarkItem(client_id, session_id, child_id, MarkStatus(item["status"]), clean_reason(reason)))
    return parsed


def latest_per_child(items: list[MarkItem]) -> list[MarkItem]:
    """One mark per session and child, the last tap winning (an offline page may queue several taps)."""
    latest: dict[tuple[int, int], MarkItem] = {}
    for item in items:
        latest.pop((item.session_id, item.child_id), None)
        latest[(item.session_id, item.child_id)] = item
    return list(latest.values())


# --- monthly sheets ------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s."""
    return month_start(month_start(day) - dt.timedelta(days=1))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of ``month``'s month."""
    first = month_start(month)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def sheet_deadline(*, month: dt.date, confirm_by_day: int, tz: dt.tzinfo) -> dt.datetime:
    """Exclusive deadline of a month's sheet: the end of day ``confirm_by_day`` of the next month (rule: region's day,
    the month's last day when it is shorter)."""
    _, last = month_bounds(month)
    next_first = last + dt.timedelta(days=1)
    _, next_last = month_bounds(next_first)
    day = next_first.replace(day=min(max(confirm_by_day, 1), next_last.day))
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def check_sheet_transition(current: str, target: str) -> None:
    """Refuse a sheet status change the table does not allow (rule: a parent answers an open sheet once)."""
    if SheetStatus(target) not in SHEET_TRANSITIONS[SheetStatus(current)]:
        raise SheetTransitionNotAllowed(current=current, target=target)


def check_contest_transition(current: str, target: str) -> None:
    """Refuse a second decision on a contested day (rule: upheld or rejected once)."""
    if ContestStatus(target) not in CONTEST_TRANSITIONS[ContestStatus(current)]:
        raise ContestTransitionNotAllowed(current=current)


def check_before_deadline(*, now: dt.datetime, deadline: dt.datetime) -> None:
    """Refuse a parent's answer at or after the sheet's deadline."""
    if now >= deadline:
        raise SheetDeadlinePassed()


def silence_outcome(silence_means: str) -> SheetStatus:
    """What an unanswered sheet becomes after its deadline (rule: the region says whether silence confirms)."""
    if SilenceMeans(silence_means) is SilenceMeans.CONFIRMED:
        return SheetStatus.CONFIRMED_BY_SILENCE
    return SheetStatus.UNCONFIRMED


def decision_reason(reason: str | None) -> str:
    """A resolution's reason, required (rule: every decision on a contested day is explained)."""
    text = clean_reason(reason)
    if not text:
        raise DecisionReasonRequired()
    return text


# --- schedules -----------------------------------------------------------------------------------------

# Weekday abbreviations as providers write them in Kazakh, Russian and English; Monday is 0.
WEEKDAYS: dict[str, int] = {
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
    "дс": 0, "сс": 1, "бс": 3, "жм": 4, "сн": 5, "жс": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}
_TIME = re.compile(r"\b([01]?\d|2[0-3])[:.]([0-5]\d)\b")
_DAY = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass(frozen=True)
class Slot:
    weekday: int
    starts: dt.time


def parse_schedule(text: str) -> list[Slot]:
    """The weekly slots of a schedule such as "Пн, Ср 16:00; Сб 10:00" (days before a time share it); [] if unreadable."""
    slots: list[Slot] = []
    position = 0
    for match in _TIME.finditer(text or ""):
        words = (w.lower() for w in _DAY.findall(text[position:match.start()]))
        days = [WEEKDAYS[w[:3]] for w in words if w[:3] in WEEKDAYS]
        starts = dt.time(int(match.group(1)), int(match.group(2)))
        slots.extend(Slot(day, starts) for day in days)
        position = match.end()
    return sorted(set(slots), key=lambda s: (s.weekday, s.starts))


def slots_on(day: dt.date, slots: list[Slot]) -> list[dt.time]:
    """Start times of the schedule's slots that fall on ``day``."""
    return [s.starts for s in slots if s.weekday == day.weekday()]
