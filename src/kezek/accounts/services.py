"""Account services (sign-in, sessions). Filled in by the accounts work."""

from django.http import HttpRequest


def session_touch(*, request: HttpRequest) -> None:
    """Log out a request whose session was ended from another device; note when it was last seen."""
    return None
