"""kezek.core.uploads: a document stored on a full disk fails cleanly (507 storage_full), leaving no file and no row.

The private media folder is a real 1 MB tmpfs filled until 16 KB are left (tests/fakes/full_disk.py), so the write starts and then
runs out of space, as on a full production disk. Mounting needs root; elsewhere these tests are skipped
(the fault suite's tests/faults/test_disk_full.py covers the same through gunicorn).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kezek.appeals.models import Appeal, AppealDocument
from kezek.appeals.services.appeals import appeal_file
from kezek.applications.services.claims import claim_document_upload
from kezek.audit.models import AuditEvent
from kezek.core.uploads import StorageFull
from tests.factories.applications import make_application, make_claim
from tests.fakes.full_disk import documents_in, full_tmpfs

pytestmark = pytest.mark.django_db

BIG_PDF = b"%PDF-1.7\n" + b"0" * (200 * 1024) + b"\n%%EOF\n"
SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def full_media(settings, tmp_path: Path) -> Iterator[Path]:
    """MEDIA_ROOT on a 1 MB tmpfs with only 16 KB left."""
    root = tmp_path / "private"
    root.mkdir()
    with full_tmpfs(root) as mounted:
        settings.MEDIA_ROOT = mounted
        yield mounted


def pdf(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("scan.pdf", content, content_type="application/pdf")


def test_a_benefit_document_on_a_full_disk_leaves_nothing_and_works_once_there_is_space(full_media):
    claim = make_claim(make_application(district="astana-yesil"), kind="large_family")
    parent = claim.application.applicant
    with pytest.raises(StorageFull):
        claim_document_upload(actor=parent, claim_id=claim.pk, uploaded_file=pdf(BIG_PDF))
    claim.refresh_from_db()
    assert (claim.document.name, claim.document_sha256, claim.document_size) == ("", "", None)
    assert documents_in(full_media) == []
    assert not AuditEvent.objects.filter(action="applications.claim.document_upload").exists()

    (full_media / "filler").unlink()
    claim_document_upload(actor=parent, claim_id=claim.pk, uploaded_file=pdf(BIG_PDF))
    claim.refresh_from_db()
    [stored] = documents_in(full_media)
    assert claim.document.path == str(stored) and stored.read_bytes() == BIG_PDF


def test_an_appeal_whose_second_document_does_not_fit_saves_neither(full_media):
    application = make_application(status="withdrawn")
    with pytest.raises(StorageFull):
        appeal_file(actor=application.applicant, kind="lost_place", subject_kind="application", subject_id=application.pk,
                    text="The site lost my place.", documents=[pdf(SMALL_PDF), pdf(BIG_PDF)])
    assert not Appeal.objects.exists() and not AppealDocument.objects.exists()
    assert documents_in(full_media) == []


def test_the_api_answers_507_storage_full(full_media):
    claim = make_claim(make_application(district="astana-yesil"), kind="large_family")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(claim.application.applicant)
    response = client.post(f"/api/v1/applications/claims/{claim.pk}/document", {"file": pdf(BIG_PDF)})
    assert response.status_code == 507, response.content
    problem = json.loads(response.content)
    assert (problem["code"], problem["status"]) == ("storage_full", 507)
    assert problem["title"] == "The document could not be stored: our file storage is full."
    assert documents_in(full_media) == []


def test_the_openapi_document_names_507_on_operations_that_take_a_file():
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    upload = paths["/api/v1/applications/claims/{claim_id}/document"]["post"]["responses"]
    assert "storage_full" in upload["507"]["description"]
    assert "507" not in paths["/api/v1/applications/{application_id}/claims"]["post"]["responses"]
