"""End to end in a real browser: an officer creates a round, publishes its places, announces and runs it; a
parent accepts the offer in the cabinet, another lets the deadline pass and the place moves on to the next
child; the public page shows the published places, the seed commitment and the revealed seed, the downloads
and the re-run instructions, and ``kezek allocate`` on the downloaded input reproduces the result byte for byte."""

from __future__ import annotations

import datetime as dt
import re
import subprocess

import pytest
from django.utils import timezone
from playwright.sync_api import expect

import kezek.notifications.tasks  # noqa: F401  (registers notifications.deliver_outbox)
import kezek.placements.tasks  # noqa: F401  (registers placements.expire_offers and placements.open_to_all)
import kezek.rounds.tasks  # noqa: F401  (registers rounds.run_requested)
from kezek.applications.models import Application
from kezek.core.worker import run_until_idle
from kezek.domain import lottery
from kezek.notifications.models import OutboxMessage
from kezek.placements.models import Offer
from kezek.rounds.models import Round, RoundPlace
from tests.e2e.test_signin import screenshot, sms_code
from tests.factories.accounts import STAFF_PASSWORD, make_officer
from tests.factories.applications import make_application
from tests.factories.geo import district
from tests.factories.organisations import make_group, make_organisation
from tests.subprocesses import kezek_command

pytestmark = pytest.mark.e2e

LOCAL = "%Y-%m-%dT%H:%M"  # what a datetime-local field takes


@pytest.fixture
def queue():
    """One kindergarten group and three children of one age group who chose it, registered a day apart."""
    yesil = district()
    organisation = make_organisation(district=yesil, name="Айгөлек", languages=["kk"])
    group = make_group(organisation=organisation, name="Балапан")
    start = timezone.now() - dt.timedelta(days=30)
    applications = [
        make_application(district=yesil, registered_at=start + dt.timedelta(days=i), preferences=[organisation]) for i in range(3)
    ]
    return {"district": yesil, "group": group, "applications": applications, "officer": make_officer(yesil)}


