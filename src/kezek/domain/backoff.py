"""Retry schedule for deliveries that failed for a temporary reason (exponential, with a ceiling).

Attempt 1 failed → wait ``base`` seconds; each further failure doubles the wait, never beyond ``cap``:
5 s, 10 s, 20 s, 40 s … 1 h with the defaults. A gateway that asked for a longer pause (HTTP
``Retry-After``) gets it, still within the ceiling.
"""

from __future__ import annotations

DEFAULT_BASE_SECONDS = 5.0
DEFAULT_CAP_SECONDS = 3600.0
# 2**62 already dwarfs any sensible cap; stopping the exponent there keeps the arithmetic in range.
_MAX_EXPONENT = 62


def retry_delay_seconds(
    attempt: int,
    *,
    base: float = DEFAULT_BASE_SECONDS,
    cap: float = DEFAULT_CAP_SECONDS,
    requested: float | None = None,
) -> float:
    """Seconds to wait after failed ``attempt`` (1-based) before the next one (rule: exponential backoff, capped)."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if base <= 0 or cap < base:
        raise ValueError("need 0 < base <= cap")
    delay = min(cap, base * 2 ** min(attempt - 1, _MAX_EXPONENT))
    if requested is not None and requested > delay:
        delay = min(cap, requested)
    return delay
