"""The payment pages, the API and the exports: provider and officer views, late statements, approve and adjust,
CSV and PDF content, refusals for another provider and another district; and the worker's idempotent drafts."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import json
import re
import zlib

import pytest
from django.utils import timezone

from kezek.core.worker import run_until_idle
from kezek.payments.models import Statement, StatementLine
from kezek.payments.services import statement_approve, statement_generate, statements_draft_last_month
from tests.factories.accounts import make_parent, make_provider_staff
from tests.factories.attendance import make_mark, make_sheet
from tests.factories.organisations import make_organisation
from tests.factories.people import make_person
from tests.integration.payments.conftest import client_for, last_month


def text(response) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def statements_table(response) -> str:
    page = response.content.decode()
    return text(type(response)(page[page.index('id="statements"'):page.index("</table>")]))


def post_json(client, path, data=None):
    return client.post(path, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def statement(kindergarten):
    # A name that starts like a spreadsheet formula.
    child = make_person(birth_date=dt.date(2021, 3, 1), last_name="=Серікова", first_name="Айдана")
    for session in kindergarten.sessions[:3]:
        make_mark(session, child, marked_by=kindergarten.staff)
    make_sheet(child, kindergarten.group, month=last_month(), status="confirmed")
    return statement_generate(organisation=kindergarten.organisation, month=last_month())


def test_provider_sees_their_statement_and_exports_it(kindergarten, statement):
    client = client_for(kindergarten.staff)
    page = text(client.get("/payments/"))
    assert "Балбөбек" in page and "45000.00" in page
    detail = client.get(f"/payments/{statement.pk}/")
    assert detail.status_code == 200
    body = text(detail)
    assert "=Серікова Айдана" in body and "45000.00" in body and "Approve and lock" not in body
    # Provider staff cannot approve.
    refused = client.post(f"/payments/{statement.pk}/", {"action": "approve"})
    assert refused.status_code == 404 and Statement.objects.get(pk=statement.pk).status == "draft"

    exported = client.get(f"/payments/{statement.pk}/statement.csv")
    assert exported["Content-Type"].startswith("text/csv") and "attachment" in exported["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    header = dict(r for r in rows if len(r) == 2)
    assert header["Total due, tenge"] == "45000.00" and header["Payment due by"] == statement.due_on.strftime("%d.%m.%Y")
    table = rows[rows.index([]) + 1:]
    assert table[0][:4] == ["Line", "Kind", "Child's IIN", "Child"]
    (line,) = table[1:]
    assert line[3] == "'=Серікова Айдана"  # shown as text by spreadsheets, never run as a formula
    assert line[5:8] == ["4", "3", "1"] and line[13] == "45000.00"

    pdf = client.get(f"/payments/{statement.pk}/statement.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf.content, re.S)
    assert any(b"Tj" in zlib.decompress(s) or b"TJ" in zlib.decompress(s) for s in streams if s[:1] == b"x")


def test_other_providers_and_districts_are_refused(kindergarten, statement, other_district_officer):
    stranger = make_provider_staff(make_organisation())
    for user in (stranger, other_district_officer):
        client = client_for(user)
        assert client.get(f"/payments/{statement.pk}/").status_code == 404
        assert client.get(f"/payments/{statement.pk}/statement.csv").status_code == 404
        assert client.get(f"/payments/{statement.pk}/statement.pdf").status_code == 404
        assert "Балбөбек" not in text(client.get("/payments/"))
        api = client.get(f"/api/v1/payments/statements/{statement.pk}")
        assert api.status_code == 403 and api.json()["code"] == "out_of_scope"
    assert client_for(other_district_officer).post(f"/payments/{statement.pk}/", {"action": "approve"}).status_code == 404
    approve = post_json(client_for(other_district_officer), f"/api/v1/payments/statements/{statement.pk}/approve")
    assert approve.status_code == 403
    assert client_for(make_parent()).get("/payments/").status_code == 403
    assert Statement.objects.get(pk=statement.pk).status == "draft"


def test_officer_approves_and_adjusts_on_the_page(kindergarten, statement):
    client = client_for(kindergarten.officer)
    assert "Approve and lock" in text(client.get(f"/payments/{statement.pk}/"))
    response = client.post(f"/payments/{statement.pk}/", {"action": "approve"})
    assert response.status_code == 302
    assert Statement.objects.get(pk=statement.pk).status == "approved"
    page = text(client.get(f"/payments/{statement.pk}/"))
    assert "approved and locked" in page and "Add an adjustment" in page and "Regenerate" not in page
    bad = client.post(f"/payments/{statement.pk}/", {"action": "adjust", "amount": "abc", "reason": "Typo"})
    assert bad.status_code == 422 and "non-zero number of tenge" in text(bad)
    regenerate = client.post(f"/payments/{statement.pk}/", {"action": "regenerate"})
    assert regenerate.status_code == 422 and "approved and locked" in text(regenerate)
    line = StatementLine.objects.get(statement=statement)
    ok = client.post(f"/payments/{statement.pk}/", {"action": "adjust", "amount": "-450", "reason": "Holiday", "line": line.pk})
    assert ok.status_code == 302
    page = text(client.get(f"/payments/{statement.pk}/"))
    assert "-450.00" in page and "Holiday" in page and "44550.00" in page


def test_officer_generates_a_draft_and_sees_late_statements(kindergarten, club):
    client = client_for(kindergarten.officer)
    month = f"{last_month():%Y-%m}"
    bad = client.post("/payments/", {"organisation": kindergarten.organisation.pk, "month": "2099-01"})
    assert bad.status_code == 422 and "must have ended" in text(bad)
    made = client.post("/payments/", {"organisation": club.organisation.pk, "month": month})
    assert made.status_code == 302
    statement = Statement.objects.get(organisation=club.organisation)
    Statement.objects.filter(pk=statement.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    page = client.get("/payments/")
    assert "Statements past their payment due date and not approved: 1." in text(page) and 'class="is-late"' in page.content.decode()
    on_time = statement_generate(organisation=kindergarten.organisation, month=last_month())
    Statement.objects.filter(pk=on_time.pk).update(due_on=timezone.localdate() + dt.timedelta(days=1))
    late = statements_table(client.get("/payments/", {"late": "1"}))
    assert club.organisation.name in late and kindergarten.organisation.name not in late
    assert kindergarten.organisation.name in statements_table(client.get("/payments/"))
    assert text(client.get("/payments/", {"month": "garbage"})).count("must be written as YYYY-MM") == 1
    api = client.get("/api/v1/payments/statements", {"late": "true"}).json()
    assert [s["id"] for s in api] == [statement.pk] and api[0]["late"] is True


def test_api_flow(kindergarten, statement):
    officer = client_for(kindergarten.officer)
    listed = officer.get("/api/v1/payments/statements", {"month": f"{last_month():%Y-%m}"}).json()
    assert [s["id"] for s in listed] == [statement.pk] and listed[0]["total"] == "45000.00"
    bad_month = officer.get("/api/v1/payments/statements", {"month": "13-2020"})
    assert bad_month.status_code == 422 and bad_month.json()["code"] == "invalid_month"
    detail = officer.get(f"/api/v1/payments/statements/{statement.pk}").json()
    assert detail["lines"][0]["paid"] == 3 and detail["status"] == "draft"
    early = post_json(officer, f"/api/v1/payments/statements/{statement.pk}/adjustments", {"amount": "5", "reason": "x"})
    assert early.status_code == 409 and early.json()["code"] == "adjustment_on_draft"
    again = post_json(officer, "/api/v1/payments/statements",
                      {"organisation_id": kindergarten.organisation.pk, "month": f"{last_month():%Y-%m}"})
    assert again.status_code == 201 and again.json()["id"] == statement.pk
    missing = post_json(officer, "/api/v1/payments/statements", {"organisation_id": 10**9, "month": f"{last_month():%Y-%m}"})
    assert missing.status_code == 404 and missing.json()["code"] == "provider_not_found"
    assert post_json(officer, f"/api/v1/payments/statements/{statement.pk}/regenerate").status_code == 200
    approved = post_json(officer, f"/api/v1/payments/statements/{statement.pk}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved" and approved.json()["intact"]
    locked = post_json(officer, f"/api/v1/payments/statements/{statement.pk}/regenerate")
    assert locked.status_code == 409 and locked.json()["code"] == "statement_locked"
    added = post_json(officer, f"/api/v1/payments/statements/{statement.pk}/adjustments",
                      {"amount": "-100.25", "reason": "Correction"})
    assert added.status_code == 201 and added.json()["amount"] == "-100.25"
    assert officer.get(f"/api/v1/payments/statements/{statement.pk}").json()["total"] == "44899.75"
    exported = officer.get(f"/api/v1/payments/statements/{statement.pk}/csv")
    assert exported.status_code == 200 and "Correction" in exported.content.decode()
    provider = client_for(kindergarten.staff)
    assert [s["id"] for s in provider.get("/api/v1/payments/statements").json()] == [statement.pk]
    refused = post_json(provider, f"/api/v1/payments/statements/{statement.pk}/adjustments", {"amount": "5", "reason": "x"})
    assert refused.status_code == 403 and refused.json()["code"] == "role_required"
    assert provider.get("/api/v1/payments/statements/999999").status_code == 404


def test_worker_drafts_last_month_once_a_day_and_never_touches_approved(kindergarten, club):
    child = kindergarten.child()
    make_mark(kindergarten.sessions[0], child, marked_by=kindergarten.staff)
    assert run_until_idle(["payments.draft_last_month"]) == 2
    assert statements_draft_last_month() == 0
    statements = {s.organisation_id: s for s in Statement.objects.all()}
    assert set(statements) == {kindergarten.organisation.pk, club.organisation.pk}
    yesterday = timezone.now() - dt.timedelta(days=1)
    Statement.objects.update(generated_at=yesterday)
    statement_approve(actor=kindergarten.officer, statement_id=statements[kindergarten.organisation.pk].pk)
    assert statements_draft_last_month() == 1
    assert Statement.objects.get(organisation=club.organisation).generated_at > yesterday
    assert StatementLine.objects.get(statement__organisation=kindergarten.organisation).child == child
