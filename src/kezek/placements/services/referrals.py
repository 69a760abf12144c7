"""Referrals: the officer's one extension, the missed contract deadline, and the contract that enrols the child.

A missed contract deadline makes the application **inactive**, as an ignored offer does: the parent
accepted a place and then did not take it, so the place goes to the next child, and the parent may
reactivate the application once within 28 days, keeping its registration time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import OutOfScope, is_admin, require_district, require_role
from kezek.applications.models import Application
from kezek.applications.selectors.rules import queue_rules_for_district
from kezek.audit.services import audit_record
from kezek.domain.deadlines import extended_deadline
from kezek.domain.placements import (
    ContractDeadlinePassed,
    EnrolmentNotFound,
    ExtensionReasonRequired,
    GroupFull,
    ReferralNotFound,
    ReferralNotIssued,
    check_enrolment_transition,
    check_referral_transition,
)
from kezek.domain.queue import ApplicationStatus
from kezek.organisations.models import Group
from kezek.placements.models import Enrolment, Referral
from kezek.placements.services._common import application_set_status, local_tz, lock_application, notify, shown_deadline
from kezek.placements.services.offers import place_pass_on

EXPIRE_BATCH = 100


def _pk(value: Any) -> int:
    return value.pk if isinstance(value, Referral) else int(value)


def _lock_referral(referral: Referral | int, *, skip_locked: bool = False) -> tuple[Application, Referral] | None:
    referral_id = _pk(referral)
    application_id = Referral.objects.filter(pk=referral_id).values_list("offer__application_id", flat=True).first()
    if application_id is None:
        raise ReferralNotFound()
    application = lock_application(application_id, skip_locked=skip_locked)
    if application is None:
        return None
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("offer__place__group__organisation", "offer__round")
        .get(pk=referral_id)
    )
    return application, locked


def _require_issued(referral: Referral, now: dt.datetime) -> None:
    if referral.status != Referral.Status.ISSUED:
        raise ReferralNotIssued()
    if now >= referral.contract_deadline:
        raise ContractDeadlinePassed(deadline=shown_deadline(referral.contract_deadline))


def referral_extend(*, officer: Any, referral: Referral | int, days: int, reason: str, now: dt.datetime | None = None) -> Referral:
    """An officer of the district extends the contract deadline (rule: once, at most 30 days, with a written reason)."""
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise ExtensionReasonRequired()
    now = now or timezone.now()
    with transaction.atomic():
        application, referral = _lock_referral(referral)
        require_district(officer, application.district_id)
        _require_issued(referral, now)
        rules = queue_rules_for_district(district_id=application.district_id)
        before = {"contract_deadline": referral.contract_deadline, "extended": referral.extended}
        referral.contract_deadline = extended_deadline(
            current=referral.contract_deadline, days=days, max_days=rules.contract_extension_max_days,
            already_extended=referral.extended,
        )
        referral.extended = True
        referral.extension_reason = reason
        referral.save(update_fields=["contract_deadline", "extended", "extension_reason"])
        audit_record(
            actor=officer, action="placements.referral.extend", obj=referral, before=before,
            after={"contract_deadline": referral.contract_deadline, "extended": True, "days": days, "reason": reason},
        )
        notify(
            application, template="placements_referral_extended", key=f"referral:{referral.pk}:extended",
            number=referral.number, contract_by=shown_deadline(referral.contract_deadline),
        )
    return referral


def _expire_one(referral_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        locked = _lock_referral(referral_id, skip_locked=True)
        if locked is None:  # another worker holds the application
            return False
        application, referral = locked
        if referral.status != Referral.Status.ISSUED or referral.contract_deadline > now:
            return False  # contracted or extended since the scan
        check_referral_transition(referral.status, Referral.Status.EXPIRED)
        referral.status = Referral.Status.EXPIRED
        referral.save(update_fields=["status"])
        application_set_status(
            application=application, target=ApplicationStatus.INACTIVE, actor=None, reason="referral_expired", now=now,
            referral_id=referral.pk,
        )
        audit_record(
            actor=None, action="placements.referral.expire", obj=referral, before={"status": "issued"}, after={"status": "expired"}
        )
        rules = queue_rules_for_district(district_id=application.district_id)
        notify(
            application, template="placements_referral_expired", key=f"referral:{referral.pk}:expired",
            number=referral.number, reactivation_days=rules.reactivation_days,
        )
        place_pass_on(offer=referral.offer, now=now)
    return True


def referrals_expire_due(*, now: dt.datetime | None = None, limit: int = EXPIRE_BATCH) -> int:
    """Referrals whose contract was not signed in time expire (rule: the place is freed and goes on; the application becomes inactive).

    Safe with several workers (re-checked under the application's row lock); at most ``limit`` per call.
    """
    now = now or timezone.now()
    due = list(
        Referral.objects.filter(status=Referral.Status.ISSUED, contract_deadline__lte=now)
        .order_by("contract_deadline", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_expire_one(referral_id, now) for referral_id in due)


def _require_kindergarten_staff(staff: Any, organisation: Any) -> None:
    require_role(staff, Role.PROVIDER_STAFF)
    if not is_admin(staff) and staff.organisation_id != organisation.pk:
        raise OutOfScope()


def _enrol(group: Group) -> None:
    try:
        with transaction.atomic():
            taken = Group.objects.filter(pk=group.pk, enrolled__lt=F("capacity")).update(enrolled=F("enrolled") + 1)
    except IntegrityError:  # the group_no_overenrolment constraint, should the check above ever be bypassed
        taken = 0
    if not taken:
        raise GroupFull(capacity=group.capacity)


def _end_previous_enrolment(*, application: Application, staff: Any, now: dt.datetime) -> None:
    """A transfer: the child leaves the old group (its place frees) and the old application closes."""
    previous = lock_application(application.transfer_of_id)
    enrolment = Enrolment.objects.select_for_update().filter(application=previous, status=Enrolment.Status.ACTIVE).first()
    if enrolment is not None:
        check_enrolment_transition(enrolment.status, Enrolment.Status.ENDED)
        enrolment.status = Enrolment.Status.ENDED
        enrolment.ended_on = timezone.localtime(now, local_tz()).date()
        enrolment.end_reason = "transfer"
        enrolment.save(update_fields=["status", "ended_on", "end_reason"])
        Group.objects.filter(pk=enrolment.group_id, enrolled__gt=0).update(enrolled=F("enrolled") - 1)
        audit_record(
            actor=staff, action="placements.enrolment.end", obj=enrolment, before={"status": "active"},
            after={"status": "ended", "reason": "transfer", "new_application_id": application.pk},
        )
    if previous.status == ApplicationStatus.ENROLLED:
        application_set_status(
            application=previous, target=ApplicationStatus.CLOSED, actor=staff, reason="transferred", now=now,
            new_application_id=application.pk,
        )


def enrolment_end(*, actor: Any | None, enrolment_id: int, reason: str, now: dt.datetime | None = None) -> Enrolment:
    """End an enrolment and free its place (rules: an upheld dispute, or a place released after no attendance).

    The enrolled application closes: the place goes back to the queue through the next round.
    ``actor`` None is the system acting on the region's attendance rule.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application_id = Enrolment.objects.filter(pk=enrolment_id).values_list("application_id", flat=True).first()
        if application_id is None:
            raise EnrolmentNotFound()
        application = lock_application(application_id)
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment_id)
        check_enrolment_transition(enrolment.status, Enrolment.Status.ENDED)
        enrolment.status = Enrolment.Status.ENDED
        enrolment.ended_on = timezone.localtime(now, local_tz()).date()
        enrolment.end_reason = reason[:200]
        enrolment.save(update_fields=["status", "ended_on", "end_reason"])
        Group.objects.filter(pk=enrolment.group_id, enrolled__gt=0).update(enrolled=F("enrolled") - 1)
        audit_record(
            actor=actor, action="placements.enrolment.end", obj=enrolment, before={"status": "active"},
            after={"status": "ended", "reason": enrolment.end_reason, "group_id": enrolment.group_id},
        )
        if application.status == ApplicationStatus.ENROLLED:
            application_set_status(
                application=application, target=ApplicationStatus.CLOSED, actor=actor, reason="enrolment_ended", now=now,
                enrolment_id=enrolment.pk,
            )
    return enrolment


