"""The outbox in-process: enqueue in the caller's transaction, deliver with retries, backoff and give-up."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.db import transaction
from django.utils import timezone

from kezek.accounts.models import User
from kezek.audit.models import AuditEvent
from kezek.domain.errors import Forbidden
from kezek.notifications.backends import email_message_id
from kezek.notifications.models import OutboxMessage
from kezek.notifications.services import (
    OutboxMessageNotFailed,
    notification_enqueue,
    outbox_deliver_batch,
    outbox_requeue,
)
from tests.conftest import read_sms
from tests.factories.accounts import make_admin, make_officer

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status
CONTEXT = {"day": dt.date(2026, 1, 5), "flag": True, "name": "Айгерим"}


def enqueue(key: str = "k1", *, channel: str = "sms", recipient: str = "+77011234567", language: str = "ru"):
    return notification_enqueue(
        channel=channel, recipient=recipient, template="probe", context=CONTEXT, language=language, idempotency_key=key
    )


def make_due(message: OutboxMessage) -> None:
    """Stand in for the passing of time: the backoff delay is over."""
    OutboxMessage.objects.filter(pk=message.pk).update(available_at=timezone.now())


# --- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("kk", "kk|Қаңтар|иә|Айгерим"), ("ru", "ru|Январь|да|Айгерим"), ("en", "en|January|yes|Айгерим")],
)
def test_message_is_rendered_in_the_recipients_language(language, expected):
    message = enqueue(language=language)
    assert (message.language, message.body) == (language, expected)


def test_plain_text_bodies_are_not_html_escaped():
    message = notification_enqueue(
        channel="email", recipient="a@example.kz", template="probe", context={**CONTEXT, "name": "O'Neil & <Co>"},
        language="en", idempotency_key="escape",
    )
    assert message.body.endswith("O'Neil & <Co>") and message.subject.endswith("O'Neil & <Co>")


def test_unknown_language_falls_back_to_the_default():
    message = enqueue(language="de")
    assert message.language == "ru" and message.body.startswith("ru|")


def test_same_key_queues_one_message():
    first = enqueue("same")
    second = enqueue("same", language="en")
    assert first.pk == second.pk and OutboxMessage.objects.count() == 1


def test_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="channel"):
        notification_enqueue(channel="fax", recipient="x", template="probe", context={}, language="ru", idempotency_key="k")


def test_enqueue_keeps_the_transaction_usable_after_a_duplicate_race():
    enqueue("dup")
    with transaction.atomic():
        OutboxMessage.objects.filter(idempotency_key="dup").first()
        assert enqueue("dup").idempotency_key == "dup"
        assert OutboxMessage.objects.count() == 1


# --- SMS over HTTP -----------------------------------------------------------------------------


def test_due_message_is_sent_through_the_gateway_and_marked_sent(http_sms):
    message = enqueue()
    assert outbox_deliver_batch(owner="w1") == 1

    message.refresh_from_db()
    [delivery] = http_sms.deliveries
    assert message.status == Status.SENT and message.sent_at is not None
    assert message.attempts == 1 and message.provider_message_id == delivery.id
    assert (message.leased_until, message.lease_owner, message.last_error) == (None, "", "")
    assert (delivery.to, delivery.text, delivery.idempotency_key) == ("+77011234567", message.body, "k1")
    assert http_sms.requests[0].headers["authorization"] == "Bearer secret-token"
    assert outbox_deliver_batch(owner="w1") == 0  # nothing sent twice


def test_rolled_back_message_is_never_sent(http_sms):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("rolled-back")
        raise RuntimeError("the change that caused the message failed")
    assert outbox_deliver_batch(owner="w1") == 0
    assert OutboxMessage.objects.count() == 0 and http_sms.requests == []


def test_gateway_error_schedules_a_retry_with_growing_backoff(http_sms):
    message = enqueue()
    http_sms.fail_next(2, status=503)

    before = timezone.now()
    assert outbox_deliver_batch(owner="w1") == 1
    message.refresh_from_db()
    assert message.status == Status.PENDING and message.attempts == 1
    assert "503" in message.last_error and message.lease_owner == ""
    assert before + timedelta(seconds=5) <= message.available_at <= timezone.now() + timedelta(seconds=5)
    assert outbox_deliver_batch(owner="w1") == 0  # not due yet

    make_due(message)
    before = timezone.now()
    assert outbox_deliver_batch(owner="w1") == 1
    message.refresh_from_db()
    assert message.attempts == 2
    assert before + timedelta(seconds=10) <= message.available_at <= timezone.now() + timedelta(seconds=10)

    make_due(message)
    assert outbox_deliver_batch(owner="w1") == 1
    message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 3 and message.last_error == ""
    assert http_sms.delivered_keys() == {"k1": 1} and len(http_sms.requests) == 3


def test_permanent_rejection_fails_after_one_attempt_and_is_audited(http_sms):
    message = enqueue(recipient="12345")  # the gateway refuses numbers that are not E.164
    assert outbox_deliver_batch(owner="w1") == 1

    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 1 and "422" in message.last_error
    event = AuditEvent.objects.get(action="notifications.outbox_message.fail", object_id=str(message.pk))
    assert event.after["status"] == "failed"
    make_due(message)
    assert outbox_deliver_batch(owner="w1") == 0
    assert len(http_sms.requests) == 1


def test_wrong_gateway_token_fails_permanently(settings, http_sms):
    settings.KEZEK_SMS_HTTP_TOKEN = "wrong"
    message = enqueue()
    outbox_deliver_batch(owner="w1")
    message.refresh_from_db()
    assert message.status == Status.FAILED and "401" in message.last_error


def test_gives_up_after_max_attempts(settings, http_sms):
    settings.KEZEK_OUTBOX_MAX_ATTEMPTS = 3
    http_sms.fail_next(100)
    message = enqueue()
    for _ in range(3):
        assert outbox_deliver_batch(owner="w1") == 1
        make_due(message)
    message.refresh_from_db()
    assert message.status == Status.FAILED and message.attempts == 3
    assert "gave up after 3 attempts" in message.last_error and "500" in message.last_error
    assert outbox_deliver_batch(owner="w1") == 0
    assert len(http_sms.requests) == 3 and http_sms.deliveries == []


def test_gateway_retry_after_is_respected(http_sms):
    message = enqueue()
    http_sms.fail_next(1, status=429, retry_after=120)
    outbox_deliver_batch(owner="w1")
    message.refresh_from_db()
    assert message.status == Status.PENDING and "429" in message.last_error
    assert timezone.now() + timedelta(seconds=110) < message.available_at <= timezone.now() + timedelta(seconds=120)


def test_unexpected_error_is_retried_not_lost(settings):
    settings.KEZEK_SMS_BACKEND = "pigeon"  # misconfiguration: fixed by the operator, then the retry succeeds
    message = enqueue()
    assert outbox_deliver_batch(owner="w1") == 1
    message.refresh_from_db()
    assert message.status == Status.PENDING and "pigeon" in message.last_error


def test_worker_that_lost_its_lease_cannot_overwrite_the_new_holders_result(http_sms):
    message = enqueue()
    # w1 claimed it long ago and stalled; the lease ran out and w2 has now taken it.
    OutboxMessage.objects.filter(pk=message.pk).update(
        lease_owner="w2", leased_until=timezone.now() + timedelta(seconds=60), attempts=1
    )
    from kezek.notifications.services import _mark_failed

    message.attempts = 1
    _mark_failed(message, "w1", "stale result")
    message.refresh_from_db()
    assert message.status == Status.PENDING and message.lease_owner == "w2" and message.last_error == ""


def test_leased_message_is_not_taken_by_another_worker(http_sms):
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(lease_owner="w2", leased_until=timezone.now() + timedelta(seconds=60))
    assert outbox_deliver_batch(owner="w1") == 0
    OutboxMessage.objects.filter(pk=message.pk).update(leased_until=timezone.now() - timedelta(seconds=1))
    assert outbox_deliver_batch(owner="w1") == 1
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_interrupted_last_attempt_fails_without_sending_again(settings, http_sms):
    settings.KEZEK_OUTBOX_MAX_ATTEMPTS = 2
    message = enqueue()
    # Two workers died mid-send: both attempts were used up, the lease of the last one has ended.
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=2, lease_owner="dead", leased_until=timezone.now())
    assert outbox_deliver_batch(owner="w1") == 1
    message.refresh_from_db()
    assert message.status == Status.FAILED and "interrupted" in message.last_error
    assert http_sms.requests == []


def test_file_backend_delivery(sms_file):
    enqueue("a")
    enqueue("b", language="en")
    assert outbox_deliver_batch(owner="w1") == 2
    assert [(s["idempotency_key"], s["text"][:2]) for s in read_sms(sms_file)] == [("a", "ru"), ("b", "en")]


# --- e-mail ------------------------------------------------------------------------------------


def mailer(settings, backend: str, **options) -> None:
    settings.MAILERS = {"default": {"BACKEND": f"django.core.mail.backends.{backend}.EmailBackend", "OPTIONS": options}}


def test_email_goes_through_djangos_backend_with_a_stable_message_id(settings):
    mailer(settings, "locmem")
    message = enqueue("mail-1", channel="email", recipient="parent@example.kz", language="kk")
    assert message.subject == "subject kk Айгерим"
    assert outbox_deliver_batch(owner="w1") == 1

    [sent] = mail.outbox
    assert sent.to == ["parent@example.kz"] and sent.subject == "subject kk Айгерим"
    assert sent.body == "kk|Қаңтар|иә|Айгерим"
    message_id = sent.message()["Message-ID"]
    assert message_id == email_message_id("mail-1") == email_message_id("mail-1")
    assert message_id != email_message_id("mail-2") and message_id.endswith("@kezek.kz>")
    assert sent.message()["Content-Language"] == "kk"
    message.refresh_from_db()
    assert message.status == Status.SENT and message.provider_message_id == message_id


def test_email_through_the_file_backend(settings, tmp_path):
    mailer(settings, "filebased", file_path=str(tmp_path / "mail"))
    enqueue("mail-2", channel="email", recipient="parent@example.kz", language="en")
    assert outbox_deliver_batch(owner="w1") == 1
    [written] = list((tmp_path / "mail").iterdir())
    text = written.read_text()
    assert f"Message-ID: {email_message_id('mail-2')}" in text and "To: parent@example.kz" in text


def test_unreachable_mail_server_is_retried(settings):
    mailer(settings, "smtp", host="127.0.0.1", port=9, timeout=2)  # nothing listens on the discard port
    message = enqueue("mail-3", channel="email", recipient="parent@example.kz")
    outbox_deliver_batch(owner="w1")
    message.refresh_from_db()
    assert message.status == Status.PENDING and message.attempts == 1 and "unreachable" in message.last_error


# --- operator retry ----------------------------------------------------------------------------


@pytest.fixture
def admin_user():
    return make_admin()


def failed_message() -> OutboxMessage:
    message = enqueue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.FAILED, attempts=12, last_error="boom")
    message.refresh_from_db()
    return message


def test_admin_requeues_a_failed_message_and_it_is_audited(admin_user, sms_file):
    message = outbox_requeue(actor=admin_user, message=failed_message())
    assert (message.status, message.attempts, message.last_error) == (Status.PENDING, 0, "boom")
    event = AuditEvent.objects.get(action="notifications.outbox_message.requeue")
    assert event.actor_id == admin_user.pk and event.before["status"] == "failed"
    assert outbox_deliver_batch(owner="w1") == 1
    assert len(read_sms(sms_file)) == 1


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_only_administrators_may_requeue(actor):
    message = failed_message()
    with pytest.raises(Forbidden):
        outbox_requeue(actor=actor, message=message)
    message.refresh_from_db()
    assert message.status == Status.FAILED and not AuditEvent.objects.filter(action__contains="requeue").exists()


def test_pending_message_cannot_be_requeued(admin_user):
    with pytest.raises(OutboxMessageNotFailed):
        outbox_requeue(actor=admin_user, message=enqueue())


def test_admin_retry_action(admin_user, client, sms_file):
    message = failed_message()
    client.force_login(admin_user)
    page = client.get("/admin/notifications/outboxmessage/")
    assert page.status_code == 200 and "boom" not in page.content.decode()  # list shows status, not bodies
    response = client.post(
        "/admin/notifications/outboxmessage/", {"action": "retry", "_selected_action": [message.pk]}, follow=True,
        headers={"accept-language": "en"},
    )
    shown = [str(m) for m in response.context["messages"]]
    assert response.status_code == 200 and shown == ["1 message queued again."]
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert client.get(f"/admin/notifications/outboxmessage/{message.pk}/change/").status_code == 200
    assert client.get("/admin/notifications/outboxmessage/add/").status_code == 403


def test_staff_who_are_not_administrators_do_not_see_the_outbox(client):
    officer = make_officer()
    User.objects.filter(pk=officer.pk).update(is_staff=True)
    client.force_login(officer)
    assert client.get("/admin/notifications/outboxmessage/").status_code == 403
    assert outbox_requeue_forbidden(officer)


def outbox_requeue_forbidden(user) -> bool:
    try:
        outbox_requeue(actor=user, message=failed_message())
    except Forbidden:
        return True
    return False


# --- invariants in the database ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"language": "de"}, {"channel": "fax"}, {"status": "lost"}, {"status": "sent", "sent_at": None}],
)
def test_database_refuses_impossible_messages(fields):
    from django.db import IntegrityError

    values = {"channel": "sms", "recipient": "+77011234567", "language": "ru", "template": "probe", "body": "x"} | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.create(**values)
