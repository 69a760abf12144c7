"""Benchmark: a flash crowd for a first_come voucher stage (waiting room, signed passes, atomic claims).

    .venv/bin/python bench/rush.py [--arrivals 20000] [--vouchers 3500] [--window 60] [--json OUT]

Set-up (all on 127.0.0.1): a fresh database ``kezek_bench_rush``, migrated; one registry family (parent +
school-age child), parent account and signed-in session per arrival, written straight to the database (as
``bench/apply.py`` does: the run measures the rush, not SMS sign-in); an announced first_come campaign with one
stage and its waiting room (``kezek.rush``). pgbench runs the claim transaction itself (the conditional pool
UPDATE and the claim INSERT) for comparison. Then gunicorn with several workers on PostgreSQL and Redis, and
the crowd: distinct parents arriving over the window (open model: a share before the opening, most in the first
seconds after it), each joining the waiting room, polling its status as the page does until admitted, then
claiming with the pass, an ``Idempotency-Key`` and the session's CSRF token, retrying after ``Retry-After`` on
503/429. Finally SQL checks (issued, oversold, doubles, every 2xx backed by a voucher, audit chain) and the
JSON (``bench/results/rush.json``).

A benchmark, not a test: it asserts nothing; each target is reported as met or not.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as bench  # noqa: E402

DB_NAME = "kezek_bench_rush"
REDIS_DB = 12
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
FAMILIES_FILE = bench.RESULTS / "rush-families.jsonl"
SLUG = "bench-rush-stage-1"
TARGETS = {
    "http_5xx": 0, "oversold": 0, "children_with_two_vouchers": 0, "acknowledged_but_missing": 0,
    "seconds_to_sell_out_max": 15.0, "claims_per_second_min": 1000.0, "ratio_to_pgbench_min": 0.25,
    "abs_prequeue_order_correlation_max": 0.05,
}
# The server's limits for the run. Every visitor of the benchmark comes from 127.0.0.1, where a real crowd
# comes from thousands of addresses: the per-IP limit is raised so it does not turn the run into 429s.
SERVER_LIMITS = {
    "KEZEK_RUSH_REQUESTS_PER_IP_PER_MINUTE": "100000000",
    "KEZEK_RUSH_REQUESTS_PER_ACCOUNT_PER_MINUTE": "120",
    "KEZEK_RUSH_MAX_CLAIMS_IN_FLIGHT": "64",
    "KEZEK_RUSH_RETRY_AFTER_SECONDS": "2",
    "KEZEK_RUSH_LOCK_TIMEOUT_MS": "2000",
    "KEZEK_RUSH_STATEMENT_TIMEOUT_MS": "5000",
}


# --- stages that run inside Django (a subprocess with the benchmark database's settings) -------------------


def stage_seed(args: argparse.Namespace) -> dict[str, Any]:
    """Families with signed-in parents, an officer, and an announced first_come campaign with one waiting room."""
    bench.django_setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone

    from kezek.accounts.models import Role, User
    from kezek.geo.models import District
    from kezek.people.models import LegalRepresentation, Person
    from kezek.rush.services import opening_create
    from kezek.vouchers.models import CampaignStage, VoucherCampaign

    district = District.objects.select_related("region").filter(code=args.district_code).first() or District.objects.first()
    now = timezone.now()
    unusable = make_password(None)
    out = open(args.out, "w")  # noqa: SIM115
    for start in range(0, args.count, args.batch):
        indices = range(start, min(args.count, start + args.batch))
        with transaction.atomic():
            adults = [Person(iin=bench.synthetic_iin(dt.date(1985, 1, 1), i, 3000, "F"), last_name="Бенчмаркова", first_name="Айгерим",
                             birth_date=dt.date(1985, 1, 1) + dt.timedelta(days=i % 3000), sex="F", phone=f"+7701{i:07d}",
                             district=district) for i in indices]
            # Born 2015-2019: 6 to 11 years old on the period start, within the campaign's ages.
            children = [Person(iin=bench.synthetic_iin(dt.date(2015, 1, 1), i, 1800, "M"), last_name="Бенчмарков", first_name="Нурлан",
                               birth_date=dt.date(2015, 1, 1) + dt.timedelta(days=i % 1800), sex="M", district=district)
                        for i in indices]
            Person.objects.bulk_create(adults + children, batch_size=2000)
            ids = dict(Person.objects.filter(iin__in=[p.iin for p in adults + children]).values_list("iin", "id"))
            LegalRepresentation.objects.bulk_create(
                [LegalRepresentation(representative_id=ids[a.iin], child_id=ids[c.iin]) for a, c in zip(adults, children)],
                batch_size=2000,
            )
            User.objects.bulk_create(
                [User(username=a.phone, role=Role.PARENT, person_id=ids[a.iin], password=unusable, display_name=a.full_name)
                 for a in adults], batch_size=2000,
            )
            users = {u.username: u for u in User.objects.filter(username__in=[a.phone for a in adults])}
            keys = bench.signed_in_sessions([users[a.phone] for a in adults], now=now)
            for adult, child, key in zip(adults, children, keys):
                out.write(json.dumps({"account": users[adult.phone].pk, "child_iin": child.iin, "session": key}) + "\n")
    out.close()

    officer = User.objects.create(username="bench-officer", role=Role.OFFICER, password=unusable, district=district,
                                  display_name="Bench officer")
    # Far in the future for now: the run moves the opening to a few seconds after the crowd starts arriving.
    opens_at = now + dt.timedelta(days=30)
    period_start = dt.date(now.year + 1, 9, 1)
    with transaction.atomic():
        campaign = VoucherCampaign.objects.create(
            title="Bench rush", region=district.region, period_start=period_start,
            period_end=period_start + dt.timedelta(days=270), kind=VoucherCampaign.Kind.UNIVERSAL,
            policy=VoucherCampaign.Policy.FIRST_COME, status=VoucherCampaign.Status.ANNOUNCED, quota=args.vouchers,
            monthly_value=25000, min_age=4, max_age=17, announced_at=now, created_by=officer,
        )
        stage = CampaignStage.objects.create(campaign=campaign, number=1, opens_at=opens_at, share=args.vouchers)
        opening = opening_create(
            actor=officer, slug=SLUG, title="Bench rush · 1", opens_at=opens_at, pools={"vouchers": args.vouchers},
            claim_url=reverse("vouchers:claim", kwargs={"campaign_id": campaign.pk, "stage_number": 1}),
            admission_rate=args.admission_rate,
        )
        stage.opening, stage.pool = opening, opening.pools.get()
        stage.save(update_fields=["opening", "pool"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"campaign_id": campaign.pk, "opening_id": opening.pk, "pool_id": stage.pool.pk, "officer_id": officer.pk,
            "admission_rate": opening.admission_rate, "max_claims_in_flight": opening.max_claims_in_flight,
            "token_ttl": opening.token_ttl, "district": district.code}


def stage_verify(args: argparse.Namespace) -> dict[str, Any]:
    """After the run: vouchers issued against the share, doubles, and every 2xx answer backed by its voucher."""
    bench.django_setup()
    from django.db.models import Count, Max, Min

    from kezek.rush.models import Pool, PoolClaim
    from kezek.vouchers.models import CampaignStage, Voucher

    acked = json.loads(Path(args.acked).read_text())
    stage = CampaignStage.objects.select_related("pool", "opening").get(campaign_id=args.campaign_id, number=1)
    pool = Pool.objects.get(pk=stage.pool_id)
    vouchers = Voucher.objects.filter(campaign_id=args.campaign_id)
    issued = vouchers.count()
    stored = dict(vouchers.values_list("pk", "child__iin"))
    missing = sum(1 for voucher_id, child_iin in acked if stored.get(voucher_id) != child_iin)
    doubles = vouchers.values("child_id").annotate(n=Count("id")).filter(n__gt=1).count()
    times = vouchers.aggregate(first=Min("issued_at"), last=Max("issued_at"))
    opens = stage.opening.opens_at
    sold_out = issued >= stage.share
    return {
        "issued": issued,
        "share": stage.share,
        "pool_capacity": pool.capacity,
        "pool_taken": pool.taken,
        "active_claims": PoolClaim.objects.filter(pool=pool, released_at__isnull=True).count(),
        "oversold": max(0, issued - stage.share) + max(0, pool.taken - pool.capacity),
        "children_with_two_vouchers": doubles,
        "acknowledged": len(acked),
        "acknowledged_but_missing": missing,
        "opens_at": opens.timestamp(),
        "first_issued_at": times["first"].timestamp() if times["first"] else None,
        "last_issued_at": times["last"].timestamp() if times["last"] else None,
        "seconds_to_sell_out": round((times["last"] - opens).total_seconds(), 3) if sold_out and times["last"] else None,
    }


# --- the crowd ---------------------------------------------------------------------------------------------


@dataclass
class Visitor:
    index: int
    account: int
    child_iin: str
    session: str
    arrives: float  # seconds from the crowd's start
    joined_early: bool = False
    admitted_at: float | None = None
    outcome: str = "pending"  # issued, replayed, sold_out, refused:<status>, gave_up
    voucher_id: int | None = None
    answered_at: float | None = None  # wall clock of the claim's final answer


@dataclass
class Crowd:
    """What the client saw: per-request statuses and latencies, claims apart."""

    statuses: Counter = field(default_factory=Counter)
    claim_statuses: Counter = field(default_factory=Counter)
    claim_latency_ms: list[float] = field(default_factory=list)
    claim_ok_latency_ms: list[float] = field(default_factory=list)
    join_latency_ms: list[float] = field(default_factory=list)
    status_latency_ms: list[float] = field(default_factory=list)
    http_5xx_errors: int = 0  # 5xx other than 503 with Retry-After
    busy_503: int = 0  # 503 with Retry-After: shed load, retried
    rate_limited_429: int = 0
    timeouts: int = 0
    conn_errors: int = 0
    requests: int = 0
    max_in_flight: int = 0
    connections_opened: int | None = None  # with --keep-alive
    connections_reused: int | None = None
    error_samples: list[str] = field(default_factory=list)


def arrival_offsets(*, arrivals: int, lead: float, window: float, early_share: float, tail_mean: float, seed: int) -> list[float]:
    """Arrival times (seconds from the crowd's start; the opening is at ``lead``): a share spread evenly at random
    before the opening, the rest after it with exponentially thinning density (most in the first seconds)."""
    rng = random.Random(seed)
    early = round(arrivals * early_share)
    times = [rng.uniform(0, lead) for _ in range(early)]
    while len(times) < arrivals:
        t = lead + rng.expovariate(1 / tail_mean)
        if t < window:
            times.append(t)
    return sorted(times)


def _parse(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


class Client:
    """Raw HTTP/1.1 with ``Connection: close`` (cheap on a 2-core machine), at most ``cap`` connections at once.

    With ``keep_alive`` the connections stay open and serve the next request of any visitor (a browser reuses
    its own; sharing them keeps the open count at ``cap``), which gthread workers honour.
    """

    def __init__(self, *, host: str, port: int, csrf: str, cap: int, timeout: float, crowd: Crowd, give_up_at: float,
                 keep_alive: bool = False):
        self.host, self.port, self.csrf, self.timeout, self.crowd = host, port, csrf, timeout, crowd
        self.pool = bench.KeepAlivePool(host, port) if keep_alive else None
        self.give_up_at = give_up_at
        self.slots = asyncio.Semaphore(cap)
        self.in_flight = 0

    async def call(self, visitor: Visitor, method: str, path: str, *, body: dict | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int | str, dict[str, str], Any, float]:
        """One request; returns (status or "timeout"/"conn_error", headers, JSON body or None, latency ms)."""
        raw_body = json.dumps(body).encode() if body is not None else b""
        all_headers = {"Cookie": f"sessionid={visitor.session}; csrftoken={self.csrf}", "Accept": "application/json"}
        if method != "GET":
            all_headers.update({"X-CSRFToken": self.csrf, "Content-Type": "application/json"})
        all_headers.update(headers or {})
        request = bench.Request(method, path, all_headers, raw_body).raw(self.host, self.port, keep_alive=self.pool is not None)
        started = time.monotonic()  # latency includes waiting for a free connection (no coordinated omission)
        try:
            await asyncio.wait_for(self.slots.acquire(), max(0.0, self.give_up_at - started))
        except TimeoutError:
            return "gave_up", {}, None, (time.monotonic() - started) * 1000
        try:
            self.in_flight += 1
            self.crowd.max_in_flight = max(self.crowd.max_in_flight, self.in_flight)
            self.crowd.requests += 1
            try:
                exchange = (self.pool.exchange(request, self.timeout) if self.pool
                            else bench._exchange(self.host, self.port, request, self.timeout))
                status, data = await asyncio.wait_for(exchange, self.timeout)
            except TimeoutError:
                self.crowd.timeouts += 1
                return "timeout", {}, None, (time.monotonic() - started) * 1000
            except (OSError, ValueError) as exc:
                self.crowd.conn_errors += 1
                if len(self.crowd.error_samples) < 5:
                    self.crowd.error_samples.append(f"{type(exc).__name__}: {exc}")
                return "conn_error", {}, None, (time.monotonic() - started) * 1000
            finally:
                self.in_flight -= 1
        finally:
            self.slots.release()
        latency = (time.monotonic() - started) * 1000
        status, answer_headers, raw = _parse(data)
        self.crowd.statuses[status] += 1
        if status == 503 and "retry-after" in answer_headers:
            self.crowd.busy_503 += 1
        elif status >= 500:
            self.crowd.http_5xx_errors += 1
            if len(self.crowd.error_samples) < 5:
                self.crowd.error_samples.append(f"{method} {path} -> {status}: {raw[-300:].decode('utf-8', 'replace')}")
        elif status == 429:
            self.crowd.rate_limited_429 += 1
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        return status, answer_headers, payload, latency


def _retry_after(headers: dict[str, str], default: float = 1.0) -> float:
    try:
        return max(0.5, float(headers.get("retry-after", default)))
    except ValueError:
        return default


async def _room_call(client: Client, visitor: Visitor, method: str, path: str, latencies: list[float],
                     give_up_at: float) -> dict | None:
    """A waiting-room request, repeated after Retry-After (503/429) or a lost connection, as the page would."""
    while time.monotonic() < give_up_at:
        status, headers, payload, latency = await client.call(visitor, method, path)
        if isinstance(status, int):
            latencies.append(latency)
        if status == 200 and isinstance(payload, dict):
            return payload
        await asyncio.sleep(_retry_after(headers) if isinstance(status, int) else 1.0)
    return None


async def visit(client: Client, visitor: Visitor, *, claim_path: str, opens_wall: float, give_up_at: float) -> None:
    """One parent: join, poll the status as the page does until admitted, then claim with the pass."""
    crowd = client.crowd
    room = f"/api/v1/rush/openings/{SLUG}"
    state = await _room_call(client, visitor, "POST", f"{room}/join", crowd.join_latency_ms, give_up_at)
    if state is not None and state["state"] == "waiting_for_opening":
        visitor.joined_early = True
    while state is not None and state["state"] != "admitted":
        if state["state"] in ("expired", "not_joined"):
            visitor.outcome = f"room:{state['state']}"
            return
        if state.get("admitted_at") and visitor.admitted_at is None:
            visitor.admitted_at = dt.datetime.fromisoformat(state["admitted_at"]).timestamp()
        wait = state.get("poll_after_seconds") or 2
        if state["state"] == "waiting_for_opening":
            # The page counts down and asks again at the opening (within its poll interval).
            wait = min(wait, max(0.0, opens_wall - time.time()) + random.uniform(0, 0.5))
        await asyncio.sleep(wait)
        state = await _room_call(client, visitor, "GET", f"{room}/status", crowd.status_latency_ms, give_up_at)
    if state is None:
        visitor.outcome = "gave_up"
        return
    visitor.admitted_at = dt.datetime.fromisoformat(state["admitted_at"]).timestamp()
    key = uuid.uuid4().hex  # one key per claim: every retry replays the same claim
    headers = {"Idempotency-Key": key, "X-Rush-Token": state["token"]}
    while time.monotonic() < give_up_at:
        status, answer_headers, payload, latency = await client.call(
            visitor, "POST", claim_path, body={"child_iin": visitor.child_iin}, headers=headers)
        crowd.claim_statuses[status] += 1
        if isinstance(status, int):
            crowd.claim_latency_ms.append(latency)
        if status in (200, 201):
            crowd.claim_ok_latency_ms.append(latency)
            visitor.outcome = "issued" if status == 201 else "replayed"
            visitor.voucher_id = payload["id"] if isinstance(payload, dict) else None
            visitor.answered_at = time.time()
            return
        if status in (503, 429) or not isinstance(status, int):
            # Busy, rate limited, or no answer (a timeout may have committed: the same key replays it).
            await asyncio.sleep(_retry_after(answer_headers) if isinstance(status, int) else 1.0)
            continue
        code = payload.get("code") if isinstance(payload, dict) else None
        visitor.outcome = code or f"refused:{status}"
        visitor.answered_at = time.time()
        return
    visitor.outcome = "gave_up"


async def run_crowd(*, host: str, port: int, csrf: str, visitors: list[Visitor], claim_path: str, opens_wall: float,
                    start_wall: float, cap: int, timeout: float, give_up_after: float, crowd: Crowd,
                    keep_alive: bool = False) -> float:
    loop_start = time.monotonic() + (start_wall - time.time())
    give_up_at = loop_start + give_up_after
    client = Client(host=host, port=port, csrf=csrf, cap=cap, timeout=timeout, crowd=crowd, give_up_at=give_up_at,
                    keep_alive=keep_alive)
    tasks = []
    lags = []
    for visitor in visitors:
        delay = loop_start + visitor.arrives - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        lags.append(-delay * 1000 if delay < 0 else 0.0)
        tasks.append(asyncio.create_task(visit(client, visitor, claim_path=claim_path, opens_wall=opens_wall,
                                               give_up_at=give_up_at)))
    await asyncio.gather(*tasks)
    if client.pool:
        crowd.connections_opened, crowd.connections_reused = client.pool.opened, client.pool.reused
        client.pool.close()
    return bench.percentile(lags, 99) or 0.0


# --- figures ---------------------------------------------------------------------------------------------


def _ranks(values: list[float]) -> list[float]:
    """Ranks 1..n, ties sharing their average rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: list[float], y: list[float]) -> float | None:
    """Spearman's rank correlation (Pearson's r of the ranks; scipy is not a dependency)."""
    if len(x) < 3:
        return None
    rx, ry = _ranks(x), _ranks(y)
    mean = (len(x) + 1) / 2
    cov = sum((a - mean) * (b - mean) for a, b in zip(rx, ry))
    var_x = sum((a - mean) ** 2 for a in rx)
    var_y = sum((b - mean) ** 2 for b in ry)
    return cov / math.sqrt(var_x * var_y) if var_x and var_y else None


