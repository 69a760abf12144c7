"""Benchmark: a real allocation round over 100,000 applications, run by ``kezek round-run`` (issue 4).

    .venv/bin/python bench/round.py [--applications 100000] [--kindergartens 200] [--places 8000]
        [--policy match|queue] [--json OUT]

Set-up: a fresh database ``kezek_bench_round``, migrated; one district with kindergartens (a Kazakh and a
Russian group each), the applications (one age group, 1-5 kindergartens each, mixed priority classes, their
``ApplicationPreference`` rows with the queue keys) and an officer; the round created, its places set and
announced through the services. Then ``kezek round-run CODE --officer USERNAME`` in a subprocess: wall time,
peak RSS, CPU, its progress bar (stage by stage) and the progress the officer's page polls from the database.
Checks: offers against the places and the children who could be placed, no place over its published count,
a second run refused with nothing changed, the published input and result hashes, and ``kezek allocate
input.json out.json --reproducible`` giving the stored result byte for byte. JSON in ``bench/results/round.json``.

A benchmark, not a test: it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as bench  # noqa: E402

DB_NAME = "kezek_bench_round"
OFFICER = "bench-round-officer"
CHUNK = 5000


# --- stages that run inside Django (a subprocess with the benchmark database's settings) -------------------


def _kindergartens(district: Any, count: int) -> list[Any]:
    """``count`` approved kindergartens, each with one Kazakh and one Russian junior group."""
    from kezek.domain.bin import build_bin
    from kezek.organisations.models import Group, Language, Organisation

    orgs, serial = [], 0
    while len(orgs) < count:
        bin_value = build_bin(f"{1001 + serial % 12:04d}40{90000 + serial:05d}")
        serial += 1
        if bin_value:
            orgs.append(Organisation(
                kind=Organisation.Kind.KINDERGARTEN, ownership=Organisation.Ownership.STATE, name=f"Bench kindergarten {len(orgs) + 1}",
                bin=bin_value, district=district, address="Astana", languages=["kk", "ru"], status=Organisation.Status.APPROVED,
            ))
    Organisation.objects.bulk_create(orgs)
    orgs = list(Organisation.objects.filter(district=district, kind=Organisation.Kind.KINDERGARTEN).order_by("id"))
    Group.objects.bulk_create(
        Group(organisation=org, name=f"junior {language}", kind=Group.Kind.JUNIOR, age_min_months=24, age_max_months=47,
              language=language, capacity=25)
        for org in orgs for language in (Language.KAZAKH, Language.RUSSIAN)
    )
    return orgs


def stage_seed(args: argparse.Namespace) -> dict[str, Any]:
    """Kindergartens, applications with preferences, an officer, and an announced round whose time has come."""
    bench.django_setup()
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from kezek.accounts.models import Role, User
    from kezek.applications.models import Application, ApplicationPreference
    from kezek.applications.selectors.rules import queue_rules_for_district
    from kezek.applications.services.queue_keys import preference_rows
    from kezek.domain.queue import age_group
    from kezek.geo.models import District
    from kezek.organisations.models import Group
    from kezek.people.models import LegalRepresentation, Person
    from kezek.rounds.models import Round
    from kezek.rounds.services import round_announce, round_create, round_place_set

    rng = random.Random(args.seed)
    started = time.monotonic()
    district = District.objects.filter(code=args.district_code).first() or District.objects.order_by("id").first()
    rules = queue_rules_for_district(district_id=district.pk)
    start_date = dt.date(dt.date.today().year + 1, 9, 1)
    birth_base = dt.date(start_date.year - 3, 1, 1)  # all children born in one year: one age group
    group_age = age_group(birth_date=birth_base, start_date=start_date, rules=rules)
    with transaction.atomic():
        orgs = _kindergartens(district, args.kindergartens)
    org_ids = [o.pk for o in orgs]
    # Zipf-like popularity: the k-th kindergarten is wanted about 1/k as often as the first.
    weights = [1 / (k + 1) for k in range(len(org_ids))]
    unusable = make_password(None)
    now = timezone.now()
    classes = (0, 1, 2)
    class_weights = (0.03, 0.20, 0.77)
    for start in range(0, args.applications, CHUNK):
        indices = range(start, min(start + CHUNK, args.applications))
        with transaction.atomic():
            children = [
                Person(iin=bench.synthetic_iin(birth_base, i, 365, "M" if i % 2 else "F"), last_name="Бенчмарков", first_name="Нурлан",
                       birth_date=birth_base + dt.timedelta(days=i % 365), sex="M" if i % 2 else "F", district=district)
                for i in indices
            ]
            adults = [
                Person(iin=bench.synthetic_iin(dt.date(1985, 1, 1), i, 3000, "F"), last_name="Бенчмаркова", first_name="Айгерим",
                       birth_date=dt.date(1985, 1, 1) + dt.timedelta(days=i % 3000), sex="F", phone=f"+7702{i:07d}",
                       district=district)
                for i in indices
            ]
            Person.objects.bulk_create(children + adults)
            LegalRepresentation.objects.bulk_create(
                LegalRepresentation(representative=adult, child=child) for adult, child in zip(adults, children)
            )
            parents = User.objects.bulk_create(
                User(username=adult.phone, role=Role.PARENT, person=adult, password=unusable, display_name=adult.full_name)
                for adult in adults
            )
            applications = Application.objects.bulk_create(
                Application(
                    child=child, applicant=parent, district=district, desired_start_date=start_date,
                    language="kk" if rng.random() < 0.6 else "ru", age_group=group_age,
                    phones=[f"+7702{i:07d}", f"+7705{i:07d}"], notify_channel="sms", notify_language="kk",
                    priority_class=rng.choices(classes, class_weights)[0],
                    registered_at=now - dt.timedelta(seconds=rng.randrange(2 * 365 * 86400)),
                    submission_key=f"bench-{i}",
                )
                for i, child, parent in zip(indices, children, parents)
            )
            preferences = []
            for application in applications:
                chosen: list[int] = []
                wanted = rng.randint(1, 5)
                while len(chosen) < wanted:
                    org = rng.choices(org_ids, weights)[0]
                    if org not in chosen:
                        chosen.append(org)
                preferences += preference_rows(application=application, organisation_ids=chosen)
            ApplicationPreference.objects.bulk_create(preferences, batch_size=CHUNK)
        print(f"seeded {start + len(indices)} applications", file=sys.stderr, flush=True)
    seeded_s = time.monotonic() - started

    officer = User.objects.create_user(username=OFFICER, password=None, role=Role.OFFICER, district=district,
                                       display_name="Bench officer", is_staff=True)
    local = timezone.localtime()
    bench_round = round_create(
        officer=officer, district=district, title="Bench round", policy=args.policy, tie_break="lottery",
        runs_at=local + dt.timedelta(hours=25), offers_close_at=local + dt.timedelta(days=5),
        open_to_all_at=local + dt.timedelta(days=6),
    )
    groups = list(Group.objects.filter(organisation__district=district).order_by("organisation_id", "language", "id"))
    base, extra = divmod(args.places, len(groups))
    for n, group in enumerate(groups):
        places = base + (1 if n < extra else 0)
        if places:
            round_place_set(officer=officer, round=bench_round, group=group, age_group=group_age, places=places,
                            frees_on=start_date)
    bench_round = round_announce(officer=officer, round=bench_round)
    # Time travel, honestly (as the end-to-end test does): the round was announced 25 hours ago and its time to
    # run has come. Both timestamps move together, so the notice given stays exactly what the rules demand.
    shift = bench_round.runs_at - (timezone.now() - dt.timedelta(minutes=1))
    Round.objects.filter(pk=bench_round.pk).update(runs_at=bench_round.runs_at - shift, announced_at=bench_round.announced_at - shift)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "round_code": bench_round.code, "round_id": bench_round.pk, "district_id": district.pk, "age_group": group_age,
        "groups_with_places": len(groups), "seed_seconds": round(seeded_s, 1),
        "preferences": ApplicationPreference.objects.count(),
        "priority_classes": {str(c): n for c, n in sorted(
            Application.objects.values_list("priority_class").order_by().annotate(n=Count("id"))
        )},
    }


def stage_verify(args: argparse.Namespace) -> dict[str, Any]:
    """After the run: the offers against the places, places never over their count, and the published files."""
    bench.django_setup()
    from django.db.models import Sum

    from kezek.applications.models import Application
    from kezek.placements.models import Offer
    from kezek.rounds.models import Round, RoundPlace, RoundRun

    round = Round.objects.get(code=args.code)
    run = RoundRun.objects.get(round=round)
    places = RoundPlace.objects.filter(round=round)
    document = json.loads(run.input_json) if run.input_json else {"applicants": []}
    result = json.loads(run.result_json) if run.result_json else {"assignments": {}}
    out = Path(args.out)
    (out / "round-input.json").write_text(run.input_json)
    (out / "round-result.json").write_text(run.result_json)
    return {
        "round_status": round.status,
        "seed_revealed": round.seed_revealed,
        "run_status": run.status,
        "run_error": run.error,
        "solve_seconds": run.solve_seconds,
        "places": places.aggregate(n=Sum("places"))["n"],
        "taken": places.aggregate(n=Sum("taken"))["n"],
        "places_over_count": sum(1 for p in places if p.taken > p.places),
        "applicants_in_input": len(document["applicants"]),
        "assigned_in_result": sum(1 for g in result["assignments"].values() if g is not None),
        "offers": Offer.objects.filter(round=round).count(),
        "applications_offered": Application.objects.filter(status=Application.Status.OFFERED).count(),
        "input_sha256": run.input_sha256,
        "result_sha256": run.result_sha256,
        "input_sha256_matches": hashlib.sha256(run.input_json.encode()).hexdigest() == run.input_sha256,
        "result_sha256_matches": hashlib.sha256(run.result_json.encode()).hexdigest() == run.result_sha256,
    }


# --- the benchmark ----------------------------------------------------------------------------------------


class DbProgress(threading.Thread):
    """Polls the run's progress row as the officer's htmx page does, twice a second, while the run lasts."""

    def __init__(self, round_id: int):
        super().__init__(daemon=True)
        self.round_id = round_id
        self.samples: list[tuple[float, str]] = []
        self.stop = threading.Event()
        self.started = time.monotonic()

    def run(self) -> None:
        sql = (f"SELECT status, progress_stage, progress_done, progress_total FROM rounds_roundrun "
               f"WHERE round_id = {self.round_id}")
        while not self.stop.wait(0.5):
            row = bench.psql(sql, dbname=DB_NAME, check=False)
            if row and (not self.samples or self.samples[-1][1] != row):
                self.samples.append((round(time.monotonic() - self.started, 2), row))


def run_round(code: str, round_id: int, env: dict[str, str]) -> dict[str, Any]:
    """``kezek round-run CODE --officer …`` in a subprocess: its progress bar, wall time, peak RSS and CPU."""
    poller = DbProgress(round_id)
    poller.start()
    started = time.monotonic()
    process = subprocess.Popen([str(bench.KEZEK), "round-run", code, "--officer", OFFICER], cwd=bench.REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    updates: list[tuple[float, str]] = []
    buffer = b""
    stderr_chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()), daemon=True)
    reader.start()
    while chunk := process.stdout.read1(4096):
        buffer += chunk
        *lines, buffer = re.split(rb"[\r\n]", buffer)
        if re.search(rb"\d+/\d+$", buffer):  # each bar update is flushed whole without a line end: it is complete
            lines.append(buffer)
            buffer = b""
        moment = round(time.monotonic() - started, 2)
        updates += [(moment, line.decode("utf-8", "replace")) for line in lines if line.strip()]
    if buffer.strip():
        updates.append((round(time.monotonic() - started, 2), buffer.decode("utf-8", "replace")))
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    poller.stop.set()
    poller.join()
    bar = re.compile(r"^(\w+)\s+\[[#.]+\]\s+(\d+)% (\d+)/(\d+)")
    stages: dict[str, dict[str, Any]] = {}
    for moment, line in updates:
        if m := bar.match(line):
            stage = stages.setdefault(m.group(1), {"first_s": moment, "percents": []})
            stage["last_s"] = moment
            if not stage["percents"] or stage["percents"][-1] != int(m.group(2)):
                stage["percents"].append(int(m.group(2)))
            stage["last"] = f"{m.group(3)}/{m.group(4)}"
    return {
        "exit_code": process.returncode,
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "bar_updates": len(updates),
        "stages": {name: {"first_s": s["first_s"], "last_s": s["last_s"], "distinct_percents": len(s["percents"]),
                          "percents": s["percents"][:3] + ["…"] + s["percents"][-3:] if len(s["percents"]) > 6 else s["percents"],
                          "last": s["last"]} for name, s in stages.items()},
        "final_line": updates[-1][1] if updates else "",
        "stderr_tail": b"".join(stderr_chunks).decode("utf-8", "replace")[-1500:],
        "db_progress_samples": [f"{t}s {row}" for t, row in poller.samples],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--kindergartens", type=int, default=200)
    parser.add_argument("--places", type=int, default=8000)
    parser.add_argument("--policy", choices=["match", "queue"], default="match")
    parser.add_argument("--district-code", default="astana-yesil")
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument("--json", type=Path, default=bench.RESULTS / "round.json", help="output (default bench/results/round.json)")
    parser.add_argument("--stage", choices=["seed", "verify"], help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        print(json.dumps({"seed": stage_seed, "verify": stage_verify}[args.stage](args)))
        return 0
    return run(args)


def run(args: argparse.Namespace) -> int:
    started = time.time()
    env = bench.django_env(bench.pg_url(DB_NAME), KEZEK_SMS_BACKEND="file",
                           KEZEK_SMS_FILE_PATH=str(bench.RESULTS / "round-sms.jsonl"))
    report: dict[str, Any] = {
        "benchmark": "round",
        "started_at": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "applications": args.applications, "kindergartens": args.kindergartens, "places": args.places, "policy": args.policy,
        "machine": bench.machine_info(),
    }
    bench.pg_recreate_database(DB_NAME)
    bench.kezek("migrate", "--no-input", env=env)
    bench.eprint(f"database {DB_NAME} created and migrated in {time.time() - started:.0f} s; seeding")
    seed_args = [__file__, "--stage", "seed", "--applications", str(args.applications), "--kindergartens",
                 str(args.kindergartens), "--places", str(args.places), "--policy", args.policy, "--district-code",
                 args.district_code, "--seed", str(args.seed)]
    report["setup"] = setup = bench.python_subprocess(seed_args, env=env)
    code = setup["round_code"]
    bench.eprint(f"seeded in {setup['seed_seconds']} s; running round {code}")

    meter = bench.CpuMeter(gunicorn_pid=None, dbname=DB_NAME)
    meter.start()
    report["run"] = first = run_round(code, setup["round_id"], env)
    report["run"]["machine_during_run"] = cpu = meter.stop()
    # The meter knows no gunicorn here: the round-run subprocess is counted apart from the other jobs.
    cpu["other_processes_cpu_s"] = round(max(0.0, cpu["other_processes_cpu_s"] - first["cpu_seconds"]), 2)
    for name, stage in first["stages"].items():
        bench.eprint(f"  {name:<8} {stage['first_s']:>7.2f}s .. {stage['last_s']:>7.2f}s  {stage['distinct_percents']} steps "
                     f"{stage['percents']}  {stage['last']}")

    bench.RESULTS.mkdir(parents=True, exist_ok=True)
    verify = [__file__, "--stage", "verify", "--code", code, "--out", str(bench.RESULTS)]
    after_first = bench.python_subprocess(verify, env=env)
    second = bench.kezek("round-run", code, env=env, check=False)
    second_officer = bench.kezek("round-run", code, "--officer", OFFICER, env=env, check=False)
    after_second = bench.python_subprocess(verify, env=env)
    out = bench.RESULTS / "round-rerun.json"
    rerun = bench.kezek("allocate", str(bench.RESULTS / "round-input.json"), str(out), "--reproducible", env=env, check=False)
    stored = (bench.RESULTS / "round-result.json").read_bytes()
    reproduced = out.read_bytes() if out.exists() else b""

    expected_offers = min(after_first["places"], after_first["applicants_in_input"])
    checks = {
        "run_done": after_first["run_status"] == "done" and after_first["round_status"] == "ran" and first["exit_code"] == 0,
        "progress_bar_advanced": all(first["stages"].get(n, {}).get("distinct_percents", 0) >= 2 for n in ("reading", "solving")),
        # Reported, not required: the writing stage is one transaction and may show only its start.
        "writing_stage_advanced": first["stages"].get("writing", {}).get("distinct_percents", 0) >= 2,
        "offers": after_first["offers"],
        "offers_equal_min_places_matched": after_first["offers"] == expected_offers,
        "offers_equal_assigned_in_result": after_first["offers"] == after_first["assigned_in_result"],
        "taken_within_places": after_first["places_over_count"] == 0 and after_first["taken"] <= after_first["places"],
        "second_run_refused": second.returncode != 0 and second_officer.returncode != 0,
        "second_run_messages": [(second.stdout + second.stderr).strip()[-300:], (second_officer.stdout + second_officer.stderr).strip()[-300:]],
        "second_run_changed_nothing": {k: after_second[k] for k in ("offers", "taken", "result_sha256")}
        == {k: after_first[k] for k in ("offers", "taken", "result_sha256")},
        "hashes_stored": len(after_first["input_sha256"]) == 64 and len(after_first["result_sha256"]) == 64
        and after_first["input_sha256_matches"] and after_first["result_sha256_matches"],
        "allocate_exit_code": rerun.returncode,
        "allocate_reproduces_byte_for_byte": rerun.returncode == 0 and reproduced == stored,
    }
    checks["all_ok"] = all(v for k, v in checks.items() if k not in ("offers", "allocate_exit_code", "second_run_messages", "writing_stage_advanced")) \
        and rerun.returncode == 0
    report["after_run"] = after_first
    report["checks"] = checks
    report["wall_time_s"] = round(time.time() - started, 1)
    path = bench.write_json(args.json, report)
    print_summary(report, path)
    return 0 if checks["all_ok"] else 1


def print_summary(r: dict[str, Any], path: Path) -> None:
    m, run, a, c = r["machine"], r["run"], r["after_run"], r["checks"]
    cpu = run["machine_during_run"]
    print()
    print(f"round benchmark: {r['applications']} applications, {r['kindergartens']} kindergartens, {r['places']} places, "
          f"policy {r['policy']}, on {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_mb']} MB, Python {m['python']}, "
          f"PostgreSQL {m['postgres']}, load average before {m['load_average']}")
    print(f"  kezek round-run: {run['wall_seconds']} s wall, {run['cpu_seconds']} s CPU, peak RSS {run['peak_rss_mb']} MB, "
          f"solve {a['solve_seconds']:.2f} s; exit {run['exit_code']}")
    print("  progress bar: " + "; ".join(f"{n} {s['first_s']}-{s['last_s']} s ({s['distinct_percents']} steps, {s['last']})"
                                        for n, s in run["stages"].items()))
    print(f"  page progress (DB) samples: {len(run['db_progress_samples'])}; other jobs used {cpu['other_processes_cpu_s']} of "
          f"{cpu['machine_cpu_capacity_s']} CPU-s during the run; load after {cpu['load_average_after']}")
    print(f"  offers {a['offers']} = min(places {a['places']}, applicants in input {a['applicants_in_input']}): "
          f"{c['offers_equal_min_places_matched']}; = assigned in result: {c['offers_equal_assigned_in_result']}; taken {a['taken']} "
          f"<= places: {c['taken_within_places']}")
    print(f"  second run refused: {c['second_run_refused']} ({c['second_run_messages'][0][-120:]!r}); nothing changed: "
          f"{c['second_run_changed_nothing']}")
    print(f"  input sha256 {a['input_sha256']}, result sha256 {a['result_sha256']}: stored and matching {c['hashes_stored']}; "
          f"kezek allocate --reproducible byte for byte: {c['allocate_reproduces_byte_for_byte']}")
    print(f"  all checks: {'OK' if c['all_ok'] else 'FAILED'}; total {r['wall_time_s']} s; JSON: {path}")


if __name__ == "__main__":
    sys.exit(main())
