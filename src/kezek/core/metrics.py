"""Prometheus metrics at /metrics: request counts and latencies, and queue depths read at scrape time.

Request counts and latencies happen in each app process. With PROMETHEUS_MULTIPROC_DIR set (every
gunicorn deployment sets it, see docs/operations.md) prometheus_client keeps them in memory-mapped
files in that directory and a scrape sums every process's files, so any worker may answer the scrape.
Everything else (outbox backlog, queue depths, waiting rooms, leases) is counted in PostgreSQL or
Redis when Prometheus asks, so it is the same whichever process or machine answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from kezek.core.middleware import client_ip

log = logging.getLogger("kezek.metrics")

# Buckets in seconds, from a cached page to a slow allocation-round request.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Openings count as live this long after they open: the waiting room's keys live as long (kezek.rush.backends).
WAITING_ROOM_DAYS = 7

REQUESTS = Counter(
    "kezek_http_requests", "HTTP requests answered, by method, URL pattern and status code",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "kezek_http_request_duration_seconds", "Time to answer an HTTP request, by method and URL pattern",
    ["method", "route"], buckets=LATENCY_BUCKETS,
)


def request_route(request: HttpRequest) -> str:
    """The URL pattern that answered (bounded label values), never the raw path with its ids."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"
    return "/" + match.route.lstrip("^").rstrip("$")


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    method = method if method in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} else "other"
    REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    LATENCY.labels(method=method, route=route).observe(seconds)


class StateCollector(Collector):
    """Gauges counted in the shared database (and Redis) at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from _outbox_gauges()
        yield from _queue_gauges()
        yield from _waiting_room_gauges()
        yield from _lease_gauges()


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _outbox_gauges() -> Iterator[GaugeMetricFamily]:
    from kezek.notifications.models import OutboxMessage

    now = timezone.now()
    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING)
    yield _gauge("kezek_outbox_pending_messages", "Outbox messages not yet delivered", pending.count())
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    yield _gauge(
        "kezek_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered outbox message (0 when none)",
        (now - oldest).total_seconds() if oldest else 0.0,
    )
    yield _gauge(
        "kezek_outbox_failed_messages", "Outbox messages given up after all retries",
        OutboxMessage.objects.filter(status=OutboxMessage.Status.FAILED).count(),
    )


def _queue_gauges() -> Iterator[GaugeMetricFamily]:
    from kezek.applications.models import Application
    from kezek.placements.models import Offer, Referral

    yield _gauge(
        "kezek_applications_active", "Kindergarten applications waiting in the queue",
        Application.objects.filter(status=Application.Status.ACTIVE).count(),
    )
    yield _gauge(
        "kezek_offers_open", "Offers of a place waiting for the parent's answer",
        Offer.objects.filter(status=Offer.Status.OPEN).count(),
    )
    yield _gauge(
        "kezek_referrals_issued", "Referrals issued and waiting for the contract",
        Referral.objects.filter(status=Referral.Status.ISSUED).count(),
    )


def _waiting_room_gauges() -> Iterator[GaugeMetricFamily]:
    from kezek.rush.backends import backend
    from kezek.rush.models import Opening

    since = timezone.now() - timedelta(days=WAITING_ROOM_DAYS)
    length = GaugeMetricFamily(
        "kezek_waiting_room_length", "Accounts in the waiting room of each opening still live", labels=["opening"]
    )
    room = backend()
    for opening in Opening.objects.filter(opens_at__gte=since).order_by("opens_at", "pk")[:100]:
        try:
            length.add_metric([opening.slug], room.size(opening))
        except Exception:  # one unreadable room (Redis down) must not hide every other metric
            log.warning("waiting room length of %s unavailable", opening.slug, exc_info=True)
    yield length


def _lease_gauges() -> Iterator[GaugeMetricFamily]:
    from kezek.notifications.models import OutboxMessage
    from kezek.rounds.models import RoundRun

    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    queues = {
        "outbox": OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING),
        "round_runs": RoundRun.objects.filter(status__in=[RoundRun.Status.QUEUED, RoundRun.Status.RUNNING]),
    }
    due = GaugeMetricFamily(
        "kezek_worker_backlog", "Work the background worker could take now, by queue", labels=["queue"]
    )
    expired = GaugeMetricFamily(
        "kezek_worker_expired_leases", "Rows whose worker lease ran out before the work finished (a worker died)",
        labels=["queue"],
    )
    for name, rows in queues.items():
        ready = rows.filter(available_at__lte=now) if name == "outbox" else rows  # retries wait for their time
        due.add_metric([name], ready.filter(free).count())
        expired.add_metric([name], rows.filter(leased_until__lt=now).count())
    yield due
    yield expired


def metrics_text() -> bytes:
    """Every metric in the Prometheus text format: this process's (or all processes') requests, then the state."""
    requests = CollectorRegistry()
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        MultiProcessCollector(requests, path=multiproc_dir)
    else:
        requests.register(REQUESTS)
        requests.register(LATENCY)
    state = CollectorRegistry()
    state.register(StateCollector())
    return generate_latest(requests) + generate_latest(state)


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether the scraper may read /metrics: the bearer token (KEZEK_METRICS_TOKEN) or an allowed address."""
    token = settings.KEZEK_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return True
    networks = settings.KEZEK_METRICS_ALLOWED_IPS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


@require_safe
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus scrape endpoint; 404 to anyone without the token or an allowed address."""
    if not metrics_allowed(request):
        return HttpResponse("Not found.\n", status=404, content_type="text/plain; charset=utf-8")
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
