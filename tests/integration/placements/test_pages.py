"""Pages: the parent's offers and answers, the printable referral and its PDF, the public check, staff pages."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.test import Client

from kezek.applications.models import Application
from kezek.placements.models import Enrolment, Offer, Referral
from kezek.placements.services._common import shown_deadline
from kezek.placements.services.offers import offer_accept, offers_expire_due
from tests.factories.accounts import make_officer, make_parent, make_provider_staff
from tests.factories.organisations import make_organisation
from tests.factories.placements import make_ran_round

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def client_for(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


@pytest.fixture
def offered(queue):
    ran = make_ran_round(applications=queue[:2])
    return ran, queue[0], client_for(queue[0].applicant)


def test_the_cabinet_links_to_offers_and_lists_the_open_offer_with_its_local_deadline(offered):
    ran, app, client = offered
    assert "/kindergarten/offers/" in client.get("/kindergarten/").content.decode()
    offer = ran.offers[0]
    page = text(client.get("/kindergarten/offers/"))
    group = ran.places[0].group
    assert group.organisation.name in page and group.name in page
    assert f"Answer by {shown_deadline(offer.deadline)}" in page
    assert shown_deadline(offer.deadline).endswith("23:59")
    html = client.get("/kindergarten/offers/").content.decode()
    assert f"/kindergarten/offers/{offer.pk}/accept/" in html and f"/kindergarten/offers/{offer.pk}/decline/" in html


def test_accepting_asks_for_confirmation_needs_csrf_and_leads_to_the_referral(offered):
    ran, app, _ = offered
    offer = ran.offers[0]
    client = client_for(app.applicant, csrf=True)
    url = f"/kindergarten/offers/{offer.pk}/accept/"
    assert "Accept the place?" in text(client.get(url))
    assert client.post(url).status_code == 403  # no CSRF token
    assert not Referral.objects.exists()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode()).group(1)
    response = client.post(url, {"csrfmiddlewaretoken": token})
    referral = Referral.objects.get(offer=offer)
    assert response.status_code == 302 and response["Location"] == f"/kindergarten/referrals/{referral.pk}/"
    page = client.get(response["Location"])
    assert referral.number in text(page)
    html = page.content.decode()
    assert "<svg" in html and f"/referrals/check/{referral.check_token}/" in html


def test_declining_from_the_page_passes_the_place_on(offered, queue):
    ran, app, client = offered
    response = client.post(f"/kindergarten/offers/{ran.offers[0].pk}/decline/")
    assert response.status_code == 302
    assert Offer.objects.get(pk=ran.offers[0].pk).status == "declined"
    assert ran.offer_of(queue[1])
    assert "back in the queue" in text(client.get("/kindergarten/offers/"))


def test_an_answer_after_the_deadline_shows_a_clear_error(offered):
    ran, app, client = offered
    Offer.objects.filter(pk=ran.offers[0].pk).update(deadline=ran.offers[0].offered_at)
    response = client.post(f"/kindergarten/offers/{ran.offers[0].pk}/accept/")
    assert response.status_code == 409
    assert "The time to answer this offer ended" in text(response)


def test_another_parents_offer_and_referral_are_not_found(offered):
    ran, app, _ = offered
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    stranger = client_for(make_parent())
    assert stranger.get(f"/kindergarten/offers/{ran.offers[0].pk}/accept/").status_code == 404
    assert stranger.post(f"/kindergarten/offers/{ran.offers[0].pk}/decline/").status_code == 404
    assert stranger.get(f"/kindergarten/referrals/{referral.pk}/").status_code == 404
    assert stranger.get(f"/kindergarten/referrals/{referral.pk}/pdf/").status_code == 404


def test_the_referral_pdf_downloads(offered):
    ran, app, client = offered
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    response = client.get(f"/kindergarten/referrals/{referral.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="referral-{referral.number}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-") and len(response.content) > 2000


def test_the_public_check_page_shows_only_genuine_state_and_kindergarten(offered):
    ran, app, client = offered
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    anonymous = Client()
    anonymous.cookies["django_language"] = "en"
    page = anonymous.get(f"/referrals/check/{referral.check_token}/")
    assert page.status_code == 200
    body = text(page)
    assert "This referral is genuine." in body and "It is valid" in body
    assert ran.places[0].group.organisation.name in body
    child = app.child
    for secret in (child.last_name, child.first_name, child.iin, referral.number, app.public_id):
        assert secret not in body
    Referral.objects.filter(pk=referral.pk).update(status="contracted")
    assert "The contract has been signed." in text(anonymous.get(f"/referrals/check/{referral.check_token}/"))
    Referral.objects.filter(pk=referral.pk).update(status="issued", contract_deadline=referral.issued_at)
    assert "It has expired." in text(anonymous.get(f"/referrals/check/{referral.check_token}/"))
    unknown = anonymous.get("/referrals/check/not-a-real-token-at-all-123456/")
    assert unknown.status_code == 404 and "Not genuine" in text(unknown)


def test_provider_staff_confirm_contracts_of_their_kindergarten_only(offered):
    ran, app, _ = offered
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    outsider = client_for(make_provider_staff(make_organisation()))
    assert referral.number not in text(outsider.get("/kindergarten/provider/referrals/"))
    outsider.post(f"/kindergarten/provider/referrals/{referral.pk}/confirm/")
    assert not Enrolment.objects.exists()
    staff = client_for(make_provider_staff(ran.places[0].group.organisation))
    assert referral.number in text(staff.get("/kindergarten/provider/referrals/"))
    response = staff.post(f"/kindergarten/provider/referrals/{referral.pk}/confirm/", follow=True)
    assert "the child is enrolled" in text(response)
    assert Application.objects.get(pk=app.pk).status == "enrolled"
    assert client_for(app.applicant).get("/kindergarten/provider/referrals/").status_code == 403


def test_an_officer_extends_a_referral_with_a_reason(offered):
    ran, app, _ = offered
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    officer = client_for(make_officer(ran.round.district))
    assert referral.number in text(officer.get("/kindergarten/officer/referrals/"))
    url = f"/kindergarten/officer/referrals/{referral.pk}/extend/"
    assert officer.post(url, {"days": "10", "reason": ""}).status_code == 200  # the form asks for the reason
    assert "between 1 and 30" in text(officer.post(url, {"days": "31", "reason": "Справка"}))
    assert not Referral.objects.get(pk=referral.pk).extended
    assert officer.post(url, {"days": "10", "reason": "Справка из больницы"}).status_code == 302
    assert Referral.objects.get(pk=referral.pk).extended
    assert client_for(app.applicant).get(url).status_code == 403


def test_reactivation_from_the_offers_page(offered):
    ran, app, client = offered
    offers_expire_due(now=ran.offers[0].deadline)
    page = text(client.get("/kindergarten/offers/"))
    assert "can be reactivated once" in page
    client.post(f"/kindergarten/offers/reactivate/{app.pk}/")
    assert Application.objects.get(pk=app.pk).status == "active"


def test_transfer_from_the_offers_page(offered):
    from kezek.placements.services.referrals import contract_confirm

    ran, app, client = offered
    referral = offer_accept(user=app.applicant, offer=ran.offers[0])
    enrolment = contract_confirm(staff=make_provider_staff(ran.places[0].group.organisation), referral=referral)
    wanted = make_organisation()
    assert f"/kindergarten/transfer/{enrolment.pk}/" in client.get("/kindergarten/offers/").content.decode()
    response = client.post(f"/kindergarten/transfer/{enrolment.pk}/", {"choice_1": str(wanted.pk)})
    assert response.status_code == 302
    transfer = Application.objects.get(transfer_of=app)
    assert transfer.registered_at == app.registered_at
