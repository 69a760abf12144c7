"""Retention: with time moved past each period the worker's purge removes sessions, sign-in codes, old messages and
decided documents' files, and anonymises parents gone quiet with nothing live; each pass is audited; 0 keeps."""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage
from django.utils import timezone

from kezek.accounts.models import OtpChallenge, User, UserSession
from kezek.audit.models import AuditEvent
from kezek.core.worker import TASKS, run_until_idle
from kezek.domain.privacy import is_placeholder_iin
from kezek.notifications.models import OutboxMessage
from kezek.privacy.services import retention_purge
from tests.integration.privacy.conftest import live_application


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_nothing_is_purged_before_its_period(family):
    assert retention_purge(now=timezone.now() + _days(1) - dt.timedelta(minutes=1)) == 0
    assert UserSession.objects.count() == 1 and OutboxMessage.objects.count() == 1
    assert default_storage.exists(family.claim.document.name)
    assert not AuditEvent.objects.filter(action="privacy.retention.purge").exists()


def test_each_kind_goes_after_its_own_period(family, settings, django_capture_on_commit_callbacks):
    settings.KEZEK_RETENTION_DAYS_INACTIVE_PEOPLE = 0  # kept for ever here; the next test moves past it
    now = timezone.now()
    retention_purge(now=now + _days(2))
    assert not OtpChallenge.objects.exists() and UserSession.objects.count() == 1
    retention_purge(now=now + _days(181))
    assert not UserSession.objects.exists() and OutboxMessage.objects.count() == 1
    retention_purge(now=now + _days(366))
    assert not OutboxMessage.objects.exists() and default_storage.exists(family.claim.document.name)
    claim_file, appeal_file = family.claim.document.name, family.appeal_document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        retention_purge(now=now + _days(3 * 365 + 1))
    assert not default_storage.exists(claim_file) and not default_storage.exists(appeal_file)
    family.claim.refresh_from_db()
    assert family.claim.document.name == "" and family.claim.document_sha256 == "a" * 64
    purged = {e.object_id: e.after["count"] for e in AuditEvent.objects.filter(action="privacy.retention.purge")}
    assert purged == {"sign_in_codes": 1, "sessions": 1, "notifications": 1, "documents": 2}
    family.parent.refresh_from_db()
    assert not is_placeholder_iin(family.parent.iin)


def test_quiet_parents_are_anonymised_unless_something_is_live(family, settings):
    later = timezone.now() + _days(5 * 365 + 1)
    application = live_application(family)
    retention_purge(now=later)
    family.parent.refresh_from_db()
    assert not is_placeholder_iin(family.parent.iin)  # the open application keeps them
    application.status = "withdrawn"
    application.save(update_fields=["status"])
    retention_purge(now=later)
    family.parent.refresh_from_db()
    family.child.refresh_from_db()
    assert is_placeholder_iin(family.parent.iin) and is_placeholder_iin(family.child.iin)
    assert not User.objects.get(pk=family.account.pk).is_active
    event = AuditEvent.objects.get(action="privacy.person.anonymise")
    assert event.actor_id is None and event.after["reason"].startswith("retention: no activity since")


def test_zero_keeps_for_ever(family, settings):
    for name in ("SESSIONS", "OTP", "NOTIFICATIONS", "DOCUMENTS_AFTER_DECISION", "INACTIVE_PEOPLE"):
        setattr(settings, f"KEZEK_RETENTION_DAYS_{name}", 0)
    assert retention_purge(now=timezone.now() + _days(100 * 365)) == 0
    assert UserSession.objects.count() == 1 and OtpChallenge.objects.count() == 1


def test_purges_run_in_batches_through_the_worker(family, settings):
    settings.KEZEK_RETENTION_BATCH = 1
    for n in range(3):
        UserSession.objects.create(user=family.account, session_key=f"old-{n}", last_seen_at=timezone.now() - _days(200))
    assert "privacy.retention_purge" in TASKS
    assert run_until_idle(["privacy.retention_purge"]) >= 3
    assert list(UserSession.objects.values_list("session_key", flat=True)) == ["privacy-test-session"]
    assert AuditEvent.objects.filter(action="privacy.retention.purge", object_id="sessions").count() == 3
