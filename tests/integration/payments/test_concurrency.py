"""Several workers and an officer at once on PostgreSQL: one statement per provider and month, and an approval
racing a regeneration leaves either a locked statement or a fresh draft, never a regenerated approved one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from kezek.domain.payments import StatementLocked
from kezek.payments.models import Statement, StatementLine
from kezek.payments.selectors import statement_intact
from kezek.payments.services import statement_approve, statement_generate, statements_draft_last_month
from tests.factories.attendance import make_mark
from tests.integration.payments.conftest import last_month

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]
THREADS = 6


def _in_thread(barrier, func):
    def run():
        barrier.wait()
        try:
            return func()
        except StatementLocked:
            return "locked"
        finally:
            connection.close()
    return run


def test_concurrent_workers_make_one_statement_each(kindergarten, club):
    for provider in (kindergarten, club):
        make_mark(provider.sessions[0], provider.child(), marked_by=provider.staff)
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        results = [f.result() for f in [pool.submit(_in_thread(barrier, statements_draft_last_month)) for _ in range(THREADS)]]
    assert sum(results) >= 2
    assert Statement.objects.count() == 2
    assert StatementLine.objects.count() == 2


def test_approval_racing_regeneration(kindergarten):
    make_mark(kindergarten.sessions[0], kindergarten.child(), marked_by=kindergarten.staff)
    statement = statement_generate(organisation=kindergarten.organisation, month=last_month())
    barrier = threading.Barrier(THREADS)
    calls = [lambda: statement_approve(actor=kindergarten.officer, statement_id=statement.pk)] + [
        lambda: statement_generate(organisation=kindergarten.organisation, month=last_month())
    ] * (THREADS - 1)
    with ThreadPoolExecutor(THREADS) as pool:
        [f.result() for f in [pool.submit(_in_thread(barrier, call)) for call in calls]]
    statement.refresh_from_db()
    assert statement.status == "approved"
    assert StatementLine.objects.filter(statement=statement).count() == 1
    assert statement_intact(statement=statement)
