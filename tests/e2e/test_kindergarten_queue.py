"""End to end in a real browser: a parent applies for a kindergarten place, uploads a benefit document,
sees the queue number and position, changes kindergartens; an officer verifies the documents waiting
for review, and the parent's position page shows the queue as it now stands, with the reason."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from kezek.applications.models import Application, BenefitClaim
from kezek.applications.services.claims import claim_add, claim_document_upload
from tests.e2e.test_signin import screenshot, sms_code
from tests.factories.accounts import STAFF_PASSWORD, make_officer, make_parent
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.factories.people import add_benefit, make_family

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def queue(settings, tmp_path):
    """A family with a large-family right in the registry, three kindergartens, and a queue to join."""
    settings.MEDIA_ROOT = str(tmp_path / "private")
    yesil = district()
    parent, (child,) = make_family(children=1, child_birth_dates=[dt.date(2022, 3, 1)], district=yesil)
    add_benefit(child, "large_family")
    orgs = [make_organisation(district=yesil, name=name, languages=["kk", "ru"]) for name in ("Айгөлек", "Балдырған", "Құлыншақ")]
    for org in orgs:
        make_group(organisation=org, language="kk", capacity=25)
    # Children of the same age group registered earlier, in the general queue. One of them has claimed a
    # first-priority right with a document that the officer will verify.
    earlier = timezone.now() - dt.timedelta(days=60)
    seeded = [
        make_application(registered_at=earlier + dt.timedelta(days=i), child_birth_date=dt.date(2022, 5, 1), preferences=[orgs[0]])
        for i in range(3)
    ]
    other = seeded[0]
    claim = claim_add(actor=other.applicant, application_id=other.pk, kind="orphan")
    claim_document_upload(
        actor=other.applicant, claim_id=claim.pk, uploaded_file=SimpleUploadedFile("cert.pdf", PDF, "application/pdf")
    )
    return {"parent": parent, "child": child, "orgs": orgs, "other": other}


def sign_in_parent(page, sms_file, phone: str) -> None:
    page.goto("/kindergarten/apply/")
    expect(page).to_have_url(re.compile(r"/signin/\?next="))
    page.get_by_label("Mobile phone number").fill(phone)
    page.get_by_role("button", name="Send me a code").click()
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    code_field.fill(sms_code(sms_file, phone))
    page.get_by_role("button", name="Sign in", exact=True).click()
    # Signing in returns the parent to the page they came for: the application wizard.
    expect(page.get_by_role("heading", name="Step 1 of 6: Child")).to_be_visible()


def test_parent_applies_changes_kindergartens_and_sees_the_position_move_after_review(page, browser, live_server, sms_file, queue):
    parent, child, orgs = queue["parent"], queue["child"], queue["orgs"]
    make_parent(parent)
    sign_in_parent(page, sms_file, parent.phone)

    # Step 1: the child from the registry.
    page.get_by_label(re.compile(re.escape(child.full_name))).check()
    screenshot(page, "apply-child")
    page.get_by_role("button", name="Continue").click()

    # Step 2: district (the parent's own), the default start date, Kazakh.
    expect(page.get_by_role("heading", name="Step 2 of 6: Where and when")).to_be_visible()
    expect(page.get_by_label("District")).to_have_value(str(district().pk))
    page.get_by_label("Kazakh").check()
    page.get_by_role("button", name="Continue").click()

    # Step 3: search with htmx, add the first choice from the results, pick the second from the list.
    expect(page.get_by_role("heading", name="Step 3 of 6: Kindergartens")).to_be_visible()
    page.get_by_label("Search kindergartens by name or address").fill("Балдыр")
    results = page.locator("#kg-results")
    expect(results.locator("strong", has_text="Балдырған")).to_be_visible()
    expect(results.locator("strong", has_text="Құлыншақ")).to_have_count(0)
    results.get_by_role("button", name="Add Балдырған").click()
    expect(page.get_by_label("Choice 1")).to_have_value(str(orgs[1].pk))
    page.get_by_label("Choice 2").select_option(str(orgs[0].pk))
    screenshot(page, "apply-kindergartens")
    page.get_by_role("button", name="Continue").click()

    # Step 4: contacts; the first number is the parent's own, the second must be different.
    expect(page.get_by_role("heading", name="Step 4 of 6: Contacts")).to_be_visible()
    expect(page.get_by_label("Mobile phone 1")).to_have_value(parent.phone)
    page.get_by_label("Mobile phone 2").fill(parent.phone)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_contain_text("already given above")
    screenshot(page, "apply-contacts-error")
    page.get_by_label("Mobile phone 2").fill("+7 707 123 45 67")
    page.get_by_role("button", name="Continue").click()

    # Step 5: the registry's right applies by itself; the parent claims another one.
    expect(page.get_by_role("heading", name="Step 5 of 6: Benefit rights")).to_be_visible()
    expect(page.get_by_text("Applied automatically: no document needed.")).to_be_visible()
    page.get_by_label(re.compile("special educational needs")).check()
    screenshot(page, "apply-benefits")
    page.get_by_role("button", name="Continue").click()

    # Step 6: the summary.
    expect(page.get_by_role("heading", name="Step 6 of 6: Check and confirm")).to_be_visible()
    expect(page.get_by_text("Балдырған")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path="/tmp/kezek-j-summary-390.png", full_page=True)
    screenshot(page, "apply-summary")
    page.get_by_role("button", name="Confirm and apply").click()

    # The queue number at once, and the position: first-priority right from the registry, ahead of the general queue.
    expect(page.get_by_role("heading", name="Application registered")).to_be_visible()
    application = Application.objects.get(child__iin=child.iin)
    expect(page.get_by_text(f"№ {application.queue_number}")).to_be_visible()
    expect(page.get_by_test_id("position")).to_have_text("1")
    expect(page.get_by_text("1 place in every 4 goes to a child with a first-priority right")).to_be_visible()
    screenshot(page, "apply-done")

    # The document for the claimed right.
    page.get_by_role("link", name=re.compile("Upload the document")).click()
    page.locator("input[type=file]").set_input_files({"name": "certificate.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_text("The document is uploaded.")).to_be_visible()
    claim = application.claims.get(kind="special_needs")
    assert claim.document and claim.document_content_type == "application/pdf"

    # Change the kindergartens in the cabinet: registration time kept, history shows it.
    page.get_by_role("link", name="Back to the application").click()
    page.get_by_role("link", name="Change kindergartens").click()
    page.get_by_label("Choice 1").select_option(str(orgs[2].pk))
    page.get_by_label("Choice 2").select_option(str(orgs[1].pk))
    page.get_by_label("Choice 3").select_option(str(orgs[0].pk))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your kindergartens are saved.")).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="History"))
    expect(history.get_by_text("You changed your kindergartens.")).to_be_visible()
    registered = application.registered_at
    application.refresh_from_db()
    assert application.registered_at == registered
    assert list(application.preferences.values_list("organisation_id", flat=True)) == [orgs[2].pk, orgs[1].pk, orgs[0].pk]
    expect(page.get_by_test_id("position")).to_have_text("1")

    # The officer of the district reviews the documents waiting: the parent's, and the earlier applicant's.
    officer = make_officer(district())
    staff = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", base_url=live_server.url)
    staff.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    desk = staff.new_page()
    try:
        desk.goto("/staff/signin/?next=/kindergarten/officer/documents/")
        desk.get_by_label("Login").fill(officer.username)
        desk.get_by_label("Password").fill(STAFF_PASSWORD)
        desk.get_by_role("button", name="Sign in", exact=True).click()
        expect(desk.get_by_role("heading", name="Documents waiting for review")).to_be_visible()
        other_claim = queue["other"].claims.get()
        for pending in (claim, other_claim):
            card = desk.locator(f"#claim-{pending.pk}")
            expect(card).to_be_visible()
            card.get_by_role("button", name="Verify").click()
            expect(desk.get_by_text("The benefit right is verified.")).to_be_visible()
        expect(desk.get_by_text("No documents are waiting for review.")).to_be_visible()
    finally:
        staff.close()
    claim.refresh_from_db()
    assert claim.status == BenefitClaim.Status.VERIFIED

    # The parent's page: the right is verified, and the earlier applicant, now with a first-priority right,
    # stands ahead (same class, registered earlier): the position moves from 1 to 2.
    page.reload()
    expect(page.get_by_test_id("position")).to_have_text("2")
    expect(page.get_by_text("first-priority right: 1")).to_be_visible()
    expect(page.get_by_text("verified by an officer")).to_be_visible()
    expect(history.get_by_text("Your benefit right was verified.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.screenshot(path="/tmp/kezek-j-application-390.png", full_page=True)
    screenshot(page, "application")
