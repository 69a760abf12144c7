"""Writing payment statements: generate a draft from attendance, approve and lock it, add adjustment lines.

Every change is audited in its own transaction; a statement row is locked (select_for_update) before it changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_district, require_role
from kezek.audit.services import audit_record
from kezek.domain import payments as rules
from kezek.domain.errors import InvalidInput, gettext_noop
from kezek.organisations.models import Organisation
from kezek.payments import selectors
from kezek.payments.models import Statement, StatementLine

ATTENDANCE_FIELDS = {
    "paid": rules.DayOutcome.PAID, "absent": rules.DayOutcome.ABSENT, "contested": rules.DayOutcome.CONTESTED,
    "upheld": rules.DayOutcome.UPHELD, "awaiting": rules.DayOutcome.AWAITING, "unconfirmed": rules.DayOutcome.UNCONFIRMED,
}


class LineNotInStatement(InvalidInput):
    code = "statement_line_not_found"
    message = gettext_noop("This statement has no such line.")
    hint = gettext_noop("Choose the child's line from the statement, or leave it empty for the whole statement.")


def _get_or_create(*, organisation: Organisation, month: dt.date) -> Statement:
    rules_row = selectors.region_rules(region_id=organisation.district.region_id)
    try:
        with transaction.atomic():
            return Statement.objects.select_for_update().get_or_create(
                organisation=organisation, month=month,
                defaults={
                    "payment_rule": rules_row.payment_rule,
                    "due_on": rules.payment_due_date(month=month, due_day=rules_row.payment_due_day),
                },
            )[0]
    except IntegrityError:
        # Another worker made it at the same moment: use theirs.
        return Statement.objects.select_for_update().get(organisation=organisation, month=month)


def _attendance_lines(*, statement: Statement, organisation: Organisation, now: dt.datetime) -> list[StatementLine]:
    lines = []
    for child_month in selectors.attendance_month(organisation=organisation, month=statement.month, now=now):
        counts = child_month.counts
        planned = sum(counts.values())
        lines.append(StatementLine(
            statement=statement, kind=StatementLine.Kind.ATTENDANCE, child_id=child_month.child_id,
            group_id=child_month.group_id, sessions=planned, monthly_value=child_month.monthly_value,
            amount=rules.line_amount(
                rule=statement.payment_rule, monthly_value=child_month.monthly_value, planned_sessions=planned,
                paid_sessions=counts[rules.DayOutcome.PAID],
            ),
            created_at=now, **{name: counts[outcome] for name, outcome in ATTENDANCE_FIELDS.items()},
        ))
    return lines


def statement_generate(*, organisation: Organisation, month: dt.date, actor: Any | None = None) -> Statement:
    """Create or regenerate the provider's draft for a month from attendance (rule: drafts follow attendance; approved is locked)."""
    if actor is not None:
        require_district(actor, organisation.district_id)
    if month != rules.month_start(month) or month >= rules.month_start(timezone.localdate()):
        raise rules.InvalidMonth(example=rules.previous_month(timezone.localdate()).strftime("%Y-%m"))
    with transaction.atomic():
        statement = _get_or_create(organisation=organisation, month=month)
        if statement.is_locked:
            raise rules.StatementLocked()
        now = timezone.now()
        region = selectors.region_rules(region_id=organisation.district.region_id)
        statement.payment_rule = region.payment_rule
        statement.due_on = rules.payment_due_date(month=month, due_day=region.payment_due_day)
        statement.generated_at = now
        statement.save(update_fields=["payment_rule", "due_on", "generated_at"])
        StatementLine.objects.filter(statement=statement, kind=StatementLine.Kind.ATTENDANCE).delete()
        lines = StatementLine.objects.bulk_create(_attendance_lines(statement=statement, organisation=organisation, now=now))
        total = sum((line.amount for line in lines), Decimal("0.00"))
        audit_record(
            actor=actor, action="payments.statement.generated", obj=statement,
            after={"month": f"{month:%Y-%m}", "organisation": organisation.pk, "rule": statement.payment_rule,
                   "lines": len(lines), "total": str(total)},
        )
    return statement


