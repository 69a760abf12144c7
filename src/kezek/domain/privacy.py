"""Personal data rules (Law of the Republic of Kazakhstan No. 94-V "On personal data and their protection").

A person may receive everything held about them and ask for it to be destroyed once it is no longer
needed; records that public money was paid must stay, so erasure becomes anonymisation: the record
stays, the identifying details are replaced by placeholders nobody can turn back into the person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import StrEnum

from kezek.domain.errors import Conflict, gettext_noop

# A placeholder IIN is "0000" and the person's 8-digit row id: unique (the column is unique), and never a
# valid IIN, because an IIN starts with the birth date and month 00 is no date. So it cannot clash with a
# real person imported later, and the log masking (kezek.core.logging) leaves it alone.
PLACEHOLDER_IIN_PREFIX = "0000"
PLACEHOLDER_ID_DIGITS = 8
ANONYMISED_NAME = "***"


class PersonHasLiveRecords(Conflict):
    """The person or their child still has something live; erasing it now would take a place or a payment away."""

    code = "person_has_live_records"
    message = gettext_noop("This person's data cannot be erased yet, because these records are still live: %(items)s.")
    hint = gettext_noop("Withdraw or close them first (or wait until they end), then ask again.")

    def __init__(self, *, items: list[str]):
        self.items = items
        super().__init__(items="; ".join(items))


class ErasureStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    REFUSED = "refused"


# A request is decided once: carried out (the person anonymised) or refused with a note.
ERASURE_TRANSITIONS: dict[ErasureStatus, frozenset[ErasureStatus]] = {
    ErasureStatus.OPEN: frozenset({ErasureStatus.DONE, ErasureStatus.REFUSED}),
    ErasureStatus.DONE: frozenset(),
    ErasureStatus.REFUSED: frozenset(),
}


class ErasureRequestClosed(Conflict):
    code = "erasure_request_closed"
    message = gettext_noop("This erasure request has already been decided.")


def check_erasure_transition(current: str, target: str) -> None:
    """Refuse a second decision on an erasure request (rule: decided once)."""
    if ErasureStatus(target) not in ERASURE_TRANSITIONS[ErasureStatus(current)]:
        raise ErasureRequestClosed()


def placeholder_iin(person_id: int) -> str:
    """The stand-in IIN of an anonymised person (rule: unique, irreversible, never a valid IIN)."""
    if not 0 < person_id < 10**PLACEHOLDER_ID_DIGITS:
        raise ValueError(f"person ids for placeholders run from 1 to {10**PLACEHOLDER_ID_DIGITS - 1}")
    return f"{PLACEHOLDER_IIN_PREFIX}{person_id:0{PLACEHOLDER_ID_DIGITS}d}"


def is_placeholder_iin(text: str) -> bool:
    """True for an IIN written by ``placeholder_iin`` (the person was anonymised)."""
    return len(text) == 12 and text.isdigit() and text.startswith(PLACEHOLDER_IIN_PREFIX)


def generalised_birth_date(birth_date: dt.date) -> dt.date:
    """Keep only the birth year (rule: anonymised records still count in statistics by year of birth)."""
    return birth_date.replace(month=1, day=1)


def retention_cutoff(now: dt.datetime, days: int) -> dt.datetime | None:
    """The instant before which a kind of record is past its period; None when the period is 0 (kept)."""
    if days <= 0:
        return None
    return now - dt.timedelta(days=days)


def live_items(found: Iterable[tuple[str, int | str]]) -> list[str]:
    """The live records that block erasure, as "kind #id" labels in a stable order (rule: say exactly what blocks)."""
    return [f"{kind} #{ident}" for kind, ident in sorted(found, key=lambda item: (item[0], str(item[1])))]
