"""End to end in a real browser: a parent finds a kindergarten place they never used under their child's name and
disputes it; the district officer upholds the dispute, the place ends and the parent gets the decision by SMS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kezek.core.worker import run_until_idle
from kezek.integrity.models import Dispute
from kezek.placements.models import Enrolment
from tests.conftest import read_sms
from tests.e2e.test_signin import screenshot, sms_code
from tests.factories.accounts import STAFF_PASSWORD, make_officer, make_parent
from tests.factories.geo import district
from tests.factories.people import make_family
from tests.integration.integrity.conftest import enrol, kindergarten_group

pytestmark = pytest.mark.e2e


def test_a_parent_disputes_a_phantom_enrolment_and_the_officer_upholds_it(page, sms_file):
    yesil = district()
    group = kindergarten_group(district=yesil, name="Күншуақ")
    parent_person, (child,) = make_family(children=1)
    parent = make_parent(parent_person)
    enrolment = enrol(child, group, applicant=parent)
    officer = make_officer(yesil)

    # The parent signs in with an SMS code and opens everything under the child's name.
    page.goto("/signin/")
    page.get_by_label("Mobile phone number").fill(parent_person.phone)
    page.get_by_role("button", name="Send me a code").click()
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    code_field.fill(sms_code(sms_file, parent_person.phone))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    page.get_by_role("link", name="Everything under my child's name").click()
    expect(page.get_by_role("heading", name="Everything under my child's name", level=1)).to_be_visible()
    place = page.get_by_test_id(f"enrolment-{enrolment.pk}")
    expect(place).to_contain_text(group.organisation.name)
    screenshot(page, "integrity-children")

    place.get_by_role("link", name="My child does not attend this").click()
    page.get_by_label("What is wrong").fill("We have never been to this kindergarten.")
    page.get_by_role("button", name="Send the dispute").click()
    expect(page.get_by_text("Your dispute is sent to the provider and the education department.")).to_be_visible()
    expect(page.get_by_test_id(f"enrolment-{enrolment.pk}")).to_contain_text("Your dispute is under review.")
    page.get_by_role("button", name="Sign out").click()

    # The district officer upholds it with a reason.
    page.goto("/staff/signin/?next=/integrity/officer/disputes/")
    page.get_by_label("Login").fill(officer.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Disputes", level=1)).to_be_visible()
    dispute = Dispute.objects.get()
    card = page.get_by_test_id(f"dispute-{dispute.pk}")
    expect(card).to_contain_text("We have never been to this kindergarten.")
    card.get_by_label("Reason").fill("The kindergarten could not show the child.")
    screenshot(page, "integrity-officer-disputes")
    card.get_by_role("button", name="Uphold").click()
    expect(page.get_by_text("The decision is recorded and sent to the parent.")).to_be_visible()

    dispute.refresh_from_db()
    assert dispute.status == "upheld" and dispute.upheld_from == enrolment.started_on
    assert Enrolment.objects.get(pk=enrolment.pk).status == "ended"
    run_until_idle(["notifications.deliver_outbox"])
    texts = [m["text"] for m in read_sms(sms_file) if m["to"] == parent_person.phone]
    assert any("The kindergarten could not show the child." in text for text in texts)
