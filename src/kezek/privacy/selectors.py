"""Reading everything held about a person: their household, what still blocks erasure, the export's content."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

from kezek.accounts.models import OtpChallenge, PhoneLock, User, UserSession
from kezek.appeals.models import Appeal, AppealDocument
from kezek.applications.models import Application, ApplicationEvent, ApplicationPreference, BenefitClaim, StopListEntry
from kezek.attendance.models import CheckIn, ContestedDay, Mark, MonthlySheet
from kezek.audit.models import AuditEvent
from kezek.domain.queue import OPEN_STATUSES
from kezek.domain.vouchers import HELD_STATUSES
from kezek.integrity.models import Dispute, Suspension
from kezek.notifications.models import OutboxMessage
from kezek.payments.models import Statement, StatementLine
from kezek.people.models import BenefitFact, LegalRepresentation, Person
from kezek.placements.models import Enrolment, Offer, Referral
from kezek.privacy.models import Anonymisation, ErasureRequest
from kezek.vouchers.models import Voucher, VoucherAgreement, VoucherApplication, VoucherEvent

EXPORT_FORMAT = "kezek.person-data-export/1"
# Secrets and keys that only let the system work: exporting them would hand a copy of a credential around.
_NEVER_EXPORTED = frozenset({"password", "code_hash", "session_key", "check_token", "idempotency_key", "submission_key",
                             "lease_owner", "leased_until"})


def person_account(*, person: Person) -> User | None:
    """The person's own account (parents have one from their first sign-in)."""
    return User.objects.filter(person=person).first()


def person_children(*, person: Person) -> list[Person]:
    """The children the person represents in the registry or applied for in Kezek (rule: a parent acts for them)."""
    account = person_account(person=person)
    ids = set(LegalRepresentation.objects.filter(representative=person).values_list("child_id", flat=True))
    if account is not None:
        ids |= set(Application.objects.filter(applicant=account).values_list("child_id", flat=True))
        ids |= set(Voucher.objects.filter(holder=account).values_list("child_id", flat=True))
        ids |= set(VoucherApplication.objects.filter(applicant=account).values_list("child_id", flat=True))
    ids.discard(person.pk)
    return list(Person.objects.filter(pk__in=ids).order_by("pk"))


def person_household(*, person: Person) -> list[Person]:
    """The person first, then their children: whose data an export gathers and an erasure removes."""
    return [person, *person_children(person=person)]


def erasure_requests_for_person(*, person: Person) -> list[ErasureRequest]:
    """A person's erasure requests, newest first (the cabinet shows each with its decision)."""
    return list(ErasureRequest.objects.filter(person=person).order_by("-created_at", "-pk"))


def person_is_anonymised(*, person: Person) -> bool:
    return Anonymisation.objects.filter(person=person).exists()


def _users(people: Iterable[Person]) -> list[User]:
    return list(User.objects.filter(person__in=list(people)))


def person_live_records(*, people: list[Person]) -> list[tuple[str, int]]:
    """Live records of these people or their accounts that erasure would destroy: (label, id) pairs.

    Live: an open application, a held voucher or a waiting voucher application, an active enrolment, an
    open offer or unsigned referral, an open appeal, dispute, contested day or suspension, a month the
    parent has not confirmed yet, or a line on a statement that is not approved (not yet paid).
    """
    ids = [p.pk for p in people]
    users = _users(people)
    checks: list[tuple[str, models.QuerySet]] = [
        (_("kindergarten application"), Application.objects.filter(
            Q(child_id__in=ids) | Q(applicant__in=users), status__in=sorted(OPEN_STATUSES))),
        (_("club voucher"), Voucher.objects.filter(Q(child_id__in=ids) | Q(holder__in=users), status__in=sorted(HELD_STATUSES))),
        (_("voucher application"), VoucherApplication.objects.filter(
            Q(child_id__in=ids) | Q(applicant__in=users), status=VoucherApplication.Status.WAITING)),
        (_("kindergarten enrolment"), Enrolment.objects.filter(child_id__in=ids, status=Enrolment.Status.ACTIVE)),
        (_("offer of a place"), Offer.objects.filter(application__child_id__in=ids, status=Offer.Status.OPEN)),
        (_("referral"), Referral.objects.filter(offer__application__child_id__in=ids, status=Referral.Status.ISSUED)),
        (_("appeal"), Appeal.objects.filter(Q(child_id__in=ids) | Q(filer__in=users), status=Appeal.Status.OPEN)),
        (_("dispute"), Dispute.objects.filter(Q(child_id__in=ids) | Q(parent__in=users), status=Dispute.Status.OPEN)),
        (_("contested attendance day"), ContestedDay.objects.filter(sheet__child_id__in=ids, status=ContestedDay.Status.OPEN)),
        (_("attendance month to confirm"), MonthlySheet.objects.filter(child_id__in=ids, status=MonthlySheet.Status.OPEN)),
        (_("suspended place"), Suspension.objects.filter(child_id__in=ids, status=Suspension.Status.SUSPENDED)),
        (_("unpaid payment statement line"), StatementLine.objects.filter(
            child_id__in=ids, statement__status=Statement.Status.DRAFT)),
    ]
    return [(label, pk) for label, queryset in checks for pk in queryset.order_by("pk").values_list("pk", flat=True)]


# --- the export ---------------------------------------------------------------------------------------------


def _row(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """One record as a flat dict of its stored columns (files by their stored name), secrets left out."""
    skip = _NEVER_EXPORTED | set(exclude)
    row: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in skip or field.attname in skip:
            continue
        value = getattr(obj, field.attname)
        row[field.attname] = value.name if isinstance(field, models.FileField) else value
    return row


def _rows(queryset: models.QuerySet, **kwargs: Any) -> list[dict[str, Any]]:
    return [_row(obj, **kwargs) for obj in queryset.order_by("pk")]


def _document(name: str, *, kind: str, record_id: int, content_type: str, size: int | None, sha256: str) -> dict[str, Any]:
    return {"kind": kind, "record_id": record_id, "file": name, "content_type": content_type, "size": size, "sha256": sha256}


def person_documents(*, people: list[Person]) -> list[dict[str, Any]]:
    """Metadata of every stored document about these people (benefit claims and appeals): what the ZIP carries."""
    ids = [p.pk for p in people]
    users = _users(people)
    found = [
        _document(c.document.name, kind="benefit_claim", record_id=c.pk, content_type=c.document_content_type,
                  size=c.document_size, sha256=c.document_sha256)
        for c in BenefitClaim.objects.filter(application__child_id__in=ids).exclude(document="").order_by("pk")
    ]
    found += [
        _document(d.file.name, kind="appeal", record_id=d.appeal_id, content_type=d.content_type, size=d.size, sha256=d.sha256)
        for d in AppealDocument.objects.filter(Q(appeal__child_id__in=ids) | Q(appeal__filer__in=users)).exclude(file="").order_by("pk")
    ]
    return found


def _person_section(person: Person) -> dict[str, Any]:
    account = person_account(person=person)
    return {
        "person": _row(person),
        "account": _row(account, exclude=("last_login",)) if account else None,
        "sessions": _rows(UserSession.objects.filter(user=account)) if account else [],
        "legal_representation": _rows(LegalRepresentation.objects.filter(Q(representative=person) | Q(child=person))),
        "benefits": _rows(BenefitFact.objects.filter(person=person)),
        "stop_list": _rows(StopListEntry.objects.filter(person=person)),
    }


def _records(people: list[Person]) -> dict[str, list[dict[str, Any]]]:
    ids = [p.pk for p in people]
    users = _users(people)
    applications = Application.objects.filter(Q(child_id__in=ids) | Q(applicant__in=users))
    vouchers = Voucher.objects.filter(Q(child_id__in=ids) | Q(holder__in=users))
    appeals = Appeal.objects.filter(Q(child_id__in=ids) | Q(filer__in=users))
    return {
        "applications": _rows(applications),
        "application_preferences": _rows(ApplicationPreference.objects.filter(application__in=applications)),
        "application_history": _rows(ApplicationEvent.objects.filter(application__in=applications)),
        "benefit_claims": _rows(BenefitClaim.objects.filter(application__in=applications)),
        "offers": _rows(Offer.objects.filter(application__in=applications)),
        "referrals": _rows(Referral.objects.filter(offer__application__in=applications)),
        "enrolments": _rows(Enrolment.objects.filter(child_id__in=ids)),
        "voucher_applications": _rows(VoucherApplication.objects.filter(Q(child_id__in=ids) | Q(applicant__in=users))),
        "vouchers": _rows(vouchers),
        "voucher_history": _rows(VoucherEvent.objects.filter(voucher__in=vouchers)),
        "voucher_agreements": _rows(VoucherAgreement.objects.filter(voucher__in=vouchers)),
        "attendance_marks": _rows(Mark.objects.filter(child_id__in=ids)),
        "check_ins": _rows(CheckIn.objects.filter(child_id__in=ids)),
        "attendance_months": _rows(MonthlySheet.objects.filter(child_id__in=ids)),
        "contested_days": _rows(ContestedDay.objects.filter(sheet__child_id__in=ids)),
        "suspensions": _rows(Suspension.objects.filter(child_id__in=ids)),
        "disputes": _rows(Dispute.objects.filter(Q(child_id__in=ids) | Q(parent__in=users))),
        "appeals": _rows(appeals),
        "payment_statement_lines": _rows(StatementLine.objects.filter(child_id__in=ids)),
        "erasure_requests": _rows(ErasureRequest.objects.filter(person_id__in=ids)),
    }


def person_contacts(*, people: list[Person]) -> set[str]:
    """Every phone and e-mail address these people gave or signed in with (where messages to them went)."""
    ids = [p.pk for p in people]
    users = _users(people)
    found = {p.phone for p in people if p.phone} | {u.username for u in users} | {u.email for u in users if u.email}
    for phones, email in Application.objects.filter(Q(child_id__in=ids) | Q(applicant__in=users)).values_list("phones", "email"):
        found.update(phones or [])
        if email:
            found.add(email)
    return found


def _notifications(people: list[Person]) -> list[dict[str, Any]]:
    users = _users(people)
    sent = OutboxMessage.objects.filter(Q(user__in=users) | Q(recipient__in=sorted(person_contacts(people=people))))
    return _rows(sent, exclude=("attempts", "available_at", "last_error", "provider_message_id"))


def _audit_events(people: list[Person], records: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    # Events about them: those they made, and those about any record of theirs gathered above.
    objects = {("people.person", str(p.pk)) for p in people}
    labels = {"applications": "applications.application", "vouchers": "vouchers.voucher", "offers": "placements.offer",
              "referrals": "placements.referral", "enrolments": "placements.enrolment", "appeals": "appeals.appeal",
              "disputes": "integrity.dispute", "attendance_months": "attendance.monthlysheet",
              "voucher_applications": "vouchers.voucherapplication", "suspensions": "integrity.suspension"}
    for key, label in labels.items():
        objects |= {(label, str(r["id"])) for r in records[key]}
    users = _users(people)
    condition = Q(actor_id__in=[u.pk for u in users]) | Q(object_type="accounts.user", object_id__in=[str(u.pk) for u in users])
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in objects:
        by_type.setdefault(object_type, []).append(object_id)
    for object_type, object_ids in by_type.items():
        condition |= Q(object_type=object_type, object_id__in=object_ids)
    return _rows(AuditEvent.objects.filter(condition), exclude=("prev_hash",))


def person_data_gather(*, person: Person) -> dict[str, Any]:
    """Everything held about a person and their children, as one JSON-ready document (rule: the subject's right to know)."""
    people = person_household(person=person)
    records = _records(people)
    contacts = sorted(person_contacts(people=people))
    return {
        "format": EXPORT_FORMAT,
        "subject": _person_section(person),
        "children": [_person_section(child) for child in people[1:]],
        "records": records,
        "documents": person_documents(people=people),
        "notifications": _notifications(people),
        "audit_events": _audit_events(people, records),
        "sign_in_codes": {
            # Codes are kept only as hashes for minutes; what is held is when one was asked for.
            "requested_at": list(OtpChallenge.objects.filter(phone__in=contacts).order_by("created_at")
                                 .values_list("created_at", flat=True)),
            "locks": _rows(PhoneLock.objects.filter(phone__in=contacts)),
        },
    }
