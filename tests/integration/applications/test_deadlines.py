"""Extraordinary rights not confirmed within 5 working days fall back to the general queue."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

import kezek.applications.tasks  # noqa: F401  (registers applications.expire_extraordinary_claims)
from kezek.applications.models import ApplicationEvent, BenefitClaim
from kezek.applications.services.claims import claims_expire_due, extraordinary_confirm_by
from kezek.audit.models import AuditEvent
from kezek.core.worker import TASKS
from kezek.domain.queue import PriorityClass, QueueRules
from kezek.notifications.models import OutboxMessage
from tests.factories.applications import make_application, make_claim

ALMATY = ZoneInfo("Asia/Almaty")


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("claimed_at", "confirm_by"),
    [
        # Across Nauryz (21-25 March 2025): Tue 18, Wed 19, Thu 20, Wed 26, Thu 27 -> until the end of Thu 27.
        (local(2025, 3, 17, 15, 0), local(2025, 3, 28)),
        # Across New Year 2025 with Sunday 5 January worked: 31 Dec, 5, 6, 8, 9 Jan -> until the end of Thu 9.
        (local(2024, 12, 30, 9, 30), local(2025, 1, 10)),
        # Claimed on a holiday: Sun 5 (a working day), Mon 6, Wed 8, Thu 9, Fri 10.
        (local(2025, 1, 2, 12, 0), local(2025, 1, 11)),
        # Across 7-11 May 2026: Fri 8, Tue 12, Wed 13, Thu 14, Fri 15.
        (local(2026, 5, 6, 18, 0), local(2026, 5, 16)),
        # 20:00 UTC on Thu 20 March is already Fri 21 (Nauryz) in Almaty: counting starts after the 21st.
        (dt.datetime(2025, 3, 20, 20, 0, tzinfo=dt.UTC), local(2025, 4, 2)),
    ],
)
def test_confirm_by_is_the_end_of_the_fifth_kazakhstan_working_day(settings, claimed_at, confirm_by):
    assert settings.TIME_ZONE == "Asia/Almaty"
    assert extraordinary_confirm_by(claimed_at=claimed_at, rules=QueueRules()) == confirm_by


def test_confirm_by_follows_the_regions_number_of_days():
    rules = QueueRules(extraordinary_confirm_working_days=2)
    assert extraordinary_confirm_by(claimed_at=local(2025, 3, 19, 10, 0), rules=rules) == local(2025, 3, 27)


@pytest.mark.django_db
def test_unconfirmed_extraordinary_right_expires_keeping_the_registration_time():
    registered = local(2025, 3, 1, 10, 15)
    app = make_application(registered_at=registered, priority_class=PriorityClass.EXTRAORDINARY, notify_channel="sms")
    claimed_at = local(2025, 3, 17, 15, 0)
    claim = make_claim(
        app, kind="military", submitted_at=claimed_at,
        confirm_by=extraordinary_confirm_by(claimed_at=claimed_at, rules=QueueRules()),
    )

    # Still within the 5th working day (Thu 27 March, Nauryz skipped): nothing happens.
    assert claims_expire_due(now=local(2025, 3, 27, 23, 59)) == 0
    assert BenefitClaim.objects.get(pk=claim.pk).status == "pending"

    assert claims_expire_due(now=local(2025, 3, 28, 0, 0)) == 1

    claim.refresh_from_db()
    app.refresh_from_db()
    assert claim.status == "expired"
    assert app.priority_class == PriorityClass.GENERAL
    assert app.registered_at == registered
    events = list(ApplicationEvent.objects.filter(application=app).values_list("kind", flat=True))
    assert events == ["claim_expired", "class_changed"]
    actions = set(AuditEvent.objects.filter(object_id__in=[str(claim.pk), str(app.pk)]).values_list("action", flat=True))
    assert {"applications.claim.expire", "applications.application.class_changed"} <= actions
    message = OutboxMessage.objects.get(idempotency_key=f"claim:{claim.pk}:expired")
    assert (message.channel, message.recipient, message.template) == ("sms", app.phones[0], "claim_expired")
    assert str(app.queue_number) in message.body

    # Idempotent: a second run (or a second worker) finds nothing to do.
    assert claims_expire_due(now=local(2025, 3, 28, 0, 0)) == 0
    assert OutboxMessage.objects.filter(idempotency_key__startswith=f"claim:{claim.pk}:").count() == 1


@pytest.mark.django_db
def test_only_pending_extraordinary_rights_of_open_applications_expire():
    past = timezone.now() - dt.timedelta(minutes=1)
    app = make_application(priority_class=PriorityClass.EXTRAORDINARY)
    verified = make_claim(app, kind="military", status="verified", confirm_by=past)
    first = make_application()
    first_pending = make_claim(first, kind="large_family", confirm_by=past)
    withdrawn = make_application(status="withdrawn")
    withdrawn_claim = make_claim(withdrawn, kind="military", confirm_by=past)
    future = make_application(priority_class=PriorityClass.EXTRAORDINARY)
    not_yet = make_claim(future, kind="military", confirm_by=timezone.now() + dt.timedelta(days=1))

    assert claims_expire_due() == 0
    statuses = BenefitClaim.objects.filter(pk__in=[verified.pk, first_pending.pk, withdrawn_claim.pk, not_yet.pk])
    assert sorted(statuses.values_list("status", flat=True)) == ["pending", "pending", "pending", "verified"]


@pytest.mark.django_db
def test_the_periodic_task_expires_due_claims_and_the_email_channel_is_used():
    assert TASKS["applications.expire_extraordinary_claims"].every_seconds == 60
    app = make_application(priority_class=PriorityClass.EXTRAORDINARY, notify_channel="email", email="parent@example.kz")
    claim = make_claim(app, kind="military", confirm_by=timezone.now() - dt.timedelta(seconds=1))
    assert TASKS["applications.expire_extraordinary_claims"].func() == 1
    assert BenefitClaim.objects.get(pk=claim.pk).status == "expired"
    message = OutboxMessage.objects.get(idempotency_key=f"claim:{claim.pk}:expired")
    assert (message.channel, message.recipient) == ("email", "parent@example.kz")
    assert message.subject


@pytest.mark.django_db
def test_an_expired_right_keeps_a_second_extraordinary_claim_that_is_still_in_time():
    app = make_application(priority_class=PriorityClass.EXTRAORDINARY)
    make_claim(app, kind="military", confirm_by=timezone.now() - dt.timedelta(seconds=1))
    make_claim(app, kind="large_family", status="verified")
    assert claims_expire_due() == 1
    app.refresh_from_db()
    assert app.priority_class == PriorityClass.FIRST


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_several_workers_expire_each_claim_exactly_once():
    past = timezone.now() - dt.timedelta(seconds=1)
    claims = [
        make_claim(make_application(priority_class=PriorityClass.EXTRAORDINARY), kind="military", confirm_by=past)
        for _ in range(12)
    ]
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker():
        try:
            start.wait()
            total = 0
            while done := claims_expire_due():
                total += done
            results.append(total)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(results) == len(claims)
    assert set(BenefitClaim.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True)) == {"expired"}
    assert AuditEvent.objects.filter(action="applications.claim.expire").count() == len(claims)
    assert OutboxMessage.objects.filter(template="claim_expired").count() == len(claims)
