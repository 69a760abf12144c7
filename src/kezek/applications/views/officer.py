"""Officers' pages: the district's queue with filters, and its CSV export.

Thin views: the filter form checks the shape, the selectors check who may see what
(officers only their district, administrators every district).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kezek.accounts.permissions import district_scope, require_role
from kezek.accounts.models import Role
from kezek.applications.models import Application
from kezek.applications.selectors.position import queue_csv_rows, queue_for_officer, queue_positions
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.geo.selectors import district_list
from kezek.domain.iin import mask_iin

PAGE_SIZE = 50
ALL_STATUSES = "all"


class QueueFilterForm(forms.Form):
    # A number, not a choice among the officer's districts: asking for another district is refused by the
    # selector's permission check (403), not hidden as a form error.
    district = forms.IntegerField(label=_("District"), required=False, min_value=1, max_value=2**31 - 1, widget=forms.Select)
    age_group = forms.IntegerField(label=_("Age group"), required=False, min_value=0, max_value=9999,
                                   help_text=_("The children's birth year (or age), as the region counts age groups."))
    priority_class = forms.TypedChoiceField(
        label=_("Class"), required=False, coerce=int, empty_value=None,
        choices=[("", _("all classes")), *Application.Priority.choices],
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, initial=Application.Status.ACTIVE,
        choices=[*Application.Status.choices, (ALL_STATUSES, _("all statuses"))],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=40,
                        help_text=_("Queue number, public id or the child's full IIN."))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = district_scope(user)
        districts = district_list(ids=scope)
        self.fields["district"].widget.choices = [("", _("choose a district"))] + [(d.pk, f"{d.region.name}: {d.name}") for d in districts]
        self.fields["district"].initial = getattr(user, "district_id", None)

    def filters(self, user: Any) -> dict[str, Any] | None:
        """The selector's keyword arguments, or None when no district can be chosen yet."""
        data = self.cleaned_data
        district_id = data.get("district") or getattr(user, "district_id", None)
        if district_id is None:
            return None
        status = data.get("status") or Application.Status.ACTIVE
        return {
            "district_id": district_id,
            "age_group": data.get("age_group"),
            "priority_class": data.get("priority_class"),
            "status": None if status == ALL_STATUSES else status,
            "query": data.get("q") or "",
        }


def _form(request: HttpRequest) -> QueueFilterForm:
    return QueueFilterForm(request.GET or None, user=request.user)


def _filters(request: HttpRequest, form: QueueFilterForm) -> dict[str, Any] | None:
    if not request.GET:
        district_id = getattr(request.user, "district_id", None)
        if district_id is None:
            return None
        return {"district_id": district_id, "age_group": None, "priority_class": None, "status": Application.Status.ACTIVE, "query": ""}
    return form.filters(request.user) if form.is_valid() else None


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "applications/officer/refused.html", {"alert": error_text(exc)}, status=403)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    try:
        require_role(request.user, Role.OFFICER)
        filters = _filters(request, form)
        rows, page = [], None
        if filters is not None:
            paginator = Paginator(queue_for_officer(user=request.user, **filters), PAGE_SIZE)
            page = paginator.get_page(request.GET.get("page"))
            rows = [
                {"app": app, "position": position, "masked_iin": mask_iin(app.child.iin)}
                for app, position in queue_positions(page.object_list, contiguous=not filters["query"].strip())
            ]
    except DomainError as exc:
        return _refused(request, exc)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form, "filters": filters, "rows": rows, "page": page,
        "query_string": query.urlencode(), "page_size": PAGE_SIZE,
    }
    return render(request, "applications/officer/queue.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so that Excel reads the file as UTF-8
    for row in rows:
        yield writer.writerow(row)


@login_required
def queue_csv(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    try:
        require_role(request.user, Role.OFFICER)
        filters = _filters(request, form)
        if filters is None:
            return render(request, "applications/officer/queue.html", {"form": form, "filters": None, "rows": []}, status=400)
        rows = queue_csv_rows(user=request.user, **filters)
        header = next(rows)  # runs the permission check now, before the response starts
    except DomainError as exc:
        return _refused(request, exc)
    name = f"queue-{filters['district_id']}-{timezone.localdate():%Y%m%d}.csv"

    def all_rows() -> Iterator[list[str]]:
        yield header
        yield from rows

    response = StreamingHttpResponse(_csv_lines(all_rows()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


urlpatterns = [
    path("officer/queue/", queue, name="officer-queue"),
    path("officer/queue.csv", queue_csv, name="officer-queue-csv"),
]