def pgbench_claim(*, dbname: str, account_id: int, clients: int = 4, seconds: int = 10) -> dict[str, Any]:
    """pgbench of the claim transaction on the real tables: the claim INSERT (unique holder and key) and the
    conditional pool UPDATE, in a scratch opening whose pool is large enough never to fill."""
    table_opening, table_pool, table_claim = "rush_opening", "rush_pool", "rush_poolclaim"
    setup = (
        f"DELETE FROM {table_claim} WHERE opening_id IN (SELECT id FROM {table_opening} WHERE slug = 'bench-pgbench'); "
        f"DELETE FROM {table_pool} WHERE opening_id IN (SELECT id FROM {table_opening} WHERE slug = 'bench-pgbench'); "
        f"DELETE FROM {table_opening} WHERE slug = 'bench-pgbench'; "
        f"INSERT INTO {table_opening} (slug, title, opens_at, admission_rate, token_ttl, max_claims_in_flight, claim_url, "
        "created_at) VALUES ('bench-pgbench', 'pgbench', now(), 1000, 900, 64, '', now()); "
        f"INSERT INTO {table_pool} (opening_id, key, title, capacity, taken) "
        f"SELECT id, 'pgbench', '', 2000000000, 0 FROM {table_opening} WHERE slug = 'bench-pgbench'"
    )
    pool = f"(SELECT p.id FROM {table_pool} p JOIN {table_opening} o ON o.id = p.opening_id WHERE o.slug = 'bench-pgbench')"
    script = (
        "BEGIN;\n"
        f"INSERT INTO {table_claim} (opening_id, pool_id, holder, account_id, idempotency_key, result, created_at, "
        "release_reason) SELECT opening_id, id, 'pgbench:' || gen_random_uuid(), "
        f"{account_id}, gen_random_uuid()::text, '{{}}'::jsonb, now(), '' FROM {table_pool} WHERE id = {pool};\n"
        f"UPDATE {table_pool} SET taken = taken + 1 WHERE id = {pool} AND taken < capacity;\n"
        "COMMIT;\n"
    )
    teardown = setup.split("; INSERT")[0]
    return bench.pgbench_script(dbname=dbname, setup_sql=setup, script=script, teardown_sql=teardown,
                                label="claim: INSERT + conditional UPDATE", clients=clients, seconds=seconds)


