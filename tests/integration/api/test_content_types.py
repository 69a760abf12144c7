"""Found by schemathesis: a signed-in POST with an odd Content-Type is the client's fault, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories.accounts import STAFF_PASSWORD, make_officer

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def officer_client() -> Client:
    officer = make_officer()
    client = Client(enforce_csrf_checks=True)
    token = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    signed_in = client.post(
        "/api/v1/auth/staff/signin", {"username": officer.username, "password": STAFF_PASSWORD},
        content_type="application/json", HTTP_X_CSRFTOKEN=token,
    )
    assert signed_in.status_code == 200, signed_in.content
    client.csrf_token = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    return client


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data", "multipart/form-data; boundary=", "text/plain", "application/x-www-form-urlencoded"]
)
def test_unreadable_bodies_of_signed_in_calls_are_problems_not_500(officer_client, content_type):
    response = officer_client.generic(
        "POST", "/api/v1/vouchers/campaigns", b"x=1", content_type=content_type, HTTP_X_CSRFTOKEN=officer_client.csrf_token
    )
    assert response.status_code in {400, 422}, response.content[:300]
    assert response["Content-Type"].startswith(PROBLEM)


def test_a_nul_character_in_a_search_is_refused_as_invalid_not_500(officer_client, db_vendor):
    # Found by schemathesis on PostgreSQL: text fields cannot hold NUL, so the query failed with a DataError.
    response = officer_client.get("/api/v1/applications/kindergartens", {"q": ":\x00", "district_id": 4833})
    if db_vendor == "postgresql":
        assert response.status_code == 422, response.content[:300]
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["code"] == "invalid_value"
    else:  # SQLite stores NUL like any other character: the search simply finds nothing
        assert response.status_code == 200, response.content[:300]
