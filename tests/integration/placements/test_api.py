"""The offers API and the public referral check API."""

from __future__ import annotations

import pytest
from django.test import Client

from kezek.placements.models import Offer
from tests.factories.accounts import make_parent
from tests.factories.placements import make_ran_round

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_my_offers_accept_twice_and_check(queue):
    ran = make_ran_round(applications=queue[:2])
    app = queue[0]
    client = client_for(app.applicant)
    mine = client.get("/api/v1/offers").json()
    assert [o["id"] for o in mine] == [ran.offers[0].pk]
    assert mine[0]["place"]["kindergarten"] == ran.places[0].group.organisation.name
    assert mine[0]["status"] == "open" and mine[0]["referral_id"] is None
    first = client.post(f"/api/v1/offers/{ran.offers[0].pk}/accept")
    assert first.status_code == 200
    again = client.post(f"/api/v1/offers/{ran.offers[0].pk}/accept")
    assert again.json()["id"] == first.json()["id"] and again.json()["number"] == first.json()["number"]
    check_url = first.json()["check_url"]
    token = check_url.rstrip("/").rsplit("/", 1)[1]
    public = client_for().get(f"/api/v1/referrals/check/{token}")
    assert public.json() == {"genuine": True, "state": "valid", "kindergarten": ran.places[0].group.organisation.name}
    assert client_for().get("/api/v1/referrals/check/unknown-token-000000000").json() == {
        "genuine": False, "state": "", "kindergarten": ""
    }


def test_decline_and_errors_are_problem_json(queue):
    ran = make_ran_round(applications=queue[:2])
    offer = ran.offers[0]
    assert client_for().get("/api/v1/offers").status_code == 401
    stranger = client_for(make_parent()).post(f"/api/v1/offers/{offer.pk}/accept")
    assert stranger.status_code == 404 and stranger.json()["code"] == "offer_not_found"
    assert stranger["Content-Type"] == "application/problem+json"
    missing = client_for(queue[0].applicant).post("/api/v1/offers/99999999/decline")
    assert missing.status_code == 404 and missing.json()["code"] == "offer_not_found"
    declined = client_for(queue[0].applicant).post(f"/api/v1/offers/{offer.pk}/decline")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert Offer.objects.filter(application=queue[1], status="open").exists()
    late = client_for(queue[0].applicant).post(f"/api/v1/offers/{offer.pk}/accept")
    assert late.status_code == 409 and late.json()["code"] == "offer_closed"
