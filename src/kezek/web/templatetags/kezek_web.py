"""Template helpers for Kezek's pages."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    """Each language with its name in that language (Қазақша, Русский, English), never translated."""
    return list(settings.LANGUAGES)
