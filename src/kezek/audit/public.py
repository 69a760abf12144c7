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
    "monthly_value": _("monthly value"),
    "period_start": _("period starts"),
    "period_end": _("period ends"),
    "min_age": _("youngest age"),
    "max_age": _("oldest age"),
    "stages": _("opening stages"),
    "applications": _("applications"),
    "input_sha256": _("SHA-256 of the published input"),
    "result_sha256": _("SHA-256 of the published result"),
    "offers": _("places offered"),
    "hash": _("hash"),
}
MAX_VALUE_LENGTH = 300


@dataclass(frozen=True)
class PublicAction:
    label: Any  # a lazy translation
    fields: tuple[str, ...]


ROUND_FIELDS = ("code", "title", "status", "policy", "tie_break", "runs_at", "offers_close_at", "open_to_all_at")
CHANGE_FIELDS = ("field", "old_value", "new_value", "reason")
CAMPAIGN_FIELDS = (
    "title", "kind", "policy", "status", "quota", "monthly_value", "period_start", "period_end", "min_age", "max_age",
    "seed_commitment", "stages",
)

PUBLIC_ACTIONS: dict[str, PublicAction] = {
    "round.announced": PublicAction(_("Allocation round announced"), (*ROUND_FIELDS, "seed_commitment")),
    "round.place_changed": PublicAction(_("Places of a round changed"), ("code", "age_group", "places", "frees_on", *CHANGE_FIELDS)),
    "round.ran": PublicAction(
        _("Allocation round run"), ("code", "title", "seed_commitment", "seed_hex", "input_sha256", "result_sha256", "offers"),
    ),
    "round.open_to_all": PublicAction(_("Free places of a round opened to all"), ("code", "title", "open_to_all_at")),
    "vouchers.campaign.announce": PublicAction(_("Voucher campaign announced"), CAMPAIGN_FIELDS),
    "vouchers.campaign.change": PublicAction(_("Voucher campaign changed"), (*CAMPAIGN_FIELDS, "reason")),
    "vouchers.campaign.draw": PublicAction(_("Voucher lottery drawn"), ("seed_commitment", "seed_hex", "applications")),
    "incident.recorded": PublicAction(_("Incident recorded"), ("kind", "title", "summary", "status")),
    CHECKPOINT_ACTION: PublicAction(_("Audit checkpoint published"), ("seq", "hash")),
}


def public_action(action: str, *, label: Any, fields: tuple[str, ...]) -> None:
    """Show ``action`` on the public timeline with only the listed ``fields`` of its before/after."""
    PUBLIC_ACTIONS[action] = PublicAction(label, tuple(fields))


def _stages(value: Any) -> str | None:
    # A campaign's stages are published anyway (number, opening time, share); nothing else of a list is shown.
    if not isinstance(value, list) or not all(isinstance(s, Mapping) for s in value):
        return None
    return "; ".join(f"{_plain(s.get('number'))}: {_plain(s.get('opens_at'))} ({_plain(s.get('share'))})" for s in value)


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
        shown = _stages if name == "stages" else _plain
        old, new = shown(before.get(name)), shown(after.get(name))
        if old is None and new is None:
            continue
        rows.append({
            "name": name,
            "label": FIELD_LABELS.get(name, name),
            "value": new if new is not None else old,
            "previous": old if new is not None and old is not None and old != new else None,
        })
    return rows
