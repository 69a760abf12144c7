"""Rounds that have run, with their offers, written directly as rows (no round services needed).

``make_ran_round`` stores a real ``kezek.allocation/1`` input for the given applications, runs the pure
engine on it and hands the result to ``offers_create_for_round``, as a round's run does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from kezek.applications.models import Application
from kezek.domain.allocation import allocate, input_to_json_bytes, parse_allocation_input, result_to_json_bytes
from kezek.organisations.models import Group
from kezek.placements.models import Offer
from kezek.placements.services.offers import offers_create_for_round
from kezek.rounds.models import Round, RoundPlace, RoundRun
from tests.factories.accounts import make_officer
from tests.factories.geo import district as get_district
from tests.factories.organisations import make_group


@dataclass
class RanRound:
    round: Round
    places: list[RoundPlace]
    run: RoundRun
    assignments: dict[str, str | None]
    offers: list[Offer] = field(default_factory=list)

    def offer_of(self, application: Application) -> Offer:
        """The open offer of ``application`` in this round."""
        return Offer.objects.get(round=self.round, application=application, status=Offer.Status.OPEN)


def make_round(*, district=None, policy: str = "queue", tie_break: str = "registered_at", status: str = "ran", **fields: Any) -> Round:
    """A round row in ``status`` (announced or later rounds carry a seed commitment)."""
    district = district if district is not None and not isinstance(district, str) else get_district(district or "astana-yesil")
    now = timezone.now()
    seed_hex = secrets.token_hex(32)
    values: dict[str, Any] = {
        "district": district, "title": "Комплектование", "policy": policy, "tie_break": tie_break, "status": status,
        "runs_at": now - dt.timedelta(minutes=5), "announced_at": now - dt.timedelta(days=2), "ran_at": now,
        "seed_hex": seed_hex, "seed_commitment": hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest(),
        "seed_revealed": status not in ("draft", "announced"), "created_by": make_officer(district),
    }
    values.update(fields)
    return Round.objects.create(**values)


def make_ran_round(
    *,
    applications: list[Application],
    groups: list[tuple[Group | None, int]] | None = None,
    preferences: dict[int, list[int]] | None = None,
    policy: str = "queue",
    tie_break: str = "registered_at",
    district=None,
    frees_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> RanRound:
    """A round that ran on ``applications`` and offered its places.

    ``groups``: (group or None for a new one, places) pairs, one round place each (default: one group, 1 place).
    ``preferences``: application pk -> indexes into ``groups`` in rank order (default: every place, in order).
    The applications' age groups must match: every place takes the first application's age group.
    """
    district = district or (applications[0].district if applications else get_district())
    the_round = make_round(district=district, policy=policy, tie_break=tie_break)
    age_group = applications[0].age_group if applications else 2022
    places = [
        RoundPlace.objects.create(
            round=the_round, group=group or make_group(organisation=None, district=district), age_group=age_group,
            places=count, frees_on=frees_on or timezone.localdate(),
        )
        for group, count in (groups or [(None, 1)])
    ]
    ids = [p.allocation_id for p in places]
    data = {
        "format": "kezek.allocation/1", "seed": the_round.seed_hex, "tie_break": tie_break, "policy": policy,
        "groups": [{"id": p.allocation_id, "capacity": p.places} for p in places],
        "applicants": [
            {
                "id": a.public_id, "priority": a.priority_class, "registered_at": a.registered_at.isoformat(),
                "preferences": [ids[i] for i in (preferences or {}).get(a.pk, range(len(ids)))],
            }
            for a in applications
        ],
    }
    instance = parse_allocation_input(data)
    result = allocate(instance)
    input_bytes = input_to_json_bytes(instance)
    result_bytes = result_to_json_bytes(result, reproducible=True)
    run = RoundRun.objects.create(
        round=the_round, status=RoundRun.Status.DONE, requested_by=the_round.created_by, finished_at=timezone.now(),
        input_json=input_bytes.decode(), input_sha256=hashlib.sha256(input_bytes).hexdigest(),
        result_json=result_bytes.decode(), result_sha256=hashlib.sha256(result_bytes).hexdigest(),
    )
    with transaction.atomic():
        offers_create_for_round(round=the_round, assignments=result.assignments, now=now)
    offers = list(Offer.objects.filter(round=the_round).order_by("place_id", "application__registered_at"))
    return RanRound(round=the_round, places=places, run=run, assignments=dict(result.assignments), offers=offers)

