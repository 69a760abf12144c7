"""Pages of kezek.integrity: everything under my child's name and disputes (parents), the review list of flags,
disputes and suspensions (district officers), and the provider's disputes with its record of upheld ones.

Thin views: forms check the shape, services check the rules; a refusal is shown on the page in the user's
language, never as a server error.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kezek.accounts.models import Role
from kezek.core.errors import STATUS_BY_KIND, error_text
from kezek.domain.errors import DomainError
from kezek.integrity import selectors
from kezek.integrity.forms import DisputeForm, NoteForm
from kezek.integrity.models import IntegrityFlag
from kezek.integrity.services import disputes, flags, suspensions
from kezek.people.models import Person
from kezek.people.registry import get_registry
from kezek.accounts.decorators import role_required
from kezek.domain.iin import mask_iin

app_name = "integrity"
PAGE_SIZE = 50


def _children(user) -> list[Person]:
    person = getattr(user, "person", None)
    if person is None:
        return []
    iins = [c.iin for c in get_registry().children_of(person.iin)]
    return list(Person.objects.filter(iin__in=iins).order_by("birth_date", "pk"))


# --- parents -------------------------------------------------------------------------------------------


@role_required(Role.PARENT)
@require_GET
def children(request: HttpRequest) -> HttpResponse:
    """Everything under my child's name, across all providers."""
    overview = selectors.children_overview(user=request.user, children=_children(request.user))
    for entry in overview:
        entry["masked_iin"] = mask_iin(entry["child"].iin)
    return render(request, "integrity/children.html", {"overview": overview})


@role_required(Role.PARENT)
@require_http_methods(["GET", "POST"])
def dispute_new(request: HttpRequest, subject: str, subject_id: int) -> HttpResponse:
    try:
        disputes.dispute_subject_get(actor=request.user, subject=subject, subject_id=subject_id)
    except DomainError:
        raise Http404 from None  # not a place under the parent's child: no form for it
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            disputes.dispute_file(actor=request.user, subject=subject, subject_id=subject_id,
                                  since=form.cleaned_data["since"], reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Your dispute is sent to the provider and the education department. "
                                        "You will get an SMS with the decision."))
            return redirect("integrity:children")
    context = {"form": form, "subject": subject, "subject_id": subject_id}
    return render(request, "integrity/dispute_new.html", context, status=422 if form.errors else 200)


# --- officers ------------------------------------------------------------------------------------------


@role_required(Role.OFFICER)
@require_GET
def officer_flags(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in IntegrityFlag.Status.values else ""
    kind = request.GET.get("kind", "")
    kind = kind if kind in IntegrityFlag.Kind.values else ""
    page = Paginator(selectors.flags_for_officer(user=request.user, status=status, kind=kind), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "status": status, "kind": kind, "kinds": IntegrityFlag.Kind.choices,
               "statuses": IntegrityFlag.Status.choices, "form": NoteForm()}
    return render(request, "integrity/officer_flags.html", context)


def _officer_decision(request: HttpRequest, decide, *, success: str, back: str) -> HttpResponse:
    """Run an officer's decision with the posted note; a refusal is shown on the list it came from."""
    form = NoteForm(request.POST)
    form.is_valid()
    try:
        decide(form.cleaned_data.get("note", ""))
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect(back)


@role_required(Role.OFFICER)
@require_POST
def officer_flag_review(request: HttpRequest, flag_id: int, decision: str) -> HttpResponse:
    if decision not in ("confirm", "dismiss"):
        raise Http404
    return _officer_decision(
        request, lambda note: flags.flag_review(actor=request.user, flag_id=flag_id, confirm=decision == "confirm", note=note),
        success=_("The flag is reviewed."), back="integrity:officer-flags",
    )


@role_required(Role.OFFICER)
@require_GET
def officer_disputes(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    status = status if status in ("open", "upheld", "rejected") else ""
    rows = selectors.disputes_for_officer(user=request.user, status=status).order_by("deadline", "pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "integrity/officer_disputes.html", {"page": page, "status": status, "form": NoteForm()})


@role_required(Role.OFFICER)
@require_POST
def officer_dispute_decide(request: HttpRequest, dispute_id: int, decision: str) -> HttpResponse:
    if decision not in ("uphold", "reject"):
        raise Http404
    return _officer_decision(
        request,
        lambda note: disputes.dispute_decide(actor=request.user, dispute_id=dispute_id, uphold=decision == "uphold",
                                             reason=note),
        success=_("The decision is recorded and sent to the parent."), back="integrity:officer-disputes",
    )


@role_required(Role.OFFICER)
@require_http_methods(["GET", "POST"])
def officer_suspensions(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = NoteForm(request.POST)
        form.is_valid()
        try:
            suspensions.suspension_lift(actor=request.user, suspension_id=int(request.POST.get("suspension", "0") or 0),
                                        note=form.cleaned_data.get("note", ""))
        except (DomainError, ValueError) as exc:
            messages.error(request, error_text(exc) if isinstance(exc, DomainError) else _("Choose a suspension."))
        else:
            messages.success(request, _("The suspension is lifted."))
        return redirect("integrity:officer-suspensions")
    rows = selectors.suspensions_for_officer(user=request.user)[:200]
    return render(request, "integrity/officer_suspensions.html", {"suspensions": rows, "form": NoteForm()})


# --- providers -----------------------------------------------------------------------------------------


@role_required(Role.PROVIDER_STAFF)
@require_http_methods(["GET", "POST"])
def provider_disputes(request: HttpRequest) -> HttpResponse:
    """Disputes about our places: answer the open ones; the upheld ones are our record."""
    form = NoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        form.is_valid()
        try:
            disputes.dispute_respond(actor=request.user, dispute_id=int(request.POST.get("dispute", "0") or 0),
                                     response=form.cleaned_data.get("note", ""))
        except DomainError as exc:
            messages.error(request, error_text(exc))
            status = STATUS_BY_KIND.get(exc.kind, 400)
        except ValueError:
            raise Http404 from None
        else:
            messages.success(request, _("Your answer is recorded for the education department."))
            return redirect("integrity:provider-disputes")
    rows = list(selectors.disputes_for_provider(user=request.user)[:300])
    context = {"open": [d for d in rows if d.status == "open"], "upheld": [d for d in rows if d.status == "upheld"],
               "rejected": [d for d in rows if d.status == "rejected"], "form": NoteForm()}
    return render(request, "integrity/provider_disputes.html", context, status=status)


urlpatterns = [
    path("integrity/children/", children, name="children"),
    path("integrity/disputes/new/<str:subject>/<int:subject_id>/", dispute_new, name="dispute-new"),
    path("integrity/officer/flags/", officer_flags, name="officer-flags"),
    path("integrity/officer/flags/<int:flag_id>/<str:decision>/", officer_flag_review, name="officer-flag-review"),
    path("integrity/officer/disputes/", officer_disputes, name="officer-disputes"),
    path("integrity/officer/disputes/<int:dispute_id>/<str:decision>/", officer_dispute_decide,
         name="officer-dispute-decide"),
    path("integrity/officer/suspensions/", officer_suspensions, name="officer-suspensions"),
    path("integrity/provider/disputes/", provider_disputes, name="provider-disputes"),
]
