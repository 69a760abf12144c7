"""Applying for a kindergarten place and the parent's own changes in the personal cabinet.

Every check runs before anything is written, so a refused submission leaves no trace; the writes then
happen in one transaction with their audit events and the notification in the outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from kezek.accounts.models import Role
from kezek.applications import errors
from kezek.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationPreference,
    BenefitClaim,
    StopListEntry,
)
from kezek.applications.selectors.rules import queue_rules_for
from kezek.applications.services.claims import extraordinary_confirm_by
from kezek.applications.services.priority import application_refresh_priority
from kezek.applications.services.queue_keys import application_queue_keys_sync, preference_rows
from kezek.audit.services import audit_record
from kezek.domain.iin import parse_iin
from kezek.domain.phones import InvalidPhone, normalise_kz_mobile
from kezek.domain.queue import (
    BENEFIT_CLASS,
    OPEN_STATUSES,
    ApplicationStatus,
    PriorityClass,
    QueueRules,
    age_group,
    check_age,
    check_transition,
)
from kezek.geo.models import District
from kezek.notifications.services import notification_enqueue
from kezek.organisations.models import Organisation
from kezek.people.models import BenefitKind, Person
from kezek.people.registry import get_registry
from kezek.people.selectors import people_parent_and_child

LANGUAGES_OF_INSTRUCTION = ("kk", "ru")
NOTIFY_LANGUAGES = ("kk", "ru", "en")
CHANNELS = (Application.Channel.SMS, Application.Channel.EMAIL)
# Contacts and choices can change while the child holds a place in the queue or an offer.
CHANGEABLE_STATUSES = frozenset(OPEN_STATUSES)


@dataclass(frozen=True)
class Contacts:
    phones: list[str]
    email: str
    notify_channel: str
    notify_language: str


@dataclass(frozen=True)
class SubmitOutcome:
    """The application and whether this call created it (False: an idempotent replay).

    A new application also brings what was just written, so the answer needs no second read:
    its kindergartens' names in rank order and its benefit claims.
    """

    application: Application
    created: bool
    organisation_names: dict[int, str] | None = None
    claims: list[BenefitClaim] = field(default_factory=list)


# --- checks shared by submission and the cabinet ----------------------------------------------------


def _clean_phones(phones: Sequence[str], *, min_phones: int) -> list[str]:
    # Blank entries are a form's unused optional fields, not numbers.
    given = [(i, p) for i, p in enumerate(phones or [], start=1) if isinstance(p, str) and p.strip()]
    seen: dict[str, int] = {}
    for index, text in given:
        try:
            number = normalise_kz_mobile(text)
        except InvalidPhone as exc:
            raise errors.InvalidApplicationPhone(index=index, reason=exc.params.get("reason", "invalid")) from None
        if number in seen:
            raise errors.DuplicatePhone(index=index, first=seen[number])
        seen[number] = index
    if len(seen) < min_phones:
        raise errors.NotEnoughPhones(min=min_phones)
    return list(seen)


def _clean_contacts(*, phones, email, notify_channel, notify_language, rules: QueueRules) -> Contacts:
    cleaned_phones = _clean_phones(phones, min_phones=rules.min_phones)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise errors.InvalidEmail() from None
    if notify_channel not in CHANNELS:
        raise errors.InvalidChannel()
    if notify_channel == Application.Channel.EMAIL and not email:
        raise errors.EmailRequired()
    if notify_language not in NOTIFY_LANGUAGES:
        raise errors.InvalidNotifyLanguage()
    return Contacts(cleaned_phones, email, notify_channel, notify_language)


def _clean_preferences(preferences: Sequence[int], *, district_id: int, rules: QueueRules) -> list[int]:
    return list(_chosen_kindergartens(preferences, district_id=district_id, rules=rules))


def _chosen_kindergartens(preferences: Sequence[int], *, district_id: int, rules: QueueRules) -> dict[int, str]:
    """The chosen kindergartens' names by id, in rank order, after checking the choice."""
    ids = list(preferences or [])
    if not ids:
        raise errors.NoPreferences(max=rules.max_preferences)
    if len(ids) > rules.max_preferences:
        raise errors.TooManyPreferences(max=rules.max_preferences, count=len(ids))
    if len(set(ids)) != len(ids):
        raise errors.DuplicatePreference()
    available = dict(
        Organisation.objects.filter(
            pk__in=ids, kind=Organisation.Kind.KINDERGARTEN, status=Organisation.Status.APPROVED, district_id=district_id
        ).values_list("pk", "name")
    )
    for index, org_id in enumerate(ids, start=1):
        if org_id not in available:
            raise errors.KindergartenNotAvailable(index=index, organisation_id=org_id)
    return {org_id: available[org_id] for org_id in ids}


