"""Allocation rounds: create, set places, announce with a committed seed, change with a reason, run once.

Lock order everywhere: the round row first, then its place or run row.

A run (``round_run_request`` then ``round_run_execute``) is all-or-nothing. Progress is written in autocommit
while the applications are read and the allocation is solved, so the officer's page can show it; the result is
written in ONE transaction: the seed revealed, the input and result published, the offers created, the round
marked as ran. If anything fails, that transaction is rolled back and the run is marked failed with its error;
the round returns to ``announced``, so its officer may change places (with a reason) and request the run again.
"A round cannot run twice" therefore means: never two successful runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kezek.accounts.permissions import require_district
from kezek.applications.selectors.rules import queue_rules_for_district
from kezek.audit.services import audit_record
from kezek.core.leases import claim_rows
from kezek.domain import lottery
from kezek.domain.allocation import allocate, input_to_json_bytes, parse_allocation_input, result_to_json_bytes
from kezek.domain.rounds import (
    allocation_input,
    check_notice,
    check_round_transition,
    check_timetable,
)
from kezek.geo.models import District
from kezek.organisations.models import Group, Organisation
from kezek.rounds.errors import (
    ChangeNotAllowed,
    ChangeReasonRequired,
    GroupNotInDistrict,
    InvalidAgeGroup,
    InvalidPlaces,
    InvalidRoundChoice,
    InvalidRoundTitle,
    NaiveTime,
    NoPlaces,
    NothingChanged,
    PlacesBelowTaken,
    RoundNotDraft,
    RoundNotFound,
    RoundPlaceNotFound,
    RunAlreadyRequested,
    RunNotRequested,
    RunTooEarly,
    RunTwice,
)
from kezek.rounds.models import Round, RoundChange, RoundPlace, RoundRun
from kezek.rounds.selectors import round_allocation_rows

log = logging.getLogger("kezek.rounds")

MAX_PLACES = 100_000
RUN_LEASE_SECONDS = 600
PROGRESS_EVERY_SECONDS = 0.5
# A round's places may change (with a reason) while these hold; never during a run or once closed.
CHANGEABLE = (Round.Status.ANNOUNCED, Round.Status.RAN, Round.Status.OPEN_TO_ALL)


class Stage:
    """What a run is doing, as RoundRun.progress_stage says (the pages translate it)."""

    QUEUED = "queued"
    READING = "reading"
    SOLVING = "solving"
    WRITING = "writing"
    DONE = "done"
    FAILED = "failed"


class LeaseLost(Exception):
    """Another worker took the run over after this one's lease ran out: stop without writing anything."""


# --- helpers ------------------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _lock_round(round_id: int) -> Round:
    found = Round.objects.select_for_update().filter(pk=round_id).first()
    if found is None:
        raise RoundNotFound()
    return found


def _lock_for_officer(officer: Any, round_id: int) -> Round:
    locked = _lock_round(round_id)
    require_district(officer, locked.district_id)
    return locked


def _set_status(round: Round, target: str) -> None:
    check_round_transition(round.status, target)
    round.status = target


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise InvalidRoundTitle()
    return title


def _check_choice(value: str, choices: type, field: str) -> str:
    if value not in choices.values:
        raise InvalidRoundChoice(field=field, value=str(value)[:40])
    return value


def _check_timetable(runs_at: dt.datetime, offers_close_at: dt.datetime, open_to_all_at: dt.datetime) -> None:
    if any(t is None or timezone.is_naive(t) for t in (runs_at, offers_close_at, open_to_all_at)):
        raise NaiveTime()
    check_timetable(runs_at=runs_at, offers_close_at=offers_close_at, open_to_all_at=open_to_all_at)


def _round_state(round: Round) -> dict[str, Any]:
    return {
        "status": round.status, "title": round.title, "policy": round.policy, "tie_break": round.tie_break,
        "runs_at": round.runs_at, "offers_close_at": round.offers_close_at, "open_to_all_at": round.open_to_all_at,
    }


def _check_places(places: int) -> int:
    if type(places) is not int or not 0 <= places <= MAX_PLACES:
        raise InvalidPlaces(max=MAX_PLACES)
    return places


