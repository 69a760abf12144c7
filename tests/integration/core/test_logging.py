"""Structured JSON logs with request ids, and IINs masked in every part of every record."""

from __future__ import annotations

import io
import json
import logging

import pytest

from kezek.core.logging import JsonFormatter, MaskIinFilter, RequestIdFilter, TextFormatter, mask_iins
from kezek.domain.iin import is_valid_iin
from tests.factories.accounts import make_parent

IIN = "880701400108"  # a valid IIN: born 1988-07-01, check digit 8
NOT_IIN = "880701400109"  # the same with a wrong check digit: an order number, say, left as it is


def test_the_sample_numbers_are_what_the_tests_say():
    assert is_valid_iin(IIN) and not is_valid_iin(NOT_IIN)


@pytest.fixture
def log_lines():
    """What the configured console handler writes (settings.LOGGING: its filters and formatter), line by line."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield lines
    handler.setStream(previous)
    root.setLevel(level)


def test_production_logs_are_one_json_object_per_line(log_lines):
    logging.getLogger("kezek.test").warning("queue %s has %d children", "astana-yesil", 3, extra={"district": "yesil"})
    (entry,) = log_lines()
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "kezek.test"
    assert entry["message"] == "queue astana-yesil has 3 children"
    assert entry["district"] == "yesil"
    assert entry["time"].endswith("+00:00")


@pytest.mark.django_db
def test_each_request_is_logged_with_its_id_status_duration_and_user(client, log_lines):
    parent = make_parent()
    client.force_login(parent)
    response = client.get("/api/v1/auth/me", headers={"X-Request-ID": "req-test-0001"})
    assert response["X-Request-ID"] == "req-test-0001"
    (entry,) = [e for e in log_lines() if e["logger"] == "kezek.request"]
    assert entry["request_id"] == "req-test-0001"
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/auth/me"
    assert entry["status"] == response.status_code
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["user_id"] == parent.pk


@pytest.mark.django_db
def test_a_request_id_is_logged_as_it_is_even_when_it_holds_a_run_that_reads_as_an_iin(client, log_lines):
    random_id = f"d1d{IIN}add91"  # a random hex id (nginx's $request_id) can hold such a run: it is not an IIN
    assert client.get("/api/v1/health", headers={"X-Request-ID": random_id})["X-Request-ID"] == random_id
    (entry,) = [e for e in log_lines() if e["logger"] == "kezek.request"]
    assert entry["request_id"] == random_id


@pytest.mark.django_db
def test_anonymous_requests_have_no_user_and_probes_stay_out_of_the_info_log(client, log_lines):
    client.get("/api/v1/health")
    client.get("/health")
    entries = [e for e in log_lines() if e["logger"] == "kezek.request"]
    assert [e["path"] for e in entries] == ["/api/v1/health"]
    assert "user_id" not in entries[0]


@pytest.mark.django_db
def test_app_logs_made_during_a_request_carry_its_id(client, log_lines, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # /ready then logs a warning while answering
    assert client.get("/ready", headers={"X-Request-ID": "req-test-0002"}).status_code == 503
    logging.getLogger("kezek.test").info("outside any request")
    entries = log_lines()
    warning = next(e for e in entries if e["logger"] == "kezek.health")
    assert warning["request_id"] == "req-test-0002"
    assert "request_id" not in next(e for e in entries if e["message"] == "outside any request")


def test_iins_are_masked_in_messages_arguments_extras_and_tracebacks(log_lines):
    log = logging.getLogger("kezek.test")
    log.info(f"child {IIN} applied")
    log.info("child %s applied, order %s", IIN, NOT_IIN)
    log.info("person", extra={"person": {"iin": IIN, "ids": [IIN]}})
    try:
        raise ValueError(f"duplicate key (iin)=({IIN})")
    except ValueError:
        log.exception("insert failed")
    entries = log_lines()
    text = "\n".join(json.dumps(e) for e in entries)
    assert IIN not in text
    assert entries[0]["message"] == "child ********0108 applied"
    assert entries[1]["message"] == f"child ********0108 applied, order {NOT_IIN}"
    assert entries[2]["person"] == {"iin": "********0108", "ids": ["********0108"]}
    assert "ValueError: duplicate key (iin)=(********0108)" in entries[3]["exception"]


def test_a_call_with_wrong_arguments_is_still_logged_masked(log_lines):
    logging.getLogger("kezek.test").info("child %s and %s", IIN)  # one argument short
    (entry,) = log_lines()
    assert entry["message"] == "child %s and %s ('********0108',)"


def test_masking_leaves_other_digit_runs_alone():
    assert mask_iins(f"{IIN}") == "********0108"
    assert mask_iins(f"x{IIN}y") == "x********0108y"
    assert mask_iins(f"1{IIN}") == f"1{IIN}"  # 13 digits: not an IIN
    assert mask_iins(f"{NOT_IIN} and +7 701 000 0000") == f"{NOT_IIN} and +7 701 000 0000"
    assert mask_iins(f"{IIN},{IIN}") == "********0108,********0108"


def test_the_text_format_masks_too_and_shows_the_request_id():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskIinFilter())
    handler.setFormatter(TextFormatter())
    log = logging.getLogger("kezek.test.text")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("child %s", IIN)
    finally:
        log.removeHandler(handler)
        log.propagate = True
    line = stream.getvalue()
    assert "WARNING kezek.test.text [-] child ********0108" in line
    assert IIN not in line


def test_json_formatter_keeps_stack_info():
    record = logging.LogRecord("kezek.test", logging.INFO, __file__, 1, "here", None, None, sinfo="Stack (most recent)")
    entry = json.loads(JsonFormatter().format(record))
    assert entry["stack"].startswith("Stack")
