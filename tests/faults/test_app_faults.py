"""The web tier under faults: gunicorn workers killed mid-rush, and PostgreSQL restarted under load.

Both drive a first_come voucher rush through the real stack (gunicorn, the waiting room, signed passes,
idempotent claims) with the crowd client of ``bench/rush.py``: each parent joins, polls until admitted and
claims with one Idempotency-Key, retrying with the same key after a timeout, a lost connection, or a 503/429
(after its Retry-After). Any other 5xx counts as an error.

(a) SIGKILL random gunicorn workers several times while the claims run (the master starts new ones).
(b) Stop the private PostgreSQL (``pg_ctl stop -m fast``: every session is terminated) while parents keep
    arriving, start it again a few seconds later; gunicorn is never restarted.

Checks: every acknowledged (2xx) claim has its voucher, no child has two, no more vouchers than the share,
every stored key replays to the same voucher, the audit chain verifies; in (b) also 503 + Retry-After (never
500) while the database is down, /health 200 and /ready 503 meanwhile, and how soon requests succeed again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import rush  # bench/rush.py: tests/faults/conftest.py, which pytest loads first, puts bench/ on the path

from tests.faults.conftest import FaultDb, bench

WORKERS = 3
KILLS = 8


@dataclass
class Rush:
    """A seeded first_come stage, the gunicorn serving it and the crowd about to come."""

    db: FaultDb
    server: bench.Gunicorn
    setup: dict[str, Any]
    visitors: list[rush.Visitor]
    claim_path: str
    crowd: rush.Crowd = field(default_factory=rush.Crowd)

    def open_at(self, opens_wall: float) -> None:
        opens_at = dt.datetime.fromtimestamp(opens_wall, dt.UTC)
        self.db.query("UPDATE rush_opening SET opens_at = %s WHERE id = %s RETURNING id", [opens_at, self.setup["opening_id"]])
        self.db.query("UPDATE vouchers_campaignstage SET opens_at = %s WHERE campaign_id = %s RETURNING id",
                      [opens_at, self.setup["campaign_id"]])

    def run(self, *, start_wall: float, opens_wall: float, give_up_after: float, cap: int = 60) -> None:
        csrf = rush.fetch_csrf(self.server)
        asyncio.run(rush.run_crowd(
            host=bench.LOCALHOST, port=self.server.port, csrf=csrf, visitors=self.visitors, claim_path=self.claim_path,
            opens_wall=opens_wall, start_wall=start_wall, cap=cap, timeout=20.0, give_up_after=give_up_after,
            crowd=self.crowd,
        ))

    def verify(self, tmp_path: Path) -> dict[str, Any]:
        acked = [[v.voucher_id, v.child_iin] for v in self.visitors if v.outcome in ("issued", "replayed")]
        acked_file = tmp_path / "acked.json"
        acked_file.write_text(json.dumps(acked))
        return self.db.stage("verify_rush", campaign_id=self.setup["campaign_id"], acked=str(acked_file))

    def replay_stored_keys(self) -> Counter:
        """Send every stored claim again with its key (and a fresh look at the pass): the same voucher each time."""
        rows = self.db.query(
            "SELECT c.account_id, c.idempotency_key, v.id FROM rush_poolclaim c "
            "JOIN vouchers_voucher v ON v.id = (c.result->>'voucher_id')::bigint WHERE c.pool_id = %s", [self.setup["pool_id"]])
        sessions = {v.account: v for v in self.visitors}
        csrf = rush.fetch_csrf(self.server)
        outcomes: Counter = Counter()
        for account, key, voucher_id in rows:
            visitor = sessions[account]
            status = self._call(visitor, csrf, "GET", f"/api/v1/rush/openings/{rush.SLUG}/status")
            answer = self._call(visitor, csrf, "POST", self.claim_path, body={"child_iin": visitor.child_iin},
                                headers={"Idempotency-Key": key, "X-Rush-Token": status.get("token") or ""})
            outcomes["same_voucher" if answer.get("id") == voucher_id else f"different:{answer}"] += 1
        return outcomes

    def _call(self, visitor: rush.Visitor, csrf: str, method: str, path: str, *, body: dict | None = None,
              headers: dict[str, str] | None = None) -> dict:
        request = urllib.request.Request(
            self.server.base_url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Cookie": f"sessionid={visitor.session}; csrftoken={csrf}", "X-CSRFToken": csrf,
                     "Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:
                return json.loads(answer.read())
        except urllib.error.HTTPError as answer:
            return {"status": answer.code, **json.loads(answer.read() or b"{}")}


@pytest.fixture
def make_rush(fault_db: FaultDb, tmp_path: Path):
    servers: list[bench.Gunicorn] = []

    def make(*, parents: int, vouchers: int, arrivals_over: float, seed: int, **env: str) -> Rush:
        families = tmp_path / "families.jsonl"
        setup = fault_db.stage("seed_rush", count=parents, vouchers=vouchers, out=str(families))
        rows = [json.loads(line) for line in families.read_text().splitlines()]
        rng = random.Random(seed)
        offsets = sorted(rng.uniform(0, arrivals_over) for _ in rows)
        visitors = [rush.Visitor(index=n, account=row["account"], child_iin=row["child_iin"], session=row["session"],
                                 arrives=offsets[n]) for n, row in enumerate(rows)]
        server_env = fault_db.env(**rush.SERVER_LIMITS, **env)
        server = bench.Gunicorn(bench.GunicornConfig(workers=WORKERS, timeout=30), server_env,
                                log_path=tmp_path / "gunicorn.log")
        servers.append(server)
        server.start(wait_seconds=90)
        claim_path = f"/api/v1/vouchers/campaigns/{setup['campaign_id']}/stages/1/claim"
        return Rush(db=fault_db, server=server, setup=setup, visitors=visitors, claim_path=claim_path)

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


def assert_nothing_lost_or_doubled(r: Rush, tmp_path: Path, *, expect_issued: int) -> dict[str, Any]:
    checks = r.verify(tmp_path)
    outcomes = Counter(v.outcome for v in r.visitors)
    assert r.crowd.http_5xx_errors == 0, r.crowd.error_samples
    assert checks["acknowledged_but_missing"] == 0
    assert checks["children_with_two_vouchers"] == 0 and checks["oversold"] == 0
    assert checks["issued"] == expect_issued, (checks, outcomes)
    assert checks["acknowledged"] == checks["issued"], (checks, outcomes)  # every voucher reached its parent
    assert checks["active_claims"] == checks["issued"] == checks["pool_taken"]
    replays = r.replay_stored_keys()
    assert replays == Counter(same_voucher=checks["issued"]), replays
    audit = r.db.audit_verify()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    return checks | {"outcomes": dict(outcomes.most_common()), "replays": dict(replays)}


# --- (a) workers killed mid-rush ------------------------------------------------------------------------------


def test_gunicorn_workers_killed_mid_rush(make_rush, tmp_path: Path):
    started = time.monotonic()
    # Every parent arrives before the opening, so the claims come at once when it opens.
    r = make_rush(parents=300, vouchers=100, arrivals_over=2.0, seed=8)
    master = r.server.process.pid
    kills: list[float] = []
    stop = threading.Event()
    opens_wall = time.time() + 4.0
    r.open_at(opens_wall)

    def killer() -> None:
        # From the opening on, a random worker every half second, while the claims are being made.
        rng = random.Random(1)
        stop.wait(max(0.0, opens_wall - time.time() + 0.1))
        while not stop.is_set() and len(kills) < KILLS:
            workers = bench.child_pids(master)
            if workers:
                try:
                    os.kill(rng.choice(workers), signal.SIGKILL)
                    kills.append(round(time.time() - opens_wall, 2))
                except ProcessLookupError:
                    pass
            stop.wait(0.5)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        r.run(start_wall=time.time() + 0.5, opens_wall=opens_wall, give_up_after=90)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert len(kills) >= 3, f"only {len(kills)} workers were killed: the rush ended too soon"
    assert len(bench.child_pids(master)) == WORKERS  # the master replaced every killed worker

    checks = assert_nothing_lost_or_doubled(r, tmp_path, expect_issued=100)
    crowd = r.crowd
    print(f"\n[faults] rush with killed workers: 300 parents, 100 vouchers, gunicorn sync x{WORKERS}; "
          f"{len(kills)} SIGKILLs at {kills} s after the opening; {crowd.requests} requests, statuses "
          f"{dict(sorted(crowd.statuses.items(), key=str))}, connection errors {crowd.conn_errors}, timeouts "
          f"{crowd.timeouts}, 503 with Retry-After {crowd.busy_503}, other 5xx {crowd.http_5xx_errors}; "
          f"issued {checks['issued']}, outcomes {checks['outcomes']}, replays {checks['replays']}, audit chain verified; "
          f"{time.monotonic() - started:.1f} s")


# --- (b) PostgreSQL restarted under load ------------------------------------------------------------------------


@dataclass
class Probe:
    """Polls /health, /ready and a public API read every 0.2 s, noting (seconds since start, path, status, extras)."""

    base_url: str
    api_path: str
    seen: list[tuple[float, str, int | None, str, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        started = time.monotonic()
        while not self.stop.is_set():
            for path in ("/health", "/ready", self.api_path):
                status, retry_after, code = self._get(path)
                self.seen.append((time.monotonic() - started, path, status, retry_after, code))
            self.stop.wait(0.2)

    def _get(self, path: str) -> tuple[int | None, str, str]:
        request = urllib.request.Request(self.base_url + path, headers={"Accept-Language": "en"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.headers.get("Retry-After", ""), ""
        except urllib.error.HTTPError as answer:
            body = answer.read()
            try:
                code = json.loads(body).get("code", "")
            except ValueError:
                code = ""
            return answer.code, answer.headers.get("Retry-After", ""), code or ""
        except OSError:
            return None, "", ""


DOWN_SECONDS = 6.0


def test_postgresql_restarted_under_load(make_rush, fault_db: FaultDb, tmp_path: Path):
    started = time.monotonic()
    parents = 200
    r = make_rush(parents=parents, vouchers=parents, arrivals_over=20.0, seed=9, KEZEK_DATABASE_RETRY_AFTER_SECONDS="2")
    opens_wall = time.time() + 2.0
    r.open_at(opens_wall)
    probe = Probe(r.server.base_url, f"/api/v1/rush/openings/{rush.SLUG}")
    marks: dict[str, float] = {}

    def restart() -> None:
        time.sleep(max(0.0, opens_wall + 5.0 - time.time()))
        marks["stop"] = time.monotonic()
        fault_db.cluster.stop("fast")
        marks["stopped"] = time.monotonic()
        time.sleep(DOWN_SECONDS)
        marks["start"] = time.monotonic()
        fault_db.cluster.start()
        marks["started"] = time.monotonic()

    probe_thread = threading.Thread(target=probe.run, daemon=True)
    restart_thread = threading.Thread(target=restart, daemon=True)
    probe_thread.start()
    probe_started = time.monotonic()
    restart_thread.start()
    try:
        r.run(start_wall=time.time() + 0.5, opens_wall=opens_wall, give_up_after=120)
    finally:
        restart_thread.join(timeout=90)
        probe.stop.set()
        probe_thread.join(timeout=15)
    assert "started" in marks, f"PostgreSQL did not come back:\n{fault_db.cluster.server_log()}"

    def offset(name: str) -> float:
        return marks[name] - probe_started

    down = [s for s in probe.seen if offset("stopped") <= s[0] <= offset("start")]
    after = [s for s in probe.seen if s[0] >= offset("started")]
    # While it is down: liveness 200, readiness 503, the API 503 with Retry-After and its problem code; never 500.
    assert down and all(status == 200 for _, path, status, _, _ in down if path == "/health"), down
    assert {status for _, path, status, _, _ in down if path == "/ready"} == {503}, down
    api_down = [(status, retry, code) for _, path, status, retry, code in down if path == probe.api_path]
    assert api_down and set(api_down) == {(503, "2", "database_unavailable")}, api_down
    assert not [s for s in probe.seen if s[2] is not None and s[2] >= 500 and s[2] != 503], probe.seen
    # Back on its own, without restarting gunicorn.
    first_ok = next(t for t, path, status, _, _ in after if path == probe.api_path and status == 200)
    recovery = first_ok - offset("started")
    ready_again = next(t for t, path, status, _, _ in after if path == "/ready" and status == 200) - offset("started")
    assert recovery < 30, recovery
    assert {status for _, path, status, _, _ in after[-6:]} == {200}

    checks = assert_nothing_lost_or_doubled(r, tmp_path, expect_issued=parents)
    crowd = r.crowd
    print(f"\n[faults] PostgreSQL restart under load: {parents} parents arriving over 20 s for {parents} vouchers; "
          f"database stopped {offset('stop'):.1f} s into the run for {offset('started') - offset('stop'):.1f} s "
          f"(fast stop {marks['stopped'] - marks['stop']:.1f} s, start {marks['started'] - marks['start']:.1f} s); "
          f"crowd {crowd.requests} requests, statuses {dict(sorted(crowd.statuses.items(), key=str))}, 503 with "
          f"Retry-After {crowd.busy_503}, other 5xx {crowd.http_5xx_errors}, connection errors {crowd.conn_errors}; "
          f"probe {len(probe.seen)} requests, API answered 503 {len(api_down)} times while down; first API 200 "
          f"{recovery:.2f} s after PostgreSQL was up (/ready 200 after {ready_again:.2f} s); issued {checks['issued']}, outcomes {checks['outcomes']}, "
          f"audit chain verified; {time.monotonic() - started:.1f} s")
