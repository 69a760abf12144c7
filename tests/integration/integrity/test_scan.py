"""The phantom scan on seeded data: each rule finds its planted phantom and nothing else; flags are stored once."""

from __future__ import annotations

import datetime as dt

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kezek.attendance.models import ContestedDay, MonthlySheet, RegionAttendanceRules
from kezek.audit.models import AuditEvent
from kezek.integrity.models import IntegrityFlag, ScanRun
from kezek.integrity.services.scan import integrity_scan, integrity_scan_nightly
from kezek.organisations.models import Group
from tests.integration.integrity.conftest import (
    TODAY,
    attend,
    aware,
    campaign,
    club_section,
    enrol,
    family,
    kindergarten_group,
    mark,
    voucher,
    weekdays,
)


def flags(kind: str) -> list[IntegrityFlag]:
    return list(IntegrityFlag.objects.filter(kind=kind).order_by("pk"))


def scan(**kwargs):
    return integrity_scan(today=TODAY, suspend=False, **kwargs)


def attending_child(group):
    """A child enrolled in ``group`` who came every weekday of the last month: no rule may flag them."""
    _, (child,) = family()
    enrol(child, group)
    attend(group, child, weekdays(TODAY, 20))
    return child


def test_a_child_who_attends_is_not_flagged():
    group = kindergarten_group()
    attending_child(group)
    result = scan()
    assert result.found == {} and IntegrityFlag.objects.count() == 0


def test_no_attendance_for_the_regions_weeks(yesil):
    group = kindergarten_group()
    attending_child(group)
    _, (absent,) = family()
    phantom = enrol(absent, group)
    attend(group, absent, weekdays(TODAY - dt.timedelta(days=22), 5))
    _, (recent,) = family()
    enrol(recent, group)
    attend(group, recent, weekdays(TODAY - dt.timedelta(days=15), 3))  # 15 days: not yet 3 weeks
    scan()
    (flag,) = flags("no_attendance")
    assert flag.subject == f"enrolment:{phantom.pk}" and flag.child_id == absent.pk
    assert flag.district_id == yesil.pk and flag.organisation_id == group.organisation_id
    assert flag.evidence["weeks_rule"] == 3 and flag.evidence["days"] >= 21
    # A region with a longer rule does not flag the same gap.
    IntegrityFlag.objects.all().delete()
    RegionAttendanceRules.objects.create(region=yesil.region, no_attendance_weeks=6)
    scan()
    assert flags("no_attendance") == []


def test_present_in_two_places_at_overlapping_times():
    garden, club = kindergarten_group(), club_section()
    _, (child,) = family(birth_date=dt.date(2019, 6, 1))
    day = weekdays(TODAY, 3)[0]
    mark(garden, child, day, start=(9, 0), end=(17, 0))
    mark(club, child, day, start=(16, 0), end=(17, 30))
    mark(club, child, weekdays(TODAY, 3)[1], start=(16, 0), end=(17, 30))  # another day: no overlap
    scan()
    (flag,) = flags("overlapping_presence")
    assert flag.child_id == child.pk
    assert {s["group_id"] for s in flag.evidence["sessions"]} == {garden.pk, club.pk}


def test_more_sections_than_the_region_allows(officer, yesil):
    RegionAttendanceRules.objects.create(region=yesil.region, max_sections_per_child=1)
    the_campaign = campaign(officer=officer)
    holder, (child,) = family(birth_date=dt.date(2016, 6, 1))
    first, second = club_section(), club_section()
    voucher(child=child, holder=holder, section=first, the_campaign=the_campaign)
    attend(second, child, weekdays(TODAY, 2), start=(16, 0), end=(17, 0))
    scan()
    (flag,) = flags("too_many_sections")
    assert flag.evidence == {"sections": sorted([first.pk, second.pk]), "count": 2, "limit": 1}


def test_attendance_on_a_public_holiday_and_outside_the_schedule():
    club = club_section(schedule="Пн, Ср 16:00–17:30")
    garden = kindergarten_group()
    _, (child,) = family(birth_date=dt.date(2016, 6, 1))
    _, (small,) = family()
    independence_day = dt.date(2025, 12, 16)  # a Tuesday, a public holiday
    mark(garden, small, independence_day)
    mark(club, child, dt.date(2025, 12, 17), start=(16, 0), end=(17, 30))  # Wednesday as scheduled
    mark(club, child, dt.date(2025, 12, 18), start=(16, 0), end=(17, 30))  # Thursday: not in the schedule
    mark(garden, small, dt.date(2025, 12, 20))  # a Saturday in a kindergarten
    scan()
    (holiday,) = flags("holiday_attendance")
    assert holiday.group_id == garden.pk and holiday.evidence["date"] == "2025-12-16"
    off = flags("off_schedule")
    assert sorted((f.group_id, f.evidence["reason"]) for f in off) == sorted([(club.pk, "weekday"), (garden.pk, "weekday")])
    assert {f.evidence["starts_at"][:10] for f in off} == {"2025-12-18", "2025-12-20"}


