"""Who sees a child's full IIN: the masking rule every page, export and API answer shared with providers follows.

See the table in docs/privacy.md. Provider staff recognise a child by name and the masked IIN
(1905******36); officers and administrators, who check records against the state registry, see it whole.
"""

from __future__ import annotations

from typing import Any

from kezek.accounts.models import Role
from kezek.accounts.permissions import is_admin
from kezek.domain.iin import mask_iin

# Roles that check records against the registry and so need the whole number.
_FULL_IIN_ROLES = frozenset({Role.OFFICER, Role.ADMIN})


def sees_full_iins(viewer: Any) -> bool:
    """True when ``viewer`` may see whole IINs of other people's children (rule: providers see them masked)."""
    return is_admin(viewer) or getattr(viewer, "role", None) in _FULL_IIN_ROLES


def iin_for_viewer(*, iin: str, viewer: Any, own: bool = False) -> str:
    """The IIN as ``viewer`` may see it: whole for officers, administrators and the child's own parent
    (``own``), masked for everyone else."""
    return iin if own or sees_full_iins(viewer) else mask_iin(iin)
