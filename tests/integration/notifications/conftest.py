from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.fakes.sms_gateway import FakeSmsGateway

PROBE_SMS = (
    '{% load i18n %}{% get_current_language as lang %}'
    '{{ lang }}|{{ day|date:"F" }}|{{ flag|yesno }}|{{ name }}'
)


@pytest.fixture
def gateway():
    """A fake SMS gateway on 127.0.0.1 with a random port, stopped after the test."""
    with FakeSmsGateway(token="secret-token") as gw:
        yield gw


@pytest.fixture
def http_sms(settings, gateway) -> FakeSmsGateway:
    """Route SMS through the real HTTP adapter to the fake gateway."""
    settings.KEZEK_SMS_BACKEND = "http"
    settings.KEZEK_SMS_HTTP_URL = gateway.url
    settings.KEZEK_SMS_HTTP_TOKEN = gateway.token
    settings.KEZEK_SMS_HTTP_TIMEOUT = 5
    return gateway


@pytest.fixture(autouse=True)
def probe_templates(settings, tmp_path: Path) -> Path:
    """Test-only templates ``notifications/probe.*.txt`` (not shipped with the application)."""
    root = tmp_path / "templates"
    (root / "notifications").mkdir(parents=True)
    (root / "notifications" / "probe.sms.txt").write_text(PROBE_SMS)
    (root / "notifications" / "probe.email.txt").write_text(PROBE_SMS)
    (root / "notifications" / "probe.subject.txt").write_text(
        '{% load i18n %}{% get_current_language as lang %}subject {{ lang }} {{ name }}'
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    for engine in templates:
        engine["DIRS"] = [str(root), *engine["DIRS"]]
    settings.TEMPLATES = templates
    return root
