"""The parent's personal data page in the cabinet: download everything held, ask for erasure."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kezek.accounts.decorators import role_required
from kezek.accounts.models import Role
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.privacy import selectors, services
from kezek.privacy.forms import ErasureRequestForm
from kezek.privacy.models import ErasureRequest

app_name = "privacy"


def _person(request: HttpRequest):
    person = getattr(request.user, "person", None)
    if person is None:
        raise Http404  # administrators pass role checks but hold no personal record here
    return person


@role_required(Role.PARENT)
@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    form = ErasureRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.erasure_request_create(user=request.user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Your request was sent. An administrator will erase your data or tell you why not yet."))
            return redirect("privacy:my-data")
    requests = selectors.erasure_requests_for_person(person=person)
    open_request = next((r for r in requests if r.status == ErasureRequest.Status.OPEN), None)
    return render(request, "privacy/my_data.html", {"form": form, "requests": requests, "open_request": open_request})


@role_required(Role.PARENT)
@require_GET
def export(request: HttpRequest, extension: str) -> HttpResponse:
    _person(request)
    if extension not in ("json", "zip"):
        raise Http404
    with_files = extension == "zip"
    body = services.person_data_export_for_user(user=request.user, with_files=with_files)
    response = HttpResponse(body, content_type="application/zip" if with_files else "application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="kezek-my-data.{extension}"'
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("", my_data, name="my-data"),
    path("export.<str:extension>", export, name="export"),
]
