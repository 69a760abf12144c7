"""Public dashboard pages and open-data downloads: no sign-in, nothing about any one child."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kezek.core.public_cache import public_page
from kezek.domain.disclosure import bars
from kezek.transparency import selectors

DEFAULT_REGION = "astana"
QUEUE_FIELDS = ("region", "district", "age_group", "priority_class", "waiting")
ROUND_FIELDS = (
    "code", "title", "district", "policy", "status", "announced_at", "runs_at", "notice_hours", "places", "offered",
    "accepted", "claimed_open_to_all",
)
CAMPAIGN_FIELDS = (
    "id", "title", "kind", "policy", "status", "quota", "issued", "in_use", "remaining", "announced_at", "first_stage_at",
    "notice_hours",
)
SUPPRESSIBLE = frozenset({"waiting", "offered", "accepted", "claimed_open_to_all", "issued", "in_use"})


def _name(row: dict[str, Any]) -> str:
    lang = (get_language() or "ru")[:2]
    return row.get(f"name_{lang}") or row["name_ru"]


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The national dashboard opens on a region; the region switcher keeps working without JavaScript."""
    code = request.GET.get("region") or DEFAULT_REGION
    return redirect("transparency:region", region_code=code)


@require_GET
@public_page
def region(request: HttpRequest, region_code: str) -> HttpResponse:
    queue = selectors.public_region_queue(region_code=region_code)
    if queue is None:
        raise Http404(_("There is no region with this code."))
    regions = [{"code": r["code"], "name": _name(r)} for r in selectors.public_regions()]
    districts = [{**d, "name": _name(d)} for d in queue["districts"]]
    demand = bars([(d["name"], d["waiting"]) for d in districts])
    supply = bars([(d["name"], d["free_places"]) for d in districts])
    activity = selectors.public_region_activity(region_code=region_code)
    history = selectors.public_queue_history(region_code=region_code)
    sell_out = bars([
        (f'{c["title"]} · {s["number"]}', int(s["seconds_to_sell_out"]) if s["seconds_to_sell_out"] is not None else None)
        for c in activity["campaigns"] for s in c["stages"] if s["seconds_to_sell_out"] is not None
    ])
    for item in activity["rounds"]:
        item["district_name"] = _name(item["district"])
    return render(request, "transparency/region.html", {
        "rounds": activity["rounds"],
        "campaigns": activity["campaigns"],
        "upcoming": activity["upcoming"],
        "integrity": activity["integrity"],
        "history": list(zip(history, bars([(str(h["day"]), h["waiting"]) for h in history]), strict=True)),
        "sell_out": sell_out,
        "regions": regions,
        "region_code": region_code,
        "region_name": next((r["name"] for r in regions if r["code"] == region_code), region_code),
        "districts": districts,
        "chart": list(zip(demand, supply, strict=True)),
    })


def _download(rows: list[dict[str, Any]], *, fields: tuple[str, ...], name: str, fmt: str, data_format: str) -> HttpResponse:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("<5" if row.get(k, "") is None and k in SUPPRESSIBLE else row.get(k, "")) for k in fields})
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        body = json.dumps({"format": data_format, "suppressed_below": 5, "rows": rows}, ensure_ascii=False, sort_keys=True, default=str)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_GET
@public_page
def activity_download(request: HttpRequest, region_code: str, dataset: str, fmt: str) -> HttpResponse:
    """A region's rounds or voucher campaigns as open data (CSV or JSON)."""
    activity = selectors.public_region_activity(region_code=region_code)
    if activity is None or dataset not in ("rounds", "campaigns") or fmt not in ("csv", "json"):
        raise Http404(_("There is no such download."))
    rows = [
        {k: v for k, v in row.items() if k not in ("district", "stages")} | (
            {"district": row["district"]["code"]} if dataset == "rounds" else {}
        )
        for row in activity[dataset]
    ]
    return _download(
        rows, fields=ROUND_FIELDS if dataset == "rounds" else CAMPAIGN_FIELDS, name=f"{region_code}-{dataset}", fmt=fmt,
        data_format=f"kezek.open-data.{dataset}/1",
    )


@require_GET
@public_page
def queue_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=QUEUE_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in selectors.public_queue_rows():
        writer.writerow({**row, "waiting": "<5" if row["waiting"] is None else row["waiting"]})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kindergarten-queue.csv"'
    return response


@require_GET
@public_page
def queue_json(request: HttpRequest) -> HttpResponse:
    body = json.dumps(
        {"format": "kezek.open-data.queue/1", "suppressed_below": 5, "rows": selectors.public_queue_rows()},
        ensure_ascii=False, sort_keys=True,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kindergarten-queue.json"'
    return response
