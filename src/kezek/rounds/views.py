"""Pages of allocation rounds: the officers' rounds (create, places, announce, change, run) and the public pages.

Thin views: forms check the shape, the services decide and check who may act; a refused action shows its
message on the same page in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, require_role
from kezek.core.errors import error_text
from kezek.domain.errors import DomainError, Forbidden, NotFound
from kezek.geo.selectors import district_list
from kezek.rounds import selectors, services
from kezek.rounds.errors import RoundPlaceNotFound
from kezek.rounds.models import Round, RoundPlace, RoundRun
from kezek.rounds.services import Stage

STAGE_LABELS = {
    Stage.QUEUED: gettext_lazy("waiting for a worker"),
    Stage.READING: gettext_lazy("reading the applications"),
    Stage.SOLVING: gettext_lazy("allocating the places"),
    Stage.WRITING: gettext_lazy("publishing the result and creating the offers"),
    Stage.DONE: gettext_lazy("done"),
    Stage.FAILED: gettext_lazy("failed: nothing was changed"),
}
INPUT_FILE = "round-input.json"
RESULT_FILE = "round-result.json"


def _datetime_field(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


class RoundForm(forms.Form):
    district = forms.TypedChoiceField(label=gettext_lazy("District"), coerce=int, choices=())
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    policy = forms.ChoiceField(label=gettext_lazy("Policy"), choices=Round.Policy.choices)
    tie_break = forms.ChoiceField(label=gettext_lazy("Ties within a class go to"), choices=Round.TieBreak.choices)
    runs_at = _datetime_field(gettext_lazy("Runs at"))
    offers_close_at = _datetime_field(gettext_lazy("Offer phase ends at"))
    open_to_all_at = _datetime_field(gettext_lazy("Free places open to all at"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [(d.pk, f"{d.region.name}: {d.name}") for d in district_list(ids=district_scope(user))]
        self.fields["district"].initial = getattr(user, "district_id", None)


class PlaceForm(forms.Form):
    group = forms.TypedChoiceField(label=gettext_lazy("Group"), coerce=int, choices=())
    age_group = forms.IntegerField(
        label=gettext_lazy("Age group"), min_value=0, max_value=9999,
        help_text=gettext_lazy("The children's birth year (or age), as the region counts age groups."),
    )
    places = forms.IntegerField(label=gettext_lazy("Places"), min_value=0, max_value=services.MAX_PLACES,
                                help_text=gettext_lazy("0 removes the group from the round."))
    frees_on = forms.DateField(label=gettext_lazy("Place frees up on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, round: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [
            (g.pk, f"{g.organisation.name}: {g.name} ({g.get_language_display()})") for g in selectors.round_groups_for_places(round=round)
        ]


class ChangeForm(forms.Form):
    place = forms.TypedChoiceField(label=gettext_lazy("Group"), coerce=int, choices=())
    places = forms.IntegerField(label=gettext_lazy("Places"), min_value=0, max_value=services.MAX_PLACES)
    frees_on = forms.DateField(label=gettext_lazy("Place frees up on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(
        label=gettext_lazy("Reason (shown publicly)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, places: list[RoundPlace], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [
            (p.pk, f"{p.group.organisation.name}: {p.group.name}, {p.age_group} ({p.places})") for p in places
        ]


# --- officer pages ----------------------------------------------------------------------------------


def _refused(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "applications/officer/refused.html", {"alert": error_text(exc)}, status=403)


def _officer_round(request: HttpRequest, code: str) -> Round:
    try:
        return selectors.round_get_for_officer(user=request.user, code=code)
    except NotFound:
        raise Http404 from None


def _detail_context(request: HttpRequest, round: Round, **forms_: Any) -> dict[str, Any]:
    places = selectors.round_places(round=round)
    context: dict[str, Any] = {
        "round": round, "places": places, "run": getattr(round, "run", None), "alert": "",
        "public_url": reverse("rounds:public-detail", args=[round.code]),
        "lead_hours": settings.KEZEK_ROUND_LEAD_HOURS,
    }
    if round.status == Round.Status.DRAFT:
        context["edit_form"] = forms_.get("edit_form") or RoundForm(
            user=request.user, initial={**{f: getattr(round, f) for f in RoundForm.base_fields}, "district": round.district_id},
        )
        context["place_form"] = forms_.get("place_form") or PlaceForm(round=round)
    if round.status in services.CHANGEABLE and places:
        context["change_form"] = forms_.get("change_form") or ChangeForm(places=places)
    if context["run"] is not None:
        context.update(_progress_context(context["run"]))
    if round.status in (Round.Status.RAN, Round.Status.OPEN_TO_ALL, Round.Status.CLOSED):
        context["stats"] = selectors.round_run_stats(round=round)
    return context


def _progress_context(run: RoundRun) -> dict[str, Any]:
    return {
        "run": run,
        "stage_label": STAGE_LABELS.get(run.progress_stage, run.progress_stage),
        "percent": 100 if run.status == RoundRun.Status.DONE else (100 * run.progress_done // run.progress_total if run.progress_total else 0),
        "polling": run.status in (RoundRun.Status.QUEUED, RoundRun.Status.RUNNING),
    }


@login_required
def officer_rounds(request: HttpRequest) -> HttpResponse:
    try:
        require_role(request.user, Role.OFFICER)
        rounds = selectors.rounds_for_officer(user=request.user)
    except DomainError as exc:
        return _refused(request, exc)
    form = RoundForm(request.POST or None, user=request.user)
    alert = ""
    if request.method == "POST" and form.is_valid():
        try:
            round = services.round_create(officer=request.user, **form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                return _refused(request, exc)
            alert = error_text(exc)
        else:
            return redirect("rounds:officer-detail", code=round.code)
    status = 422 if request.method == "POST" else 200
    return render(request, "rounds/officer_list.html", {"rounds": rounds, "form": form, "alert": alert}, status=status)


@login_required
@require_GET
def officer_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        round = _officer_round(request, code)
    except DomainError as exc:
        return _refused(request, exc)
    return render(request, "rounds/officer_detail.html", _detail_context(request, round))


def _officer_action(
    request: HttpRequest, code: str, form_name: str | None, make_form: Callable[[Round], forms.Form] | None,
    act: Callable[[Round, dict[str, Any]], Any], done: str,
) -> HttpResponse:
    """Run one officer action on a round; a refused action re-renders the round's page with the message."""
    try:
        round = _officer_round(request, code)
    except DomainError as exc:
        return _refused(request, exc)
    form = make_form(round) if make_form else None
    alert = ""
    if form is None or form.is_valid():
        try:
            act(round, form.cleaned_data if form else {})
        except DomainError as exc:
            if isinstance(exc, Forbidden):
                return _refused(request, exc)
            alert = error_text(exc)
        else:
            messages.success(request, done)
            return redirect("rounds:officer-detail", code=round.code)
        round = _officer_round(request, code)
    context = _detail_context(request, round, **({form_name: form} if form_name else {}))
    context["alert"] = alert
    return render(request, "rounds/officer_detail.html", context, status=422)


