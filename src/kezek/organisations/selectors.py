"""Reading providers and groups, optionally limited to a set of districts (a user's scope)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from kezek.organisations.models import Group, Organisation


def organisation_list(
    *, district_ids: Iterable[int] | None = None, kind: str | None = None, status: str | None = None
) -> QuerySet[Organisation]:
    """Organisations by name; ``district_ids=None`` means every district (use ``district_scope(user)``)."""
    qs = Organisation.objects.select_related("district")
    if district_ids is not None:
        qs = qs.filter(district_id__in=list(district_ids))
    if kind is not None:
        qs = qs.filter(kind=kind)
    if status is not None:
        qs = qs.filter(status=status)
    return qs


def group_list(
    *,
    district_ids: Iterable[int] | None = None,
    organisation_id: int | None = None,
    kind: str | None = None,
    language: str | None = None,
    active_only: bool = False,
) -> QuerySet[Group]:
    """Groups by organisation and name, filtered like ``organisation_list``."""
    qs = Group.objects.select_related("organisation", "organisation__district")
    if district_ids is not None:
        qs = qs.filter(organisation__district_id__in=list(district_ids))
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    if language is not None:
        qs = qs.filter(language=language)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs
