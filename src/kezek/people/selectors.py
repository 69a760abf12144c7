"""Reading people data for the signed-in user, always through the registry port."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kezek.domain.errors import Forbidden, gettext_noop
from kezek.domain.iin import age_in_years
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
