"""The parent's kindergarten pages: the application wizard and the personal cabinet.

Thin views: forms check the shape, each wizard step asks the domain rules and the registry so a mistake
shows where it was made, and every write goes through the services (which check everything again).
The wizard's answers live in the server-side session, never in process memory.
"""

from __future__ import annotations

import datetime as dt
import secrets
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kezek.accounts.models import Role
from kezek.applications import errors
from kezek.applications.forms import (
    BenefitsForm,
    ChildForm,
    ConfirmForm,
    ContactsForm,
    DetailsForm,
    PreferencesForm,
    WithdrawForm,
)
from kezek.applications.models import Application, BenefitClaim
from kezek.applications.selectors import applications as app_selectors
from kezek.applications.selectors import position as position_selectors
from kezek.applications.selectors.rules import queue_rules_for, queue_rules_for_district
from kezek.applications.services import submission
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError
from kezek.domain.iin import parse_iin
from kezek.domain.queue import BENEFIT_CLASS, OPEN_STATUSES, PriorityClass, check_age
from kezek.geo import selectors as geo_selectors
from kezek.geo.models import District, Region
from kezek.people.models import BenefitKind
from kezek.people.registry import get_registry
from kezek.domain.iin import mask_iin

WIZARD_KEY = "kezek_apply"
SUBMITTED_KEY = "kezek_apply_submitted"  # summary token -> application id, so a re-POST finds its application
DEFAULT_REGION_CODE = "astana"
LAST_STEP = 6
# The answer each step leaves in the wizard state; a later step opens only when every earlier one is done.
STEP_KEYS = {1: "child_iin", 2: "district_id", 3: "preferences", 4: "phones", 5: "claimed_benefits"}


def _step_titles() -> dict[int, str]:
    return {
        1: _("Child"),
        2: _("Where and when"),
        3: _("Kindergartens"),
        4: _("Contacts"),
        5: _("Benefit rights"),
        6: _("Check and confirm"),
    }


def parent_required(view):
    """Signed-in parents only: others are sent to the SMS sign-in, staff get 403."""

    @login_required(login_url="web:parent-signin")
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.user.role != Role.PARENT:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- wizard state --------------------------------------------------------------------------------


def _state(request: HttpRequest) -> dict:
    return dict(request.session.get(WIZARD_KEY) or {})


def _save(request: HttpRequest, state: dict, *, keep_token: bool = False) -> None:
    # Any change of answers makes the summary's token stale: a new summary must be confirmed.
    if not keep_token:
        state.pop("token", None)
    request.session[WIZARD_KEY] = state


def _first_open_step(state: dict) -> int:
    for step, key in STEP_KEYS.items():
        if key not in state:
            return step
    return LAST_STEP


def _go_step(step: int) -> HttpResponse:
    return redirect("applications:apply-step", step=step)


def _parent_person(user):
    person = getattr(user, "person", None)
    if person is None:
        raise errors.NotARegistryParent()
    return person


def _region_for(person) -> Region | None:
    if person.district_id:
        return person.district.region
    return geo_selectors.region_get_or_default(code=DEFAULT_REGION_CODE)


def _check_child(*, user, iin: str):
    """The registry child the parent may apply for (IIN valid, known, parent is the legal representative)."""
    person = _parent_person(user)
    parse_iin(iin)
    registry = get_registry()
    child = registry.person_by_iin(iin)
    if child is None:
        raise errors.ChildNotInRegistry()
    if not registry.is_legal_representative(adult_iin=person.iin, child_iin=iin):
        raise errors.NotLegalRepresentative()
    return child


@parent_required
def apply(request: HttpRequest) -> HttpResponse:
    if "restart" in request.GET:
        request.session.pop(WIZARD_KEY, None)
        return _go_step(1)
    return _go_step(_first_open_step(_state(request)))


@parent_required
@require_http_methods(["GET", "POST"])
def apply_step(request: HttpRequest, step: int) -> HttpResponse:
    state = _state(request)
    if step == LAST_STEP and request.method == "POST":
        return _step_confirm(request, state)
    open_step = _first_open_step(state)
    if step < 1 or step > LAST_STEP:
        raise Http404
    if step > open_step:
        return _go_step(open_step)
    return STEP_VIEWS[step](request, state)


def _step_context(step: int, context: dict) -> dict:
    titles = _step_titles()
    return {
        **context,
        "step": step,
        "step_title": titles[step],
        "steps": [{"number": n, "title": t, "done": n < step} for n, t in titles.items()],
        "last_step": LAST_STEP,
        "back_step": step - 1 if step > 1 else None,
        "step_template": f"applications/parent/_step{step}.html",
    }


