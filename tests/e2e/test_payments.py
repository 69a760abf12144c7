"""End to end in a real browser: a parent contests a day of last month's attendance sheet; the district officer
generates the kindergarten's statement for that month, which excludes the contested day, approves and locks it,
and adds an adjustment line with a reason; the provider's staff see the locked statement and download its CSV."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kezek.domain.payments import DEFAULT_KINDERGARTEN_MONTHLY_VALUE, line_amount, previous_month
from kezek.payments.models import Statement, StatementLine
from tests.e2e.test_attendance import _parent_signs_in, _staff_signs_in
from tests.e2e.test_signin import screenshot
from tests.factories.accounts import make_officer, make_provider_staff
from tests.factories.attendance import make_month_of_attendance, make_roster, make_sheet
from tests.factories.organisations import make_group

pytestmark = pytest.mark.e2e


def _sign_out(page, live_server) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


def test_a_contested_day_is_excluded_from_the_months_statement(page, sms_file, live_server):
    group = make_group(name="Айгөлек")
    organisation = group.organisation
    ((parent, child),) = make_roster(group, children=1)
    month = previous_month(timezone.localdate())
    child.kindergarten_enrolments.update(started_on=month - dt.timedelta(days=30))
    sessions = make_month_of_attendance(group, month=month)
    make_sheet(child, group, month=month, deadline=timezone.now() + dt.timedelta(days=5))
    contested = sessions[2]

    # The parent contests one day of the month.
    _parent_signs_in(page, sms_file, parent)
    page.goto("/attendance/sheets/")
    page.get_by_role("link", name=re.compile(str(month.year))).click()
    page.locator(f"#day-{contested.pk}").check()
    page.get_by_label("Why do you contest the ticked days?").fill("He was at his grandmother's")
    page.get_by_role("button", name="Contest the ticked days").click()
    expect(page.get_by_text("The days are contested")).to_be_visible()

    # The district officer generates the provider's statement for that month.
    _sign_out(page, live_server)
    officer = make_officer(organisation.district)
    _staff_signs_in(page, officer, "/payments/")
    expect(page.get_by_role("heading", name="Payment statements")).to_be_visible()
    page.get_by_label("Provider").select_option(str(organisation.pk))
    page.get_by_label("Month", exact=True).last.fill(f"{month:%Y-%m}")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("The draft statement is generated from the attendance.")).to_be_visible()

    row = page.get_by_test_id(f"line-{child.pk}-{group.pk}")
    paid = len(sessions) - 1
    amount = line_amount(rule="monthly_prorated", monthly_value=DEFAULT_KINDERGARTEN_MONTHLY_VALUE,
                         planned_sessions=len(sessions), paid_sessions=paid)
    cells = row.locator("td")
    expect(cells.nth(2)).to_have_text(str(len(sessions)))
    expect(cells.nth(3)).to_have_text(str(paid))
    expect(cells.nth(4)).to_have_text("1")  # the contested day, excluded until resolved
    expect(row).to_contain_text(str(amount))
    expect(page.get_by_test_id("total")).to_have_text(str(amount))
    screenshot(page, "payments-draft")

    # Approved: locked; a correction is a new line with a reason.
    page.get_by_role("button", name="Approve and lock").click()
    expect(page.get_by_test_id("status")).to_contain_text("approved and locked")
    expect(page.get_by_role("button", name="Regenerate from attendance")).to_have_count(0)
    page.get_by_label("Amount, tenge").fill("-1000")
    page.get_by_label("Reason").fill("A public holiday was marked as a session")
    page.get_by_role("button", name="Add the adjustment").click()
    expect(page.locator("#adjustments")).to_contain_text("A public holiday was marked as a session")
    expect(page.get_by_test_id("total")).to_have_text(str(amount - 1000))
    statement = Statement.objects.get(organisation=organisation, month=month)
    assert statement.status == "approved"
    assert StatementLine.objects.get(statement=statement, kind="attendance").contested == 1

    # The provider's staff see it locked and download the CSV.
    _sign_out(page, live_server)
    _staff_signs_in(page, make_provider_staff(organisation), "/payments/")
    page.get_by_role("link", name=f"{month:%m.%Y}").click()
    expect(page.get_by_test_id("status")).to_contain_text("approved and locked")
    expect(page.get_by_role("button", name="Approve and lock")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    content = open(download.value.path(), encoding="utf-8-sig").read()
    assert "He was at his grandmother's" not in content and str(amount) in content and "-1000.00" in content
    screenshot(page, "payments-approved")
