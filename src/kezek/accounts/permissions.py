"""Who may act where: roles with scopes, checked in services so API, pages and admin share them.

An officer acts only in their district, provider staff only in their organisation, an administrator
everywhere, a parent only on their own and their children's records.
"""

from __future__ import annotations

from typing import Any

from kezek.domain.errors import Forbidden, gettext_noop

from kezek.accounts.models import Role


class OutOfScope(Forbidden):
    code = "out_of_scope"
    message = gettext_noop("This record belongs to another district or organisation.")
    hint = gettext_noop("Ask an officer of that district or an administrator.")


class RoleRequired(Forbidden):
    code = "role_required"
    message = gettext_noop("Your account's role does not allow this.")
    hint = gettext_noop("Sign in with an account that has the right role.")


def is_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and (user.is_superuser or user.role == Role.ADMIN))


def require_role(user: Any, *roles: str) -> None:
    """Refuse unless the user is signed in with one of ``roles`` (administrators pass every role check)."""
    if is_admin(user):
        return
    if not getattr(user, "is_authenticated", False) or user.role not in roles:
        raise RoleRequired()


def district_scope(user: Any) -> set[int] | None:
    """District ids the user may act in as staff: None means every district (administrator)."""
    if is_admin(user):
        return None
    if getattr(user, "is_authenticated", False):
        if user.role == Role.OFFICER and user.district_id:
            return {user.district_id}
        if user.role == Role.PROVIDER_STAFF and user.organisation_id:
            return {user.organisation.district_id}
    return set()


def require_district(user: Any, district_id: int) -> None:
    """Refuse an officer acting outside their district (rule: officers act only in their district)."""
    require_role(user, Role.OFFICER)
    scope = district_scope(user)
    if scope is not None and district_id not in scope:
        raise OutOfScope()


def require_organisation(user: Any, organisation: Any) -> None:
    """Refuse staff acting for another organisation; officers may act for organisations of their district."""
    if is_admin(user):
        return
    if getattr(user, "is_authenticated", False):
        if user.role == Role.PROVIDER_STAFF and user.organisation_id == organisation.pk:
            return
        if user.role == Role.OFFICER and user.district_id == organisation.district_id:
            return
        if user.role in (Role.PROVIDER_STAFF, Role.OFFICER):
            raise OutOfScope()
    raise RoleRequired()