def new_context(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB", base_url=live_server.url)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    context.set_default_timeout(15_000)
    return context


def staff_sign_in(page, user, next_url: str) -> None:
    page.goto(f"/staff/signin/?next={next_url}")
    page.get_by_label("Login").fill(user.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def parent_sign_in(page, sms_file, phone: str) -> None:
    page.goto("/kindergarten/offers/")
    expect(page).to_have_url(re.compile(r"/signin/\?next="))
    page.get_by_label("Mobile phone number").fill(phone)
    page.get_by_role("button", name="Send me a code").click()
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    code_field.fill(sms_code(sms_file, phone))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Offers and referrals")).to_be_visible()


def test_a_round_runs_end_to_end_and_anyone_can_rerun_it(page, browser, live_server, sms_file, queue, tmp_path):
    first, second, third = queue["applications"]
    group, officer = queue["group"], queue["officer"]
    age_group = first.age_group
    now = timezone.localtime()

    # The officer creates the round: it runs a little over the 24-hour notice from now.
    staff = new_context(browser, live_server)
    desk = staff.new_page()
    staff_sign_in(desk, officer, "/rounds/officer/")
    desk.get_by_label("Title").fill("Summer 2026")
    desk.get_by_label("Policy").select_option("queue")
    desk.get_by_label("Ties within a class go to").select_option("registered_at")
    desk.get_by_label("Runs at").fill((now + dt.timedelta(hours=25)).strftime(LOCAL))
    desk.get_by_label("Offer phase ends at").fill((now + dt.timedelta(days=5)).strftime(LOCAL))
    desk.get_by_label("Free places open to all at").fill((now + dt.timedelta(days=6)).strftime(LOCAL))
    desk.get_by_role("button", name="Create the round").click()
    expect(desk.get_by_role("heading", name="Summer 2026")).to_be_visible()
    round = Round.objects.get(title="Summer 2026")

    # Two places in the group, then the announcement: the places and the seed commitment go public.
    desk.get_by_label("Group", exact=True).select_option(str(group.pk))
    desk.get_by_label("Age group", exact=True).fill(str(age_group))
    desk.get_by_role("spinbutton", name="Places").fill("2")
    desk.get_by_label("Place frees up on", exact=True).fill("2026-09-01")
    desk.get_by_role("button", name="Save the places").click()
    expect(desk.get_by_text("The places are saved.")).to_be_visible()
    desk.get_by_role("button", name="Announce the round").click()
    expect(desk.get_by_text("The round is announced")).to_be_visible()
    round.refresh_from_db()
    assert round.status == "announced" and len(round.seed_commitment) == 64
    screenshot(desk, "round-announced")

    # Time travel, honestly: the round was announced 25 hours ago and its time to run has come. Both
    # timestamps move together, so the notice the officer gave stays exactly what the rules demand.
    shift = round.runs_at - (timezone.now() - dt.timedelta(minutes=1))
    Round.objects.filter(pk=round.pk).update(runs_at=round.runs_at - shift, announced_at=round.announced_at - shift)

    desk.reload()
    desk.get_by_role("button", name="Run the round").click()
    expect(desk.get_by_text("The run is queued")).to_be_visible()
    # The worker takes the queued run (what `kezek worker` does every two seconds); the page's htmx progress
    # bar shows it done.
    assert run_until_idle(["rounds.run_requested"]) == 1
    expect(desk.get_by_text("The round ran. Its input and result are published")).to_be_visible()
    round.refresh_from_db()
    assert round.status == "ran" and round.seed_revealed
    screenshot(desk, "round-ran")
    staff.close()

    # Queue order: the two earliest children have the two places.
    offers = {o.application_id: o for o in Offer.objects.filter(round=round)}
    assert set(offers) == {first.pk, second.pk}
    assert RoundPlace.objects.get(round=round).taken == 2

    # The first parent accepts in the cabinet and gets the referral.
    parent_sign_in(page, sms_file, first.applicant.person.phone)
    card = page.locator(f"[data-offer='{offers[first.pk].pk}']")
    expect(card).to_contain_text("Айгөлек")
    card.get_by_role("link", name="Accept").click()
    page.get_by_role("button", name="Yes, accept").click()
    expect(page.get_by_role("heading", name="Referral to a kindergarten")).to_be_visible()
    screenshot(page, "round-referral")
    assert Offer.objects.get(pk=offers[first.pk].pk).status == "accepted"

    # The second parent lets the deadline pass: it is moved into the past, and one pass of the worker's
    # task expires the offer and passes the place to the next child in the round's stored order.
    Offer.objects.filter(pk=offers[second.pk].pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    assert run_until_idle(["placements.expire_offers"]) >= 1
    expired = Offer.objects.get(pk=offers[second.pk].pk)
    assert (expired.status, expired.passed_on) == ("expired", True)
    assert Application.objects.get(pk=second.pk).status == "inactive"
    assert OutboxMessage.objects.filter(idempotency_key=f"placements:offer:{expired.pk}:expired").exists()
    moved = Offer.objects.get(application=third, round=round)
    assert (moved.status, moved.source, moved.place_id) == ("open", "next_in_line", expired.place_id)
    assert RoundPlace.objects.get(round=round).taken == 2

    # The worker announces the open-to-all moment at once; the free places are counted when the offer phase ends.
    assert run_until_idle(["placements.open_to_all"]) == 1

    # The public page: the places as published, the commitment and the revealed seed that matches it,
    # the downloads and how to re-run the allocation.
    public = new_context(browser, live_server)
    visitor = public.new_page()
    visitor.goto(f"/rounds/{round.code}/")
    expect(visitor.get_by_role("heading", name="Summer 2026")).to_be_visible()
    places = visitor.locator("section", has=visitor.get_by_role("heading", name="Published places"))
    expect(places.get_by_role("heading", name="Айгөлек")).to_be_visible()
    expect(places.get_by_role("row", name=re.compile(rf"Балапан .* {age_group} 2 01\.09\.2026"))).to_be_visible()
    assert lottery.check_commitment(round.seed_hex, round.seed_commitment)
    expect(visitor.get_by_text(round.seed_commitment, exact=True)).to_be_visible()
    expect(visitor.get_by_text(round.seed_hex, exact=True)).to_be_visible()
    open_to_all = visitor.locator("section", has=visitor.get_by_role("heading", name="Free places open to all"))
    expect(open_to_all).to_contain_text(timezone.localtime(round.open_to_all_at).strftime("%d.%m.%Y %H:%M"))
    expect(open_to_all.get_by_role("link", name="Waiting room")).to_be_visible()
    expect(visitor.get_by_role("heading", name="Check it yourself")).to_be_visible()
    expect(visitor.get_by_text("--reproducible && cmp mine.json round-result.json")).to_be_visible()
    screenshot(visitor, "round-public")

    downloads = {}
    for name in ("round-input.json", "round-result.json"):
        with visitor.expect_download() as info:
            visitor.get_by_role("link", name=name).click()
        path = tmp_path / name
        info.value.save_as(path)
        downloads[name] = path
    public.close()

    # Anyone can re-run it: `kezek allocate` on the downloaded input gives the downloaded result, byte for byte.
    mine = tmp_path / "mine.json"
    subprocess.run([*kezek_command(), "allocate", str(downloads["round-input.json"]), str(mine), "--reproducible"],
                   check=True, capture_output=True, timeout=120)
    assert mine.read_bytes() == downloads["round-result.json"].read_bytes()
