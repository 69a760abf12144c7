"""Kazakhstan mobile numbers: the sign-in identity of parents, kept in E.164 form (+7 7xx xxx xx xx)."""

from __future__ import annotations

import re

import phonenumbers

from kezek.domain.errors import InvalidInput, gettext_noop

_KZ_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("KZ").mobile.national_number_pattern)
_E164_PLUS_7 = re.compile(r"\+7([0-9]{10})")


class InvalidPhone(InvalidInput):
    """The text is not a Kazakhstan mobile number (SMS codes go to mobile numbers only); ``reason`` says why."""

    code = "invalid_phone"
    message = gettext_noop("This is not a Kazakhstan mobile phone number.")
    hint = gettext_noop("Type the mobile number with the country code, for example +7 701 123 45 67.")


def normalise_kz_mobile(text: str) -> str:
    """The E.164 form of a Kazakhstan mobile number typed in any usual way (8 701…, +7 (701)…, 701…)."""
    text = (text or "").strip()
    # Registry extracts already hold E.164 numbers; matching them against phonenumbers' own KZ mobile
    # pattern gives the same answer as a full parse, several times faster on a 100k-record import.
    e164 = _E164_PLUS_7.fullmatch(text)
    if e164 and _KZ_MOBILE.fullmatch(e164.group(1)):
        return text
    try:
        number = phonenumbers.parse(text, "KZ")
    except phonenumbers.NumberParseException:
        raise InvalidPhone(reason="unparseable") from None
    if phonenumbers.region_code_for_number(number) != "KZ":
        raise InvalidPhone(reason="not_kz")
    # number_type is UNKNOWN for numbers outside every KZ range, so this also rejects invalid numbers.
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise InvalidPhone(reason="not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """A phone shown without its middle digits (+7 701 *** ** 67), for screens and logs."""
    if len(e164) < 6:
        return "*" * len(e164)
    return f"{e164[:2]} {e164[2:5]} *** ** {e164[-2:]}"
