"""The applying and cabinet API: bodies, problem JSON codes, Idempotency-Key replays and sign-in."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from kezek.applications.models import Application, ApplicationEvent
from kezek.notifications.models import OutboxMessage
from tests.factories.accounts import make_officer
from tests.factories.applications import make_application, make_applying_family, next_september
from tests.factories.geo import district
from tests.factories.organisations import make_group
from tests.factories.people import add_benefit, make_family, unique_iin

pytestmark = pytest.mark.django_db

URL = "/api/v1/applications/"
PROBLEM = "application/problem+json"


@pytest.fixture
def family():
    return make_applying_family()


def body(child, orgs, **overrides) -> dict:
    return {
        "child_iin": child.iin,
        "district_id": orgs[0].district_id,
        "desired_start_date": next_september().isoformat(),
        "language": "kk",
        "preferences": [o.pk for o in orgs],
        "phones": ["+77011234501", "+77011234502"],
        "notify_channel": "sms",
        "notify_language": "kk",
    } | overrides


def send(client, method: str, path: str, data=None, **headers):
    if method == "get":
        return client.get(path, **headers)
    return getattr(client, method)(path, data=json.dumps(data) if data is not None else None, content_type="application/json", **headers)


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith(PROBLEM)
    problem = response.json()
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["title"]
    return problem


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_submit_returns_201_with_the_queue_number(family):
    user, child, orgs = family
    add_benefit(child, "large_family")
    response = send(signed_in(user), "post", URL, body(child, orgs))
    assert response.status_code == 201, response.content
    data = response.json()
    app = Application.objects.get()
    assert data["queue_number"] == app.pk == data["id"]
    assert data["public_id"] == app.public_id and data["status"] == "active" and data["priority_class"] == 1
    assert data["registered_at"] and data["child_iin"] == child.iin
    assert [p["organisation_id"] for p in data["preferences"]] == [o.pk for o in orgs]
    assert [(c["kind"], c["status"]) for c in data["claims"]] == [("large_family", "confirmed")]
    assert OutboxMessage.objects.filter(idempotency_key=f"application:{app.pk}:submitted").count() == 1


def test_a_replay_with_the_same_idempotency_key_returns_200_and_the_same_body(family):
    user, child, orgs = family
    client = signed_in(user)
    first = send(client, "post", URL, body(child, orgs), HTTP_IDEMPOTENCY_KEY="4b1f7c1e-0d6f-4c56-9a8e-1d2f3a4b5c6d")
    second = send(client, "post", URL, body(child, orgs), HTTP_IDEMPOTENCY_KEY="4b1f7c1e-0d6f-4c56-9a8e-1d2f3a4b5c6d")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert Application.objects.count() == 1 and ApplicationEvent.objects.filter(kind="submitted").count() == 1
    assert OutboxMessage.objects.filter(template="application_submitted").count() == 1


def test_a_double_click_without_a_key_is_stopped_by_the_one_per_child_rule(family):
    user, child, orgs = family
    client = signed_in(user)
    assert send(client, "post", URL, body(child, orgs)).status_code == 201
    problem = assert_problem(send(client, "post", URL, body(child, orgs)), 409, "application_exists")
    assert str(Application.objects.get().pk) in problem["title"]
    assert problem["detail"]


@pytest.mark.parametrize("key", ["", "x" * 101, "with space", "ключ"])
def test_a_malformed_idempotency_key_is_refused(family, key):
    user, child, orgs = family
    response = send(signed_in(user), "post", URL, body(child, orgs), HTTP_IDEMPOTENCY_KEY=key)
    assert_problem(response, 422, "invalid_idempotency_key")
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("make_body", "status", "code"),
    [
        (lambda child, orgs: body(child, orgs, child_iin="190523501237"), 422, "invalid_iin"),
        (lambda child, orgs: body(child, orgs, child_iin=unique_iin(dt.date(2022, 2, 2), "M")), 404, "child_not_in_registry"),
        (lambda child, orgs: body(child, orgs, phones=["+77011234501", "87011234501"]), 422, "duplicate_phone"),
        (lambda child, orgs: body(child, orgs, phones=["+77011234501", "+79161234567"]), 422, "invalid_phone"),
        (lambda child, orgs: body(child, orgs, preferences=[]), 422, "no_preferences"),
        (lambda child, orgs: body(child, orgs, language="en"), 422, "invalid_language"),
        (lambda child, orgs: body(child, orgs, desired_start_date="2015-09-01"), 422, "start_date_in_past"),
    ],
    ids=["invalid-iin", "unknown-iin", "same-phone", "foreign-phone", "no-kindergarten", "language", "past-date"],
)
def test_refusals_are_problem_json_and_save_nothing(family, make_body, status, code):
    user, child, orgs = family
    problem = assert_problem(send(signed_in(user), "post", URL, make_body(child, orgs)), status, code)
    assert problem["detail"]  # the hint: what to do
    assert not Application.objects.exists() and not OutboxMessage.objects.exists()


def test_not_the_legal_representative_is_403_with_the_reason(family):
    user, _, orgs = family
    _, (other_child,) = make_family(children=1, child_birth_dates=[dt.date(2023, 5, 5)])
    problem = assert_problem(send(signed_in(user), "post", URL, body(other_child, orgs)), 403, "not_legal_representative")
    assert "ЦОН" in problem["detail"]


def test_too_old_is_refused_in_the_users_language():
    user, child, orgs = make_applying_family(child_birth_date=dt.date(2019, 1, 1))
    response = send(signed_in(user), "post", URL, body(child, orgs), HTTP_ACCEPT_LANGUAGE="en")
    problem = assert_problem(response, 422, "child_too_old")
    assert "6" in problem["title"]


def test_missing_and_wrongly_typed_fields_are_422_validation_error(family):
    user, child, orgs = family
    data = body(child, orgs, district_id="yesil")
    del data["phones"]
    problem = assert_problem(send(signed_in(user), "post", URL, data), 422, "validation_error")
    assert sorted(e["loc"][-1] for e in problem["errors"]) == ["district_id", "phones"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", URL), ("get", URL), ("get", URL + "1"), ("patch", URL + "1/contacts"), ("put", URL + "1/preferences"),
        ("post", URL + "1/withdraw"), ("get", URL + "children"), ("get", URL + "kindergartens?district_id=1"),
    ],
)
def test_signed_out_is_401(method, path):
    assert_problem(send(Client(), method, path, {}), 401, "unauthenticated")


def test_my_applications_and_one_application(family):
    user, child, orgs = family
    client = signed_in(user)
    created = send(client, "post", URL, body(child, orgs)).json()
    make_application()  # another family's
    listed = client.get(URL).json()
    assert [a["id"] for a in listed] == [created["id"]]
    assert client.get(f"{URL}{created['id']}").json() == created


def test_another_parents_application_is_404(family):
    app = make_application()
    user, _, _ = family
    assert_problem(signed_in(user).get(f"{URL}{app.pk}"), 404, "application_not_found")


def test_an_officer_of_the_district_reads_it_and_another_district_gets_404():
    app = make_application(district="astana-yesil")
    assert signed_in(make_officer(district("astana-yesil"))).get(f"{URL}{app.pk}").status_code == 200
    assert_problem(signed_in(make_officer(district("astana-baikonur"))).get(f"{URL}{app.pk}"), 404, "application_not_found")


def test_cabinet_changes_over_http_keep_the_registration_time(family):
    user, child, orgs = family
    client = signed_in(user)
    created = send(client, "post", URL, body(child, orgs)).json()
    path = f"{URL}{created['id']}"
    contacts = send(client, "patch", f"{path}/contacts", {
        "phones": ["+77011234599", "+77011234501"], "email": "x@example.kz", "notify_channel": "email", "notify_language": "en",
    })
    assert contacts.status_code == 200, contacts.content
    assert contacts.json()["phones"] == ["+77011234599", "+77011234501"]
    prefs = send(client, "put", f"{path}/preferences", {"preferences": [orgs[2].pk, orgs[1].pk]})
    assert [p["organisation_id"] for p in prefs.json()["preferences"]] == [orgs[2].pk, orgs[1].pk]
    assert prefs.json()["registered_at"] == created["registered_at"]
    assert_problem(send(client, "patch", f"{path}/contacts", {
        "phones": ["+77011234599", "+77011234599"], "email": "", "notify_channel": "sms", "notify_language": "en",
    }), 422, "duplicate_phone")
    withdrawn = send(client, "post", f"{path}/withdraw", {"reason": "moved"})
    assert withdrawn.json()["status"] == "withdrawn"
    assert_problem(send(client, "post", f"{path}/withdraw"), 409, "transition_not_allowed")
    kinds = list(ApplicationEvent.objects.filter(application_id=created["id"]).values_list("kind", flat=True))
    assert kinds == ["submitted", "contacts_changed", "preferences_changed", "withdrawn"]


def test_children_to_apply_for(family):
    user, child, orgs = family
    client = signed_in(user)
    assert client.get(URL + "children").json()[0]["open_application_id"] is None
    created = send(client, "post", URL, body(child, orgs)).json()
    children = client.get(URL + "children").json()
    assert [(c["iin"], c["open_application_id"]) for c in children] == [(child.iin, created["id"])]


def test_staff_without_a_person_cannot_list_children():
    assert_problem(signed_in(make_officer()).get(URL + "children"), 403, "not_a_registry_person")


def test_kindergarten_search_over_http(family):
    user, _, orgs = family
    make_group(organisation=orgs[1], language="ru", capacity=10)
    client = signed_in(user)
    d = orgs[0].district_id
    assert {k["id"] for k in client.get(f"{URL}kindergartens?district_id={d}").json()} == {o.pk for o in orgs}
    free = client.get(f"{URL}kindergartens?district_id={d}&free=true&language=ru").json()
    assert [(k["id"], k["capacity"], k["has_free_places"]) for k in free] == [(orgs[1].pk, 10, True)]
    assert_problem(client.get(f"{URL}kindergartens"), 422, "validation_error")


def test_staff_cannot_apply(family):
    _, child, orgs = family
    assert_problem(send(signed_in(make_officer()), "post", URL, body(child, orgs)), 403, "not_a_registry_person")


def test_a_session_cookie_without_the_csrf_token_cannot_submit(family):
    user, child, orgs = family
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert_problem(send(client, "post", URL, body(child, orgs)), 403, "csrf_failed")
    token = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    assert send(client, "post", URL, body(child, orgs), HTTP_X_CSRFTOKEN=token).status_code == 201
