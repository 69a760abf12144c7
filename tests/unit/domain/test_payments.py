"""Payment rules: paid days, amounts under both region rules, rounding, due dates, lateness, input checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kezek.domain.payments import (
    AdjustmentOnDraft,
    DayOutcome,
    InvalidAmount,
    InvalidMonth,
    ReasonRequired,
    StatementLocked,
    StatementTransitionNotAllowed,
    check_statement_transition,
    clean_reason,
    count_outcomes,
    day_outcome,
    is_late,
    line_amount,
    next_month,
    parse_amount,
    parse_month,
    payment_due_date,
    previous_month,
    session_rate,
    to_tiyn,
)


def outcome(**overrides) -> DayOutcome:
    values = {
        "present": True, "checked_in": False, "sheet_status": None, "deadline_passed": False, "silence_confirms": True,
        "contest_status": None, "dispute_upheld": False,
    }
    values.update(overrides)
    return day_outcome(**values)


def test_statement_goes_draft_to_approved_and_stays_locked():
    check_statement_transition("draft", "approved")
    with pytest.raises(StatementTransitionNotAllowed) as refused:
        check_statement_transition("approved", "draft")
    assert refused.value.params == {"current": "approved", "target": "draft"}
    with pytest.raises(StatementTransitionNotAllowed):
        check_statement_transition("approved", "approved")
    assert StatementLocked.kind == AdjustmentOnDraft.kind == "conflict"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"dispute_upheld": True}, DayOutcome.UPHELD),
        ({"contest_status": "upheld", "checked_in": True}, DayOutcome.UPHELD),
        ({"contest_status": "open", "sheet_status": "contested"}, DayOutcome.CONTESTED),
        ({"contest_status": "rejected", "present": False}, DayOutcome.PAID),
        ({"present": False, "checked_in": True}, DayOutcome.ABSENT),
        ({"checked_in": True}, DayOutcome.PAID),
        ({"sheet_status": "confirmed"}, DayOutcome.PAID),
        ({"sheet_status": "contested"}, DayOutcome.PAID),
        ({"sheet_status": "silent_confirmed"}, DayOutcome.PAID),
        ({"sheet_status": "unconfirmed", "deadline_passed": True}, DayOutcome.UNCONFIRMED),
        ({"sheet_status": "open"}, DayOutcome.AWAITING),
        ({"sheet_status": None}, DayOutcome.AWAITING),
        ({"sheet_status": "open", "deadline_passed": True}, DayOutcome.PAID),
        ({"sheet_status": None, "deadline_passed": True, "silence_confirms": False}, DayOutcome.UNCONFIRMED),
    ],
)
def test_day_outcome(overrides, expected):
    assert outcome(**overrides) == expected


def test_count_outcomes_lists_every_outcome():
    counts = count_outcomes([DayOutcome.PAID, DayOutcome.PAID, DayOutcome.CONTESTED])
    assert counts[DayOutcome.PAID] == 2 and counts[DayOutcome.CONTESTED] == 1 and counts[DayOutcome.UPHELD] == 0
    assert set(counts) == set(DayOutcome)


def test_rounding_is_half_up_to_the_tiyn():
    assert to_tiyn(Decimal("0.005")) == Decimal("0.01")
    assert to_tiyn(Decimal("0.015")) == Decimal("0.02")  # banker's rounding would give 0.02 too; 0.025 tells them apart
    assert to_tiyn(Decimal("0.025")) == Decimal("0.03")
    assert to_tiyn(Decimal("-0.005")) == Decimal("-0.01")


def test_per_session_pays_the_rounded_rate_per_paid_session():
    # 20,000 over 12 planned sessions is 1,666.666… -> 1,666.67 a session.
    assert session_rate(monthly_value=Decimal("20000"), planned_sessions=12) == Decimal("1666.67")
    assert line_amount(rule="per_session", monthly_value=Decimal("20000"), planned_sessions=12, paid_sessions=9) == Decimal(
        "15000.03"
    )
    # Sessions beyond the plan are paid too under this rule.
    assert line_amount(rule="per_session", monthly_value=Decimal("20000"), planned_sessions=4, paid_sessions=5) == Decimal(
        "25000.00"
    )
    assert session_rate(monthly_value=Decimal("20000"), planned_sessions=0) == Decimal("0.00")


def test_monthly_prorated_rounds_once_and_is_capped_at_the_monthly_value():
    assert line_amount(
        rule="monthly_prorated", monthly_value=Decimal("20000"), planned_sessions=12, paid_sessions=9
    ) == Decimal("15000.00")
    assert line_amount(
        rule="monthly_prorated", monthly_value=Decimal("60000"), planned_sessions=21, paid_sessions=22
    ) == Decimal("60000.00")
    assert line_amount(
        rule="monthly_prorated", monthly_value=Decimal("60000"), planned_sessions=21, paid_sessions=1
    ) == Decimal("2857.14")


@pytest.mark.parametrize(("planned", "paid"), [(0, 3), (10, 0)])
def test_nothing_is_due_without_planned_or_paid_sessions(planned, paid):
    for rule in ("per_session", "monthly_prorated"):
        assert line_amount(rule=rule, monthly_value=Decimal("20000"), planned_sessions=planned, paid_sessions=paid) == 0


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        line_amount(rule="weekly", monthly_value=Decimal("1"), planned_sessions=1, paid_sessions=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1500", Decimal("1500.00")), ("-1 250,50", Decimal("-1250.50")), (Decimal("7.1"), Decimal("7.10")), (3, Decimal("3.00")),
     ("1e3", Decimal("1000.00"))],
)
def test_parse_amount(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "0", "0.00", "1.005", "NaN", "Infinity", "100000000.01", "-100000001"])
def test_parse_amount_refuses(text):
    with pytest.raises(InvalidAmount):
        parse_amount(text)


def test_reason_is_required_and_trimmed():
    assert clean_reason("  late marks  ") == "late marks"
    assert len(clean_reason("x" * 2000)) == 1000
    for empty in ("", "   ", None):
        with pytest.raises(ReasonRequired):
            clean_reason(empty)


def test_months_and_due_dates():
    assert next_month(dt.date(2025, 12, 15)) == dt.date(2026, 1, 1)
    assert previous_month(dt.date(2026, 1, 31)) == dt.date(2025, 12, 1)
    assert payment_due_date(month=dt.date(2026, 1, 1), due_day=18) == dt.date(2026, 2, 18)
    # A due day past the end of a short month is that month's last day.
    assert payment_due_date(month=dt.date(2026, 1, 1), due_day=31) == dt.date(2026, 2, 28)
    assert payment_due_date(month=dt.date(2026, 1, 1), due_day=0) == dt.date(2026, 2, 1)


def test_lateness():
    due = dt.date(2026, 2, 18)
    assert not is_late(status="draft", due_on=due, approved_on=None, today=due)
    assert is_late(status="draft", due_on=due, approved_on=None, today=due + dt.timedelta(days=1))
    assert not is_late(status="approved", due_on=due, approved_on=due, today=dt.date(2026, 6, 1))
    assert is_late(status="approved", due_on=due, approved_on=dt.date(2026, 2, 19), today=dt.date(2026, 2, 19))
    assert is_late(status="approved", due_on=due, approved_on=None, today=dt.date(2026, 2, 19))


def test_parse_month():
    today = dt.date(2026, 3, 10)
    assert parse_month(" 2026-02 ", today=today) == dt.date(2026, 2, 1)
    for bad in ("2026-03", "2026-13", "March", "", None):
        with pytest.raises(InvalidMonth) as refused:
            parse_month(bad, today=today)
        assert refused.value.params == {"example": "2026-02"}
