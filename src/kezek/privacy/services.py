"""Personal data: the subject's export, erasure by anonymisation, erasure requests and retention purges.

Every export, anonymisation and purge writes an audit event. The audit chain itself is never rewritten:
its events name records by id, so once a person is anonymised those ids lead only to placeholders
(docs/privacy.md explains what the chain still holds and why it stays).
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session as DjangoSession
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from kezek.accounts.models import OtpChallenge, PhoneLock, Role, User, UserSession
from kezek.accounts.permissions import require_role
from kezek.appeals.models import Appeal, AppealDocument
from kezek.applications.models import Application, BenefitClaim
from kezek.attendance.models import ContestedDay
from kezek.audit.services import audit_record
from kezek.domain.errors import Conflict, Forbidden, gettext_noop
from kezek.domain.privacy import (
    ANONYMISED_NAME,
    ErasureStatus,
    PersonHasLiveRecords,
    check_erasure_transition,
    generalised_birth_date,
    live_items,
    placeholder_iin,
    retention_cutoff,
)
from kezek.integrity.models import Dispute
from kezek.notifications.models import OutboxMessage
from kezek.people.models import BenefitFact, LegalRepresentation, Person
from kezek.privacy import selectors
from kezek.privacy.models import Anonymisation, ErasureRequest

log = logging.getLogger(__name__)


class NoPersonalRecord(Forbidden):
    code = "no_personal_record"
    message = gettext_noop("This account is not bound to a person, so there is no personal data to export or erase.")
    hint = gettext_noop("Sign in with the SMS code as a parent.")


class ErasureAlreadyRequested(Conflict):
    code = "erasure_already_requested"
    message = gettext_noop("You have already asked for your data to be erased; an administrator will act on it.")
    hint = gettext_noop("Wait for the answer; you will see it on this page.")


# --- export ---------------------------------------------------------------------------------------------------


def _json(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def person_data_export(*, person: Person, requested_by: User | None, with_files: bool = False) -> bytes:
    """Everything held about a person and their children: JSON, or a ZIP with the documents' files too.

    Rule: the subject may receive the data held about them (Law No. 94-V, art. 24); every export is audited.
    """
    if requested_by is not None and requested_by.person_id != person.pk:
        require_role(requested_by, Role.ADMIN)
    data = selectors.person_data_gather(person=person)
    body = _json(data).encode()
    if with_files:
        body = _zip(body, data["documents"])
    with transaction.atomic():
        audit_record(
            actor=requested_by, action="privacy.person.export", obj=person,
            after={"with_files": with_files, "documents": len(data["documents"]), "children": len(data["children"])},
        )
    return body


def _zip(document: bytes, files: list[dict[str, Any]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", document)
        for entry in files:
            name = entry["file"]
            if not default_storage.exists(name):
                continue  # listed in data.json with its hash; the file itself is gone (retention)
            with default_storage.open(name, "rb") as handle:
                archive.writestr(f"documents/{entry['kind']}-{entry['record_id']}/{name.rsplit('/', 1)[-1]}", handle.read())
    return out.getvalue()


def person_data_export_for_user(*, user: User, with_files: bool = False) -> bytes:
    """A signed-in parent's own export (rule: only the subject, or an administrator, may export)."""
    person = getattr(user, "person", None)
    if person is None:
        raise NoPersonalRecord()
    return person_data_export(person=person, requested_by=user, with_files=with_files)


# --- anonymisation --------------------------------------------------------------------------------------------


@dataclass
class AnonymiseResult:
    people: list[int] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.people)

    def add(self, kind: str, count: int) -> None:
        if count:
            self.removed[kind] = self.removed.get(kind, 0) + count


def _delete_file(name: str) -> None:
    # Only once the rows no longer point at it: a rolled-back anonymisation must leave every document in place.
    if name:
        transaction.on_commit(lambda: default_storage.delete(name) if default_storage.exists(name) else None)


