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

from kezek.domain.disclosure import bars
from kezek.transparency import selectors

DEFAULT_REGION = "astana"
QUEUE_FIELDS = ("region", "district", "age_group", "priority_class", "waiting")


def _name(row: dict[str, Any]) -> str:
    lang = (get_language() or "ru")[:2]
    return row.get(f"name_{lang}") or row["name_ru"]


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The national dashboard opens on a region; the region switcher keeps working without JavaScript."""
    code = request.GET.get("region") or DEFAULT_REGION
    return redirect("transparency:region", region_code=code)


@require_GET
def region(request: HttpRequest, region_code: str) -> HttpResponse:
    queue = selectors.public_region_queue(region_code=region_code)
    if queue is None:
        raise Http404(_("There is no region with this code."))
    regions = [{"code": r["code"], "name": _name(r)} for r in selectors.public_regions()]
    districts = [{**d, "name": _name(d)} for d in queue["districts"]]
    demand = bars([(d["name"], d["waiting"]) for d in districts])
    supply = bars([(d["name"], d["free_places"]) for d in districts])
    return render(request, "transparency/region.html", {
        "regions": regions,
        "region_code": region_code,
        "region_name": next((r["name"] for r in regions if r["code"] == region_code), region_code),
        "districts": districts,
        "chart": list(zip(demand, supply, strict=True)),
    })


@require_GET
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
def queue_json(request: HttpRequest) -> HttpResponse:
    body = json.dumps(
        {"format": "kezek.open-data.queue/1", "suppressed_below": 5, "rows": selectors.public_queue_rows()},
        ensure_ascii=False, sort_keys=True,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kindergarten-queue.json"'
    return response