# --- the benchmark ----------------------------------------------------------------------------------------


def fetch_csrf(server: bench.Gunicorn) -> str:
    import urllib.request

    with urllib.request.urlopen(server.base_url + "/api/v1/auth/csrf", timeout=5) as answer:
        return json.loads(answer.read())["csrf_token"]


def run(args: argparse.Namespace) -> int:
    started = time.time()
    database_url = bench.pg_url(DB_NAME)
    env = bench.django_env(database_url, REDIS_URL=REDIS_URL, ALLOWED_HOSTS="127.0.0.1", KEZEK_SMS_BACKEND="file",
                           KEZEK_SMS_FILE_PATH=str(bench.RESULTS / "rush-sms.jsonl"), **SERVER_LIMITS)
    report: dict[str, Any] = {
        "benchmark": "rush",
        "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "arrivals": args.arrivals,
        "vouchers": args.vouchers,
        "window_s": args.window,
        "machine": bench.machine_info(),
        "server_limits": dict(SERVER_LIMITS),
        "targets": TARGETS,
    }
    bench.pg_recreate_database(DB_NAME)
    bench.kezek("migrate", "--no-input", env=env)
    subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], capture_output=True, check=False)
    t0 = time.monotonic()
    setup = bench.python_subprocess(
        [__file__, "--stage", "seed", "--count", str(args.arrivals), "--vouchers", str(args.vouchers),
         "--admission-rate", str(args.admission_rate), "--district-code", args.district_code, "--out", str(FAMILIES_FILE)],
        env=env,
    )
    rows = [json.loads(line) for line in FAMILIES_FILE.read_text().splitlines()]
    bench.eprint(f"seeded {len(rows)} families and campaign {setup['campaign_id']} in {time.monotonic() - t0:.0f} s")
    report["setup"] = setup | {"seed_seconds": round(time.monotonic() - t0, 1)}

    if not args.no_pgbench:
        report["pgbench"] = pgbench_claim(dbname=DB_NAME, account_id=setup["officer_id"],
                                          seconds=args.pgbench_seconds)
        bench.eprint(f"pgbench claim transaction: {report['pgbench']['tps']:.0f} tps")

    offsets = arrival_offsets(arrivals=args.arrivals, lead=args.lead, window=args.window, early_share=args.early_share,
                              tail_mean=args.tail_mean, seed=args.seed)
    order = list(range(len(rows)))
    random.Random(args.seed + 1).shuffle(order)  # which parent arrives when has nothing to do with their account id
    visitors = [Visitor(index=n, account=rows[i]["account"], child_iin=rows[i]["child_iin"], session=rows[i]["session"],
                        arrives=offsets[n]) for n, i in enumerate(order)]
    claim_path = f"/api/v1/vouchers/campaigns/{setup['campaign_id']}/stages/1/claim"
    config = bench.GunicornConfig(workers=args.workers, worker_class=args.worker_class, threads=args.threads)
    crowd = Crowd()
    with bench.Gunicorn(config, env, log_path=bench.RESULTS / "rush-gunicorn.log") as server:
        csrf = fetch_csrf(server)
        start_wall = time.time() + 2.0
        opens_wall = start_wall + args.lead
        opens_at = dt.datetime.fromtimestamp(opens_wall, dt.UTC).isoformat()
        bench.psql(f"UPDATE rush_opening SET opens_at = '{opens_at}' WHERE id = {setup['opening_id']}; "
                   f"UPDATE vouchers_campaignstage SET opens_at = '{opens_at}' WHERE campaign_id = {setup['campaign_id']}",
                   dbname=DB_NAME)
        bench.eprint(f"crowd: {args.arrivals} arrivals over {args.window:g} s, opening at +{args.lead:g} s; "
                     f"gunicorn {config.label()}")
        meter = bench.CpuMeter(gunicorn_pid=server.process.pid, dbname=DB_NAME)
        meter.start()
        send_lag_p99 = asyncio.run(run_crowd(
            host=bench.LOCALHOST, port=server.port, csrf=csrf, visitors=visitors, claim_path=claim_path,
            opens_wall=opens_wall, start_wall=start_wall, cap=args.cap, timeout=args.timeout,
            give_up_after=args.window + args.give_up_after, crowd=crowd, keep_alive=args.keep_alive,
        ))
        cpu = meter.stop()
    report["gunicorn"] = {**vars(config), "label": config.label()}
    report["client_keep_alive"] = {"on": args.keep_alive, "connections_opened": crowd.connections_opened,
                                   "requests_on_open_connections": crowd.connections_reused}

    acked = [[v.voucher_id, v.child_iin] for v in visitors if v.outcome in ("issued", "replayed")]
    acked_file = bench.RESULTS / "rush-acked.json"
    bench.write_json(acked_file, acked)
    checks = bench.python_subprocess(
        [__file__, "--stage", "verify", "--campaign-id", str(setup["campaign_id"]), "--acked", str(acked_file)], env=env)
    audit = bench.kezek("audit", "verify", env=env, check=False)
    checks["audit_verify"] = {"ok": audit.returncode == 0, "output": (audit.stdout + audit.stderr).strip()[-300:]}
    report.update(figures(args, visitors, crowd, checks, cpu, report.get("pgbench"), opens_wall, send_lag_p99))
    report["verification"] = checks
    report["wall_time_s"] = round(time.time() - started, 1)
    path = bench.write_json(args.json, report)
    print_summary(report, path)
    return 0


