"""Allocation rounds for tests, made through the rounds services (so every rule and audit event applies).

``now`` arguments let a test run a round at its announced time without waiting for it.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from kezek.rounds.models import Round, RoundPlace, RoundRun
from kezek.rounds.services import (
    round_announce,
    round_create,
    round_place_set,
    round_run_execute,
    round_run_request,
    round_runs_claim,
)
from tests.factories.accounts import make_officer
from tests.factories.geo import district as get_district
from tests.factories.organisations import make_group

_titles = itertools.count(1)
DEFAULT_AGE_GROUP = 2022  # the birth year of make_application's default child


def make_round(
    *, officer=None, district=None, policy: str = "match", tie_break: str = "lottery", runs_in: dt.timedelta = dt.timedelta(days=2)
) -> Round:
    """A draft round running ``runs_in`` from now; offers close 3 days and places open to all 4 days after the run."""
    district = district or (officer.district if officer else get_district())
    officer = officer or make_officer(district)
    runs_at = timezone.now() + runs_in
    return round_create(
        officer=officer, district=district, title=f"Round {next(_titles)}", policy=policy, tie_break=tie_break,
        runs_at=runs_at, offers_close_at=runs_at + dt.timedelta(days=3), open_to_all_at=runs_at + dt.timedelta(days=4),
    )


def add_place(round: Round, *, officer=None, group=None, age_group: int = DEFAULT_AGE_GROUP, places: int = 1,
              frees_on: dt.date = dt.date(2026, 9, 1), **group_kwargs) -> RoundPlace:
    """Places in ``group`` (a new kindergarten's kk group in the round's district if None)."""
    group = group or make_group(district=round.district, **group_kwargs)
    return round_place_set(
        officer=officer or round.created_by, round=round, group=group, age_group=age_group, places=places, frees_on=frees_on
    )


def announced_round(*, groups: int = 1, places: int = 1, **round_kwargs) -> tuple[Round, list[RoundPlace]]:
    """An announced round with ``groups`` new kindergarten groups of ``places`` places each."""
    round = make_round(**round_kwargs)
    made = [add_place(round, places=places) for _ in range(groups)]
    return round_announce(officer=round.created_by, round=round), made


def run_round(round: Round, *, officer=None, owner: str = "test-worker") -> RoundRun:
    """Request the round's run at its announced time and execute it here, as a worker would."""
    round_run_request(officer=officer or round.created_by, round=round, now=round.runs_at)
    (run,) = round_runs_claim(owner=owner, code=round.code)
    return round_run_execute(run=run, owner=owner)
