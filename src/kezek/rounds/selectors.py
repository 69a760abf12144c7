"""Reading rounds: public lists and pages, the officer's views, and the rows a run turns into its input."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from kezek.accounts.permissions import district_scope, require_district, require_role
from kezek.accounts.models import Role
from kezek.applications.models import Application, ApplicationPreference
from kezek.domain.rounds import ApplicantRow, PlaceRow
from kezek.organisations.models import Group, Organisation
from kezek.people.models import LegalRepresentation
from kezek.placements.models import Enrolment
from kezek.rounds.errors import RoundNotFound
from kezek.rounds.models import Round, RoundChange, RoundPlace

# Statuses in which a round is public: announced and everything after.
PUBLIC_STATUSES = (
    Round.Status.ANNOUNCED, Round.Status.RUNNING, Round.Status.RAN, Round.Status.OPEN_TO_ALL, Round.Status.CLOSED,
)
READ_CHUNK = 5000


def _rounds() -> QuerySet[Round]:
    return Round.objects.select_related("district", "district__region")


def rounds_public_list() -> list[Round]:
    """Announced rounds, newest run time first (drafts are never public)."""
    return list(_rounds().filter(status__in=PUBLIC_STATUSES))


def round_public_get(*, code: str) -> Round:
    """One announced round by its public code; a draft or an unknown code is not found."""
    found = _rounds().select_related("run").filter(code=code, status__in=PUBLIC_STATUSES).first()
    if found is None:
        raise RoundNotFound()
    return found


def rounds_for_officer(*, user: Any) -> list[Round]:
    """The rounds of the districts the officer works in (an administrator: every district)."""
    require_role(user, Role.OFFICER)
    scope = district_scope(user)
    rounds = _rounds().select_related("run")
    return list(rounds if scope is None else rounds.filter(district_id__in=scope))


def round_get_for_officer(*, user: Any, code: str) -> Round:
    """One round of the officer's district, with its run if any."""
    found = _rounds().select_related("run").filter(code=code).first()
    if found is None:
        raise RoundNotFound()
    require_district(user, found.district_id)
    return found


def round_places(*, round: Round) -> list[RoundPlace]:
    """The round's places with their kindergarten and group, kindergarten by kindergarten."""
    return list(
        RoundPlace.objects.filter(round=round)
        .select_related("group", "group__organisation")
        .order_by("group__organisation__name", "group__organisation_id", "age_group", "id")
    )


def round_places_by_kindergarten(*, round: Round) -> list[tuple[Organisation, list[RoundPlace]]]:
    """The round's places grouped under their kindergarten, for the public page."""
    grouped: dict[int, tuple[Organisation, list[RoundPlace]]] = {}
    for place in round_places(round=round):
        grouped.setdefault(place.group.organisation_id, (place.group.organisation, []))[1].append(place)
    return list(grouped.values())


def round_changes(*, round: Round) -> list[RoundChange]:
    """Every change made after announcement, oldest first, with its reason."""
    return list(RoundChange.objects.filter(round=round).select_related("place", "place__group", "place__group__organisation"))


def round_groups_for_places(*, round: Round) -> list[Group]:
    """Active groups of the district's approved kindergartens: the groups a draft round may offer places in."""
    return list(
        Group.objects.filter(
            organisation__district_id=round.district_id,
            organisation__kind=Organisation.Kind.KINDERGARTEN,
            organisation__status=Organisation.Status.APPROVED,
            is_active=True,
        ).select_related("organisation").order_by("organisation__name", "name", "id")
    )


def round_run_stats(*, round: Round) -> dict[str, int]:
    """The figures the results summary shows: places, applicants in the input, places offered."""
    places = RoundPlace.objects.filter(round=round)
    return {
        "places": sum(p.places for p in places),
        "offered": round.offers.count(),
    }


# --- the rows a run turns into its input ------------------------------------------------------------------


@dataclass
class AllocationRows:
    places: list[PlaceRow]
    applicants: list[ApplicantRow]


