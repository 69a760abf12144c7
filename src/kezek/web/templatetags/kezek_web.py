"""Template helpers for Kezek's pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    """Each language with its name in that language (Қазақша, Русский, English), never translated."""
    return list(settings.LANGUAGES)


@register.filter
def bar_step(percent: float | None) -> int:
    """A bar's width in percent rounded to a step of 5, the classes w-0 … w-100 of site.css.

    Widths are classes, not style="width: …" attributes, because the Content-Security-Policy allows no
    inline styles; the exact figures are in the table next to each chart.
    """
    return min(100, max(0, 5 * round((percent or 0) / 5)))
