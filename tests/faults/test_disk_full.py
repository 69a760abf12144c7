"""(e) The uploads' disk is full: a clear, translated error, nothing half-saved; once space is freed the upload works.

The private media directory (``KEZEK_PRIVATE_MEDIA_ROOT``) is a 1 MB tmpfs, filled until a few pages are
left, so the upload starts writing and then runs out of space. The API answers 507 Insufficient Storage
(``storage_full``): the request was valid and the service is up, only storing the file is impossible now,
so 503 (the whole service down, which load balancers act on) and 4xx (the client's fault) would both
mislead; the page shows the same message as a form error. No benefit-claim row points at a file, no
(partial) file is left, no audit event claims an upload. After the filler is removed, the same upload
succeeds. Needs root (``mount -t tmpfs``); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from tests.fakes.full_disk import documents_in, full_tmpfs
from tests.faults.conftest import FaultDb, bench

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" + b"0" * (300 * 1024) + b"\n%%EOF\n"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "private"
    mount.mkdir()
    with full_tmpfs(mount) as mounted:
        yield mounted


def files_in(mount: Path) -> list[str]:
    return [str(p.relative_to(mount)) for p in documents_in(mount)]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    for name, (filename, content, content_type) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post(url: str, body: bytes, content_type: str, cookie: str, csrf: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": content_type, "Cookie": cookie, "X-CSRFToken": csrf, "Accept-Language": "en",
        "Referer": url,
    })
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, dict(answer.headers), answer.read()


def test_upload_to_a_full_disk(fault_db: FaultDb, small_disk: Path, tmp_path: Path):
    started = time.monotonic()
    seeded = fault_db.stage("seed_document_claim")
    claim_id = seeded["claim_id"]
    env = fault_db.env(KEZEK_PRIVATE_MEDIA_ROOT=str(small_disk))
    with bench.Gunicorn(bench.GunicornConfig(workers=1), env, log_path=tmp_path / "gunicorn.log") as server:
        with urllib.request.urlopen(server.base_url + "/api/v1/auth/csrf", timeout=10) as answer:
            csrf = json.loads(answer.read())["csrf_token"]
        cookie = f"sessionid={seeded['session']}; csrftoken={csrf}"
        api_url = f"{server.base_url}/api/v1/applications/claims/{claim_id}/document"
        page_url = server.base_url + reverse("applications:claim-upload", kwargs={"claim_id": claim_id})

        def upload_api() -> tuple[int, dict[str, str], bytes]:
            return post(api_url, *multipart({}, {"file": ("scan.pdf", PDF, "application/pdf")}), cookie, csrf)

        def upload_page() -> tuple[int, dict[str, str], bytes]:
            body, content_type = multipart({"csrfmiddlewaretoken": csrf}, {"document": ("scan.pdf", PDF, "application/pdf")})
            return post(page_url, body, content_type, cookie, csrf)

        filler = small_disk / "filler"
        free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
        status, headers, body = upload_api()
        assert status == 507, body[:1000]
        problem = json.loads(body)
        assert headers["Content-Type"] == "application/problem+json"
        assert problem["code"] == "storage_full"
        assert problem["title"] == "The document could not be stored: our file storage is full."
        assert problem["detail"].startswith("Nothing was saved.")

        status, _, body = upload_page()
        assert status == 422 and b"our file storage is full" in body, body[-2000:]

        def nothing_saved() -> None:
            assert files_in(small_disk) == []  # no partial file
            assert fault_db.query("SELECT document, document_sha256, document_size FROM applications_benefitclaim "
                                  "WHERE id = %s", [claim_id]) == [("", "", None)]
            assert fault_db.scalar("SELECT count(*) FROM audit_auditevent WHERE action = 'applications.claim.document_upload'") == 0

        nothing_saved()
        filler.unlink()
        status, _, body = upload_api()
        assert status == 200, body[:1000]
        [stored] = files_in(small_disk)
        assert (small_disk / stored).read_bytes() == PDF
        assert fault_db.query("SELECT document, document_size FROM applications_benefitclaim WHERE id = %s",
                              [claim_id]) == [(stored, len(PDF))]
        assert fault_db.scalar("SELECT count(*) FROM audit_auditevent WHERE action = 'applications.claim.document_upload'") == 1
    print(f"\n[faults] disk full: uploads on a 1 MB tmpfs with {free // 1024} KB free, a {len(PDF) // 1024} KB PDF: "
          f"API 507 storage_full, page form error, no file and no row; after freeing space the same upload 200; "
          f"{time.monotonic() - started:.1f} s")
