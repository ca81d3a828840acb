"""Safe text templates: ``{name}`` placeholders filled from a dict, nothing else.

We do not use ``str.format``: it allows attribute and index access (``{x.__class__}``) and format
specs that can allocate without bound. Here a placeholder is a plain lowercase name; ``{{`` and
``}}`` stand for literal braces; any other brace is an error reported to the author.
"""

from __future__ import annotations

import re

from mlquiz.i18n import msg

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")


class TemplateError(ValueError):
    """A template that is not just text and ``{name}`` placeholders."""


def placeholders(template: str) -> list[str]:
    """The placeholder names in ``template``, in order; raises TemplateError on anything else."""
    names = []
    for match in _TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        inner = match.group(1)
        if inner is None:
            raise TemplateError(msg("lone {brace} at character {position}; write {double} for a literal brace",
                                    brace=repr(token), position=match.start() + 1, double=token * 2))
        if not _NAME.match(inner):
            raise TemplateError(msg(
                "placeholder {placeholder} is not a plain name; use {{name}} with lowercase letters, digits and _"
                " (no attributes, indexes or format specs); write {{{{ and }}}} for literal braces",
                placeholder=f"{{{inner}}}"))
        names.append(inner)
    return names


def fill(template: str, values: dict[str, object], formatter=str) -> str:
    """Replace each ``{name}`` with ``formatter(values[name])``; KeyError if a name has no value."""

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        inner = match.group(1)
        if inner is None or not _NAME.match(inner):
            raise TemplateError(msg("bad placeholder {token}", token=repr(token)))
        return formatter(values[inner])

    return _TOKEN.sub(replace, template)
