"""View decorators for pages by role: the page-side counterpart of ``kezek.accounts.permissions``."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kezek.accounts.permissions import require_role
from kezek.domain.errors import DomainError


def role_required(*roles: str):
    """Signed-in users of these roles (administrators too); others: parents to the SMS sign-in, staff 403."""

    def decorate(view):
        @login_required(login_url="web:parent-signin")
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                require_role(request.user, *roles)
            except DomainError:
                raise PermissionDenied from None
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
