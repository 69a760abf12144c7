"""Background work of allocation rounds (run by ``kezek worker``; several workers may run at once)."""

from __future__ import annotations

import functools
import os

from kezek.core.worker import periodic_task, worker_id
from kezek.rounds.services import round_run_execute, round_runs_claim


@functools.cache
def _owner(pid: int) -> str:
    # Keyed by pid so a forked child never shares its parent's lease name.
    return worker_id()


@periodic_task(name="rounds.run_requested", every_seconds=2)
def run_requested_rounds() -> int:
    """Execute one requested round run; the lease keeps a second worker off it."""
    owner = _owner(os.getpid())
    runs = round_runs_claim(owner=owner)
    for run in runs:
        round_run_execute(run=run, owner=owner)
    return len(runs)
