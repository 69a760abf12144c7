"""Pages of offers and referrals: the parent's answers and referral, the kindergarten's contracts, the officer's
extensions, and the public check page a referral's QR code opens.

Thin views: forms check the shape, the services check every rule again and their errors become form errors
or messages in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kezek.accounts.models import Role
from kezek.accounts.permissions import require_role
from kezek.applications.selectors.rules import queue_rules_for_district
from kezek.applications.views.parent import parent_required
from kezek.core.errors import STATUS_BY_KIND, error_text
from kezek.domain.errors import DomainError, RateLimited
from kezek.organisations.models import Organisation
from kezek.placements import selectors
from kezek.placements.documents import qr_svg, referral_pdf
from kezek.placements.services import applications as application_services
from kezek.placements.services import offers as offer_services
from kezek.placements.services import open_to_all as open_to_all_services
from kezek.placements.services import referrals as referral_services
from kezek.placements.services._common import shown_deadline
from kezek.rounds.models import Round
from kezek.rush.web import TOKEN_PARAM, request_guard, token_from_request


def _check_url(request: HttpRequest, referral) -> str:
    return request.build_absolute_uri(reverse("placements:check", kwargs={"token": referral.check_token}))


def _refused(request: HttpRequest, exc: DomainError, template: str = "applications/officer/refused.html") -> HttpResponse:
    status = 403 if exc.kind == "forbidden" else 404 if exc.kind == "not_found" else 409
    return render(request, template, {"alert": error_text(exc)}, status=status)


def _act(request: HttpRequest, action: Callable[[], object], *, success: str, then: str) -> HttpResponse:
    """Run a one-button action; its outcome or refusal shows as a message on the page it returns to."""
    try:
        action()
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, success)
    return redirect(then)


def staff_page(*roles: str):
    """Signed-in staff with one of ``roles`` (administrators pass); others see the refusal in their language."""

    def decorate(view):
        @login_required(login_url="web:staff-signin")
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                require_role(request.user, *roles)
            except DomainError as exc:
                return _refused(request, exc)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# --- the parent ---------------------------------------------------------------------------------------


@parent_required
@require_GET
def offers(request: HttpRequest) -> HttpResponse:
    user = request.user
    open_offers = [
        {"offer": o, "answer_by": shown_deadline(o.deadline)} for o in selectors.offers_for_user(user=user, open_only=True)
    ]
    referrals = [{"referral": r, "contract_by": shown_deadline(r.contract_deadline)} for r in selectors.referrals_for_user(user=user)]
    context = {
        "open_offers": open_offers,
        "referrals": referrals,
        "reactivatable": selectors.reactivatable_for_user(user=user),
        "enrolments": selectors.enrolments_for_user(user=user),
        "open_to_all": selectors.open_to_all_for_user(user=user),
    }
    return render(request, "placements/offers.html", context)


def _own_offer(request: HttpRequest, offer_id: int):
    offer = selectors.offer_get_for_user(user=request.user, offer_id=offer_id)
    if offer is None:
        raise Http404
    return offer


@parent_required
@require_http_methods(["GET", "POST"])
def offer_answer(request: HttpRequest, offer_id: int, answer: str) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    context: dict[str, Any] = {"offer": offer, "answer": answer, "answer_by": shown_deadline(offer.deadline)}
    if request.method == "POST":
        try:
            if answer == "accept":
                referral = offer_services.offer_accept(user=request.user, offer=offer.pk)
                messages.success(request, _("You accepted the place. Print the referral and sign the contract at the kindergarten."))
                return redirect("placements:referral", referral_id=referral.pk)
            offer_services.offer_decline(user=request.user, offer=offer.pk)
            messages.success(request, _("You declined the place. The application is back in the queue with its registration time."))
            return redirect("placements:offers")
        except DomainError as exc:
            context["alert"] = error_text(exc)
            return render(request, "placements/answer.html", context, status=409)
    return render(request, "placements/answer.html", context)


@parent_required
@require_POST
def reactivate(request: HttpRequest, application_id: int) -> HttpResponse:
    return _act(
        request, lambda: application_services.application_reactivate(user=request.user, application=application_id),
        success=_("The application is back in the queue with its original registration time."), then="placements:offers",
    )


def _own_referral(request: HttpRequest, referral_id: int):
    try:
        return selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    except DomainError:
        raise Http404 from None


@parent_required
@require_GET
def referral(request: HttpRequest, referral_id: int) -> HttpResponse:
    found = _own_referral(request, referral_id)
    check_url = _check_url(request, found)
    context = {
        "referral": found, "offer": found.offer, "group": found.offer.place.group, "check_url": check_url,
        "qr": qr_svg(check_url), "contract_by": shown_deadline(found.contract_deadline),
    }
    return render(request, "placements/referral.html", context)


@parent_required
@require_GET
def referral_download(request: HttpRequest, referral_id: int) -> HttpResponse:
    found = _own_referral(request, referral_id)
    response = HttpResponse(referral_pdf(referral=found, check_url=_check_url(request, found)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="referral-{found.number}.pdf"'
    return response


class TransferForm(forms.Form):
    """The kindergartens to transfer to, in rank order (the first is the most wanted)."""

    def __init__(self, *args: Any, choices: list[tuple[int, str]], count: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [("", _("not chosen")), *choices]
        for rank in range(1, count + 1):
            self.fields[f"choice_{rank}"] = forms.TypedChoiceField(
                label=_("Choice %(rank)s") % {"rank": rank}, choices=options, coerce=int, empty_value=None, required=rank == 1,
            )

    def kindergartens(self) -> list[int]:
        return [value for name, value in self.cleaned_data.items() if name.startswith("choice_") and value is not None]


@parent_required
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    enrolment = selectors.enrolment_get_for_user(user=request.user, enrolment_id=enrolment_id)
    if enrolment is None:
        raise Http404
    district_id = enrolment.group.organisation.district_id
    choices = list(
        Organisation.objects.filter(
            district_id=district_id, kind=Organisation.Kind.KINDERGARTEN, status=Organisation.Status.APPROVED
        ).exclude(pk=enrolment.group.organisation_id).values_list("pk", "name")
    )
    count = queue_rules_for_district(district_id=district_id).max_preferences
    form = TransferForm(request.POST if request.method == "POST" else None, choices=choices, count=count)
    if request.method == "POST" and form.is_valid():
        try:
            application_services.transfer_apply(user=request.user, enrolment=enrolment.pk, kindergartens=form.kindergartens())
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The transfer application is registered with the original registration time."))
            return redirect("applications:mine")
    return render(request, "placements/transfer.html", {"enrolment": enrolment, "form": form})


# --- the public check ------------------------------------------------------------------------------------


@require_GET
def check(request: HttpRequest, token: str) -> HttpResponse:
    result = selectors.referral_check(token=token)
    response = render(request, "placements/check.html", {"result": result}, status=200 if result.genuine else 404)
    response["X-Robots-Tag"] = "noindex"
    return response


# --- open to all ------------------------------------------------------------------------------------------


def _live_round(code: str) -> Round:
    found = Round.objects.select_related("district").filter(code=code, status__in=open_to_all_services.LIVE).first()
    if found is None:
        raise Http404
    return found


def _claim_forms(request: HttpRequest, round: Round) -> list[dict[str, Any]]:
    """Per waiting application of the parent in the round's district: the free places of its age group."""
    places = selectors.open_to_all_places(round=round)
    rows = []
    for _round, _opening, applications in selectors.open_to_all_for_user(user=request.user):
        if _round.pk != round.pk:
            continue
        for application in applications:
            # A new key per render: a double click retries the same claim, a new visit makes a new one.
            rows.append({
                "application": application,
                "places": [{"free": f, "key": uuid.uuid4().hex} for f in places if f.place.age_group == application.age_group],
            })
    return rows


