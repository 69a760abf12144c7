"""The parent's data page and API, the erasure request an administrator carries out in the admin, the admin's own
export and anonymise actions, and ``kezek privacy-anonymise``."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from kezek.audit.models import AuditEvent
from kezek.domain.privacy import is_placeholder_iin
from kezek.privacy.models import ErasureRequest
from tests.factories.accounts import make_admin
from tests.integration.privacy.conftest import client_for, live_application


def test_parent_downloads_their_data_from_the_cabinet_and_the_api(family):
    client = client_for(family.account)
    account = client.get("/account/")
    assert "/account/privacy/" in account.content.decode()
    page = client.get("/account/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Download everything held about you" in page.content.decode()
    exported = client.get("/account/privacy/export.json")
    assert exported["Content-Disposition"].startswith("attachment") and exported["Cache-Control"] == "no-store"
    assert json.loads(exported.content)["subject"]["person"]["id"] == family.parent.pk
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/privacy/export.zip").content))
    assert "data.json" in archive.namelist() and len(archive.namelist()) == 3
    assert client.get("/account/privacy/export.exe").status_code == 404
    api = client.get("/api/v1/me/data-export")
    assert api.status_code == 200 and json.loads(api.content)["children"][0]["person"]["id"] == family.child.pk
    assert AuditEvent.objects.filter(action="privacy.person.export").count() == 3


def test_strangers_and_staff_get_no_export(family):
    assert Client().get("/api/v1/me/data-export").status_code == 401
    refused = client_for(family.officer).get("/api/v1/me/data-export")
    assert refused.status_code == 403 and refused.json()["code"] == "no_personal_record"
    assert client_for(family.staff).get("/account/privacy/").status_code == 403


def test_erasure_request_then_the_administrator_carries_it_out(family):
    client = client_for(family.account)
    missing_confirm = client.post("/account/privacy/", {"reason": "we moved abroad"}, HTTP_ACCEPT_LANGUAGE="en")
    assert missing_confirm.status_code == 200 and not ErasureRequest.objects.exists()
    sent = client.post("/account/privacy/", {"reason": "we moved abroad", "confirm": "on"})
    assert sent.status_code == 302
    request = ErasureRequest.objects.get()
    assert (request.person, request.status) == (family.parent, "open")
    again = client.post("/account/privacy/", {"reason": "again", "confirm": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "already asked" in again.content.decode() and ErasureRequest.objects.count() == 1

    admin_client = client_for(make_admin())
    application = live_application(family)
    blocked = admin_client.post("/admin/privacy/erasurerequest/", {"action": "carry_out", "_selected_action": [request.pk]},
                                follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert f"#{application.pk}" in blocked.content.decode()
    assert ErasureRequest.objects.get().status == "open"
    application.status = "withdrawn"
    application.save(update_fields=["status"])
    admin_client.post("/admin/privacy/erasurerequest/", {"action": "carry_out", "_selected_action": [request.pk]})
    assert ErasureRequest.objects.get().status == "done"
    family.parent.refresh_from_db()
    assert is_placeholder_iin(family.parent.iin)


def test_admin_person_actions_export_and_anonymise_with_a_reason(family):
    admin_client = client_for(make_admin())
    exported = admin_client.post("/admin/people/person/", {"action": "privacy_export", "_selected_action": [family.child.pk]})
    assert exported["Content-Type"] == "application/zip"
    asked = admin_client.post("/admin/people/person/", {"action": "privacy_anonymise", "_selected_action": [family.child.pk]})
    assert asked.status_code == 200 and b'name="reason"' in asked.content
    admin_client.post("/admin/people/person/", {"action": "privacy_anonymise", "_selected_action": [family.child.pk],
                                                 "apply": "1", "reason": "court order 12"})
    family.child.refresh_from_db()
    assert is_placeholder_iin(family.child.iin)
    assert AuditEvent.objects.get(action="privacy.person.anonymise").after["reason"] == "court order 12"


def test_officers_do_not_get_the_privacy_actions(family):
    page = client_for(family.officer).get("/admin/people/person/")
    assert page.status_code == 200 and b"privacy_anonymise" not in page.content


def test_the_console_command_refuses_live_records_and_is_idempotent(family):
    application = live_application(family)
    with pytest.raises(CommandError, match=f"#{application.pk}"):
        call_command("privacy-anonymise", person=family.parent.pk, reason="ticket 5")
    application.status = "withdrawn"
    application.save(update_fields=["status"])
    out = io.StringIO()
    call_command("privacy-anonymise", person=family.parent.pk, reason="ticket 5", stdout=out)
    assert f"Anonymised people {family.parent.pk}, {family.child.pk}." in out.getvalue()
    out = io.StringIO()
    call_command("privacy-anonymise", person=family.parent.pk, reason="ticket 5", stdout=out)
    assert "already anonymised" in out.getvalue()
    with pytest.raises(CommandError, match="no person"):
        call_command("privacy-anonymise", person=10**9, reason="x")
