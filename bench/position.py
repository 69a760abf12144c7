"""Benchmark: queue position and history with 100,000 applications in one district and age group.

Not a test. Creates its own PostgreSQL database (``kezek_bench_position``, dropped first), migrates it with
``kezek migrate``, seeds the applications in SQL (``tests.factories.applications.seed_queue_sql``), then times
``application_position`` and ``application_history`` for randomly chosen active applications, in-process
(no HTTP: this measures the queries). Prints the figures and writes them as JSON.

    .venv/bin/python bench/position.py [--n 100000] [--samples 200] [--json bench/results/position.json]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (  # noqa: E402
    RESULTS,
    django_env,
    eprint,
    kezek,
    machine_info,
    percentile,
    pg_recreate_database,
    rounded,
    write_json,
)

DBNAME = "kezek_bench_position"


def _summary(values_ms: list[float]) -> dict[str, float | None]:
    return {
        "p50_ms": rounded(percentile(values_ms, 50), 2),
        "p95_ms": rounded(percentile(values_ms, 95), 2),
        "p99_ms": rounded(percentile(values_ms, 99), 2),
        "max_ms": rounded(max(values_ms), 2),
        "mean_ms": rounded(sum(values_ms) / len(values_ms), 2),
    }


def _setup(n: int, other: int) -> dict:
    url = pg_recreate_database(DBNAME)
    env = django_env(url)
    eprint(f"migrating {DBNAME} ...")
    kezek("migrate", "--noinput", env=env)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "LOG_LEVEL")})
    import django

    django.setup()
    from tests.factories.accounts import make_parent
    from tests.factories.applications import seed_queue_sql
    from tests.factories.geo import district
    from tests.factories.organisations import make_organisation

    target = district("astana-yesil")
    organisations = [make_organisation(district=target) for _ in range(30)]
    started = time.perf_counter()
    seed_queue_sql(n=n, district=target, age_group=2022, applicant=make_parent(), organisations=organisations, tag="11")
    if other:
        # Other districts' and age groups' queues in the same table, as in production.
        elsewhere = district("astana-almaty")
        others = [make_organisation(district=elsewhere) for _ in range(10)]
        seed_queue_sql(n=other, district=elsewhere, age_group=2021, applicant=make_parent(), organisations=others, tag="22")
    eprint(f"seeded {n} (+{other} elsewhere) applications in {time.perf_counter() - started:.1f}s")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE applications_application")
        cursor.execute("VACUUM ANALYZE applications_applicationpreference")
    return {"district_id": target.pk}


def _measure(district_id: int, samples: int, seed: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kezek.applications.models import Application
    from kezek.applications.selectors.position import application_history, application_position

    ids = list(Application.objects.filter(district_id=district_id, age_group=2022, status="active").values_list("id", flat=True))
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(samples, len(ids)))
    for pk in chosen[:10]:  # warm the caches before timing
        application = Application.objects.select_related("district").get(pk=pk)
        application_position(application=application)
        application_history(application=application)
    timings: dict[str, list[float]] = {"position": [], "history": []}
    queries: dict[str, list[int]] = {"position": [], "history": []}
    for pk in chosen:
        application = Application.objects.select_related("district").get(pk=pk)
        for name, fn in (("position", application_position), ("history", application_history)):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                fn(application=application)
                timings[name].append((time.perf_counter() - t) * 1000)
            queries[name].append(len(ctx.captured_queries))
    sample = Application.objects.select_related("district").get(pk=chosen[0])
    return {
        "samples": len(chosen),
        "active_in_group": len(ids),
        "application_position": {**_summary(timings["position"]), "queries_max": max(queries["position"])},
        "application_history": {**_summary(timings["history"]), "queries_max": max(queries["history"])},
        "example": {
            "application_id": sample.pk,
            "position": application_position(application=sample).position,
            "history_entries": len(application_history(application=sample)),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000, help="applications in the measured district and age group")
    parser.add_argument("--other", type=int, default=0, help="applications in another district and age group (noise)")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--json", type=Path, default=RESULTS / "position.json", help="where to write the figures")
    args = parser.parse_args()

    info = _setup(args.n, args.other)
    figures = _measure(info["district_id"], args.samples, args.seed)
    result = {
        "benchmark": "position",
        "database": DBNAME,
        "applications_in_group": args.n,
        "applications_elsewhere": args.other,
        **figures,
        "machine": machine_info(),
    }
    write_json(args.json, result)
    for name in ("application_position", "application_history"):
        f = result[name]
        print(f"{name:22s} p50 {f['p50_ms']} ms  p95 {f['p95_ms']} ms  p99 {f['p99_ms']} ms  max {f['max_ms']} ms  "
              f"({f['queries_max']} queries)")
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
