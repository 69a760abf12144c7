"""Attendance-based payment: which days are paid, the amount under the region's rule, due dates and lateness.

Money is ``Decimal`` in tenge with two places (tiyn). Rounding is half-up to the tiyn (0.005 -> 0.01), the
way amounts are rounded on Kazakh payment orders; each line is rounded once, so a statement's total is the
sum of its rounded lines and always matches the CSV and the PDF to the tiyn.

Pure rules: the caller gives the rows and the clock as plain values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from kezek.domain.attendance import ContestStatus, SheetStatus, month_bounds, month_start, previous_month
from kezek.domain.errors import Conflict, InvalidInput, gettext_noop

TIYN = Decimal("0.01")
DEFAULT_KINDERGARTEN_MONTHLY_VALUE = Decimal("60000.00")
MAX_ADJUSTMENT = Decimal("100000000.00")
MAX_REASON_CHARS = 1000


class StatementStatus(StrEnum):
    DRAFT = "draft"  # regenerated freely from attendance
    APPROVED = "approved"  # approved by the district's officer: locked, corrections only as adjustment lines


STATEMENT_TRANSITIONS: dict[StatementStatus, frozenset[StatementStatus]] = {
    StatementStatus.DRAFT: frozenset({StatementStatus.APPROVED}),
    StatementStatus.APPROVED: frozenset(),
}


class PaymentRule(StrEnum):
    PER_SESSION = "per_session"
    MONTHLY_PRORATED = "monthly_prorated"


class DayOutcome(StrEnum):
    PAID = "paid"  # marked present and confirmed (check-in, the parent's sheet, or silence where it confirms)
    ABSENT = "absent"  # not marked present
    CONTESTED = "contested"  # contested by the parent and not yet resolved: excluded until it is
    UPHELD = "upheld"  # a contest or dispute upheld: the child was not there, never paid
    AWAITING = "awaiting"  # present, but the parent may still confirm or contest the month
    UNCONFIRMED = "unconfirmed"  # present, but the parent did not confirm and silence does not confirm


# A contested sheet confirms every day the parent did not contest.
_CONFIRMING_SHEETS = frozenset({SheetStatus.CONFIRMED, SheetStatus.CONTESTED, SheetStatus.CONFIRMED_BY_SILENCE})


class StatementTransitionNotAllowed(Conflict):
    code = "statement_transition_not_allowed"
    message = gettext_noop("A statement that is %(current)s cannot become %(target)s.")
    hint = gettext_noop("Reload the page to see the statement's current state.")


class StatementLocked(Conflict):
    code = "statement_locked"
    message = gettext_noop("This statement is approved and locked: its lines cannot be changed.")
    hint = gettext_noop("Add an adjustment line with a reason instead.")


class AdjustmentOnDraft(Conflict):
    code = "adjustment_on_draft"
    message = gettext_noop("A draft statement is corrected by regenerating it, not by adjustment lines.")
    hint = gettext_noop("Regenerate the draft, or approve it first and then add the adjustment.")


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    message = gettext_noop("The amount must be a non-zero number of tenge with at most two decimal places.")
    hint = gettext_noop("Write it like 1500 or -1250.50; negative amounts reduce the payment.")


class ReasonRequired(InvalidInput):
    code = "adjustment_reason_required"
    message = gettext_noop("An adjustment needs a reason.")
    hint = gettext_noop("Write why the amount is corrected, in a sentence the provider can read.")


class InvalidMonth(InvalidInput):
    code = "invalid_month"
    message = gettext_noop("The month must be written as YYYY-MM and must have ended.")
    hint = gettext_noop("Choose a past month, for example %(example)s.")


def check_statement_transition(current: str, target: str) -> None:
    """Refuse a statement status change the table does not allow (rule: draft -> approved, then locked)."""
    if StatementStatus(target) not in STATEMENT_TRANSITIONS[StatementStatus(current)]:
        raise StatementTransitionNotAllowed(current=current, target=target)


def to_tiyn(amount: Decimal) -> Decimal:
    """Round half-up to the tiyn (rule: every line is rounded once, to two places)."""
    return amount.quantize(TIYN, rounding=ROUND_HALF_UP)


def day_outcome(
    *,
    present: bool,
    checked_in: bool,
    sheet_status: str | None,
    deadline_passed: bool,
    silence_confirms: bool,
    contest_status: str | None,
    dispute_upheld: bool,
) -> DayOutcome:
    """Whether one session of one child is paid (rule: pay only confirmed attendance; contested days wait)."""
    if dispute_upheld or contest_status == ContestStatus.UPHELD:
        return DayOutcome.UPHELD
    if contest_status == ContestStatus.OPEN:
        return DayOutcome.CONTESTED
    if contest_status == ContestStatus.REJECTED:
        # Rejected: the provider showed the child was there.
        return DayOutcome.PAID
    if not present:
        return DayOutcome.ABSENT
    if checked_in or sheet_status in _CONFIRMING_SHEETS:
        return DayOutcome.PAID
    if sheet_status == SheetStatus.UNCONFIRMED:
        return DayOutcome.UNCONFIRMED
    # No answer yet: before the deadline the parent may still answer, after it the region's silence rule decides.
    if not deadline_passed:
        return DayOutcome.AWAITING
    return DayOutcome.PAID if silence_confirms else DayOutcome.UNCONFIRMED


def count_outcomes(outcomes: Iterable[DayOutcome]) -> dict[DayOutcome, int]:
    """How many sessions had each outcome (every outcome present, zero if none)."""
    counts = dict.fromkeys(DayOutcome, 0)
    for outcome in outcomes:
        counts[outcome] += 1
    return counts


def session_rate(*, monthly_value: Decimal, planned_sessions: int) -> Decimal:
    """The value of one session: the monthly value over the month's planned sessions, to the tiyn."""
    if planned_sessions <= 0:
        return Decimal("0.00")
    return to_tiyn(monthly_value / planned_sessions)