# --- creating and preparing a round --------------------------------------------------------------------


def round_create(
    *,
    officer: Any,
    district: District | int,
    title: str,
    policy: str,
    tie_break: str,
    runs_at: dt.datetime,
    offers_close_at: dt.datetime,
    open_to_all_at: dt.datetime,
) -> Round:
    """Create a draft round in the officer's district (rule: officers act only in their district; timetable in order)."""
    district_id = getattr(district, "pk", district)
    require_district(officer, district_id)
    if not District.objects.filter(pk=district_id).exists():
        raise RoundNotFound()
    fields = {
        "title": _check_title(title),
        "policy": _check_choice(policy, Round.Policy, "policy"),
        "tie_break": _check_choice(tie_break, Round.TieBreak, "tie-break"),
    }
    _check_timetable(runs_at, offers_close_at, open_to_all_at)
    with transaction.atomic():
        round = Round.objects.create(
            district_id=district_id, runs_at=runs_at, offers_close_at=offers_close_at, open_to_all_at=open_to_all_at,
            created_by=officer, **fields,
        )
        audit_record(actor=officer, action="round.created", obj=round, after=_round_state(round))
    return round


def round_update(
    *,
    officer: Any,
    round: Round,
    title: str,
    policy: str,
    tie_break: str,
    runs_at: dt.datetime,
    offers_close_at: dt.datetime,
    open_to_all_at: dt.datetime,
) -> Round:
    """Edit a draft round's title, policy and timetable (rule: frozen from announcement)."""
    fields = {
        "title": _check_title(title),
        "policy": _check_choice(policy, Round.Policy, "policy"),
        "tie_break": _check_choice(tie_break, Round.TieBreak, "tie-break"),
        "runs_at": runs_at, "offers_close_at": offers_close_at, "open_to_all_at": open_to_all_at,
    }
    _check_timetable(runs_at, offers_close_at, open_to_all_at)
    with transaction.atomic():
        locked = _lock_for_officer(officer, round.pk)
        if locked.status != Round.Status.DRAFT:
            raise RoundNotDraft()
        before = _round_state(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        audit_record(actor=officer, action="round.updated", obj=locked, before=before, after=_round_state(locked))
    return locked


def round_place_set(
    *, officer: Any, round: Round, group: Group | int, age_group: int, places: int, frees_on: dt.date
) -> RoundPlace | None:
    """Set a draft round's places in one group for one age group; 0 places removes the group (rule: places >= 0)."""
    _check_places(places)
    if type(age_group) is not int or not 0 <= age_group <= 9999:
        raise InvalidAgeGroup()
    if not isinstance(frees_on, dt.date):
        raise InvalidRoundChoice(field="date", value=str(frees_on)[:40])
    group_id = getattr(group, "pk", group)
    with transaction.atomic():
        locked = _lock_for_officer(officer, round.pk)
        if locked.status != Round.Status.DRAFT:
            raise RoundNotDraft()
        if not Group.objects.filter(
            pk=group_id, is_active=True, organisation__district_id=locked.district_id,
            organisation__kind=Organisation.Kind.KINDERGARTEN, organisation__status=Organisation.Status.APPROVED,
        ).exists():
            raise GroupNotInDistrict()
        existing = RoundPlace.objects.filter(round=locked, group_id=group_id, age_group=age_group).first()
        before = {"places": existing.places, "frees_on": existing.frees_on} if existing else None
        if places == 0:
            if existing:
                existing.delete()
            audit_record(actor=officer, action="round.place_removed", obj=locked, before=before)
            return None
        place, _ = RoundPlace.objects.update_or_create(
            round=locked, group_id=group_id, age_group=age_group, defaults={"places": places, "frees_on": frees_on}
        )
        audit_record(
            actor=officer, action="round.place_set", obj=place, before=before, after={"places": places, "frees_on": frees_on}
        )
    return place


def round_announce(*, officer: Any, round: Round, now: dt.datetime | None = None) -> Round:
    """Announce a round: publish and freeze its places and commit to a secret seed (rule: announced >= lead time ahead)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for_officer(officer, round.pk)
        _set_status(locked, Round.Status.ANNOUNCED)
        if not RoundPlace.objects.filter(round=locked, places__gt=0).exists():
            raise NoPlaces()
        _check_timetable(locked.runs_at, locked.offers_close_at, locked.open_to_all_at)
        check_notice(runs_at=timezone.localtime(locked.runs_at), now=timezone.localtime(now), lead_hours=settings.KEZEK_ROUND_LEAD_HOURS)
        seed = lottery.new_seed()
        locked.seed_hex = seed.hex()
        locked.seed_commitment = lottery.seed_commitment(seed)
        locked.announced_at = now
        locked.save(update_fields=["status", "seed_hex", "seed_commitment", "announced_at"])
        # The seed itself stays out of the audit trail until the run reveals it.
        audit_record(
            actor=officer, action="round.announced", obj=locked, before={"status": Round.Status.DRAFT},
            after={
                "code": locked.code, "title": locked.title, "status": locked.status, "policy": locked.policy,
                "tie_break": locked.tie_break, "seed_commitment": locked.seed_commitment, "runs_at": locked.runs_at,
                "offers_close_at": locked.offers_close_at, "open_to_all_at": locked.open_to_all_at,
            },
        )
    return locked


def round_place_change(*, officer: Any, place: RoundPlace, places: int, frees_on: dt.date, reason: str) -> RoundPlace:
    """Change a published group's places or date (rule: only with a written reason, shown publicly; never below taken)."""
    _check_places(places)
    reason = (reason or "").strip()
    if not reason:
        raise ChangeReasonRequired()
    round_id = RoundPlace.objects.filter(pk=place.pk).values_list("round_id", flat=True).first()
    if round_id is None:
        raise RoundPlaceNotFound()
    with transaction.atomic():
        locked = _lock_for_officer(officer, round_id)
        if locked.status not in CHANGEABLE:
            raise ChangeNotAllowed(status=locked.get_status_display())
        current = RoundPlace.objects.select_for_update().get(pk=place.pk)
        if places < current.taken:
            raise PlacesBelowTaken(taken=current.taken)
        changed = [(name, old, new) for name, old, new in (
            ("places", current.places, places), ("frees_on", current.frees_on, frees_on),
        ) if old != new]
        if not changed:
            raise NothingChanged()
        for name, old, new in changed:
            setattr(current, name, new)
            RoundChange.objects.create(
                round=locked, place=current, field=name, old_value=str(old), new_value=str(new), reason=reason, changed_by=officer
            )
        current.save(update_fields=[name for name, _, _ in changed])
        audit_record(
            actor=officer, action="round.place_changed", obj=current,
            before={name: old for name, old, _ in changed},
            after={
                **{name: new for name, _, new in changed}, "reason": reason, "code": locked.code, "age_group": current.age_group,
            },
        )
    return current


# --- running a round -------------------------------------------------------------------------------------


def round_run_request(*, officer: Any, round: Round, now: dt.datetime | None = None) -> RoundRun:
    """Queue the one run of an announced round (rules: not before its announced time; never two successful runs)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_for_officer(officer, round.pk)
        run = RoundRun.objects.select_for_update().filter(round=locked).first()
        if run is not None and run.status == RoundRun.Status.DONE:
            raise RunTwice()
        if run is not None and run.status != RoundRun.Status.FAILED:
            raise RunAlreadyRequested()
        _set_status(locked, Round.Status.RUNNING)
        if now < locked.runs_at:
            raise RunTooEarly(runs_at=_local(locked.runs_at))
        locked.save(update_fields=["status"])
        attempt = {
            "status": RoundRun.Status.QUEUED, "requested_by": officer, "requested_at": now, "progress_done": 0,
            "progress_total": 0, "progress_stage": Stage.QUEUED, "error": "", "finished_at": None,
            "leased_until": None, "lease_owner": "",
        }
        if run is None:
            run = RoundRun.objects.create(round=locked, **attempt)
        else:
            for name, value in attempt.items():
                setattr(run, name, value)
            run.save(update_fields=list(attempt))
        audit_record(actor=officer, action="round.run_requested", obj=locked, after={"status": locked.status, "run": run.pk})
    return run


def round_runs_claim(*, owner: str, code: str | None = None, limit: int = 1) -> list[RoundRun]:
    """Lease queued runs (or runs whose worker died) for ``owner``; ``code`` limits it to one round."""
    due = RoundRun.objects.filter(status__in=[RoundRun.Status.QUEUED, RoundRun.Status.RUNNING]).order_by("requested_at", "pk")
    if code is not None:
        due = due.filter(round__code=code)
    return claim_rows(queryset=due, owner=owner, lease_seconds=RUN_LEASE_SECONDS, limit=limit)


def round_run_claim_by_code(*, code: str, owner: str) -> RoundRun:
    """The run of round ``code``, leased to ``owner`` (for ``kezek round-run``)."""
    run = RoundRun.objects.filter(round__code=code).first()
    if run is None and not Round.objects.filter(code=code).exists():
        raise RoundNotFound()
    if run is None or run.status == RoundRun.Status.FAILED:
        raise RunNotRequested()
    if run.status == RoundRun.Status.DONE:
        raise RunTwice()
    claimed = round_runs_claim(owner=owner, code=code)
    if not claimed:
        raise RunAlreadyRequested()
    return claimed[0]


class _Progress:
    """Writes a run's progress in autocommit, at most every PROGRESS_EVERY_SECONDS, and renews the lease."""

    def __init__(self, run: RoundRun, owner: str, echo: Callable[[str, int, int], None] | None) -> None:
        self.run, self.owner, self.echo = run, owner, echo
        self.stage = ""
        self.last = 0.0

    def set_stage(self, stage: str, done: int = 0, total: int = 0) -> None:
        self.stage = stage
        self.write(done, total, force=True)

    def __call__(self, done: int, total: int) -> None:
        self.write(done, total)

    def write(self, done: int, total: int, *, force: bool = False) -> None:
        if self.echo:
            self.echo(self.stage, done, total)
        moment = time.monotonic()
        if not force and moment - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = moment
        updated = RoundRun.objects.filter(pk=self.run.pk, lease_owner=self.owner).update(
            status=RoundRun.Status.RUNNING, progress_stage=self.stage, progress_done=max(done, 0),
            progress_total=max(total, 0), leased_until=timezone.now() + timedelta(seconds=RUN_LEASE_SECONDS),
        )
        if not updated:
            raise LeaseLost()


def _solve(instance: Any, progress: _Progress) -> Any:
    # The engine names its own steps; the page shows them all as "allocating the places".
    result = allocate(instance, progress=lambda _step, done, total: progress(done, total))
    total = len(instance.applicants)
    progress.write(total, total, force=True)  # the engine's last step may stop short of its total
    return result


def _create_offers(round: Round, assignments: dict[str, str | None], progress: _Progress) -> int:
    # Looked up at call time: the placements app owns offers, and tests may replace it to make a run fail.
    from kezek.placements.services import offers

    def echo(done: int, total: int) -> None:
        # Inside the run's transaction a progress row would stay invisible until commit: only the console sees it.
        if progress.echo:
            progress.echo(Stage.WRITING, done, total)

    return offers.offers_create_for_round(round=round, assignments=assignments, progress=echo)


def _publish(run: RoundRun, owner: str, input_bytes: bytes, result_bytes: bytes, result: Any, progress: _Progress) -> None:
    with transaction.atomic():
        round = _lock_round(run.round_id)
        locked = RoundRun.objects.select_for_update().get(pk=run.pk)
        if locked.lease_owner != owner or locked.status != RoundRun.Status.RUNNING:
            raise LeaseLost()
        if not lottery.check_commitment(round.seed_hex, round.seed_commitment):
            raise RuntimeError("the stored seed does not match the published commitment")
        _set_status(round, Round.Status.RAN)
        now = timezone.now()
        round.seed_revealed = True
        round.ran_at = now
        round.save(update_fields=["status", "seed_revealed", "ran_at"])
        offered = _create_offers(round, dict(result.assignments), progress)
        locked.input_json = input_bytes.decode("utf-8")
        locked.input_sha256 = hashlib.sha256(input_bytes).hexdigest()
        locked.result_json = result_bytes.decode("utf-8")
        locked.result_sha256 = hashlib.sha256(result_bytes).hexdigest()
        locked.solve_seconds = result.stats.get("solve_seconds")
        locked.status = RoundRun.Status.DONE
        locked.progress_stage = Stage.DONE
        locked.progress_done = locked.progress_total = len(result.assignments)
        locked.finished_at = now
        locked.leased_until = None
        locked.error = ""
        locked.save()
        audit_record(
            actor=run.requested_by, action="round.ran", obj=round, before={"status": Round.Status.RUNNING},
            after={
                "code": round.code, "title": round.title, "seed_commitment": round.seed_commitment,
                "status": round.status, "seed_hex": round.seed_hex, "input_sha256": locked.input_sha256,
                "result_sha256": locked.result_sha256, "offers": offered,
            },
        )


def _fail(run: RoundRun, owner: str, error: str) -> None:
    with transaction.atomic():
        round = _lock_round(run.round_id)
        locked = RoundRun.objects.select_for_update().get(pk=run.pk)
        if locked.lease_owner != owner:
            return
        locked.status = RoundRun.Status.FAILED
        locked.progress_stage = Stage.FAILED
        locked.error = error[:2000]
        locked.finished_at = timezone.now()
        locked.leased_until = None
        locked.save(update_fields=["status", "progress_stage", "error", "finished_at", "leased_until"])
        if round.status == Round.Status.RUNNING:
            _set_status(round, Round.Status.ANNOUNCED)
            round.save(update_fields=["status"])
        audit_record(actor=None, action="round.run_failed", obj=round, after={"status": round.status, "error": locked.error})


def round_run_execute(*, run: RoundRun, owner: str, echo: Callable[[str, int, int], None] | None = None) -> RoundRun:
    """Run a leased round run: read, solve, then publish everything in one transaction (rule: all or nothing).

    ``echo(stage, done, total)`` is called on every progress step (the command's progress bar).
    """
    run = RoundRun.objects.select_related("round", "requested_by").get(pk=run.pk)
    progress = _Progress(run, owner, echo)
    try:
        progress.set_stage(Stage.READING)
        round = run.round
        rows = round_allocation_rows(round=round, progress=progress)
        rules = queue_rules_for_district(district_id=round.district_id)
        document = allocation_input(
            seed_hex=round.seed_hex, policy=round.policy, tie_break=round.tie_break, places=rows.places,
            applicants=rows.applicants, rotation=(rules.rotation_first_priority, rules.rotation_general),
        )
        instance = parse_allocation_input(document)
        input_bytes = input_to_json_bytes(instance)
        progress.set_stage(Stage.SOLVING, 0, len(instance.applicants))
        result = _solve(instance, progress)
        result_bytes = result_to_json_bytes(result, reproducible=True)
        progress.set_stage(Stage.WRITING, 0, sum(1 for place in result.assignments.values() if place is not None))
        _publish(run, owner, input_bytes, result_bytes, result, progress)
    except LeaseLost:
        log.warning("round run %s: lease lost, another worker continues it", run.pk)
    except Exception as exc:  # any failure leaves the round as it was; the officer sees the error and may retry
        log.exception("round run %s failed", run.pk)
        _fail(run, owner, f"{type(exc).__name__}: {exc}")
    run.refresh_from_db()
    return run


# --- open to all ------------------------------------------------------------------------------------------


def round_open_to_all(*, round: Round, now: dt.datetime | None = None) -> Round | None:
    """Mark a round open to all at its announced moment (rule: free places open to all at open_to_all_at).

    Called by the worker (kezek.placements.tasks); idempotent: None when the round is not due or already open.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_round(round.pk)
        if locked.status != Round.Status.RAN or locked.open_to_all_at is None or now < locked.open_to_all_at:
            return None
        _set_status(locked, Round.Status.OPEN_TO_ALL)
        locked.save(update_fields=["status"])
        audit_record(actor=None, action="round.open_to_all", obj=locked, before={"status": Round.Status.RAN},
                     after={"status": locked.status, "code": locked.code, "title": locked.title,
                            "open_to_all_at": locked.open_to_all_at})
    return locked
