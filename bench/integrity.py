"""Benchmark: the phantom scan over 50,000 enrolments with a month of attendance.

Not a test. Creates its own PostgreSQL database (``kezek_bench_integrity``, dropped first), migrates it with
``kezek migrate``, seeds in SQL: kindergarten enrolments (70 %) and club vouchers (30 %) in groups of 20, a
session every working day (kindergartens) or Monday/Wednesday/Friday (clubs) for the last 30 days, a present or
absent mark per child and session, and planted phantoms (about 1 % never attend, children present in two places at
once, marks on a public holiday and on a weekend, an overfull group, children too old for their group). Then runs
``integrity_scan`` in-process (flags, suspensions) and writes the seconds, the flags by kind and the machine.

    .venv/bin/python bench/integrity.py [--enrolments 50000] [--json bench/results/integrity.json]
"""

from __future__ import annotations

import argparse
import os
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
    pg_recreate_database,
    write_json,
)

DBNAME = "kezek_bench_integrity"
GROUP_SIZE = 20
DAYS = 30


def _setup(enrolments: int) -> dict:
    url = pg_recreate_database(DBNAME)
    env = django_env(url)
    eprint(f"migrating {DBNAME} ...")
    kezek("migrate", "--noinput", env=env)
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DEBUG", "LOG_LEVEL")})
    import django

    django.setup()
    started = time.perf_counter()
    counts = _seed(enrolments)
    eprint(f"seeded {counts} in {time.perf_counter() - started:.1f}s")
    return counts


