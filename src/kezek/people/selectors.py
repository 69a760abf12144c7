"""Reading people data for the signed-in user, always through the registry port."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from kezek.domain.errors import Forbidden, gettext_noop
from kezek.domain.iin import age_in_years
from kezek.people.models import Person
from kezek.people.registry import get_registry


class NotAPerson(Forbidden):
    code = "not_a_registry_person"
    message = gettext_noop("This account is not linked to a person in the registry.")
    hint = gettext_noop("Sign in with your mobile number as a parent or legal representative.")


def children_for_user(*, user: Any) -> list[dict[str, Any]]:
    """The children the registry lists for the signed-in adult (rule: a parent sees only their own children)."""
    if getattr(user, "person_id", None) is None:
        raise NotAPerson()
    registry = get_registry()
    today = timezone.localdate()
    return [
        {
            "iin": child.iin,
            "last_name": child.last_name,
            "first_name": child.first_name,
            "patronymic": child.patronymic,
            "full_name": child.full_name,
            "birth_date": child.birth_date,
            "sex": child.sex,
            "age_years": age_in_years(child.birth_date, today),
            "benefits": sorted(registry.benefits_of(child.iin, on=today)),
        }
        for child in registry.children_of(user.person.iin)
    ]


def people_parent_and_child(*, parent_id: int, child_iin: str) -> tuple[Any, Any]:
    """The parent's and the child's person rows in one read (the child's is None when it is not stored)."""
    found = list(Person.objects.select_related("district").filter(Q(pk=parent_id) | Q(iin=child_iin)))
    parent = next(p for p in found if p.pk == parent_id)
    return parent, next((p for p in found if p.iin == child_iin), None)
