"""Seeded places, sessions and marks for the integrity tests, written directly as rows (valid data).

``TODAY`` is a fixed Monday a week after Independence Day, so that every scan sees the same calendar.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db.models import F
from django.utils import timezone

from kezek.applications.models import Application
from kezek.attendance.models import Mark, Session
from kezek.organisations.models import Group, Organisation
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher, VoucherAgreement, VoucherCampaign
from tests.factories.accounts import make_officer, make_parent, make_provider_staff
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import make_family

TODAY = dt.date(2025, 12, 22)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _db(db):
    """Every integrity test uses the database."""


@pytest.fixture
def yesil():
    return district("astana-yesil")


@pytest.fixture
def officer(yesil):
    user = make_officer(yesil)
    user.email = f"{user.username}@akimat.example.kz"
    user.save(update_fields=["email"])
    return user


def aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, minute))


def staff_of(organisation: Organisation):
    user = make_provider_staff(organisation)
    user.email = f"{user.username}@provider.example.kz"
    user.save(update_fields=["email"])
    return user


def kindergarten_group(**kwargs) -> Group:
    return make_group(age_min_months=36, age_max_months=59, **kwargs)


def club_section(*, schedule: str = "Пн, Ср, Пт 16:00–17:30", organisation: Organisation | None = None, **kwargs) -> Group:
    organisation = organisation or make_organisation(kind=Organisation.Kind.CLUB, ownership=Organisation.Ownership.PRIVATE)
    section = make_group(organisation=organisation, kind=Group.Kind.SPORT, age_min_months=60, age_max_months=167,
                         name="Футбол", **kwargs)
    Group.objects.filter(pk=section.pk).update(schedule=schedule)
    section.refresh_from_db()
    return section


def family(*, birth_date: dt.date = dt.date(2021, 6, 1), children: int = 1):
    """A parent's account and their registry children."""
    parent, kids = make_family(children=children, child_birth_dates=[birth_date] * children)
    return make_parent(parent), kids


def enrol(child, group: Group, *, started_on: dt.date = dt.date(2025, 9, 1), applicant=None) -> Enrolment:
    """An enrolled application and its active enrolment, the group's count taken."""
    application = make_application(child=child, applicant=applicant, status=Application.Status.ENROLLED)
    Group.objects.filter(pk=group.pk).update(enrolled=F("enrolled") + 1)
    return Enrolment.objects.create(child=child, group=group, application=application, started_on=started_on)


def campaign(*, officer, period_start: dt.date = dt.date(2025, 9, 1), quota: int = 10) -> VoucherCampaign:
    now = timezone.now()
    return VoucherCampaign.objects.create(
        title=f"Damu Bala {next(_numbers)}", region=officer.district.region, district=officer.district,
        period_start=period_start, period_end=dt.date(2026, 5, 31), kind=VoucherCampaign.Kind.UNIVERSAL,
        policy=VoucherCampaign.Policy.QUEUE, status=VoucherCampaign.Status.OPEN, quota=quota, monthly_value=20_000,
        min_age=4, max_age=17, held=0, announced_at=now, created_by=officer,
    )


def voucher(*, child, holder, section: Group, the_campaign: VoucherCampaign, status: str = "active",
            since: dt.date = dt.date(2025, 9, 1), kind: str | None = None) -> Voucher:
    """A voucher seated in ``section`` since ``since``, the campaign's and the section's counts taken."""
    VoucherCampaign.objects.filter(pk=the_campaign.pk).update(held=F("held") + 1)
    Group.objects.filter(pk=section.pk).update(enrolled=F("enrolled") + 1)
    seated = aware(since, 10)
    made = Voucher.objects.create(
        campaign=the_campaign, kind=kind or the_campaign.kind, child=child, holder=holder, status=status, section=section,
        issued_at=seated, status_changed_at=seated,
    )
    VoucherAgreement.objects.create(voucher=made, section=section, text="agreement", text_hash="0" * 64,
                                    parent_accepted_at=seated, provider_accepted_at=seated)
    return made


def session(group: Group, day: dt.date, start: tuple[int, int] = (9, 0), end: tuple[int, int] = (12, 0)) -> Session:
    found = Session.objects.filter(group=group, starts_at=aware(day, *start)).first()
    return found or Session.objects.create(group=group, date=day, starts_at=aware(day, *start), ends_at=aware(day, *end))


def mark(group: Group, child, day: dt.date, *, status: str = "present", marked_by=None,
         start: tuple[int, int] = (9, 0), end: tuple[int, int] = (12, 0)) -> Mark:
    marked_by = marked_by or make_provider_staff(group.organisation)
    return Mark.objects.create(session=session(group, day, start, end), child=child, status=status, marked_by=marked_by)


def weekdays(last: dt.date, count: int) -> list[dt.date]:
    """The ``count`` Mondays-to-Fridays up to ``last`` that are not public holidays, oldest first."""
    from kezek.domain.integrity import public_holiday_name

    days, day = [], last
    while len(days) < count:
        if day.weekday() < 5 and not public_holiday_name(day):
            days.append(day)
        day -= dt.timedelta(days=1)
    return sorted(days)


def attend(group: Group, child, days: list[dt.date], **kwargs) -> None:
    staff = make_provider_staff(group.organisation)
    for day in days:
        mark(group, child, day, marked_by=staff, **kwargs)
