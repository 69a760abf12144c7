"""The delivery adapters on their own: the HTTP adapter talks to the fake gateway over real HTTP."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from django.core.exceptions import ImproperlyConfigured

from kezek.notifications.backends import (
    ConsoleSmsBackend,
    FileSmsBackend,
    HttpSmsBackend,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    get_sms_backend,
)
from tests.conftest import read_sms


def adapter(gateway, **kwargs) -> HttpSmsBackend:
    return HttpSmsBackend(url=gateway.url, token=kwargs.pop("token", gateway.token), timeout=kwargs.pop("timeout", 5))


def test_http_adapter_sends_json_with_token_and_idempotency_key(gateway):
    provider_id = adapter(gateway).send_sms(to="+77011234567", text="Код: 123456", idempotency_key="otp:1")

    [request] = gateway.requests
    assert request.headers["authorization"] == "Bearer secret-token"
    assert request.headers["idempotency-key"] == "otp:1"
    assert request.headers["content-type"].startswith("application/json")
    assert request.body == {"to": "+77011234567", "text": "Код: 123456"}
    [delivery] = gateway.deliveries
    assert provider_id == delivery.id and provider_id.startswith("fake-")


def test_repeated_key_returns_the_original_id_and_is_delivered_once(gateway):
    first = adapter(gateway).send_sms(to="+77011234567", text="a", idempotency_key="k")
    second = adapter(gateway).send_sms(to="+77011234567", text="a", idempotency_key="k")
    assert first == second
    assert len(gateway.requests) == 2
    assert gateway.delivered_keys() == {"k": 1}


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_busy_or_broken_gateway_is_a_temporary_error(gateway, status):
    gateway.fail_next(1, status=status)
    with pytest.raises(TemporaryDeliveryError, match=str(status)):
        adapter(gateway).send_sms(to="+77011234567", text="a", idempotency_key="k")
    assert gateway.deliveries == []


def test_wrong_token_is_permanent(gateway):
    with pytest.raises(PermanentDeliveryError, match="401"):
        adapter(gateway, token="wrong").send_sms(to="+77011234567", text="a", idempotency_key="k")
    assert gateway.deliveries == []


def test_rejected_recipient_is_permanent(gateway):
    with pytest.raises(PermanentDeliveryError, match="422"):
        adapter(gateway).send_sms(to="not-a-phone", text="a", idempotency_key="k")


def test_timeout_is_temporary(gateway):
    gateway.delay_seconds = 1.0
    with pytest.raises(TemporaryDeliveryError, match="unreachable"):
        adapter(gateway, timeout=0.2).send_sms(to="+77011234567", text="a", idempotency_key="k")


def test_connection_refused_is_temporary():
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = HttpSmsBackend(url=f"http://127.0.0.1:{port}/v1/sms", token="t", timeout=2)
    with pytest.raises(TemporaryDeliveryError, match="unreachable"):
        backend.send_sms(to="+77011234567", text="a", idempotency_key="k")


def test_http_backend_needs_a_url(settings):
    settings.KEZEK_SMS_HTTP_URL = ""
    with pytest.raises(ImproperlyConfigured, match="KEZEK_SMS_HTTP_URL"):
        HttpSmsBackend()


def test_get_sms_backend_follows_the_setting(settings, tmp_path):
    settings.KEZEK_SMS_HTTP_URL = "http://127.0.0.1:9/v1/sms"
    for name, cls in (("console", ConsoleSmsBackend), ("file", FileSmsBackend), ("http", HttpSmsBackend)):
        settings.KEZEK_SMS_BACKEND = name
        assert isinstance(get_sms_backend(), cls)
    settings.KEZEK_SMS_BACKEND = "pigeon"
    with pytest.raises(ImproperlyConfigured, match="pigeon"):
        get_sms_backend()


def test_console_backend_prints_a_readable_line(capsys):
    ConsoleSmsBackend().send_sms(to="+77011234567", text="Код: 123456", idempotency_key="otp:9")
    out = capsys.readouterr().out
    assert "[SMS to +77011234567] Код: 123456" in out and "otp:9" in out


def test_file_backend_appends_whole_json_lines_from_many_writers(sms_file):
    backend = FileSmsBackend()

    def write(n: int) -> None:
        for i in range(50):
            backend.send_sms(to="+77011234567", text=f"w{n} m{i} " + "x" * 500, idempotency_key=f"{n}:{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = read_sms(sms_file)
    assert len(lines) == 200
    assert {line["idempotency_key"] for line in lines} == {f"{n}:{i}" for n in range(4) for i in range(50)}
    assert set(lines[0]) == {"to", "text", "idempotency_key", "sent_at"}
    assert json.loads(sms_file.read_text().splitlines()[0])["to"] == "+77011234567"
