"""Reading attendance: a group's roster on a day, its sessions, a child's monthly sheet, and who may see what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin
from kezek.attendance.models import CheckIn, ContestedDay, Mark, MonthlySheet, RegionAttendanceRules, Session
from kezek.domain.attendance import month_bounds
from kezek.organisations.models import Group
from kezek.people.models import LegalRepresentation, Person
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher

# A voucher keeps its child on the section's roster while it holds the place and the provider may be paid.
ROSTER_VOUCHER_STATUSES = (Voucher.Status.PLACED, Voucher.Status.ACTIVE)


def group_roster(*, group: Group | int, on: dt.date) -> QuerySet[Person]:
    """The children of a group on a day: an active (or then-active) kindergarten enrolment in it, or a placed or
    active club voucher for it; ordered by name."""
    group_id = getattr(group, "pk", group)
    enrolled = Enrolment.objects.filter(group_id=group_id, started_on__lte=on).filter(
        Q(status=Enrolment.Status.ACTIVE) | Q(status=Enrolment.Status.ENDED, ended_on__gt=on)
    ).values("child_id")
    vouchered = Voucher.objects.filter(section_id=group_id, status__in=ROSTER_VOUCHER_STATUSES).values("child_id")
    return Person.objects.filter(Q(pk__in=enrolled) | Q(pk__in=vouchered)).order_by("last_name", "first_name", "pk")


def child_on_roster(*, group: Group | int, child: Person | int, on: dt.date) -> bool:
    """Whether the child is on the group's roster on ``on``."""
    return group_roster(group=group, on=on).filter(pk=getattr(child, "pk", child)).exists()


def group_sessions(*, group: Group | int, on: dt.date | None = None, start: dt.date | None = None,
                   end: dt.date | None = None) -> QuerySet[Session]:
    """A group's sessions on one day, or between two days (inclusive), in time order."""
    queryset = Session.objects.filter(group_id=getattr(group, "pk", group))
    if on is not None:
        queryset = queryset.filter(date=on)
    if start is not None:
        queryset = queryset.filter(date__gte=start)
    if end is not None:
        queryset = queryset.filter(date__lte=end)
    return queryset.order_by("starts_at", "pk")


def groups_for_staff(*, user: Any) -> QuerySet[Group]:
    """Groups whose attendance the user may mark: their organisation's (staff), their district's (officer), all (admin)."""
    queryset = Group.objects.select_related("organisation").filter(is_active=True)
    if is_admin(user):
        return queryset
    if getattr(user, "role", None) == Role.PROVIDER_STAFF and user.organisation_id:
        return queryset.filter(organisation_id=user.organisation_id)
    if getattr(user, "role", None) == Role.OFFICER:
        return queryset.filter(organisation__district_id__in=district_scope(user) or set())
    return queryset.none()


@dataclass
class RosterRow:
    child: Person
    mark: Mark | None
    checkin: CheckIn | None


def session_roster(*, session: Session) -> list[RosterRow]:
    """Each child on the session's roster with their mark and check-in, if any."""
    marks = {m.child_id: m for m in Mark.objects.filter(session=session)}
    checkins = {c.child_id: c for c in CheckIn.objects.filter(session=session)}
    return [
        RosterRow(child=child, mark=marks.get(child.pk), checkin=checkins.get(child.pk))
        for child in group_roster(group=session.group_id, on=session.date)
    ]


def children_of_parent(*, user: Any) -> QuerySet[Person]:
    """The children the registry lists for the signed-in adult."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return Person.objects.none()
    return Person.objects.filter(
        pk__in=LegalRepresentation.objects.filter(representative_id=person_id).values("child_id")
    ).order_by("last_name", "first_name", "pk")


def is_representative(*, user: Any, child: Person | int) -> bool:
    """Whether the signed-in adult is the child's legal representative in the registry."""
    person_id = getattr(user, "person_id", None)
    return person_id is not None and LegalRepresentation.objects.filter(
        representative_id=person_id, child_id=getattr(child, "pk", child)
    ).exists()


def rules_for_group(*, group: Group) -> RegionAttendanceRules:
    """The region's attendance rules for a group, or the defaults (unsaved) when the region has none."""
    region_id = group.organisation.district.region_id
    return RegionAttendanceRules.objects.filter(region_id=region_id).first() or RegionAttendanceRules(region_id=region_id)


def sheets_for_parent(*, user: Any) -> QuerySet[MonthlySheet]:
    """Monthly sheets of the parent's children, newest month first."""
    return MonthlySheet.objects.select_related("child", "group__organisation").filter(
        child__in=children_of_parent(user=user)
    ).order_by("-month", "child__last_name", "pk")


def sheets_for_staff(*, user: Any) -> QuerySet[MonthlySheet]:
    """Sheets of the groups the user may see as staff (provider staff, officer, administrator)."""
    return MonthlySheet.objects.select_related("child", "group__organisation").filter(
        group__in=groups_for_staff(user=user)
    ).order_by("-month", "group__name", "child__last_name", "pk")


@dataclass
class SheetDay:
    session: Session
    mark: Mark | None
    checkin: CheckIn | None
    contest: ContestedDay | None


@dataclass
class SheetView:
    sheet: MonthlySheet
    days: list[SheetDay] = field(default_factory=list)

    @property
    def present(self) -> int:
        return sum(1 for d in self.days if d.mark is not None and d.mark.status == Mark.Status.PRESENT)


def child_sheet(*, sheet: MonthlySheet) -> SheetView:
    """A sheet with each session of its month: the provider's mark, the parent's check-in and any contest."""
    first, last = month_bounds(sheet.month)
    sessions = list(group_sessions(group=sheet.group_id, start=first, end=last))
    marks = {m.session_id: m for m in Mark.objects.filter(child_id=sheet.child_id, session__in=sessions)}
    checkins = {c.session_id: c for c in CheckIn.objects.filter(child_id=sheet.child_id, session__in=sessions)}
    contests = {c.session_id: c for c in ContestedDay.objects.filter(sheet=sheet)}
    days = [
        SheetDay(session=s, mark=marks.get(s.pk), checkin=checkins.get(s.pk), contest=contests.get(s.pk))
        for s in sessions
        if s.pk in marks or s.pk in checkins or s.pk in contests
    ]
    return SheetView(sheet=sheet, days=days)


def contested_days_for_staff(*, user: Any, open_only: bool = True) -> QuerySet[ContestedDay]:
    """Contested days of the groups the user may see as staff, oldest first."""
    queryset = ContestedDay.objects.select_related("sheet__child", "sheet__group__organisation", "session").filter(
        sheet__group__in=groups_for_staff(user=user)
    )
    if open_only:
        queryset = queryset.filter(status=ContestedDay.Status.OPEN)
    return queryset.order_by("session__starts_at", "pk")