def _render_step(request: HttpRequest, step: int, context: dict, *, status: int = 200) -> HttpResponse:
    return render(request, "applications/parent/apply.html", _step_context(step, context), status=status)


def _step_child(request: HttpRequest, state: dict) -> HttpResponse:
    try:
        children = app_selectors.children_for_application(user=request.user)
    except DomainError as exc:
        return _render_step(request, 1, {"form": ChildForm(), "alert": error_text(exc), "blocked": True})
    initial = {}
    if iin := state.get("child_iin"):
        known = any(c["iin"] == iin for c in children)
        initial = {"child": iin} if known else {"child": "other", "iin": iin}
    form = ChildForm(request.POST if request.method == "POST" else None, children=children, initial=initial)
    if request.method == "POST" and form.is_valid():
        iin = form.cleaned_data["child_iin"]
        try:
            child = _check_child(user=request.user, iin=iin)
        except DomainError as exc:
            # The error goes next to what was used: the typed IIN wins over the picked child.
            form.add_error("iin" if form.cleaned_data.get("iin", "").strip() else "child", error_text(exc))
        else:
            open_id = next((c.get("open_application_id") for c in children if c["iin"] == iin), None)
            if open_id:
                form.add_error(None, error_text(errors.ApplicationExists(queue_number=open_id)))
                return _render_step(request, 1, {"form": form, "children": children, "open_application_id": open_id})
            if state.get("child_iin") != iin:
                # Rights and the age check belong to the child: a new child means asking again.
                state.pop("claimed_benefits", None)
            state.update(child_iin=iin, child_name=child.full_name, child_birth_date=child.birth_date.isoformat())
            _save(request, state)
            return _go_step(2)
    return _render_step(request, 1, {"form": form, "children": children})


def _districts_for(request: HttpRequest) -> list[District]:
    region = _region_for(_parent_person(request.user))
    return geo_selectors.district_list(region_id=region.pk) if region else []


def _check_start(*, state: dict, district: District, start: dt.date) -> None:
    """The service's date rules asked early: not in the past, and the child within the region's ages then."""
    if start < timezone.localdate():
        raise errors.StartDateInPast()
    rules = queue_rules_for(region_id=district.region_id)
    check_age(birth_date=dt.date.fromisoformat(state["child_birth_date"]), start_date=start, rules=rules)


def _details_initial(request: HttpRequest, state: dict, districts: list[District]) -> dict:
    person = _parent_person(request.user)
    own = person.district_id if person.district_id in {d.pk for d in districts} else None
    district_id = state.get("district_id") or own or (districts[0].pk if districts else "")
    start = state.get("desired_start_date")
    return {
        "district": str(district_id),
        "desired_start_date": dt.date.fromisoformat(start) if start else _next_september(),
        "language": state.get("language", "kk"),
    }


def _step_details(request: HttpRequest, state: dict) -> HttpResponse:
    districts = _districts_for(request)
    data = request.POST if request.method == "POST" else None
    form = DetailsForm(data, districts=districts, initial=_details_initial(request, state, districts))
    if data is not None and form.is_valid():
        district = next(d for d in districts if d.pk == form.cleaned_data["district"])
        start, language = form.cleaned_data["desired_start_date"], form.cleaned_data["language"]
        try:
            _check_start(state=state, district=district, start=start)
        except DomainError as exc:
            form.add_error("desired_start_date", error_text(exc))
        else:
            if state.get("district_id") != district.pk or state.get("language") != language:
                state.pop("preferences", None)  # the choices were of another district or language
            state.update(district_id=district.pk, desired_start_date=start.isoformat(), language=language)
            _save(request, state)
            return _go_step(3)
    return _render_step(request, 2, {"form": form, "child_name": state.get("child_name")})


def _next_september() -> dt.date:
    today = timezone.localdate()
    september = dt.date(today.year, 9, 1)
    return september if september > today else dt.date(today.year + 1, 9, 1)


def _kindergartens(*, district_id: int, language: str | None, query: str = "", free: bool = False) -> list:
    return app_selectors.kindergartens_search(district_id=district_id, language=language, with_free_places=free, query=query)


