"""Draft -> approved and locked: no line can be edited, deleted or regenerated after approval; corrections are
adjustment lines with a reason, audited; officers act only in their district, providers see only their own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from kezek.accounts.permissions import OutOfScope, RoleRequired
from kezek.audit.models import AuditEvent
from kezek.domain.payments import AdjustmentOnDraft, InvalidAmount, InvalidMonth, ReasonRequired, StatementLocked
from kezek.domain.payments import StatementTransitionNotAllowed
from kezek.payments import selectors
from kezek.payments.models import Statement, StatementLine
from kezek.payments.services import LineNotInStatement, statement_adjust, statement_approve, statement_generate
from kezek.payments.services import statement_regenerate
from tests.factories.accounts import make_admin, make_provider_staff
from tests.factories.attendance import make_mark, make_sheet
from tests.factories.organisations import make_organisation
from tests.integration.payments.conftest import last_month


@pytest.fixture
def draft(kindergarten):
    child = kindergarten.child()
    for session in kindergarten.sessions:
        make_mark(session, child, marked_by=kindergarten.staff)
    make_sheet(child, kindergarten.group, month=last_month(), status="confirmed")
    return statement_generate(organisation=kindergarten.organisation, month=last_month())


def test_an_approved_statement_cannot_be_edited(kindergarten, draft):
    approved = statement_approve(actor=kindergarten.officer, statement_id=draft.pk)
    assert approved.status == "approved" and approved.approved_total == Decimal("60000.00")
    assert AuditEvent.objects.filter(action="payments.statement.approved", object_id=str(draft.pk)).exists()
    line = StatementLine.objects.get(statement=draft)

    with pytest.raises(StatementLocked):
        statement_generate(organisation=kindergarten.organisation, month=last_month())
    with pytest.raises(StatementLocked):
        statement_regenerate(actor=kindergarten.officer, statement_id=draft.pk)
    with pytest.raises(StatementTransitionNotAllowed):
        statement_approve(actor=kindergarten.officer, statement_id=draft.pk)
    line.amount = Decimal("99999.00")
    with pytest.raises(StatementLocked):
        line.save()
    with pytest.raises(StatementLocked):
        StatementLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00"))
    with pytest.raises(StatementLocked):
        line.delete()
    with pytest.raises(StatementLocked):
        StatementLine.objects.filter(statement=draft).delete()
    # A second generation of the lines cannot be inserted beside the approved ones.
    copy = StatementLine(statement=draft, kind="attendance", child=line.child, group=line.group, sessions=4, paid=4,
                         amount=Decimal("1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    line.refresh_from_db()
    assert line.amount == Decimal("60000.00")
    assert selectors.statement_intact(statement=approved)


def test_a_change_behind_the_applications_back_is_shown(kindergarten, draft):
    approved = statement_approve(actor=kindergarten.officer, statement_id=draft.pk)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE payments_statementline SET amount = %s WHERE statement_id = %s", ["1.00", draft.pk])
    assert not selectors.statement_intact(statement=approved)


def test_adjustments_are_new_lines_with_a_reason_on_approved_statements_only(kindergarten, draft):
    officer = kindergarten.officer
    with pytest.raises(AdjustmentOnDraft):
        statement_adjust(actor=officer, statement_id=draft.pk, amount="-500", reason="Late marks")
    statement_approve(actor=officer, statement_id=draft.pk)
    with pytest.raises(ReasonRequired):
        statement_adjust(actor=officer, statement_id=draft.pk, amount="-500", reason="  ")
    with pytest.raises(InvalidAmount):
        statement_adjust(actor=officer, statement_id=draft.pk, amount="12.345", reason="Typo")
    with pytest.raises(LineNotInStatement):
        statement_adjust(actor=officer, statement_id=draft.pk, amount="1", reason="x", line_id=10**9)
    line = StatementLine.objects.get(statement=draft, kind="attendance")
    adjustment = statement_adjust(actor=officer, statement_id=draft.pk, amount="-1 500,50", reason="Day 3 was a holiday",
                                  line_id=line.pk)
    assert (adjustment.kind, adjustment.amount, adjustment.child_id, adjustment.created_by) == (
        "adjustment", Decimal("-1500.50"), line.child_id, officer
    )
    statement_adjust(actor=officer, statement_id=draft.pk, amount="200", reason="Transport")
    totals = selectors.statement_totals(statement=draft)
    assert (totals.attendance, totals.adjustments, totals.total) == (
        Decimal("60000.00"), Decimal("-1300.50"), Decimal("58699.50")
    )
    assert AuditEvent.objects.filter(action="payments.statement.adjusted", object_id=str(draft.pk)).count() == 2
    # Adjustments do not disturb the approved attendance lines.
    assert selectors.statement_intact(statement=Statement.objects.get(pk=draft.pk))
    with pytest.raises(StatementLocked):
        adjustment.delete()


def test_only_officers_of_the_providers_district_decide(kindergarten, draft, other_district_officer):
    with pytest.raises(OutOfScope):
        statement_approve(actor=other_district_officer, statement_id=draft.pk)
    with pytest.raises(OutOfScope):
        statement_regenerate(actor=other_district_officer, statement_id=draft.pk)
    with pytest.raises(RoleRequired):
        statement_approve(actor=kindergarten.staff, statement_id=draft.pk)
    with pytest.raises(RoleRequired):
        statement_generate(organisation=kindergarten.organisation, month=last_month(), actor=kindergarten.staff)
    statement_approve(actor=make_admin(), statement_id=draft.pk)
    with pytest.raises(OutOfScope):
        statement_adjust(actor=other_district_officer, statement_id=draft.pk, amount="5", reason="x")
    with pytest.raises(RoleRequired):
        statement_adjust(actor=kindergarten.staff, statement_id=draft.pk, amount="5", reason="x")
    assert not StatementLine.objects.filter(kind="adjustment").exists()


def test_who_sees_which_statements(kindergarten, club, draft, other_district_officer):
    club_statement = statement_generate(organisation=club.organisation, month=last_month())
    assert list(selectors.statements_for_user(user=kindergarten.staff)) == [draft]
    assert set(selectors.statements_for_user(user=kindergarten.officer)) == {draft, club_statement}
    assert not selectors.statements_for_user(user=other_district_officer).exists()
    assert selectors.statement_get(user=kindergarten.staff, statement_id=draft.pk) == draft
    with pytest.raises(OutOfScope):
        selectors.statement_get(user=kindergarten.staff, statement_id=club_statement.pk)
    with pytest.raises(OutOfScope):
        selectors.statement_get(user=other_district_officer, statement_id=draft.pk)
    with pytest.raises(OutOfScope):
        selectors.statement_get(user=make_provider_staff(make_organisation()), statement_id=draft.pk)
    with pytest.raises(selectors.StatementNotFound):
        selectors.statement_get(user=kindergarten.officer, statement_id=draft.pk + 1000)


def test_statements_are_only_for_ended_months(kindergarten):
    with pytest.raises(InvalidMonth):
        statement_generate(organisation=kindergarten.organisation, month=last_month().replace(day=2))
    this_month = (last_month().replace(day=28) + dt.timedelta(days=5)).replace(day=1)
    with pytest.raises(InvalidMonth):
        statement_generate(organisation=kindergarten.organisation, month=this_month)
    assert not Statement.objects.exists()