def line_amount(*, rule: str, monthly_value: Decimal, planned_sessions: int, paid_sessions: int) -> Decimal:
    """The amount due for one child in one group and month (rule: the region's payment rule).

    per_session: the session rate (rounded to the tiyn) times the paid sessions, so the statement can show the rate;
    monthly_prorated: the monthly value times paid/planned, rounded once and never above the monthly value.
    """
    if planned_sessions <= 0 or paid_sessions <= 0:
        return Decimal("0.00")
    if PaymentRule(rule) == PaymentRule.PER_SESSION:
        return to_tiyn(session_rate(monthly_value=monthly_value, planned_sessions=planned_sessions) * paid_sessions)
    share = Decimal(min(paid_sessions, planned_sessions)) / Decimal(planned_sessions)
    return to_tiyn(monthly_value * share)


def parse_amount(text: str | int | Decimal) -> Decimal:
    """An adjustment amount in tenge: non-zero, at most two decimals, within a sane bound."""
    try:
        amount = Decimal(str(text).strip().replace(",", ".").replace(" ", "").replace("\u00a0", ""))
    except InvalidOperation:
        raise InvalidAmount() from None
    if not amount.is_finite() or amount == 0 or abs(amount) > MAX_ADJUSTMENT or amount != amount.quantize(TIYN):
        raise InvalidAmount()
    return amount.quantize(TIYN)


def clean_reason(text: str) -> str:
    """An adjustment's reason: required, trimmed, at most 1000 characters."""
    text = (text or "").strip()
    if not text:
        raise ReasonRequired()
    return text[:MAX_REASON_CHARS]


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after ``month``."""
    return month_bounds(month)[1] + dt.timedelta(days=1)


def day_of_month(month: dt.date, day: int) -> dt.date:
    """Day ``day`` of ``month``, or the month's last day if it is shorter (the 31st of February is the 28th/29th)."""
    first, last = month_bounds(month)
    return first.replace(day=max(1, min(day, last.day)))


def payment_due_date(*, month: dt.date, due_day: int) -> dt.date:
    """When the provider must be paid for ``month``: day ``due_day`` of the next month (rule: payment_due_day)."""
    return day_of_month(next_month(month), due_day)


def is_late(*, status: str, due_on: dt.date, approved_on: dt.date | None, today: dt.date) -> bool:
    """A statement is late if it was not approved by its due date (rule: late statements shown to the officer)."""
    if StatementStatus(status) == StatementStatus.APPROVED and approved_on is not None:
        return approved_on > due_on
    return today > due_on


def parse_month(text: str, *, today: dt.date) -> dt.date:
    """A month written YYYY-MM that has already ended (statements are only made for finished months)."""
    example = previous_month(today).strftime("%Y-%m")
    try:
        month = dt.datetime.strptime((text or "").strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidMonth(example=example) from None
    if month >= month_start(today):
        raise InvalidMonth(example=example)
    return month
