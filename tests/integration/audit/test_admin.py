"""The audit trail in the back office: administrators read it; nobody edits it; officers do not see it."""

from __future__ import annotations

import pytest

from kezek.audit.models import AuditEvent
from tests.factories.accounts import make_admin, make_officer
from tests.factories.audit import audit_events_record

pytestmark = pytest.mark.django_db

LIST = "/admin/audit/auditevent/"


def test_admin_reads_filters_and_searches_the_trail(client):
    audit_events_record(3)
    audit_events_record(1, action="other.action")
    client.force_login(make_admin())
    page = client.get(LIST)
    assert page.status_code == 200
    # Signing in is audited too, so count only this test's events.
    assert page.context["cl"].result_count == AuditEvent.objects.count() >= 4
    filtered = client.get(LIST, {"action": "other.action"})
    assert [e.action for e in filtered.context["cl"].result_list] == ["other.action"]
    found = client.get(LIST, {"q": "2", "object_type": "test.thing"})
    assert [e.object_id for e in found.context["cl"].result_list] == ["2"]
    by_type = client.get(LIST, {"object_type": "test.thing"})
    assert by_type.context["cl"].result_count == 4
    event = AuditEvent.objects.get(seq=1)
    detail = client.get(f"{LIST}{event.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content


def test_admin_cannot_add_change_or_delete(client):
    audit_events_record(1)
    event = AuditEvent.objects.get(seq=1)
    client.force_login(make_admin())
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}{event.pk}/change/", {"action": "forged"}).status_code == 403
    assert client.post(f"{LIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = client.post(LIST, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert bulk.status_code in (200, 302, 403)
    assert AuditEvent.objects.get(seq=1).action == "test.thing.changed"
    assert AuditEvent.objects.filter(action="test.thing.changed").count() == 1


def test_officer_does_not_see_the_trail(client):
    audit_events_record(1)
    officer = make_officer()
    officer.is_staff = True
    officer.save(update_fields=["is_staff"])
    client.force_login(officer)
    assert client.get(LIST).status_code == 403
    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/audit/" not in index.content
