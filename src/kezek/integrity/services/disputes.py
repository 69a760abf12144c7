"""Disputes: a parent says "my child does not attend this"; the provider answers, the district officer decides.

Upheld: the enrolment ends or the voucher returns to the child, and ``upheld_from``..``upheld_to`` are the days
excluded from payment (kezek.payments reads them). Rejected: the reason goes to the parent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_district, require_organisation, require_role
from kezek.audit.services import audit_record
from kezek.domain.errors import Conflict, NotFound, gettext_noop
from kezek.domain.integrity import (
    DisputeAlreadyDecided,
    DisputeStatus,
    check_dispute_since,
    check_dispute_transition,
    check_suspension_transition,
    clean_note,
)
from kezek.domain.vouchers import SEATED_STATUSES
from kezek.domain.workdays import add_working_days
from kezek.integrity import selectors
from kezek.integrity.models import Dispute, Suspension
from kezek.integrity.services._common import local_today, next_midnight, notify_parent, notify_staff, parent_of
from kezek.people.registry import get_registry
from kezek.placements.models import Enrolment
from kezek.placements.services.referrals import enrolment_end
from kezek.vouchers.models import Voucher
from kezek.vouchers.services.placement import voucher_return_to_child

SUBJECTS = ("enrolment", "voucher")


class DisputeSubjectNotFound(NotFound):
    code = "dispute_subject_not_found"
    message = gettext_noop("There is no such enrolment or voucher under your child's name.")
    hint = gettext_noop("Open the page of your children's records and choose the place from the list.")


class DisputeNotFound(NotFound):
    code = "dispute_not_found"
    message = gettext_noop("There is no such dispute.")


class DisputeAlreadyOpen(Conflict):
    code = "dispute_already_open"
    message = gettext_noop("A dispute about this place is already under review.")
    hint = gettext_noop("You will get an SMS with the decision.")


class PlaceNotCurrent(Conflict):
    code = "dispute_place_not_current"
    message = gettext_noop("This place has already ended: there is nothing to dispute.")
    hint = gettext_noop("If you were paid for or charged for days after it ended, file an appeal instead.")


def _is_parent_of(actor: Any, child: Any) -> bool:
    person = getattr(actor, "person", None)
    return person is not None and get_registry().is_legal_representative(adult_iin=person.iin, child_iin=child.iin)


def _subject(kind: str, subject_id: Any) -> tuple[Enrolment | None, Voucher | None]:
    if kind not in SUBJECTS or not isinstance(subject_id, int):
        raise DisputeSubjectNotFound()
    if kind == "enrolment":
        enrolment = Enrolment.objects.select_related("child", "group__organisation", "application__applicant").filter(
            pk=subject_id).first()
        return enrolment, None
    voucher = Voucher.objects.select_related("child", "section__organisation", "holder").filter(pk=subject_id).first()
    return None, voucher


def dispute_subject_get(*, actor: Any, subject: str, subject_id: int) -> tuple[Enrolment | None, Voucher | None]:
    """The enrolment or voucher a parent may dispute (rule: only places under their own child's name)."""
    enrolment, voucher = _subject(subject, subject_id)
    place = enrolment or voucher
    if place is None or not (_is_parent_of(actor, place.child) or actor.pk == parent_of(enrolment=enrolment, voucher=voucher).pk):
        raise DisputeSubjectNotFound()  # another family's place looks exactly like a missing one
    return enrolment, voucher


def dispute_file(
    *, actor: Any, subject: str, subject_id: int, since: dt.date | None = None, reason: str = "",
    now: dt.datetime | None = None,
) -> Dispute:
    """A parent disputes a place under their child's name (rule: routed to provider and officer, N working days)."""
    require_role(actor, Role.PARENT)
    now = now or timezone.now()
    today = local_today(now)
    enrolment, voucher = dispute_subject_get(actor=actor, subject=subject, subject_id=subject_id)
    place = enrolment or voucher
    if enrolment is not None:
        current, group, started_on = enrolment.status == Enrolment.Status.ACTIVE, enrolment.group, enrolment.started_on
    else:
        current, group = voucher.status in SEATED_STATUSES, voucher.section
        agreement = voucher.agreements.filter(section_id=voucher.section_id).order_by("-parent_accepted_at").first()
        started_on = min(timezone.localdate(agreement.parent_accepted_at if agreement else voucher.status_changed_at), today)
    if not current:
        raise PlaceNotCurrent()
    since = check_dispute_since(since=since, started_on=started_on, today=today)
    organisation = group.organisation
    rules = selectors.rules_for_region(organisation.district.region_id)
    deadline = next_midnight(add_working_days(today, rules.dispute_working_days))
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                child=place.child, parent=actor, enrolment=enrolment, voucher=voucher, group=group,
                organisation=organisation, district_id=organisation.district_id, since=since,
                reason=clean_note(reason, required=False), filed_at=now, deadline=deadline,
            )
            audit_record(actor=actor, action="integrity.dispute.file", obj=dispute,
                         after={"status": "open", "subject": f"{subject}:{subject_id}", "since": since,
                                "deadline": deadline})
            context = {"child": place.child.first_name, "provider": organisation.name, "group": group.name,
                       "deadline": timezone.localtime(deadline - dt.timedelta(seconds=1)).strftime("%d.%m.%Y"),
                       "reason": dispute.reason}
            notify_staff(organisation_id=organisation.pk, template="integrity_dispute_filed", key=f"dispute:{dispute.pk}",
                         **context)
            notify_staff(district_id=organisation.district_id, template="integrity_dispute_filed",
                         key=f"dispute:{dispute.pk}", **context)
    except IntegrityError:
        raise DisputeAlreadyOpen() from None
    return dispute


