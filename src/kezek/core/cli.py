"""What language a console command speaks: the user's locale, as every other console program does."""

from __future__ import annotations

import os

from django.conf import settings

LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(environ: dict[str, str] | None = None) -> str:
    """The first of kk/ru/en named by the locale variables (LANGUAGE may list several); English otherwise (C, POSIX)."""
    environ = os.environ if environ is None else environ
    supported = {code for code, _ in settings.LANGUAGES}
    for variable in LOCALE_VARIABLES:
        for entry in environ.get(variable, "").split(":"):
            code = entry[:2].lower()
            if code in supported:
                return code
    return "en"
