"""The voucher pages: the public catalogue and campaign, the parent's claim and placement, provider and officer pages."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

from django.test import Client
from django.utils import timezone

from kezek.organisations.models import Organisation
from kezek.rush.models import Opening
from kezek.vouchers.models import CampaignStage, Voucher, VoucherCampaign
from tests.factories.accounts import make_provider_staff
from tests.factories.organisations import make_organisation
from tests.factories.vouchers import admission_token, make_campaign, make_club_section, make_voucher_family, stage


def text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def opened(campaign: VoucherCampaign) -> VoucherCampaign:
    """Time passes: the campaign's first stage opened a minute ago."""
    past = timezone.now() - dt.timedelta(minutes=1)
    CampaignStage.objects.filter(campaign=campaign, number=1).update(opens_at=past)
    Opening.objects.filter(pk=stage(campaign).opening_id).update(opens_at=past)
    return campaign


def test_catalogue_filters_without_signing_in():
    football = make_club_section(name="Футбол", kind="sport", language="kk", age_min_months=72, age_max_months=143)
    make_club_section(name="Робототехника", kind="technology", language="ru", age_min_months=120, age_max_months=204)
    full = make_club_section(name="Шахматы", kind="sport", capacity=1)
    full.enrolled = 1
    full.save()
    make_club_section(name="Скрытая", is_approved=False)
    make_club_section(name="Непроверенный", organisation=make_organisation(kind="club", status=Organisation.Status.PENDING))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = text(client.get("/clubs/"))
    assert "Футбол" in page and "Робототехника" in page and "Шахматы" in page
    assert "Скрытая" not in page and "Непроверенный" not in page
    assert "Робототехника" not in text(client.get("/clubs/", {"kind": "sport"}))
    by_age = text(client.get("/clubs/", {"age": 7}))
    assert "Футбол" in by_age and "Робототехника" not in by_age
    by_language = text(client.get("/clubs/", {"language": "ru"}))
    assert "Робототехника" in by_language and "Футбол" not in by_language
    assert "Шахматы" not in text(client.get("/clubs/", {"free": "on"}))
    assert f'value="{football.organisation.district_id}"' in client.get("/clubs/").content.decode()
    partial = client.get("/clubs/", {"kind": "sport"}, headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode() and "Футбол" in text(partial)
    assert client.get("/clubs/", {"age": "many"}).status_code == 200


def test_public_campaign_page_shows_quota_stages_changes_and_remaining(officer):
    from kezek.vouchers.services.campaigns import campaign_change

    campaign = make_campaign(officer=officer, quota=10, shares=[6, 4])
    campaign_change(actor=officer, campaign_id=campaign.pk, reason="Budget amended", monthly_value=21_000)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = text(client.get(f"/vouchers/campaigns/{campaign.pk}/"))
    assert campaign.title in page and "Budget amended" in page and "Vouchers left: 10" in page
    remaining = client.get(f"/vouchers/campaigns/{campaign.pk}/remaining/")
    assert "Vouchers left: 10" in text(remaining) and "no-cache" in remaining["Cache-Control"]
    draft = make_campaign(officer=officer, announce=False)
    assert client.get(f"/vouchers/campaigns/{draft.pk}/").status_code == 404


def test_parent_claims_places_and_moves():
    campaign = opened(make_campaign(quota=2))
    user, (child,) = make_voucher_family()
    first, second = make_club_section(name="Футбол"), make_club_section(name="Плавание")
    client = client_for(user)
    url = f"/vouchers/campaigns/{campaign.pk}/stages/1/claim/"
    token = admission_token(campaign, user)
    page = client.get(url, {"rush_token": token})
    assert child.first_name in text(page)
    response = client.post(url, {"child_iin": child.iin, "rush_token": token, "claim_key": "page-1"})
    voucher = Voucher.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/vouchers/{voucher.pk}/"
    # A double submit replays the same claim.
    assert client.post(url, {"child_iin": child.iin, "rush_token": token, "claim_key": "page-1"}).status_code == 302
    assert Voucher.objects.count() == 1
    detail = text(client.get(f"/vouchers/{voucher.pk}/"))
    assert "Футбол" in detail and "Плавание" in detail
    refused = client.post(f"/vouchers/{voucher.pk}/place/", {"section": first.pk})
    assert refused.status_code == 422 and "accept the agreement" in text(refused)
    assert client.post(f"/vouchers/{voucher.pk}/place/", {"section": first.pk, "accept_agreement": "on"}).status_code == 302
    assert client.post(f"/vouchers/{voucher.pk}/place/", {"section": second.pk, "accept_agreement": "on"}).status_code == 302
    voucher.refresh_from_db()
    assert (voucher.status, voucher.section_id) == ("placed", second.pk)
    assert "voucher" in text(client.get("/vouchers/mine/")).lower()


def test_claim_without_a_pass_is_a_form_error_not_a_500():
    campaign = opened(make_campaign(quota=2))
    user, (child,) = make_voucher_family()
    response = client_for(user).post(f"/vouchers/campaigns/{campaign.pk}/stages/1/claim/", {"child_iin": child.iin})
    assert response.status_code == 422 and "pass from the waiting room" in text(response)
    assert not Voucher.objects.exists()


def test_provider_accepts_a_placement():
    campaign = opened(make_campaign(quota=2))
    user, (child,) = make_voucher_family()
    section = make_club_section()
    client_for(user).post(f"/vouchers/campaigns/{campaign.pk}/stages/1/claim/",
                          {"child_iin": child.iin, "rush_token": admission_token(campaign, user)})
    voucher = Voucher.objects.get()
    client_for(user).post(f"/vouchers/{voucher.pk}/place/", {"section": section.pk, "accept_agreement": "on"})
    staff = make_provider_staff(section.organisation)
    client = client_for(staff)
    assert voucher.number in text(client.get("/vouchers/provider/"))
    assert client.post(f"/vouchers/provider/{voucher.pk}/accept/").status_code == 302
    voucher.refresh_from_db()
    assert voucher.status == "active"


def test_provider_staff_open_a_section_and_an_officer_approves_it(officer):
    organisation = make_organisation(kind="club", ownership="private")
    staff = make_provider_staff(organisation)
    client = client_for(staff)
    data = {"name": "Домбыра", "kind": "music", "age_min_months": 72, "age_max_months": 143, "language": "kk",
            "capacity": 12, "schedule": "Сб 10:00", "monthly_price": 15000, "address": ""}
    assert client.post("/clubs/provider/sections/", data).status_code == 302
    section = organisation.groups.get()
    assert (section.is_approved, section.schedule, section.monthly_price) == (False, "Сб 10:00", 15000)
    bad = client.post("/clubs/provider/sections/", data | {"age_min_months": 200, "age_max_months": 100})
    assert bad.status_code == 422
    assert "Домбыра" not in text(Client(HTTP_ACCEPT_LANGUAGE="en").get("/clubs/"))
    officer_client = client_for(officer)
    assert "Домбыра" in text(officer_client.get("/clubs/officer/approvals/"))
    assert officer_client.post("/clubs/officer/approvals/", {"section": section.pk}).status_code == 302
    assert "Домбыра" in text(Client(HTTP_ACCEPT_LANGUAGE="en").get("/clubs/"))


def test_officer_creates_and_cannot_announce_inside_the_lead_time(officer):
    client = client_for(officer)
    soon = timezone.localtime() + dt.timedelta(hours=2)
    data = {
        "title": "Damu Bala 2027", "district": officer.district_id, "period_start": "2027-09-01", "period_end": "2028-05-31",
        "kind": "universal", "policy": "first_come", "quota": 100, "monthly_value": 20000, "min_age": 4, "max_age": 17,
        "stage1_opens_at": soon.strftime("%Y-%m-%dT%H:%M"), "stage1_share": 100,
    }
    response = client.post("/vouchers/officer/", data)
    campaign = VoucherCampaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/vouchers/officer/campaigns/{campaign.pk}/"
    refused = client.post(f"/vouchers/officer/campaigns/{campaign.pk}/", {"action": "announce"})
    assert refused.status_code == 422 and "at least 24 hours before" in text(refused)
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    mismatch = client.post("/vouchers/officer/", data | {"stage1_share": 99})
    assert mismatch.status_code == 422 and "add up to 99" in text(mismatch)


def test_officer_change_without_a_reason_is_refused(officer):
    campaign = make_campaign(officer=officer)
    client = client_for(officer)
    refused = client.post(f"/vouchers/officer/campaigns/{campaign.pk}/", {"action": "change", "monthly_value": 30000})
    assert refused.status_code == 422 and "reason is required" in text(refused)
    assert client.post(f"/vouchers/officer/campaigns/{campaign.pk}/",
                       {"action": "change", "monthly_value": 30000, "reason": "Akimat order 7"}).status_code == 302
    assert "Akimat order 7" in text(Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/vouchers/campaigns/{campaign.pk}/"))


def test_pages_are_for_their_roles(officer):
    user, _ = make_voucher_family()
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get("/vouchers/mine/").status_code == 302
    assert client_for(user).get("/vouchers/officer/").status_code == 403
    assert client_for(officer).get("/vouchers/mine/").status_code == 403
    assert client_for(user).get("/vouchers/999999/").status_code == 404