def _lock(dispute_id: Any) -> Dispute:
    dispute = (
        Dispute.objects.select_for_update(of=("self",)).select_related("child", "organisation", "group", "parent")
        .filter(pk=dispute_id).first() if isinstance(dispute_id, int) else None
    )
    if dispute is None:
        raise DisputeNotFound()
    return dispute


def dispute_respond(*, actor: Any, dispute_id: int, response: str) -> Dispute:
    """The provider's answer to an open dispute, for the officer to weigh (rule: staff of that provider)."""
    response = clean_note(response, required=True)
    with transaction.atomic():
        dispute = _lock(dispute_id)
        require_role(actor, Role.PROVIDER_STAFF)
        require_organisation(actor, dispute.organisation)
        if dispute.status != DisputeStatus.OPEN:
            raise DisputeAlreadyDecided(current=dispute.status)
        dispute.provider_response = response
        dispute.provider_responded_at = timezone.now()
        dispute.save(update_fields=["provider_response", "provider_responded_at"])
        audit_record(actor=actor, action="integrity.dispute.respond", obj=dispute, after={"response": response})
    return dispute


def _settle_suspension(dispute: Dispute, actor: Any) -> None:
    open_ = Suspension.objects.select_for_update().filter(
        status=Suspension.Status.SUSPENDED, enrolment_id=dispute.enrolment_id, voucher_id=dispute.voucher_id
    ).first()
    if open_ is not None:
        check_suspension_transition(open_.status, Suspension.Status.LIFTED)
        open_.status = Suspension.Status.LIFTED
        open_.ended_at = timezone.now()
        open_.end_reason = f"dispute {dispute.pk} upheld"
        open_.save(update_fields=["status", "ended_at", "end_reason"])
        audit_record(actor=actor, action="integrity.suspension.lifted", obj=open_, before={"status": "suspended"},
                     after={"status": "lifted", "reason": open_.end_reason})


def dispute_decide(*, actor: Any, dispute_id: int, uphold: bool, reason: str, now: dt.datetime | None = None) -> Dispute:
    """The district officer upholds or rejects a dispute with a reason (rules: upheld ends the place; days excluded)."""
    reason = clean_note(reason, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        dispute = _lock(dispute_id)
        require_district(actor, dispute.district_id)
        target = DisputeStatus.UPHELD if uphold else DisputeStatus.REJECTED
        check_dispute_transition(dispute.status, target)
        dispute.status = target.value
        dispute.decided_by = actor
        dispute.decided_at = now
        dispute.decision_reason = reason
        fields = ["status", "decided_by", "decided_at", "decision_reason"]
        if uphold:
            dispute.upheld_from, dispute.upheld_to = dispute.since, max(local_today(now), dispute.since)
            fields += ["upheld_from", "upheld_to"]
            _settle_suspension(dispute, actor)
            if dispute.enrolment_id and Enrolment.objects.filter(pk=dispute.enrolment_id, status="active").exists():
                enrolment_end(actor=actor, enrolment_id=dispute.enrolment_id, reason=f"dispute {dispute.pk} upheld", now=now)
            if dispute.voucher_id and Voucher.objects.filter(pk=dispute.voucher_id, status__in=SEATED_STATUSES).exists():
                voucher_return_to_child(actor=actor, voucher_id=dispute.voucher_id, reason=reason, dispute_id=dispute.pk)
        dispute.save(update_fields=fields)
        audit_record(actor=actor, action=f"integrity.dispute.{target.value}", obj=dispute, before={"status": "open"},
                     after={"status": target.value, "reason": reason, "upheld_from": dispute.upheld_from,
                            "upheld_to": dispute.upheld_to})
        context = {"child": dispute.child.first_name, "provider": dispute.organisation.name, "group": dispute.group.name,
                   "reason": reason}
        template = f"integrity_dispute_{target.value}"
        notify_parent(dispute.parent, template=template, key=f"dispute:{dispute.pk}:decided", **context)
        if uphold:
            notify_staff(organisation_id=dispute.organisation_id, template=template, key=f"dispute:{dispute.pk}:decided",
                         **context)
    return dispute