def test_age_outside_the_groups_range():
    group = kindergarten_group()  # 36-59 months
    _, (too_old,) = family(birth_date=dt.date(2019, 1, 1))
    phantom = enrol(too_old, group)
    attend(group, too_old, weekdays(TODAY, 5))
    scan()
    (flag,) = flags("age_outside_range")
    assert flag.subject == f"enrolment:{phantom.pk}" and flag.evidence["age_months"] > 59


def test_a_provider_whose_marks_parents_contest():
    group = kindergarten_group()
    child = attending_child(group)
    month = dt.date(2025, 12, 1)
    sheet = MonthlySheet.objects.create(child=child, group=group, month=month, status="contested",
                                        deadline=aware(dt.date(2026, 1, 5), 0))
    for day in weekdays(TODAY, 20)[-5:]:
        ContestedDay.objects.create(sheet=sheet, session=group.sessions.get(date=day), status="upheld")
    scan()
    (flag,) = flags("marks_contested")
    assert flag.organisation_id == group.organisation_id
    assert flag.evidence["upheld_contested"] == 5 and flag.evidence["ratio"] > 0.2


def test_a_group_above_capacity():
    group = kindergarten_group(capacity=2)
    attending_child(group)
    attending_child(group)
    # A third child marked present though the group holds two.
    _, (extra,) = family()
    attend(group, extra, weekdays(TODAY, 1))
    scan()
    (flag,) = flags("over_capacity")
    assert flag.group_id == group.pk and flag.evidence == {"capacity": 2, "roster": 2, "most_present": 3}


def test_the_same_child_under_two_vouchers(officer):
    holder, (child,) = family(birth_date=dt.date(2016, 6, 1))
    first = club_section()
    second = club_section(organisation=first.organisation)
    one = voucher(child=child, holder=holder, section=first, the_campaign=campaign(officer=officer))
    two = voucher(child=child, holder=holder, section=second, the_campaign=campaign(officer=officer), kind="targeted")
    for section in (first, second):
        attend(section, child, weekdays(TODAY, 3), start=(16, 0), end=(17, 0))
    scan()
    (flag,) = flags("two_vouchers")
    assert flag.evidence["vouchers"] == sorted([one.pk, two.pk]) and flag.organisation_id == first.organisation_id


def test_the_scan_is_idempotent_and_reads_a_fixed_number_of_queries():
    group = kindergarten_group()
    for _ in range(3):
        _, (absent,) = family()
        enrol(absent, group)
    first = scan()
    assert first.new_flags == 3 and first.found == {"no_attendance": 3}
    seen = IntegrityFlag.objects.values_list("last_seen_at", flat=True).first()
    second = scan()
    assert second.new_flags == 0 and IntegrityFlag.objects.count() == 3
    assert IntegrityFlag.objects.values_list("last_seen_at", flat=True).first() >= seen
    assert AuditEvent.objects.filter(action="integrity.scan").count() == 2
    # Ten more phantoms, the same number of queries: nothing is read row by row.
    with CaptureQueriesContext(connection) as small:
        scan()
    for _ in range(10):
        _, (absent,) = family()
        enrol(absent, group)
    assert scan().new_flags == 10
    with CaptureQueriesContext(connection) as large:
        scan()
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_nightly_scan_runs_once_a_day_from_two_oclock():
    night = timezone.make_aware(dt.datetime(2025, 12, 22, 1, 30))
    assert integrity_scan_nightly(owner="w1", now=night) is None
    run_at = timezone.make_aware(dt.datetime(2025, 12, 22, 2, 5))
    assert integrity_scan_nightly(owner="w1", now=run_at) is not None
    assert integrity_scan_nightly(owner="w2", now=run_at + dt.timedelta(minutes=15)) is None
    run = ScanRun.objects.get(nightly=True)
    assert run.finished_at is not None and run.lease_owner == "w1"
    # A run whose worker died is taken over once its lease ends.
    ScanRun.objects.filter(pk=run.pk).update(finished_at=None, leased_until=run_at)
    assert integrity_scan_nightly(owner="w2", now=run_at + dt.timedelta(hours=2)) is not None
    assert ScanRun.objects.get(pk=run.pk).lease_owner == "w2"


def test_the_console_command_prints_the_findings(capsys):
    group = kindergarten_group()
    _, (absent,) = family()
    enrol(absent, group)
    call_command("integrity-scan", "--date", TODAY.isoformat(), "--no-suspend")
    out = capsys.readouterr().out
    assert "no_attendance" in out and "New flags: 1" in out
    call_command("integrity-scan", "--date", TODAY.isoformat(), "--json", "--no-suspend")
    assert '"new_flags": 0' in capsys.readouterr().out
    assert Group.objects.get(pk=group.pk).enrolled == 1