def _preferences_form(request: HttpRequest, *, district_id: int, language: str, chosen: list[int], data=None) -> PreferencesForm:
    options = _kindergartens(district_id=district_id, language=language)
    known = {k.pk for k in options}
    # A kindergarten chosen earlier stays selectable even if it no longer matches the filter.
    options += [k for k in _kindergartens(district_id=district_id, language=None) if k.pk in set(chosen) - known]
    return PreferencesForm(data, kindergartens=options, initial_ids=chosen, slots=_max_preferences(district_id))


def _max_preferences(district_id: int) -> int:
    return queue_rules_for_district(district_id=district_id).max_preferences


def _search_context(request: HttpRequest, *, district_id: int, language: str) -> dict:
    query = (request.GET.get("q") or request.POST.get("q") or "").strip()[:100]
    free = (request.GET.get("free") or request.POST.get("free")) == "1"
    results = _kindergartens(district_id=district_id, language=language, query=query, free=free)
    return {"q": query, "free": free, "results": results}


def _step_kindergartens(request: HttpRequest, state: dict) -> HttpResponse:
    district_id, language = state["district_id"], state["language"]
    chosen = list(state.get("preferences") or [])
    data = request.POST if request.method == "POST" else None
    if data is not None and (data.get("add") or data.get("search")):
        # "Search" without JS, or "Add" from the results: put it in the first free place, show the list again.
        chosen = [int(v) for rank in range(1, 11) if (v := data.get(f"choice_{rank}", "")).isdigit()]
        added = int(data["add"]) if data.get("add", "").isdigit() else None
        slots = _max_preferences(district_id)
        if added and added not in chosen and len(chosen) < slots:
            chosen.append(added)
        form = _preferences_form(request, district_id=district_id, language=language, chosen=chosen)
        context = {"form": form, **_search_context(request, district_id=district_id, language=language)}
        if added and added not in chosen:
            context["alert"] = _("Your list already has %(max)s kindergartens: remove one to add another.") % {"max": slots}
        return _kindergartens_step(request, context)
    form = _preferences_form(request, district_id=district_id, language=language, chosen=chosen, data=data)
    if data is not None and form.is_valid():
        state["preferences"] = form.cleaned_data["preferences"]
        _save(request, state)
        return _go_next(request, 4)
    return _kindergartens_step(request, {"form": form, **_search_context(request, district_id=district_id, language=language)})


def _kindergartens_step(request: HttpRequest, context: dict) -> HttpResponse:
    if _is_htmx(request):
        response = render(request, "applications/parent/_kindergartens.html", _step_context(3, context))
        patch_vary_headers(response, ["HX-Request"])
        return response
    return _render_step(request, 3, context)


def _go_next(request: HttpRequest, step: int) -> HttpResponse:
    url = reverse("applications:apply-step", kwargs={"step": step})
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


@parent_required
def kindergarten_search(request: HttpRequest) -> HttpResponse:
    """The htmx search box: kindergartens of the wizard's district by name, language and free places."""
    state = _state(request)
    if "district_id" not in state:
        return HttpResponse(status=204)
    context = _search_context(request, district_id=state["district_id"], language=state["language"])
    return render(request, "applications/parent/_kindergarten_results.html", context)


def _step_contacts(request: HttpRequest, state: dict) -> HttpResponse:
    person = _parent_person(request.user)
    initial = ContactsForm.initial_from(
        phones=state.get("phones") or [p for p in [person.phone] if p],
        email=state.get("email", ""),
        notify_channel=state.get("notify_channel", "sms"),
        notify_language=state.get("notify_language", (request.LANGUAGE_CODE or "ru")[:2]),
    )
    form = ContactsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        min_phones = queue_rules_for_district(district_id=state["district_id"]).min_phones
        if len(data["phones"]) < min_phones:
            form.add_error(None, error_text(errors.NotEnoughPhones(min=min_phones)))
        else:
            state.update(
                phones=data["phones"], email=data["email"], notify_channel=data["notify_channel"], notify_language=data["notify_language"]
            )
            _save(request, state)
            return _go_step(5)
    return _render_step(request, 4, {"form": form})


def _registry_rights(request: HttpRequest, state: dict) -> list[str]:
    # As the service counts them: rights the state databases confirm for the child or for the applicant.
    registry = get_registry()
    kinds = registry.benefits_of(state["child_iin"]) | registry.benefits_of(_parent_person(request.user).iin)
    return [k for k in BenefitKind.values if k in kinds and k in BENEFIT_CLASS]


def _benefit_label(kind: str) -> str:
    return str(BenefitKind(kind).label)


