"""Allocation rounds API, mounted at /api/v1/rounds: the public data of announced rounds (no sign-in).

``GET /{code}/input`` and ``/{code}/result`` return the exact published bytes, so that their SHA-256 matches.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Router

from kezek.rounds.models import Round
from kezek.rounds.schemas import RoundOut, RoundSummaryOut
from kezek.rounds.selectors import round_changes, round_places, round_public_get, rounds_public_list
from kezek.rounds.views import INPUT_FILE, RESULT_FILE, published_file_response, published_run

router = Router()


def _summary(round: Round) -> dict[str, Any]:
    return {
        "code": round.code, "title": round.title, "district": round.district.name, "district_code": round.district.code,
        "policy": round.policy, "tie_break": round.tie_break, "status": round.status, "runs_at": round.runs_at,
        "offers_close_at": round.offers_close_at, "open_to_all_at": round.open_to_all_at, "announced_at": round.announced_at,
    }


@router.get("/", response=list[RoundSummaryOut], summary="Announced rounds", auth=None)
def list_rounds(request: HttpRequest) -> list[dict[str, Any]]:
    return [_summary(r) for r in rounds_public_list()]


@router.get("/{code}", response=RoundOut, summary="One announced round: places, changes, seed, published data", auth=None)
def get_round(request: HttpRequest, code: str) -> dict[str, Any]:
    round = round_public_get(code=code)
    run = published_run(round)
    return {
        **_summary(round),
        "seed_commitment": round.seed_commitment,
        "seed_hex": round.seed_hex if run else None,
        "places": [
            {
                "id": p.allocation_id, "kindergarten_id": p.group.organisation_id, "kindergarten": p.group.organisation.name,
                "group_id": p.group_id, "group": p.group.name, "language": p.group.language, "age_group": p.age_group,
                "places": p.places, "frees_on": p.frees_on,
            }
            for p in round_places(round=round)
        ],
        "changes": [
            {
                "place": c.place.allocation_id if c.place else None, "field": c.field, "old_value": c.old_value,
                "new_value": c.new_value, "reason": c.reason, "changed_at": c.changed_at,
            }
            for c in round_changes(round=round)
        ],
        "input_sha256": run.input_sha256 if run else None,
        "result_sha256": run.result_sha256 if run else None,
        "input_url": request.build_absolute_uri(reverse("rounds:public-input", args=[code])) if run else None,
        "result_url": request.build_absolute_uri(reverse("rounds:public-result", args=[code])) if run else None,
    }


@router.get("/{code}/input", summary="The published allocation input (kezek.allocation/1), exact bytes", auth=None)
def get_input(request: HttpRequest, code: str) -> HttpResponse:
    return published_file_response(code, "input_json", INPUT_FILE)


@router.get("/{code}/result", summary="The published allocation result (kezek.allocation-result/1), exact bytes", auth=None)
def get_result(request: HttpRequest, code: str) -> HttpResponse:
    return published_file_response(code, "result_json", RESULT_FILE)
