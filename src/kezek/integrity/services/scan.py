"""The phantom scan: set-based reads, the pure rules, flags stored once by fingerprint, then suspensions.

Run nightly by the worker (once per day however many workers run: a ``ScanRun`` row per day, leased) and on
demand by ``kezek integrity-scan``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from kezek.audit.services import audit_record
from kezek.domain import integrity as rules
from kezek.integrity import selectors
from kezek.integrity.models import IntegrityFlag, ScanRun
from kezek.integrity.services._common import local_today

NIGHTLY_HOUR = 2  # local time: after the day's marks and the evening's offline batches are in
LEASE = dt.timedelta(hours=1)
CHUNK = 1000


@dataclass
class ScanResult:
    today: dt.date
    found: Counter = field(default_factory=Counter)
    new_flags: int = 0
    suspended: int = 0
    released: int = 0
    lifted: int = 0
    seconds: float = 0.0
    suspension_seconds: float = 0.0
    unattended: list[rules.Seat] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "found": dict(sorted(self.found.items())), "new_flags": self.new_flags,
                "suspended": self.suspended, "released": self.released, "lifted": self.lifted,
                "seconds": round(self.seconds, 3), "suspension_seconds": round(self.suspension_seconds, 3)}


def integrity_findings(*, today: dt.date) -> tuple[list[rules.Finding], list[rules.Seat]]:
    """Every rule over the current data (rule set: kezek.domain.integrity); also the unattended seats."""
    region_rules = selectors.region_rules()
    start = today - dt.timedelta(days=selectors.WINDOW_DAYS)
    month = today.strftime("%Y-%m")
    seats = selectors.scan_seats(today=today, rules=region_rules)
    sessions = selectors.scan_sessions(start=start)
    sections, limits = selectors.scan_sections_by_child(start=start, rules=region_rules)
    no_attendance = rules.rule_no_attendance(seats, today=today)
    findings = [
        *no_attendance,
        *rules.rule_age_outside_range(seats, today=today),
        *rules.rule_overlapping_presence(selectors.scan_overlap_candidates(start=start)),
        *rules.rule_too_many_sections(sections, limits=limits),
        *rules.rule_holiday_attendance(sessions),
        *rules.rule_off_schedule(sessions),
        *rules.rule_marks_contested(selectors.scan_provider_marks(start=start), period=month),
        *rules.rule_over_capacity(selectors.scan_group_loads(sessions=sessions), period=month),
        *rules.rule_two_vouchers(selectors.scan_double_vouchers()),
    ]
    unattended_subjects = {f.subject for f in no_attendance}
    return findings, [s for s in seats if s.subject in unattended_subjects]


def _flag_rows(findings: list[rules.Finding], now: dt.datetime) -> list[IntegrityFlag]:
    orgs, groups = selectors.scan_districts(
        organisation_ids={f.organisation_id for f in findings if f.organisation_id},
        group_ids={f.group_id for f in findings if f.group_id},
    )
    rows = []
    for f in findings:
        org_id = f.organisation_id or groups.get(f.group_id)
        rows.append(IntegrityFlag(
            kind=f.kind.value, fingerprint=f.fingerprint, subject=f.subject, evidence=f.evidence,
            district_id=orgs.get(org_id), organisation_id=org_id, group_id=f.group_id, child_id=f.child_id,
            found_at=now, last_seen_at=now,
        ))
    return rows


def flags_store(*, findings: list[rules.Finding], now: dt.datetime | None = None) -> int:
    """Store new findings as open flags; a fact found again only updates ``last_seen_at`` (rule: idempotent scan)."""
    now = now or timezone.now()
    unique = {f.fingerprint: f for f in findings}
    fingerprints = sorted(unique)
    created = 0
    for i in range(0, len(fingerprints), CHUNK):
        chunk = fingerprints[i:i + CHUNK]
        with transaction.atomic():
            known = set(IntegrityFlag.objects.filter(fingerprint__in=chunk).values_list("fingerprint", flat=True))
            fresh = [unique[fp] for fp in chunk if fp not in known]
            IntegrityFlag.objects.bulk_create(_flag_rows(fresh, now), batch_size=500, ignore_conflicts=True)
            IntegrityFlag.objects.filter(fingerprint__in=list(known)).update(last_seen_at=now)
            created += len(fresh)
    return created


def integrity_scan(*, today: dt.date | None = None, actor: Any | None = None, suspend: bool = True) -> ScanResult:
    """Run every phantom rule, store the flags, then suspend, lift and release places (rules: region's numbers)."""
    from kezek.integrity.services.suspensions import suspensions_apply

    started = time.perf_counter()
    today = today or local_today()
    result = ScanResult(today=today)
    findings, unattended = integrity_findings(today=today)
    result.found = Counter(f.kind.value for f in findings)
    result.unattended = unattended
    result.new_flags = flags_store(findings=findings)
    if suspend:
        suspending = time.perf_counter()
        result.lifted, result.suspended, result.released = suspensions_apply(today=today, unattended=unattended)
        result.suspension_seconds = time.perf_counter() - suspending
    result.seconds = time.perf_counter() - started
    with transaction.atomic():
        audit_record(actor=actor, action="integrity.scan", object_type="integrity.scan", object_id=today.isoformat(),
                     after=result.as_dict())
    return result


def integrity_scan_nightly(*, owner: str, now: dt.datetime | None = None) -> ScanResult | None:
    """The nightly scan, once per local day from ``NIGHTLY_HOUR`` on; a run whose worker died is taken over."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < NIGHTLY_HOUR:
        return None
    today = local.date()
    until = now + LEASE
    try:
        with transaction.atomic():
            run = ScanRun.objects.create(day=today, nightly=True, started_at=now, leased_until=until, lease_owner=owner)
    except IntegrityError:
        # Another worker has it: take it over only if that worker's lease ran out before finishing.
        taken = ScanRun.objects.filter(
            Q(leased_until__lt=now) | Q(leased_until__isnull=True), day=today, nightly=True, finished_at__isnull=True
        ).update(leased_until=until, lease_owner=owner, started_at=now)
        if not taken:
            return None
        run = ScanRun.objects.get(day=today, nightly=True)
    result = integrity_scan(today=today)
    ScanRun.objects.filter(pk=run.pk, lease_owner=owner).update(
        finished_at=timezone.now(), leased_until=None, seconds=result.seconds, found=dict(result.found),
        new_flags=result.new_flags, suspended=result.suspended,
    )
    return result
