"""The rush API at /api/v1/rush and the waiting room page at /rush/<slug>/, on both backends."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from kezek.rush.models import Pool
from kezek.rush.services import waiting_room_token_check
from tests.factories.accounts import make_parent
from tests.factories.rush import make_opening

pytestmark = pytest.mark.django_db


def opening_in(seconds: float, **kwargs):
    return make_opening(opens_at=timezone.now() + dt.timedelta(seconds=seconds), **kwargs)


def signed_in(client):
    account = make_parent()
    client.force_login(account)
    return account


# --- API ---------------------------------------------------------------------------------------------------


def test_the_opening_and_its_remaining_places_are_public(client, room):
    opening = opening_in(3600, pools={"sport": 10, "arts": 4})
    Pool.objects.filter(opening=opening, key="arts").update(taken=3)
    body = client.get(f"/api/v1/rush/openings/{opening.slug}").json()
    assert body["slug"] == opening.slug
    assert body["remaining"] == 11
    assert [(p["key"], p["capacity"], p["remaining"]) for p in body["pools"]] == [("arts", 4, 1), ("sport", 10, 10)]
    assert "server_time" in body


def test_an_unknown_opening_is_a_problem_404(client, room):
    response = client.get("/api/v1/rush/openings/no-such-opening")
    assert response.status_code == 404
    assert response.json()["code"] == "opening_not_found"


def test_joining_needs_a_signed_in_account(client, room):
    opening = opening_in(3600)
    assert client.post(f"/api/v1/rush/openings/{opening.slug}/join").status_code == 401
    assert client.get(f"/api/v1/rush/openings/{opening.slug}/status").status_code == 401


def test_join_before_the_opening_then_status(client, room):
    opening = opening_in(120)
    signed_in(client)
    status = client.get(f"/api/v1/rush/openings/{opening.slug}/status").json()
    assert status["state"] == "not_joined"
    joined = client.post(f"/api/v1/rush/openings/{opening.slug}/join").json()
    assert (joined["state"], joined["position"], joined["token"], joined["in_room"]) == ("waiting_for_opening", None, "", 1)
    assert 110 <= joined["estimated_wait_seconds"] <= 120
    assert 110 // 4 <= joined["poll_after_seconds"] <= 120 // 4  # a quarter of the wait
    again = client.post(f"/api/v1/rush/openings/{opening.slug}/join").json()
    assert again["in_room"] == 1


def test_after_the_opening_an_empty_room_admits_at_once_with_a_pass_bound_to_the_account(client, room):
    opening = opening_in(-5, claim_url="/clubs/claim/?stage=1")
    account = signed_in(client)
    body = client.post(f"/api/v1/rush/openings/{opening.slug}/join").json()
    assert body["state"] == "admitted"
    assert body["poll_after_seconds"] is None
    waiting_room_token_check(opening=opening, account=account, token=body["token"])
    link = urlparse(body["continue_url"])
    assert link.path == "/clubs/claim/"
    assert parse_qs(link.query) == {"stage": ["1"], "rush_token": [body["token"]]}


def test_rate_limits_answer_429_with_retry_after(client, room, settings):
    settings.KEZEK_RUSH_REQUESTS_PER_ACCOUNT_PER_MINUTE = 2
    opening = opening_in(3600)
    signed_in(client)
    url = f"/api/v1/rush/openings/{opening.slug}/status"
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_rate_limit_per_address_covers_anonymous_visitors(client, room, settings):
    settings.KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE = 1
    opening = opening_in(3600)
    assert client.get(f"/api/v1/rush/openings/{opening.slug}").status_code == 200
    assert client.get(f"/api/v1/rush/openings/{opening.slug}").status_code == 429


# --- pages -------------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_sign_in(client, room):
    opening = opening_in(3600)
    page = client.get(f"/rush/{opening.slug}/")
    assert page.status_code == 200
    assert f"/signin/?next=%2Frush%2F{opening.slug}%2F" in page.content.decode()
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_page_counts_down_then_gives_a_continue_link(client, room):
    opening = opening_in(3 * 3600 + 65)
    signed_in(client)
    page = client.get(f"/rush/{opening.slug}/").content.decode()
    assert f'action="/rush/{opening.slug}/join/"' in page
    joined = client.post(f"/rush/{opening.slug}/join/")
    assert joined.status_code == 302
    page = client.get(f"/rush/{opening.slug}/").content.decode()
    assert 'data-state="waiting_for_opening"' in page
    assert 'data-testid="countdown">3:01:0' in page  # 3:01:05 or a second less
    assert 'hx-trigger="every 60s"' in page  # a three-hour wait is checked at most once a minute


def test_the_status_fragment_offers_continue_once_admitted(client, room):
    opening = opening_in(-1)
    signed_in(client)
    fragment = client.post(f"/rush/{opening.slug}/join/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="rush-status"')
    assert 'data-state="admitted"' in fragment
    assert "/clubs/claim/?rush_token=r1." in fragment
    assert "hx-trigger" not in fragment  # no more polling
    polled = client.get(f"/rush/{opening.slug}/status/").content.decode()
    remaining = re.search(r'data-testid="remaining">[^<]*<strong>(\d+)</strong>', polled)
    assert remaining.group(1) == "5"


def test_a_rate_limited_page_is_friendly_with_retry_after(client, room, settings):
    settings.KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE = 1
    opening = opening_in(3600)
    client.get(f"/rush/{opening.slug}/")
    page = client.get(f"/rush/{opening.slug}/")
    assert page.status_code == 429
    assert "Retry-After" in page
    assert 'class="alert alert--error"' in page.content.decode()


def test_an_unknown_opening_page_is_404(client, room):
    assert client.get("/rush/nothing-here/").status_code == 404
