"""GET /api/v1/applications/{id}/position and /history: the applicant and the district's officers only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kezek.applications.models import ApplicationEvent
from tests.factories.accounts import make_admin, make_officer, make_parent
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_organisation

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - dt.timedelta(days=3)


@pytest.fixture
def queue():
    k1 = make_organisation()
    ahead = make_application(registered_at=T0, priority_class=1, age_group=2022, preferences=[k1])
    mine = make_application(registered_at=T0 + dt.timedelta(hours=1), age_group=2022, preferences=[k1], with_event=True)
    ApplicationEvent.objects.create(application=mine, kind=ApplicationEvent.Kind.PREFERENCES_CHANGED)
    return {"mine": mine, "ahead": ahead, "k1": k1}


def get(user, path: str):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(path, HTTP_ACCEPT_LANGUAGE="en")


def test_the_applicant_sees_position(queue):
    mine = queue["mine"]
    response = get(mine.applicant, f"/api/v1/applications/{mine.pk}/position")
    assert response.status_code == 200
    body = response.json()
    assert body["queue_number"] == mine.pk
    assert body["position"] == 2
    assert body["ahead_by_class"] == {"0": 0, "1": 1, "2": 0}
    assert body["per_kindergarten"] == [
        {"organisation_id": queue["k1"].pk, "organisation_name": queue["k1"].name, "rank": 1, "position": 2, "ahead": 1}
    ]
    assert body["rotation"] == {"first_priority_places": 1, "general_places": 3, "rotates": True, "cycle": [1, 2, 2, 2], "places_until_turn": 2}
    assert body["last_allocation_offered"] is None
    assert body["in_queue"] is True


def test_the_applicant_sees_history(queue):
    mine = queue["mine"]
    response = get(mine.applicant, f"/api/v1/applications/{mine.pk}/history")
    assert response.status_code == 200
    kinds = [e["kind"] for e in response.json()]
    assert kinds == ["preferences_changed", "submitted"]
    assert response.json()[0]["text"] == "You changed your kindergartens."


def test_officer_of_the_district_and_admin_see_it(queue):
    mine = queue["mine"]
    for user in (make_officer(district()), make_admin()):
        assert get(user, f"/api/v1/applications/{mine.pk}/position").json()["position"] == 2
        assert get(user, f"/api/v1/applications/{mine.pk}/history").status_code == 200


@pytest.mark.parametrize("who", ["other_parent", "other_officer"])
def test_anyone_else_gets_404(queue, who):
    mine = queue["mine"]
    user = make_parent() if who == "other_parent" else make_officer(district("astana-almaty"))
    for path in (f"/api/v1/applications/{mine.pk}/position", f"/api/v1/applications/{mine.pk}/history"):
        response = get(user, path)
        assert response.status_code == 404
        assert response.json()["code"] == "application_not_found"
    assert get(user, "/api/v1/applications/999999999/position").status_code == 404


def test_signed_out_gets_401(queue):
    assert get(None, f"/api/v1/applications/{queue['mine'].pk}/position").status_code == 401
