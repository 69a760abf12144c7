"""Appeals: a parent or provider files one about their own record, adds documents, and an officer decides it."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.accounts.permissions import RoleRequired, require_district, require_role
from kezek.appeals import selectors
from kezek.appeals.models import Appeal, AppealDocument, RemedyAction
from kezek.appeals.services.remedies import remedy_execute
# The benefit documents' upload helpers: the same sniffing and digest for every uploaded document.
from kezek.applications.services.claims import _read_upload as read_upload_head
from kezek.applications.services.claims import _sha256
from kezek.audit.services import audit_record
from kezek.core.uploads import upload_store
from kezek.domain.appeals import (
    DOCUMENT_MAX_BYTES,
    AppealNotFound,
    AppealNotOpen,
    AppealStatus,
    appeal_deadline,
    check_appeal_transition,
    check_document_count,
    check_subject,
    clean_appeal_text,
    clean_decision_reason,
)
from kezek.domain.documents import EXTENSIONS, check_document
from kezek.notifications.services import notification_enqueue

FILER_ROLES = (Role.PARENT, Role.PROVIDER_STAFF)


def _local_tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _shown(deadline: dt.datetime) -> str:
    # An exclusive deadline shown as the last minute that still counts, in local time.
    return timezone.localtime(deadline - dt.timedelta(minutes=1), _local_tz()).strftime("%d.%m.%Y %H:%M")


def _notify_filer(appeal: Appeal, template: str, key: str, **context: Any) -> None:
    """Tell the filer through the outbox: SMS to their phone, else e-mail; staff without either read it in the cabinet."""
    filer = appeal.filer
    phone = getattr(filer.person, "phone", "") if filer.person_id else ""
    if not phone and filer.role == Role.PARENT:
        phone = filer.username
    channel, recipient = ("sms", phone) if phone else ("email", filer.email)
    if not recipient:
        return
    notification_enqueue(
        channel=channel, recipient=recipient, template=template, context={"number": appeal.pk, **context},
        language=filer.preferred_language, idempotency_key=f"appeal:{appeal.pk}:{key}", user=filer,
    )


# --- documents ---------------------------------------------------------------------------------------------


def _checked(uploaded_file: Any) -> tuple[str, int]:
    head, size = read_upload_head(uploaded_file)
    return check_document(head=head, size=size, max_bytes=DOCUMENT_MAX_BYTES), size


def _store_documents(appeal: Appeal, files: list[tuple[Any, tuple[str, int]]]) -> list[str]:
    """Save already-checked files under random names; returns the stored names so a failure can remove them."""
    stored: list[str] = []
    try:
        for uploaded_file, (content_type, size) in files:
            document = AppealDocument(appeal=appeal, content_type=content_type, size=size, sha256=_sha256(uploaded_file))
            # The user's file name is never used: it may be a path, a script or someone's name.
            stored.append(upload_store(
                field_file=document.file, name=f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}", content=uploaded_file
            ))
            document.save()
    except BaseException:
        # The caller never sees the names of a failed call: the files stored before the failure go here.
        _delete_files(stored)
        raise
    return stored


def _delete_files(names: list[str]) -> None:
    storage = AppealDocument._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


# --- filing ------------------------------------------------------------------------------------------------


def appeal_file(
    *,
    actor: Any,
    kind: str,
    subject_kind: str,
    subject_id: Any,
    text: str,
    documents: list[Any] | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """File an appeal about one's own record (rules: the kind names its subjects; PDF/JPEG/PNG documents of at most
    5 MB; decision due within the region's appeal working days). Refused input saves nothing and leaves no file."""
    require_role(actor, *FILER_ROLES)
    if actor.role not in FILER_ROLES:
        raise RoleRequired()  # administrators decide appeals; they do not file them
    remedy = check_subject(kind=kind, subject_kind=subject_kind, filer_is_provider=actor.role == Role.PROVIDER_STAFF)
    text = clean_appeal_text(text)
    subject = selectors.subject_of_filer(user=actor, subject_kind=subject_kind, subject_id=subject_id)
    files = list(documents or [])
    check_document_count(existing=0, adding=len(files))
    checked = [(f, _checked(f)) for f in files]
    now = now or timezone.now()
    stored: list[str] = []
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                kind=kind, subject_kind=subject_kind, subject_id=subject_id, filer=actor, district_id=subject.district_id,
                organisation_id=subject.organisation_id, child_id=subject.child_id, text=text, filed_at=now, remedy=remedy,
                deadline=appeal_deadline(now, selectors.appeal_working_days(region_id=subject.region_id), _local_tz()),
            )
            stored = _store_documents(appeal, checked)
            audit_record(
                actor=actor, action="appeals.appeal.file", obj=appeal,
                after={"kind": kind, "subject_kind": subject_kind, "subject_id": subject_id, "deadline": appeal.deadline,
                       "documents": len(stored)},
            )
            _notify_filer(appeal, "appeal_filed", "filed", decide_by=_shown(appeal.deadline))
    except BaseException:
        _delete_files(stored)
        raise
    return appeal


