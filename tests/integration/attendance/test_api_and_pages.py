"""The attendance API and pages: batches replayed over HTTP, check-in by the QR link, sheets, contests; bad input is a
clear error and never a 500."""

from __future__ import annotations

import datetime as dt
import json
import time

from django.conf import settings
from django.test import Client
from django.utils import timezone

from kezek.attendance.models import CheckIn, ContestedDay, Mark, MonthlySheet
from kezek.domain import attendance as rules
from tests.factories.attendance import make_mark, make_session, make_sheet


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def test_a_batch_sent_twice_over_the_api(session, staff, families):
    client = signed_in(staff)
    batch = {"marks": [{"client_mark_id": f"uuid-0000-000{i}", "session_id": session.pk, "child_id": c.pk,
                        "status": "present"} for i, (_, c) in enumerate(families)]}
    first = post(client, "/api/v1/attendance/marks", batch)
    assert first.status_code == 200
    assert [r["result"] for r in first.json()["results"]] == ["saved"] * 3
    again = post(client, "/api/v1/attendance/marks", batch).json()
    assert [r["result"] for r in again["results"]] == ["duplicate"] * 3
    assert Mark.objects.filter(session=session).count() == 3


def test_bad_batches_are_problems_not_500s(session, staff, families):
    client = signed_in(staff)
    bad = post(client, "/api/v1/attendance/marks", {"marks": [{"client_mark_id": "x", "session_id": session.pk,
                                                               "child_id": families[0][1].pk, "status": "present"}]})
    assert bad.status_code == 422 and bad.json()["code"] == "attendance_mark_invalid"
    assert post(client, "/api/v1/attendance/marks", {"marks": "nope"}).status_code == 422
    missing = post(client, "/api/v1/attendance/marks", {"marks": [{"client_mark_id": "tap-12345678", "session_id": 999999,
                                                                   "child_id": 1, "status": "present"}]})
    assert missing.status_code == 404
    assert Client(HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/attendance/marks", "{}", content_type="application/json").status_code == 401
    assert not Mark.objects.exists()


def test_roster_and_start_today_over_the_api(group, staff, families):
    client = signed_in(staff)
    started = client.post(f"/api/v1/attendance/groups/{group.pk}/sessions/today")
    assert started.status_code == 200
    body = client.get(f"/api/v1/attendance/groups/{group.pk}/roster").json()
    assert {c["id"] for c in body["children"]} == {c.pk for _, c in families}
    assert [s["id"] for s in body["sessions"]] == [started.json()["id"]]
    assert signed_in(families[0][0]).get(f"/api/v1/attendance/groups/{group.pk}/roster").status_code == 404


def test_checkin_over_the_api_refuses_an_old_code(session, families):
    client = signed_in(families[0][0])
    key = rules.qr_key(settings.SECRET_KEY)
    old = rules.qr_window(time.time()) - 3
    refused = post(client, "/api/v1/attendance/checkin",
                   {"session_id": session.pk, "window": old, "code": rules.qr_code(key=key, session_id=session.pk, window=old)})
    assert refused.status_code == 403 and refused.json()["code"] == "checkin_code_expired"
    now = rules.qr_window(time.time())
    done = post(client, "/api/v1/attendance/checkin",
                {"session_id": session.pk, "window": now, "code": rules.qr_code(key=key, session_id=session.pk, window=now)})
    assert done.status_code == 201 and done.json()["child_ids"] == [families[0][1].pk]


def test_staff_pages_roster_qr_and_no_script_marking(session, staff, families):
    client = signed_in(staff)
    home = client.get("/attendance/")
    assert home.status_code == 200 and session.group.name in home.content.decode()
    page = client.get(f"/attendance/sessions/{session.pk}/")
    assert page.status_code == 200 and families[0][1].full_name in page.content.decode()
    qr = client.get(f"/attendance/sessions/{session.pk}/qr/code/")
    assert qr.status_code == 200 and "<svg" in qr.content.decode()
    client.post(f"/attendance/sessions/{session.pk}/mark/", {"child": [c.pk for _, c in families], "status": "present"})
    assert Mark.objects.filter(session=session, status="present").count() == 3
    other = signed_in(families[0][0])
    assert other.get(f"/attendance/sessions/{session.pk}/").status_code == 403


def test_checkin_page_needs_a_fresh_scan(session, staff, families):
    parent, child = families[0]
    client = signed_in(parent)
    old = rules.qr_window(time.time()) - 5
    key = rules.qr_key(settings.SECRET_KEY)
    stale = client.get(f"/attendance/checkin/{session.pk}/{old}/{rules.qr_code(key=key, session_id=session.pk, window=old)}/")
    assert stale.status_code == 403 and "expired" in stale.content.decode()
    window = rules.qr_window(time.time())
    url = f"/attendance/checkin/{session.pk}/{window}/{rules.qr_code(key=key, session_id=session.pk, window=window)}/"
    assert client.post(url, {"child": [child.pk]}).status_code == 403  # no scan yet on this device
    assert client.get(url).status_code == 200
    assert client.post(url, {"child": [child.pk]}).status_code == 302
    assert CheckIn.objects.filter(session=session, child=child, parent=parent).exists()


def test_parent_sheet_page_contests_and_staff_resolve(group, session, staff, families):
    parent, child = families[0]
    make_mark(session, child, marked_by=staff)
    month = rules.month_start(session.date)
    sheet = make_sheet(child, group, month=month, deadline=timezone.now() + dt.timedelta(days=3))
    client = signed_in(parent)
    assert month.strftime("%Y") in client.get("/attendance/sheets/").content.decode()
    refused = client.post(f"/attendance/sheets/{sheet.pk}/", {"action": "contest", "session": [session.pk], "reason": ""})
    assert refused.status_code == 422
    client.post(f"/attendance/sheets/{sheet.pk}/", {"action": "contest", "session": [session.pk], "reason": "Ill"})
    contest = ContestedDay.objects.get(sheet=sheet)
    assert signed_in(families[1][0]).get(f"/attendance/sheets/{sheet.pk}/").status_code == 404
    staff_client = signed_in(staff)
    assert "Ill" in staff_client.get("/attendance/contests/").content.decode()
    staff_client.post("/attendance/contests/", {"contest": contest.pk, "decision": "upheld", "reason": "Confirmed"})
    contest.refresh_from_db()
    assert contest.status == "upheld"


def test_sheet_api_confirm(group, session, staff, families):
    parent, child = families[0]
    make_mark(session, child, marked_by=staff)
    sheet = make_sheet(child, group, month=rules.month_start(session.date), deadline=timezone.now() + dt.timedelta(days=3))
    client = signed_in(parent)
    listed = client.get("/api/v1/attendance/sheets").json()
    assert [s["id"] for s in listed] == [sheet.pk] and listed[0]["days"][0]["mark"] == "present"
    assert post(client, f"/api/v1/attendance/sheets/{sheet.pk}/confirm", {}).json()["status"] == "confirmed"
    again = post(client, f"/api/v1/attendance/sheets/{sheet.pk}/confirm", {})
    assert again.status_code == 409
    assert MonthlySheet.objects.get(pk=sheet.pk).status == "confirmed"
    contested = post(client, f"/api/v1/attendance/sheets/{sheet.pk}/contest", {"session_ids": [session.pk], "reason": "x"})
    assert contested.status_code == 409


def test_yesterdays_roster_asks_for_a_reason(group, staff, families):
    yesterday = make_session(group, day=timezone.localdate() - dt.timedelta(days=1))
    page = signed_in(staff).get(f"/attendance/sessions/{yesterday.pk}/").content.decode()
    assert 'id="att-reason"' in page
