"""Benefit documents: type from content, size limit, private storage, who may download, the officer's review."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from kezek.accounts.permissions import RoleRequired
from kezek.applications.errors import ClaimNotFound, ClaimNotPending, DocumentNotFound
from kezek.applications.models import BenefitClaim, RegionQueueRules
from kezek.applications.selectors.claims import claim_document_for_user, claims_waiting_review
from kezek.applications.services.claims import claim_document_upload
from kezek.domain.documents import DocumentEmpty, DocumentTooLarge, DocumentTypeNotAllowed
from kezek.domain.queue import PriorityClass
from tests.factories.accounts import make_officer, make_parent
from tests.factories.applications import make_application, make_claim
from tests.factories.geo import district

pytestmark = pytest.mark.django_db

MB5 = 5 * 1024 * 1024
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
RANDOM_NAME = re.compile(r"^benefit-documents/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png)$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(claim, content: bytes, name: str = "scan.pdf", content_type: str = "application/pdf", actor=None):
    actor = actor or claim.application.applicant
    return claim_document_upload(actor=actor, claim_id=claim.pk, uploaded_file=SimpleUploadedFile(name, content, content_type))


@pytest.fixture
def claim():
    return make_claim(make_application(district="astana-yesil"), kind="large_family")


# --- upload rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "error"),
    [
        (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 20, "photo.gif", DocumentTypeNotAllowed),
        (b"PK\x03\x04" + b"\x00" * 40, "certificate.docx", DocumentTypeNotAllowed),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100, "certificate.pdf", DocumentTypeNotAllowed),
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 100, "certificate.pdf", DocumentTypeNotAllowed),
        (b"#!/bin/sh\necho pwned\n", "certificate.pdf", DocumentTypeNotAllowed),
        (b"", "certificate.pdf", DocumentEmpty),
        (b"%PDF-1.7\n" + b"0" * (MB5 + 1 - 9), "big.pdf", DocumentTooLarge),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_saved(claim, media, content, name, error):
    with pytest.raises(error) as exc:
        upload(claim, content, name=name)
    claim.refresh_from_db()
    assert (claim.document.name, claim.document_sha256, claim.document_size) == ("", "", None)
    assert files_in(media) == []
    if error is DocumentTooLarge:
        assert "5 MB" in str(exc.value)
    if error is DocumentTypeNotAllowed:
        assert "PDF, JPEG or PNG" in str(exc.value)


def test_exactly_5_mb_is_accepted(claim, media):
    content = b"%PDF-1.7\n" + b"0" * (MB5 - 9)
    upload(claim, content)
    claim.refresh_from_db()
    assert claim.document_size == MB5
    assert len(files_in(media)) == 1


def test_the_regions_size_limit_applies(claim, media):
    RegionQueueRules.objects.create(region=claim.application.district.region, document_max_bytes=1024)
    with pytest.raises(DocumentTooLarge):
        upload(claim, b"%PDF-1.7\n" + b"0" * 2000)
    assert files_in(media) == []


@pytest.mark.parametrize(
    ("content", "content_type", "extension"), [(PDF, "application/pdf", "pdf"), (JPEG, "image/jpeg", "jpg"), (PNG, "image/png", "png")]
)
def test_valid_documents_are_stored_privately_under_a_random_name(claim, media, content, content_type, extension):
    # The declared type and the name are the user's; the stored type comes from the content.
    stored = upload(claim, content, name="../../Айгерим passport.exe", content_type="application/octet-stream")
    assert RANDOM_NAME.match(stored.document.name), stored.document.name
    assert stored.document.name.endswith(f".{extension}")
    assert "passport" not in stored.document.name
    (path,) = files_in(media)
    assert path == Path(stored.document.path)
    assert path.read_bytes() == content
    claim.refresh_from_db()
    assert claim.document_content_type == content_type
    assert claim.document_size == len(content)
    assert claim.document_sha256 == hashlib.sha256(content).hexdigest()


def test_a_new_upload_replaces_the_previous_file(claim, media, django_capture_on_commit_callbacks):
    first = upload(claim, PDF).document.path
    with django_capture_on_commit_callbacks(execute=True):
        second = upload(claim, PNG).document.path
    assert first != second
    assert files_in(media) == [Path(second)]


def test_only_the_applicant_uploads_and_only_while_pending(claim, media):
    with pytest.raises(ClaimNotFound):
        upload(claim, PDF, actor=make_parent())
    with pytest.raises(ClaimNotFound):
        upload(claim, PDF, actor=make_officer(district("astana-yesil")))
    BenefitClaim.objects.filter(pk=claim.pk).update(status="rejected")
    with pytest.raises(ClaimNotPending):
        upload(claim, PDF)
    assert files_in(media) == []


def test_media_root_is_outside_the_web_root_and_not_served(claim):
    from config import settings as project

    media, static = Path(project.MEDIA_ROOT).resolve(), Path(project.STATIC_ROOT).resolve()
    assert not media.is_relative_to(static) and not static.is_relative_to(media)
    stored = upload(claim, PDF).document.name
    c = Client()
    c.force_login(claim.application.applicant)
    # No URL maps to the stored files: only the permission-checked download view serves them.
    for url in (f"/{stored}", f"/media/{stored}", f"/static/{stored}", f"/static/../private/{stored}"):
        assert c.get(url).status_code == 404, url


# --- who may download ---------------------------------------------------------------------------


def test_download_permissions(claim):
    stored = upload(claim, PDF)
    url = reverse("applications:claim-document", kwargs={"claim_id": claim.pk})
    assert url == f"/kindergarten/claims/{claim.pk}/document/file"

    for outsider in (make_parent(), make_officer(district("astana-baikonur"))):
        c = Client()
        c.force_login(outsider)
        assert c.get(url).status_code == 404
        with pytest.raises(ClaimNotFound):
            claim_document_for_user(user=outsider, claim_id=claim.pk)

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/signin" in anonymous["Location"]

    for reader in (claim.application.applicant, make_officer(district("astana-yesil"))):
        c = Client()
        c.force_login(reader)
        response = c.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert f"benefit-document-{claim.pk}.pdf" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    assert claim_document_for_user(user=claim.application.applicant, claim_id=claim.pk)[0] == stored.document.path


def test_download_without_a_document_is_404(claim):
    c = Client()
    c.force_login(claim.application.applicant)
    assert c.get(reverse("applications:claim-document", kwargs={"claim_id": claim.pk})).status_code == 404
    with pytest.raises(DocumentNotFound):
        claim_document_for_user(user=claim.application.applicant, claim_id=claim.pk)


# --- the officer's list -------------------------------------------------------------------------


def test_waiting_review_lists_the_officers_district_oldest_first():
    yesil, baikonur = district("astana-yesil"), district("astana-baikonur")
    older = make_claim(make_application(district=yesil), kind="teacher")
    newer = make_claim(make_application(district=yesil), kind="orphan")
    BenefitClaim.objects.filter(pk=older.pk).update(submitted_at=newer.submitted_at.replace(year=newer.submitted_at.year - 1))
    no_document = make_claim(make_application(district=yesil), kind="orphan")
    elsewhere = make_claim(make_application(district=baikonur), kind="teacher")
    for c in (newer, older, elsewhere):
        upload(c, PDF)
    officer = make_officer(yesil)
    assert [c.pk for c in claims_waiting_review(user=officer)] == [older.pk, newer.pk]
    assert no_document.pk not in [c.pk for c in claims_waiting_review(user=officer)]
    assert [c.pk for c in claims_waiting_review(user=make_officer(baikonur))] == [elsewhere.pk]
    with pytest.raises(RoleRequired):
        claims_waiting_review(user=older.application.applicant)


# --- pages --------------------------------------------------------------------------------------


def test_parent_uploads_through_the_page_and_sees_errors(claim, media):
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(claim.application.applicant)
    url = reverse("applications:claim-upload", kwargs={"claim_id": claim.pk})
    assert url == f"/kindergarten/claims/{claim.pk}/document/"
    page = c.get(url)
    assert page.status_code == 200 and b'enctype="multipart/form-data"' in page.content

    bad = c.post(url, {"document": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"\x00" * 50)})
    assert bad.status_code == 422
    assert "PDF, JPEG or PNG" in bad.content.decode()
    assert files_in(media) == []

    good = c.post(url, {"document": SimpleUploadedFile("scan.png", PNG)})
    assert good.status_code == 302
    claim.refresh_from_db()
    assert claim.document_content_type == "image/png"

    other = Client()
    other.force_login(make_parent())
    assert other.get(url).status_code == 404


def test_parent_claims_a_right_through_the_page():
    app = make_application()
    c = Client()
    c.force_login(app.applicant)
    url = reverse("applications:claim-add", kwargs={"application_id": app.pk})
    assert c.get(url).status_code == 200
    response = c.post(url, {"kind": "military"})
    claim = BenefitClaim.objects.get(application=app, kind="military")
    assert response.status_code == 302 and response["Location"] == reverse("applications:claim-upload", kwargs={"claim_id": claim.pk})
    again = c.post(url, {"kind": "military"})
    assert again.status_code == 422
    other = Client()
    other.force_login(make_parent())
    assert other.post(url, {"kind": "teacher"}).status_code == 404


def test_officer_reviews_documents_on_the_page(claim):
    upload(claim, PDF)
    officer = make_officer(district("astana-yesil"))
    c = Client(enforce_csrf_checks=True)
    c.force_login(officer)
    page = c.get(reverse("applications:officer-documents"))
    assert page.status_code == 200
    assert reverse("applications:claim-document", kwargs={"claim_id": claim.pk}) in page.content.decode()
    decide = reverse("applications:claim-decide", kwargs={"claim_id": claim.pk})
    assert c.post(decide, {"decision": "verify"}).status_code == 403  # no CSRF token

    token = c.cookies["csrftoken"].value
    missing_reason = c.post(decide, {"decision": "reject", "reason": "", "csrfmiddlewaretoken": token})
    assert missing_reason.status_code == 422
    assert BenefitClaim.objects.get(pk=claim.pk).status == "pending"

    done = c.post(decide, {"decision": "verify", "csrfmiddlewaretoken": token})
    assert done.status_code == 302
    assert BenefitClaim.objects.get(pk=claim.pk).status == "verified"
    claim.application.refresh_from_db()
    assert claim.application.priority_class == PriorityClass.FIRST
    assert f'id="claim-{claim.pk}"' not in c.get(reverse("applications:officer-documents")).content.decode()


def test_officer_finds_a_right_false_on_the_page(claim):
    upload(claim, PDF)
    c = Client()
    c.force_login(make_officer(district("astana-yesil")))
    response = c.post(
        reverse("applications:claim-decide", kwargs={"claim_id": claim.pk}),
        {"decision": "reject", "reason": "Forged", "found_false": "on"},
    )
    assert response.status_code == 302
    assert BenefitClaim.objects.get(pk=claim.pk).status == "false"


def test_parent_cannot_open_the_officer_pages(claim):
    c = Client()
    c.force_login(claim.application.applicant)
    assert c.get(reverse("applications:officer-documents")).status_code == 403
    upload(claim, PDF)
    decide = reverse("applications:claim-decide", kwargs={"claim_id": claim.pk})
    assert c.post(decide, {"decision": "verify"}).status_code == 403
    officer_elsewhere = Client()
    officer_elsewhere.force_login(make_officer(district("astana-baikonur")))
    assert officer_elsewhere.post(decide, {"decision": "verify"}).status_code == 403
    assert BenefitClaim.objects.get(pk=claim.pk).status == "pending"


# --- API ----------------------------------------------------------------------------------------


def test_api_claim_upload_verify_and_waiting_list(media):
    app = make_application(district="astana-yesil")
    parent = Client()
    parent.force_login(app.applicant)
    created = parent.post(f"/api/v1/applications/{app.pk}/claims", {"kind": "military"}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["priority_class"], body["has_document"]) == ("pending", 0, False)
    assert body["confirm_by"]
    claim_id = body["id"]

    bad = parent.post(f"/api/v1/applications/claims/{claim_id}/document", {"file": SimpleUploadedFile("x.pdf", b"\x7fELF" + b"\x00" * 40)})
    assert bad.status_code == 422
    assert bad.json()["code"] == "document_type_not_allowed"
    assert files_in(media) == []
    big = parent.post(
        f"/api/v1/applications/claims/{claim_id}/document", {"file": SimpleUploadedFile("x.pdf", b"%PDF-" + b"0" * MB5)}
    )
    assert (big.status_code, big.json()["code"]) == (422, "document_too_large")
    assert files_in(media) == []

    ok = parent.post(f"/api/v1/applications/claims/{claim_id}/document", {"file": SimpleUploadedFile("x.pdf", PDF)})
    assert ok.status_code == 200 and ok.json()["document_content_type"] == "application/pdf"

    outsider = Client()
    outsider.force_login(make_officer(district("astana-baikonur")))
    assert outsider.get("/api/v1/applications/claims/waiting").json() == []
    assert outsider.post(f"/api/v1/applications/claims/{claim_id}/verify", {}, content_type="application/json").status_code == 403

    officer = Client()
    officer.force_login(make_officer(district("astana-yesil")))
    waiting = officer.get("/api/v1/applications/claims/waiting")
    assert [c["id"] for c in waiting.json()] == [claim_id]
    assert parent.get("/api/v1/applications/claims/waiting").status_code == 403

    no_reason = officer.post(f"/api/v1/applications/claims/{claim_id}/reject", {"reason": " "}, content_type="application/json")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    verified = officer.post(f"/api/v1/applications/claims/{claim_id}/verify", {}, content_type="application/json")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    again = officer.post(f"/api/v1/applications/claims/{claim_id}/reject", {"reason": "x"}, content_type="application/json")
    assert (again.status_code, again.json()["code"]) == (409, "claim_not_pending")


def test_api_requires_sign_in_and_hides_other_parents_applications():
    app = make_application()
    assert Client().post(f"/api/v1/applications/{app.pk}/claims", {"kind": "teacher"}, content_type="application/json").status_code == 401
    other = Client()
    other.force_login(make_parent())
    response = other.post(f"/api/v1/applications/{app.pk}/claims", {"kind": "teacher"}, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (404, "application_not_found")
    unknown = other.post(f"/api/v1/applications/{app.pk}/claims", {"kind": "x" * 40}, content_type="application/json")
    assert unknown.status_code == 422
    assert not BenefitClaim.objects.filter(application=app).exists()