def _remove_documents(person: Person, account: User | None, result: AnonymiseResult) -> None:
    claims = BenefitClaim.objects.filter(application__child=person).exclude(document="")
    for claim in claims:
        _delete_file(claim.document.name)
    result.add("benefit_documents", claims.update(document=""))
    appeal_docs = AppealDocument.objects.filter(Q(appeal__child=person) | Q(appeal__filer=account)).exclude(file="")
    for document in appeal_docs:
        _delete_file(document.file.name)
    result.add("appeal_documents", appeal_docs.update(file=""))


def _redact_texts(person: Person, account: User | None, result: AnonymiseResult) -> None:
    # What the family wrote in their own words may name anyone; the decisions on it stay.
    result.add("appeal_texts", Appeal.objects.filter(Q(child=person) | Q(filer=account)).exclude(text=ANONYMISED_NAME)
               .update(text=ANONYMISED_NAME))
    result.add("dispute_reasons", Dispute.objects.filter(Q(child=person) | Q(parent=account)).exclude(reason="")
               .update(reason=""))
    result.add("contest_reasons", ContestedDay.objects.filter(sheet__child=person).exclude(reason="").update(reason=""))
    result.add("application_contacts", Application.objects.filter(Q(child=person) | Q(applicant=account))
               .update(phones=[], email=""))


def _close_account(account: User, contacts: set[str], result: AnonymiseResult) -> None:
    keys = list(UserSession.objects.filter(user=account).values_list("session_key", flat=True))
    result.add("signed_in_devices", DjangoSession.objects.filter(session_key__in=keys).delete()[0])
    result.add("sessions", UserSession.objects.filter(user=account).delete()[0])
    result.add("notifications", OutboxMessage.objects.filter(Q(user=account) | Q(recipient__in=sorted(contacts))).delete()[0])
    account.username = f"anonymised-{account.pk}"
    account.display_name = ""
    account.email = ""
    account.is_active = False
    account.set_unusable_password()
    account.save(update_fields=["username", "display_name", "email", "is_active", "password"])
    result.add("accounts", 1)


def _anonymise_one(person: Person, *, contacts: set[str], reason: str, requested_by: User | None, result: AnonymiseResult) -> None:
    account = selectors.person_account(person=person)
    _remove_documents(person, account, result)
    _redact_texts(person, account, result)
    if account is not None:
        _close_account(account, contacts, result)
    result.add("sign_in_codes", OtpChallenge.objects.filter(phone__in=sorted(contacts)).delete()[0])
    result.add("phone_locks", PhoneLock.objects.filter(phone__in=sorted(contacts)).delete()[0])
    result.add("registry_links", LegalRepresentation.objects.filter(Q(representative=person) | Q(child=person)).delete()[0])
    result.add("benefit_facts", BenefitFact.objects.filter(person=person).delete()[0])
    person.iin = placeholder_iin(person.pk)
    person.last_name = person.first_name = ANONYMISED_NAME
    person.patronymic = ""
    person.phone = ""
    person.birth_date = generalised_birth_date(person.birth_date)
    person.save(update_fields=["iin", "last_name", "first_name", "patronymic", "phone", "birth_date", "updated_at"])
    Anonymisation.objects.create(person=person, reason=reason, requested_by_id=getattr(requested_by, "pk", None),
                                 removed=dict(result.removed))
    result.people.append(person.pk)


def person_anonymise(*, person: Person, requested_by: User | None, reason: str) -> AnonymiseResult:
    """Erase a person and their children by anonymisation (rule: refused while anything of theirs is live;
    records of paid public money stay with placeholders; idempotent: a second run changes nothing)."""
    if requested_by is not None:
        require_role(requested_by, Role.ADMIN)  # None: the console command or the retention task
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("an anonymisation needs a reason")
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        people = [p for p in selectors.person_household(person=person) if not selectors.person_is_anonymised(person=p)]
        result = AnonymiseResult()
        if not people:
            return result
        live = selectors.person_live_records(people=people)
        if live:
            raise PersonHasLiveRecords(items=live_items(live))
        # Gathered before any change: the accounts' phone numbers go with them.
        contacts = selectors.person_contacts(people=people)
        for member in people:
            _anonymise_one(member, contacts=contacts, reason=reason, requested_by=requested_by, result=result)
        ErasureRequest.objects.filter(person_id__in=result.people, status=ErasureRequest.Status.OPEN).update(
            status=ErasureRequest.Status.DONE, decided_at=timezone.now(), decided_by=requested_by,
        )
        audit_record(actor=requested_by, action="privacy.person.anonymise", obj=person,
                     after={"people": result.people, "removed": result.removed, "reason": reason})
    log.info("anonymised people %s", result.people)
    return result


