"""Benchmark: the public dashboard served from the shared page cache, and how soon a change shows.

    .venv/bin/python bench/public.py [--seconds 15] [--connections 64] [--applications 20000] [--json OUT]

In a fresh PostgreSQL database (``kezek_bench_public``) it seeds Astana's districts with kindergartens and
``--applications`` queued children, starts gunicorn against PostgreSQL and Redis (the shared cache), and
loads ``/transparency/regions/astana/`` with wrk (Debian's package; installed when missing and running as
root). It measures each server configuration with the page cache on, and once with it off (every request
rendered by Django from the cached figures), then checks freshness: it adds children to the queue and
times how long the page takes to show them (the promise is within a minute).

Target (issue 7): at least 2,000 requests/s from the cache on this machine. Figures go to stdout and to
``bench/results/public.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as bench  # noqa: E402

DB = "kezek_bench_public"
REDIS_URL = "redis://127.0.0.1:6379/13"
PAGE = "/transparency/regions/astana/"


# --- stages run inside Django (a subprocess with the benchmark database's settings) -----------------


def _iin(day: dt.date, sex: str, n: int) -> str:
    # Serials from 7000 keep clear of the small demo registry; one in eleven serials has no check digit.
    from kezek.domain.iin import build_iin

    for k in range(3):
        if iin := build_iin(day, sex, 7000 + n * 3 + k):
            return iin
    raise RuntimeError(f"no IIN for {day} {n}")


def stage_seed(count: int, start: int) -> dict[str, Any]:
    """``count`` queued children (applications rows with their parents), spread over Astana's districts."""
    bench.django_setup()
    from django.db import transaction
    from django.utils import timezone

    from kezek.accounts.models import Role, User
    from kezek.applications.models import Application
    from kezek.geo.models import District
    from kezek.people.models import Person

    districts = list(District.objects.filter(region__code="astana").order_by("code"))
    now = timezone.now()
    with transaction.atomic():
        parents, children = [], []
        for i in range(start, start + count):
            day = dt.date(1985, 1, 1) + dt.timedelta(days=i % 3000)
            child_day = dt.date(2021, 1, 1) + dt.timedelta(days=i % 1400)
            parents.append(Person(iin=_iin(day, "F", i // 3000), last_name="Bench", first_name=f"P{i}", birth_date=day, sex="F"))
            children.append(Person(iin=_iin(child_day, "M", i // 1400), last_name="Bench", first_name=f"C{i}", birth_date=child_day, sex="M"))
        Person.objects.bulk_create(parents + children, batch_size=2000)
        users = User.objects.bulk_create(
            [User(username=f"bench-{p.iin}", role=Role.PARENT, person=p) for p in parents], batch_size=2000
        )
        Application.objects.bulk_create([
            Application(
                child=c, applicant=u, district=districts[i % len(districts)], desired_start_date=dt.date(now.year + 1, 9, 1),
                language="kk", age_group=c.birth_date.year, phones=["+77010000000", "+77020000000"],
                notify_channel="sms", notify_language="ru", priority_class=(0, 1, 2, 2, 2)[i % 5],
                registered_at=now, priority_since=now, status_changed_at=now, submission_key=f"bench-{start + i}",
            )
            for i, (c, u) in enumerate(zip(children, users, strict=True))
        ], batch_size=2000)
    return {"applications": count}


# --- the run ------------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    tool = bench.which("wrk")
    if tool is None and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
        tool = bench.which("wrk")
    if tool is None:
        raise SystemExit("wrk is needed: sudo apt-get install wrk")
    return tool


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(url: str, *, seconds: int, connections: int, threads: int = 2, language: str = "ru") -> dict[str, Any]:
    done = subprocess.run(
        [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Accept-Language: {language}", url],
        capture_output=True, text=True, check=True,
    )
    out = done.stdout
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)$", out, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": round(_seconds(latency["50"]) * 1000, 2) if "50" in latency else None,
        "p90_ms": round(_seconds(latency["90"]) * 1000, 2) if "90" in latency else None,
        "p99_ms": round(_seconds(latency["99"]) * 1000, 2) if "99" in latency else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
        "connections": connections,
        "seconds": seconds,
    }


def waiting_figure(base_url: str) -> str:
    with urllib.request.urlopen(urllib.request.Request(base_url + PAGE, headers={"Accept-Language": "en"}), timeout=10) as answer:
        body = answer.read().decode()
    # The first district row of the table "Kindergarten queue by district": name, waiting, free places.
    match = re.search(r"<caption>Kindergarten queue by district</caption>.*?<tbody>\s*<tr><th scope=\"row\">[^<]*</th><td>([^<]*)</td>", body, re.S)
    return match.group(1) if match else ""


def freshness(server: bench.Gunicorn, env: dict[str, str], *, added: int, start: int) -> dict[str, Any]:
    before = waiting_figure(server.base_url)
    bench.python_subprocess([__file__, "--stage", "seed", "--count", str(added), "--start", str(start)], env=env)
    changed_at = time.monotonic()
    while time.monotonic() - changed_at < 120:
        if waiting_figure(server.base_url) != before:
            return {"seconds_until_visible": round(time.monotonic() - changed_at, 1), "before": before}
        time.sleep(1)
    return {"seconds_until_visible": None, "before": before}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--applications", type=int, default=20_000)
    parser.add_argument("--json", type=Path, default=bench.RESULTS / "public.json")
    parser.add_argument("--stage", choices=["seed"], help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "seed":
        import json

        print(json.dumps(stage_seed(args.count, args.start)))
        return 0

    ensure_wrk()
    url = bench.pg_recreate_database(DB)
    import redis  # the project's own dependency

    redis.Redis.from_url(REDIS_URL).flushdb()
    env = bench.django_env(url, REDIS_URL=REDIS_URL)
    bench.eprint("migrating and seeding ...")
    bench.kezek("migrate", "--noinput", env=env)
    bench.kezek("demo", "--families", "50", "--kindergartens", "40", "--groups", "200", "--providers", "0", "--sections", "0", env=env)
    bench.python_subprocess([__file__, "--stage", "seed", "--count", str(args.applications), "--start", "0"], env=env)

    report: dict[str, Any] = {"benchmark": "public", "page": PAGE, "applications": args.applications, "machine": bench.machine_info()}
    configs = [
        ("cached, sync x5", bench.GunicornConfig(worker_class="sync", workers=5), {}),
        ("cached, gthread 2x8", bench.GunicornConfig(worker_class="gthread", workers=2, threads=8), {}),
        ("not cached, sync x5", bench.GunicornConfig(worker_class="sync", workers=5), {"KEZEK_PUBLIC_CACHE_SECONDS": "0"}),
    ]
    runs = {}
    for label, config, extra in configs:
        with bench.Gunicorn(config, {**env, **extra}) as server:
            for _ in range(20):  # fill the caches
                urllib.request.urlopen(server.base_url + PAGE, timeout=10).read()
            runs[label] = run_wrk(server.base_url + PAGE, seconds=args.seconds, connections=args.connections)
            bench.eprint(f"{label:<22} {runs[label]['requests_per_second']:>8.0f} req/s  p50 {runs[label]['p50_ms']} ms  "
                         f"p99 {runs[label]['p99_ms']} ms  non-2xx {runs[label]['non_2xx']}  socket errors {runs[label]['socket_errors']}")
            if label == "cached, sync x5":
                report["freshness"] = freshness(server, env, added=50, start=args.applications)
                bench.eprint(f"a change showed after {report['freshness']['seconds_until_visible']} s")
    report["runs"] = runs
    best = max((r for label, r in runs.items() if label.startswith("cached")), key=lambda r: r["requests_per_second"])
    report["cached_requests_per_second"] = best["requests_per_second"]
    report["target_requests_per_second"] = 2000
    report["target_met"] = best["requests_per_second"] >= 2000 and best["non_2xx"] == 0 and (
        report["freshness"]["seconds_until_visible"] is not None and report["freshness"]["seconds_until_visible"] <= 60
    )
    path = bench.write_json(args.json, report)
    print(f"best cached: {best['requests_per_second']:.0f} req/s (target 2000); written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
