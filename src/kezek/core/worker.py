"""The durable background worker: periodic tasks over state kept in the database.

Each task claims its own rows with leases (see ``kezek.core.leases``), so several workers can run
side by side and a worker killed mid-task leaves work that another picks up when the lease ends.
The schedule below is only timing; nothing that must survive a restart lives in this process.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections, connection

log = logging.getLogger("kezek.worker")


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    func: Callable[[], int]
    every_seconds: float


TASKS: dict[str, PeriodicTask] = {}


def periodic_task(*, name: str, every_seconds: float) -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register ``func`` (returns how many items it processed) to run every ``every_seconds``."""

    def register(func: Callable[[], int]) -> Callable[[], int]:
        TASKS[name] = PeriodicTask(name=name, func=func, every_seconds=every_seconds)
        return func

    return register


def worker_id() -> str:
    """A name unique to this worker process, recorded on the rows it leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _close_old_connections() -> None:
    # Between tasks a worker drops broken or expired connections; inside a caller's transaction
    # (a management command or a test running tasks) closing would abort that transaction instead.
    if not connection.in_atomic_block:
        close_old_connections()


def run_task(task: PeriodicTask) -> int:
    """Run one task once; a failure is logged and counts as no work done, so other tasks still run."""
    _close_old_connections()
    try:
        return task.func()
    except Exception:  # one failing task must not stop the others; the rows it left are retried
        log.exception("task %s failed", task.name)
        return 0
    finally:
        _close_old_connections()


def run_until_idle(names: list[str] | None = None, max_rounds: int = 1000) -> int:
    """Run the tasks repeatedly until none has work left (used by ``kezek worker --once`` and tests)."""
    selected = [TASKS[n] for n in (names or sorted(TASKS))]
    total = 0
    for _ in range(max_rounds):
        done = sum(run_task(t) for t in selected)
        total += done
        if done == 0:
            break
    return total


def run_forever(stop: threading.Event, poll_seconds: float = 0.5) -> None:
    """Run every task on its schedule until ``stop`` is set (SIGTERM/SIGINT set it)."""
    due = dict.fromkeys(TASKS, 0.0)
    while not stop.is_set():
        now = time.monotonic()
        busy = False
        for name, task in TASKS.items():
            if now >= due[name]:
                processed = run_task(task)
                busy = busy or processed > 0
                # A task that found work runs again at once; an idle one waits for its interval.
                due[name] = now if processed else now + task.every_seconds
        if not busy:
            stop.wait(poll_seconds)


def install_signal_handlers(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
