"""The worker runs registered tasks until none has work; one failing task does not stop the others."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command

from kezek.core import worker
from kezek.core.models import RateCounter

pytestmark = pytest.mark.django_db


@pytest.fixture
def temporary_tasks():
    """Register tasks for one test and restore the real registry afterwards."""
    saved = dict(worker.TASKS)
    yield worker.periodic_task
    worker.TASKS.clear()
    worker.TASKS.update(saved)


def _drain_counters(prefix: str, per_run: int):
    """A task over database state: deletes up to ``per_run`` counters with ``prefix`` and reports how many."""

    def task() -> int:
        pks = list(RateCounter.objects.filter(key__startswith=prefix).values_list("pk", flat=True)[:per_run])
        RateCounter.objects.filter(pk__in=pks).delete()
        return len(pks)

    return task


def _make_counters(prefix: str, n: int) -> None:
    RateCounter.objects.bulk_create([RateCounter(key=f"{prefix}{i}", window_start=0, count=1) for i in range(n)])


def test_runs_registered_tasks_until_idle(temporary_tasks):
    _make_counters("a:", 7)
    _make_counters("b:", 2)
    temporary_tasks(name="test.drain_a", every_seconds=60)(_drain_counters("a:", 3))
    temporary_tasks(name="test.drain_b", every_seconds=60)(_drain_counters("b:", 1))
    assert worker.run_until_idle(["test.drain_a", "test.drain_b"]) == 9
    assert not RateCounter.objects.filter(key__regex=r"^[ab]:").exists()
    assert worker.run_until_idle(["test.drain_a", "test.drain_b"]) == 0


def test_a_failing_task_does_not_stop_the_others(temporary_tasks, caplog):
    _make_counters("c:", 5)
    calls = []

    def broken() -> int:
        calls.append(1)
        raise RuntimeError("task blew up")

    temporary_tasks(name="test.broken", every_seconds=60)(broken)
    temporary_tasks(name="test.drain_c", every_seconds=60)(_drain_counters("c:", 2))
    with caplog.at_level(logging.ERROR, logger="kezek.worker"):
        assert worker.run_until_idle(["test.broken", "test.drain_c"]) == 5
    assert not RateCounter.objects.filter(key__startswith="c:").exists()
    assert len(calls) >= 3  # it was tried in every round, and each failure was logged
    assert "test.broken failed" in caplog.text


def test_max_rounds_bounds_a_task_that_always_has_work(temporary_tasks):
    temporary_tasks(name="test.endless", every_seconds=60)(lambda: 1)
    assert worker.run_until_idle(["test.endless"], max_rounds=5) == 5


def test_all_tasks_run_when_none_are_named(temporary_tasks):
    worker.TASKS.clear()
    seen = []
    temporary_tasks(name="test.one", every_seconds=60)(lambda: seen.append("one") or 0)
    temporary_tasks(name="test.two", every_seconds=60)(lambda: seen.append("two") or 0)
    assert worker.run_until_idle() == 0
    assert sorted(seen) == ["one", "two"]


def test_worker_once_command_runs_the_named_task(temporary_tasks):
    _make_counters("d:", 4)
    temporary_tasks(name="test.drain_d", every_seconds=60)(_drain_counters("d:", 3))
    out = io.StringIO()
    call_command("worker", "--once", "--task", "test.drain_d", stdout=out)
    assert out.getvalue().strip() == "processed 4"


def test_real_tasks_are_registered_from_each_app():
    assert "core.prune_rate_counters" in worker.TASKS
