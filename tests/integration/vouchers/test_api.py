"""The voucher API: the public catalogue and campaign, idempotent claims with the pass, problem JSON on refusals."""

from __future__ import annotations

import datetime as dt
import json

from django.test import Client
from django.utils import timezone

from kezek.vouchers.models import Voucher
from tests.factories.vouchers import admission_token, make_campaign, make_club_section, make_voucher_family
from tests.integration.vouchers.test_pages import opened


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client, path, data=None, **headers):
    return client.post(path, json.dumps(data or {}), content_type="application/json", headers=headers)


def test_public_sections_and_campaign():
    section = make_club_section(name="Каратэ", kind="sport")
    campaign = make_campaign(quota=7, shares=[4, 3])
    client = Client()
    found = client.get("/api/v1/vouchers/sections", {"kind": "sport", "free": "true"}).json()
    assert [s["id"] for s in found] == [section.pk] and found[0]["free_places"] == 10
    body = client.get(f"/api/v1/vouchers/campaigns/{campaign.pk}").json()
    assert (body["quota"], body["remaining"], [s["share"] for s in body["stages"]]) == (7, 7, [4, 3])
    assert body["stages"][0]["waiting_room"] == f"vouchers-{campaign.pk}-1"
    missing = client.get("/api/v1/vouchers/campaigns/999999")
    assert missing.status_code == 404 and missing.json()["code"] == "campaign_not_found"


def test_claim_is_idempotent_and_needs_the_pass():
    campaign = opened(make_campaign(quota=2))
    user, (child,) = make_voucher_family()
    client = signed_in(user)
    url = f"/api/v1/vouchers/campaigns/{campaign.pk}/stages/1/claim"
    token = admission_token(campaign, user)
    no_key = post(client, url, {"child_iin": child.iin}, **{"X-Rush-Token": token})
    assert no_key.status_code == 422 and no_key.json()["code"] == "invalid_idempotency_key"
    no_pass = post(client, url, {"child_iin": child.iin}, **{"Idempotency-Key": "k-1"})
    assert no_pass.status_code == 403 and no_pass.json()["code"] == "rush_token_missing"
    first = post(client, url, {"child_iin": child.iin}, **{"Idempotency-Key": "k-1", "X-Rush-Token": token})
    assert first.status_code == 201
    replay = post(client, url, {"child_iin": child.iin}, **{"Idempotency-Key": "k-1", "X-Rush-Token": token})
    assert replay.status_code == 200 and replay.json() == first.json()
    other = post(client, url, {"child_iin": child.iin}, **{"Idempotency-Key": "k-2", "X-Rush-Token": token})
    assert other.status_code == 409
    assert Voucher.objects.count() == 1
    assert Client().get(f"/api/v1/vouchers/campaigns/{campaign.pk}").json()["remaining"] == 1


def test_place_and_release_through_the_api():
    campaign = opened(make_campaign(quota=2))
    user, (child,) = make_voucher_family()
    client = signed_in(user)
    voucher = post(client, f"/api/v1/vouchers/campaigns/{campaign.pk}/stages/1/claim", {"child_iin": child.iin},
                   **{"Idempotency-Key": "k", "X-Rush-Token": admission_token(campaign, user)}).json()
    section = make_club_section()
    placed = post(client, f"/api/v1/vouchers/{voucher['id']}/place", {"section_id": section.pk, "accept_agreement": True})
    assert placed.status_code == 200 and placed.json()["status"] == "placed"
    released = post(client, f"/api/v1/vouchers/{voucher['id']}/release", {"reason": "we moved"})
    assert released.json()["status"] == "released"
    assert client.get("/api/v1/vouchers/mine").json()[0]["status"] == "released"


def test_officer_creates_and_announce_is_refused_inside_the_lead_time(officer):
    client = signed_in(officer)
    soon = (timezone.now() + dt.timedelta(hours=3)).isoformat()
    body = {
        "title": "Damu Bala", "region_id": officer.district.region_id, "district_id": officer.district_id,
        "period_start": "2027-09-01", "period_end": "2028-05-31", "kind": "targeted", "policy": "first_come",
        "quota": 10, "monthly_value": 20000, "min_age": 4, "max_age": 17, "stages": [{"opens_at": soon, "share": 10}],
    }
    created = post(client, "/api/v1/vouchers/campaigns", body)
    assert created.status_code == 201 and created.json()["status"] == "draft"
    refused = post(client, f"/api/v1/vouchers/campaigns/{created.json()['id']}/announce")
    assert refused.status_code == 422 and refused.json()["code"] == "campaign_lead_time"
    bad = post(client, "/api/v1/vouchers/campaigns", body | {"quota": 11})
    assert bad.status_code == 422 and bad.json()["code"] == "campaign_shares_mismatch"


def test_change_without_reason_is_refused(officer):
    campaign = make_campaign(officer=officer)
    client = signed_in(officer)
    refused = post(client, f"/api/v1/vouchers/campaigns/{campaign.pk}/changes", {"reason": "", "monthly_value": 1})
    assert refused.status_code == 422 and refused.json()["code"] == "reason_required"
    changed = post(client, f"/api/v1/vouchers/campaigns/{campaign.pk}/changes", {"reason": "Order 5", "monthly_value": 22000})
    assert changed.json()["changes"][0]["reason"] == "Order 5"
