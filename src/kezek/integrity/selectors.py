"""Reads of kezek.integrity: the scan's set-based reads (a fixed number of queries whatever the size) and pages.

The scan never reads row by row: each read below is one query (or a few in chunks of ids) that groups in the
database and hands plain rows to the pure rules in ``kezek.domain.integrity``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope
from kezek.applications.models import Application
from kezek.attendance.models import CheckIn, ContestedDay, Mark, RegionAttendanceRules, Session
from kezek.domain.integrity import CONTESTED_MIN_DAYS, GroupLoad, Presence, ProviderMarks, Seat, SeatedVoucher, SessionRow
from kezek.domain.vouchers import SEATED_STATUSES
from kezek.integrity.models import Dispute, IntegrityFlag, Suspension
from kezek.organisations.models import Group, Organisation
from kezek.placements.models import Enrolment, Offer
from kezek.vouchers.models import Voucher, VoucherApplication

# Attendance older than this is not read: a place unattended that long is flagged all the same.
HISTORY_DAYS = 366
# The window of the month-based rules (sessions, marks, contested days).
WINDOW_DAYS = 31
ATTENDING_VOUCHERS = ("placed", "active")
CHUNK = 2000


@dataclass(frozen=True)
class RegionRules:
    no_attendance_weeks: int
    suspension_grace_days: int
    max_sections_per_child: int
    dispute_working_days: int


def _default(name: str) -> int:
    return RegionAttendanceRules._meta.get_field(name).default


DEFAULT_RULES = RegionRules(*(_default(n) for n in RegionRules.__dataclass_fields__))


def region_rules() -> dict[int, RegionRules]:
    """Every region's own numbers; regions without a row use ``DEFAULT_RULES``."""
    rows = RegionAttendanceRules.objects.values_list("region_id", *RegionRules.__dataclass_fields__)
    return {row[0]: RegionRules(*row[1:]) for row in rows}


def rules_for_region(region_id: int, rules: dict[int, RegionRules] | None = None) -> RegionRules:
    rules = region_rules() if rules is None else rules
    return rules.get(region_id, DEFAULT_RULES)


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]


# --- the scan's reads ----------------------------------------------------------------------------------


def scan_last_attended(*, since: dt.date) -> dict[tuple[int, int], dt.date]:
    """(child, group) -> the last day the child attended: a present mark not upheld as contested, or a check-in."""
    upheld = ContestedDay.objects.filter(
        status=ContestedDay.Status.UPHELD, session_id=OuterRef("session_id"), sheet__child_id=OuterRef("child_id")
    )
    marks = (
        Mark.objects.filter(status=Mark.Status.PRESENT, session__date__gte=since)
        .exclude(Exists(upheld))
        .values_list("child_id", "session__group_id")
        .annotate(last=Max("session__date"))
        .order_by()
    )
    checkins = (
        CheckIn.objects.filter(session__date__gte=since)
        .values_list("child_id", "session__group_id")
        .annotate(last=Max("session__date"))
        .order_by()
    )
    found: dict[tuple[int, int], dt.date] = {}
    for child_id, group_id, last in [*marks, *checkins]:
        key = (child_id, group_id)
        if key not in found or found[key] < last:
            found[key] = last
    return found


def _voucher_start(changed: dt.datetime, period_start: dt.date) -> dt.date:
    return max(timezone.localdate(changed), period_start)


def scan_seats(*, today: dt.date, rules: dict[int, RegionRules]) -> list[Seat]:
    """Every active kindergarten enrolment and every placed or active voucher, with its last attendance."""
    last = scan_last_attended(since=today - dt.timedelta(days=HISTORY_DAYS))
    common = ("child_id", "child__birth_date")
    seats = []
    enrolments = Enrolment.objects.filter(status=Enrolment.Status.ACTIVE).values_list(
        "pk", *common, "group_id", "group__organisation_id", "group__organisation__district__region_id", "started_on",
        "group__age_min_months", "group__age_max_months",
    )
    for pk, child_id, birth, group_id, org_id, region_id, started, low, high in enrolments.iterator(chunk_size=5000):
        seats.append(Seat("enrolment", pk, child_id, group_id, org_id, started, birth, low, high,
                          last.get((child_id, group_id)), rules_for_region(region_id, rules).no_attendance_weeks))
    vouchers = Voucher.objects.filter(status__in=ATTENDING_VOUCHERS).values_list(
        "pk", *common, "section_id", "section__organisation_id", "section__organisation__district__region_id",
        "status_changed_at", "campaign__period_start", "section__age_min_months", "section__age_max_months",
    )
    for pk, child_id, birth, group_id, org_id, region_id, changed, period, low, high in vouchers.iterator(chunk_size=5000):
        seats.append(Seat("voucher", pk, child_id, group_id, org_id, _voucher_start(changed, period), birth, low, high,
                          last.get((child_id, group_id)), rules_for_region(region_id, rules).no_attendance_weeks))
    return seats


