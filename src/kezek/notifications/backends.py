"""Delivery adapters: SMS gateways and e-mail, each sending one message under its idempotency key.

Adapters raise ``TemporaryDeliveryError`` when trying again later may succeed (the outbox retries with
backoff) and ``PermanentDeliveryError`` when it never will (the message is marked failed).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import smtplib
import socket
import sys
import urllib.error
import urllib.request
import uuid
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage


class DeliveryError(Exception):
    """A send did not go through; ``str(exc)`` is kept as the message's ``last_error``."""


class TemporaryDeliveryError(DeliveryError):
    """Try again later (gateway busy or down, network trouble); ``retry_after`` is the gateway's wish."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (rejected recipient, bad credentials, malformed request)."""


class SmsBackend(Protocol):
    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        """Send one SMS and return the provider's message id."""
        ...


class ConsoleSmsBackend:
    """Development: prints each SMS on the worker's standard output (how the demo shows sign-in codes)."""

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        sys.stdout.write(f"[SMS to {to}] {text}  (key {idempotency_key})\n")
        sys.stdout.flush()
        return f"console-{uuid.uuid4().hex}"


class FileSmsBackend:
    """Development and tests: appends one JSON line per SMS to ``KEZEK_SMS_FILE_PATH``.

    Several worker processes may write at once: each line is one ``write`` under an exclusive lock.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or settings.KEZEK_SMS_FILE_PATH)

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        line = json.dumps(
            {"to": to, "text": text, "idempotency_key": idempotency_key, "sent_at": dt.datetime.now(dt.UTC).isoformat()},
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.write(line + "\n")
                f.flush()
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return f"file-{uuid.uuid4().hex}"


class HttpSmsBackend:
    """Production: POSTs ``{"to", "text"}`` as JSON to the gateway with a bearer token and ``Idempotency-Key``.

    The gateway contract is in docs/notifications.md: 2xx with ``{"id": ...}`` means accepted; 408, 429 and
    5xx, timeouts and connection errors are temporary; any other status is permanent.
    """

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url if url is not None else settings.KEZEK_SMS_HTTP_URL
        self.token = token if token is not None else settings.KEZEK_SMS_HTTP_TOKEN
        self.timeout = timeout if timeout is not None else settings.KEZEK_SMS_HTTP_TIMEOUT
        if not self.url:
            raise ImproperlyConfigured("KEZEK_SMS_BACKEND=http needs KEZEK_SMS_HTTP_URL")

    def send_sms(self, *, to: str, text: str, idempotency_key: str) -> str:
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"to": to, "text": text}, ensure_ascii=False).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": idempotency_key,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise _http_error(exc) from exc
        except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, OSError) as exc:
            raise TemporaryDeliveryError(f"SMS gateway unreachable: {exc}") from exc
        return _provider_id(body)


def _http_error(exc: urllib.error.HTTPError) -> DeliveryError:
    detail = exc.read()[:500].decode("utf-8", "replace")
    message = f"SMS gateway answered {exc.code}: {detail}".strip()
    if exc.code in (408, 429) or exc.code >= 500:
        return TemporaryDeliveryError(message, retry_after=_retry_after(exc.headers.get("Retry-After")))
    return PermanentDeliveryError(message)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:  # an HTTP date instead of seconds: fall back to our own backoff
        return None


def _provider_id(body: bytes) -> str:
    # The gateway accepted the message; an odd body must not cause a resend, so it only loses us the id.
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("id") or data.get("message_id") or "")[:100]


SMS_BACKENDS: dict[str, type] = {"console": ConsoleSmsBackend, "file": FileSmsBackend, "http": HttpSmsBackend}


def get_sms_backend() -> SmsBackend:
    """The SMS backend chosen by ``KEZEK_SMS_BACKEND`` (console | file | http), read on every call."""
    name = settings.KEZEK_SMS_BACKEND
    try:
        return SMS_BACKENDS[name]()
    except KeyError:
        raise ImproperlyConfigured(f"KEZEK_SMS_BACKEND must be one of {sorted(SMS_BACKENDS)}, not {name!r}") from None


def email_message_id(idempotency_key: str) -> str:
    """A Message-ID derived from the idempotency key, so a resent e-mail can be recognised as the same one."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "kezek.kz"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<outbox.{digest}@{domain}>"


def send_email(*, to: str, subject: str, body: str, idempotency_key: str, language: str = "") -> str:
    """Send one plain-text e-mail through Django's configured backend; returns its Message-ID."""
    message_id = email_message_id(idempotency_key)
    headers = {"Message-ID": message_id, "X-Idempotency-Key": idempotency_key}
    if language:
        headers["Content-Language"] = language
    message = EmailMessage(subject=subject, body=body, to=[to], headers=headers)
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentDeliveryError(f"mail server refused the recipient: {exc.recipients}") from exc
        raise TemporaryDeliveryError(f"mail server refused the recipient for now: {exc.recipients}") from exc
    except smtplib.SMTPResponseException as exc:
        error = PermanentDeliveryError if exc.smtp_code >= 500 else TemporaryDeliveryError
        raise error(f"mail server answered {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TemporaryDeliveryError(f"mail server unreachable: {exc}") from exc
    return message_id
