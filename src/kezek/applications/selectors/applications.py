"""Reading applications for the parent's cabinet and the officer, and finding kindergartens to choose."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from kezek.accounts.models import Role
from kezek.accounts.permissions import district_scope, is_admin
from kezek.applications.errors import ApplicationNotFound
from kezek.applications.models import Application
from kezek.domain.queue import OPEN_STATUSES
from kezek.organisations.models import Group, Organisation
from kezek.people.selectors import children_for_user


def _readable_by(user: Any) -> Q | None:
    """Which applications the user may read: None when none at all."""
    if not getattr(user, "is_authenticated", False):
        return None
    own = Q(applicant_id=user.pk)
    if is_admin(user):
        return Q()
    if user.role == Role.OFFICER:
        scope = district_scope(user) or set()
        return own | Q(district_id__in=scope)
    return own


def _with_details(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("child", "district", "district__region").prefetch_related(
        "preferences__organisation", "claims"
    )


def application_get_for_user(*, user: Any, application_id: int) -> Application:
    """One application the user may read (rule: a parent sees only their own; an officer their district's).

    Anything else is 'not found', so nobody learns that another family's application exists.
    """
    readable = _readable_by(user)
    found = _with_details(Application.objects.filter(readable, pk=application_id)).first() if readable is not None else None
    if found is None:
        raise ApplicationNotFound()
    return found


def applications_for_user(*, user: Any) -> list[Application]:
    """The signed-in parent's own applications, newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(_with_details(Application.objects.filter(applicant_id=user.pk)).order_by("-registered_at", "-pk"))


def children_for_application(*, user: Any) -> list[dict[str, Any]]:
    """The parent's children as the registry lists them, each with its open application if it has one."""
    children = children_for_user(user=user)
    open_by_iin = dict(
        Application.objects.filter(child__iin__in=[c["iin"] for c in children], status__in=sorted(OPEN_STATUSES))
        .values_list("child__iin", "pk")
    )
    return [child | {"open_application_id": open_by_iin.get(child["iin"])} for child in children]


def kindergartens_search(
    *, district_id: int, language: str | None = None, with_free_places: bool = False, query: str = ""
) -> list[Organisation]:
    """Approved kindergartens of a district a parent may choose, by name or address and language.

    Each result carries ``capacity`` (the seats of its active groups, in ``language`` when given) and
    ``group_count``. "Free places" is an approximation until enrolment data exists (issue 4): a
    kindergarten has free places when its active groups (in that language) have any capacity at all.
    """
    groups = Q(groups__is_active=True)
    if language:
        groups &= Q(groups__language=language)
    queryset = Organisation.objects.filter(
        district_id=district_id, kind=Organisation.Kind.KINDERGARTEN, status=Organisation.Status.APPROVED
    )
    if language:
        # Declared languages (a JSON list) or a group teaching in it: works alike on both databases.
        teaches = Group.objects.filter(organisation=OuterRef("pk"), is_active=True, language=language)
        queryset = queryset.filter(Q(languages__icontains=f'"{language}"') | Exists(teaches))
    query = (query or "").strip()[:100]
    if query:
        queryset = queryset.filter(Q(name__icontains=query) | Q(address__icontains=query) | Q(bin=query))
    queryset = queryset.annotate(
        capacity=Sum("groups__capacity", filter=groups, default=0), group_count=Count("groups", filter=groups)
    )
    if with_free_places:
        queryset = queryset.filter(capacity__gt=0)
    return list(queryset.order_by("name", "pk")[:200])