def _present_in_window(start: dt.date) -> QuerySet[Mark]:
    return Mark.objects.filter(status=Mark.Status.PRESENT, session__date__gte=start)


def scan_overlap_candidates(*, start: dt.date) -> list[Presence]:
    """Presences of children marked present in two or more groups on the same day (the only possible overlaps)."""
    pairs = {
        (child_id, day) for child_id, day, _ in _present_in_window(start).values_list("child_id", "session__date")
        .annotate(groups=Count("session__group_id", distinct=True)).filter(groups__gt=1).order_by()
    }
    presences = []
    for chunk in _chunks(sorted({child_id for child_id, _ in pairs})):
        rows = _present_in_window(start).filter(child_id__in=chunk).values_list(
            "child_id", "session_id", "session__group_id", "session__group__organisation_id", "session__date",
            "session__starts_at", "session__ends_at",
        )
        for child_id, session_id, group_id, org_id, day, starts, ends in rows:
            if (child_id, day) in pairs:
                presences.append(Presence(child_id, session_id, group_id, org_id,
                                          timezone.localtime(starts), timezone.localtime(ends)))
    return presences


def scan_sections_by_child(*, start: dt.date, rules: dict[int, RegionRules]) -> tuple[dict[int, set[int]], dict[int, int]]:
    """Child -> the club sections they hold a voucher in or were marked present in, and the child's limit."""
    club = Organisation.Kind.CLUB
    seated = Voucher.objects.filter(status__in=sorted(SEATED_STATUSES)).values_list(
        "child_id", "section_id", "section__organisation__district__region_id"
    )
    marked = (
        _present_in_window(start).filter(session__group__organisation__kind=club)
        .values_list("child_id", "session__group_id", "session__group__organisation__district__region_id").distinct()
    )
    sections: dict[int, set[int]] = defaultdict(set)
    limits: dict[int, int] = {}
    for child_id, group_id, region_id in [*seated, *marked]:
        sections[child_id].add(group_id)
        limit = rules_for_region(region_id, rules).max_sections_per_child
        limits[child_id] = min(limits.get(child_id, limit), limit)
    return sections, limits


def scan_sessions(*, start: dt.date) -> list[SessionRow]:
    """Sessions in the window with children marked present, with the group's schedule and the provider's kind."""
    rows = (
        Session.objects.filter(date__gte=start)
        .annotate(present=Count("marks", filter=Q(marks__status=Mark.Status.PRESENT)))
        .filter(present__gt=0)
        .values_list("pk", "group_id", "group__organisation_id", "starts_at", "ends_at", "group__schedule",
                     "group__organisation__kind", "present")
        .order_by()
    )
    return [
        SessionRow(pk, group_id, org_id, timezone.localtime(starts), timezone.localtime(ends), schedule or "",
                   kind == Organisation.Kind.KINDERGARTEN, present)
        for pk, group_id, org_id, starts, ends, schedule, kind, present in rows.iterator(chunk_size=5000)
    ]


def scan_provider_marks(*, start: dt.date) -> list[ProviderMarks]:
    """Providers with parents' upheld contested days in the window, and their present marks there."""
    upheld = dict(
        ContestedDay.objects.filter(status=ContestedDay.Status.UPHELD, session__date__gte=start)
        .values_list("session__group__organisation_id").annotate(n=Count("id")).filter(n__gte=CONTESTED_MIN_DAYS).order_by()
    )
    if not upheld:
        return []
    present = dict(
        _present_in_window(start).filter(session__group__organisation_id__in=list(upheld))
        .values_list("session__group__organisation_id").annotate(n=Count("id")).order_by()
    )
    return [ProviderMarks(org_id, present.get(org_id, 0), count) for org_id, count in upheld.items()]


def scan_group_loads(*, sessions: list[SessionRow]) -> list[GroupLoad]:
    """Each group's roster (active enrolments and seated vouchers) and busiest session against its capacity."""
    roster: dict[int, int] = defaultdict(int)
    for group_id, n in Enrolment.objects.filter(status=Enrolment.Status.ACTIVE).values_list("group_id").annotate(n=Count("id")).order_by():
        roster[group_id] += n
    for group_id, n in Voucher.objects.filter(status__in=ATTENDING_VOUCHERS).values_list("section_id").annotate(n=Count("id")).order_by():
        roster[group_id] += n
    busiest: dict[int, int] = defaultdict(int)
    for row in sessions:
        busiest[row.group_id] = max(busiest[row.group_id], row.present)
    groups = Group.objects.filter(pk__in=set(roster) | set(busiest)).values_list("pk", "organisation_id", "capacity")
    return [GroupLoad(pk, org_id, capacity, roster.get(pk, 0), busiest.get(pk, 0)) for pk, org_id, capacity in groups]


