"""Benchmark: the allocation engine on a national instance, and the ``matching`` package for comparison.

Not a test. Generates a national instance (default 1,000,000 children x 5 choices x 20,000 groups: groups in
districts of about 100, skewed popularity within a district, total capacity below demand, a few per-group
sibling classes), writes it in the public format and runs ``kezek allocate IN OUT --progress`` on it in a
subprocess: solve seconds (the engine, from the result's stats), wall seconds of the whole command (reading,
checking, solving, writing) and its peak RSS. Then it generates an instance of 18,000 children the same way,
solves it with the ``matching`` package (HospitalResident, resident-optimal; in a thread with a large stack and a
raised recursion limit, which it needs at that size) and with the engine in-process, checks that both give the
same assignments, and reports the time per child of each. Prints the figures and writes them as JSON.

    .venv/bin/python bench/allocate.py [--applicants 1000000] [--groups 20000] [--choices 5] [--matching-applicants 18000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import KEZEK, REPO, RESULTS, eprint, machine_info, write_json  # noqa: E402

GROUPS_PER_DISTRICT = 100
CAPACITY_SHARE = 0.8  # places for 80% of the children: demand exceeds supply


def national_instance(*, applicants: int, groups: int, choices: int, seed: int) -> dict[str, Any]:
    """A synthetic round in the public format: children choose among their own district's groups, skewed."""
    rng = np.random.default_rng(seed)
    districts = max(1, groups // GROUPS_PER_DISTRICT)
    district_of_group = np.arange(groups) * districts // groups
    raw = rng.integers(10, 70, groups).astype(float)
    capacity = np.floor(raw * (CAPACITY_SHARE * applicants / raw.sum())).astype(np.int64)
    # Zipf-like popularity: within a district, the k-th most wanted group is wanted about 1/k as much.
    popularity = np.empty(groups)
    members = [np.flatnonzero(district_of_group == d) for d in range(districts)]
    for m in members:
        popularity[m] = 1.0 / (1 + rng.permutation(len(m)))
    district_places = np.array([capacity[m].sum() for m in members], dtype=float) + 1
    district_of_child = rng.choice(districts, size=applicants, p=district_places / district_places.sum())
    preferences = np.full((applicants, choices), -1, dtype=np.int64)
    for d, m in enumerate(members):
        children = np.flatnonzero(district_of_child == d)
        k = min(choices, len(m))
        for chunk in np.array_split(children, max(1, len(children) // 50_000)):
            # Gumbel top-k: k distinct groups drawn without replacement, weighted by popularity.
            noisy = np.log(popularity[m])[None, :] + rng.gumbel(size=(len(chunk), len(m)))
            top = np.argsort(-noisy, axis=1)[:, :k]
            preferences[chunk, :k] = m[top]
    priority = rng.choice([0, 1, 2], size=applicants, p=[0.03, 0.2, 0.77])
    sibling = rng.random(applicants) < 0.03
    registered = rng.integers(1_546_300_800, 1_735_689_600, applicants)  # 2019-2024
    group_ids = [f"G{i:05d}" for i in range(groups)]
    from datetime import UTC, datetime, timedelta, timezone

    almaty = timezone(timedelta(hours=5))
    records = []
    for i in range(applicants):
        prefs = [group_ids[g] for g in preferences[i].tolist() if g >= 0]
        record = {
            "id": f"P{i:07d}",
            "priority": int(priority[i]),
            "registered_at": datetime.fromtimestamp(int(registered[i]), UTC).astimezone(almaty).isoformat(),
            "preferences": prefs,
        }
        if sibling[i] and prefs:
            record["group_priority"] = {prefs[int(registered[i]) % len(prefs)]: 0}
        records.append(record)
    return {
        "format": "kezek.allocation/1",
        "seed": rng.bytes(32).hex(),
        "tie_break": "lottery",
        "policy": "match",
        "groups": [{"id": group_ids[g], "capacity": int(capacity[g])} for g in range(groups)],
        "applicants": records,
    }


def run_cli(path: Path, out: Path) -> dict[str, Any]:
    """``kezek allocate`` in a subprocess: wall seconds, peak RSS, the result's stats and the progress lines."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([str(KEZEK), "allocate", str(path), str(out), "--progress"], cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = after.ru_maxrss
    if done.returncode != 0:
        raise RuntimeError(f"kezek allocate failed ({done.returncode}):\n{done.stderr[-4000:]}")
    stats = json.loads(out.read_bytes())["stats"]
    return {
        "solve_seconds": stats["solve_seconds"],
        "solve_cpu_seconds": stats["solve_cpu_seconds"],
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
        # ru_maxrss of children is the largest child so far; this is the first (and biggest) one we start.
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "peak_rss_is_this_run": peak_kb > before.ru_maxrss,
        "stats": stats,
        "progress": done.stderr.strip().splitlines(),
    }


def matching_package(instance: dict[str, Any]) -> tuple[float, dict[str, str | None]]:
    """Solve with ``matching`` (HospitalResident, resident-optimal) in a big-stack thread; (seconds, assignments)."""
    from matching.games import HospitalResident

    from kezek.domain.allocation import parse_allocation_input
    from kezek.domain.lottery import lottery_number

    parsed = parse_allocation_input(instance)
    seed = parsed.seed
    lottery = {a.id: lottery_number(seed, a.id) for a in parsed.applicants}
    residents = {a.id: list(a.preferences) for a in parsed.applicants if a.preferences}
    listing: dict[str, list[Any]] = {g.id: [] for g in parsed.groups}
    for a in parsed.applicants:
        for g in a.preferences:
            listing[g].append(a)
    hospitals = {
        g: [a.id for a in sorted(who, key=lambda a: (a.group_priority.get(g, a.priority), lottery[a.id]))]
        for g, who in listing.items() if who
    }
    capacities = {g.id: g.capacity for g in parsed.groups if g.id in hospitals}
    outcome: dict[str, Any] = {}

    def solve() -> None:
        started = time.perf_counter()
        game = HospitalResident.create_from_dictionaries(residents, hospitals, capacities)
        matching = game.solve(optimal="resident")
        outcome["seconds"] = time.perf_counter() - started
        outcome["matching"] = matching

    sys.setrecursionlimit(1_000_000)
    threading.stack_size(512 * 1024 * 1024)
    thread = threading.Thread(target=solve)
    thread.start()
    thread.join()
    threading.stack_size(0)
    if "matching" not in outcome:
        raise RuntimeError("the matching package failed (see the traceback above)")
    assignments: dict[str, str | None] = {a.id: None for a in parsed.applicants}
    for hospital, matched in outcome["matching"].items():
        for resident in matched:
            assignments[str(resident)] = str(hospital)
    return outcome["seconds"], assignments


def compare_with_matching(*, applicants: int, groups: int, choices: int, seed: int) -> dict[str, Any]:
    from kezek.domain.allocation import allocate, parse_allocation_input

    instance = national_instance(applicants=applicants, groups=groups, choices=choices, seed=seed)
    eprint(f"matching package on {applicants:,} children x {groups:,} groups ...")
    seconds, theirs = matching_package(instance)
    ours = allocate(parse_allocation_input(instance))
    return {
        "applicants": applicants,
        "groups": groups,
        "matching_seconds": round(seconds, 2),
        "engine_seconds_same_instance": ours.stats["solve_seconds"],
        "identical_assignments": ours.assignments == theirs,
        "assigned": ours.stats["assigned"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--applicants", type=int, default=1_000_000)
    parser.add_argument("--groups", type=int, default=20_000)
    parser.add_argument("--choices", type=int, default=5)
    parser.add_argument("--matching-applicants", type=int, default=18_000, help="size of the matching package run (0: skip)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--json", type=Path, default=RESULTS / "allocate.json", help="where to write the figures")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kezek-bench-allocate-") as tmp:
        path, out = Path(tmp) / "input.json", Path(tmp) / "result.json"
        started = time.perf_counter()
        instance = national_instance(applicants=args.applicants, groups=args.groups, choices=args.choices, seed=args.seed)
        path.write_text(json.dumps(instance, ensure_ascii=False, separators=(",", ":")))
        del instance
        size_mb = path.stat().st_size / 1e6
        eprint(f"generated {args.applicants:,} x {args.choices} x {args.groups:,} ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s")
        national = run_cli(path, out)
    national.update(applicants=args.applicants, groups=args.groups, choices=args.choices, input_mb=round(size_mb, 1))
    result: dict[str, Any] = {"benchmark": "allocate", "national": national}
    if args.matching_applicants:
        ratio_groups = max(1, round(args.groups * args.matching_applicants / args.applicants))
        small = compare_with_matching(applicants=args.matching_applicants, groups=ratio_groups, choices=args.choices, seed=args.seed)
        per_child_theirs = small["matching_seconds"] / small["applicants"]
        per_child_ours = national["stats"]["solve_seconds"] / args.applicants
        small["seconds_per_child_matching"] = per_child_theirs
        small["seconds_per_child_engine_national"] = per_child_ours
        small["ratio_per_child"] = round(per_child_theirs / per_child_ours, 1)
        result["matching_package"] = small
    result["machine"] = machine_info()
    write_json(args.json, result)
    stats = national["stats"]
    print(f"national {args.applicants:,} x {args.choices} x {args.groups:,}: solve {stats['solve_seconds']} s "
          f"({stats['solve_cpu_seconds']} s CPU), whole command {national['wall_seconds']} s ({national['cpu_seconds']} s CPU), "
          f"peak RSS {national['peak_rss_mb']} MB; "
          f"{stats['assigned']:,} assigned of {stats['places']:,} places")
    if "matching_package" in result:
        m = result["matching_package"]
        print(f"matching package at {m['applicants']:,} children: {m['matching_seconds']} s "
              f"(engine on the same instance {m['engine_seconds_same_instance']} s, identical: {m['identical_assignments']}); "
              f"per child {m['ratio_per_child']}x slower than the engine's national run")
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
