"""The ``kezek demo`` step of issue 6: enrolled children, club vouchers, a month of sessions and marks, and a few
planted phantoms ("dead souls") that the integrity scan then finds.

Idempotent: an earlier ``demo.integrity`` audit event means the step already ran. Rows are written in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from kezek.accounts.models import Role, User
from kezek.applications.models import Application
from kezek.attendance.models import Mark, Session
from kezek.audit.models import AuditEvent
from kezek.audit.services import audit_record
from kezek.domain.iin import age_in_months
from kezek.domain.integrity import public_holiday_name
from kezek.geo.models import District
from kezek.organisations.models import Group, Organisation
from kezek.people.models import LegalRepresentation, Person
from kezek.placements.models import Enrolment
from kezek.vouchers.models import Voucher, VoucherAgreement, VoucherCampaign

MARKER = "demo.integrity"
DAYS = 30
KINDERGARTEN_CHILDREN = 60
CLUB_CHILDREN = 30
CLUB_SCHEDULE = "Пн, Ср, Пт 16:00–17:30"


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _parent_account(adult: Person) -> User:
    """The adult's parent account, as their first SMS sign-in would create it."""
    user = User.objects.filter(person=adult).first()
    if user is None:
        taken = User.objects.filter(username=adult.phone).exists()
        user = User(username=f"iin{adult.iin}" if taken else adult.phone, role=Role.PARENT, person=adult,
                    display_name=adult.full_name)
        user.set_unusable_password()
        user.save()
    return user


def _families(today: dt.date, low_months: int, high_months: int, count: int, skip: set[int]) -> list[tuple[Person, Person]]:
    """(adult with a phone, child) pairs with the child's age in months in [low, high), one child per family."""
    found: list[tuple[Person, Person]] = []
    links = (
        LegalRepresentation.objects.select_related("representative", "child").exclude(representative__phone="")
        .filter(child__birth_date__lte=today - dt.timedelta(days=low_months * 31),
                child__birth_date__gt=today - dt.timedelta(days=high_months * 30))
        .order_by("id")
    )
    seen_adults: set[int] = set()
    for link in links.iterator(chunk_size=500):
        if link.representative_id in seen_adults or link.child_id in skip:
            continue
        skip = skip | {link.child_id}
        if Application.objects.filter(child_id=link.child_id).exists():
            continue  # a child with a queue application of their own is left to the queue demo
        seen_adults.add(link.representative_id)
        found.append((link.representative, link.child))
        if len(found) == count:
            break
    return found


def _working_days(today: dt.date) -> list[dt.date]:
    days = [today - dt.timedelta(days=d) for d in range(DAYS, 0, -1)]
    return [d for d in days if d.weekday() < 5 and not public_holiday_name(d)]


def _free(group: Group) -> int:
    return group.capacity - group.enrolled


def _enrol(pairs, groups: list[Group], district: District, today: dt.date) -> list[Enrolment]:
    """Each child in the group of their age with a free place; the first child too old for the youngest group goes
    there anyway (a planted phantom: age outside the group's range)."""
    enrolments = []
    planted = False
    for adult, child in pairs:
        months = age_in_months(child.birth_date, today)
        fitting = [g for g in groups if g.age_min_months <= months <= g.age_max_months and _free(g) > 0]
        if not planted and months > groups[0].age_max_months and _free(groups[0]) > 0:
            fitting, planted = [groups[0]], True
        if not fitting:
            continue
        group = fitting[0]
        application = Application.objects.create(
            child=child, applicant=_parent_account(adult), district=district, desired_start_date=today - dt.timedelta(days=90),
            language=group.language if group.language in ("kk", "ru") else "kk", age_group=child.birth_date.year,
            phones=[adult.phone, adult.phone], notify_channel="sms", notify_language="ru",
            status=Application.Status.ENROLLED, registered_at=timezone.now() - dt.timedelta(days=400),
            submission_key=f"demo-integrity-{child.pk}",
        )
        enrolments.append(Enrolment.objects.create(child=child, group=group, application=application,
                                                   started_on=today - dt.timedelta(days=90)))
        group.enrolled += 1
        Group.objects.filter(pk=group.pk).update(enrolled=F("enrolled") + 1)
    return enrolments


def _vouchers(pairs, sections: list[Group], officer: User, district: District, today: dt.date) -> list[Voucher]:
    campaign = VoucherCampaign.objects.create(
        title="Damu Bala: демо", region=district.region, district=district, period_start=today - dt.timedelta(days=90),
        period_end=today + dt.timedelta(days=200), kind=VoucherCampaign.Kind.TARGETED, policy=VoucherCampaign.Policy.QUEUE,
        status=VoucherCampaign.Status.OPEN, quota=max(len(pairs), 1) + 10, monthly_value=20_000, min_age=4, max_age=17,
        held=min(len(pairs), sum(_free(s) for s in sections)), announced_at=timezone.now() - dt.timedelta(days=100), created_by=officer,
    )
    seated_at = timezone.now() - dt.timedelta(days=80)
    vouchers = []
    for adult, child in pairs:
        free = [s for s in sections if _free(s) > 0]
        if not free:
            break
        section = min(free, key=lambda s: s.enrolled)
        section.enrolled += 1
        Group.objects.filter(pk=section.pk).update(enrolled=F("enrolled") + 1)
        voucher = Voucher.objects.create(
            campaign=campaign, kind=campaign.kind, child=child, holder=_parent_account(adult), status=Voucher.Status.ACTIVE,
            section=section, issued_at=seated_at, status_changed_at=seated_at,
        )
        VoucherAgreement.objects.create(voucher=voucher, section=section, text="Демо-соглашение", text_hash="0" * 64,
                                        parent_accepted_at=seated_at, provider_accepted_at=seated_at)
        vouchers.append(voucher)
    return vouchers