def scan_double_vouchers() -> list[SeatedVoucher]:
    """Seated vouchers of children who hold more than one seated voucher."""
    seated = Voucher.objects.filter(status__in=sorted(SEATED_STATUSES))
    children = list(seated.values_list("child_id").annotate(n=Count("id")).filter(n__gt=1).values_list("child_id", flat=True).order_by())
    return [
        SeatedVoucher(*row)
        for chunk in _chunks(children)
        for row in seated.filter(child_id__in=chunk).values_list("pk", "child_id", "section_id", "section__organisation_id")
    ]


def scan_districts(*, organisation_ids: set[int], group_ids: set[int]) -> tuple[dict[int, int], dict[int, int]]:
    """organisation -> district and group -> organisation, for placing each finding on an officer's list."""
    groups = dict(Group.objects.filter(pk__in=group_ids).values_list("pk", "organisation_id"))
    orgs = dict(Organisation.objects.filter(pk__in=organisation_ids | set(groups.values())).values_list("pk", "district_id"))
    return orgs, groups


# --- pages ---------------------------------------------------------------------------------------------


def _in_scope(queryset: QuerySet, user: Any, field: str = "district_id") -> QuerySet:
    scope = district_scope(user)
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


def flags_for_officer(*, user: Any, status: str = "open", kind: str = "") -> QuerySet[IntegrityFlag]:
    """The officer's review list: flags of their district (administrators: all), newest first."""
    flags = _in_scope(IntegrityFlag.objects.select_related("organisation", "group", "child", "reviewer"), user)
    if status:
        flags = flags.filter(status=status)
    if kind:
        flags = flags.filter(kind=kind)
    return flags


def disputes_for_officer(*, user: Any, status: str = "open") -> QuerySet[Dispute]:
    disputes = _in_scope(Dispute.objects.select_related("child", "organisation", "group", "parent"), user)
    return disputes.filter(status=status) if status else disputes


def suspensions_for_officer(*, user: Any) -> QuerySet[Suspension]:
    return _in_scope(Suspension.objects.select_related("child", "group__organisation"), user).filter(
        status=Suspension.Status.SUSPENDED
    )


def disputes_for_provider(*, user: Any) -> QuerySet[Dispute]:
    """Disputes about the staff member's organisation, open first (the provider's record of upheld ones too)."""
    if user.role != Role.PROVIDER_STAFF and not user.is_superuser:
        return Dispute.objects.none()
    return (
        Dispute.objects.select_related("child", "group").filter(organisation_id=user.organisation_id)
        .order_by("status", "-filed_at")
    )


def children_overview(*, user: Any, children: list[Any]) -> list[dict[str, Any]]:
    """Everything under each child's name across all providers: enrolments, vouchers, applications, offers, disputes.

    ``children``: the registry's children of the signed-in parent (Person rows).
    """
    ids = [c.pk for c in children]
    by_child: dict[int, dict[str, list]] = {pk: defaultdict(list) for pk in ids}
    open_disputes = {
        (d.enrolment_id and ("enrolment", d.enrolment_id)) or ("voucher", d.voucher_id)
        for d in Dispute.objects.filter(child_id__in=ids, status=Dispute.Status.OPEN)
    }
    suspended = {
        (s.enrolment_id and ("enrolment", s.enrolment_id)) or ("voucher", s.voucher_id)
        for s in Suspension.objects.filter(child_id__in=ids, status=Suspension.Status.SUSPENDED)
    }
    for e in Enrolment.objects.select_related("group__organisation").filter(child_id__in=ids).order_by("-started_on"):
        by_child[e.child_id]["enrolments"].append({
            "row": e, "disputable": e.status == Enrolment.Status.ACTIVE, "disputed": ("enrolment", e.pk) in open_disputes,
            "suspended": ("enrolment", e.pk) in suspended,
        })
    for v in Voucher.objects.select_related("campaign", "section__organisation").filter(child_id__in=ids):
        by_child[v.child_id]["vouchers"].append({
            "row": v, "disputable": v.status in SEATED_STATUSES, "disputed": ("voucher", v.pk) in open_disputes,
            "suspended": ("voucher", v.pk) in suspended,
        })
    for a in Application.objects.select_related("district").filter(child_id__in=ids).order_by("-registered_at"):
        by_child[a.child_id]["applications"].append(a)
    for a in VoucherApplication.objects.select_related("campaign").filter(child_id__in=ids).order_by("-registered_at"):
        by_child[a.child_id]["voucher_applications"].append(a)
    offers = Offer.objects.select_related("place__group__organisation", "application").filter(application__child_id__in=ids)
    for o in offers:
        by_child[o.application.child_id]["offers"].append(o)
    for d in Dispute.objects.select_related("organisation", "group").filter(child_id__in=ids):
        by_child[d.child_id]["disputes"].append(d)
    return [{"child": c, **by_child[c.pk]} for c in children]
