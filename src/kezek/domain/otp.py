"""One-time sign-in codes: 6 random digits, kept only as a keyed, salted hash.

The hash is HMAC-SHA256 keyed with the server secret over a per-code salt, the phone and the code, so a
copy of the database alone does not reveal codes, and a code sent to one phone never matches another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

CODE_DIGITS = 6
SCHEME = "hmac-sha256"


def code_new() -> str:
    """A fresh code of 6 digits from a cryptographic random source (leading zeros allowed)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_clean(text: str) -> str:
    """The code as typed, without the spaces and dashes people put in it."""
    return "".join(c for c in (text or "") if c not in " -\t")


def code_is_well_formed(text: str) -> bool:
    """True when the typed code, cleaned, is exactly 6 ASCII digits."""
    cleaned = code_clean(text)
    return len(cleaned) == CODE_DIGITS and cleaned.isascii() and cleaned.isdigit()


def code_hash(*, code: str, phone: str, key: str, salt: str | None = None) -> str:
    """The stored form of a code: ``hmac-sha256$<salt>$<hex digest>``."""
    salt = salt or secrets.token_hex(16)
    digest = hmac.new(key.encode(), f"{salt}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()
    return f"{SCHEME}${salt}${digest}"


def code_matches(*, code: str, phone: str, key: str, stored: str) -> bool:
    """True when ``code`` is the one whose hash is ``stored`` (constant-time comparison)."""
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] != SCHEME:
        return False
    candidate = code_hash(code=code_clean(code), phone=phone, key=key, salt=parts[1])
    return hmac.compare_digest(candidate, stored)


def failures_after_wrong_code(*, failures: int, max_attempts: int) -> tuple[int, bool]:
    """Wrong codes counted so far after one more, and whether that reaches the lock-out limit.

    The counter starts again at zero once the phone is locked, so the next lock needs a full series.
    """
    failures += 1
    if failures >= max_attempts:
        return 0, True
    return failures, False