def appeal_document_add(*, actor: Any, appeal_id: int, uploaded_file: Any) -> AppealDocument:
    """The filer adds a document while the appeal is open (rules: PDF/JPEG/PNG by content, at most 5 MB, 5 documents)."""
    checked = _checked(uploaded_file)
    stored: list[str] = []
    try:
        with transaction.atomic():
            appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first() if isinstance(appeal_id, int) else None
            if appeal is None or appeal.filer_id != getattr(actor, "pk", None):
                raise AppealNotFound()
            if appeal.status != AppealStatus.OPEN:
                raise AppealNotOpen()  # documents support a pending decision only
            check_document_count(existing=appeal.documents.count(), adding=1)
            stored = _store_documents(appeal, [(uploaded_file, checked)])
            document = appeal.documents.get(file=stored[0])
            audit_record(
                actor=actor, action="appeals.appeal.document_add", obj=appeal,
                after={"document_id": document.pk, "content_type": document.content_type, "size": document.size,
                       "sha256": document.sha256},
            )
    except BaseException:
        _delete_files(stored)
        raise
    return document


# --- deciding ----------------------------------------------------------------------------------------------


def appeal_decide(
    *,
    actor: Any,
    appeal_id: int,
    upheld: bool,
    reason: str,
    amount: Decimal | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """An officer of the district decides with a reason (rules: decided once; the filer is told; upheld runs the remedy).

    ``amount``: for a refused payment, the adjustment line to add to the approved statement.
    """
    reason = clean_decision_reason(reason)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Appeal.objects.select_for_update(of=("self",)).select_related("filer__person")
        appeal = locked.filter(pk=appeal_id).first() if isinstance(appeal_id, int) else None
        if appeal is None:
            raise AppealNotFound()
        if appeal.district_id is None:
            require_role(actor, Role.ADMIN)
        else:
            require_district(actor, appeal.district_id)
        target = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
        check_appeal_transition(appeal.status, target)
        appeal.status = target
        appeal.decided_at = now
        appeal.decided_by = actor
        appeal.decision_reason = reason
        appeal.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_record(
            actor=actor, action="appeals.appeal.decide", obj=appeal, before={"status": AppealStatus.OPEN},
            after={"status": target, "reason": reason, "late": now >= appeal.deadline},
        )
        action: RemedyAction | None = None
        if upheld:
            action = remedy_execute(
                actor=actor, remedy=appeal.remedy, item_kind=appeal.subject_kind, item_id=appeal.subject_id, reason=reason,
                appeal=appeal, amount=amount,
            )
        _notify_filer(
            appeal, "appeal_decided", "decided", upheld=upheld, reason=reason,
            outcome=RemedyAction.Outcome(action.outcome).label if action else "",
        )
    return appeal
