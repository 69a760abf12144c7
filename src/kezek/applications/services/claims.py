"""Benefit rights that need a document: claiming, uploading the document, an officer's decision, deadlines.

Lock order everywhere: the application row first, then the claim row, so that two services (or two
workers) touching the same application never deadlock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from kezek.accounts.permissions import require_district
from kezek.applications.errors import (
    ApplicationClosed,
    ApplicationNotFound,
    ClaimAlreadyLive,
    ClaimHasNoDocument,
    ClaimNotFound,
    ClaimNotPending,
    DecisionReasonRequired,
    UnknownBenefit,
)
from kezek.applications.models import Application, ApplicationEvent, BenefitClaim, StopListEntry
from kezek.applications.selectors.rules import queue_rules_for
from kezek.applications.services.priority import application_refresh_priority
from kezek.audit.services import audit_record
from kezek.core.uploads import upload_store
from kezek.domain.documents import EXTENSIONS, SNIFF_BYTES, check_document
from kezek.domain.queue import BENEFIT_CLASS, OPEN_STATUSES, PriorityClass, QueueRules
from kezek.domain.workdays import add_working_days
from kezek.notifications.services import notification_enqueue
from kezek.people.models import BenefitKind

LIVE = (BenefitClaim.Status.CONFIRMED, BenefitClaim.Status.PENDING, BenefitClaim.Status.VERIFIED)
EXPIRE_BATCH = 100


# --- helpers ------------------------------------------------------------------------------------


def extraordinary_confirm_by(*, claimed_at: dt.datetime, rules: QueueRules) -> dt.datetime:
    """The end of the N-th Kazakhstan working day after the claim (rule: certificate within 5 working days).

    Returned as an exclusive, aware deadline in ``settings.TIME_ZONE``: midnight at the start of the day
    after the N-th working day. The right counts while ``now < confirm_by``.
    """
    tz = timezone.get_default_timezone()
    last_day = add_working_days(timezone.localtime(claimed_at, tz).date(), rules.extraordinary_confirm_working_days)
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def _lock_application(application_id: int, *, skip_locked: bool = False) -> Application | None:
    queryset = Application.objects.select_related("applicant", "district")
    if skip_locked and connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",)).filter(pk=application_id).first()
    return queryset.select_for_update(of=("self",)).filter(pk=application_id).first()


def _lock_claim_with_application(claim_id: int) -> tuple[Application, BenefitClaim]:
    application_id = BenefitClaim.objects.filter(pk=claim_id).values_list("application_id", flat=True).first()
    if application_id is None:
        raise ClaimNotFound()
    application = _lock_application(application_id)
    claim = BenefitClaim.objects.select_for_update().filter(pk=claim_id, application_id=application_id).first()
    if application is None or claim is None:
        raise ClaimNotFound()
    return application, claim


def _require_own(actor: Any, application: Application, not_found: type) -> None:
    # Someone else's application or claim is reported as missing, so ids reveal nothing.
    if not getattr(actor, "is_authenticated", False) or application.applicant_id != actor.pk:
        raise not_found()


def _require_open(application: Application) -> None:
    if application.status not in OPEN_STATUSES:
        raise ApplicationClosed(status=application.get_status_display())


def _require_pending(claim: BenefitClaim, *allowed: str) -> None:
    if claim.status not in (allowed or (BenefitClaim.Status.PENDING,)):
        raise ClaimNotPending(status=claim.get_status_display())


def _claim_state(claim: BenefitClaim) -> dict[str, Any]:
    return {"status": claim.status, "kind": claim.kind, "priority_class": claim.priority_class}


def _event(application: Application, kind: str, claim: BenefitClaim, **details: Any) -> None:
    ApplicationEvent.objects.create(
        application=application, kind=kind, details={"claim_id": claim.pk, "benefit": claim.kind, **details}
    )


def _notify(application: Application, claim: BenefitClaim, outcome: str, **context: Any) -> None:
    """Tell the parent about a decision on their right, by their channel and in their language."""
    email = application.notify_channel == Application.Channel.EMAIL and application.email
    notification_enqueue(
        channel="email" if email else "sms",
        recipient=application.email if email else application.phones[0],
        template=f"claim_{outcome}",
        context={
            "queue_number": application.queue_number,
            "benefit": BenefitKind(claim.kind).label,
            "reason": claim.decision_reason,
            **context,
        },
        language=application.notify_language,
        idempotency_key=f"claim:{claim.pk}:{outcome}",
        user=application.applicant,
    )


def _decide(claim: BenefitClaim, *, status: str, actor: Any, reason: str, now: dt.datetime) -> dict[str, Any]:
    before = _claim_state(claim)
    claim.status = status
    claim.decided_at = now
    claim.decided_by = actor if getattr(actor, "pk", None) else None
    claim.decision_reason = reason
    claim.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    return before


# --- parent -------------------------------------------------------------------------------------


def claim_add(*, actor: Any, application_id: int, kind: str) -> BenefitClaim:
    """A parent claims a right the registry does not confirm (rule: pending until an officer checks the document).

    An extraordinary right counts at once, until its ``confirm_by`` deadline; a first-priority right
    counts only once verified.
    """
    if kind not in BENEFIT_CLASS:
        raise UnknownBenefit(kind=kind)
    with transaction.atomic():
        application = _lock_application(application_id)
        if application is None:
            raise ApplicationNotFound()
        _require_own(actor, application, ApplicationNotFound)
        _require_open(application)
        if application.claims.filter(kind=kind, status__in=LIVE).exists():
            raise ClaimAlreadyLive()
        now = timezone.now()
        priority_class = BENEFIT_CLASS[kind]
        confirm_by = None
        if priority_class == PriorityClass.EXTRAORDINARY:
            rules = queue_rules_for(region_id=application.district.region_id)
            confirm_by = extraordinary_confirm_by(claimed_at=now, rules=rules)
        try:
            with transaction.atomic():
                claim = BenefitClaim.objects.create(
                    application=application, kind=kind, priority_class=int(priority_class),
                    source=BenefitClaim.Source.DOCUMENT, status=BenefitClaim.Status.PENDING,
                    confirm_by=confirm_by, submitted_at=now,
                )
        except IntegrityError:  # the constraint claim_one_live_per_kind, should a check ever be bypassed
            raise ClaimAlreadyLive() from None
        _event(application, ApplicationEvent.Kind.CLAIM_ADDED, claim, confirm_by=confirm_by.isoformat() if confirm_by else None)
        audit_record(
            actor=actor, action="applications.claim.add", obj=claim,
            after={**_claim_state(claim), "application_id": application.pk, "confirm_by": confirm_by},
        )
        application_refresh_priority(application=application, actor=actor, reason="claim_added")
    return claim


def _read_upload(uploaded_file: Any) -> tuple[bytes, int]:
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(0)
    size = getattr(uploaded_file, "size", None)
    return head, size if size is not None else len(uploaded_file.read())


def _sha256(uploaded_file: Any) -> str:
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def claim_document_upload(*, actor: Any, claim_id: int, uploaded_file: Any) -> BenefitClaim:
    """Store the parent's document for a pending right (rule: PDF/JPEG/PNG by content, region's size limit).

    The file gets a random name under MEDIA_ROOT (outside the web root); a refused or failed upload
    saves nothing and leaves no file. A newer upload replaces the previous document.
    """
    with transaction.atomic():
        application, claim = _lock_claim_with_application(claim_id)
        _require_own(actor, application, ClaimNotFound)
        _require_open(application)
        _require_pending(claim)
        rules = queue_rules_for(region_id=application.district.region_id)
        head, size = _read_upload(uploaded_file)
        content_type = check_document(head=head, size=size, max_bytes=rules.document_max_bytes)
        before = {**_claim_state(claim), "document_sha256": claim.document_sha256}
        old_name = claim.document.name
        sha256 = _sha256(uploaded_file)
        # The user's file name is never used: it may be a path, a script or someone's name.
        stored = upload_store(
            field_file=claim.document, name=f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}", content=uploaded_file
        )
        try:
            claim.document_content_type = content_type
            claim.document_size = size
            claim.document_sha256 = sha256
            claim.save(update_fields=["document", "document_content_type", "document_size", "document_sha256"])
            audit_record(
                actor=actor, action="applications.claim.document_upload", obj=claim, before=before,
                after={**_claim_state(claim), "document_sha256": sha256, "content_type": content_type, "size": size},
            )
        except BaseException:
            claim.document.storage.delete(stored)
            raise
        if old_name:
            storage = claim.document.storage
            transaction.on_commit(lambda: storage.delete(old_name))
    return claim


# --- officer ------------------------------------------------------------------------------------


def claim_verify(*, actor: Any, claim_id: int, reason: str = "") -> BenefitClaim:
    """An officer of the district confirms a right from its document (rule: verified rights count for the class)."""
    with transaction.atomic():
        application, claim = _lock_claim_with_application(claim_id)
        require_district(actor, application.district_id)
        _require_pending(claim)
        if not claim.document:
            raise ClaimHasNoDocument()
        before = _decide(claim, status=BenefitClaim.Status.VERIFIED, actor=actor, reason=reason.strip(), now=timezone.now())
        _event(application, ApplicationEvent.Kind.CLAIM_VERIFIED, claim)
        audit_record(actor=actor, action="applications.claim.verify", obj=claim, before=before, after=_claim_state(claim))
        application_refresh_priority(application=application, actor=actor, reason="claim_verified")
        _notify(application, claim, "verified", priority_class=Application.Priority(application.priority_class).label)
    return claim


def _reject_other_claims(application: Application, claim: BenefitClaim, *, actor: Any, now: dt.datetime) -> None:
    others = (
        application.claims.select_for_update()
        .filter(status__in=(BenefitClaim.Status.PENDING, BenefitClaim.Status.VERIFIED))
        .exclude(Q(pk=claim.pk) | Q(source=BenefitClaim.Source.REGISTRY))
        .order_by("pk")
    )
    for other in others:
        before = _decide(other, status=BenefitClaim.Status.REJECTED, actor=actor, reason="another_right_found_false", now=now)
        _event(application, ApplicationEvent.Kind.CLAIM_REJECTED, other, reason="another_right_found_false")
        audit_record(actor=actor, action="applications.claim.reject", obj=other, before=before, after=_claim_state(other))


def _stop_list(application: Application, claim: BenefitClaim, *, actor: Any, reason: str, now: dt.datetime) -> None:
    person_id = application.applicant.person_id
    if person_id is None:  # only parents (who always have a person) file applications
        return
    rules = queue_rules_for(region_id=application.district.region_id)
    entry = StopListEntry.objects.create(
        person_id=person_id, until=now + dt.timedelta(days=rules.stop_list_days), reason=reason, claim=claim, created_at=now
    )
    audit_record(
        actor=actor, action="applications.stop_list.add", obj=entry,
        after={"person_id": person_id, "until": entry.until, "claim_id": claim.pk},
    )


def claim_reject(*, actor: Any, claim_id: int, reason: str, found_false: bool = False) -> BenefitClaim:
    """An officer rejects a right with a reason; a right found false also stop-lists the applicant.

    Found false (rule: 10-day stop-list and back to the general queue by the original date): the claim
    becomes ``false``; the applicant's person is stop-listed until now + ``stop_list_days``; every other
    right on the application that rests on the parent's word or documents (source ``document``, pending
    or verified) is rejected too, because the applicant's documents can no longer be trusted. Rights the
    state registry confirms are facts the false claim does not change, so they keep counting: the
    application falls back to the general queue unless registry-confirmed rights remain. In every case
    ``registered_at`` is kept, so the place within the class is the original one.

    A right already verified may still be found false later (a forged certificate); an ordinary
    rejection applies only to a pending right.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DecisionReasonRequired()
    with transaction.atomic():
        application, claim = _lock_claim_with_application(claim_id)
        require_district(actor, application.district_id)
        now = timezone.now()
        if found_false:
            _require_pending(claim, BenefitClaim.Status.PENDING, BenefitClaim.Status.VERIFIED)
            before = _decide(claim, status=BenefitClaim.Status.FALSE, actor=actor, reason=reason, now=now)
            _event(application, ApplicationEvent.Kind.CLAIM_FALSE, claim, reason=reason)
            audit_record(actor=actor, action="applications.claim.found_false", obj=claim, before=before, after=_claim_state(claim))
            _reject_other_claims(application, claim, actor=actor, now=now)
            _stop_list(application, claim, actor=actor, reason=reason, now=now)
            application_refresh_priority(application=application, actor=actor, reason="claim_found_false")
            stop_days = queue_rules_for(region_id=application.district.region_id).stop_list_days
            _notify(application, claim, "false", stop_days=stop_days)
        else:
            _require_pending(claim)
            before = _decide(claim, status=BenefitClaim.Status.REJECTED, actor=actor, reason=reason, now=now)
            _event(application, ApplicationEvent.Kind.CLAIM_REJECTED, claim, reason=reason)
            audit_record(actor=actor, action="applications.claim.reject", obj=claim, before=before, after=_claim_state(claim))
            application_refresh_priority(application=application, actor=actor, reason="claim_rejected")
            _notify(application, claim, "rejected")
    return claim


