"""Template filters of the waiting room page."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def clock(seconds: int | None) -> str:
    """A wait as a clock: 1:02:03, or 2:03 under an hour (digits read the same in every language)."""
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
