"""The application after a placement: reactivation after a lapsed offer, and a transfer to another kindergarten.

A transfer is a thin service rather than ``application_submit``: the child is already known (enrolled, with
an application that passed every registry check) and the new application must keep that application's
registration time and confirmed rights, which a fresh submission would not. It reuses the submission's
kindergarten checks. It takes part in later rounds and in passing places on like any application, so it is
offered a place only when one is free.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kezek.accounts.permissions import require_district
from kezek.applications import errors as application_errors
from kezek.applications.models import Application, ApplicationEvent, BenefitClaim
from kezek.applications.selectors.rules import queue_rules_for_district
from kezek.applications.services.queue_keys import preference_rows
from kezek.applications.services.submission import _clean_preferences
from kezek.audit.services import audit_record
from kezek.domain.deadlines import check_reactivation
from kezek.domain.placements import ApplicationNotInactive, EnrolmentNotFound, NotEnrolled, TransferToSameKindergarten
from kezek.domain.queue import OPEN_STATUSES, ApplicationStatus, age_group
from kezek.placements.models import Enrolment
from kezek.placements.services._common import application_set_status, lock_application, notify

KEPT_CLAIM_STATUSES = (BenefitClaim.Status.CONFIRMED, BenefitClaim.Status.VERIFIED)


def _application_pk(value: Any) -> int:
    return value.pk if isinstance(value, Application) else int(value)


def application_reactivate(*, user: Any, application: Application | int, now: dt.datetime | None = None) -> Application:
    """The parent brings an inactive application back into the queue (rule: once, within 28 days, same registration time)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_application(_application_pk(application))
        if locked is None or not getattr(user, "is_authenticated", False) or locked.applicant_id != user.pk:
            raise application_errors.ApplicationNotFound()
        if locked.status != ApplicationStatus.INACTIVE:
            raise ApplicationNotInactive()
        rules = queue_rules_for_district(district_id=locked.district_id)
        check_reactivation(
            inactive_since=locked.status_changed_at, now=now, days=rules.reactivation_days, used=locked.reactivations_used
        )
        locked.reactivations_used += 1
        application_set_status(
            application=locked, target=ApplicationStatus.ACTIVE, actor=user, reason="reactivated", now=now,
            reactivations_used=locked.reactivations_used,
        )
    return locked


def _copy_kept_claims(*, original: Application, application: Application) -> None:
    BenefitClaim.objects.bulk_create(
        BenefitClaim(
            application=application, kind=c.kind, priority_class=c.priority_class, source=c.source, status=c.status,
            submitted_at=c.submitted_at, decided_at=c.decided_at, decided_by_id=c.decided_by_id,
        )
        for c in original.claims.filter(status__in=KEPT_CLAIM_STATUSES)
    )


def _lock_own_enrolment(user: Any, enrolment: Enrolment | int) -> Enrolment:
    enrolment_id = enrolment.pk if isinstance(enrolment, Enrolment) else int(enrolment)
    found = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("application__district", "group__organisation", "child")
        .filter(pk=enrolment_id)
        .first()
    )
    if found is None or not getattr(user, "is_authenticated", False) or found.application.applicant_id != user.pk:
        raise EnrolmentNotFound()
    return found


