"""The subject's export: everything about the parent and the child in one JSON document, the ZIP with the files,
secrets left out, an audit event for every export; only the person themselves or an administrator may export."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from django.db import transaction

from kezek.accounts.permissions import RoleRequired
from kezek.audit.models import AuditEvent
from kezek.audit.services import audit_record
from kezek.privacy.services import person_data_export
from tests.factories.accounts import make_admin


def test_export_gathers_the_person_their_child_and_every_record(family):
    with transaction.atomic():
        audit_record(actor=None, action="test.application.touched", obj=family.application)
        audit_record(actor=family.account, action="test.parent.acted", object_type="test.thing", object_id=1)
        audit_record(actor=None, action="test.unrelated", object_type="test.thing", object_id=2)
    data = json.loads(person_data_export(person=family.parent, requested_by=family.account))
    assert data["format"] == "kezek.person-data-export/1"
    assert data["subject"]["person"]["iin"] == family.parent.iin
    assert data["subject"]["account"]["username"] == family.account.username
    assert "password" not in data["subject"]["account"]
    assert [s["ip"] for s in data["subject"]["sessions"]] == ["10.0.0.1"]
    assert "session_key" not in data["subject"]["sessions"][0]
    (child,) = data["children"]
    assert child["person"]["iin"] == family.child.iin and [b["kind"] for b in child["benefits"]] == ["large_family"]
    records = data["records"]
    assert [a["id"] for a in records["applications"]] == [family.application.pk]
    assert "submission_key" not in records["applications"][0]
    assert [e["id"] for e in records["enrolments"]] == [family.enrolment.pk]
    assert len(records["attendance_marks"]) == 3 and len(records["attendance_months"]) == 1
    assert [a["id"] for a in records["appeals"]] == [family.appeal.pk]
    assert [line["statement_id"] for line in records["payment_statement_lines"]] == [family.statement.pk]
    assert {d["kind"] for d in data["documents"]} == {"benefit_claim", "appeal"}
    assert [n["body"] for n in data["notifications"]] == [f"{family.child.first_name}: ok"]
    assert len(data["sign_in_codes"]["requested_at"]) == 1
    audited = {e["action"] for e in data["audit_events"]}
    assert {"test.application.touched", "test.parent.acted"} <= audited and "test.unrelated" not in audited
    assert "payments.statement.approved" not in audited  # about the provider's statement, not about them
    event = AuditEvent.objects.filter(action="privacy.person.export").get()
    assert (event.actor_id, event.object_id) == (family.account.pk, str(family.parent.pk))


def test_the_zip_carries_the_json_and_the_documents_files(family):
    archive = zipfile.ZipFile(io.BytesIO(person_data_export(person=family.parent, requested_by=None, with_files=True)))
    names = archive.namelist()
    assert "data.json" in names
    assert f"documents/benefit_claim-{family.claim.pk}/{family.claim.document.name.rsplit('/', 1)[-1]}" in names
    assert any(n.startswith(f"documents/appeal-{family.appeal.pk}/") for n in names)
    assert archive.read(f"documents/benefit_claim-{family.claim.pk}/{family.claim.document.name.rsplit('/', 1)[-1]}").startswith(b"%PDF")


def test_only_the_subject_or_an_administrator_may_export(family):
    with pytest.raises(RoleRequired):
        person_data_export(person=family.parent, requested_by=family.officer)
    assert not AuditEvent.objects.filter(action="privacy.person.export").exists()
    person_data_export(person=family.child, requested_by=make_admin())
    assert AuditEvent.objects.filter(action="privacy.person.export", object_id=str(family.child.pk)).count() == 1
