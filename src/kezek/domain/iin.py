"""The IIN (ИИН / ЖСН), Kazakhstan's 12-digit individual identification number.

Layout: ``YYMMDD`` birth date, one digit for century and sex (1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s;
odd = male, even = female), four serial digits, one check digit. The check digit is the weighted sum of
digits 1..11 with weights 1..11, mod 11; if that gives 10, weights 3..11,1,2 are used instead; if that
gives 10 again, the number is invalid and never issued.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from kezek.domain.errors import InvalidInput, gettext_noop

Reason = Literal["length", "non_digit", "impossible_date", "century_digit", "check_digit"]

FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURY_BY_DIGIT = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}

_MESSAGES: dict[str, str] = {
    "length": gettext_noop("An IIN has exactly 12 digits; this one has %(length)s."),
    "non_digit": gettext_noop("An IIN contains digits only."),
    "impossible_date": gettext_noop("The first six digits of this IIN are not a real birth date."),
    "century_digit": gettext_noop("The seventh digit of an IIN must be 1 to 6."),
    "check_digit": gettext_noop("This IIN's check digit does not match: a digit is probably mistyped."),
}


class InvalidIin(InvalidInput):
    """The text is not a valid IIN; ``reason`` says which rule it breaks."""

    code = "invalid_iin"
    hint = gettext_noop("Check the IIN against the identity document or birth certificate and type it again.")

    def __init__(self, reason: Reason, **params: object):
        self.reason = reason
        super().__init__(_MESSAGES[reason], reason=reason, **params)


@dataclass(frozen=True)
class Iin:
    """A valid IIN with the birth date and sex it encodes."""

    value: str
    birth_date: dt.date
    sex: Literal["M", "F"]

    def __str__(self) -> str:
        return self.value

    def age_on(self, day: dt.date) -> int:
        """Full years of age on ``day`` (the person's age rule for eligibility)."""
        return age_in_years(self.birth_date, day)


def check_digit(first_eleven: str) -> int | None:
    """The IIN check digit for the first 11 digits, or None when both passes give 10 (never issued)."""
    digits = [int(c) for c in first_eleven]
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        value = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if value != 10:
            return value
    return None


def parse_iin(text: str) -> Iin:
    """Validate an IIN (length, digits, century digit, birth date, check digit) and decode it."""
    value = text.strip()
    if len(value) != 12:
        raise InvalidIin("length", length=len(value))
    if not (value.isascii() and value.isdigit()):
        raise InvalidIin("non_digit")
    century_digit = value[6]
    if century_digit not in CENTURY_BY_DIGIT:
        raise InvalidIin("century_digit")
    year = CENTURY_BY_DIGIT[century_digit] + int(value[0:2])
    try:
        birth_date = dt.date(year, int(value[2:4]), int(value[4:6]))
    except ValueError:
        raise InvalidIin("impossible_date") from None
    if check_digit(value[:11]) != int(value[11]):
        raise InvalidIin("check_digit")
    return Iin(value=value, birth_date=birth_date, sex="M" if int(century_digit) % 2 else "F")


def is_valid_iin(text: str) -> bool:
    """True when ``parse_iin`` accepts the text."""
    try:
        parse_iin(text)
    except InvalidIin:
        return False
    return True


def mask_iin(iin: str) -> str:
    """Show only the first four and the last two digits of an IIN (1905******36): enough to recognise it."""
    if len(iin) != 12:
        return "*" * len(iin)
    return f"{iin[:4]}{'*' * 6}{iin[-2:]}"


def build_iin(birth_date: dt.date, sex: Literal["M", "F"], serial: int) -> str | None:
    """The IIN for a birth date, sex and 4-digit serial, or None if that serial has no valid check digit."""
    if not 1800 <= birth_date.year <= 2099:
        raise ValueError("IINs encode years 1800-2099 only")
    if not 0 <= serial <= 9999:
        raise ValueError("serial must be 0..9999")
    century = (birth_date.year // 100 - 18) * 2 + (1 if sex == "M" else 2)
    first_eleven = f"{birth_date:%y%m%d}{century}{serial:04d}"
    digit = check_digit(first_eleven)
    return None if digit is None else f"{first_eleven}{digit}"


def age_in_years(birth_date: dt.date, day: dt.date) -> int:
    """Full years between ``birth_date`` and ``day`` (negative before birth)."""
    years = day.year - birth_date.year
    return years - 1 if (day.month, day.day) < (birth_date.month, birth_date.day) else years


def age_in_months(birth_date: dt.date, day: dt.date) -> int:
    """Full months between ``birth_date`` and ``day`` (negative before birth)."""
    months = (day.year - birth_date.year) * 12 + (day.month - birth_date.month)
    return months - 1 if day.day < birth_date.day else months