def _seed(enrolments: int) -> dict:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from kezek.organisations.models import Group, Organisation
    from kezek.vouchers.models import VoucherCampaign
    from tests.factories.accounts import make_officer, make_parent, make_provider_staff
    from tests.factories.geo import district
    from tests.factories.organisations import make_organisation

    yesil = district("astana-yesil")
    officer = make_officer(yesil)
    applicant = make_parent()
    kindergarten_children = enrolments * 7 // 10
    club_children = enrolments - kindergarten_children
    garden_groups = -(-kindergarten_children // GROUP_SIZE)
    club_groups = -(-club_children // GROUP_SIZE)
    gardens = [make_organisation(district=yesil) for _ in range(max(1, garden_groups // 5))]
    clubs = [make_organisation(district=yesil, kind=Organisation.Kind.CLUB, ownership=Organisation.Ownership.PRIVATE)
             for _ in range(max(1, club_groups // 5))]
    staff = make_provider_staff(gardens[0])
    contested = make_organisation(district=yesil)  # a kindergarten with one group whose marks parents contest
    Group.objects.bulk_create(
        [Group(organisation=gardens[i % len(gardens)], name=f"bench-k-{i}", kind=Group.Kind.MIDDLE, age_min_months=36,
               age_max_months=71, language="kk", capacity=GROUP_SIZE + 2) for i in range(garden_groups)]
        + [Group(organisation=clubs[i % len(clubs)], name=f"bench-c-{i}", kind=Group.Kind.SPORT, age_min_months=60,
                 age_max_months=203, language="ru", capacity=GROUP_SIZE + 2, schedule="Пн, Ср, Пт 16:00–17:30")
           for i in range(club_groups)],
        batch_size=1000,
    )
    today = timezone.localdate()
    the_campaign = VoucherCampaign.objects.create(
        title="bench", region=yesil.region, district=yesil, period_start=today.replace(day=1) - dt.timedelta(days=90),
        period_end=today + dt.timedelta(days=200), kind="universal", policy="queue", status="open",
        quota=club_children + 10, monthly_value=20_000, min_age=4, max_age=17, held=club_children,
        announced_at=timezone.now(), created_by=officer,
    )
    from kezek.domain.integrity import public_holiday_name

    window = [today - dt.timedelta(days=d) for d in range(1, DAYS + 1)]
    holidays = [d for d in window if public_holiday_name(d)]
    saturday = next(d for d in window if d.weekday() == 5)
    params = {"holidays": holidays, "planted_days": sorted({saturday, *holidays}), "today": today, "days": DAYS, "n_k": kindergarten_children, "n_c": club_children, "size": GROUP_SIZE,
              "applicant": applicant.pk, "district": yesil.pk, "campaign": the_campaign.pk, "staff": staff.pk, "contested_org": contested.pk}
    with connection.cursor() as cursor:
        # Children: kindergarten ones born 2021 (4 years old), club ones 2015; every 500th is too old for its group.
        cursor.execute("""
            INSERT INTO people_person (iin, last_name, first_name, patronymic, birth_date, sex, phone, district_id, updated_at)
            SELECT '9' || lpad(g::text, 11, '0'), 'Бенч', 'Бала', '',
                   CASE WHEN g %% 500 = 7 THEN date '2012-01-01'
                        WHEN g <= %(n_k)s THEN date '2021-01-01' + (g %% 300) ELSE date '2015-01-01' + (g %% 300) END,
                   CASE WHEN g %% 2 = 0 THEN 'M' ELSE 'F' END, '', NULL, now()
            FROM generate_series(1, %(n_k)s + %(n_c)s) AS g
        """, params)
        cursor.execute("""
            CREATE TEMP TABLE bench_child AS
            SELECT id AS child_id, row_number() OVER (ORDER BY id) AS g FROM people_person WHERE iin LIKE '9%%'
        """)
        cursor.execute("""
            CREATE TEMP TABLE bench_group AS
            SELECT id AS group_id, row_number() OVER (ORDER BY id) AS n, name LIKE 'bench-k-%%' AS garden
            FROM organisations_group WHERE name LIKE 'bench-%%'
        """)
        cursor.execute("""
            INSERT INTO applications_application (
                public_id, child_id, applicant_id, district_id, desired_start_date, language, age_group, phones, email,
                notify_channel, notify_language, status, priority_class, priority_since, registered_at, status_changed_at,
                reactivations_used, submission_key, created_at, updated_at)
            SELECT substr(md5('bench' || g::text), 1, 16), child_id, %(applicant)s, %(district)s, date '2025-09-01', 'kk',
                   2021, '["+77010000001", "+77010000002"]'::jsonb, '', 'sms', 'ru', 'enrolled', 2, now(), now(), now(), 0,
                   'bench-' || g, now(), now()
            FROM bench_child WHERE g <= %(n_k)s
        """, params)
        cursor.execute("""
            INSERT INTO placements_enrolment (child_id, group_id, application_id, status, started_on, end_reason)
            SELECT c.child_id, k.group_id, a.id, 'active', date '2025-09-01', ''
            FROM bench_child c
            JOIN applications_application a ON a.child_id = c.child_id
            JOIN (SELECT group_id, row_number() OVER (ORDER BY n) AS k FROM bench_group WHERE garden) k
              ON k.k = (c.g - 1) / %(size)s + 1
            WHERE c.g <= %(n_k)s
        """, params)
        cursor.execute("""
            INSERT INTO vouchers_voucher (number, campaign_id, kind, child_id, holder_id, status, section_id, issued_at,
                                          status_changed_at)
            SELECT upper(substr(md5('v' || c.g::text), 1, 10)), %(campaign)s, 'universal', c.child_id, %(applicant)s,
                   'active', s.group_id, now() - interval '90 days', now() - interval '90 days'
            FROM bench_child c
            JOIN (SELECT group_id, row_number() OVER (ORDER BY n) AS k FROM bench_group WHERE NOT garden) s
              ON s.k = (c.g - %(n_k)s - 1) / %(size)s + 1
            WHERE c.g > %(n_k)s
        """, params)
        cursor.execute("""
            UPDATE organisations_group g SET enrolled = x.n
            FROM (SELECT group_id, count(*) AS n FROM placements_enrolment GROUP BY group_id
                  UNION ALL SELECT section_id, count(*) FROM vouchers_voucher GROUP BY section_id) x
            WHERE g.id = x.group_id
        """)
        # Sessions: kindergartens every weekday 08:00-18:00, clubs Mon/Wed/Fri 16:00-17:30 (local time).
        cursor.execute("""
            INSERT INTO attendance_session (group_id, date, starts_at, ends_at, created_at)
            SELECT b.group_id, d::date,
                   (d::date + CASE WHEN b.garden THEN time '08:00' ELSE time '16:00' END) AT TIME ZONE 'Asia/Almaty',
                   (d::date + CASE WHEN b.garden THEN time '18:00' ELSE time '17:30' END) AT TIME ZONE 'Asia/Almaty',
                   now()
            FROM bench_group b
            CROSS JOIN generate_series(%(today)s::date - %(days)s, %(today)s::date - 1, interval '1 day') AS d
            WHERE extract(isodow FROM d) <= 5 AND (b.garden OR extract(isodow FROM d) IN (1, 3, 5))
              AND NOT d::date = ANY(%(holidays)s::date[])
        """, params)
        # Planted: every 100th kindergarten group also opened on the Saturday before today and on each public
        # holiday of the month (attendance outside the schedule, on a holiday).
        cursor.execute("""
            INSERT INTO attendance_session (group_id, date, starts_at, ends_at, created_at)
            SELECT b.group_id, d, (d + time '09:00') AT TIME ZONE 'Asia/Almaty', (d + time '13:00') AT TIME ZONE 'Asia/Almaty',
                   now()
            FROM bench_group b CROSS JOIN unnest(%(planted_days)s::date[]) AS d
            WHERE b.garden AND b.n %% 100 = 1
        """, params)
        # Marks: present on 9 days in 10; every 100th child never attends (a phantom: no marks at all).
        cursor.execute("""
            INSERT INTO attendance_mark (session_id, child_id, status, marked_by_id, marked_at, client_mark_id,
                                         correction_reason)
            SELECT s.id, r.child_id, CASE WHEN (r.child_id + extract(doy FROM s.date)::int) %% 10 = 0 THEN 'absent' ELSE 'present' END,
                   %(staff)s, now(), '', ''
            FROM (SELECT child_id, group_id FROM placements_enrolment
                  UNION ALL SELECT child_id, section_id FROM vouchers_voucher) r
            JOIN attendance_session s ON s.group_id = r.group_id
            WHERE r.child_id %% 100 <> 0
        """, params)
        # A child present in two places at once: every 1000th kindergarten child also marked in a club session.
        cursor.execute("""
            INSERT INTO attendance_mark (session_id, child_id, status, marked_by_id, marked_at, client_mark_id,
                                         correction_reason)
            SELECT DISTINCT ON (e.child_id) s.id, e.child_id, 'present', %(staff)s, now(), '', ''
            FROM placements_enrolment e
            JOIN attendance_session s ON s.group_id = (SELECT min(section_id) FROM vouchers_voucher)
            WHERE e.child_id %% 1000 = 1
            ORDER BY e.child_id, s.starts_at DESC
        """, params)
        # Planted: every 1000th club child holds a second (targeted) voucher in the same section and is marked
        # present in three other sections at the times of its own (too many sections, present in two places).
        cursor.execute("""
            INSERT INTO vouchers_voucher (number, campaign_id, kind, child_id, holder_id, status, section_id, issued_at,
                                          status_changed_at)
            SELECT upper(substr(md5('w' || v.id::text), 1, 10)), v.campaign_id, 'targeted', v.child_id, v.holder_id,
                   'active', v.section_id, v.issued_at, v.status_changed_at
            FROM vouchers_voucher v WHERE v.child_id %% 1000 = 3
        """, params)
        cursor.execute("""
            INSERT INTO attendance_mark (session_id, child_id, status, marked_by_id, marked_at, client_mark_id,
                                         correction_reason)
            SELECT DISTINCT ON (v.child_id, s.group_id) s.id, v.child_id, 'present', %(staff)s, now(), '', ''
            FROM vouchers_voucher v
            JOIN (SELECT group_id FROM bench_group WHERE NOT garden ORDER BY n OFFSET 1 LIMIT 3) b ON b.group_id <> v.section_id
            JOIN attendance_session s ON s.group_id = b.group_id
            WHERE v.child_id %% 1000 = 3 AND v.kind = 'universal'
            ORDER BY v.child_id, s.group_id, s.starts_at DESC
        """, params)
        cursor.execute("""
            UPDATE organisations_group g SET enrolled = x.n
            FROM (SELECT section_id, count(*) AS n FROM vouchers_voucher GROUP BY section_id) x WHERE g.id = x.section_id
        """)
        # Planted: parents of one kindergarten group contested five days each, upheld (marks contested by parents).
        cursor.execute("""
            UPDATE organisations_group SET organisation_id = %(contested_org)s
            WHERE id = (SELECT group_id FROM bench_group WHERE garden AND n = 2)
        """, params)
        cursor.execute("""
            INSERT INTO attendance_monthlysheet (child_id, group_id, month, status, deadline)
            SELECT e.child_id, e.group_id, date_trunc('month', %(today)s::date)::date, 'contested', now() + interval '5 days'
            FROM placements_enrolment e WHERE e.group_id = (SELECT group_id FROM bench_group WHERE garden AND n = 2)
        """, params)
        cursor.execute("""
            INSERT INTO attendance_contestedday (sheet_id, session_id, reason, status, resolution_reason)
            SELECT sh.id, s.id, 'not there', 'upheld', 'confirmed'
            FROM attendance_monthlysheet sh
            JOIN LATERAL (SELECT id FROM attendance_session WHERE group_id = sh.group_id ORDER BY starts_at DESC LIMIT 5) s
              ON true
        """)
        for table in ("people_person", "applications_application", "placements_enrolment", "vouchers_voucher",
                      "attendance_session", "attendance_mark", "organisations_group"):
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM attendance_session")
        sessions = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE status = 'present') FROM attendance_mark")
        marks, present = cursor.fetchone()
    return {"enrolments": kindergarten_children, "vouchers": club_children, "groups": garden_groups + club_groups,
            "sessions": sessions, "marks": marks, "present_marks": present}


def _measure() -> dict:
    from kezek.integrity.models import IntegrityFlag
    from kezek.integrity.services.scan import integrity_findings, integrity_scan
    from kezek.integrity.services._common import local_today

    started = time.perf_counter()
    findings, unattended = integrity_findings(today=local_today())
    findings_seconds = time.perf_counter() - started
    first = integrity_scan()
    second = integrity_scan()  # nothing new: the flags are stored once, the places already suspended
    return {
        "findings_seconds": round(findings_seconds, 2),
        "findings": len(findings),
        "unattended": len(unattended),
        "scan_seconds": round(first.seconds, 2),
        "suspension_seconds": round(first.suspension_seconds, 2),
        "rescan_seconds": round(second.seconds, 2),
        "first_scan": first.as_dict(),
        "second_scan": second.as_dict(),
        "flags_by_kind": dict(sorted(
            (kind, IntegrityFlag.objects.filter(kind=kind).count())
            for kind in IntegrityFlag.objects.values_list("kind", flat=True).distinct()
        )),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enrolments", type=int, default=50_000, help="kindergarten enrolments plus club vouchers")
    parser.add_argument("--json", type=Path, default=RESULTS / "integrity.json", help="where to write the figures")
    args = parser.parse_args()

    seeded = _setup(args.enrolments)
    figures = _measure()
    result = {"benchmark": "integrity", "database": DBNAME, "seeded": seeded, **figures, "target_seconds": 60,
              "machine": machine_info()}
    write_json(args.json, result)
    first_suspended = figures["first_scan"]["suspended"]
    print(f"scan of {args.enrolments} places, {seeded['marks']} marks: {figures['scan_seconds']} s "
          f"(reads and rules {figures['findings_seconds']} s; {first_suspended} suspensions "
          f"{figures['suspension_seconds']} s; again {figures['rescan_seconds']} s)")
    for kind, count in figures["flags_by_kind"].items():
        print(f"  {kind:<22} {count}")


if __name__ == "__main__":
    main()