# --- a parent's erasure request -----------------------------------------------------------------------------------


def erasure_request_create(*, user: User, reason: str = "") -> ErasureRequest:
    """A parent asks for their and their children's data to be erased (rule: one open request at a time)."""
    require_role(user, Role.PARENT)
    person = getattr(user, "person", None)
    if person is None:
        raise NoPersonalRecord()
    with transaction.atomic():
        Person.objects.select_for_update().get(pk=person.pk)
        if ErasureRequest.objects.filter(person=person, status=ErasureRequest.Status.OPEN).exists():
            raise ErasureAlreadyRequested()
        request = ErasureRequest.objects.create(person=person, requested_by=user, reason=(reason or "").strip()[:2000])
        audit_record(actor=user, action="privacy.erasure.request", obj=request, after={"person_id": person.pk})
    return request


def erasure_request_carry_out(*, request_id: int, actor: User) -> AnonymiseResult:
    """An administrator anonymises the person who asked (rule: the same checks as any anonymisation)."""
    require_role(actor, Role.ADMIN)
    with transaction.atomic():  # locked, so a refusal cannot slip in between the check and the anonymisation
        request = ErasureRequest.objects.select_for_update().select_related("person").get(pk=request_id)
        check_erasure_transition(request.status, ErasureStatus.DONE)  # person_anonymise marks it done
        return person_anonymise(person=request.person, requested_by=actor,
                                reason=f"erasure request #{request.pk}: {request.reason}".strip().rstrip(":"))


def erasure_request_refuse(*, request_id: int, actor: User, note: str) -> ErasureRequest:
    """An administrator refuses a request with the reason the parent will read (e.g. records still live)."""
    require_role(actor, Role.ADMIN)
    if not (note or "").strip():
        raise ValueError("a refusal needs a note")
    with transaction.atomic():
        request = ErasureRequest.objects.select_for_update().get(pk=request_id)
        check_erasure_transition(request.status, ErasureStatus.REFUSED)
        request.status, request.decided_at, request.decided_by = ErasureRequest.Status.REFUSED, timezone.now(), actor
        request.decision_note = note.strip()
        request.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit_record(actor=actor, action="privacy.erasure.refuse", obj=request, before={"status": "open"},
                     after={"status": "refused", "note": request.decision_note})
    return request


# --- retention ---------------------------------------------------------------------------------------------------


def _audit_purge(kind: str, count: int, cutoff: datetime, **details: Any) -> int:
    if count:
        with transaction.atomic():
            audit_record(actor=None, action="privacy.retention.purge", object_type="privacy.retention", object_id=kind,
                         after={"count": count, "older_than": cutoff, **details})
    return count


def _batch_ids(queryset, batch: int) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:batch])


def retention_purge_sessions(*, now: datetime, batch: int) -> int:
    """Forget sessions that ended, or were last seen, longer ago than KEZEK_RETENTION_DAYS_SESSIONS."""
    cutoff = retention_cutoff(now, settings.KEZEK_RETENTION_DAYS_SESSIONS)
    if cutoff is None:
        return 0
    ids = _batch_ids(UserSession.objects.filter(Q(ended_at__lt=cutoff) | Q(last_seen_at__lt=cutoff)), batch)
    keys = list(UserSession.objects.filter(pk__in=ids).values_list("session_key", flat=True))
    DjangoSession.objects.filter(session_key__in=keys).delete()
    deleted = UserSession.objects.filter(pk__in=ids).delete()[0]
    return _audit_purge("sessions", deleted, cutoff)