def _class_label(kind: str) -> str:
    return str(Application.Priority(BENEFIT_CLASS.get(kind, PriorityClass.GENERAL)).label)


def _step_benefits(request: HttpRequest, state: dict) -> HttpResponse:
    confirmed = _registry_rights(request, state)
    claimable = [(k, f"{_benefit_label(k)} ({_class_label(k)})") for k in BenefitKind.values if k not in confirmed]
    initial = {"claimed": state.get("claimed_benefits") or []}
    form = BenefitsForm(request.POST if request.method == "POST" else None, claimable=claimable, initial=initial)
    if request.method == "POST" and form.is_valid():
        state["claimed_benefits"] = list(form.cleaned_data["claimed"])
        _save(request, state)
        return _go_step(6)
    confirmed_rows = [{"label": _benefit_label(k), "class": _class_label(k)} for k in confirmed]
    return _render_step(request, 5, {"form": form, "confirmed": confirmed_rows})


def _summary_context(request: HttpRequest, state: dict) -> dict:
    district = geo_selectors.district_get(district_id=state["district_id"])
    by_id = {k.pk: k for k in _kindergartens(district_id=district.pk, language=None)}
    return {
        "child_name": state.get("child_name"),
        "child_iin_masked": mask_iin(state["child_iin"]),
        "district": district,
        "desired_start_date": dt.date.fromisoformat(state["desired_start_date"]),
        "language_label": dict(Application._meta.get_field("language").choices)[state["language"]],
        "kindergartens": [by_id.get(pk) for pk in state["preferences"]],
        "phones": state["phones"],
        "email": state.get("email", ""),
        "channel_label": Application.Channel(state["notify_channel"]).label,
        "notify_language_label": dict(Application._meta.get_field("notify_language").choices)[state["notify_language"]],
        "confirmed": [_benefit_label(k) for k in _registry_rights(request, state)],
        "claimed": [_benefit_label(k) for k in state.get("claimed_benefits") or []],
    }


def _render_summary(request: HttpRequest, state: dict, *, alert: str = "", status: int = 200) -> HttpResponse:
    if not state.get("token"):
        # The idempotency key is made when the summary is shown: a double click or a re-POST sends the same one.
        state["token"] = secrets.token_urlsafe(24)
        _save(request, state, keep_token=True)
    form = ConfirmForm(initial={"token": state["token"]})
    return _render_step(request, 6, {"form": form, "alert": alert, **_summary_context(request, state)}, status=status)


def _step_summary(request: HttpRequest, state: dict) -> HttpResponse:
    return _render_summary(request, state)


def _step_confirm(request: HttpRequest, state: dict) -> HttpResponse:
    form = ConfirmForm(request.POST)
    token = form.data.get("token", "") if form.is_valid() else ""
    submitted = request.session.get(SUBMITTED_KEY) or {}
    if token and token in submitted:
        return redirect("applications:apply-done", application_id=submitted[token])
    if _first_open_step(state) < LAST_STEP:
        return _go_step(_first_open_step(state))
    if not token or token != state.get("token"):
        return _render_summary(request, state, alert=_("The summary has changed since it was shown. Check it and confirm again."))
    try:
        application = submission.application_submit(
            actor=request.user,
            child_iin=state["child_iin"],
            district_id=state["district_id"],
            desired_start_date=dt.date.fromisoformat(state["desired_start_date"]),
            language=state["language"],
            preferences=state["preferences"],
            phones=state["phones"],
            email=state.get("email", ""),
            notify_channel=state["notify_channel"],
            notify_language=state["notify_language"],
            claimed_benefits=state.get("claimed_benefits") or [],
            submission_key=token,
            request_id=getattr(request, "request_id", "") or "",
        )
    except DomainError as exc:
        return _render_summary(request, state, alert=error_text(exc), status=422)
    submitted[token] = application.pk
    request.session[SUBMITTED_KEY] = submitted
    request.session.pop(WIZARD_KEY, None)
    return redirect("applications:apply-done", application_id=application.pk)


STEP_VIEWS = {1: _step_child, 2: _step_details, 3: _step_kindergartens, 4: _step_contacts, 5: _step_benefits, 6: _step_summary}


# --- after submitting, and the cabinet -----------------------------------------------------------


def _own_application(request: HttpRequest, application_id: int) -> Application:
    try:
        return app_selectors.application_get_for_user(user=request.user, application_id=application_id)
    except DomainError:
        # Another parent's application looks exactly like a missing one.
        raise Http404 from None


