"""A first_come voucher rush through nginx onto two app servers, with two workers delivering the notifications.

The crowd, the seed and the final SQL checks are bench/rush.py's own (``stage_seed``, ``run_crowd``,
``stage_verify``); here they run on the test database, through nginx (deploy/nginx/kezek.conf rendered with
free ports) in front of two gunicorn app servers (2 workers each) on Redis db 11, while two ``kezek worker``
processes run every task and deliver SMS to a fake gateway. The guarantees are bench/rush.py's: no 5xx
(an app's 503 with Retry-After is shed load, retried), no oversell, no child with two vouchers, every 2xx
claim backed by its voucher, a repeated claim with the same Idempotency-Key answers the same voucher, the
audit chain verifies; and the ones of several machines: both app servers answered, no request reached
two of them, both workers delivered notifications and none was sent twice.

Size: ``KEZEK_SCALE_ARRIVALS`` parents (default 300) for ``KEZEK_SCALE_VOUCHERS`` vouchers (default a third).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import time
import urllib.request
from collections import Counter
from typing import ClassVar

import pytest

from bench import rush
from kezek.audit.models import AuditEvent
from kezek.notifications.models import OutboxMessage
from kezek.rush.models import Opening
from kezek.vouchers.models import CampaignStage, Voucher
from tests.factories.geo import district
from tests.fakes.sms_gateway import FakeSmsGateway
from tests.integration.notifications.test_worker_processes import wait_until
from tests.scale import stack

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("nginx_installed")]

ARRIVALS = int(os.environ.get("KEZEK_SCALE_ARRIVALS", "300"))
VOUCHERS = int(os.environ.get("KEZEK_SCALE_VOUCHERS", str(max(1, ARRIVALS // 3))))
LEAD = 4.0  # seconds from the first arrival to the opening
WINDOW = max(12.0, ARRIVALS / 150)  # arrivals spread over this many seconds, most just after the opening
ADMISSION_RATE = 300.0
CAP = 200  # connections the crowd keeps open at most
SEED = 20261123


class RecordingClient(rush.Client):
    """The benchmark's client, noting each visitor's claim headers (key and pass) so the test can repeat it."""

    claims: ClassVar[dict[int, dict[str, str]]] = {}

    async def call(self, visitor, method, path, *, body=None, headers=None):
        if headers and "Idempotency-Key" in headers:
            self.claims[visitor.index] = dict(headers)
        return await super().call(visitor, method, path, body=body, headers=headers)


def _seed(tmp_path) -> tuple[dict, list[dict]]:
    district()  # the reference districts (a flushing test may have removed them)
    families = tmp_path / "families.jsonl"
    setup = rush.stage_seed(argparse.Namespace(count=ARRIVALS, batch=2000, vouchers=VOUCHERS, admission_rate=ADMISSION_RATE,
                                               district_code="astana-yesil", out=str(families)))
    return setup, [json.loads(line) for line in families.read_text().splitlines()]


def _visitors(rows: list[dict]) -> list[rush.Visitor]:
    offsets = rush.arrival_offsets(arrivals=len(rows), lead=LEAD, window=WINDOW, early_share=0.25, tail_mean=3.0, seed=SEED)
    order = list(range(len(rows)))
    random.Random(SEED).shuffle(order)
    return [rush.Visitor(index=n, account=rows[i]["account"], child_iin=rows[i]["child_iin"], session=rows[i]["session"],
                         arrives=offsets[n]) for n, i in enumerate(order)]


def _open_at(setup: dict, opens_wall: float) -> None:
    # As bench/rush.py does once the servers are up: the opening moves to a few seconds after the crowd starts.
    opens_at = dt.datetime.fromtimestamp(opens_wall, dt.UTC)
    Opening.objects.filter(pk=setup["opening_id"]).update(opens_at=opens_at)
    CampaignStage.objects.filter(campaign_id=setup["campaign_id"]).update(opens_at=opens_at)


def _replay(nginx: stack.Nginx, csrf: str, claim_path: str, visitors: list[rush.Visitor]) -> list[tuple]:
    """Send each acknowledged claim again, twice at once, with its own Idempotency-Key and pass."""
    crowd = rush.Crowd()

    async def run() -> list[tuple]:
        client = rush.Client(host=stack.LOCALHOST, port=nginx.port, csrf=csrf, cap=20, timeout=30.0, crowd=crowd,
                             give_up_at=time.monotonic() + 120)
        calls = [client.call(v, "POST", claim_path, body={"child_iin": v.child_iin}, headers=RecordingClient.claims[v.index])
                 for v in visitors for _ in range(2)]
        return await asyncio.gather(*calls)

    answers = asyncio.run(run())
    return [(v, status, payload) for v, (status, _, payload, _) in zip([v for v in visitors for _ in range(2)], answers)]


def test_voucher_rush_through_nginx_on_two_app_servers_and_two_workers(scale_stack, tmp_path, monkeypatch):
    setup, rows = _seed(tmp_path)
    stack.redis_flush()
    env = stack.stack_env(redis=True, **rush.SERVER_LIMITS)
    with FakeSmsGateway(token="scale-token") as gateway:
        gateway.delay_seconds = 0.02  # a send takes a moment, so one worker cannot drain the outbox alone
        scale_stack.start_workers([
            {**env, "KEZEK_SMS_BACKEND": "http", "KEZEK_SMS_HTTP_URL": f"{gateway.url}?worker={n}",
             "KEZEK_SMS_HTTP_TOKEN": gateway.token}
            for n in (1, 2)
        ])
        apps = scale_stack.start_apps(2, env=env, workers=2)
        nginx = scale_stack.start_nginx()
        scale_stack.wait_workers()

        with urllib.request.urlopen(nginx.url + "/api/v1/auth/csrf", timeout=10) as answer:
            csrf = json.loads(answer.read())["csrf_token"]
        visitors = _visitors(rows)
        start_wall = time.time() + 2.0
        opens_wall = start_wall + LEAD
        _open_at(setup, opens_wall)
        claim_path = f"/api/v1/vouchers/campaigns/{setup['campaign_id']}/stages/1/claim"
        crowd = rush.Crowd()
        RecordingClient.claims = {}
        monkeypatch.setattr(rush, "Client", RecordingClient)
        asyncio.run(rush.run_crowd(
            host=stack.LOCALHOST, port=nginx.port, csrf=csrf, visitors=visitors, claim_path=claim_path,
            opens_wall=opens_wall, start_wall=start_wall, cap=CAP, timeout=30.0, give_up_after=WINDOW + 180,
            crowd=crowd, keep_alive=True,
        ))
        monkeypatch.undo()

        acked_visitors = [v for v in visitors if v.outcome in ("issued", "replayed")]
        acked_file = tmp_path / "acked.json"
        acked_file.write_text(json.dumps([[v.voucher_id, v.child_iin] for v in acked_visitors]))
        checks = rush.stage_verify(argparse.Namespace(campaign_id=setup["campaign_id"], acked=str(acked_file)))
        outcomes = Counter(v.outcome for v in visitors)
        summary = f"outcomes {dict(outcomes)}, claim statuses {dict(crowd.claim_statuses)}, samples {crowd.error_samples}"

        # bench/rush.py's guarantees.
        assert crowd.http_5xx_errors == 0, summary
        assert crowd.conn_errors == 0 and crowd.timeouts == 0, summary
        assert checks["issued"] == VOUCHERS == checks["pool_taken"], (checks, summary)
        assert checks["oversold"] == 0, checks
        assert checks["children_with_two_vouchers"] == 0, checks
        assert checks["acknowledged_but_missing"] == 0, checks
        assert checks["acknowledged"] == checks["issued"], (checks, summary)  # every voucher's parent was told
        assert set(outcomes) <= {"issued", "replayed", "sold_out"}, summary  # nobody gave up or was refused otherwise
        for visitor, status, payload in _replay(nginx, csrf, claim_path, acked_visitors[:100]):
            assert status == 200 and payload["id"] == visitor.voucher_id, (status, payload)
        assert Voucher.objects.filter(campaign_id=setup["campaign_id"]).count() == VOUCHERS  # replays issued nothing
        audit = rush.bench.kezek("audit", "verify", env=env, check=False)
        assert audit.returncode == 0, audit.stdout + audit.stderr

        # Both app servers answered, and every request nginx passed on reached exactly the server it names.
        wait_until(lambda: len(nginx.access_lines()) >= crowd.requests, 30)  # lines follow the answers
        _assert_both_app_servers_answered(nginx, apps)

        # Both workers delivered the vouchers' SMS; each was sent once.
        issued = set(Voucher.objects.filter(campaign_id=setup["campaign_id"]).values_list("pk", flat=True))
        expected = {f"voucher:{pk}:issued" for pk in issued}
        outbox = OutboxMessage.objects.filter(idempotency_key__in=expected)
        wait_until(lambda: outbox.filter(status=OutboxMessage.Status.SENT).count() == len(expected), 180, scale_stack.logs)
        sent = [r for r in gateway.requests if r.idempotency_key in expected]
        assert Counter(r.idempotency_key for r in sent) == dict.fromkeys(expected, 1)
        by_worker = Counter(r.path.rsplit("worker=", 1)[-1] for r in sent)
        assert set(by_worker) == {"1", "2"}, by_worker
    # Opening the campaign is a worker task too: done once at most, whichever worker got there first.
    assert AuditEvent.objects.filter(action="vouchers.campaign.open", object_id=str(setup["campaign_id"])).count() <= 1
    print(f"\nrush through nginx: {ARRIVALS} arrivals, {VOUCHERS} vouchers; {summary}; SMS by worker {dict(by_worker)}")


def _assert_both_app_servers_answered(nginx: stack.Nginx, apps: list[stack.AppServer]) -> None:
    lines = [line for line in nginx.access_lines() if line["path"].startswith("/api/")]
    assert lines, "nginx logged no API request"
    assert all(int(line["status"]) < 500 or line["upstream_status"] == "503" for line in lines), \
        [line for line in lines if int(line["status"]) >= 500][:5]
    # A POST is never passed on to a second server (deploy/nginx/kezek.conf: proxy_next_upstream).
    assert not [line for line in lines if line["method"] == "POST" and "," in line["upstream"]]
    served = {app.port: app.request_ids() for app in apps}
    per_server = Counter()
    for line in lines:
        port = int(line["upstream"].split(",")[-1].strip().rsplit(":", 1)[1])
        per_server[port] += 1
        rid = line["rid"]  # logged as nginx made it, even with an IIN-like run in it (kezek.core.logging)
        assert served[port][rid] == 1, (line, {p: ids[rid] for p, ids in served.items()})
        assert all(ids[rid] == 0 for other, ids in served.items() if other != port), line
    assert set(per_server) == {app.port for app in apps}, per_server
    assert all(count > 0 for count in per_server.values()), per_server
