"""The parent's cabinet pages: the application, its position, changes that keep the registration time, withdrawal."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.test import Client
from django.utils import timezone

from kezek.applications.models import Application, ApplicationEvent
from tests.factories.accounts import make_parent
from tests.factories.applications import make_application
from tests.factories.organisations import make_group, make_organisation

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def alerts(response) -> str:
    blocks = re.findall(r'role="alert">(.*?)</div>', response.content.decode(), flags=re.S)
    return html_lib.unescape(" ".join(re.sub(r"<[^>]+>", " ", b) for b in blocks))


@pytest.fixture
def orgs():
    found = [make_organisation(name=name, languages=["kk"]) for name in ("Айгөлек", "Балдырған", "Құлыншақ")]
    for org in found:
        make_group(organisation=org, language="kk")
    return found


@pytest.fixture
def mine(orgs):
    """A parent's application in the general queue with two general applications ahead and one first-priority one."""
    registered = timezone.now() - dt.timedelta(days=30)
    for days in (40, 35):
        make_application(registered_at=timezone.now() - dt.timedelta(days=days), preferences=[orgs[0]])
    make_application(registered_at=timezone.now() - dt.timedelta(days=1), priority_class=1, preferences=[orgs[1]])
    application = make_application(registered_at=registered, preferences=[orgs[0], orgs[1]], with_event=True)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(application.applicant)
    return application, client


def test_my_applications_lists_the_parents_own_only(mine):
    application, client = mine
    page = text(client.get("/kindergarten/"))
    assert f"Queue number {application.queue_number}" in page
    assert page.count("Queue number") == 1


def test_the_application_page_shows_number_position_rotation_and_history(mine, orgs):
    application, client = mine
    response = client.get(f"/kindergarten/{application.pk}/")
    assert response.status_code == 200
    page = text(response)
    assert str(application.queue_number) in page
    assert "in the queue" in page and "general queue" in page
    assert 'data-testid="position">4<' in response.content.decode()
    assert "first-priority right: 1" in page and "general queue: 2" in page
    assert "position 3 among the children of your age group who chose it" in page  # Айгөлек: two ahead chose it
    assert "1 place in every 4 goes to a child with a first-priority right and the other 3 to the general queue" in page
    assert "No allocation of places has run yet" in page
    assert "Your application was registered with queue number" in page
    assert "1 child with a priority right registered and stands ahead of you" in page


def test_another_parents_application_is_not_found(mine):
    application, _ = mine
    stranger = Client()
    stranger.force_login(make_parent())
    for suffix in ("", "contacts/", "kindergartens/", "withdraw/"):
        assert stranger.get(f"/kindergarten/{application.pk}/{suffix}").status_code == 404
    assert stranger.post(f"/kindergarten/{application.pk}/withdraw/", {"reason": ""}).status_code == 404
    application.refresh_from_db()
    assert application.status == Application.Status.ACTIVE
    assert Client().get(f"/kindergarten/{application.pk}/").status_code == 302  # signed out: to the sign-in


def test_changing_contacts_keeps_the_registration_time_and_shows_in_history(mine):
    application, client = mine
    registered = application.registered_at
    form = client.get(f"/kindergarten/{application.pk}/contacts/")
    assert application.phones[0] in form.content.decode()
    response = client.post(
        f"/kindergarten/{application.pk}/contacts/",
        {"phone_1": "+7 705 111 22 33", "phone_2": "+7 707 444 55 66", "phone_3": "", "email": "ana@example.kz",
         "notify_channel": "email", "notify_language": "ru"},
    )
    assert response.status_code == 302 and response.url == f"/kindergarten/{application.pk}/"
    application.refresh_from_db()
    assert application.phones == ["+77051112233", "+77074445566"]
    assert application.notify_channel == "email" and application.email == "ana@example.kz"
    assert application.registered_at == registered
    page = text(client.get(response.url))
    assert "You changed your contact details." in page
    assert "Your contact details are saved" in page


def test_bad_contacts_are_shown_in_the_page_and_nothing_changes(mine):
    application, client = mine
    before = list(application.phones)
    response = client.post(
        f"/kindergarten/{application.pk}/contacts/",
        {"phone_1": before[0], "phone_2": before[0], "email": "", "notify_channel": "sms", "notify_language": "ru"},
    )
    assert response.status_code == 200
    assert "already given above" in alerts(response)
    application.refresh_from_db()
    assert application.phones == before
    assert not application.events.filter(kind=ApplicationEvent.Kind.CONTACTS_CHANGED).exists()


def test_changing_kindergartens_keeps_the_registration_time_and_shows_in_history(mine, orgs):
    application, client = mine
    registered = application.registered_at
    response = client.post(f"/kindergarten/{application.pk}/kindergartens/", {"choice_1": orgs[2].pk, "choice_2": orgs[0].pk})
    assert response.status_code == 302
    application.refresh_from_db()
    assert list(application.preferences.values_list("organisation_id", flat=True)) == [orgs[2].pk, orgs[0].pk]
    assert application.registered_at == registered
    page = text(client.get(response.url))
    assert "You changed your kindergartens." in page
    assert "1. Құлыншақ" in page


def test_a_kindergarten_of_another_district_is_refused(mine):
    application, client = mine
    elsewhere = make_organisation(district="astana-almaty", name="Басқа аудан")
    response = client.post(f"/kindergarten/{application.pk}/kindergartens/", {"choice_1": elsewhere.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in alerts(response)
    assert application.preferences.count() == 2


def test_withdrawing_asks_first_then_withdraws(mine):
    application, client = mine
    confirm = client.get(f"/kindergarten/{application.pk}/withdraw/")
    assert confirm.status_code == 200 and "Withdraw the application?" in text(confirm)
    application.refresh_from_db()
    assert application.status == Application.Status.ACTIVE
    response = client.post(f"/kindergarten/{application.pk}/withdraw/", {"reason": "We moved to Almaty"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    page = text(client.get(response.url))
    assert "You withdrew the application." in page
    assert "The application has no position in the queue now" in page
    assert "Change kindergartens" not in page
    assert client.get(f"/kindergarten/{application.pk}/withdraw/").url == f"/kindergarten/{application.pk}/"
    # A second withdrawal (an old tab) is refused in the page, not with an error page.
    again = client.post(f"/kindergarten/{application.pk}/withdraw/", {"reason": ""})
    assert again.status_code == 200 and "cannot become withdrawn" in alerts(again)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("kk", ("Кезектегі орныңыз", "Тарих", "жалпы кезек")), ("ru", ("Ваше место в очереди", "История", "общая очередь"))],
)
def test_the_application_page_is_translated(mine, language, expected):
    application, client = mine
    client.cookies["django_language"] = language
    body = client.get(f"/kindergarten/{application.pk}/").content.decode()
    assert f'<html lang="{language}">' in body
    assert all(text in body for text in expected)