def retention_purge_sign_in_codes(*, now: datetime, batch: int) -> int:
    """Forget sign-in codes and expired phone locks older than KEZEK_RETENTION_DAYS_OTP."""
    cutoff = retention_cutoff(now, settings.KEZEK_RETENTION_DAYS_OTP)
    if cutoff is None:
        return 0
    codes = OtpChallenge.objects.filter(pk__in=_batch_ids(OtpChallenge.objects.filter(created_at__lt=cutoff), batch)).delete()[0]
    locks = PhoneLock.objects.filter(pk__in=_batch_ids(PhoneLock.objects.filter(locked_until__lt=cutoff), batch)).delete()[0]
    # Codes are hashes that expire in minutes: counted, not audited one by one.
    return _audit_purge("sign_in_codes", codes + locks, cutoff)


def retention_purge_notifications(*, now: datetime, batch: int) -> int:
    """Delete delivered or failed messages (their bodies name the child) older than KEZEK_RETENTION_DAYS_NOTIFICATIONS."""
    cutoff = retention_cutoff(now, settings.KEZEK_RETENTION_DAYS_NOTIFICATIONS)
    if cutoff is None:
        return 0
    done = OutboxMessage.objects.filter(created_at__lt=cutoff).exclude(status=OutboxMessage.Status.PENDING)
    deleted = OutboxMessage.objects.filter(pk__in=_batch_ids(done, batch)).delete()[0]
    return _audit_purge("notifications", deleted, cutoff)


def retention_purge_documents(*, now: datetime, batch: int) -> int:
    """Remove the files of benefit and appeal documents decided longer ago than
    KEZEK_RETENTION_DAYS_DOCUMENTS_AFTER_DECISION; their type, size and SHA-256 stay as the record."""
    cutoff = retention_cutoff(now, settings.KEZEK_RETENTION_DAYS_DOCUMENTS_AFTER_DECISION)
    if cutoff is None:
        return 0
    claims = list(BenefitClaim.objects.filter(decided_at__lt=cutoff).exclude(document="").order_by("pk")[:batch])
    appeal_docs = list(AppealDocument.objects.filter(appeal__decided_at__lt=cutoff).exclude(file="").order_by("pk")[:batch])
    with transaction.atomic():
        BenefitClaim.objects.filter(pk__in=[c.pk for c in claims]).update(document="")
        AppealDocument.objects.filter(pk__in=[d.pk for d in appeal_docs]).update(file="")
        for claim in claims:
            _delete_file(claim.document.name)
        for document in appeal_docs:
            _delete_file(document.file.name)
    return _audit_purge("documents", len(claims) + len(appeal_docs), cutoff,
                        benefit_claims=[c.pk for c in claims], appeal_documents=[d.pk for d in appeal_docs])


def _inactive_parents(cutoff: datetime):
    # A parent is inactive when neither the account nor any session of it was seen since the cut-off.
    return (
        User.objects.filter(role=Role.PARENT, person__isnull=False, person__anonymisation__isnull=True,
                            date_joined__lt=cutoff)
        .annotate(seen=Max("sessions__last_seen_at"))
        .filter(Q(seen__isnull=True) | Q(seen__lt=cutoff))
        .select_related("person")
        .order_by("pk")
    )


def retention_anonymise_inactive(*, now: datetime, batch: int) -> int:
    """Anonymise parents (and their children) not seen for KEZEK_RETENTION_DAYS_INACTIVE_PEOPLE with nothing live.

    Those with live records are skipped and looked at again on the next run.
    """
    cutoff = retention_cutoff(now, settings.KEZEK_RETENTION_DAYS_INACTIVE_PEOPLE)
    if cutoff is None:
        return 0
    done = 0
    for account in _inactive_parents(cutoff)[:batch]:
        try:
            result = person_anonymise(person=account.person, requested_by=None,
                                      reason=f"retention: no activity since {cutoff:%Y-%m-%d}")
        except PersonHasLiveRecords:
            continue
        done += len(result.people)
    return done


def retention_purge(*, now: datetime | None = None, batch: int | None = None) -> int:
    """One pass of every retention rule (rule: nothing is kept longer than its period); returns rows handled."""
    now = now or timezone.now()
    batch = batch or settings.KEZEK_RETENTION_BATCH
    return sum(
        purge(now=now, batch=batch)
        for purge in (retention_purge_sessions, retention_purge_sign_in_codes, retention_purge_notifications,
                      retention_purge_documents, retention_anonymise_inactive)
    )