def contract_confirm(*, staff: Any, referral: Referral | int, now: dt.datetime | None = None) -> Enrolment:
    """The kindergarten's staff confirm the signed contract (rule: the child is enrolled in the group, within capacity).

    Only staff of that kindergarten may. The round's place stays taken. A transfer ends the old enrolment.
    A repeated confirmation returns the same enrolment.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application, referral = _lock_referral(referral)
        place = referral.offer.place
        group = place.group
        _require_kindergarten_staff(staff, group.organisation)
        if referral.status == Referral.Status.CONTRACTED:
            return referral.enrolment
        _require_issued(referral, now)
        check_referral_transition(referral.status, Referral.Status.CONTRACTED)
        if application.transfer_of_id:
            _end_previous_enrolment(application=application, staff=staff, now=now)
        _enrol(group)
        today = timezone.localtime(now, local_tz()).date()
        enrolment = Enrolment.objects.create(
            child_id=application.child_id, group=group, application=application, referral=referral,
            started_on=max(today, place.frees_on),
        )
        referral.status = Referral.Status.CONTRACTED
        referral.contracted_at = now
        referral.confirmed_by = staff
        referral.save(update_fields=["status", "contracted_at", "confirmed_by"])
        application_set_status(
            application=application, target=ApplicationStatus.ENROLLED, actor=staff, reason="contract_confirmed", now=now,
            referral_id=referral.pk,
        )
        audit_record(
            actor=staff, action="placements.referral.contract", obj=referral, before={"status": "issued"},
            after={"status": "contracted", "enrolment_id": enrolment.pk, "group_id": group.pk, "started_on": enrolment.started_on},
        )
        notify(
            application, template="placements_enrolled", key=f"referral:{referral.pk}:contracted",
            kindergarten=group.organisation.name, group=group.name, started_on=enrolment.started_on.strftime("%d.%m.%Y"),
        )
    return enrolment
