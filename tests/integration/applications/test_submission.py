"""Applying for a kindergarten place: every rule of 'Applying' and every refusal of 'Bad input', on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.applications.errors import ApplicationExists
from kezek.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationPreference,
    BenefitClaim,
    RegionQueueRules,
    StopListEntry,
)
from kezek.applications.services.submission import application_submit, application_submit_outcome, application_withdraw
from kezek.audit.models import AuditEvent
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.domain.queue import PriorityClass
from kezek.domain.workdays import add_working_days
from kezek.notifications.models import OutboxMessage
from kezek.organisations.models import Organisation
from kezek.people.models import LegalRepresentation
from tests.factories.accounts import make_officer, make_parent
from tests.factories.applications import make_applying_family, submission_kwargs
from tests.factories.geo import district
from tests.factories.organisations import make_organisation
from tests.factories.people import add_benefit, make_family, make_person, unique_iin

pytestmark = pytest.mark.django_db

TABLES = (Application, ApplicationPreference, BenefitClaim, ApplicationEvent, AuditEvent, OutboxMessage)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


@pytest.fixture
def family():
    return make_applying_family()


def refused(expected_code: str, **kwargs) -> DomainError:
    """Submit, expect the refusal ``expected_code``, and check that nothing at all was written."""
    before = counts()
    with pytest.raises(DomainError) as exc:
        application_submit(**kwargs)
    assert exc.value.code == expected_code, exc.value
    assert counts() == before
    assert error_text(exc.value)  # a message and a hint a person can read
    return exc.value


# --- the happy path ---------------------------------------------------------------------------------


def test_a_parent_registers_their_child_with_a_queue_number(family):
    user, child, orgs = family
    before = counts()
    app = application_submit(
        **submission_kwargs(user=user, child=child, orgs=orgs, phones=["8 (701) 111-22-33", "+7 747 444 55 66"])
    )
    app.refresh_from_db()
    assert (app.child_id, app.applicant_id, app.district_id) == (child.pk, user.pk, orgs[0].district_id)
    assert app.status == "active" and app.priority_class == PriorityClass.GENERAL
    assert app.phones == ["+77011112233", "+77474445566"]
    assert app.age_group == 2023 and app.queue_number == app.pk and len(app.public_id) == 16
    assert abs((timezone.now() - app.registered_at).total_seconds()) < 60
    assert list(app.preferences.values_list("organisation_id", "rank")) == [(o.pk, i) for i, o in enumerate(orgs, 1)]
    assert list(app.events.values_list("kind", flat=True)) == ["submitted"]
    assert app.events.get().details["queue_number"] == app.pk
    audit = AuditEvent.objects.get(action="applications.application.submit")
    assert audit.object_id == str(app.pk) and audit.actor_id == user.pk
    message = OutboxMessage.objects.get(idempotency_key=f"application:{app.pk}:submitted")
    assert message.channel == "sms" and message.recipient == "+77011112233" and message.language == "ru"
    assert str(app.pk) in message.body
    after = counts()
    assert after["Application"] == before["Application"] + 1 and after["ApplicationPreference"] == before["ApplicationPreference"] + 3


def test_the_queue_number_goes_by_e_mail_in_the_chosen_language(family):
    user, child, orgs = family
    app = application_submit(
        **submission_kwargs(user=user, child=child, orgs=orgs, email="aigerim@example.kz", notify_channel="email", notify_language="en")
    )
    message = OutboxMessage.objects.get(idempotency_key=f"application:{app.pk}:submitted")
    assert (message.channel, message.recipient, message.language) == ("email", "aigerim@example.kz", "en")
    assert str(app.pk) in message.subject and str(app.pk) in message.body


# --- benefit rights -----------------------------------------------------------------------------------


def test_a_registry_benefit_applies_automatically_and_gives_first_priority(family):
    user, child, orgs = family
    add_benefit(child, "large_family")
    app = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.FIRST
    claim = app.claims.get()
    assert (claim.kind, claim.source, claim.status, claim.priority_class) == ("large_family", "registry", "confirmed", 1)
    assert not claim.document
    assert app.registered_at <= app.priority_since
    assert list(app.events.values_list("kind", flat=True)) == ["submitted", "class_changed"]


def test_a_benefit_of_the_parent_counts_too(family):
    user, child, orgs = family
    add_benefit(user.person, "military")
    app = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.EXTRAORDINARY
    assert list(app.claims.values_list("kind", "status")) == [("military", "confirmed")]


def test_an_expired_registry_benefit_does_not_count(family):
    user, child, orgs = family
    add_benefit(child, "large_family", valid_to=timezone.localdate() - dt.timedelta(days=1))
    app = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    assert app.priority_class == PriorityClass.GENERAL and not app.claims.exists()


def test_claimed_rights_the_registry_does_not_know_wait_for_a_document(family):
    user, child, orgs = family
    add_benefit(child, "large_family")
    app = application_submit(
        **submission_kwargs(user=user, child=child, orgs=orgs, claimed_benefits=["large_family", "teacher", "military"])
    )
    app.refresh_from_db()
    claims = {c.kind: c for c in app.claims.all()}
    assert claims["large_family"].source == "registry" and claims["large_family"].status == "confirmed"
    assert (claims["teacher"].source, claims["teacher"].status, claims["teacher"].confirm_by) == ("document", "pending", None)
    military = claims["military"]
    assert (military.source, military.status, military.priority_class) == ("document", "pending", 0)
    deadline = add_working_days(timezone.localdate(), 5)
    assert timezone.localtime(military.confirm_by).date() == deadline + dt.timedelta(days=1)
    assert timezone.localtime(military.confirm_by).time() == dt.time.min
    # A pending extraordinary right counts until its deadline; a pending first-priority one does not.
    assert app.priority_class == PriorityClass.EXTRAORDINARY


def test_claimed_first_priority_without_registry_stays_general_until_verified(family):
    user, child, orgs = family
    app = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs, claimed_benefits=["teacher"]))
    assert app.priority_class == PriorityClass.GENERAL
    assert app.claims.get().status == "pending"


# --- idempotency and the one open application per child ---------------------------------------------


def test_a_retry_with_the_same_key_returns_the_same_application_unchanged(family):
    user, child, orgs = family
    kwargs = submission_kwargs(user=user, child=child, orgs=orgs)
    first = application_submit_outcome(**kwargs)
    before = counts()
    # Even with different details the retry is the same submission: nothing changes.
    second = application_submit_outcome(**{**kwargs, "language": "ru", "preferences": [orgs[2].pk]})
    assert first.created and not second.created
    assert second.application.pk == first.application.pk
    assert second.application.language == "kk"
    assert counts() == before


def test_a_retry_returns_the_application_even_if_a_check_would_now_fail(family):
    user, child, orgs = family
    kwargs = submission_kwargs(user=user, child=child, orgs=orgs)
    first = application_submit(**kwargs)
    Organisation.objects.filter(pk=orgs[0].pk).update(status=Organisation.Status.SUSPENDED)
    StopListEntry.objects.create(person=user.person, until=timezone.now() + dt.timedelta(days=3), reason="test")
    before = counts()
    assert application_submit(**kwargs).pk == first.pk
    assert counts() == before


def test_the_same_key_from_another_parent_is_another_submission(family):
    user, child, orgs = family
    first = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs, submission_key="k1"))
    other_user, other_child, other_orgs = make_applying_family()
    second = application_submit(**submission_kwargs(user=other_user, child=other_child, orgs=other_orgs, submission_key="k1"))
    assert second.pk != first.pk and second.child_id == other_child.pk


def test_a_second_application_for_the_same_child_is_refused_with_the_queue_number(family):
    user, child, orgs = family
    first = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    exc = refused("application_exists", **submission_kwargs(user=user, child=child, orgs=orgs))
    assert exc.params["queue_number"] == first.queue_number
    assert str(first.queue_number) in error_text(exc)


def test_the_other_legal_representative_cannot_apply_twice_either(family):
    user, child, orgs = family
    first = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    father = make_person(sex="M", birth_date=dt.date(1987, 2, 3), phone="+77025550001")
    LegalRepresentation.objects.create(representative=father, child=child)
    exc = refused("application_exists", **submission_kwargs(user=make_parent(father), child=child, orgs=orgs))
    assert exc.params["queue_number"] == first.pk


def test_after_withdrawing_the_child_can_apply_again(family):
    user, child, orgs = family
    first = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    application_withdraw(actor=user, application_id=first.pk)
    second = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    assert second.pk != first.pk and second.status == "active"


def test_the_database_itself_refuses_a_second_open_application(family):
    from django.db import IntegrityError, transaction

    user, child, orgs = family
    first = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(
            child=child, applicant=user, district=first.district, desired_start_date=first.desired_start_date,
            language="kk", age_group=2023, phones=first.phones, notify_channel="sms", notify_language="ru",
            submission_key="another",
        )


# --- who may apply ------------------------------------------------------------------------------------


@pytest.mark.parametrize("iin", ["12345", "1905235012x6", "190523701236", "191323501236", "190523501237", ""])
def test_an_invalid_iin_is_refused(family, iin):
    user, child, orgs = family
    exc = refused("invalid_iin", **submission_kwargs(user=user, child=child, orgs=orgs, child_iin=iin))
    assert exc.reason in {"length", "non_digit", "century_digit", "impossible_date", "check_digit"}


def test_a_valid_iin_unknown_to_the_registry_is_refused(family):
    user, child, orgs = family
    exc = refused(
        "child_not_in_registry",
        **submission_kwargs(user=user, child=child, orgs=orgs, child_iin=unique_iin(dt.date(2022, 5, 5), "F")),
    )
    assert "ЦОН" in exc.hint


def test_a_parent_who_is_not_the_legal_representative_is_refused_with_what_to_do(family):
    user, _, orgs = family
    _, (someone_elses_child,) = make_family(children=1, child_birth_dates=[dt.date(2023, 1, 1)])
    exc = refused("not_legal_representative", **submission_kwargs(user=user, child=someone_elses_child, orgs=orgs))
    assert exc.kind == "forbidden"
    assert "legal representative" in exc.message and "Public Service Centre" in exc.hint


def test_staff_cannot_apply(family):
    _, child, orgs = family
    refused("not_a_registry_person", **submission_kwargs(user=make_officer(), child=child, orgs=orgs))


def test_a_parent_on_the_stop_list_is_refused_until_the_date(family):
    user, child, orgs = family
    until = timezone.now() + dt.timedelta(days=10)
    StopListEntry.objects.create(person=user.person, until=until, reason="false right")
    exc = refused("on_stop_list", **submission_kwargs(user=user, child=child, orgs=orgs))
    assert exc.params["until"] == timezone.localtime(until).date().isoformat()
    assert exc.params["until"] in error_text(exc)


def test_an_ended_stop_list_entry_does_not_block(family):
    user, child, orgs = family
    StopListEntry.objects.create(person=user.person, until=timezone.now() - dt.timedelta(minutes=1), reason="old")
    assert application_submit(**submission_kwargs(user=user, child=child, orgs=orgs)).pk


# --- ages ---------------------------------------------------------------------------------------------


def test_a_child_six_or_older_on_the_start_date_is_refused():
    user, child, orgs = make_applying_family(child_birth_date=dt.date(2020, 1, 10))
    exc = refused("child_too_old", **submission_kwargs(user=user, child=child, orgs=orgs))
    assert exc.params == {"years": 6}


def test_a_child_not_yet_born_on_the_start_date_is_refused():
    today = timezone.localdate()
    user, child, orgs = make_applying_family(child_birth_date=today + dt.timedelta(days=40))
    refused("child_not_born", **submission_kwargs(user=user, child=child, orgs=orgs, desired_start_date=today + dt.timedelta(days=10)))


def test_a_start_date_in_the_past_is_refused(family):
    user, child, orgs = family
    refused(
        "start_date_in_past",
        **submission_kwargs(user=user, child=child, orgs=orgs, desired_start_date=timezone.localdate() - dt.timedelta(days=1)),
    )


def test_the_regions_own_age_limits_apply():
    user, child, orgs = make_applying_family(child_birth_date=timezone.localdate() - dt.timedelta(days=200))
    start = timezone.localdate() + dt.timedelta(days=30)
    RegionQueueRules.objects.create(region=district().region, min_age_months=18)
    exc = refused("child_not_born", **submission_kwargs(user=user, child=child, orgs=orgs, desired_start_date=start))
    assert exc.params == {"months": 18}


def test_the_age_group_follows_the_regions_basis(family):
    user, child, orgs = family
    RegionQueueRules.objects.create(region=district().region, age_group_basis="years_on_sept_1")
    start = dt.date(timezone.localdate().year + 1, 9, 1)
    app = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs, desired_start_date=start))
    assert app.age_group == start.year - 2023  # born 1 March 2023: full years on 1 September


# --- kindergartens -----------------------------------------------------------------------------------


def test_district_must_exist(family):
    user, child, orgs = family
    refused("district_not_found", **submission_kwargs(user=user, child=child, orgs=orgs, district_id=999_999))


def test_at_least_one_kindergarten(family):
    user, child, orgs = family
    refused("no_preferences", **submission_kwargs(user=user, child=child, orgs=orgs, preferences=[]))


def test_at_most_five_kindergartens(family):
    user, child, orgs = family
    more = orgs + [make_organisation() for _ in range(3)]
    exc = refused("too_many_preferences", **submission_kwargs(user=user, child=child, orgs=more))
    assert exc.params == {"max": 5, "count": 6}


def test_a_region_may_allow_fewer_kindergartens(family):
    user, child, orgs = family
    RegionQueueRules.objects.create(region=district().region, max_preferences=2)
    refused("too_many_preferences", **submission_kwargs(user=user, child=child, orgs=orgs))


def test_the_same_kindergarten_twice_is_refused(family):
    user, child, orgs = family
    refused("duplicate_preference", **submission_kwargs(user=user, child=child, orgs=orgs, preferences=[orgs[0].pk, orgs[0].pk]))


@pytest.mark.parametrize(
    "make",
    [
        lambda: make_organisation(kind=Organisation.Kind.CLUB),
        lambda: make_organisation(status=Organisation.Status.PENDING),
        lambda: make_organisation(status=Organisation.Status.SUSPENDED),
        lambda: make_organisation(district="astana-baikonur"),
    ],
    ids=["club", "not-approved", "suspended", "other-district"],
)
def test_only_approved_kindergartens_of_the_district(family, make):
    user, child, orgs = family
    wrong = make()
    exc = refused(
        "kindergarten_not_available",
        **submission_kwargs(user=user, child=child, orgs=orgs, preferences=[orgs[0].pk, wrong.pk]),
    )
    assert exc.params["index"] == 2


def test_an_unknown_kindergarten_id_is_refused(family):
    user, child, orgs = family
    refused("kindergarten_not_available", **submission_kwargs(user=user, child=child, orgs=orgs, preferences=[987_654]))


@pytest.mark.parametrize("language", ["en", "", "KK", "kazakh"])
def test_language_of_instruction_is_kk_or_ru(family, language):
    user, child, orgs = family
    refused("invalid_language", **submission_kwargs(user=user, child=child, orgs=orgs, language=language))


# --- contacts -----------------------------------------------------------------------------------------


def test_the_same_phone_twice_is_refused_even_when_typed_differently(family):
    user, child, orgs = family
    exc = refused(
        "duplicate_phone",
        **submission_kwargs(user=user, child=child, orgs=orgs, phones=["+77011234567", "8 701 123 45 67"]),
    )
    assert exc.params == {"index": 2, "first": 1}


@pytest.mark.parametrize(
    ("phone", "reason"),
    [("+79161234567", "not_kz"), ("+998901234567", "not_kz"), ("+7 727 250 1234", "not_mobile"), ("call me", "unparseable"), ("+7701123", None)],
    ids=["russia", "uzbekistan", "landline", "text", "too-short"],
)
def test_a_foreign_or_malformed_number_is_refused_naming_which(family, phone, reason):
    user, child, orgs = family
    exc = refused("invalid_phone", **submission_kwargs(user=user, child=child, orgs=orgs, phones=["+77011234567", phone]))
    assert exc.params["index"] == 2
    if reason:
        assert exc.params["reason"] == reason
    assert "2" in error_text(exc)


def test_one_phone_is_not_enough(family):
    user, child, orgs = family
    exc = refused("not_enough_phones", **submission_kwargs(user=user, child=child, orgs=orgs, phones=["+77011234567", " "]))
    assert exc.params == {"min": 2}


def test_a_region_may_ask_for_three_phones(family):
    user, child, orgs = family
    RegionQueueRules.objects.create(region=district().region, min_phones=3)
    refused("not_enough_phones", **submission_kwargs(user=user, child=child, orgs=orgs))


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"email": "not-an-address"}, "invalid_email"),
        ({"email": "", "notify_channel": "email"}, "email_required"),
        ({"notify_channel": "pigeon"}, "invalid_channel"),
        ({"notify_language": "de"}, "invalid_notify_language"),
        ({"claimed_benefits": ["vip"]}, "unknown_benefit"),
    ],
)
def test_contact_and_benefit_details_are_checked(family, overrides, code):
    user, child, orgs = family
    refused(code, **submission_kwargs(user=user, child=child, orgs=orgs, **overrides))


def test_nothing_is_saved_when_a_later_step_fails(family, monkeypatch):
    """A failure after the first rows were written (here: the notification) rolls everything back."""
    from kezek.applications.services import submission

    user, child, orgs = family
    add_benefit(child, "large_family")

    def broken(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(submission, "notification_enqueue", broken)
    before = counts()
    with pytest.raises(RuntimeError):
        application_submit(**submission_kwargs(user=user, child=child, orgs=orgs))
    assert counts() == before


def test_exists_error_is_a_conflict():
    assert ApplicationExists(queue_number=5).kind == "conflict"
