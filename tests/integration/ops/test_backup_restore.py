"""scripts/backup.sh and scripts/restore.sh, run for real: back up committed data, restore it into a new database.

The data is committed (``transaction=True``) so that pg_dump, run as a subprocess, sees it. The restore goes
into ``<test database>_restore``, which is dropped before and after each test. PostgreSQL only: the scripts
back up PostgreSQL (pg_dump), so they run in the PostgreSQL pass.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from kezek.accounts.models import User
from kezek.applications.models import Application, ApplicationPreference, BenefitClaim
from kezek.applications.services.claims import claim_document_upload
from kezek.audit.models import AuditEvent
from kezek.audit.selectors import audit_checkpoints, checkpoint_record
from kezek.audit.services import audit_checkpoint_publish
from kezek.notifications.models import OutboxMessage
from kezek.people.models import Person
from tests.factories.applications import make_claim, submit_application
from tests.factories.audit import sql
from tests.subprocesses import subprocess_database_url

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SCRIPTS = Path(settings.BASE_DIR) / "scripts"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
KEY_MODELS = (User, Person, Application, ApplicationPreference, BenefitClaim, AuditEvent, OutboxMessage)


def run_script(name: str, *args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "PYTHONDONTWRITEBYTECODE": "1"}
    for name_ in ("KEZEK_TEST_DB_NAME", "REDIS_URL", "KEZEK_BACKUP_DIR", "KEZEK_PRIVATE_MEDIA_ROOT"):
        env.pop(name_, None)
    return subprocess.run([str(SCRIPTS / name), *map(str, args)], env=env, cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=300)


def backup(media: Path, out: Path) -> Path:
    result = run_script("backup.sh", "--output", out, "--uploads", media)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def drop_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone()[0] == 1


def restored_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {m._meta.db_table: conn.execute(f"SELECT count(*) FROM {m._meta.db_table}").fetchone()[0] for m in KEY_MODELS}


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def restore_target():
    """(name, URL) of the database to restore into; it never outlives the test."""
    name = f"{settings.DATABASES['default']['NAME']}_restore"
    drop_database(name)
    yield name, subprocess_database_url().rsplit("/", 1)[0] + "/" + name
    drop_database(name)


def build_data() -> BenefitClaim:
    """Three real submissions (audited, with outbox messages) and a benefit claim with an uploaded PDF."""
    applications = [submit_application() for _ in range(3)]
    claim = make_claim(applications[0], kind="large_family")
    return claim_document_upload(actor=applications[0].applicant, claim_id=claim.pk,
                                 uploaded_file=SimpleUploadedFile("scan.pdf", PDF, "application/pdf"))


def test_backup_then_restore_gives_the_same_rows_documents_and_audit_chain(media, tmp_path, restore_target):
    claim = build_data()
    source_counts = {m._meta.db_table: m.objects.count() for m in KEY_MODELS}
    head = AuditEvent.objects.order_by("-seq").first()
    made = backup(media, tmp_path / "backups")
    assert sorted(p.name for p in made.iterdir()) == ["MANIFEST.sha256", "backup.info", "database.dump", "uploads.tar"]

    name, url = restore_target
    uploads = tmp_path / "restored-uploads"
    result = run_script("restore.sh", made, url, uploads)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("RESTORE OK")
    assert source_counts["applications_application"] == 3 and source_counts["applications_benefitclaim"] == 1
    assert restored_counts(url) == source_counts
    restored_document = uploads / claim.document.name
    assert restored_document.read_bytes() == PDF
    assert hashlib.sha256(restored_document.read_bytes()).hexdigest() == claim.document_sha256
    assert "documents:   OK: 1 document(s) referenced, 0 missing or changed" in result.stdout
    assert f"audit chain: OK: {AuditEvent.objects.count()} events, head {head.hash}" in result.stdout
    assert "migrations:  OK" in result.stdout


def test_restore_checks_published_checkpoints_and_counts_those_after_the_backup(media, tmp_path, restore_target):
    build_data()
    audit_checkpoint_publish()
    made = backup(media, tmp_path / "backups")
    submit_application()  # after the backup: its events and the next checkpoint are not in the backup
    later, _ = audit_checkpoint_publish()
    published = [checkpoint_record(c) for c in audit_checkpoints()]
    downloaded = tmp_path / "checkpoints.json"
    downloaded.write_text(json.dumps(published))
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps([{**published[0], "hash": "0" * 64}]))

    result = run_script("restore.sh", "--checkpoints", downloaded, made, restore_target[1], tmp_path / "uploads")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: all 1 checkpoints are on the chain" in result.stdout
    assert f"1 published checkpoint(s) lie beyond the restored chain (event {published[0]['seq'] + 1}), the first at seq {later.seq}" in result.stdout

    rewritten = run_script("restore.sh", "--force", "--checkpoints", forged, made, restore_target[1], tmp_path / "uploads")
    assert rewritten.returncode == 1
    assert f"CHECKPOINT FAILED: seq {published[0]['seq']}: expected {'0' * 64}" in rewritten.stdout
    assert rewritten.stdout.rstrip().endswith("RESTORE CHECKS FAILED: audit")


def test_restore_reports_a_missing_document_and_a_broken_audit_chain(media, tmp_path, restore_target):
    claim = build_data()
    (media / claim.document.name).unlink()
    sql("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 2")
    made = backup(media, tmp_path / "backups")

    result = run_script("restore.sh", made, restore_target[1], tmp_path / "restored-uploads")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "documents:   FAILED: 1 document(s) referenced, 1 missing or changed" in result.stdout
    assert f"applications.BenefitClaim {claim.pk}: {claim.document.name} is missing" in result.stdout
    assert "audit chain: BROKEN: event seq 2 was edited" in result.stdout
    assert result.stdout.rstrip().endswith("RESTORE CHECKS FAILED: documents audit")


def test_restore_refuses_a_non_empty_database_or_uploads_directory_without_force(media, tmp_path, restore_target):
    build_data()
    made = backup(media, tmp_path / "backups")
    name, url = restore_target
    first, second = tmp_path / "first-uploads", tmp_path / "second-uploads"
    assert run_script("restore.sh", made, url, first).returncode == 0

    refused_db = run_script("restore.sh", made, url, second)
    assert refused_db.returncode == 2
    assert f"database {name} is not empty" in refused_db.stderr and "without --force" in refused_db.stderr
    assert not second.exists(), "nothing may be changed before every check has passed"

    drop_database(name)
    refused_uploads = run_script("restore.sh", made, url, first)
    assert refused_uploads.returncode == 2
    assert f"uploads directory {first} is not empty" in refused_uploads.stderr
    assert not database_exists(name), "the database must not be created when the uploads directory is refused"


def test_restore_with_force_replaces_the_database_and_moves_old_documents_aside(media, tmp_path, restore_target):
    build_data()
    made = backup(media, tmp_path / "backups")
    name, url = restore_target
    uploads = tmp_path / "uploads"
    assert run_script("restore.sh", made, url, uploads).returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM applications_applicationpreference")
    (uploads / "stray.txt").write_text("left by someone")

    forced = run_script("restore.sh", "--force", made, url, uploads)

    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert restored_counts(url)["applications_applicationpreference"] == ApplicationPreference.objects.count() > 0
    assert not (uploads / "stray.txt").exists()
    (aside,) = tmp_path.glob("uploads.replaced-*")
    assert (aside / "stray.txt").read_text() == "left by someone"


def test_restore_refuses_a_damaged_backup(media, tmp_path, restore_target):
    build_data()
    made = backup(media, tmp_path / "backups")
    dump = made / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))

    result = run_script("restore.sh", made, restore_target[1], tmp_path / "uploads")

    assert result.returncode == 2
    assert "checksum mismatch" in result.stderr
    assert not database_exists(restore_target[0])


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run([str(SCRIPTS / "backup.sh"), "--output", str(tmp_path)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "DATABASE_URL is not PostgreSQL" in result.stderr
    assert list(tmp_path.iterdir()) == []