def _place_rows(round: Round) -> list[PlaceRow]:
    return [
        PlaceRow(place_id=pk, organisation_id=org, age_group=age, language=lang, places=n)
        for pk, org, age, lang, n in RoundPlace.objects.filter(round=round)
        .order_by("id")
        .values_list("id", "group__organisation_id", "age_group", "group__language", "places")
    ]


def _sibling_kindergartens(applications: QuerySet[Application]) -> dict[int, set[int]]:
    """Child id -> kindergartens where a brother or sister (same legal representative) is actively enrolled."""
    children = applications.values("child_id")
    representatives: dict[int, set[int]] = defaultdict(set)
    for child_id, representative_id in LegalRepresentation.objects.filter(child_id__in=children).values_list(
        "child_id", "representative_id"
    ):
        representatives[child_id].add(representative_id)
    enrolled_by_representative: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for enrolled_child, representative_id, organisation_id in Enrolment.objects.filter(
        status=Enrolment.Status.ACTIVE,
        child__representative_links__representative_id__in=LegalRepresentation.objects.filter(child_id__in=children).values(
            "representative_id"
        ),
    ).values_list("child_id", "child__representative_links__representative_id", "group__organisation_id"):
        enrolled_by_representative[representative_id].append((enrolled_child, organisation_id))
    return {
        child_id: {org for rep in reps for enrolled, org in enrolled_by_representative.get(rep, ()) if enrolled != child_id}
        for child_id, reps in representatives.items()
    }


def _staff_kindergartens(applications: QuerySet[Application]) -> dict[int, set[int]]:
    """Child id -> kindergartens where one of the child's legal representatives works (a provider staff account)."""
    staff: dict[int, set[int]] = defaultdict(set)
    for child_id, organisation_id in LegalRepresentation.objects.filter(
        child_id__in=applications.values("child_id"),
        representative__account__role=Role.PROVIDER_STAFF,
        representative__account__is_active=True,
        representative__account__organisation__kind=Organisation.Kind.KINDERGARTEN,
    ).values_list("child_id", "representative__account__organisation_id"):
        staff[child_id].add(organisation_id)
    return staff


def round_allocation_rows(*, round: Round, progress: Callable[[int, int], None] | None = None) -> AllocationRows:
    """The places and the applications in the queue that a run of ``round`` allocates over.

    Applications of the round's district that are in the queue (active) in an age group the round has places for;
    ``kezek.domain.rounds.allocation_input`` keeps those whose chosen kindergartens have a matching place.
    """
    places = _place_rows(round)
    applications = Application.objects.filter(
        district_id=round.district_id, status=Application.Status.ACTIVE, age_group__in={p.age_group for p in places}
    )
    total = applications.count()
    if progress:
        progress(0, total)
    kindergartens: dict[int, list[int]] = defaultdict(list)
    for application_id, organisation_id in (
        ApplicationPreference.objects.filter(application__in=applications.values("pk"))
        .order_by("application_id", "rank")
        .values_list("application_id", "organisation_id")
    ):
        kindergartens[application_id].append(organisation_id)
    siblings: dict[int, set[int]] = defaultdict(set)
    if round.policy == Round.Policy.MATCH:
        for linked in (_sibling_kindergartens(applications), _staff_kindergartens(applications)):
            for child_id, organisations in linked.items():
                siblings[child_id] |= organisations
    rows: list[ApplicantRow] = []
    fields = ("pk", "public_id", "priority_class", "registered_at", "age_group", "language", "child_id")
    for pk, public_id, priority, registered_at, age_group, language, child_id in applications.order_by("pk").values_list(
        *fields
    ).iterator(chunk_size=READ_CHUNK):
        rows.append(
            ApplicantRow(
                public_id=public_id, priority=priority, registered_at=registered_at, age_group=age_group, language=language,
                kindergartens=tuple(kindergartens.get(pk, ())), sibling_kindergartens=frozenset(siblings.get(child_id, ())),
            )
        )
        if progress and len(rows) % READ_CHUNK == 0:
            progress(len(rows), total)
    if progress:
        progress(len(rows), total)
    return AllocationRows(places=places, applicants=rows)

