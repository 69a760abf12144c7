"""The personal cabinet: changes keep the registration time, are audited, notified and shown in the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kezek.applications.models import Application, ApplicationEvent
from kezek.applications.selectors.applications import (
    application_get_for_user,
    applications_for_user,
    children_for_application,
    kindergartens_search,
)
from kezek.applications.services.submission import (
    application_update_contacts,
    application_update_preferences,
    application_withdraw,
)
from kezek.audit.models import AuditEvent
from kezek.domain.errors import DomainError
from kezek.notifications.models import OutboxMessage
from kezek.organisations.models import Organisation
from tests.factories.accounts import make_admin, make_officer, make_parent
from tests.factories.applications import make_application, make_applying_family, submission_kwargs
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import make_family

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted():
    from kezek.applications.services.submission import application_submit

    user, child, orgs = make_applying_family(kindergartens=4)
    app = application_submit(**submission_kwargs(user=user, child=child, orgs=orgs[:3], phones=["+77011110001", "+77011110002"]))
    return user, app, orgs


def fields(app: Application) -> dict:
    app.refresh_from_db()
    return {
        "registered_at": app.registered_at, "priority_class": app.priority_class, "priority_since": app.priority_since,
        "status": app.status, "phones": app.phones, "email": app.email, "notify_channel": app.notify_channel,
        "notify_language": app.notify_language,
        "preferences": list(app.preferences.values_list("organisation_id", flat=True)),
    }


def refused(code: str, func, app: Application, **kwargs) -> DomainError:
    before = fields(app)
    events, audits, messages = ApplicationEvent.objects.count(), AuditEvent.objects.count(), OutboxMessage.objects.count()
    with pytest.raises(DomainError) as exc:
        func(application_id=app.pk, **kwargs)
    assert exc.value.code == code, exc.value
    assert fields(app) == before
    assert (ApplicationEvent.objects.count(), AuditEvent.objects.count(), OutboxMessage.objects.count()) == (events, audits, messages)
    return exc.value


# --- contacts ---------------------------------------------------------------------------------------


def test_changing_contacts_keeps_the_registration_time_and_is_in_the_history(submitted):
    user, app, _ = submitted
    before = fields(app)
    application_update_contacts(
        actor=user, application_id=app.pk, phones=["8 777 000 11 22", "+77011110001"], email="a@example.kz",
        notify_channel="email", notify_language="kk",
    )
    after = fields(app)
    assert after["registered_at"] == before["registered_at"] and after["priority_since"] == before["priority_since"]
    assert after["phones"] == ["+77770001122", "+77011110001"]
    assert (after["email"], after["notify_channel"], after["notify_language"]) == ("a@example.kz", "email", "kk")
    event = app.events.get(kind="contacts_changed")
    assert set(event.details["fields"]) == {"phones", "email", "notify_channel", "notify_language"}
    audit = AuditEvent.objects.get(action="applications.application.update_contacts")
    assert audit.before["phones"] == ["+77011110001", "+77011110002"] and audit.after["email"] == "a@example.kz"
    message = OutboxMessage.objects.get(idempotency_key=f"application:{app.pk}:changed:{event.pk}")
    assert (message.channel, message.recipient, message.language) == ("email", "a@example.kz", "kk")


def test_saving_the_same_contacts_changes_nothing(submitted):
    user, app, _ = submitted
    events = app.events.count()
    application_update_contacts(
        actor=user, application_id=app.pk, phones=app.phones, email="", notify_channel="sms", notify_language="ru"
    )
    assert app.events.count() == events and not AuditEvent.objects.filter(action__endswith="update_contacts").exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"phones": ["+77011110001", "87011110001"]}, "duplicate_phone"),
        ({"phones": ["+77011110001", "+79161234567"]}, "invalid_phone"),
        ({"phones": ["+77011110001"]}, "not_enough_phones"),
        ({"email": "nope"}, "invalid_email"),
        ({"notify_channel": "email"}, "email_required"),
        ({"notify_language": "fr"}, "invalid_notify_language"),
    ],
)
def test_bad_contacts_are_refused_and_change_nothing(submitted, kwargs, code):
    user, app, _ = submitted
    values = {"phones": ["+77011110003", "+77011110004"], "email": "", "notify_channel": "sms", "notify_language": "ru"} | kwargs
    refused(code, application_update_contacts, app, actor=user, **values)


# --- kindergartens ------------------------------------------------------------------------------------


def test_changing_kindergartens_keeps_the_registration_time_and_records_before_and_after(submitted):
    user, app, orgs = submitted
    before = fields(app)
    new = [orgs[3].pk, orgs[0].pk]
    application_update_preferences(actor=user, application_id=app.pk, preferences=new)
    after = fields(app)
    assert after["preferences"] == new
    assert list(app.preferences.values_list("rank", flat=True)) == [1, 2]
    assert after["registered_at"] == before["registered_at"] and after["priority_class"] == before["priority_class"]
    event = app.events.get(kind="preferences_changed")
    assert event.details == {"before": before["preferences"], "after": new}
    assert AuditEvent.objects.get(action="applications.application.update_preferences").after == {"preferences": new}
    assert OutboxMessage.objects.filter(idempotency_key=f"application:{app.pk}:changed:{event.pk}", recipient="+77011110001").exists()


@pytest.mark.parametrize(
    ("make_preferences", "code"),
    [
        (lambda orgs: [], "no_preferences"),
        (lambda orgs: [orgs[0].pk, orgs[0].pk], "duplicate_preference"),
        (lambda orgs: [o.pk for o in orgs] + [make_organisation().pk, make_organisation().pk], "too_many_preferences"),
        (lambda orgs: [make_organisation(district="astana-baikonur").pk], "kindergarten_not_available"),
        (lambda orgs: [make_organisation(kind=Organisation.Kind.CLUB).pk], "kindergarten_not_available"),
    ],
)
def test_bad_kindergarten_lists_are_refused_and_change_nothing(submitted, make_preferences, code):
    user, app, orgs = submitted
    refused(code, application_update_preferences, app, actor=user, preferences=make_preferences(orgs))


# --- who may change -----------------------------------------------------------------------------------


def test_another_parent_cannot_see_or_change_the_application(submitted):
    _, app, orgs = submitted
    stranger = make_parent()
    for func, kwargs in [
        (application_update_contacts, {"phones": ["+77011110003", "+77011110004"], "email": "", "notify_channel": "sms", "notify_language": "ru"}),
        (application_update_preferences, {"preferences": [orgs[0].pk]}),
        (application_withdraw, {}),
    ]:
        refused("application_not_found", func, app, actor=stranger, **kwargs)
    with pytest.raises(DomainError) as exc:
        application_get_for_user(user=stranger, application_id=app.pk)
    assert exc.value.code == "application_not_found"


def test_a_missing_application_is_not_found_the_same_way():
    with pytest.raises(DomainError) as exc:
        application_withdraw(actor=make_parent(), application_id=987_654)
    assert exc.value.code == "application_not_found"


# --- withdrawing --------------------------------------------------------------------------------------


def test_withdrawing_leaves_the_queue_with_history_audit_and_message(submitted):
    user, app, _ = submitted
    application_withdraw(actor=user, application_id=app.pk, reason="  moved to Almaty ")
    app.refresh_from_db()
    assert app.status == "withdrawn"
    assert app.events.get(kind="withdrawn").details == {"from": "active", "reason": "moved to Almaty"}
    audit = AuditEvent.objects.get(action="applications.application.withdraw")
    assert audit.before == {"status": "active"} and audit.after["status"] == "withdrawn"
    assert OutboxMessage.objects.filter(idempotency_key=f"application:{app.pk}:withdrawn").exists()


def test_a_withdrawn_application_cannot_be_withdrawn_or_changed_again(submitted):
    user, app, orgs = submitted
    application_withdraw(actor=user, application_id=app.pk)
    refused("transition_not_allowed", application_withdraw, app, actor=user)
    refused("application_closed", application_update_preferences, app, actor=user, preferences=[orgs[1].pk])
    refused(
        "application_closed", application_update_contacts, app, actor=user,
        phones=["+77011110003", "+77011110004"], email="", notify_channel="sms", notify_language="ru",
    )


# --- reading ------------------------------------------------------------------------------------------


def test_officers_read_applications_of_their_district_only():
    app = make_application(district="astana-yesil")
    assert application_get_for_user(user=make_officer(district("astana-yesil")), application_id=app.pk).pk == app.pk
    assert application_get_for_user(user=make_admin(), application_id=app.pk).pk == app.pk
    with pytest.raises(DomainError) as exc:
        application_get_for_user(user=make_officer(district("astana-baikonur")), application_id=app.pk)
    assert exc.value.code == "application_not_found"


def test_a_parent_lists_only_their_own_applications_newest_first():
    parent_person, (older, younger) = make_family(children=2, child_birth_dates=[dt.date(2022, 1, 1), dt.date(2023, 1, 1)])
    user = make_parent(parent_person)
    first = make_application(child=older, applicant=user, registered_at=timezone.now() - dt.timedelta(days=3))
    second = make_application(child=younger, applicant=user)
    make_application()  # another family's
    assert [a.pk for a in applications_for_user(user=user)] == [second.pk, first.pk]


def test_children_show_their_open_application():
    parent_person, (older, younger) = make_family(children=2, child_birth_dates=[dt.date(2022, 1, 1), dt.date(2023, 1, 1)])
    user = make_parent(parent_person)
    app = make_application(child=older, applicant=user)
    make_application(child=younger, applicant=user, status="withdrawn")
    children = children_for_application(user=user)
    assert [(c["iin"], c["open_application_id"]) for c in children] == [(older.iin, app.pk), (younger.iin, None)]


def test_kindergarten_search_by_language_name_and_free_places():
    d = district("astana-yesil")
    kk_only = make_organisation(district=d, name="Айгөлек", languages=["kk"])
    make_group(organisation=kk_only, language="kk", capacity=20)
    ru_full = make_organisation(district=d, name="Солнышко", languages=["ru"])
    make_group(organisation=ru_full, language="ru", capacity=0)
    no_groups = make_organisation(district=d, name="Болашақ", languages=["kk", "ru"])
    make_organisation(district=d, name="Клуб", kind=Organisation.Kind.CLUB)
    make_organisation(district=d, name="Жаңа", status=Organisation.Status.PENDING)
    make_organisation(district="astana-baikonur", name="Басқа")

    def names(**kwargs):
        return [o.name for o in kindergartens_search(district_id=d.pk, **kwargs)]

    assert names() == ["Айгөлек", "Болашақ", "Солнышко"]
    assert names(language="kk") == ["Айгөлек", "Болашақ"]
    assert names(language="ru") == ["Болашақ", "Солнышко"]
    assert names(with_free_places=True) == ["Айгөлек"]
    assert names(language="ru", with_free_places=True) == []
    assert names(query="Солн") == ["Солнышко"] and names(query="Кенесары") == ["Айгөлек", "Болашақ", "Солнышко"]
    found = {o.name: o.capacity for o in kindergartens_search(district_id=d.pk)}
    assert found == {"Айгөлек": 20, "Болашақ": 0, "Солнышко": 0}
    assert no_groups.pk in [o.pk for o in kindergartens_search(district_id=d.pk, language="kk")]
