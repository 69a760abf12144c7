"""End to end in a real browser: the public dashboard in each language, switching region, and a round's
published data downloaded from it and re-run with ``kezek allocate`` to the same result, byte for byte."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from kezek.rounds.services import round_announce
from tests.e2e.test_rounds import new_context
from tests.e2e.test_signin import screenshot
from tests.factories.applications import make_application
from tests.factories.rounds import DEFAULT_AGE_GROUP, add_place, make_round, run_round
from tests.subprocesses import kezek_command

pytestmark = pytest.mark.e2e


@pytest.fixture
def ran_round():
    round = make_round(policy="match", tie_break="lottery")
    place = add_place(round, places=2)
    start = timezone.now() - dt.timedelta(days=20)
    for i in range(6):
        make_application(
            district=round.district, registered_at=start + dt.timedelta(hours=i), preferences=[place.group.organisation],
            child_birth_date=dt.date(DEFAULT_AGE_GROUP, 3, 1),
        )
    round = round_announce(officer=round.created_by, round=round)
    run_round(round)
    cache.clear()
    return round


def test_dashboard_in_each_language_region_switch_and_round_rerun(browser, live_server, ran_round, tmp_path):
    context = new_context(browser, live_server)
    page = context.new_page()

    page.goto("/transparency/")
    expect(page.get_by_role("heading", level=1, name="Public dashboard: Astana")).to_be_visible()
    expect(page.get_by_role("table", name="Kindergarten queue by district")).to_be_visible()
    rounds = page.locator("section", has=page.get_by_role("heading", name="Kindergarten allocation rounds"))
    expect(rounds.get_by_role("link", name=ran_round.title)).to_be_visible()
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming openings"))
    expect(upcoming).to_contain_text("Free kindergarten places open to all")
    screenshot(page, "dashboard-en")

    # The language links work without JavaScript or a form: each one reloads the page in that language.
    page.get_by_role("link", name="Қазақша").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Астана")
    page.get_by_role("link", name="Русский").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # Another region: its own figures, no rounds there.
    page.get_by_label("Region").select_option("almaty-city")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1, name="Public dashboard: Almaty")).to_be_visible()
    expect(page.get_by_text("No rounds have been announced in this region yet.")).to_be_visible()

    # Back to Astana, into the round, and download what it published.
    page.get_by_label("Region").select_option("astana")
    page.get_by_role("button", name="Show").click()
    page.locator("section", has=page.get_by_role("heading", name="Kindergarten allocation rounds")).get_by_role(
        "link", name=ran_round.title
    ).click()
    downloads = {}
    for name in ("round-input.json", "round-result.json"):
        with page.expect_download() as info:
            page.get_by_role("link", name=name).click()
        downloads[name] = tmp_path / name
        info.value.save_as(downloads[name])
    context.close()

    mine = tmp_path / "mine.json"
    subprocess.run([*kezek_command(), "allocate", str(downloads["round-input.json"]), str(mine), "--reproducible"],
                   check=True, capture_output=True, timeout=120)
    assert mine.read_bytes() == downloads["round-result.json"].read_bytes()
