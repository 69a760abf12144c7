"""Automatic suspension: a place without attendance for N weeks is suspended, then released after the grace.

Vouchers go through kezek.vouchers' services (suspended, then back to the campaign); kindergarten places stay
enrolled while suspended (the enrolment has no such status) and are ended through kezek.placements' service.
Every step locks its suspension row and re-checks it, so several workers never act twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from kezek.accounts.permissions import require_district
from kezek.attendance.models import CheckIn, Mark
from kezek.audit.services import audit_record
from kezek.domain.errors import NotFound, gettext_noop
from kezek.domain.integrity import Seat, check_suspension_transition, clean_note, release_on
from kezek.integrity import selectors
from kezek.integrity.models import Suspension
from kezek.integrity.services._common import notify_parent, notify_staff, parent_of
from kezek.organisations.models import Group
from kezek.placements.models import Enrolment
from kezek.placements.services.referrals import enrolment_end
from kezek.vouchers.models import Voucher
from kezek.vouchers.services.placement import (
    voucher_release_unattended,
    voucher_resume,
    voucher_suspend_unattended,
)


class SuspensionNotFound(NotFound):
    code = "suspension_not_found"
    message = gettext_noop("There is no such suspension.")


def _subject(suspension: Suspension) -> tuple[Enrolment | None, Voucher | None]:
    return suspension.enrolment, suspension.voucher


def _tell(suspension: Suspension, template: str, key: str) -> None:
    enrolment, voucher = _subject(suspension)
    group = suspension.group
    context = {"child": suspension.child.first_name, "provider": group.organisation.name, "group": group.name,
               "release_on": suspension.release_on.strftime("%d.%m.%Y")}
    notify_parent(parent_of(enrolment=enrolment, voucher=voucher), template=template, key=f"{key}:{suspension.pk}", **context)
    notify_staff(organisation_id=group.organisation_id, template=template, key=f"{key}:{suspension.pk}", **context)


def _set(suspension: Suspension, target: str, *, actor: Any | None, reason: str) -> None:
    check_suspension_transition(suspension.status, target)
    before = suspension.status
    suspension.status = target
    suspension.ended_at = timezone.now()
    suspension.end_reason = reason[:200]
    suspension.save(update_fields=["status", "ended_at", "end_reason"])
    audit_record(actor=actor, action=f"integrity.suspension.{target}", obj=suspension, before={"status": before},
                 after={"status": target, "reason": suspension.end_reason})


def _lock_open(pk: int) -> Suspension | None:
    return (
        Suspension.objects.select_for_update(of=("self",)).select_related("group__organisation", "child")
        .filter(pk=pk, status=Suspension.Status.SUSPENDED).first()
    )


def suspension_create(*, seat: Seat, today: dt.date, grace_days: int) -> Suspension | None:
    """Suspend one unattended place (rule: no attendance for N weeks); None when it is already suspended or gone."""
    with transaction.atomic():
        group = Group.objects.select_related("organisation").get(pk=seat.group_id)
        values = {"child_id": seat.child_id, "group": group, "district_id": group.organisation.district_id,
                  "last_attended": seat.last_attended, "suspended_on": today,
                  "release_on": release_on(suspended_on=today, grace_days=grace_days)}
        if seat.kind == "voucher":
            if not Voucher.objects.filter(pk=seat.pk, status="active").exists():
                return None  # placed, not yet accepted by the provider: nothing to attend yet
            voucher_suspend_unattended(voucher_id=seat.pk, reason=f"no attendance for {seat.no_attendance_weeks} weeks")
            values["voucher_id"] = seat.pk
        else:
            if not Enrolment.objects.filter(pk=seat.pk, status=Enrolment.Status.ACTIVE).exists():
                return None
            values["enrolment_id"] = seat.pk
        try:
            with transaction.atomic():
                suspension = Suspension.objects.create(**values)
        except IntegrityError:
            return None  # another worker suspended it first
        audit_record(actor=None, action="integrity.suspension.create", obj=suspension,
                     after={"status": "suspended", "subject": seat.subject, "release_on": suspension.release_on,
                            "last_attended": seat.last_attended})
        _tell(suspension, "integrity_place_suspended", "suspended")
    return suspension


def _came_back() -> Q:
    marks = Mark.objects.filter(child_id=OuterRef("child_id"), session__group_id=OuterRef("group_id"),
                                session__date__gte=OuterRef("suspended_on"), status=Mark.Status.PRESENT)
    checkins = CheckIn.objects.filter(child_id=OuterRef("child_id"), session__group_id=OuterRef("group_id"),
                                      session__date__gte=OuterRef("suspended_on"))
    return Q(enrolment__isnull=False) & (Q(Exists(marks)) | Q(Exists(checkins)))


def _settled_elsewhere() -> Q:
    # The voucher was resumed or ended by an officer, or the enrolment ended: the suspension has nothing to hold.
    return (Q(voucher__isnull=False) & ~Q(voucher__status="suspended")) | (
        Q(enrolment__isnull=False) & ~Q(enrolment__status=Enrolment.Status.ACTIVE)
    )


def suspensions_lift_returned() -> int:
    """Lift suspensions whose child came back or whose place was settled otherwise (rule: attendance restores)."""
    due = Suspension.objects.filter(status=Suspension.Status.SUSPENDED).filter(_came_back() | _settled_elsewhere())
    lifted = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            suspension = _lock_open(pk)
            if suspension is not None:
                _set(suspension, Suspension.Status.LIFTED, actor=None, reason="attended again or settled")
                lifted += 1
    return lifted


def suspensions_release_due(*, today: dt.date) -> int:
    """Release places still suspended after the grace period (rule: back to the campaign or the queue)."""
    due = Suspension.objects.filter(status=Suspension.Status.SUSPENDED, release_on__lte=today)
    released = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            suspension = _lock_open(pk)
            if suspension is None:
                continue
            reason = "released: no attendance through the suspension"
            if suspension.voucher_id:
                voucher_release_unattended(voucher_id=suspension.voucher_id, reason=reason)
            else:
                enrolment_end(actor=None, enrolment_id=suspension.enrolment_id, reason=reason)
            _set(suspension, Suspension.Status.RELEASED, actor=None, reason=reason)
            _tell(suspension, "integrity_place_released", "released")
            released += 1
    return released


def suspensions_apply(*, today: dt.date, unattended: list[Seat]) -> tuple[int, int, int]:
    """The nightly order: lift the returned, suspend the newly unattended, release those past the grace."""
    lifted = suspensions_lift_returned()
    rules = selectors.region_rules()
    grace = {}
    open_subjects = {
        ("enrolment", e) if e else ("voucher", v)
        for e, v in Suspension.objects.filter(status=Suspension.Status.SUSPENDED).values_list("enrolment_id", "voucher_id")
    }
    # A suspension an officer lifted gives the place a fresh N weeks from the lift.
    lifted_on: dict[tuple[str, int], dt.date] = {}
    for e, v, ended in Suspension.objects.filter(status=Suspension.Status.LIFTED).values_list(
        "enrolment_id", "voucher_id", "ended_at"
    ):
        key = ("enrolment", e) if e else ("voucher", v)
        lifted_on[key] = max(lifted_on.get(key, dt.date.min), timezone.localdate(ended))
    regions = dict(Group.objects.filter(pk__in={s.group_id for s in unattended})
                   .values_list("pk", "organisation__district__region_id"))
    suspended = 0
    for seat in unattended:
        key = (seat.kind, seat.pk)
        if key in open_subjects or (key in lifted_on and (today - lifted_on[key]).days < seat.no_attendance_weeks * 7):
            continue
        region_id = regions[seat.group_id]
        grace.setdefault(region_id, selectors.rules_for_region(region_id, rules).suspension_grace_days)
        suspended += suspension_create(seat=seat, today=today, grace_days=grace[region_id]) is not None
    released = suspensions_release_due(today=today)
    return lifted, suspended, released


def suspension_lift(*, actor: Any, suspension_id: int, note: str) -> Suspension:
    """An officer lifts a suspension after checking the child attends (rule: officer of the district, a note)."""
    note = clean_note(note, required=True)
    with transaction.atomic():
        suspension = _lock_open(suspension_id) if isinstance(suspension_id, int) else None
        if suspension is None:
            raise SuspensionNotFound()
        require_district(actor, suspension.district_id)
        if suspension.voucher_id:
            voucher_resume(actor=actor, voucher_id=suspension.voucher_id, reason=note)
        _set(suspension, Suspension.Status.LIFTED, actor=actor, reason=note)
    return suspension

