"""Benefit documents: the parent claims a right and uploads its document; an officer reviews it.

Thin views: the form checks the shape, the services decide; documents are only ever served here,
after the permission check, as downloads (never rendered inline by the browser).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kezek.applications.selectors import applications as app_selectors
from kezek.applications.selectors import claims as claim_selectors
from kezek.applications.services import claims as claim_services
from kezek.applications.views.parent import parent_required
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError, Forbidden, NotFound
from kezek.domain.queue import BENEFIT_CLASS
from kezek.people.models import BenefitKind

PARENT_LOGIN = "web:parent-signin"


class UploadForm(forms.Form):
    document = forms.FileField(
        label=gettext_lazy("Document"),
        help_text=gettext_lazy("A scan or photo of the certificate: PDF, JPEG or PNG, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        allow_empty_file=True,  # the service explains an empty file in its own words
    )


class ClaimAddForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Benefit right"), choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, BenefitKind(k).label) for k in BENEFIT_CLASS]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("verify", "verify"), ("reject", "reject")])
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    found_false = forms.BooleanField(label=gettext_lazy("The right is false (stop-list for 10 days)"), required=False)


def _claim_or_404(request: HttpRequest, claim_id: int):
    try:
        return claim_selectors.claim_for_user(user=request.user, claim_id=claim_id)
    except NotFound:
        raise Http404 from None


# --- parent -------------------------------------------------------------------------------------


@parent_required
@require_http_methods(["GET", "POST"])
def claim_add(request: HttpRequest, application_id: int) -> HttpResponse:
    try:
        app_selectors.application_get_for_user(user=request.user, application_id=application_id)
    except DomainError:
        raise Http404 from None  # another parent's application looks exactly like a missing one
    form = ClaimAddForm(request.POST or None)
    alert = ""
    if request.method == "POST" and form.is_valid():
        try:
            claim = claim_services.claim_add(actor=request.user, application_id=application_id, kind=form.cleaned_data["kind"])
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise Http404 from None
            alert = error_text(exc)
        else:
            return redirect("applications:claim-upload", claim_id=claim.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "applications/documents/claim_add.html",
        {"form": form, "alert": alert, "application_id": application_id}, status=status,
    )


@login_required(login_url=PARENT_LOGIN)
@require_http_methods(["GET", "POST"])
def claim_upload(request: HttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)
    if claim.application.applicant_id != request.user.pk:
        raise Http404  # officers review documents; only the applicant uploads them
    form = UploadForm(request.POST or None, request.FILES or None)
    alert = ""
    if request.method == "POST":
        if form.is_valid():
            try:
                claim_services.claim_document_upload(
                    actor=request.user, claim_id=claim_id, uploaded_file=form.cleaned_data["document"]
                )
            except DomainError as exc:
                alert = error_text(exc)
            else:
                messages.success(request, _("The document is uploaded. An officer of your district will check it."))
                return redirect("applications:claim-upload", claim_id=claim_id)
        claim.refresh_from_db()
    return render(
        request, "applications/documents/upload.html",
        {"form": form, "claim": claim, "alert": alert, "benefit": BenefitKind(claim.kind).label},
        status=422 if request.method == "POST" else 200,
    )


@login_required(login_url=PARENT_LOGIN)
@require_GET
def claim_document(request: HttpRequest, claim_id: int) -> FileResponse:
    try:
        file_path, content_type, filename = claim_selectors.claim_document_for_user(user=request.user, claim_id=claim_id)
    except NotFound:
        raise Http404 from None
    try:
        handle = open(file_path, "rb")  # noqa: SIM115 (FileResponse closes it when the response is sent)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- officer ------------------------------------------------------------------------------------


def _officer_list(request: HttpRequest, *, errors: dict | None = None, forms_by_claim: dict | None = None, status: int = 200):
    district_id = request.GET.get("district")
    try:
        claims = list(
            claim_selectors.claims_waiting_review(user=request.user, district_id=int(district_id) if district_id and district_id.isdigit() else None)
        )
    except DomainError as exc:
        return render(request, "applications/documents/officer_list.html", {"rows": [], "alert": error_text(exc)}, status=403)
    rows = [
        {
            "claim": c,
            "benefit": BenefitKind(c.kind).label,
            "form": (forms_by_claim or {}).get(c.pk) or DecisionForm(),
            "error": (errors or {}).get(c.pk, ""),
        }
        for c in claims
    ]
    return render(request, "applications/documents/officer_list.html", {"rows": rows, "alert": ""}, status=status)


@login_required
@require_GET
def officer_documents(request: HttpRequest) -> HttpResponse:
    return _officer_list(request)


@login_required
@require_POST
def claim_decide(request: HttpRequest, claim_id: int) -> HttpResponse:
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _officer_list(request, errors={claim_id: _("Choose verify or reject.")}, forms_by_claim={claim_id: form}, status=422)
    data = form.cleaned_data
    try:
        if data["decision"] == "verify":
            claim_services.claim_verify(actor=request.user, claim_id=claim_id, reason=data["reason"])
            messages.success(request, _("The benefit right is verified."))
        else:
            claim_services.claim_reject(
                actor=request.user, claim_id=claim_id, reason=data["reason"], found_false=data["found_false"]
            )
            messages.success(request, _("The benefit right is rejected."))
    except NotFound:
        raise Http404 from None
    except Forbidden:
        raise PermissionDenied from None
    except DomainError as exc:
        return _officer_list(request, errors={claim_id: error_text(exc)}, forms_by_claim={claim_id: form}, status=422)
    return redirect("applications:officer-documents")


urlpatterns = [
    path("<int:application_id>/claims/add/", claim_add, name="claim-add"),
    path("claims/<int:claim_id>/document/", claim_upload, name="claim-upload"),
    path("claims/<int:claim_id>/document/file", claim_document, name="claim-document"),
    path("officer/documents/", officer_documents, name="officer-documents"),
    path("officer/claims/<int:claim_id>/decide/", claim_decide, name="claim-decide"),
]
