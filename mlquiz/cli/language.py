"""The language a command prints in: ``--lang``, MLQUIZ_LANG, the settings, the locale (``mlquiz.i18n.choose``).

Its own module so that both the top-level commands (``app``) and the demo commands (``demo``) call it.
"""

from __future__ import annotations

import os


GLOBAL = {"lang": None}  # `mlquiz --lang LANG COMMAND`, set by the root callback for this invocation only


def choose_language(flag: str | None) -> str:
    """Choose the language (mlquiz.i18n.choose) and print the interface in it; returns it."""
    flag = flag or GLOBAL["lang"]
    from mlquiz import i18n

    settings_language = settings_file = None
    if not flag and not os.environ.get(i18n.ENV, "").strip():  # the settings file is read only when it decides
        from mlquiz import settings

        prefs = settings.load()
        settings_language, settings_file = prefs.language, prefs.source
    lang = i18n.choose(flag, settings_language, settings_file)
    i18n.use(lang)
    return lang
