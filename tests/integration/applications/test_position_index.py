"""With 100,000 applications in one district and age group, every position query is served by an index.

"Fast" is tested through the plan, not timing: PostgreSQL's EXPLAIN must show the queue-order index
(and, per kindergarten, the preference rows' own queue-order index, with no join) rather than a scan of the whole table.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kezek.applications.models import Application
from kezek.applications.selectors.position import application_history, application_position
from tests.factories.accounts import make_parent
from tests.factories.applications import seed_queue_sql
from tests.factories.geo import district
from tests.factories.organisations import make_organisation

# Committed rows (transaction=True) so that VACUUM can set the visibility map, as autovacuum does in production.
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

N = 100_000
INDEX_SCAN = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan)( Backward)? (using|on) application_queue_order_idx")
PREFERENCE_INDEX_SCAN = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan)( Backward)? (using|on) preference_queue_order_idx")


def explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def big_queue():
    organisations = [make_organisation() for _ in range(30)]
    seed_queue_sql(n=N, district=district(), age_group=2022, applicant=make_parent(), organisations=organisations, tag="97")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE applications_application")
        cursor.execute("VACUUM ANALYZE applications_applicationpreference")
    return Application.objects.filter(district=district(), age_group=2022)


def queue_queries(queries) -> list[str]:
    return [q["sql"] for q in queries if "COUNT(" in q["sql"] and "applications_application" in q["sql"]]


def test_seeded_preference_rows_carry_their_applications_keys(big_queue):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM applications_applicationpreference p JOIN applications_application a ON a.id = p.application_id
            WHERE (p.district_id, p.age_group, p.status, p.priority_class, p.registered_at)
                  IS DISTINCT FROM (a.district_id, a.age_group, a.status, a.priority_class, a.registered_at)
            """
        )
        assert cursor.fetchone()[0] == 0


def test_position_counts_use_the_queue_order_index(big_queue):
    active = big_queue.filter(status="active")
    firsts = active.filter(priority_class=1).order_by("registered_at")
    chosen = {
        "last general": active.filter(priority_class=2).order_by("-registered_at").first(),
        "middle first-priority": firsts[firsts.count() // 2],
        "early extraordinary": active.filter(priority_class=0).order_by("registered_at")[5],
    }
    for label, application in chosen.items():
        with CaptureQueriesContext(connection) as ctx:
            position = application_position(application=application)
        assert position.position > 1, label
        assert position.per_kindergarten, label
        counts = queue_queries(ctx.captured_queries)
        assert counts, "the position must be computed with COUNT queries"
        per_kindergarten = [sql for sql in counts if "applications_applicationpreference" in sql]
        assert len(per_kindergarten) == 1, label
        for sql in counts:
            plan = explain(sql)
            assert "Seq Scan" not in plan, (label, plan)
            if "applications_applicationpreference" in sql:
                # Per kindergarten: one range of the preference rows' queue-order index, with no join to the
                # applications (the rows carry copies of the queue-order keys).
                assert 'FROM "applications_applicationpreference" ' in sql and "JOIN" not in sql, (label, sql)
                assert PREFERENCE_INDEX_SCAN.search(plan), (label, plan)
                assert "applications_application " not in plan and "application_queue_order_idx" not in plan, (label, plan)
            else:
                assert "Seq Scan on applications_application" not in plan, (label, plan)
                assert INDEX_SCAN.search(plan), (label, plan)


def test_history_counts_use_an_index(big_queue):
    application = big_queue.filter(status="active", priority_class=2).order_by("registered_at")[1000]
    with CaptureQueriesContext(connection) as ctx:
        history = application_history(application=application)
    assert any(e.kind == "priority_ahead" for e in history)
    assert any(e.kind == "ahead_left" for e in history)
    counts = queue_queries(ctx.captured_queries)
    assert len(counts) == 2
    for sql in counts:
        plan = explain(sql)
        assert "Seq Scan on applications_application" not in plan, plan
        assert INDEX_SCAN.search(plan), plan