@parent_required
@require_http_methods(["GET", "POST"])
def open_to_all(request: HttpRequest, code: str) -> HttpResponse:
    """The claim page the waiting room continues to: the free places for the parent's children, a Claim button each."""
    round = _live_round(code)
    alert, status, retry_after = "", 200, None
    if request.method == "POST":
        try:
            request_guard(request)
            outcome = open_to_all_services.open_to_all_claim(
                user=request.user, round=round, place_id=_int(request.POST.get("place")),
                application_id=_int(request.POST.get("application")), idempotency_key=request.POST.get("idempotency_key", ""),
                token=token_from_request(request), request_id=getattr(request, "request_id", ""),
            )
        except DomainError as exc:
            alert, status = error_text(exc), STATUS_BY_KIND.get(exc.kind, 400)
            retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        else:
            messages.success(request, _("The place is yours. Print the referral and sign the contract at the kindergarten."))
            return redirect("placements:referral", referral_id=outcome.result["referral_id"])
    context = {
        "round": round, "opening": selectors.round_opening(round), "rows": _claim_forms(request, round), "alert": alert,
        "token": token_from_request(request), "token_param": TOKEN_PARAM,
        "is_open": timezone.now() >= round.open_to_all_at,
    }
    response = render(request, "placements/open_to_all.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@require_GET
def open_to_all_remaining(request: HttpRequest, code: str) -> HttpResponse:
    """Public, polled by the round's page: the free places left in each group."""
    round = _live_round(code)
    context = {"round": round, "opening": selectors.round_opening(round), "places": selectors.open_to_all_places(round=round)}
    response = render(request, "placements/_open_to_all_remaining.html", context)
    add_never_cache_headers(response)
    return response


# --- the kindergarten -------------------------------------------------------------------------------------


@staff_page(Role.PROVIDER_STAFF)
@require_GET
def provider_referrals(request: HttpRequest) -> HttpResponse:
    rows = [
        {"referral": r, "contract_by": shown_deadline(r.contract_deadline)}
        for r in selectors.referrals_for_organisation(user=request.user)
    ]
    return render(request, "placements/provider_referrals.html", {"rows": rows})


@staff_page(Role.PROVIDER_STAFF)
@require_POST
def contract_confirm(request: HttpRequest, referral_id: int) -> HttpResponse:
    return _act(
        request, lambda: referral_services.contract_confirm(staff=request.user, referral=referral_id),
        success=_("The contract is confirmed and the child is enrolled."), then="placements:provider-referrals",
    )


# --- the officer --------------------------------------------------------------------------------------------


class ExtendForm(forms.Form):
    days = forms.IntegerField(label=gettext_lazy("Extra days"), min_value=1, max_value=365)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


@staff_page(Role.OFFICER)
@require_GET
def officer_referrals(request: HttpRequest) -> HttpResponse:
    rows = [{"referral": r, "contract_by": shown_deadline(r.contract_deadline)} for r in selectors.referrals_for_officer(user=request.user)]
    return render(request, "placements/officer_referrals.html", {"rows": rows})


@staff_page(Role.OFFICER)
@require_http_methods(["GET", "POST"])
def referral_extend(request: HttpRequest, referral_id: int) -> HttpResponse:
    found = next((r for r in selectors.referrals_for_officer(user=request.user) if r.pk == referral_id), None)
    if found is None:
        raise Http404
    form = ExtendForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            referral_services.referral_extend(
                officer=request.user, referral=found.pk, days=form.cleaned_data["days"], reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The deadline is extended and the parent is told."))
            return redirect("placements:officer-referrals")
    context = {"referral": found, "form": form, "contract_by": shown_deadline(found.contract_deadline)}
    return render(request, "placements/extend.html", context)


urlpatterns = [
    path("kindergarten/offers/", offers, name="offers"),
    path("kindergarten/offers/<int:offer_id>/accept/", offer_answer, {"answer": "accept"}, name="offer-accept"),
    path("kindergarten/offers/<int:offer_id>/decline/", offer_answer, {"answer": "decline"}, name="offer-decline"),
    path("kindergarten/offers/reactivate/<int:application_id>/", reactivate, name="reactivate"),
    path("kindergarten/referrals/<int:referral_id>/", referral, name="referral"),
    path("kindergarten/referrals/<int:referral_id>/pdf/", referral_download, name="referral-pdf"),
    path("kindergarten/transfer/<int:enrolment_id>/", transfer, name="transfer"),
    path("kindergarten/provider/referrals/", provider_referrals, name="provider-referrals"),
    path("kindergarten/provider/referrals/<int:referral_id>/confirm/", contract_confirm, name="contract-confirm"),
    path("kindergarten/officer/referrals/", officer_referrals, name="officer-referrals"),
    path("kindergarten/officer/referrals/<int:referral_id>/extend/", referral_extend, name="referral-extend"),
    path("referrals/check/<str:token>/", check, name="check"),
    path("kindergarten/open/<str:code>/", open_to_all, name="open-to-all"),
    path("kindergarten/open/<str:code>/remaining/", open_to_all_remaining, name="open-to-all-remaining"),
]
