"""Pages of club vouchers: the public catalogue and campaigns, the parent's claim and vouchers,
the provider's placements and sections, the officer's campaigns and approvals.

Thin views: forms check the shape, services check the rules; a refusal is shown on the page in the
user's language (a busy rush answers 503 with Retry-After), never as a server error.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kezek.accounts.models import Role
from kezek.accounts.decorators import role_required
from kezek.accounts.permissions import district_scope
from kezek.core.errors import STATUS_BY_KIND, error_text
from kezek.domain.errors import DomainError, RateLimited
from kezek.geo.models import District
from kezek.organisations.models import Group, Organisation
from kezek.organisations.services import organisation_approve
from kezek.people.registry import get_registry
from kezek.rush.web import request_guard, token_from_request
from kezek.vouchers import selectors
from kezek.vouchers.forms import (
    CampaignForm,
    CancelForm,
    CatalogueFilterForm,
    ChangeForm,
    ChildChoiceForm,
    PlaceForm,
    ReasonForm,
    SectionForm,
)
from kezek.vouchers.models import Voucher, VoucherCampaign
from kezek.vouchers.services import campaigns as campaign_services
from kezek.vouchers.services import issuing, placement, sections
from kezek.domain.iin import mask_iin

app_name = "vouchers"
PAGE_SIZE = 20
CLAIM_KEY = "kezek_voucher_claim_key"


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _problem(request: HttpRequest, exc: DomainError, *, back: str = "") -> HttpResponse:
    status = STATUS_BY_KIND.get(exc.kind, 400)
    response = render(request, "vouchers/problem.html", {"alert": error_text(exc), "back": back}, status=status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    add_never_cache_headers(response)
    return response


# --- the public catalogue and campaigns ------------------------------------------------------------


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    districts = list(District.objects.select_related("region").filter(organisations__kind=Organisation.Kind.CLUB).distinct())
    form = CatalogueFilterForm(request.GET or None, districts=districts)
    page = Paginator(selectors.catalogue_sections(**form.filters()), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query_string": query.urlencode()}
    template = "vouchers/_sections.html" if _is_htmx(request) else "vouchers/catalogue.html"
    return render(request, template, context)


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = selectors.campaign_public_list()[:100]
    return render(request, "vouchers/campaign_list.html", {"campaigns": campaigns})


def _campaign_context(campaign: VoucherCampaign) -> dict:
    return {
        "campaign": campaign,
        "stages": selectors.campaign_stages(campaign=campaign),
        "remaining": selectors.campaign_remaining(campaign=campaign),
        "waiting": selectors.campaign_waiting_count(campaign=campaign),
    }


def _public_campaign(campaign_id: int) -> VoucherCampaign:
    try:
        return selectors.campaign_public_get(campaign_id=campaign_id)
    except DomainError:
        raise Http404 from None


@require_GET
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _public_campaign(campaign_id)
    context = _campaign_context(campaign) | {"changes": campaign.changes.order_by("created_at")}
    return render(request, "vouchers/campaign.html", context)


@require_GET
def campaign_remaining(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The live part of the campaign page, polled by htmx: remaining vouchers of the open stages."""
    campaign = _public_campaign(campaign_id)
    response = render(request, "vouchers/_remaining.html", _campaign_context(campaign))
    add_never_cache_headers(response)
    return response


# --- the parent --------------------------------------------------------------------------------------


def _children(user) -> list:
    person = getattr(user, "person", None)
    return get_registry().children_of(person.iin) if person else []


