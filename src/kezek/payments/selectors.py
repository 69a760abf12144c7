"""Reading payment statements, and the attendance facts a statement is generated from (set-based: a few queries
per provider and month, whatever the number of children)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin, require_organisation, require_role
from kezek.attendance.models import CheckIn, ContestedDay, Mark, MonthlySheet, RegionAttendanceRules, Session
from kezek.domain import payments as rules
from kezek.domain.attendance import sheet_deadline
from kezek.domain.errors import NotFound, gettext_noop
from kezek.organisations.models import Organisation
from kezek.payments.models import RegionTariff, Statement, StatementLine
from kezek.vouchers.models import Voucher


class StatementNotFound(NotFound):
    code = "statement_not_found"
    message = gettext_noop("There is no such payment statement.")
    hint = gettext_noop("Open the list of statements and choose one from there.")


class ProviderNotFound(NotFound):
    code = "provider_not_found"
    message = gettext_noop("There is no such provider in your district.")
    hint = gettext_noop("Choose a provider from the list of your district's providers.")


def region_rules(*, region_id: int) -> RegionAttendanceRules:
    """The region's attendance and payment numbers, or the defaults if the region has no row."""
    return RegionAttendanceRules.objects.filter(region_id=region_id).first() or RegionAttendanceRules(region_id=region_id)


def kindergarten_monthly_value(*, region_id: int) -> Decimal:
    tariff = RegionTariff.objects.filter(region_id=region_id).first()
    return tariff.kindergarten_monthly_value if tariff else rules.DEFAULT_KINDERGARTEN_MONTHLY_VALUE


# --- statements ---------------------------------------------------------------------------------------


def _statements() -> QuerySet[Statement]:
    return Statement.objects.select_related("organisation", "organisation__district", "approved_by").annotate(
        total=Sum("lines__amount")
    )


def statement_get(*, user: Any, statement_id: int) -> Statement:
    """A statement the user may see: their own provider's, or one of their district as an officer."""
    statement = _statements().filter(pk=statement_id).first()
    if statement is None:
        raise StatementNotFound()
    require_organisation(user, statement.organisation)
    return statement


def statements_for_user(*, user: Any, month: dt.date | None = None) -> QuerySet[Statement]:
    """Provider staff: their organisation's statements; officers: their district's; administrators: all."""
    require_role(user, Role.PROVIDER_STAFF, Role.OFFICER)
    found = _statements()
    if month is not None:
        found = found.filter(month=month)
    if is_admin(user):
        return found
    if user.role == Role.PROVIDER_STAFF:
        return found.filter(organisation_id=user.organisation_id)
    return found.filter(organisation__district_id__in=district_scope(user) or set())


def statement_is_late(*, statement: Statement, today: dt.date | None = None) -> bool:
    approved_on = timezone.localdate(statement.approved_at) if statement.approved_at else None
    return rules.is_late(
        status=statement.status, due_on=statement.due_on, approved_on=approved_on, today=today or timezone.localdate()
    )


def late_statements(*, user: Any, today: dt.date | None = None) -> QuerySet[Statement]:
    """The user's statements still not approved after their due date."""
    return statements_for_user(user=user).filter(status=Statement.Status.DRAFT, due_on__lt=today or timezone.localdate())


def statement_lines(*, statement: Statement) -> QuerySet[StatementLine]:
    return StatementLine.objects.filter(statement=statement).select_related("child", "group", "created_by")


@dataclass(frozen=True)
class Totals:
    attendance: Decimal
    adjustments: Decimal

    @property
    def total(self) -> Decimal:
        return self.attendance + self.adjustments


def statement_totals(*, statement: Statement) -> Totals:
    sums = dict(
        StatementLine.objects.filter(statement=statement).values_list("kind").annotate(s=Sum("amount")).values_list("kind", "s")
    )
    # SQLite's SUM drops trailing zeros: amounts are shown, and compared, to the tiyn.
    return Totals(
        attendance=rules.to_tiyn(Decimal(sums.get(StatementLine.Kind.ATTENDANCE) or 0)),
        adjustments=rules.to_tiyn(Decimal(sums.get(StatementLine.Kind.ADJUSTMENT) or 0)),
    )


_DIGEST_FIELDS = (
    "id", "kind", "child_id", "group_id", "sessions", "paid", "absent", "contested", "upheld", "awaiting", "unconfirmed",
    "monthly_value", "amount",
)


def attendance_digest(*, statement: Statement) -> str:
    """SHA-256 over the statement's attendance lines: recorded at approval, recomputed to show nothing changed."""
    rows = StatementLine.objects.filter(statement=statement, kind=StatementLine.Kind.ATTENDANCE).order_by("id")
    canonical = [[str(v) for v in row] for row in rows.values_list(*_DIGEST_FIELDS)]
    return hashlib.sha256(json.dumps(canonical, separators=(",", ":")).encode()).hexdigest()


def statement_intact(*, statement: Statement) -> bool:
    """True unless an approved statement's attendance lines differ from what the officer approved."""
    return not statement.approved_digest or attendance_digest(statement=statement) == statement.approved_digest


def organisations_for_officer(*, user: Any) -> QuerySet[Organisation]:
    scope = district_scope(user)
    found = Organisation.objects.select_related("district").filter(status=Organisation.Status.APPROVED)
    return found if scope is None else found.filter(district_id__in=scope)


# --- attendance facts ---------------------------------------------------------------------------------


@dataclass
class ChildMonth:
    """One child's month in one group, ready to become an attendance line."""

    child_id: int
    group_id: int
    counts: dict[rules.DayOutcome, int] = field(default_factory=dict)
    monthly_value: Decimal = Decimal("0.00")