def _sessions(groups: list[Group], days: list[dt.date], hours: tuple[tuple[int, int], tuple[int, int]]) -> dict:
    rows = [Session(group=g, date=d, starts_at=_aware(d, *hours[0]), ends_at=_aware(d, *hours[1]))
            for g in groups for d in days]
    Session.objects.bulk_create(rows, batch_size=1000)
    return {(s.group_id, s.date): s for s in Session.objects.filter(group__in=groups, date__in=days)}


def seed_demo_attendance(*, rng: random.Random) -> dict[str, Any] | None:
    """Seed the month of attendance with planted phantoms; None when it is already there or nothing to enrol."""
    if AuditEvent.objects.filter(action=MARKER).exists():
        return None
    today = timezone.localdate()
    officer = User.objects.filter(role=Role.OFFICER).order_by("id").first()
    staff = User.objects.filter(role=Role.PROVIDER_STAFF).order_by("id").first() or officer
    garden = Organisation.objects.filter(kind=Organisation.Kind.KINDERGARTEN, staff__isnull=False).order_by("id").first()
    club = Organisation.objects.filter(kind=Organisation.Kind.CLUB, staff__isnull=False).order_by("id").first()
    if officer is None or garden is None or club is None:
        return None
    groups = [g for g in garden.groups.order_by("id") if g.age_min_months >= 36][:3]
    sections = list(Group.objects.filter(organisation__district=club.district, organisation__kind=Organisation.Kind.CLUB,
                                         organisation__ownership=Organisation.Ownership.STATE, age_min_months__lte=84,
                                         age_max_months__gte=120).order_by("id")[:3])
    if not groups or not sections:
        return None
    with transaction.atomic():
        Group.objects.filter(pk__in=[s.pk for s in sections]).update(schedule=CLUB_SCHEDULE)
        kids = _families(today, 40, 66, KINDERGARTEN_CHILDREN, set())
        older = _families(today, 84, 120, CLUB_CHILDREN, {c.pk for _, c in kids})
        enrolments = _enrol(kids, groups, garden.district, today)
        vouchers = _vouchers(older, sections, officer, club.district, today)
        days = _working_days(today)
        garden_sessions = _sessions(groups, days, ((8, 0), (18, 0)))
        club_days = [d for d in days if d.weekday() in (0, 2, 4)]
        club_sessions = _sessions(sections, club_days, ((16, 0), (17, 30)))
        marks = []
        # Planted: the first three kindergarten children stopped coming four weeks ago; the fourth never came.
        stopped = {e.child_id for e in enrolments[:3]}
        never = {enrolments[3].child_id} if len(enrolments) > 3 else set()
        for e in enrolments:
            for day in days:
                if e.child_id in never or (e.child_id in stopped and day > today - dt.timedelta(days=28)):
                    continue
                status = Mark.Status.PRESENT if rng.random() < 0.9 else Mark.Status.ABSENT
                marks.append(Mark(session=garden_sessions[(e.group_id, day)], child_id=e.child_id, status=status,
                                  marked_by=staff))
        for v in vouchers:
            for day in club_days:
                status = Mark.Status.PRESENT if rng.random() < 0.85 else Mark.Status.ABSENT
                marks.append(Mark(session=club_sessions[(v.section_id, day)], child_id=v.child_id, status=status,
                                  marked_by=staff))
        # Planted: a kindergarten child also marked present at a club session the same afternoon (two places at once).
        if len(enrolments) > 5 and club_days:
            marks.append(Mark(session=club_sessions[(sections[0].pk, club_days[-1])], child_id=enrolments[5].child_id,
                              status=Mark.Status.PRESENT, marked_by=staff))
        # Planted: one kindergarten group opened on a Saturday and marked its children present.
        saturday = next(today - dt.timedelta(days=d) for d in range(1, 8) if (today - dt.timedelta(days=d)).weekday() == 5)
        weekend = Session.objects.create(group=groups[0], date=saturday, starts_at=_aware(saturday, 9),
                                         ends_at=_aware(saturday, 13))
        marks += [Mark(session=weekend, child_id=e.child_id, status=Mark.Status.PRESENT, marked_by=staff)
                  for e in enrolments[6:10] if e.group_id == groups[0].pk]
        Mark.objects.bulk_create(marks, batch_size=1000)
        too_old = [e for e in enrolments if age_in_months(e.child.birth_date, today) > e.group.age_max_months]
        summary = {"enrolments": len(enrolments), "vouchers": len(vouchers), "sessions": len(garden_sessions)
                   + len(club_sessions) + 1, "marks": len(marks), "planted_unattended": len(stopped | never),
                   "too_old_for_group": len(too_old)}
        audit_record(actor=None, action=MARKER, object_type="core.demo", object_id="integrity", after=summary)
    return summary