@role_required(Role.PARENT)
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, campaign_id: int, stage_number: int) -> HttpResponse:
    """The page the waiting room continues to: pick the child and claim with the pass."""
    back = f"/vouchers/campaigns/{campaign_id}/"
    try:
        request_guard(request)
        campaign = selectors.campaign_public_get(campaign_id=campaign_id)
    except DomainError as exc:
        return _problem(request, exc, back=back)
    token = token_from_request(request)
    form = ChildChoiceForm(request.POST if request.method == "POST" else None, children=_children(request.user))
    if request.method == "POST" and form.is_valid():
        # One key per page view: a double submit or a retry after a timeout replays the first claim.
        key = request.POST.get("claim_key") or secrets.token_hex(16)
        try:
            result = issuing.voucher_claim(
                actor=request.user, campaign_id=campaign.pk, stage_number=stage_number,
                child_iin=form.cleaned_data["child_iin"], idempotency_key=key, token=token,
                request_id=getattr(request, "request_id", ""),
            )
        except RateLimited as exc:
            return _problem(request, exc, back=back)
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Voucher %(number)s is yours. Now choose a section.") % {"number": result.voucher.number})
            return redirect("vouchers:detail", voucher_id=result.voucher.pk)
    context = {"campaign": campaign, "stage_number": stage_number, "form": form, "token": token,
               "claim_key": secrets.token_hex(16)}
    response = render(request, "vouchers/claim.html", context, status=422 if form.errors else 200)
    add_never_cache_headers(response)
    return response


