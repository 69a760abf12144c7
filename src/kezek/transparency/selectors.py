"""Aggregated public figures: counts only, small counts suppressed, cached for at most ``CACHE_SECONDS``.

Nothing here returns a row about one child: every query is a GROUP BY, and every count passes through
``kezek.domain.disclosure.suppress_small`` before it leaves this module.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Sum
from django.utils import timezone

from kezek.appeals.models import Appeal
from kezek.applications.models import Application
from kezek.domain.disclosure import suppress_small
from kezek.domain.queue import PriorityClass
from kezek.geo.models import District, Region
from kezek.integrity.models import Dispute, IntegrityFlag
from kezek.organisations.models import Group, Organisation
from kezek.placements.models import Offer
from kezek.rounds.models import Round, RoundPlace
from kezek.rush.models import PoolClaim
from kezek.transparency.models import QueueSnapshot
from kezek.vouchers.models import CampaignStage, Voucher, VoucherCampaign

# Public pages must be correct within a minute of a change; half of that leaves room for the render.
CACHE_SECONDS = 30
CLASSES = (PriorityClass.EXTRAORDINARY, PriorityClass.FIRST, PriorityClass.GENERAL)


def _cached(key: str, build) -> Any:
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


def public_regions() -> list[dict[str, Any]]:
    """Every region with its code and names (for the region switcher)."""
    return _cached(
        "transparency:regions",
        lambda: list(Region.objects.order_by("code").values("id", "code", "name_kk", "name_ru", "name_en")),
    )


def _queue_counts(region_id: int) -> dict[tuple[int, int, int], int]:
    rows = (
        Application.objects.filter(district__region_id=region_id, status=Application.Status.ACTIVE)
        .values("district_id", "age_group", "priority_class")
        .annotate(n=Count("id"))
    )
    return {(r["district_id"], r["age_group"], r["priority_class"]): r["n"] for r in rows}


def _kindergarten_places(region_id: int) -> dict[int, int]:
    rows = (
        Group.objects.filter(
            organisation__district__region_id=region_id,
            organisation__kind=Organisation.Kind.KINDERGARTEN,
            organisation__status=Organisation.Status.APPROVED,
            is_active=True,
        )
        .values("organisation__district_id")
        .annotate(free=Sum(F("capacity") - F("enrolled")), capacity=Sum("capacity"))
    )
    return {r["organisation__district_id"]: r["free"] or 0 for r in rows}


def _build_region_queue(region_id: int) -> dict[str, Any]:
    counts = _queue_counts(region_id)
    places = _kindergarten_places(region_id)
    districts = list(District.objects.filter(region_id=region_id).order_by("code").values("id", "code", "name_kk", "name_ru", "name_en"))
    by_district: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for (district_id, group, klass), n in counts.items():
        by_district[district_id][group][klass] = n
    result = []
    for d in districts:
        groups = by_district.get(d["id"], {})
        total = sum(sum(per_class.values()) for per_class in groups.values())
        result.append({
            **{k: d[k] for k in ("code", "name_kk", "name_ru", "name_en")},
            "waiting": suppress_small(total),
            "free_places": places.get(d["id"], 0),
            "age_groups": [
                {
                    "age_group": group,
                    "classes": [suppress_small(groups[group].get(int(c), 0)) for c in CLASSES],
                    "total": suppress_small(sum(groups[group].values())),
                }
                for group in sorted(groups)
            ],
        })
    return {"districts": result}


def public_region_queue(*, region_code: str) -> dict[str, Any] | None:
    """The kindergarten queue of one region by district, age group and priority class, with free places."""
    region = Region.objects.filter(code=region_code).values("id").first()
    if region is None:
        return None
    return _cached(f"transparency:queue:{region_code}", lambda: _build_region_queue(region["id"]))


def public_queue_rows() -> list[dict[str, Any]]:
    """The national open-data table: one row per district, age group and class, small counts suppressed."""

    def build() -> list[dict[str, Any]]:
        regions = dict(Region.objects.values_list("id", "code"))
        districts = {d["id"]: d for d in District.objects.values("id", "code", "region_id")}
        rows = (
            Application.objects.filter(status=Application.Status.ACTIVE)
            .values("district_id", "age_group", "priority_class")
            .annotate(n=Count("id"))
            .order_by("district_id", "age_group", "priority_class")
        )
        return [
            {
                "region": regions[districts[r["district_id"]]["region_id"]],
                "district": districts[r["district_id"]]["code"],
                "age_group": r["age_group"],
                "priority_class": PriorityClass(r["priority_class"]).name.lower(),
                "waiting": suppress_small(r["n"]),
            }
            for r in rows
        ]

    return _cached("transparency:queue-rows", build)


# --- rounds, campaigns and openings -------------------------------------------------------------------


def _hours(later, earlier) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds() / 3600, 1)


def _build_region_rounds(region_id: int) -> list[dict[str, Any]]:
    rounds = list(
        Round.objects.filter(district__region_id=region_id).exclude(status=Round.Status.DRAFT)
        .select_related("district").order_by("-runs_at", "-id")[:50]
    )
    places = dict(
        RoundPlace.objects.filter(round__in=rounds).values_list("round_id").annotate(n=Sum("places")).values_list("round_id", "n")
    )
    offers = defaultdict(dict)
    for r in Offer.objects.filter(round__in=rounds).values("round_id", "source", "status").annotate(n=Count("id")):
        offers[r["round_id"]][(r["source"], r["status"])] = r["n"]
    result = []
    for r in rounds:
        by = offers.get(r.pk, {})
        result.append({
            "code": r.code, "title": r.title, "status": r.status, "policy": r.policy,
            "district": {k: getattr(r.district, k) for k in ("code", "name_kk", "name_ru", "name_en")},
            "announced_at": r.announced_at, "runs_at": r.runs_at, "notice_hours": _hours(r.runs_at, r.announced_at),
            "places": places.get(r.pk, 0),
            "offered": suppress_small(sum(by.values())),
            "accepted": suppress_small(sum(n for (source, status), n in by.items() if status == Offer.Status.ACCEPTED)),
            "claimed_open_to_all": suppress_small(
                sum(n for (source, status), n in by.items() if source == Offer.Source.OPEN_TO_ALL)
            ),
        })
    return result


def _build_region_campaigns(region_id: int) -> list[dict[str, Any]]:
    campaigns = list(
        VoucherCampaign.objects.filter(region_id=region_id).exclude(status=VoucherCampaign.Status.DRAFT)
        .select_related("district").order_by("-period_start", "-id")[:50]
    )
    held = defaultdict(dict)
    for r in Voucher.objects.filter(campaign__in=campaigns).values("campaign_id", "status").annotate(n=Count("id")):
        held[r["campaign_id"]][r["status"]] = r["n"]
    stages = defaultdict(list)
    for stage in CampaignStage.objects.filter(campaign__in=campaigns).select_related("pool").order_by("number"):
        sold_out = None
        if stage.pool_id and stage.pool.taken >= stage.pool.capacity:
            last = PoolClaim.objects.filter(pool_id=stage.pool_id).order_by("-created_at").values_list("created_at", flat=True).first()
            sold_out = round((last - stage.opens_at).total_seconds(), 1) if last else None
        stages[stage.campaign_id].append({
            "number": stage.number, "opens_at": stage.opens_at, "share": stage.share,
            "remaining": (stage.pool.capacity - stage.pool.taken) if stage.pool_id else None,
            "seconds_to_sell_out": sold_out,
        })
    result = []
    for c in campaigns:
        counts = held.get(c.pk, {})
        first_stage = stages[c.pk][0]["opens_at"] if stages[c.pk] else None
        issued = sum(counts.values())
        result.append({
            "id": c.pk, "title": c.title, "kind": c.kind, "policy": c.policy, "status": c.status, "quota": c.quota,
            "issued": suppress_small(issued),
            "in_use": suppress_small(sum(counts.get(s, 0) for s in ("placed", "active"))),
            "remaining": max(0, c.quota - sum(n for s, n in counts.items() if s not in ("cancelled", "released", "expired"))),
            "announced_at": c.announced_at, "first_stage_at": first_stage, "notice_hours": _hours(first_stage, c.announced_at),
            "stages": stages[c.pk],
        })
    return result


def _build_region_upcoming(region_id: int) -> list[dict[str, Any]]:
    now = timezone.now()
    upcoming = [
        {"kind": "round", "title": r.title, "at": r.runs_at, "announced_at": r.announced_at,
         "notice_hours": _hours(r.runs_at, r.announced_at), "link": ("rounds:public-detail", r.code)}
        for r in Round.objects.filter(district__region_id=region_id, status=Round.Status.ANNOUNCED, runs_at__gt=now)
    ]
    upcoming += [
        {"kind": "open_to_all", "title": r.title, "at": r.open_to_all_at, "announced_at": r.ran_at,
         "notice_hours": _hours(r.open_to_all_at, r.ran_at), "link": ("rounds:public-detail", r.code)}
        for r in Round.objects.filter(district__region_id=region_id, status=Round.Status.RAN, open_to_all_at__gt=now)
    ]
    upcoming += [
        {"kind": "voucher_stage", "title": s.campaign.title, "at": s.opens_at, "announced_at": s.campaign.announced_at,
         "notice_hours": _hours(s.opens_at, s.campaign.announced_at), "link": ("vouchers:campaign", s.campaign_id)}
        for s in CampaignStage.objects.filter(
            campaign__region_id=region_id, opens_at__gt=now,
            campaign__status__in=[VoucherCampaign.Status.ANNOUNCED, VoucherCampaign.Status.OPEN],
        ).select_related("campaign")
    ]
    return sorted(upcoming, key=lambda item: item["at"])


def _counts_by(rows, key: str, *, kinds, statuses) -> list[dict[str, Any]]:
    counts = {(r[key], r["status"]): r["n"] for r in rows}
    return [
        {"kind": kind, "label": label, "statuses": [suppress_small(counts.get((kind, status), 0)) for status in statuses]}
        for kind, label in kinds
        if any(counts.get((kind, status), 0) for status in statuses)
    ]


def _build_region_integrity(region_id: int) -> dict[str, Any]:
    appeals = Appeal.objects.filter(district__region_id=region_id).values("kind", "status").annotate(n=Count("id"))
    flags = IntegrityFlag.objects.filter(district__region_id=region_id).values("kind", "status").annotate(n=Count("id"))
    return {
        "appeal_statuses": list(Appeal.Status.values),
        "appeals": _counts_by(appeals, "kind", kinds=Appeal.Kind.choices, statuses=Appeal.Status.values),
        "flag_statuses": list(IntegrityFlag.Status.values),
        "flags": _counts_by(flags, "kind", kinds=IntegrityFlag.Kind.choices, statuses=IntegrityFlag.Status.values),
        "dispute_statuses": list(Dispute.Status.values),
        "disputes": [suppress_small(n) for n in (
            Dispute.objects.filter(district__region_id=region_id, status=status).count() for status in Dispute.Status.values
        )],
    }


def public_region_activity(*, region_code: str) -> dict[str, Any] | None:
    """A region's rounds, voucher campaigns and upcoming openings with the notice each one gave."""
    region = Region.objects.filter(code=region_code).values("id").first()
    if region is None:
        return None
    return _cached(f"transparency:activity:{region_code}", lambda: {
        "rounds": _build_region_rounds(region["id"]),
        "campaigns": _build_region_campaigns(region["id"]),
        "upcoming": _build_region_upcoming(region["id"]),
        "integrity": _build_region_integrity(region["id"]),
    })


def public_queue_history(*, region_code: str, days: int = 90) -> list[dict[str, Any]]:
    """Children waiting in the region per day, from the daily snapshots (the last ``days`` days)."""
    def build() -> list[dict[str, Any]]:
        rows = (
            QueueSnapshot.objects.filter(district__region__code=region_code)
            .values("day").annotate(waiting=Sum("waiting")).order_by("-day")[:days]
        )
        return [{"day": r["day"], "waiting": suppress_small(r["waiting"])} for r in reversed(list(rows))]

    return _cached(f"transparency:history:{region_code}", build)
