"""End to end in a real browser: a parent finds a club in the catalogue, waits in the waiting room through the
opening, claims a voucher, places it in a section and moves it to another; an officer creates and announces a
campaign, and cannot announce one whose first stage is closer than the lead time."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kezek.organisations.models import Group
from kezek.vouchers.models import Voucher, VoucherCampaign
from tests.e2e.test_signin import screenshot, sms_code
from tests.factories.accounts import STAFF_PASSWORD, make_officer
from tests.factories.geo import district
from tests.factories.vouchers import make_campaign, make_club_section, make_voucher_family, period_start

pytestmark = pytest.mark.e2e

OPENS_IN = dt.timedelta(seconds=25)  # time to sign in and enter the room, then a countdown to watch


@pytest.fixture
def clubs():
    """Two football sections of private providers and a chess one (another kind) in Astana Yesil."""
    yesil = district()
    return {
        "first": make_club_section(district=yesil, name="Футбол Арман", kind=Group.Kind.SPORT),
        "second": make_club_section(district=yesil, name="Футбол Жұлдыз", kind=Group.Kind.SPORT),
        "other": make_club_section(district=yesil, name="Шахмат", kind=Group.Kind.TECHNOLOGY),
    }


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_parent_finds_a_club_waits_for_the_opening_claims_places_and_moves_the_voucher(page, sms_file, settings, clubs):
    # A campaign opening in a few seconds: announced with no lead time (the rule is the officer test's).
    settings.KEZEK_CAMPAIGN_LEAD_HOURS = 0
    user, (child,) = make_voucher_family(age=9, district=district())
    campaign = make_campaign(quota=3, first_stage_in=OPENS_IN)

    # The catalogue, without signing in: filter by kind and the child's age.
    page.goto("/clubs/")
    page.get_by_label("Kind").select_option("sport")
    page.get_by_label("Child's age, years").fill("9")
    page.get_by_role("button", name="Show").click()
    results = page.locator("#sections")
    expect(results.get_by_text("Футбол Арман")).to_be_visible()
    expect(results.get_by_text("Футбол Жұлдыз")).to_be_visible()
    expect(results.get_by_text("Шахмат")).to_have_count(0)
    screenshot(page, "clubs-catalogue")

    # The campaign's page leads to the waiting room, which asks the parent to sign in first.
    page.goto(f"/vouchers/campaigns/{campaign.pk}/")
    page.get_by_role("link", name="Waiting room").click()
    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("Mobile phone number").fill(user.person.phone)
    page.get_by_role("button", name="Send me a code").click()
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    code_field.fill(sms_code(sms_file, user.person.phone))
    page.get_by_role("button", name="Sign in", exact=True).click()

    # Back in the room: enter before the opening and watch the countdown.
    page.get_by_role("button", name="Enter the waiting room").click()
    expect(page.get_by_text("You are in the waiting room. Time until the opening:")).to_be_visible()
    expect(page.get_by_test_id("countdown")).to_be_visible()
    screenshot(page, "rush-countdown")

    # The page polls by itself; at the opening the parent's turn comes (one visitor: admitted at once).
    continue_link = page.get_by_role("link", name="Continue")
    expect(continue_link).to_be_visible(timeout=OPENS_IN.total_seconds() * 1000 + 15_000)
    screenshot(page, "rush-admitted")
    continue_link.click()

    # The claim page carries the pass; the parent picks the child and claims.
    expect(page.get_by_role("heading", name="Claim a voucher")).to_be_visible()
    page.get_by_label(re.compile(re.escape(child.full_name))).check()
    page.get_by_role("button", name="Claim the voucher").click()
    voucher = Voucher.objects.get(child=child)
    expect(page.get_by_role("heading", name=f"Voucher {voucher.number}")).to_be_visible()
    expect(page.get_by_text(f"Voucher {voucher.number} is yours. Now choose a section.")).to_be_visible()

    # Place it in the first football section, accepting the agreement.
    first = page.locator("li", has=page.get_by_text("Футбол Арман"))
    first.get_by_label("I accept the agreement with the provider").check()
    first.get_by_role("button", name="Choose this section").click()
    expect(page.get_by_text("The section has your choice.")).to_be_visible()
    expect(page.locator("[data-section]")).to_contain_text("Футбол Арман")
    expect(page.locator("[data-status]")).to_have_text("waiting for the provider")

    # Move it to the other one: the same voucher, the first place freed.
    expect(page.get_by_role("heading", name="Move to another section")).to_be_visible()
    second = page.locator("li", has=page.get_by_text("Футбол Жұлдыз"))
    second.get_by_label("I accept the agreement with the provider").check()
    second.get_by_role("button", name="Choose this section").click()
    expect(page.locator("[data-section]")).to_contain_text("Футбол Жұлдыз")
    screenshot(page, "voucher-moved")
    voucher.refresh_from_db()
    assert voucher.section_id == clubs["second"].pk
    assert Voucher.objects.filter(child=child).count() == 1
    clubs["first"].refresh_from_db()
    clubs["second"].refresh_from_db()
    assert (clubs["first"].enrolled, clubs["second"].enrolled) == (0, 1)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def _create_campaign(desk, *, title: str, first_stage_at: dt.datetime) -> None:
    desk.goto("/vouchers/officer/")
    desk.get_by_label("Title").fill(title)
    desk.get_by_label("Period starts").fill(period_start().isoformat())
    desk.get_by_label("Period ends").fill(dt.date(period_start().year + 1, 5, 31).isoformat())
    desk.get_by_label("Voucher kind").select_option(VoucherCampaign.Kind.UNIVERSAL)
    desk.get_by_label("Policy").select_option(VoucherCampaign.Policy.FIRST_COME)
    desk.get_by_label("Quota", exact=True).fill("100")
    desk.get_by_label("Monthly value, tenge").fill("20000")
    desk.get_by_label("Stage 1 opens at").fill(_local(first_stage_at))
    desk.get_by_label("Stage 1 share").fill("100")
    desk.get_by_role("button", name="Save as draft").click()
    expect(desk.get_by_text("The campaign is saved as a draft.")).to_be_visible()
    expect(desk.get_by_role("heading", name=title)).to_be_visible()


def test_officer_announces_a_campaign_but_not_one_opening_within_the_lead_time(page):
    officer = make_officer(district())
    page.goto("/staff/signin/?next=/vouchers/officer/")
    page.get_by_label("Login").fill(officer.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Voucher campaigns")).to_be_visible()

    # Two days ahead: announced, and from now on public with its waiting room.
    _create_campaign(page, title="Damu Bala: autumn", first_stage_at=timezone.now() + dt.timedelta(days=2))
    page.get_by_role("button", name="Announce").click()
    expect(page.get_by_text("The campaign is announced: its quota and stages are public and frozen.")).to_be_visible()
    expect(page.get_by_role("link", name="Waiting room")).to_be_visible()
    assert VoucherCampaign.objects.get(title="Damu Bala: autumn").status == VoucherCampaign.Status.ANNOUNCED

    # Two hours ahead: less than the 24-hour lead time; the error says so in the officer's language.
    _create_campaign(page, title="Damu Bala: tomorrow", first_stage_at=timezone.now() + dt.timedelta(hours=2))
    page.get_by_role("button", name="Announce").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("A campaign must be announced at least 24 hours before its first stage opens.")
    expect(alert).to_contain_text("then announce again")
    screenshot(page, "campaign-lead-time")
    assert VoucherCampaign.objects.get(title="Damu Bala: tomorrow").status == VoucherCampaign.Status.DRAFT
    assert not VoucherCampaign.objects.get(title="Damu Bala: tomorrow").stages.filter(opening__isnull=False).exists()
