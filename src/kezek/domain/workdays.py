"""Kazakhstan's working days: weekends, public holidays and the days the government transfers.

The calendar is national (the ``holidays`` package's ``KZ``), so no region hook yet. It knows both kinds
of transfer: a weekday made a day off (Fri 2025-01-03) and the weekend day worked instead (Sun 2025-01-05).

Deadline convention, used for every "within N working days" rule (e.g. the 5 working days to bring a
certificate for an extraordinary right): the day something happens does not count; the deadline is the
**end** of the N-th working day after it. ``add_working_days`` returns that N-th working day, and the
right still counts until that day is over (callers store the next midnight as an exclusive deadline).

Examples (5 working days):
- Thu 2025-03-13 -> Fri 14, Mon 17, Tue 18, Wed 19, Thu 20: deadline Thu 2025-03-20, end of day.
- Mon 2025-03-17 -> Tue 18, Wed 19, Thu 20, (Nauryz 21-25 off), Wed 26, Thu 27: deadline Thu 2025-03-27.
- Mon 2024-12-30 -> Tue 31, (1-4 Jan off, Fri 3 Jan transferred), Sun 5 (worked instead), Mon 6,
  (7 Jan off), Wed 8, Thu 9: deadline Thu 2025-01-09.
- Thu 2025-01-02 (a holiday) -> Sun 5, Mon 6, Wed 8, Thu 9, Fri 10: deadline Fri 2025-01-10.
- A claim made on a holiday or weekend counts from the next working day: Sat 2025-03-22 -> Wed 26 ... Tue 2025-04-01.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _calendar(year: int) -> holidays.HolidayBase:
    # A pure, fixed table per year (not application state), so caching it in the process is safe.
    return holidays.KZ(years=year)


def is_working_day(day: dt.date) -> bool:
    """True on a Kazakhstan working day: not a weekend or public holiday, or a weekend day made a working day."""
    return _calendar(day.year).is_working_day(day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The N-th working day after ``start`` (``start`` itself never counts); the deadline is that day's end."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    remaining = days
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days fall after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += dt.timedelta(days=1)
    return count
