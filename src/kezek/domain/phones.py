"""Kazakhstan mobile numbers: the sign-in identity of parents, kept in E.164 form (+7 7xx xxx xx xx)."""

from __future__ import annotations

import phonenumbers

from kezek.domain.errors import InvalidInput, gettext_noop

_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


class InvalidPhone(InvalidInput):
    """The text is not a Kazakhstan mobile number (SMS codes go to mobile numbers only)."""

    code = "invalid_phone"
    message = gettext_noop("This is not a Kazakhstan mobile phone number.")
    hint = gettext_noop("Type the mobile number with the country code, for example +7 701 123 45 67.")


def normalise_kz_mobile(text: str) -> str:
    """The E.164 form of a Kazakhstan mobile number typed in any usual way (8 701…, +7 (701)…, 701…)."""
    try:
        number = phonenumbers.parse((text or "").strip(), "KZ")
    except phonenumbers.NumberParseException:
        raise InvalidPhone() from None
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) != "KZ"
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """A phone shown without its middle digits (+7 701 *** ** 67), for screens and logs."""
    if len(e164) < 6:
        return "*" * len(e164)
    return f"{e164[:2]} {e164[2:5]} *** ** {e164[-2:]}"
