"""The BIN (БСН / БИН), the 12-digit business identification number of an organisation.

Its check digit (the 12th) follows the same two-pass weighted rule as the IIN's, so the rule lives in one
place: ``kezek.domain.iin.check_digit``. The first eleven digits (registration month, organisation type,
serial) are not decoded here: providers are identified by the number, not by what it encodes.
"""

from __future__ import annotations

from typing import Literal

from kezek.domain.errors import InvalidInput, gettext_noop
from kezek.domain.iin import check_digit

Reason = Literal["length", "non_digit", "check_digit"]

_MESSAGES: dict[str, str] = {
    "length": gettext_noop("A BIN has exactly 12 digits; this one has %(length)s."),
    "non_digit": gettext_noop("A BIN contains digits only."),
    "check_digit": gettext_noop("This BIN's check digit does not match: a digit is probably mistyped."),
}


class InvalidBin(InvalidInput):
    """The text is not a valid BIN; ``reason`` says which rule it breaks."""

    code = "invalid_bin"
    hint = gettext_noop("Copy the BIN from the organisation's registration certificate and type it again.")

    def __init__(self, reason: Reason, **params: object):
        self.reason = reason
        super().__init__(_MESSAGES[reason], reason=reason, **params)


def parse_bin(text: str) -> str:
    """Validate a BIN (length, digits only, check digit) and return it without surrounding spaces."""
    value = text.strip()
    if len(value) != 12:
        raise InvalidBin("length", length=len(value))
    if not (value.isascii() and value.isdigit()):
        raise InvalidBin("non_digit")
    if check_digit(value[:11]) != int(value[11]):
        raise InvalidBin("check_digit")
    return value


def build_bin(prefix11: str) -> str | None:
    """The valid BIN that starts with these 11 digits, or None when no check digit exists for them."""
    if len(prefix11) != 11 or not (prefix11.isascii() and prefix11.isdigit()):
        raise ValueError("a BIN prefix is exactly 11 digits")
    digit = check_digit(prefix11)
    return None if digit is None else f"{prefix11}{digit}"