@login_required
@require_POST
def officer_edit(request: HttpRequest, code: str) -> HttpResponse:
    def act(round: Round, data: dict[str, Any]) -> None:
        data = {k: v for k, v in data.items() if k != "district"}
        services.round_update(officer=request.user, round=round, **data)

    return _officer_action(
        request, code, "edit_form", lambda r: RoundForm(request.POST, user=request.user), act, _("The round is saved.")
    )


@login_required
@require_POST
def officer_place(request: HttpRequest, code: str) -> HttpResponse:
    return _officer_action(
        request, code, "place_form", lambda r: PlaceForm(request.POST, round=r),
        lambda r, d: services.round_place_set(officer=request.user, round=r, **d), _("The places are saved."),
    )


@login_required
@require_POST
def officer_announce(request: HttpRequest, code: str) -> HttpResponse:
    return _officer_action(
        request, code, None, None, lambda r, d: services.round_announce(officer=request.user, round=r),
        _("The round is announced: its places and the seed commitment are public."),
    )


@login_required
@require_POST
def officer_change(request: HttpRequest, code: str) -> HttpResponse:
    def act(round: Round, data: dict[str, Any]) -> None:
        place = RoundPlace.objects.filter(pk=data.pop("place"), round=round).first()
        if place is None:
            raise RoundPlaceNotFound()
        services.round_place_change(officer=request.user, place=place, **data)

    return _officer_action(
        request, code, "change_form", lambda r: ChangeForm(request.POST, places=selectors.round_places(round=r)), act,
        _("The change is saved and shown publicly."),
    )