def figures(args, visitors: list[Visitor], crowd: Crowd, checks: dict[str, Any], cpu: dict[str, Any],
            pgbench: dict[str, Any] | None, opens_wall: float, send_lag_p99: float) -> dict[str, Any]:
    issued = checks["issued"]
    first, last = checks["first_issued_at"], checks["last_issued_at"]
    claims_per_second = round(issued / (last - first), 1) if issued > 1 and last and last > first else None
    early = [v for v in visitors if v.joined_early and v.admitted_at is not None]
    # Arrival order before the opening against admission order: near 0 means arriving earlier gave no advantage.
    correlation = spearman([v.arrives for v in early], [v.admitted_at for v in early])
    pg_tps = (pgbench or {}).get("tps")
    outcomes = Counter(v.outcome for v in visitors)
    claim_requests = len(crowd.claim_latency_ms)
    figures = {
        "issued": issued,
        "seconds_to_sell_out": checks["seconds_to_sell_out"],
        "claims_per_second": claims_per_second,
        "p50_ms": bench.rounded(bench.percentile(crowd.claim_latency_ms, 50)),
        "p95_ms": bench.rounded(bench.percentile(crowd.claim_latency_ms, 95)),
        "p99_ms": bench.rounded(bench.percentile(crowd.claim_latency_ms, 99)),
        "http_5xx": crowd.http_5xx_errors,
        "http_503_busy_with_retry_after": crowd.busy_503,
        "http_5xx_including_503_busy": crowd.http_5xx_errors + crowd.busy_503,
        "oversold": checks["oversold"],
        "children_with_two_vouchers": checks["children_with_two_vouchers"],
        "acknowledged_but_missing": checks["acknowledged_but_missing"],
        "prequeue_order_correlation": round(correlation, 4) if correlation is not None else None,
        "prequeue_visitors": len(early),
        "pgbench_claim_tps": pg_tps,
        "ratio_to_pgbench": round(claims_per_second / pg_tps, 4) if claims_per_second and pg_tps else None,
        "admission_rate": args.admission_rate,
        "claim_requests": claim_requests,  # answered ones
        "claim_statuses": {str(k): n for k, n in sorted(crowd.claim_statuses.items(), key=str)},
        "claim_ok_p99_ms": bench.rounded(bench.percentile(crowd.claim_ok_latency_ms, 99)),
        "join_p50_ms": bench.rounded(bench.percentile(crowd.join_latency_ms, 50)),
        "join_p99_ms": bench.rounded(bench.percentile(crowd.join_latency_ms, 99)),
        "status_p50_ms": bench.rounded(bench.percentile(crowd.status_latency_ms, 50)),
        "status_p99_ms": bench.rounded(bench.percentile(crowd.status_latency_ms, 99)),
        "requests": crowd.requests,
        "statuses": {str(k): n for k, n in sorted(crowd.statuses.items(), key=str)},
        "http_429": crowd.rate_limited_429,
        "timeouts": crowd.timeouts,
        "conn_errors": crowd.conn_errors,
        "max_in_flight": crowd.max_in_flight,
        "arrival_send_lag_p99_ms": round(send_lag_p99, 1),
        "visitor_outcomes": dict(outcomes.most_common()),
        "last_2xx_after_opening_s": round(max(v.answered_at for v in visitors if v.outcome == "issued") - opens_wall, 3)
        if outcomes["issued"] else None,
        "error_samples": crowd.error_samples,
        "cpu": cpu | {
            "gunicorn_cpu_ms_per_request": round(cpu["gunicorn_cpu_s"] * 1000 / max(1, crowd.requests), 2),
            "postgres_cpu_ms_per_request": round(cpu["postgres_cpu_s"] * 1000 / max(1, crowd.requests), 2),
        },
    }
    figures["target_met"] = {
        "zero_errors": not (figures["http_5xx"] or figures["oversold"] or figures["children_with_two_vouchers"]
                            or figures["acknowledged_but_missing"]),
        "issued_equals_vouchers": issued == args.vouchers,
        "sold_out_within_15_s": figures["seconds_to_sell_out"] is not None
        and figures["seconds_to_sell_out"] <= TARGETS["seconds_to_sell_out_max"],
        "claims_per_second_at_least_1000": (claims_per_second or 0) >= TARGETS["claims_per_second_min"],
        "ratio_to_pgbench_at_least_0_25": (figures["ratio_to_pgbench"] or 0) >= TARGETS["ratio_to_pgbench_min"],
        "abs_correlation_below_0_05": correlation is not None and abs(correlation) < TARGETS["abs_prequeue_order_correlation_max"],
    }
    return figures


