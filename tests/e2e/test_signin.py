"""End to end in a real browser: a parent signs in by SMS code, switches to Kazakh and signs out;
an officer signs in and opens the back office; the pages fit a phone screen."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import kezek.notifications.tasks  # noqa: F401  (registers notifications.deliver_outbox)
from kezek.core.worker import run_until_idle
from tests.conftest import read_sms
from tests.factories.accounts import STAFF_PASSWORD, make_adult_person, make_officer

pytestmark = pytest.mark.e2e

CODE = re.compile(r"\b(\d{6})\b")


def registry_parent_with_child():
    """An adult in the registry with a mobile number, legal representative of a four-year-old."""
    from kezek.domain.iin import build_iin
    from kezek.people.models import LegalRepresentation, Person

    parent = make_adult_person()
    birth = dt.date(2021, 3, 1)
    serial = 0
    while (iin := build_iin(birth, "F", serial)) is None or Person.objects.filter(iin=iin).exists():
        serial += 1
    child = Person.objects.create(
        iin=iin, last_name="Ахметова", first_name="Аяла", birth_date=birth, sex="F"
    )
    LegalRepresentation.objects.create(representative=parent, child=child)
    return parent


def sms_code(sms_file: Path, phone: str) -> str:
    run_until_idle(["notifications.deliver_outbox"])
    texts = [m["text"] for m in read_sms(sms_file) if m["to"] == phone]
    assert texts, f"no SMS reached {phone}"
    return CODE.search(texts[-1]).group(1)


def test_parent_signs_in_with_the_sms_code_switches_to_kazakh_and_signs_out(page, sms_file):
    parent = registry_parent_with_child()

    page.goto("/")
    page.get_by_role("link", name="Sign in with an SMS code").click()
    expect(page).to_have_url(re.compile(r"/signin/$"))
    page.get_by_label("Mobile phone number").fill(parent.phone)
    page.get_by_role("button", name="Send me a code").click()

    # htmx swaps step 2 in without leaving the page.
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    expect(page.get_by_text("If this number is registered, we have sent a 6-digit code")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/signin/$"))
    expect(code_field).to_be_focused()
    screenshot(page, "signin-code")

    code_field.fill(sms_code(sms_file, parent.phone))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    expect(page.get_by_text(parent.full_name)).to_be_visible()
    expect(page.get_by_text("this device")).to_be_visible()

    page.get_by_role("button", name="Қазақша").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", name="Жеке кабинет", level=1)).to_be_visible()
    expect(page.get_by_text("осы құрылғы")).to_be_visible()
    screenshot(page, "account-kk")

    page.get_by_role("button", name="Шығу").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("link", name="SMS-кодпен кіру")).to_be_visible()
    expect(page.get_by_role("button", name="Шығу")).to_have_count(0)
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/account/$"))


def test_officer_signs_in_and_opens_the_back_office(page):
    officer = make_officer()
    officer.is_staff = True
    officer.save()

    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/staff/signin/\?next=%2Fadmin%2F$"))
    page.get_by_label("Login").fill(officer.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("link", name="Kezek back office")).to_be_visible()
    expect(page).to_have_title(re.compile("Kezek back office"))
    screenshot(page, "admin")


def test_wrong_code_is_announced_next_to_the_field(page, sms_file):
    parent = make_adult_person()
    page.goto("/signin/")
    page.get_by_label("Mobile phone number").fill(parent.phone)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Code from the SMS")).to_be_visible()
    right = sms_code(sms_file, parent.phone)
    page.get_by_label("Code from the SMS").fill(f"{(int(right) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The code is wrong or has expired.")
    expect(page.get_by_label("Code from the SMS")).to_have_attribute("aria-invalid", "true")


@pytest.mark.parametrize("path", ["/", "/signin/", "/staff/signin/"])
def test_pages_fit_a_phone_and_start_with_a_skip_link(page, path):
    page.goto(path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways on a 390px-wide phone"
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Shift+Tab")
    screenshot(page, path.strip("/").replace("/", "-") or "home")


def screenshot(page, name: str) -> None:
    """Keep a phone-sized picture of the page for a human to look at, when KEZEK_SCREENSHOT_DIR is set."""
    if directory := os.environ.get("KEZEK_SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(directory) / f"kezek-{name}-390.png"), full_page=True)
