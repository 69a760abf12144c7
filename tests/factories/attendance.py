"""Attendance for tests, written directly as rows: roster children, sessions, marks, check-ins, sheets and a month.

Use the services in ``kezek.attendance.services`` instead when the test is about marking or confirming.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone

from kezek.attendance.models import CheckIn, ContestedDay, Mark, MonthlySheet, RegionAttendanceRules, Session
from kezek.domain.attendance import month_bounds, sheet_deadline
from kezek.domain.workdays import is_working_day
from kezek.organisations.models import Group
from kezek.placements.models import Enrolment
from tests.factories.accounts import make_parent, make_provider_staff
from tests.factories.people import make_family


def local_moment(day: dt.date, at: dt.time) -> dt.datetime:
    """``day`` at ``at`` in the site's time zone (aware)."""
    return timezone.make_aware(dt.datetime.combine(day, at))


def make_session(
    group: Group, *, day: dt.date | None = None, at: dt.time = dt.time(9, 0), minutes: int = 60, created_by=None,
) -> Session:
    """A session of ``group`` on ``day`` (today by default) at ``at``, lasting ``minutes``."""
    day = day or timezone.localdate()
    starts = local_moment(day, at)
    return Session.objects.create(group=group, date=day, starts_at=starts, ends_at=starts + dt.timedelta(minutes=minutes),
                                  created_by=created_by)


def enrol_child(group: Group, child, *, started_on: dt.date | None = None, applicant=None) -> Enrolment:
    """An active kindergarten enrolment of ``child`` in ``group`` (with the application row it needs)."""
    from tests.factories.applications import make_application

    application = make_application(child=child, applicant=applicant, district=group.organisation.district,
                                   status="enrolled")
    return Enrolment.objects.create(child=child, group=group, application=application,
                                    started_on=started_on or timezone.localdate() - dt.timedelta(days=60))


def place_voucher(group: Group, child, *, holder, status: str = "active"):
    """A club voucher of ``child`` held by ``holder`` and placed in the section ``group`` (campaign row included)."""
    from kezek.vouchers.models import Voucher, VoucherCampaign
    from tests.factories.accounts import make_officer

    district = group.organisation.district
    today = timezone.localdate()
    campaign = VoucherCampaign.objects.create(
        title="Attendance test", region_id=district.region_id, district=district, period_start=today - dt.timedelta(days=90),
        period_end=today + dt.timedelta(days=270), kind="universal", policy="queue", status="open", quota=100,
        monthly_value=20_000, min_age=4, max_age=17, announced_at=timezone.now(), created_by=make_officer(district),
    )
    return Voucher.objects.create(campaign=campaign, kind=campaign.kind, child=child, holder=holder, status=status,
                                  section=group)


def make_roster(group: Group, *, children: int = 3, via: str = "enrolment", born: dt.date = dt.date(2021, 3, 1)):
    """``children`` children on the roster of ``group``, each of their own family: ``[(parent_user, child), ...]``.

    ``via``: "enrolment" (kindergarten) or "voucher" (club section).
    """
    rows = []
    for _ in range(children):
        parent_person, (child,) = make_family(children=1, child_birth_dates=[born])
        parent = make_parent(parent_person)
        if via == "voucher":
            place_voucher(group, child, holder=parent)
        else:
            enrol_child(group, child, applicant=parent)
        rows.append((parent, child))
    return rows


def make_mark(session: Session, child, *, status: str = "present", marked_by=None, client_mark_id: str = "", **fields) -> Mark:
    """A provider's mark of ``child`` at ``session`` (a staff member of the group's organisation marks it by default)."""
    marked_by = marked_by or make_provider_staff(session.group.organisation)
    return Mark.objects.create(session=session, child=child, status=status, marked_by=marked_by,
                               client_mark_id=client_mark_id, **fields)


def make_checkin(session: Session, child, *, parent, window: int = 0) -> CheckIn:
    return CheckIn.objects.create(session=session, child=child, parent=parent, code_window=window)


def make_sheet(child, group: Group, *, month: dt.date, status: str = "open", deadline: dt.datetime | None = None,
               **fields: Any) -> MonthlySheet:
    """A monthly sheet (deadline: the 5th of the next month, end of day, unless given)."""
    first, _ = month_bounds(month)
    deadline = deadline or sheet_deadline(month=first, confirm_by_day=5, tz=timezone.get_current_timezone())
    return MonthlySheet.objects.create(child=child, group=group, month=first, status=status, deadline=deadline, **fields)


def make_contest(sheet: MonthlySheet, session: Session, *, reason: str = "Ill at home", **fields: Any) -> ContestedDay:
    return ContestedDay.objects.create(sheet=sheet, session=session, reason=reason, **fields)


def set_region_rules(group_or_region, **values: Any) -> RegionAttendanceRules:
    """The attendance rules of the group's (or this) region, created or updated with ``values``."""
    region_id = getattr(group_or_region, "region_id", None) or getattr(group_or_region, "pk", None)
    if isinstance(group_or_region, Group):
        region_id = group_or_region.organisation.district.region_id
    rules, _ = RegionAttendanceRules.objects.update_or_create(region_id=region_id, defaults=values)
    return rules


def make_month_of_attendance(
    group: Group, *, month: dt.date, children: Iterable | None = None, marked_by=None,
    present: Callable[[Any, dt.date], bool] | None = None, at: dt.time = dt.time(9, 0), minutes: int = 60,
) -> list[Session]:
    """A session on every working day of ``month`` and a mark for each child (present unless ``present`` says no).

    ``children``: the roster of the month's first day when None. Returns the sessions in date order.
    """
    first, last = month_bounds(month)
    children = list(children) if children is not None else list(_roster(group, first))
    marked_by = marked_by or make_provider_staff(group.organisation)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    sessions = [
        Session(group=group, date=day, starts_at=local_moment(day, at),
                ends_at=local_moment(day, at) + dt.timedelta(minutes=minutes))
        for day in days if is_working_day(day)
    ]
    Session.objects.bulk_create(sessions)
    sessions = list(Session.objects.filter(group=group, date__gte=first, date__lte=last).order_by("starts_at"))
    Mark.objects.bulk_create(
        Mark(session=s, child=c, marked_by=marked_by,
             status="present" if present is None or present(c, s.date) else "absent", marked_at=s.ends_at)
        for s in sessions for c in children
    )
    return sessions


def _roster(group: Group, on: dt.date):
    from kezek.attendance.selectors import group_roster

    return group_roster(group=group, on=on)
