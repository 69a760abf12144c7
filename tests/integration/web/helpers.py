"""Shared steps for the page tests: deliver queued SMS and read the sign-in code back."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import Client

import kezek.notifications.tasks  # noqa: F401  (registers notifications.deliver_outbox)
from kezek.core.worker import TASKS
from tests.conftest import read_sms

CODE = re.compile(r"\b(\d{6})\b")


def deliver_sms(path: Path) -> list[dict]:
    """Run the outbox delivery task in-process and return every SMS the file backend wrote."""
    # The task itself, not run_until_idle: that closes the connection between rounds, which would
    # drop the test's transaction on PostgreSQL (the e2e tests, with committed data, use run_until_idle).
    deliver = TASKS["notifications.deliver_outbox"].func
    while deliver():
        pass
    return read_sms(path)


def code_sent_to(path: Path, phone: str) -> str:
    """The 6-digit code of the newest SMS sent to ``phone``."""
    texts = [m["text"] for m in deliver_sms(path) if m["to"] == phone]
    assert texts, f"no SMS was sent to {phone}"
    return CODE.search(texts[-1]).group(1)


def html(response) -> str:
    return response.content.decode()


def ask_code(client: Client, phone: str, **extra):
    return client.post("/signin/", {"step": "phone", "phone": phone}, **extra)


def enter_code(client: Client, code: str, **extra):
    return client.post("/signin/", {"step": "code", "code": code}, **extra)