@login_required
@require_POST
def officer_run(request: HttpRequest, code: str) -> HttpResponse:
    return _officer_action(
        request, code, None, None, lambda r, d: services.round_run_request(officer=request.user, round=r),
        _("The run is queued; its progress shows below."),
    )


@login_required
@require_GET
def officer_progress(request: HttpRequest, code: str) -> HttpResponse:
    try:
        round = _officer_round(request, code)
    except DomainError as exc:
        return _refused(request, exc)
    run = getattr(round, "run", None)
    if run is None:
        raise Http404
    return render(request, "rounds/_run_progress.html", {"round": round, **_progress_context(run)})


# --- public pages -------------------------------------------------------------------------------------


def _public_round(code: str) -> Round:
    try:
        return selectors.round_public_get(code=code)
    except NotFound:
        raise Http404 from None


def published_run(round: Round) -> RoundRun | None:
    """The round's run once its input and result are public (after a successful run)."""
    run = getattr(round, "run", None)
    return run if round.seed_revealed and run is not None and run.status == RoundRun.Status.DONE else None


@require_GET
def public_rounds(request: HttpRequest) -> HttpResponse:
    return render(request, "rounds/public_list.html", {"rounds": selectors.rounds_public_list()})


@require_GET
def public_detail(request: HttpRequest, code: str) -> HttpResponse:
    round = _public_round(code)
    run = published_run(round)
    context = {
        "round": round,
        "kindergartens": selectors.round_places_by_kindergarten(round=round),
        "changes": selectors.round_changes(round=round),
        "run": run,
        "input_url": request.build_absolute_uri(reverse("rounds:public-input", args=[round.code])),
        "result_url": request.build_absolute_uri(reverse("rounds:public-result", args=[round.code])),
        "input_file": INPUT_FILE, "result_file": RESULT_FILE,
    }
    return render(request, "rounds/public_detail.html", context)


def published_file_response(code: str, attribute: str, filename: str) -> HttpResponse:
    """A published input or result as a download of its exact stored bytes (404 until the round has run)."""
    run = published_run(_public_round(code))
    if run is None:
        raise Http404
    # The exact stored bytes: a re-run must compare byte for byte.
    response = HttpResponse(getattr(run, attribute).encode("utf-8"), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def public_input(request: HttpRequest, code: str) -> HttpResponse:
    return published_file_response(code, "input_json", INPUT_FILE)


@require_GET
def public_result(request: HttpRequest, code: str) -> HttpResponse:
    return published_file_response(code, "result_json", RESULT_FILE)


urlpatterns = [
    path("officer/", officer_rounds, name="officer-list"),
    path("officer/<str:code>/", officer_detail, name="officer-detail"),
    path("officer/<str:code>/edit", officer_edit, name="officer-edit"),
    path("officer/<str:code>/places", officer_place, name="officer-place"),
    path("officer/<str:code>/announce", officer_announce, name="officer-announce"),
    path("officer/<str:code>/change", officer_change, name="officer-change"),
    path("officer/<str:code>/run", officer_run, name="officer-run"),
    path("officer/<str:code>/progress", officer_progress, name="officer-progress"),
    path("", public_rounds, name="public-list"),
    path("<str:code>/", public_detail, name="public-detail"),
    path(f"<str:code>/{INPUT_FILE}", public_input, name="public-input"),
    path(f"<str:code>/{RESULT_FILE}", public_result, name="public-result"),
]