def _locked_statement(*, statement_id: int) -> Statement:
    statement = Statement.objects.select_for_update().filter(pk=statement_id).first()
    if statement is None:
        raise selectors.StatementNotFound()
    return statement


def statement_regenerate(*, actor: Any, statement_id: int) -> Statement:
    """An officer refreshes a draft from the latest attendance (rule: drafts are regenerated freely)."""
    statement = Statement.objects.select_related("organisation__district").filter(pk=statement_id).first()
    if statement is None:
        raise selectors.StatementNotFound()
    return statement_generate(organisation=statement.organisation, month=statement.month, actor=actor)


def statement_approve(*, actor: Any, statement_id: int) -> Statement:
    """An officer of the provider's district approves a draft, which locks it (rule: approved statements are never edited)."""
    with transaction.atomic():
        statement = _locked_statement(statement_id=statement_id)
        organisation = Organisation.objects.get(pk=statement.organisation_id)
        require_district(actor, organisation.district_id)
        rules.check_statement_transition(statement.status, Statement.Status.APPROVED)
        totals = selectors.statement_totals(statement=statement)
        statement.status = Statement.Status.APPROVED
        statement.approved_at = timezone.now()
        statement.approved_by = actor
        statement.approved_total = totals.attendance
        statement.approved_digest = selectors.attendance_digest(statement=statement)
        statement.save(update_fields=["status", "approved_at", "approved_by", "approved_total", "approved_digest"])
        audit_record(
            actor=actor, action="payments.statement.approved", obj=statement,
            before={"status": Statement.Status.DRAFT},
            after={"status": statement.status, "total": str(totals.attendance), "digest": statement.approved_digest,
                   "late": selectors.statement_is_late(statement=statement)},
        )
    return statement


def statement_adjust(
    *, actor: Any, statement_id: int, amount: str | int | Decimal, reason: str, line_id: int | None = None
) -> StatementLine:
    """Add a correction to an approved statement as a new line with a reason (rule: corrections never edit a line)."""
    require_role(actor, Role.OFFICER)
    value = rules.parse_amount(amount)
    reason = rules.clean_reason(reason)
    with transaction.atomic():
        statement = _locked_statement(statement_id=statement_id)
        require_district(actor, Organisation.objects.get(pk=statement.organisation_id).district_id)
        if not statement.is_locked:
            raise rules.AdjustmentOnDraft()
        child_id = group_id = None
        if line_id is not None:
            line = StatementLine.objects.filter(statement=statement, pk=line_id, kind=StatementLine.Kind.ATTENDANCE).first()
            if line is None:
                raise LineNotInStatement()
            child_id, group_id = line.child_id, line.group_id
        adjustment = StatementLine(
            statement=statement, kind=StatementLine.Kind.ADJUSTMENT, child_id=child_id, group_id=group_id, amount=value,
            reason=reason, created_by=actor,
        )
        adjustment.save()
        audit_record(
            actor=actor, action="payments.statement.adjusted", obj=statement,
            after={"line": adjustment.pk, "amount": str(value), "reason": reason, "child": child_id, "group": group_id},
        )
    return adjustment


def statements_draft_last_month(*, today: dt.date | None = None) -> int:
    """Worker: draft last month's statement of every provider that held sessions, and refresh each draft once a day.

    Idempotent: a second run on the same day finds nothing to do. Approved statements are never touched.
    """
    today = today or timezone.localdate()
    month = rules.previous_month(today)
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    done = set(
        Statement.objects.filter(month=month)
        .filter(Q(status=Statement.Status.APPROVED) | Q(generated_at__gte=start_of_today))
        .values_list("organisation_id", flat=True)
    )
    count = 0
    for organisation in selectors.organisations_with_sessions(month=month).select_related("district"):
        if organisation.pk in done:
            continue
        try:
            statement_generate(organisation=organisation, month=month)
        except rules.StatementLocked:
            continue  # approved by an officer since the list was read
        count += 1
    return count