@role_required(Role.PARENT)
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _public_campaign(campaign_id)
    form = ChildChoiceForm(request.POST if request.method == "POST" else None, children=_children(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            issuing.voucher_apply(actor=request.user, campaign_id=campaign.pk, child_iin=form.cleaned_data["child_iin"],
                                  idempotency_key=request.POST.get("apply_key") or secrets.token_hex(16))
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The application is registered. You will get an SMS when a voucher is issued."))
            return redirect("vouchers:mine")
    context = {"campaign": campaign, "form": form, "apply_key": secrets.token_hex(16)}
    return render(request, "vouchers/apply.html", context, status=422 if form.errors else 200)


@role_required(Role.PARENT)
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    applications = [
        {"application": a, "position": selectors.application_position(application=a)}
        for a in selectors.applications_for_user(user=request.user)
    ]
    vouchers = selectors.vouchers_for_holder(user=request.user)
    return render(request, "vouchers/mine.html", {"vouchers": vouchers, "applications": applications})


def _detail_context(request: HttpRequest, voucher: Voucher, **extra) -> dict:
    form = CatalogueFilterForm(request.GET or None, districts=[])
    filters = {k: v for k, v in form.filters().items() if k in ("kind", "age_years", "language")}
    choices = selectors.sections_for_voucher(voucher=voucher, **filters)[:50] if voucher.status in ("issued", "placed", "active") else []
    return {
        "voucher": voucher, "sections": choices, "filter_form": form, "masked_iin": mask_iin(voucher.child.iin),
        "events": voucher.events.order_by("occurred_at", "pk"), "agreements": voucher.agreements.order_by("-parent_accepted_at"),
        "place_form": PlaceForm(), **extra,
    }


def _own_voucher(request: HttpRequest, voucher_id: int) -> Voucher:
    try:
        return selectors.voucher_get_for_holder(user=request.user, voucher_id=voucher_id)
    except DomainError:
        raise Http404 from None


@role_required(Role.PARENT)
@require_GET
def detail(request: HttpRequest, voucher_id: int) -> HttpResponse:
    voucher = _own_voucher(request, voucher_id)
    return render(request, "vouchers/detail.html", _detail_context(request, voucher))


@role_required(Role.PARENT)
@require_POST
def place(request: HttpRequest, voucher_id: int) -> HttpResponse:
    voucher = _own_voucher(request, voucher_id)
    form = PlaceForm(request.POST)
    if form.is_valid():
        try:
            placement.voucher_place(actor=request.user, voucher_id=voucher.pk, section_id=form.cleaned_data["section"],
                                    accept_agreement=form.cleaned_data["accept_agreement"])
        except DomainError as exc:
            context = _detail_context(request, voucher, alert=error_text(exc))
            return render(request, "vouchers/detail.html", context, status=STATUS_BY_KIND.get(exc.kind, 400))
        messages.success(request, _("The section has your choice. The voucher becomes active when the provider accepts."))
        return redirect("vouchers:detail", voucher_id=voucher.pk)
    return render(request, "vouchers/detail.html", _detail_context(request, voucher, alert=_("Choose a section.")), status=422)


@role_required(Role.PARENT)
@require_POST
def release(request: HttpRequest, voucher_id: int) -> HttpResponse:
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        placement.voucher_release(actor=request.user, voucher_id=voucher_id, reason=form.cleaned_data.get("reason", ""))
    except DomainError as exc:
        return _problem(request, exc, back="/vouchers/mine/")
    messages.success(request, _("The voucher is given back to the campaign."))
    return redirect("vouchers:mine")


# --- the provider ------------------------------------------------------------------------------------


@role_required(Role.PROVIDER_STAFF)
@require_GET
def provider_placements(request: HttpRequest) -> HttpResponse:
    vouchers = selectors.placements_for_provider(user=request.user).filter(status__in=["placed", "active", "suspended"])
    return render(request, "vouchers/provider.html", {"vouchers": vouchers[:200], "form": ReasonForm()})


@role_required(Role.PROVIDER_STAFF)
@require_POST
def provider_decide(request: HttpRequest, voucher_id: int, decision: str) -> HttpResponse:
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        if decision == "accept":
            placement.voucher_accept(actor=request.user, voucher_id=voucher_id)
            messages.success(request, _("Accepted: the agreement is signed and the voucher is active."))
        else:
            placement.voucher_decline(actor=request.user, voucher_id=voucher_id, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, _("Declined: the family can choose another section."))
    except DomainError as exc:
        messages.error(request, error_text(exc))
    return redirect("vouchers:provider")


@role_required(Role.PROVIDER_STAFF)
@require_http_methods(["GET", "POST"])
def provider_sections(request: HttpRequest, section_id: int | None = None) -> HttpResponse:
    own = selectors.sections_for_provider(user=request.user)
    instance = own.filter(pk=section_id).first() if section_id else None
    if section_id and instance is None:
        raise Http404
    form = SectionForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in SectionForm.Meta.fields}
        try:
            if instance is None:
                organisation = request.user.organisation
                if organisation is None:
                    raise PermissionDenied
                sections.section_create(actor=request.user, organisation=organisation, **data)
                messages.success(request, _("The section is saved and waits for an officer's approval."))
            else:
                changed = {f: data[f] for f in form.changed_data if f in data}
                sections.section_update(actor=request.user, section=Group.objects.get(pk=instance.pk), **changed)
                messages.success(request, _("The section is saved."))
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            return redirect("vouchers:provider-sections")
    context = {"sections": own, "form": form, "editing": instance}
    return render(request, "vouchers/provider_sections.html", context, status=422 if form.errors else 200)


# --- officers ----------------------------------------------------------------------------------------


def _officer_districts(user) -> list[District]:
    scope = district_scope(user)
    qs = District.objects.select_related("region")
    if scope is None:
        return list(qs)
    region_ids = qs.filter(pk__in=scope).values_list("region_id", flat=True)
    return list(qs.filter(region_id__in=region_ids))


@role_required(Role.OFFICER)
@require_http_methods(["GET", "POST"])
def officer_campaigns(request: HttpRequest) -> HttpResponse:
    districts = _officer_districts(request.user)
    form = CampaignForm(request.POST or None, districts=districts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        district = next((d for d in districts if d.pk == data["district"]), None)
        region = district.region if district else (request.user.district.region if request.user.district else None)
        try:
            if region is None:
                raise PermissionDenied
            campaign = campaign_services.campaign_create(
                actor=request.user, title=data["title"], region=region, district=district,
                period_start=data["period_start"], period_end=data["period_end"], kind=data["kind"], policy=data["policy"],
                quota=data["quota"], monthly_value=data["monthly_value"], min_age=data["min_age"], max_age=data["max_age"],
                stages=form.stages(), use_priority_classes=data["use_priority_classes"],
                applications_close_at=data["applications_close_at"],
            )
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The campaign is saved as a draft. Check it, then announce it."))
            return redirect("vouchers:officer-campaign", campaign_id=campaign.pk)
    campaigns = selectors.campaigns_for_officer(user=request.user)[:100]
    return render(request, "vouchers/officer_campaigns.html", {"form": form, "campaigns": campaigns},
                  status=422 if form.errors else 200)


def _officer_campaign(request: HttpRequest, campaign_id: int) -> VoucherCampaign:
    campaign = selectors.campaigns_for_officer(user=request.user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404
    return campaign


@role_required(Role.OFFICER)
@require_http_methods(["GET", "POST"])
def officer_campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _officer_campaign(request, campaign_id)
    action = request.POST.get("action", "")
    change_form = ChangeForm(request.POST if action == "change" else None)
    cancel_form = CancelForm(request.POST if action == "cancel" else None)
    alert = ""
    if request.method == "POST":
        try:
            if action == "announce":
                campaign_services.campaign_announce(actor=request.user, campaign_id=campaign.pk)
                messages.success(request, _("The campaign is announced: its quota and stages are public and frozen."))
            elif action == "draw":
                issuing.campaign_draw(campaign_id=campaign.pk, actor=request.user)
                messages.success(request, _("The lottery is drawn and its seed published."))
            elif action == "change" and change_form.is_valid():
                campaign_services.campaign_change(actor=request.user, campaign_id=campaign.pk,
                                                  reason=change_form.cleaned_data["reason"], **change_form.changes())
                messages.success(request, _("The change and its reason are published on the campaign page."))
            elif action == "cancel" and cancel_form.is_valid():
                voucher = campaign.vouchers.filter(number=cancel_form.cleaned_data["number"].strip().upper()).first()
                if voucher is None:
                    raise Http404
                placement.voucher_cancel(actor=request.user, voucher_id=voucher.pk, reason=cancel_form.cleaned_data["reason"])
                messages.success(request, _("The voucher is cancelled; the decision and its reason are recorded."))
            else:
                alert = _("Check the form.")
        except DomainError as exc:
            alert = error_text(exc)
        if not alert:
            return redirect("vouchers:officer-campaign", campaign_id=campaign.pk)
        campaign.refresh_from_db()
    context = _campaign_context(campaign) | {
        "change_form": change_form, "cancel_form": cancel_form, "alert": alert,
        "changes": campaign.changes.order_by("created_at"),
    }
    return render(request, "vouchers/officer_campaign.html", context, status=422 if alert else 200)


@role_required(Role.OFFICER)
@require_http_methods(["GET", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    scope = district_scope(request.user)
    if request.method == "POST":
        try:
            if organisation_id := request.POST.get("organisation"):
                organisation = selectors.providers_waiting_approval(district_ids=scope).filter(pk=organisation_id).first()
                if organisation is None:
                    raise Http404
                organisation_approve(actor=request.user, organisation=organisation)
            else:
                section = selectors.sections_waiting_approval(district_ids=scope).filter(pk=request.POST.get("section") or 0).first()
                if section is None:
                    raise Http404
                sections.section_approve(actor=request.user, section=section)
            messages.success(request, _("Approved."))
        except DomainError as exc:
            messages.error(request, error_text(exc))
        return redirect("vouchers:approvals")
    context = {
        "providers": selectors.providers_waiting_approval(district_ids=scope),
        "sections": selectors.sections_waiting_approval(district_ids=scope),
    }
    return render(request, "vouchers/approvals.html", context)


urlpatterns = [
    path("clubs/", catalogue, name="catalogue"),
    path("clubs/provider/sections/", provider_sections, name="provider-sections"),
    path("clubs/provider/sections/<int:section_id>/", provider_sections, name="provider-section"),
    path("clubs/officer/approvals/", approvals, name="approvals"),
    path("vouchers/campaigns/", campaign_list, name="campaigns"),
    path("vouchers/campaigns/<int:campaign_id>/", campaign_detail, name="campaign"),
    path("vouchers/campaigns/<int:campaign_id>/remaining/", campaign_remaining, name="campaign-remaining"),
    path("vouchers/campaigns/<int:campaign_id>/stages/<int:stage_number>/claim/", claim, name="claim"),
    path("vouchers/campaigns/<int:campaign_id>/apply/", apply, name="apply"),
    path("vouchers/mine/", mine, name="mine"),
    path("vouchers/<int:voucher_id>/", detail, name="detail"),
    path("vouchers/<int:voucher_id>/place/", place, name="place"),
    path("vouchers/<int:voucher_id>/release/", release, name="release"),
    path("vouchers/provider/", provider_placements, name="provider"),
    path("vouchers/provider/<int:voucher_id>/<str:decision>/", provider_decide, name="provider-decide"),
    path("vouchers/officer/", officer_campaigns, name="officer-campaigns"),
    path("vouchers/officer/campaigns/<int:campaign_id>/", officer_campaign, name="officer-campaign"),
]