# --- deadlines ----------------------------------------------------------------------------------


def _expire_one(claim_id: int, application_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        # Another worker holding this application is already on it: skip rather than wait.
        application = _lock_application(application_id, skip_locked=True)
        if application is None:
            return False
        # Re-checked under the lock: a decision or an upload may have landed since the scan.
        claim = (
            BenefitClaim.objects.select_for_update()
            .filter(pk=claim_id, application=application, status=BenefitClaim.Status.PENDING, confirm_by__lte=now)
            .first()
        )
        if claim is None:
            return False
        before = _decide(claim, status=BenefitClaim.Status.EXPIRED, actor=None, reason="not_confirmed_in_time", now=now)
        _event(application, ApplicationEvent.Kind.CLAIM_EXPIRED, claim, confirm_by=claim.confirm_by.isoformat())
        audit_record(actor=None, action="applications.claim.expire", obj=claim, before=before, after=_claim_state(claim))
        application_refresh_priority(application=application, actor=None, reason="claim_expired")
        _notify(application, claim, "expired")
    return True


def claims_expire_due(*, now: dt.datetime | None = None) -> int:
    """Pending extraordinary rights past their deadline expire (rule: back to the general queue, same registration time).

    Idempotent and safe with several workers: each claim is re-checked under its application's row lock.
    Handles at most ``EXPIRE_BATCH`` claims per call and returns how many it expired.
    """
    now = now or timezone.now()
    due = list(
        BenefitClaim.objects.filter(
            status=BenefitClaim.Status.PENDING,
            priority_class=PriorityClass.EXTRAORDINARY,
            confirm_by__lte=now,
            application__status__in=sorted(OPEN_STATUSES),
        )
        .order_by("confirm_by", "pk")
        .values_list("pk", "application_id")[:EXPIRE_BATCH]
    )
    return sum(_expire_one(claim_id, application_id, now) for claim_id, application_id in due)