def _upheld_dispute_days(*, child_ids: set[int], group_ids: set[int], first: dt.date, last: dt.date) -> set[tuple[int, int, dt.date]]:
    """(child, group, day) excluded by disputes upheld in kezek.integrity; nothing while that app is not installed.

    Contract read from ``kezek.integrity.models.Dispute``: status "upheld", ``child``, the group the dispute is about
    (``group``), and the upheld range ``upheld_from``..``upheld_to`` (``upheld_to`` empty: open-ended).
    """
    if not apps.is_installed("kezek.integrity"):
        return set()
    try:
        dispute_model = apps.get_model("integrity", "Dispute")
    except LookupError:
        return set()
    names = {f.name for f in dispute_model._meta.get_fields()}
    if not {"status", "child", "group", "upheld_from", "upheld_to"} <= names:
        return set()
    disputes = dispute_model.objects.filter(
        Q(upheld_to__isnull=True) | Q(upheld_to__gte=first),
        status="upheld", child_id__in=child_ids, group_id__in=group_ids, upheld_from__lte=last,
    ).values_list("child_id", "group_id", "upheld_from", "upheld_to")
    days: set[tuple[int, int, dt.date]] = set()
    for child_id, group_id, start, end in disputes:
        day, stop = max(start, first), min(end or last, last)
        while day <= stop:
            days.add((child_id, group_id, day))
            day += dt.timedelta(days=1)
    return days


def _club_values(*, organisation: Organisation, child_ids: set[int], month: dt.date) -> dict[tuple[int, int | None], Decimal]:
    """Monthly values of the children's vouchers: by (child, section) while seated, else by child for the period."""
    values: dict[tuple[int, int | None], Decimal] = {}
    vouchers = (
        Voucher.objects.filter(child_id__in=child_ids, campaign__period_start__lte=rules.next_month(month) - dt.timedelta(days=1))
        .filter(campaign__period_end__gte=month)
        .order_by("issued_at", "pk")
        .values_list("child_id", "section_id", "section__organisation_id", "campaign__monthly_value")
    )
    for child_id, section_id, provider_id, value in vouchers:
        if provider_id == organisation.pk:
            values[(child_id, section_id)] = Decimal(value)
        values[(child_id, None)] = Decimal(value)
    return values


def attendance_month(*, organisation: Organisation, month: dt.date, now: dt.datetime | None = None) -> list[ChildMonth]:
    """Every child with a mark or a monthly sheet in the provider's groups that month, with each session's outcome."""
    now = now or timezone.now()
    first, last = month, rules.next_month(month) - dt.timedelta(days=1)
    region_id = organisation.district.region_id
    region = region_rules(region_id=region_id)
    sessions = list(Session.objects.filter(group__organisation=organisation, date__range=(first, last)).values_list("id", "group_id", "date"))
    session_ids = [s[0] for s in sessions]
    by_group: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    for session_id, group_id, day in sessions:
        by_group[group_id].append((session_id, day))
    present = set(Mark.objects.filter(session_id__in=session_ids, status=Mark.Status.PRESENT).values_list("session_id", "child_id"))
    marked = set(Mark.objects.filter(session_id__in=session_ids).values_list("child_id", "session__group_id"))
    checked_in = set(CheckIn.objects.filter(session_id__in=session_ids).values_list("session_id", "child_id"))
    sheets = {
        (child_id, group_id): (status, deadline)
        for child_id, group_id, status, deadline in MonthlySheet.objects.filter(
            group__organisation=organisation, month=month
        ).values_list("child_id", "group_id", "status", "deadline")
    }
    contests = {
        (session_id, child_id): status
        for session_id, child_id, status in ContestedDay.objects.filter(
            sheet__group__organisation=organisation, sheet__month=month
        ).values_list("session_id", "sheet__child_id", "status")
    }
    keys = sorted(key for key in marked | set(sheets) if key[1] in by_group)
    child_ids = {c for c, _ in keys}
    upheld = _upheld_dispute_days(child_ids=child_ids, group_ids=set(by_group), first=first, last=last)
    # Sheets not made yet: the deadline they will have (exclusive, the end of the region's confirm-by day).
    default_deadline = sheet_deadline(month=month, confirm_by_day=region.confirm_by_day, tz=timezone.get_current_timezone())
    silence_confirms = region.silence_means == RegionAttendanceRules.SilenceMeans.CONFIRMED
    is_club = organisation.kind == Organisation.Kind.CLUB
    club_values = _club_values(organisation=organisation, child_ids=child_ids, month=month) if is_club else {}
    kindergarten_value = Decimal("0.00") if is_club else kindergarten_monthly_value(region_id=region_id)
    result = []
    for child_id, group_id in keys:
        sheet_status, deadline = sheets.get((child_id, group_id), (None, None))
        deadline_passed = now >= (deadline or default_deadline)
        outcomes = [
            rules.day_outcome(
                present=(session_id, child_id) in present, checked_in=(session_id, child_id) in checked_in,
                sheet_status=sheet_status, deadline_passed=deadline_passed, silence_confirms=silence_confirms,
                contest_status=contests.get((session_id, child_id)), dispute_upheld=(child_id, group_id, day) in upheld,
            )
            for session_id, day in by_group[group_id]
        ]
        value = club_values.get((child_id, group_id), club_values.get((child_id, None), kindergarten_value))
        result.append(ChildMonth(child_id=child_id, group_id=group_id, counts=rules.count_outcomes(outcomes), monthly_value=value))
    return result


def organisations_with_sessions(*, month: dt.date) -> QuerySet[Organisation]:
    """Providers that held sessions in the month (the worker drafts a statement for each)."""
    last = rules.next_month(month) - dt.timedelta(days=1)
    ids = Session.objects.filter(date__range=(month, last)).values("group__organisation_id")
    return Organisation.objects.filter(pk__in=ids).order_by("pk")
