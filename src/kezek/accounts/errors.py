"""Errors of sign-in and sessions, each with a stable code, a message and what to do about it."""

from __future__ import annotations

from kezek.domain.errors import Forbidden, InvalidInput, NotFound, RateLimited, gettext_noop
from kezek.domain.phones import InvalidPhone

__all__ = [
    "AccountBlocked",
    "AccountNotFound",
    "BlockReasonRequired",
    "CsrfFailed",
    "InvalidPhone",
    "OtpInvalid",
    "OtpMalformed",
    "OtpVerifyRateLimited",
    "PasswordRequired",
    "PhoneLocked",
    "SendLimitReached",
    "SessionNotFound",
    "SigninFailed",
    "SigninRateLimited",
]


class OtpInvalid(InvalidInput):
    """Wrong, expired, used or never-sent code: one answer for all, so nothing is revealed."""

    code = "otp_invalid"
    message = gettext_noop("The code is wrong or has expired.")
    hint = gettext_noop("Check the last SMS from Kezek and type its 6 digits, or ask for a new code.")


class OtpMalformed(InvalidInput):
    code = "otp_malformed"
    message = gettext_noop("A sign-in code has exactly 6 digits.")
    hint = gettext_noop("Type the 6 digits from the SMS.")


class PhoneLocked(RateLimited):
    code = "phone_locked"
    message = gettext_noop("Too many wrong codes: sign-in by SMS for this phone is paused.")
    hint = gettext_noop("Wait %(retry_after)s seconds, then ask for a new code.")


class SendLimitReached(RateLimited):
    code = "otp_send_limited"
    message = gettext_noop("Too many codes were asked for.")
    hint = gettext_noop("Wait %(retry_after)s seconds and ask for a new code again.")


class OtpVerifyRateLimited(RateLimited):
    code = "otp_verify_limited"
    message = gettext_noop("Too many sign-in codes were tried from your network.")
    hint = gettext_noop("Wait %(retry_after)s seconds and try again.")


class SigninFailed(InvalidInput):
    """Any failed staff sign-in: never says whether the login exists."""

    code = "signin_failed"
    message = gettext_noop("The login or the password is wrong.")
    hint = gettext_noop("Check both and try again; ask an administrator if you forgot your password.")


class SigninRateLimited(RateLimited):
    code = "signin_rate_limited"
    message = gettext_noop("Too many failed sign-in attempts.")
    hint = gettext_noop("Wait %(retry_after)s seconds and try again.")


class AccountBlocked(Forbidden):
    code = "account_blocked"
    message = gettext_noop("This account is blocked.")
    hint = gettext_noop("Contact your district education department to find out why and how to restore it.")


class PasswordRequired(Forbidden):
    code = "password_required"
    message = gettext_noop("Staff accounts sign in with a password, not an SMS code.")
    hint = gettext_noop("Use the staff sign-in page.")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message = gettext_noop("The page's security token is missing or out of date.")
    hint = gettext_noop("Reload the page and try again.")


class AccountNotFound(NotFound):
    code = "account_not_found"
    message = gettext_noop("There is no such account.")
    hint = gettext_noop("Reload the list of accounts.")


class BlockReasonRequired(InvalidInput):
    code = "block_reason_required"
    message = gettext_noop("Say why the account is blocked.")
    hint = gettext_noop("Write the reason, for example the number of the complaint about account sharing.")


class SessionNotFound(NotFound):
    code = "session_not_found"
    message = gettext_noop("There is no such session on your account.")
    hint = gettext_noop("Reload the list of your sessions.")