def print_summary(r: dict[str, Any], path: Path) -> None:
    m = r["machine"]
    print(f"\nrush benchmark on {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_mb']} MB, PostgreSQL {m['postgres']}; "
          f"gunicorn {r['gunicorn']['label']}; admission rate {r['admission_rate']:g}/s")
    print(f"  {r['arrivals']} arrivals over {r['window_s']:g} s for {r['vouchers']} vouchers: issued {r['issued']}, "
          f"sold out {r['seconds_to_sell_out']} s after the opening, {r['claims_per_second']} claims/s")
    print(f"  claim requests {r['claim_requests']}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms; "
          f"statuses {r['claim_statuses']}")
    print(f"  http_5xx {r['http_5xx']} (503 busy with Retry-After: {r['http_503_busy_with_retry_after']}), 429 {r['http_429']}, "
          f"timeouts {r['timeouts']}, connection errors {r['conn_errors']}; oversold {r['oversold']}, children with two "
          f"vouchers {r['children_with_two_vouchers']}, acknowledged but missing {r['acknowledged_but_missing']}")
    print(f"  prequeue order correlation {r['prequeue_order_correlation']} over {r['prequeue_visitors']} early visitors; "
          f"pgbench claim {r['pgbench_claim_tps']} tps, ratio {r['ratio_to_pgbench']}")
    c = r["cpu"]
    print(f"  {r['requests']} requests; CPU per request {c['gunicorn_cpu_ms_per_request']} ms gunicorn + "
          f"{c['postgres_cpu_ms_per_request']} ms PostgreSQL; other jobs used {c['other_processes_cpu_s']} of "
          f"{c['machine_cpu_capacity_s']} CPU-s; audit chain: {r['verification']['audit_verify']['output'][-80:]}")
    print(f"  targets: {r['target_met']}")
    print(f"  JSON: {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arrivals", type=int, default=20000, help="distinct parents arriving (default 20000)")
    parser.add_argument("--vouchers", type=int, default=3500, help="vouchers in the stage (default 3500)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which they arrive (default 60)")
    parser.add_argument("--json", type=Path, default=bench.RESULTS / "rush.json", help="output (default bench/results/rush.json)")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds from the first arrival to the opening (default 5)")
    parser.add_argument("--early-share", type=float, default=0.25, help="share arriving before the opening (default 0.25)")
    parser.add_argument("--tail-mean", type=float, default=4.0,
                        help="mean seconds after the opening of the later arrivals (exponential; default 4)")
    parser.add_argument("--admission-rate", type=float, default=1000.0, help="the opening's admissions per second (default 1000)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--keep-alive", action="store_true",
                        help="reuse connections as browsers do (gthread keeps them open; sync closes each one)")
    parser.add_argument("--cap", type=int, default=1000, help="most connections open at once (default 1000)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a request counts as timed out")
    parser.add_argument("--give-up-after", type=float, default=240.0, help="seconds after the window a visitor stops trying")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--no-pgbench", action="store_true")
    parser.add_argument("--district-code", default="astana-yesil")
    parser.add_argument("--seed", type=int, default=20260301)
    # internal stages, run in a Django subprocess
    parser.add_argument("--stage", choices=["seed", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--campaign-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--acked", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(json.dumps({"seed": stage_seed, "verify": stage_verify}[args.stage](args)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
