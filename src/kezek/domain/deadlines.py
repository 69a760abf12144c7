"""Deadlines of offers and referrals: when an offer lapses, when a contract is due, extensions, reactivation.

Every deadline is returned as an **exclusive**, aware instant: the thing is allowed while ``now < deadline``.

- Working days follow ``kezek.domain.workdays``: the day something happens never counts, and the deadline is
  the end of the N-th Kazakhstan working day after it, i.e. local midnight at the start of the next day.
  An offer made on Mon 17 March 2025 with 2 working days runs to the end of Wed 19 (midnight Thu 20);
  one made on Thu 20 March runs across Nauryz (21-25 March) to the end of Thu 27.
- Calendar hours count elapsed time: an offer made at 22:30 with 2 hours lapses at 00:30 the next day.
- A referral's contract deadline may be extended once, by at most N calendar days from its current deadline.
- An application that became inactive may be reactivated once, within N calendar days.
"""

from __future__ import annotations

import datetime as dt

from kezek.domain.errors import Conflict, InvalidInput, gettext_noop
from kezek.domain.workdays import add_working_days

WORKING_DAYS = "working_days"
HOURS = "hours"
DEADLINE_UNITS = (WORKING_DAYS, HOURS)


class ExtensionOutOfRange(InvalidInput):
    code = "extension_out_of_range"
    message = gettext_noop("An extension must be between 1 and %(max_days)s days.")
    hint = gettext_noop("Enter a number of calendar days from 1 to %(max_days)s.")


class ExtensionAlreadyUsed(Conflict):
    code = "extension_already_used"
    message = gettext_noop("This referral's deadline was already extended once.")
    hint = gettext_noop("A referral can be extended only once.")


class ReactivationAlreadyUsed(Conflict):
    code = "reactivation_already_used"
    message = gettext_noop("This application was already reactivated once.")
    hint = gettext_noop("Apply again: the new application gets a new registration time.")


class ReactivationWindowClosed(Conflict):
    code = "reactivation_window_closed"
    message = gettext_noop("The %(days)s days to reactivate this application are over.")
    hint = gettext_noop("Apply again: the new application gets a new registration time.")


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an aware datetime is required")


def end_of_working_days(start: dt.datetime, days: int, tz: dt.tzinfo) -> dt.datetime:
    """Local midnight after the N-th working day after ``start``'s local day (rule: the start day never counts)."""
    _require_aware(start)
    last_day = add_working_days(start.astimezone(tz).date(), days)
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def offer_deadline(offered_at: dt.datetime, unit: str, value: int, tz: dt.tzinfo) -> dt.datetime:
    """When an offer lapses (rule: N working days, or N calendar hours, by the region's setting)."""
    if value < 1:
        raise ValueError("an offer deadline needs at least 1 unit")
    if unit == WORKING_DAYS:
        return end_of_working_days(offered_at, value, tz)
    if unit == HOURS:
        _require_aware(offered_at)
        return offered_at + dt.timedelta(hours=value)
    raise ValueError(f"unknown offer deadline unit {unit!r}")


def contract_deadline(issued_at: dt.datetime, working_days: int, tz: dt.tzinfo) -> dt.datetime:
    """When a referral lapses unless the contract is signed (rule: 5 working days after it is issued)."""
    return end_of_working_days(issued_at, working_days, tz)


def extended_deadline(*, current: dt.datetime, days: int, max_days: int, already_extended: bool) -> dt.datetime:
    """The contract deadline after the one extension (rule: once, at most ``max_days`` calendar days more)."""
    if already_extended:
        raise ExtensionAlreadyUsed()
    if not 1 <= days <= max_days:
        raise ExtensionOutOfRange(max_days=max_days)
    return current + dt.timedelta(days=days)


def reactivation_until(inactive_since: dt.datetime, days: int) -> dt.datetime:
    """The exclusive end of the window to reactivate an inactive application (rule: 28 calendar days)."""
    return inactive_since + dt.timedelta(days=days)


def check_reactivation(*, inactive_since: dt.datetime, now: dt.datetime, days: int, used: int, allowed: int = 1) -> None:
    """Refuse a reactivation after the window or beyond the allowed count (rule: once within 28 days)."""
    if used >= allowed:
        raise ReactivationAlreadyUsed()
    if now >= reactivation_until(inactive_since, days):
        raise ReactivationWindowClosed(days=days)
