"""End to end in a real browser: staff mark a roster on a phone (one tap each, a tap made offline and sent when the
network is back, then "All present"); a parent checks in with the section's QR link and an old link is refused;
a parent contests a day of last month's sheet."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from kezek.attendance.models import CheckIn, ContestedDay, Mark, Session
from kezek.domain.attendance import previous_month, qr_code, qr_key
from tests.e2e.conftest import MOBILE
from tests.e2e.test_signin import screenshot, sms_code
from tests.factories.accounts import STAFF_PASSWORD, make_provider_staff
from tests.factories.attendance import make_month_of_attendance, make_roster, make_sheet
from tests.factories.organisations import make_group

pytestmark = pytest.mark.e2e


def _staff_signs_in(page, staff, next_path: str) -> None:
    page.goto(f"/staff/signin/?next={next_path}")
    page.get_by_label("Login").fill(staff.username)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _parent_signs_in(page, sms_file, parent) -> None:
    page.goto("/signin/")
    page.get_by_label("Mobile phone number").fill(parent.person.phone)
    page.get_by_role("button", name="Send me a code").click()
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    code_field.fill(sms_code(sms_file, parent.person.phone))
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/$"))


def _row(page, child):
    return page.locator(f'.att-toggle[data-child="{child.pk}"]')


def test_staff_mark_a_roster_with_one_tap_offline_and_all_present(page):
    group = make_group(name="Күншуақ")
    families = make_roster(group, children=3)
    staff = make_provider_staff(group.organisation)
    (_, first), (_, second), (_, third) = families

    _staff_signs_in(page, staff, "/attendance/")
    page.get_by_role("button", name="Start today's session").click()
    expect(page.get_by_role("heading", name="Күншуақ")).to_be_visible()
    session = Session.objects.get(group=group)
    sync = page.get_by_test_id("sync-status")

    # One tap: present, saved at once.
    _row(page, first).click()
    expect(_row(page, first)).to_have_attribute("data-status", "present")
    expect(sync).to_have_text("All marks are saved.")
    assert Mark.objects.get(session=session, child=first).status == "present"

    # No network: the tap is kept on the phone and sent when the network returns, once.
    page.context.set_offline(True)
    _row(page, second).click()
    expect(_row(page, second)).to_have_text(re.compile("Present"))
    expect(sync).to_contain_text("Marks waiting to be sent: 1")
    screenshot(page, "attendance-offline")
    assert not Mark.objects.filter(session=session, child=second).exists()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(sync).to_have_text("All marks are saved.", timeout=20_000)
    assert Mark.objects.get(session=session, child=second).status == "present"

    # A second tap on the same child toggles to absent; "All present" marks everyone present.
    _row(page, first).click()
    expect(_row(page, first)).to_have_attribute("data-status", "absent")
    expect(sync).to_have_text("All marks are saved.")
    page.get_by_role("button", name="All present").click()
    expect(sync).to_have_text("All marks are saved.")
    for child in (first, second, third):
        expect(_row(page, child)).to_have_attribute("data-status", "present")
    assert list(Mark.objects.filter(session=session).values_list("status", flat=True)) == ["present"] * 3
    screenshot(page, "attendance-roster")

    # After a reload the page shows what the server has.
    page.reload()
    expect(_row(page, third)).to_have_attribute("data-status", "present")
    assert Mark.objects.filter(session=session).count() == 3


def test_a_parent_checks_in_with_the_qr_link_and_an_old_link_is_refused(page, browser, live_server, sms_file):
    group = make_group(name="Жұлдыз")
    (parent, child), _ = make_roster(group, children=2)
    staff = make_provider_staff(group.organisation)

    parent_context = browser.new_context(viewport=MOBILE, locale="en-GB", base_url=live_server.url)
    parent_context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    phone = parent_context.new_page()
    try:
        _parent_signs_in(phone, sms_file, parent)

        _staff_signs_in(page, staff, "/attendance/")
        page.get_by_role("button", name="Start today's session").click()
        page.get_by_role("link", name="Show the parents' check-in code").click()
        qr = page.get_by_test_id("checkin-qr")
        expect(qr.locator("svg")).to_be_visible()
        screenshot(page, "attendance-qr")
        url = qr.get_attribute("data-url")
        session_id, window, code = re.search(r"/attendance/checkin/(\d+)/(\d+)/(\w+)/$", url).groups()

        # A link from a photo taken a few minutes ago is refused with a clear message.
        old = int(window) - 10
        old_code = qr_code(key=qr_key(settings.SECRET_KEY), session_id=int(session_id), window=old)
        phone.goto(f"/attendance/checkin/{session_id}/{old}/{old_code}/")
        expect(phone.get_by_role("alert")).to_contain_text("This check-in code has expired")
        phone.goto(f"/attendance/checkin/{session_id}/{window}/0000000000/")
        expect(phone.get_by_role("alert")).to_contain_text("This check-in code is not valid.")
        phone.goto(url.replace(live_server.url, ""))
        phone.get_by_role("button", name="Check in").click()
        expect(phone.get_by_text(f"Checked in: {child.first_name}.")).to_be_visible()
        assert CheckIn.objects.filter(session_id=session_id, child=child, parent=parent).exists()
        assert Mark.objects.get(session_id=session_id, child=child).status == "present"

        # The staff's roster shows the parent's check-in.
        page.goto(f"/attendance/sessions/{session_id}/")
        expect(_row(page, child)).to_contain_text("checked in by the parent")
    finally:
        parent_context.close()


def test_a_parent_contests_a_day_of_last_months_sheet(page, sms_file):
    group = make_group(name="Айгөлек")
    ((parent, child),) = make_roster(group, children=1)
    month = previous_month(timezone.localdate())
    child.kindergarten_enrolments.update(started_on=month - dt.timedelta(days=30))
    sessions = make_month_of_attendance(group, month=month)
    sheet = make_sheet(child, group, month=month, deadline=timezone.now() + dt.timedelta(days=5))
    contested = sessions[1]

    _parent_signs_in(page, sms_file, parent)
    page.goto("/attendance/sheets/")
    page.get_by_role("link", name=re.compile(str(month.year))).click()
    expect(page.get_by_role("heading", name=re.compile("Attendance in"))).to_be_visible()
    page.locator(f"#day-{contested.pk}").check()
    page.get_by_label("Why do you contest the ticked days?").fill("She was ill at home that day")
    page.get_by_role("button", name="Contest the ticked days").click()
    expect(page.get_by_text("The days are contested")).to_be_visible()
    expect(page.get_by_text("under review")).to_be_visible()
    screenshot(page, "attendance-sheet")
    day = ContestedDay.objects.get(sheet=sheet)
    assert (day.session, day.reason, day.status) == (contested, "She was ill at home that day", "open")