def _claim_upload_url(claim: BenefitClaim) -> str | None:
    try:
        return reverse("applications:claim-upload", kwargs={"claim_id": claim.pk})
    except NoReverseMatch:
        return None


def _claims(application: Application) -> list[dict]:
    rows = []
    for claim in application.claims.order_by("submitted_at", "pk"):
        needs_document = claim.source == BenefitClaim.Source.DOCUMENT and claim.status == BenefitClaim.Status.PENDING
        rows.append(
            {
                "claim": claim,
                "label": _benefit_label(claim.kind),
                "class_label": _class_label(claim.kind),
                "needs_document": needs_document and not claim.document,
                "upload_url": _claim_upload_url(claim) if needs_document else None,
            }
        )
    return rows


def _position_context(application: Application) -> dict:
    """The position and the numbers that explain it, ready for the template."""
    if application.status != Application.Status.ACTIVE:
        return {"position": None}
    position = position_selectors.application_position(application=application)
    ahead = [
        {"label": Application.Priority(c).label, "count": position.ahead_by_class.get(int(c), 0)}
        for c in PriorityClass
    ]
    rotation = position.rotation
    return {
        "position": position,
        "ahead_rows": ahead,
        "rotation": rotation,
        "rotation_total": rotation.first + rotation.general if rotation else 0,
        "region_name": application.district.region.name,
        "class_label": Application.Priority(application.priority_class).label,
    }


@parent_required
def apply_done(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    context = {"application": application, "claims": _claims(application), **_position_context(application)}
    return render(request, "applications/parent/done.html", context)


@parent_required
def mine(request: HttpRequest) -> HttpResponse:
    applications = app_selectors.applications_for_user(user=request.user)
    return render(request, "applications/parent/mine.html", {"applications": applications})


@parent_required
def detail(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    context = {
        "application": application,
        **_position_context(application),
        "history": position_selectors.application_history(application=application),
        "claims": _claims(application),
        "preferences": list(application.preferences.select_related("organisation")),
        "is_open": application.status in OPEN_STATUSES,
    }
    return render(request, "applications/parent/detail.html", context)


@parent_required
@require_http_methods(["GET", "POST"])
def edit_contacts(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    initial = ContactsForm.initial_from(
        phones=application.phones, email=application.email,
        notify_channel=application.notify_channel, notify_language=application.notify_language,
    )
    form = ContactsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            submission.application_update_contacts(
                actor=request.user, application_id=application.pk, phones=data["phones"], email=data["email"],
                notify_channel=data["notify_channel"], notify_language=data["notify_language"],
            )
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Your contact details are saved. Your place in the queue has not changed."))
            return redirect("applications:detail", application_id=application.pk)
    return render(request, "applications/parent/edit_contacts.html", {"application": application, "form": form})


@parent_required
@require_http_methods(["GET", "POST"])
def edit_preferences(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    chosen = list(application.preferences.order_by("rank").values_list("organisation_id", flat=True))
    data = request.POST if request.method == "POST" else None
    form = _preferences_form(request, district_id=application.district_id, language=application.language, chosen=chosen, data=data)
    if data is not None and form.is_valid():
        try:
            submission.application_update_preferences(
                actor=request.user, application_id=application.pk, preferences=form.cleaned_data["preferences"]
            )
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Your kindergartens are saved. Your registration time has not changed."))
            return redirect("applications:detail", application_id=application.pk)
    return render(request, "applications/parent/edit_preferences.html", {"application": application, "form": form})


@parent_required
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _own_application(request, application_id)
    if request.method == "GET" and application.status not in OPEN_STATUSES:
        return redirect("applications:detail", application_id=application.pk)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            submission.application_withdraw(actor=request.user, application_id=application.pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The application is withdrawn. The child is no longer in the queue."))
            return redirect("applications:detail", application_id=application.pk)
    return render(request, "applications/parent/withdraw.html", {"application": application, "form": form})


urlpatterns = [
    path("apply/", apply, name="apply"),
    path("apply/step/<int:step>/", apply_step, name="apply-step"),
    path("apply/kindergartens/", kindergarten_search, name="apply-search"),
    path("apply/done/<int:application_id>/", apply_done, name="apply-done"),
    path("", mine, name="mine"),
    path("<int:application_id>/", detail, name="detail"),
    path("<int:application_id>/contacts/", edit_contacts, name="edit-contacts"),
    path("<int:application_id>/kindergartens/", edit_preferences, name="edit-preferences"),
    path("<int:application_id>/withdraw/", withdraw, name="withdraw"),
]
