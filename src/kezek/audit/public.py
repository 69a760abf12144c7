"""Which audit events the public timeline shows, and how each is summarised without personal data.

An event's ``before``/``after`` may hold anything its service recorded, so nothing is printed blindly:
each public action names the fields that are safe to show (``PUBLIC_ACTIONS``), and only those, when
they hold plain values, reach the page. The actor is never shown. To publish a new action, add an
entry here (or call ``public_action`` from the app that records it) with its label and safe fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from kezek.audit.services import CHECKPOINT_ACTION

# Labels for the fields the public summaries may show (the key itself is shown for any other).
FIELD_LABELS: dict[str, Any] = {
    "code": _("code"),
    "title": _("title"),
    "status": _("status"),
    "policy": _("policy"),
    "tie_break": _("tie-break"),
    "runs_at": _("runs at"),
    "opens_at": _("opens at"),
    "closes_at": _("closes at"),
    "offers_close_at": _("offer phase ends at"),
    "open_to_all_at": _("free places open to all at"),
    "seed_commitment": _("seed commitment"),
    "seed_hex": _("seed"),
    "age_group": _("age group"),
    "places": _("places"),
    "frees_on": _("place frees up on"),
    "field": _("field"),
    "old_value": _("old value"),
    "new_value": _("new value"),
    "reason": _("reason"),
    "quota": _("quota"),
    "amount": _("amount"),
    "kind": _("kind"),
    "summary": _("summary"),
    "offered": _("places offered"),
    "seq": _("event number"),
    "hash": _("hash"),
}
MAX_VALUE_LENGTH = 300


@dataclass(frozen=True)
class PublicAction:
    label: Any  # a lazy translation
    fields: tuple[str, ...]


ROUND_FIELDS = ("code", "title", "status", "policy", "tie_break", "runs_at", "offers_close_at", "open_to_all_at")
CHANGE_FIELDS = ("field", "old_value", "new_value", "reason")

PUBLIC_ACTIONS: dict[str, PublicAction] = {
    "round.announced": PublicAction(_("Allocation round announced"), (*ROUND_FIELDS, "seed_commitment")),
    "round.place_changed": PublicAction(_("Places of a round changed"), ("code", "age_group", "places", "frees_on", *CHANGE_FIELDS)),
    "round.ran": PublicAction(_("Allocation round run"), ("code", "title", "seed_commitment", "seed_hex", "offered")),
    "campaign.announced": PublicAction(_("Voucher campaign announced"), ("code", "title", "opens_at", "closes_at", "quota", "amount")),
    "campaign.changed": PublicAction(_("Voucher campaign changed"), ("code", "title", "quota", "opens_at", "closes_at", *CHANGE_FIELDS)),
    "incident.recorded": PublicAction(_("Incident recorded"), ("kind", "title", "summary", "status")),
    CHECKPOINT_ACTION: PublicAction(_("Audit checkpoint published"), ("seq", "hash")),
}


def public_action(action: str, *, label: Any, fields: tuple[str, ...]) -> None:
    """Show ``action`` on the public timeline with only the listed ``fields`` of its before/after."""
    PUBLIC_ACTIONS[action] = PublicAction(label, tuple(fields))


def _plain(value: Any) -> str | None:
    # Only scalars: a nested object could carry anything (a list of children, a person record).
    if isinstance(value, bool) or value is None:
        return None if value is None else str(value).lower()
    if isinstance(value, int | float | str):
        text = str(value)
        return text if len(text) <= MAX_VALUE_LENGTH else text[: MAX_VALUE_LENGTH - 1] + "…"
    return None


def public_summary(action: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The safe fields of a public event: label, value, and the previous value when it changed."""
    spec = PUBLIC_ACTIONS.get(action)
    if spec is None:
        return []
    before = before if isinstance(before, Mapping) else {}
    after = after if isinstance(after, Mapping) else {}
    rows = []
    for name in spec.fields:
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old is None and new is None:
            continue
        rows.append({
            "name": name,
            "label": FIELD_LABELS.get(name, name),
            "value": new if new is not None else old,
            "previous": old if new is not None and old is not None and old != new else None,
        })
    return rows
