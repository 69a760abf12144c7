"""/health, /ready and /metrics: what they check, what they count, and who may read the metrics."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from kezek.core.redis import redis_client
from kezek.notifications.models import OutboxMessage
from kezek.rush.backends import backend
from tests.factories.accounts import make_parent
from tests.factories.applications import make_application
from tests.factories.rush import make_opening

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests-0123456789"


@pytest.fixture
def metrics_token(settings) -> str:
    settings.KEZEK_METRICS_TOKEN = TOKEN
    settings.KEZEK_METRICS_ALLOWED_IPS = []
    return TOKEN


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return _samples(response.content.decode())


# --- liveness and readiness ---------------------------------------------------------------------------


def test_health_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_api_health_check_still_answers(client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}


def test_ready_when_database_cache_and_migrations_are_fine(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "migrations"}


def test_ready_pings_redis_when_it_is_configured(client, settings):
    settings.REDIS_URL = os.environ.get("KEZEK_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis_client().ping()
    except Exception:
        pytest.skip("no Redis on this machine")
    body = client.get("/ready").json()
    assert body["checks"]["redis"] == {"status": "ok"}


def test_not_ready_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/ready")
    assert response.status_code == 503
    assert response["Retry-After"]
    body = response.json()
    assert body["status"] == "fail" and body["failed"] == ["redis"]
    assert body["checks"]["redis"]["error"] == "ConnectionError"  # the kind only: no host names in a public body
    assert body["checks"]["database"] == {"status": "ok"}


def test_not_ready_while_a_migration_is_unapplied(client):
    MigrationRecorder.Migration.objects.filter(app="notifications", name="0001_initial").delete()
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert "notifications.0001_initial" in body["checks"]["migrations"]["error"]


def test_ready_and_health_refuse_writes(client):
    assert client.post("/ready").status_code == 405
    assert client.post("/health").status_code == 405


# --- who may read /metrics ------------------------------------------------------------------------------


def test_metrics_are_hidden_when_nothing_is_configured(client, settings):
    settings.KEZEK_METRICS_TOKEN = ""
    settings.KEZEK_METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_need_the_right_token(client, metrics_token):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404
    assert client.get("/metrics", headers={"Authorization": metrics_token}).status_code == 404  # no "Bearer "
    assert client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).status_code == 200


def test_metrics_from_an_allowed_network_without_a_token(client, settings):
    settings.KEZEK_METRICS_TOKEN = ""
    settings.KEZEK_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="not-an-address").status_code == 404


# --- what /metrics says -------------------------------------------------------------------------------------


def test_requests_are_counted_by_url_pattern_and_status(client, metrics_token):
    before = _scrape(client)
    client.get("/api/v1/health")
    client.get("/api/v1/health")
    client.get("/no-such-page-anywhere/12345")
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert delta("kezek_http_requests_total", method="GET", route="/api/v1/health", status="200") == 2
    assert delta("kezek_http_request_duration_seconds_count", method="GET", route="/api/v1/health") == 2
    # Raw paths never become label values: an unknown address is counted under one "unmatched" label.
    assert not any("12345" in value for _, labels in after for _, value in labels)
    assert delta("kezek_http_requests_total", method="GET", route="unmatched", status="404") == 1


def test_queue_depths_and_outbox_backlog_come_from_the_database(client, metrics_token):
    before = _scrape(client)
    make_application(status="active")
    make_application(status="active")
    make_application(status="withdrawn")
    now = timezone.now()
    OutboxMessage.objects.create(channel="sms", recipient="+77010000001", language="ru", template="t", body="b",
                                 created_at=now - dt.timedelta(minutes=5))
    OutboxMessage.objects.create(channel="sms", recipient="+77010000002", language="ru", template="t", body="b",
                                 leased_until=now - dt.timedelta(minutes=1), lease_owner="dead-worker")
    OutboxMessage.objects.create(channel="sms", recipient="+77010000003", language="ru", template="t", body="b",
                                 status="sent", sent_at=now)
    after = _scrape(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before[key]

    assert delta("kezek_applications_active") == 2
    assert delta("kezek_outbox_pending_messages") == 2
    assert delta("kezek_worker_backlog", queue="outbox") == 2
    assert delta("kezek_worker_expired_leases", queue="outbox") == 1
    assert after[("kezek_outbox_oldest_pending_age_seconds", ())] >= 299
    for name in ("kezek_offers_open", "kezek_referrals_issued", "kezek_outbox_failed_messages"):
        assert (name, ()) in after
    assert ("kezek_worker_backlog", (("queue", "round_runs"),)) in after


def test_waiting_room_length_per_live_opening(client, metrics_token, settings):
    settings.REDIS_URL = ""  # the database backend: rows this test's transaction can roll back
    opening = make_opening(opens_at=timezone.now() + dt.timedelta(hours=1))
    old = make_opening(opens_at=timezone.now() - dt.timedelta(days=30))
    room = backend()
    for _ in range(3):
        room.join(opening, make_parent().pk, timezone.now().timestamp())
    samples = _scrape(client)
    assert samples[("kezek_waiting_room_length", (("opening", opening.slug),))] == 3
    assert ("kezek_waiting_room_length", (("opening", old.slug),)) not in samples


def test_request_counts_add_up_across_processes(tmp_path: Path):
    """With PROMETHEUS_MULTIPROC_DIR each process writes its own file and a scrape sums them all."""
    script = (
        "import django\n"
        "django.setup()\n"
        "from kezek.core.metrics import observe_request\n"
        "for _ in range(3):\n"
        "    observe_request(method='POST', route='/api/v1/rush/<slug>/claim', status=201, seconds=0.02)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))
    samples = _samples(generate_latest(registry).decode())
    labels = (("method", "POST"), ("route", "/api/v1/rush/<slug>/claim"), ("status", "201"))
    assert samples[("kezek_http_requests_total", labels)] == 6