def _clean_benefits(kinds: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for kind in kinds or ():
        if kind not in BenefitKind.values:
            raise errors.UnknownBenefit(kind=str(kind)[:40])
        if kind not in cleaned:
            cleaned.append(kind)
    return cleaned


def _require_registry_parent(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or actor.role != Role.PARENT or actor.person_id is None:
        raise errors.NotARegistryParent()


def _confirmed_benefits(registry: Any, *iins: str) -> list[str]:
    # Benefits the state databases confirm for the child or for the applicant need no document.
    of_many = getattr(registry, "benefits_of_many", None)
    kinds = of_many(iins) if of_many else set().union(*(registry.benefits_of(iin) for iin in iins))
    return sorted(kinds)


def _district_and_rules(district_id: Any) -> tuple[District, QueueRules]:
    # The region's queue rules come with the district in one read (a region without its own row uses the defaults).
    district = (
        District.objects.select_related("region__queue_rules").filter(pk=district_id).first()
        if isinstance(district_id, int)
        else None
    )
    if district is None:
        raise errors.DistrictNotFound()
    row = getattr(district.region, "queue_rules", None)
    return district, row.as_rules() if row else QueueRules()


def _check_stop_list(person: Person) -> None:
    entry = StopListEntry.objects.filter(person=person, until__gt=timezone.now()).order_by("-until").first()
    if entry is not None:
        raise errors.OnStopList(until=timezone.localtime(entry.until).date().isoformat())


def _contact_target(application: Application) -> tuple[str, str]:
    if application.notify_channel == Application.Channel.EMAIL and application.email:
        return "email", application.email
    return "sms", application.phones[0]


def _notify(application: Application, *, template: str, key: str, **context: Any) -> None:
    channel, recipient = _contact_target(application)
    notification_enqueue(
        channel=channel,
        recipient=recipient,
        template=template,
        context={"queue_number": application.queue_number, "public_id": application.public_id, **context},
        language=application.notify_language,
        idempotency_key=f"application:{application.pk}:{key}",
        user=application.applicant,
    )


def _lock_own(*, actor: Any, application_id: int) -> Application:
    """The actor's own application, row-locked; another parent's is 'not found' (nothing leaks)."""
    application = (
        Application.objects.select_for_update().filter(pk=application_id).first()
        if getattr(actor, "is_authenticated", False)
        else None
    )
    if application is None or application.applicant_id != actor.pk:
        raise errors.ApplicationNotFound()
    return application


def _require_changeable(application: Application) -> None:
    if application.status not in CHANGEABLE_STATUSES:
        raise errors.ApplicationClosed(status=application.status)


# --- applying ---------------------------------------------------------------------------------------


def application_submit_outcome(
    *,
    actor: Any,
    child_iin: str,
    district_id: int,
    desired_start_date: dt.date,
    language: str,
    preferences: list[int],
    phones: list[str],
    email: str = "",
    notify_channel: str,
    notify_language: str,
    claimed_benefits: Sequence[str] = (),
    submission_key: str,
    request_id: str = "",
) -> SubmitOutcome:
    """``application_submit`` that also says whether the call created the application or replayed it."""
    if getattr(actor, "is_authenticated", False):
        # A retry returns what the first call made even if something has changed since (a closed kindergarten).
        replayed = _submitted(actor=actor, submission_key=submission_key)
        if replayed is not None:
            return SubmitOutcome(replayed, False)
    iin = parse_iin(child_iin or "")
    registry = get_registry()
    child_record = registry.person_by_iin(iin.value)
    if child_record is None:
        raise errors.ChildNotInRegistry()
    _require_registry_parent(actor)
    parent, child = people_parent_and_child(parent_id=actor.person_id, child_iin=iin.value)
    if not registry.is_legal_representative(adult_iin=parent.iin, child_iin=iin.value):
        raise errors.NotLegalRepresentative()
    _check_stop_list(parent)

    district, rules = _district_and_rules(district_id)
    if desired_start_date < timezone.localdate():
        raise errors.StartDateInPast()
    check_age(birth_date=child_record.birth_date, start_date=desired_start_date, rules=rules)
    if language not in LANGUAGES_OF_INSTRUCTION:
        raise errors.InvalidLanguage()
    kindergartens = _chosen_kindergartens(preferences, district_id=district.pk, rules=rules)
    preference_ids = list(kindergartens)
    contacts = _clean_contacts(
        phones=phones, email=email, notify_channel=notify_channel, notify_language=notify_language, rules=rules
    )
    claimed = _clean_benefits(claimed_benefits)
    confirmed = _confirmed_benefits(registry, iin.value, parent.iin)

    def create() -> SubmitOutcome:
        application = Application.objects.create(
            child=child if child is not None else Person.objects.get(iin=iin.value),
            applicant=actor,
            district=district,
            desired_start_date=desired_start_date,
            language=language,
            age_group=age_group(birth_date=child_record.birth_date, start_date=desired_start_date, rules=rules),
            phones=contacts.phones,
            email=contacts.email,
            notify_channel=contacts.notify_channel,
            notify_language=contacts.notify_language,
            submission_key=submission_key,
        )
        # The rows copy the queue-order keys as they are now; the class refresh below re-syncs them if it changes.
        ApplicationPreference.objects.bulk_create(preference_rows(application=application, organisation_ids=preference_ids))
        claims = _create_claims(application, confirmed=confirmed, claimed=claimed, rules=rules)
        ApplicationEvent.objects.create(
            application=application,
            kind=ApplicationEvent.Kind.SUBMITTED,
            occurred_at=application.registered_at,
            details={"queue_number": application.queue_number, "preferences": preference_ids},
        )
        # Rendering the message before the audit chain's head lock keeps that global lock short.
        _notify(application, template="application_submitted", key="submitted", district=district.name)
        if claims:
            # Without claims the class stays general, as created: nothing to read or refresh.
            application_refresh_priority(application=application, actor=actor, reason="benefits_at_submission")
        audit_record(
            actor=actor,
            action="applications.application.submit",
            obj=application,
            after=_snapshot(application)
            | {"preferences": preference_ids, "claims": [{"kind": c.kind, "source": c.source, "status": c.status} for c in claims]},
            request_id=request_id,
        )
        return SubmitOutcome(application, True, organisation_names=kindergartens, claims=claims)

    try:
        # The unique constraints decide a race or a repeat (same key, or a second open application for the child):
        # the losing INSERT raises IntegrityError, answered below, so nothing is read first.
        with transaction.atomic():
            return create()
    except IntegrityError:
        # A concurrent submission won the race on one of the unique constraints: report what it made.
        winner = _submitted(actor=actor, submission_key=submission_key)
        if winner is not None:
            return SubmitOutcome(winner, False)
        _refuse_second_application(child_iin=iin.value)
        raise


def _submitted(*, actor: Any, submission_key: str) -> Application | None:
    return Application.objects.filter(applicant_id=actor.pk, submission_key=submission_key).first()


def application_submit(
    *,
    actor: Any,
    child_iin: str,
    district_id: int,
    desired_start_date: dt.date,
    language: str,
    preferences: list[int],
    phones: list[str],
    email: str = "",
    notify_channel: str,
    notify_language: str,
    claimed_benefits: Sequence[str] = (),
    submission_key: str,
    request_id: str = "",
) -> Application:
    """Register a child in a district's kindergarten queue (rules: legal representative, ages, one open application, idempotent)."""
    return application_submit_outcome(
        actor=actor, child_iin=child_iin, district_id=district_id, desired_start_date=desired_start_date,
        language=language, preferences=preferences, phones=phones, email=email, notify_channel=notify_channel,
        notify_language=notify_language, claimed_benefits=claimed_benefits, submission_key=submission_key,
        request_id=request_id,
    ).application


def _refuse_second_application(*, child_iin: str) -> None:
    open_one = (
        Application.objects.filter(child__iin=child_iin, status__in=sorted(OPEN_STATUSES)).only("pk").first()
    )
    if open_one is not None:
        raise errors.ApplicationExists(queue_number=open_one.queue_number)


def _create_claims(
    application: Application, *, confirmed: list[str], claimed: list[str], rules: QueueRules
) -> list[BenefitClaim]:
    now = timezone.now()
    rows = [
        BenefitClaim(
            application=application, kind=kind, priority_class=int(BENEFIT_CLASS[kind]),
            source=BenefitClaim.Source.REGISTRY, status=BenefitClaim.Status.CONFIRMED, submitted_at=now, decided_at=now,
        )
        for kind in confirmed
        if kind in BENEFIT_CLASS
    ]
    for kind in claimed:
        if kind in confirmed:
            continue
        extraordinary = BENEFIT_CLASS[kind] == PriorityClass.EXTRAORDINARY
        rows.append(
            BenefitClaim(
                application=application, kind=kind, priority_class=int(BENEFIT_CLASS[kind]),
                source=BenefitClaim.Source.DOCUMENT, status=BenefitClaim.Status.PENDING, submitted_at=now,
                confirm_by=extraordinary_confirm_by(claimed_at=now, rules=rules) if extraordinary else None,
            )
        )
    return BenefitClaim.objects.bulk_create(rows)


def _snapshot(application: Application) -> dict[str, Any]:
    return {
        "child_id": application.child_id,
        "district_id": application.district_id,
        "desired_start_date": application.desired_start_date,
        "language": application.language,
        "age_group": application.age_group,
        "status": application.status,
        "priority_class": application.priority_class,
        "registered_at": application.registered_at,
        **_contacts_snapshot(application),
    }


def _contacts_snapshot(application: Application) -> dict[str, Any]:
    return {
        "phones": list(application.phones),
        "email": application.email,
        "notify_channel": application.notify_channel,
        "notify_language": application.notify_language,
    }


# --- the personal cabinet ---------------------------------------------------------------------------


def application_update_contacts(
    *, actor: Any, application_id: int, phones: list[str], email: str, notify_channel: str, notify_language: str
) -> Application:
    """Change phones, e-mail, channel and language (rule: the registration time never changes)."""
    with transaction.atomic():
        application = _lock_own(actor=actor, application_id=application_id)
        _require_changeable(application)
        rules = queue_rules_for(region_id=application.district.region_id)
        contacts = _clean_contacts(
            phones=phones, email=email, notify_channel=notify_channel, notify_language=notify_language, rules=rules
        )
        before = _contacts_snapshot(application)
        application.phones = contacts.phones
        application.email = contacts.email
        application.notify_channel = contacts.notify_channel
        application.notify_language = contacts.notify_language
        after = _contacts_snapshot(application)
        if before == after:
            return application
        application.save(update_fields=["phones", "email", "notify_channel", "notify_language", "updated_at"])
        # The history shows what changed; the numbers themselves stay in the audit trail only.
        event = ApplicationEvent.objects.create(
            application=application,
            kind=ApplicationEvent.Kind.CONTACTS_CHANGED,
            details={"fields": [name for name in after if before[name] != after[name]]},
        )
        _notify(application, template="application_changed", key=f"changed:{event.pk}", change="contacts")
        audit_record(actor=actor, action="applications.application.update_contacts", obj=application, before=before, after=after)
    return application


def application_update_preferences(*, actor: Any, application_id: int, preferences: list[int]) -> Application:
    """Replace the ranked kindergartens (rule: the registration time never changes)."""
    with transaction.atomic():
        application = _lock_own(actor=actor, application_id=application_id)
        _require_changeable(application)
        rules = queue_rules_for(region_id=application.district.region_id)
        after = _clean_preferences(preferences, district_id=application.district_id, rules=rules)
        before = list(application.preferences.order_by("rank").values_list("organisation_id", flat=True))
        if before == after:
            return application
        application.preferences.all().delete()
        ApplicationPreference.objects.bulk_create(preference_rows(application=application, organisation_ids=after))
        application.save(update_fields=["updated_at"])
        event = ApplicationEvent.objects.create(
            application=application, kind=ApplicationEvent.Kind.PREFERENCES_CHANGED, details={"before": before, "after": after}
        )
        _notify(application, template="application_changed", key=f"changed:{event.pk}", change="preferences")
        audit_record(
            actor=actor, action="applications.application.update_preferences", obj=application,
            before={"preferences": before}, after={"preferences": after},
        )
    return application


def application_withdraw(*, actor: Any, application_id: int, reason: str = "") -> Application:
    """Take the child out of the queue at the parent's request (rule: statuses move only forward)."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        application = _lock_own(actor=actor, application_id=application_id)
        check_transition(application.status, ApplicationStatus.WITHDRAWN)
        before = {"status": application.status}
        application.status = Application.Status.WITHDRAWN
        application.status_changed_at = timezone.now()
        application.save(update_fields=["status", "status_changed_at", "updated_at"])
        application_queue_keys_sync(application=application)
        ApplicationEvent.objects.create(
            application=application, kind=ApplicationEvent.Kind.WITHDRAWN, details={"from": before["status"], "reason": reason}
        )
        _notify(application, template="application_withdrawn", key="withdrawn")
        audit_record(
            actor=actor, action="applications.application.withdraw", obj=application,
            before=before, after={"status": application.status, "reason": reason},
        )
    return application