def transfer_apply(
    *,
    user: Any,
    enrolment: Enrolment | int,
    kindergartens: list[int],
    desired_start_date: dt.date | None = None,
) -> Application:
    """An enrolled child applies for other kindergartens (rule: a transfer keeps the original registration time).

    The new application copies the old one's contacts, priority class and confirmed rights; only one open
    application per child, as for any application.
    """
    with transaction.atomic():
        enrolment = _lock_own_enrolment(user, enrolment)
        if enrolment.status != Enrolment.Status.ACTIVE:
            raise NotEnrolled()
        original = enrolment.application
        if enrolment.group.organisation_id in set(kindergartens or ()):
            raise TransferToSameKindergarten()
        rules = queue_rules_for_district(district_id=original.district_id)
        preferences = _clean_preferences(kindergartens, district_id=original.district_id, rules=rules)
        start = max(desired_start_date or timezone.localdate(), timezone.localdate())
        open_one = Application.objects.filter(child_id=enrolment.child_id, status__in=sorted(OPEN_STATUSES)).first()
        if open_one is not None:
            raise application_errors.ApplicationExists(queue_number=open_one.queue_number)
        now = timezone.now()
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    child_id=enrolment.child_id, applicant=user, district_id=original.district_id,
                    desired_start_date=start, language=original.language,
                    age_group=age_group(birth_date=enrolment.child.birth_date, start_date=start, rules=rules),
                    phones=original.phones, email=original.email, notify_channel=original.notify_channel,
                    notify_language=original.notify_language, priority_class=original.priority_class,
                    priority_since=original.priority_since, registered_at=original.registered_at,
                    status_changed_at=now, transfer_of=original,
                    submission_key=f"transfer:{enrolment.pk}:{secrets.token_hex(6)}",
                )
        except IntegrityError:  # a concurrent transfer won the one-open-application constraint
            raise application_errors.ApplicationExists(queue_number=original.queue_number) from None
        application.preferences.bulk_create(preference_rows(application=application, organisation_ids=preferences))
        _copy_kept_claims(original=original, application=application)
        ApplicationEvent.objects.create(
            application=application, kind=ApplicationEvent.Kind.SUBMITTED, occurred_at=now,
            details={"queue_number": application.queue_number, "preferences": preferences, "transfer_of": original.pk},
        )
        audit_record(
            actor=user, action="placements.transfer.apply", obj=application,
            after={"transfer_of": original.pk, "enrolment_id": enrolment.pk, "preferences": preferences,
                   "registered_at": application.registered_at, "priority_class": application.priority_class},
        )
        notify(
            application, template="application_submitted", key=f"transfer:{application.pk}:submitted",
            public_id=application.public_id, district=original.district.name,
        )
    return application



# Fields a restored copy of a withdrawn application does not take over from it.
_NOT_RESTORED = {"id", "public_id", "status", "status_changed_at", "submission_key", "created_at", "updated_at", "reactivations_used"}


def application_restore(*, actor: Any, application: Application | int, reason: str, now: dt.datetime | None = None) -> Application:
    """Put a child back in the queue after a decided wrong (rule: an appeal or incident remedy keeps the original registration time).

    An officer of the district (or an administrator) acts. An inactive application becomes active without
    the parent's once-within-28-days limit; a withdrawn one, which cannot reopen, is copied into a new active
    application with the same registration time, class, contacts, kindergartens and confirmed rights.
    An application already in the queue (active or offered) is returned unchanged.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_application(_application_pk(application))
        if locked is None:
            raise application_errors.ApplicationNotFound()
        require_district(actor, locked.district_id)
        if locked.status in (ApplicationStatus.ACTIVE, ApplicationStatus.OFFERED):
            return locked
        if locked.status == ApplicationStatus.INACTIVE:
            application_set_status(application=locked, target=ApplicationStatus.ACTIVE, actor=actor, reason="restored", now=now, note=reason)
            return locked
        if locked.status != ApplicationStatus.WITHDRAWN:
            raise ApplicationNotInactive()
        open_one = Application.objects.filter(child_id=locked.child_id, status__in=sorted(OPEN_STATUSES)).first()
        if open_one is not None:
            raise application_errors.ApplicationExists(queue_number=open_one.queue_number)
        fields = {f.attname: getattr(locked, f.attname) for f in Application._meta.concrete_fields if f.attname not in _NOT_RESTORED}
        try:
            with transaction.atomic():
                restored = Application.objects.create(
                    **fields, status=ApplicationStatus.ACTIVE, status_changed_at=now,
                    submission_key=f"restore:{locked.pk}:{secrets.token_hex(6)}",
                )
        except IntegrityError:  # the child's parent applied again meanwhile
            raise application_errors.ApplicationExists(queue_number=locked.queue_number) from None
        restored.preferences.bulk_create(
            preference_rows(application=restored, organisation_ids=locked.preferences.values_list("organisation_id", flat=True))
        )
        _copy_kept_claims(original=locked, application=restored)
        ApplicationEvent.objects.create(
            application=restored, kind=ApplicationEvent.Kind.SUBMITTED, occurred_at=now,
            details={"queue_number": restored.queue_number, "restored_from": locked.pk, "reason": reason},
        )
        audit_record(
            actor=actor, action="placements.application.restore", obj=restored,
            after={"restored_from": locked.pk, "registered_at": restored.registered_at, "priority_class": restored.priority_class,
                   "reason": reason},
        )
    return restored
