"""Domain errors: each carries a stable machine code and a message template in plain English.

Messages are marked with ``gettext_noop`` so ``makemessages`` collects them; the web layer translates
them into the user's language when it renders the error (see ``kezek.core.errors``).
"""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for translation without translating it here (the domain knows no locale)."""
    return message


class DomainError(Exception):
    """A rule was broken: says what is wrong (``message``) and what to do (``hint``)."""

    code: str = "domain_error"
    kind: str = "invalid"  # invalid | not_found | forbidden | conflict | rate_limited | unavailable | insufficient_storage
    message: str = gettext_noop("The request could not be completed.")
    hint: str = ""

    def __init__(self, message: str | None = None, *, code: str | None = None, hint: str | None = None, **params: Any):
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if hint is not None:
            self.hint = hint
        self.params = params
        super().__init__(self.render(self.message))

    def render(self, template: str) -> str:
        """Fill the template's %(name)s placeholders from the error's parameters."""
        return template % self.params if self.params and template else template


class InvalidInput(DomainError):
    code = "invalid_input"
    kind = "invalid"


class NotFound(DomainError):
    code = "not_found"
    kind = "not_found"
    message = gettext_noop("Not found.")


class Forbidden(DomainError):
    code = "forbidden"
    kind = "forbidden"
    message = gettext_noop("You are not allowed to do this.")


class Conflict(DomainError):
    code = "conflict"
    kind = "conflict"


class RateLimited(DomainError):
    code = "rate_limited"
    kind = "rate_limited"
    message = gettext_noop("Too many attempts.")
    hint = gettext_noop("Wait %(retry_after)s seconds and try again.")

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(message, retry_after=retry_after, **kwargs)
