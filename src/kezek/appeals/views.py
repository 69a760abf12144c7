"""Pages of appeals and incidents: the filer files and follows appeals, the officer decides them by their deadlines,
the administrator records incidents and restores what they took.

Thin views: forms check the shape, services check the rules; a refusal is shown on the page in the user's
language, never as a server error. Documents are served only here, after the permission check, as downloads.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kezek.accounts.models import Role
from kezek.appeals import selectors
from kezek.appeals.forms import AppealForm, DecisionForm, DocumentForm, IncidentForm
from kezek.appeals.services import appeals as appeal_services
from kezek.appeals.services import incidents as incident_services
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError, Forbidden, NotFound
# Signed-in users of these roles (administrators pass every role); others 403, as on the voucher pages.
from kezek.accounts.decorators import role_required

app_name = "appeals"
LOGIN = "web:parent-signin"


# --- the filer ---------------------------------------------------------------------------------------------


@role_required(Role.PARENT, Role.PROVIDER_STAFF)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    return render(request, "appeals/mine.html", {"appeals": selectors.appeals_of_filer(user=request.user)})


@role_required(Role.PARENT, Role.PROVIDER_STAFF)
@require_http_methods(["GET", "POST"])
def file_appeal(request: HttpRequest) -> HttpResponse:
    form = AppealForm(request.POST or None, request.FILES or None, initial=request.GET.dict())
    alert = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appeal = appeal_services.appeal_file(
                actor=request.user, kind=data["kind"], subject_kind=data["subject_kind"], subject_id=data["subject_id"],
                text=data["text"], documents=data["documents"],
            )
        except DomainError as exc:
            alert = error_text(exc)
        else:
            messages.success(request, _("Your appeal is registered. An officer must decide it by the date shown."))
            return redirect("appeals:detail", appeal_id=appeal.pk)
    return render(request, "appeals/file.html", {"form": form, "alert": alert}, status=422 if request.method == "POST" else 200)


def _detail(request: HttpRequest, appeal_id: int, *, document_form=None, decision_form=None, alert: str = "", status: int = 200):
    try:
        appeal = selectors.appeal_get(user=request.user, appeal_id=appeal_id)
    except NotFound:
        raise Http404 from None
    context = {
        "appeal": appeal,
        "documents": list(appeal.documents.all()),
        "remedy": selectors.appeal_remedy(appeal=appeal),
        "is_filer": appeal.filer_id == request.user.pk,
        "can_decide": selectors.can_decide(user=request.user, appeal=appeal),
        "document_form": document_form or DocumentForm(),
        "decision_form": decision_form or DecisionForm(),
        "alert": alert,
    }
    return render(request, "appeals/detail.html", context, status=status)


@login_required(login_url=LOGIN)
@require_GET
def detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    return _detail(request, appeal_id)


@login_required(login_url=LOGIN)
@require_POST
def add_document(request: HttpRequest, appeal_id: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, appeal_id, document_form=form, status=422)
    try:
        appeal_services.appeal_document_add(actor=request.user, appeal_id=appeal_id, uploaded_file=form.cleaned_data["document"])
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        return _detail(request, appeal_id, document_form=form, alert=error_text(exc), status=422)
    messages.success(request, _("The document is added to your appeal."))
    return redirect("appeals:detail", appeal_id=appeal_id)


@login_required(login_url=LOGIN)
@require_GET
def document(request: HttpRequest, appeal_id: int, document_id: int) -> FileResponse:
    try:
        file_path, content_type, filename = selectors.appeal_document_for_user(
            user=request.user, appeal_id=appeal_id, document_id=document_id
        )
        handle = open(file_path, "rb")  # noqa: SIM115 (FileResponse closes it when the response is sent)
    except (NotFound, FileNotFoundError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the officer -------------------------------------------------------------------------------------------


@role_required(Role.OFFICER)
@require_GET
def officer_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    status = {"open": "open", "overdue": "open", "decided_upheld": "upheld", "decided_rejected": "rejected"}.get(show, "open")
    rows = selectors.appeals_for_officer(user=request.user, status=status, overdue_only=show == "overdue")
    return render(request, "appeals/officer_list.html", {"appeals": rows, "show": show})


@role_required(Role.OFFICER)
@require_POST
def decide(request: HttpRequest, appeal_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, appeal_id, decision_form=form, status=422)
    data = form.cleaned_data
    try:
        appeal_services.appeal_decide(
            actor=request.user, appeal_id=appeal_id, upheld=data["decision"] == "upheld", reason=data["reason"],
            amount=data["amount"],
        )
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        return _detail(request, appeal_id, decision_form=form, alert=error_text(exc), status=422)
    messages.success(request, _("The decision is recorded and sent to the filer."))
    return redirect("appeals:detail", appeal_id=appeal_id)


# --- the administrator -------------------------------------------------------------------------------------


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def incidents(request: HttpRequest) -> HttpResponse:
    form = IncidentForm(request.POST or None)
    alert = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = incident_services.incident_record(
                actor=request.user, starts_at=data["starts_at"], ends_at=data["ends_at"], description=data["description"]
            )
        except DomainError as exc:
            alert = error_text(exc)
        else:
            messages.success(request, _("The incident is recorded and published on the public timeline."))
            return redirect("appeals:incident", incident_id=incident.pk)
    return render(
        request, "appeals/incidents.html",
        {"form": form, "alert": alert, "incidents": selectors.incidents_list(user=request.user)},
        status=422 if request.method == "POST" else 200,
    )


@role_required(Role.ADMIN)
@require_GET
def incident(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        found = selectors.incident_get(user=request.user, incident_id=incident_id)
    except NotFound:
        raise Http404 from None
    return render(request, "appeals/incident.html", {"incident": found, "items": selectors.incident_items(incident=found)})


@role_required(Role.ADMIN)
@require_POST
def incident_restore(request: HttpRequest, incident_id: int) -> HttpResponse:
    try:
        outcomes = incident_services.incident_restore(actor=request.user, incident_id=incident_id)
    except NotFound:
        raise Http404 from None
    if outcomes:
        messages.success(request, _("Restored: %(count)s items. Each result is shown below.") % {"count": sum(outcomes.values())})
    else:
        messages.success(request, _("Nothing left to restore: every item was already handled."))
    return redirect("appeals:incident", incident_id=incident_id)


urlpatterns = [
    path("", mine, name="mine"),
    path("new/", file_appeal, name="file"),
    path("<int:appeal_id>/", detail, name="detail"),
    path("<int:appeal_id>/documents/", add_document, name="add-document"),
    path("<int:appeal_id>/documents/<int:document_id>", document, name="document"),
    path("<int:appeal_id>/decide/", decide, name="decide"),
    path("officer/", officer_list, name="officer-list"),
    path("incidents/", incidents, name="incidents"),
    path("incidents/<int:incident_id>/", incident, name="incident"),
    path("incidents/<int:incident_id>/restore/", incident_restore, name="incident-restore"),
]
