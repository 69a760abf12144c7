"""Simultaneous submissions for one child, with real concurrent transactions (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kezek.applications.models import Application, ApplicationEvent
from kezek.applications.services.submission import application_submit
from kezek.audit.models import AuditEvent
from kezek.domain.errors import DomainError
from kezek.notifications.models import OutboxMessage
from tests.factories.applications import make_applying_family, submission_kwargs

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

SHARED_KEY = "double-click-7d3f"


def run_all(calls: list[tuple[dict, float]]) -> list[tuple[str, int | None]]:
    """Start every call at the same moment (after its own delay); each result is ("ok", pk) or (code, queue_number)."""
    barrier = threading.Barrier(len(calls))

    def attempt(call: tuple[dict, float]) -> tuple[str, int | None]:
        kwargs, delay = call
        try:
            barrier.wait(timeout=30)
            time.sleep(delay)
            return "ok", application_submit(**kwargs).pk
        except DomainError as exc:
            return exc.code, exc.params.get("queue_number")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(attempt, calls))


def assert_one_application_and_one_of_everything(child) -> Application:
    app = Application.objects.get(child=child)
    assert ApplicationEvent.objects.filter(kind="submitted").count() == 1
    assert AuditEvent.objects.filter(action="applications.application.submit").count() == 1
    assert OutboxMessage.objects.filter(template="application_submitted").count() == 1
    assert app.preferences.count() == 3
    return app


def test_twenty_submissions_for_one_child_make_exactly_one_application():
    user, child, orgs = make_applying_family()
    same = [(submission_kwargs(user=user, child=child, orgs=orgs, submission_key=SHARED_KEY), 0.0) for _ in range(10)]
    # The other tabs start a moment later, while the double-clicked ones are still in flight, so one of those
    # wins and the test can say exactly what each caller gets.
    different = [(submission_kwargs(user=user, child=child, orgs=orgs, submission_key=f"tab-{i}"), 0.3) for i in range(10)]
    results = run_all(same + different)

    app = assert_one_application_and_one_of_everything(child)
    assert app.submission_key == SHARED_KEY
    assert results[:10] == [("ok", app.pk)] * 10
    assert results[10:] == [("application_exists", app.pk)] * 10


def test_twenty_different_keys_at_once_one_wins_and_the_others_are_told_its_number():
    user, child, orgs = make_applying_family()
    calls = [(submission_kwargs(user=user, child=child, orgs=orgs, submission_key=f"tab-{i}"), 0.0) for i in range(20)]
    results = run_all(calls)

    app = assert_one_application_and_one_of_everything(child)
    assert results.count(("ok", app.pk)) == 1
    assert results.count(("application_exists", app.pk)) == 19


def test_ten_retries_with_one_key_at_once_all_get_the_same_application():
    user, child, orgs = make_applying_family()
    kwargs = submission_kwargs(user=user, child=child, orgs=orgs, submission_key=SHARED_KEY)
    results = run_all([(kwargs, 0.0)] * 10)
    app = assert_one_application_and_one_of_everything(child)
    assert results == [("ok", app.pk)] * 10
