"""The pages: everything under my child's name, the dispute form, the officer's lists, the provider's record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kezek.integrity.models import Dispute, IntegrityFlag
from kezek.integrity.services.disputes import dispute_decide, dispute_file
from kezek.integrity.services.scan import integrity_scan
from tests.factories.accounts import make_parent
from tests.integration.integrity.conftest import (
    TODAY,
    campaign,
    club_section,
    enrol,
    family,
    kindergarten_group,
    staff_of,
    voucher,
)


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def places(officer):
    group = kindergarten_group()
    parent, (small, big) = family(children=2)
    big.birth_date = dt.date(2016, 6, 1)
    big.save(update_fields=["birth_date"])
    enrolment = enrol(small, group, applicant=parent)
    section = club_section()
    seated = voucher(child=big, holder=parent, section=section, the_campaign=campaign(officer=officer))
    return {"parent": parent, "enrolment": enrolment, "voucher": seated, "group": group, "section": section,
            "staff": staff_of(group.organisation)}


def test_the_parent_sees_everything_under_each_childs_name(places):
    page = client_for(places["parent"]).get("/integrity/children/")
    assert page.status_code == 200
    html = page.content.decode()
    assert places["group"].organisation.name in html and places["voucher"].number in html
    assert f"/integrity/disputes/new/enrolment/{places['enrolment'].pk}/" in html
    assert f"/integrity/disputes/new/voucher/{places['voucher'].pk}/" in html
    # Another parent sees none of it.
    other = client_for(make_parent()).get("/integrity/children/").content.decode()
    assert places["voucher"].number not in other


def test_the_dispute_form_files_a_dispute_and_shows_refusals(places):
    client = client_for(places["parent"])
    url = f"/integrity/disputes/new/enrolment/{places['enrolment'].pk}/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"since": "2020-01-01", "reason": ""})
    assert bad.status_code == 422 and "The date must be between" in bad.content.decode()
    assert client.post(url, {"since": "not a date"}).status_code == 422
    assert client.post(url, {"since": "", "reason": "Never went there."}).status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.reason == "Never went there." and dispute.since == places["enrolment"].started_on
    assert "Your dispute is under review." in client.get("/integrity/children/").content.decode()
    assert client.get("/integrity/disputes/new/offer/1/").status_code == 404
    stranger = client_for(make_parent())  # another family's place looks exactly like a missing one
    assert stranger.get(url).status_code == 404
    assert stranger.post(url, {"reason": "x"}).status_code == 404


def test_the_officer_reviews_flags_and_decides_disputes(places, officer):
    integrity_scan(today=TODAY, suspend=False)
    client = client_for(officer)
    page = client.get("/integrity/officer/flags/?status=open&kind=no_attendance")
    assert page.status_code == 200 and "weeks_rule" in page.content.decode()
    flag = IntegrityFlag.objects.filter(kind="no_attendance").first()
    assert client.post(f"/integrity/officer/flags/{flag.pk}/maybe/", {"note": "x"}).status_code == 404
    client.post(f"/integrity/officer/flags/{flag.pk}/dismiss/", {"note": ""})
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "open"  # a note is required
    client.post(f"/integrity/officer/flags/{flag.pk}/dismiss/", {"note": "Holiday abroad, certificate seen."})
    assert IntegrityFlag.objects.get(pk=flag.pk).status == "dismissed"

    dispute = dispute_file(actor=places["parent"], subject="enrolment", subject_id=places["enrolment"].pk)
    assert places["enrolment"].child.full_name in client.get("/integrity/officer/disputes/").content.decode()
    assert client.post(f"/integrity/officer/disputes/{dispute.pk}/later/", {"note": "x"}).status_code == 404
    client.post(f"/integrity/officer/disputes/{dispute.pk}/uphold/", {"note": "Confirmed by a visit."})
    assert Dispute.objects.get(pk=dispute.pk).status == "upheld"
    assert client.get("/integrity/officer/suspensions/").status_code == 200
    # Parents and provider staff may not open the officer's pages.
    assert client_for(places["parent"]).get("/integrity/officer/flags/").status_code == 403
    assert client_for(places["staff"]).get("/integrity/officer/disputes/").status_code == 403


def test_the_provider_answers_and_keeps_a_record_of_upheld_disputes(places, officer):
    dispute = dispute_file(actor=places["parent"], subject="enrolment", subject_id=places["enrolment"].pk)
    client = client_for(places["staff"])
    assert places["enrolment"].child.full_name in client.get("/integrity/provider/disputes/").content.decode()
    assert client.post("/integrity/provider/disputes/", {"dispute": dispute.pk, "note": "He comes daily."}).status_code == 302
    assert Dispute.objects.get(pk=dispute.pk).provider_response == "He comes daily."
    assert client.post("/integrity/provider/disputes/", {"dispute": dispute.pk, "note": ""}).status_code == 422
    assert client.post("/integrity/provider/disputes/", {"dispute": "x", "note": "y"}).status_code == 404
    dispute_decide(actor=officer, dispute_id=dispute.pk, uphold=True, reason="A visit found no such child.")
    html = client.get("/integrity/provider/disputes/").content.decode()
    assert f'data-testid="upheld-{dispute.pk}"' in html and "A visit found no such child." in html
    # Another provider sees nothing of it.
    other = client_for(staff_of(kindergarten_group().organisation)).get("/integrity/provider/disputes/")
    assert f"upheld-{dispute.pk}" not in other.content.decode()
