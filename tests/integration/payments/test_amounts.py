"""Amounts under both region rules: confirmed days paid, contested days excluded until resolved, upheld never paid,
silence per region, clubs at the voucher's monthly value, kindergartens at the region's tariff."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from kezek.audit.models import AuditEvent
from kezek.integrity.models import Dispute
from kezek.payments.models import RegionTariff, StatementLine
from kezek.payments.selectors import attendance_month
from kezek.payments.services import statement_generate
from tests.factories.accounts import make_parent
from tests.factories.attendance import make_checkin, make_contest, make_mark, make_sheet, place_voucher, set_region_rules
from tests.integration.payments.conftest import last_month


def line_of(statement, child) -> StatementLine:
    return StatementLine.objects.get(statement=statement, child=child, kind="attendance")


def mark_all(provider, child, statuses: str) -> None:
    """``statuses``: one letter per session, P present, A absent, - no mark."""
    for session, letter in zip(provider.sessions, statuses, strict=True):
        if letter != "-":
            make_mark(session, child, status="present" if letter == "P" else "absent", marked_by=provider.staff)


def test_kindergarten_prorated_excludes_contested_and_upheld_days(kindergarten):
    k = kindergarten
    a, b, c, d = (k.child(n) for n in ("Әли", "Болат", "Дана", "Ерасыл"))
    for child in (a, c, d):
        mark_all(k, child, "PPPP")
    mark_all(k, b, "PPA-")
    month = last_month()
    sheet = make_sheet(a, k.group, month=month, status="contested")
    make_contest(sheet, k.sessions[0])  # still open: excluded until resolved
    make_contest(sheet, k.sessions[1], status="upheld")  # the child was not there: never paid
    make_contest(sheet, k.sessions[2], status="rejected")  # the child was there: paid
    make_sheet(b, k.group, month=month, status="confirmed")
    make_sheet(c, k.group, month=month, status="open", deadline=timezone.now() + dt.timedelta(days=3))
    make_sheet(d, k.group, month=month, status="unconfirmed")
    make_checkin(k.sessions[0], d, parent=make_parent())

    statement = statement_generate(organisation=k.organisation, month=month)

    line = line_of(statement, a)
    assert (line.sessions, line.paid, line.contested, line.upheld, line.monthly_value) == (4, 2, 1, 1, Decimal("60000.00"))
    assert line.amount == Decimal("30000.00")
    line = line_of(statement, b)
    assert (line.paid, line.absent, line.amount) == (2, 2, Decimal("30000.00"))
    line = line_of(statement, c)
    assert (line.paid, line.awaiting, line.amount) == (0, 4, Decimal("0.00"))
    line = line_of(statement, d)
    assert (line.paid, line.unconfirmed, line.amount) == (1, 3, Decimal("15000.00"))
    assert statement.payment_rule == "monthly_prorated" and statement.status == "draft"
    assert statement.due_on == (month + dt.timedelta(days=40)).replace(day=18)
    assert AuditEvent.objects.filter(action="payments.statement.generated", object_id=str(statement.pk)).exists()


def test_a_resolved_contest_changes_the_regenerated_draft(kindergarten):
    k = kindergarten
    child = k.child()
    mark_all(k, child, "PPPP")
    sheet = make_sheet(child, k.group, month=last_month(), status="contested")
    contest = make_contest(sheet, k.sessions[3])
    statement = statement_generate(organisation=k.organisation, month=last_month())
    assert (line_of(statement, child).paid, line_of(statement, child).contested) == (3, 1)
    type(contest).objects.filter(pk=contest.pk).update(status="rejected")
    statement = statement_generate(organisation=k.organisation, month=last_month())
    assert (line_of(statement, child).paid, line_of(statement, child).amount) == (4, Decimal("60000.00"))
    assert StatementLine.objects.filter(statement=statement).count() == 1


def test_region_tariff_and_silence_rule(kindergarten):
    k = kindergarten
    RegionTariff.objects.create(region_id=k.organisation.district.region_id, kindergarten_monthly_value=Decimal("45000.50"))
    set_region_rules(k.group, silence_means="not_confirmed")
    child = k.child()
    mark_all(k, child, "PPP-")
    month = last_month()
    make_sheet(child, k.group, month=month, status="open", deadline=timezone.now() - dt.timedelta(hours=1))
    statement = statement_generate(organisation=k.organisation, month=month)
    assert (line_of(statement, child).unconfirmed, line_of(statement, child).amount) == (3, Decimal("0.00"))
    set_region_rules(k.group, silence_means="confirmed")
    statement = statement_generate(organisation=k.organisation, month=month)
    # 45,000.50 x 3/4 = 33,750.375 -> half-up to the tiyn.
    assert (line_of(statement, child).paid, line_of(statement, child).amount) == (3, Decimal("33750.38"))


def test_without_a_sheet_the_deadline_the_sheet_would_have_decides(kindergarten):
    k = kindergarten
    child = k.child()
    mark_all(k, child, "PP--")
    month = last_month()
    before = timezone.make_aware(dt.datetime.combine((month + dt.timedelta(days=40)).replace(day=2), dt.time(12)))
    after = timezone.make_aware(dt.datetime.combine((month + dt.timedelta(days=40)).replace(day=6), dt.time(12)))
    (early,) = attendance_month(organisation=k.organisation, month=month, now=before)
    (late,) = attendance_month(organisation=k.organisation, month=month, now=after)
    assert (early.counts["awaiting"], early.counts["paid"]) == (2, 0)
    assert (late.counts["awaiting"], late.counts["paid"], late.counts["absent"]) == (0, 2, 2)


def test_club_per_session_at_the_voucher_value_and_upheld_dispute_days(club):
    c = club
    set_region_rules(c.group, payment_rule="per_session")
    month = last_month()
    paying, disputed, no_voucher = c.child("Арман"), c.child("Жанар"), c.child("Нұрлан")
    parent = make_parent()
    place_voucher(c.group, paying, holder=parent)
    voucher = place_voucher(c.group, disputed, holder=parent)
    for child in (paying, disputed, no_voucher):
        mark_all(c, child, "PP-" if child is paying else "PPP")
        make_sheet(child, c.group, month=month, status="confirmed")
    Dispute.objects.create(
        child=disputed, parent=parent, voucher=voucher, group=c.group, organisation=c.organisation,
        district=c.organisation.district, status="upheld", since=c.sessions[1].date, deadline=timezone.now(),
        decision_reason="Not attending", upheld_from=c.sessions[1].date, upheld_to=c.sessions[2].date,
    )
    statement = statement_generate(organisation=c.organisation, month=month)
    assert statement.payment_rule == "per_session"
    # 20,000 over 3 planned sessions: 6,666.67 a session.
    line = line_of(statement, paying)
    assert (line.monthly_value, line.paid, line.amount) == (Decimal("20000.00"), 2, Decimal("13333.34"))
    line = line_of(statement, disputed)
    assert (line.paid, line.upheld, line.amount) == (1, 2, Decimal("6666.67"))
    assert line_of(statement, no_voucher).amount == Decimal("0.00")


def test_a_month_without_sessions_has_no_lines(kindergarten):
    k = kindergarten
    month = last_month()
    earlier = (month - dt.timedelta(days=1)).replace(day=1)
    statement = statement_generate(organisation=k.organisation, month=earlier)
    assert not StatementLine.objects.filter(statement=statement).exists()
