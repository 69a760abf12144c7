"""Kindergarten applications for tests, written directly as rows (fast: for seeding queues).

Use ``kezek.applications.services.submission.application_submit`` instead when the test is about applying.
Other helpers may add their own factory functions at the END of this file.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from typing import Any

from django.utils import timezone

from kezek.applications.models import Application, ApplicationEvent, ApplicationPreference
from kezek.applications.services.queue_keys import preference_rows
from kezek.domain.queue import QueueRules, age_group as compute_age_group
from tests.factories.accounts import make_parent, unique_kz_mobile
from tests.factories.geo import district as get_district
from tests.factories.people import make_family

_keys = itertools.count(1)


def make_application(
    *,
    child=None,
    applicant=None,
    district=None,
    priority_class: int = 2,
    registered_at: dt.datetime | None = None,
    status: str = "active",
    preferences=(),
    age_group: int | None = None,
    desired_start_date: dt.date | None = None,
    language: str = "kk",
    phones: list[str] | None = None,
    email: str = "",
    notify_channel: str = "sms",
    notify_language: str = "ru",
    submission_key: str | None = None,
    child_birth_date: dt.date | None = None,
    with_event: bool = False,
    **fields: Any,
) -> Application:
    """An application row (and its preference rows) without any service checks.

    ``child``: a Person (a new registry child of a new family if None; born ``child_birth_date``, default 2022-03-01).
    ``applicant``: a User (the child's registry parent's account, made if None).
    ``district``: a District or its code (Astana Yesil by default).
    ``preferences``: Organisations or their ids, in rank order.
    ``age_group``: computed from the child's birth date with the default rules if None.
    ``with_event``: also write the SUBMITTED history event.
    """
    if child is None:
        parent_person, (child,) = make_family(children=1, child_birth_dates=[child_birth_date or dt.date(2022, 3, 1)])
        if applicant is None:
            applicant = make_parent(parent_person)
    if applicant is None:
        applicant = make_parent()
    if district is None or isinstance(district, str):
        district = get_district(district or "astana-yesil")
    registered_at = registered_at or timezone.now()
    desired_start_date = desired_start_date or dt.date(timezone.localdate().year + 1, 9, 1)
    if age_group is None:
        age_group = compute_age_group(birth_date=child.birth_date, start_date=desired_start_date, rules=QueueRules())
    application = Application.objects.create(
        child=child,
        applicant=applicant,
        district=district,
        desired_start_date=desired_start_date,
        language=language,
        age_group=age_group,
        phones=phones if phones is not None else [unique_kz_mobile(), unique_kz_mobile()],
        email=email,
        notify_channel=notify_channel,
        notify_language=notify_language,
        status=status,
        priority_class=priority_class,
        priority_since=registered_at,
        registered_at=registered_at,
        status_changed_at=registered_at,
        submission_key=submission_key or f"factory-{next(_keys)}-{secrets.token_hex(4)}",
        **fields,
    )
    if preferences:
        ApplicationPreference.objects.bulk_create(
            preference_rows(application=application, organisation_ids=[getattr(org, "pk", org) for org in preferences])
        )
    if with_event:
        ApplicationEvent.objects.create(
            application=application, kind=ApplicationEvent.Kind.SUBMITTED, occurred_at=registered_at,
            details={"queue_number": application.pk, "priority_class": priority_class},
        )
    return application


def next_september() -> dt.date:
    """1 September of next year: a start date every factory child (born 2022-2024) is eligible for."""
    return dt.date(timezone.localdate().year + 1, 9, 1)


def make_applying_family(*, child_birth_date: dt.date = dt.date(2023, 3, 1), district="astana-yesil", kindergartens: int = 3):
    """A parent account, their registry child and approved kindergartens of ``district``: ``(user, child, [orgs])``."""
    from tests.factories.organisations import make_organisation

    parent_person, (child,) = make_family(children=1, child_birth_dates=[child_birth_date])
    orgs = [make_organisation(district=district) for _ in range(kindergartens)]
    return make_parent(parent_person), child, orgs


def submission_kwargs(*, user, child, orgs, **overrides: Any) -> dict[str, Any]:
    """Valid keyword arguments for ``application_submit`` (override any of them)."""
    orgs = list(orgs)
    kwargs: dict[str, Any] = {
        "actor": user,
        "child_iin": child.iin,
        "district_id": orgs[0].district_id if orgs else get_district().pk,
        "desired_start_date": next_september(),
        "language": "kk",
        "preferences": [o.pk for o in orgs],
        "phones": [unique_kz_mobile(), unique_kz_mobile()],
        "email": "",
        "notify_channel": "sms",
        "notify_language": "ru",
        "claimed_benefits": [],
        "submission_key": f"key-{next(_keys)}-{secrets.token_hex(4)}",
    }
    kwargs.update(overrides)
    return kwargs


def submit_application(*, user=None, child=None, orgs=None, **overrides: Any) -> Application:
    """A real submission through ``application_submit`` (a new family and kindergartens unless given)."""
    from kezek.applications.services.submission import application_submit

    if user is None:
        user, child, made_orgs = make_applying_family()
        orgs = orgs if orgs is not None else made_orgs
    return application_submit(**submission_kwargs(user=user, child=child, orgs=orgs, **overrides))


# --- H: benefit claims ---------------------------------------------------------------------------


def make_claim(application, *, kind: str = "large_family", status: str = "pending", source: str = "document", **fields: Any):
    """A benefit claim row on ``application`` without service checks (class from ``BENEFIT_CLASS``)."""
    from kezek.applications.models import BenefitClaim
    from kezek.domain.queue import BENEFIT_CLASS

    return BenefitClaim.objects.create(
        application=application, kind=kind, priority_class=int(BENEFIT_CLASS[kind]), source=source, status=status, **fields
    )


# --- I: large queues seeded in one SQL statement (PostgreSQL), for the index test and bench/position.py ---


def seed_queue_sql(*, n: int, district, age_group: int, applicant, organisations, tag: str) -> None:
    """``n`` applications (and their children and 1-3 kindergarten choices) in one district and age group, in SQL.

    PostgreSQL only. Classes: 2% extraordinary, 18% first-priority, 80% general; 10% have left the queue;
    registration times spread over two years, some priority rights granted after registration.
    ``tag``: a few digits that keep the seeded IINs (12 digits) and keys apart from other rows.
    ``organisations``: at least 3 (each application chooses up to 3 different ones).
    """
    from django.db import connection

    org_ids = [getattr(o, "pk", o) for o in organisations]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH kids AS (
                INSERT INTO people_person (iin, last_name, first_name, patronymic, birth_date, sex, phone, district_id, updated_at)
                SELECT %(tag)s || lpad(g::text, 12 - length(%(tag)s), '0'), 'Сейтқали', 'Бала', '',
                       date '2022-01-01' + (g %% 365), CASE WHEN g %% 2 = 0 THEN 'M' ELSE 'F' END, '', NULL, now()
                FROM generate_series(1, %(n)s) AS g
                RETURNING id
            ), numbered AS (
                SELECT id AS child_id, row_number() OVER (ORDER BY id) AS g FROM kids
            ), rows AS (
                SELECT child_id, g,
                       now() - interval '730 days' + (g * interval '600 seconds') + (random() * interval '300 seconds') AS registered_at,
                       CASE WHEN g %% 50 = 0 THEN 0 WHEN g %% 5 = 0 THEN 1 ELSE 2 END AS priority_class,
                       CASE WHEN g %% 10 = 3 THEN 'withdrawn' ELSE 'active' END AS status
                FROM numbered
            )
            INSERT INTO applications_application (
                public_id, child_id, applicant_id, district_id, desired_start_date, language, age_group, phones, email,
                notify_channel, notify_language, status, priority_class, priority_since, registered_at, status_changed_at,
                reactivations_used, submission_key, created_at, updated_at)
            SELECT substr(md5(%(tag)s || g::text || random()::text), 1, 16), child_id, %(applicant)s, %(district)s,
                   date '2027-09-01', 'kk', %(age_group)s, '["+77010000001", "+77010000002"]'::jsonb, '', 'sms', 'ru',
                   status, priority_class,
                   CASE WHEN priority_class < 2 AND g %% 3 = 0 THEN registered_at + interval '20 days' ELSE registered_at END,
                   registered_at,
                   CASE WHEN status = 'active' THEN registered_at ELSE registered_at + interval '30 days' END,
                   0, 'seed-' || %(tag)s || '-' || g, now(), now()
            FROM rows
            """,
            {"tag": tag, "n": n, "applicant": applicant.pk, "district": district.pk, "age_group": age_group},
        )
        if org_ids:
            cursor.execute(
                """
                INSERT INTO applications_applicationpreference (
                    application_id, organisation_id, rank, district_id, age_group, status, priority_class, registered_at)
                SELECT a.id, (%(orgs)s::bigint[])[1 + ((a.id + r) %% cardinality(%(orgs)s::bigint[]))], r,
                       a.district_id, a.age_group, a.status, a.priority_class, a.registered_at
                FROM applications_application a CROSS JOIN generate_series(1, 3) AS r
                WHERE a.submission_key LIKE 'seed-' || %(tag)s || '-%%' AND r <= 1 + a.id %% 3
                """,
                {"orgs": org_ids, "tag": tag},
            )
        for table in ("people_person", "applications_application", "applications_applicationpreference"):
            cursor.execute(f"ANALYZE {table}")
