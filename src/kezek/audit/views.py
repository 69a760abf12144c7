"""Public transparency pages of the audit trail: checkpoints (page and downloads) and the timeline. No sign-in."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kezek.audit.public import PUBLIC_ACTIONS, public_summary
from kezek.audit.selectors import audit_checkpoint_records, audit_checkpoints, audit_public_events, checkpoint_record

CHECKPOINTS_PER_PAGE = 50
EVENTS_PER_PAGE = 50
CSV_COLUMNS = ("seq", "hash", "created_at")


class _Echo:
    def write(self, value: str) -> str:
        return value


def checkpoints_json_lines(*, after_seq: int = 0) -> Iterator[str]:
    """The checkpoint list as a JSON array, one checkpoint per line, produced as it is read."""
    yield "["
    separator = "\n"
    for record in audit_checkpoint_records(after_seq=after_seq):
        yield separator + json.dumps(record, separators=(",", ":"))
        separator = ",\n"
    yield "\n]\n"


def checkpoints_json_response(*, after_seq: int = 0, filename: str | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(checkpoints_json_lines(after_seq=after_seq), content_type="application/json")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_lines() -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for record in audit_checkpoint_records():
        yield writer.writerow([record[c] for c in CSV_COLUMNS])


@require_GET
def checkpoints(request: HttpRequest) -> HttpResponse:
    page = Paginator(audit_checkpoints().order_by("-seq"), CHECKPOINTS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [checkpoint_record(c) for c in page.object_list]
    return render(request, "audit/checkpoints.html", {"page": page, "rows": rows})


@require_GET
def checkpoints_json(request: HttpRequest) -> HttpResponse:
    return checkpoints_json_response(filename="kezek-checkpoints.json")


@require_GET
def checkpoints_csv(request: HttpRequest) -> HttpResponse:
    response = StreamingHttpResponse(_csv_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="kezek-checkpoints.csv"'
    return response


@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    before = request.GET.get("before", "")
    # Anything but a plain seq (at most 18 digits fits a bigint on both databases) shows the newest page.
    before_seq = int(before) if before.isdigit() and len(before) <= 18 else None
    # One more than a page tells whether an older page exists without counting the whole trail.
    events = audit_public_events(actions=PUBLIC_ACTIONS, before_seq=before_seq, limit=EVENTS_PER_PAGE + 1)
    rows = [
        {
            "event": event,
            "label": PUBLIC_ACTIONS[event.action].label,
            "summary": public_summary(event.action, event.before, event.after),
        }
        for event in events[:EVENTS_PER_PAGE]
    ]
    older = rows[-1]["event"].seq if len(events) > EVENTS_PER_PAGE else None
    return render(request, "audit/timeline.html", {"rows": rows, "older": older, "paged": before_seq is not None})
