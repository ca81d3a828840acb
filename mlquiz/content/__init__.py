"""Content: what a question is, from YAML on disk to a concrete item a candidate sees.

The path a question takes through this room: ``yamlsrc`` (YAML with line numbers) -> ``checks``
(schema, building the ``model``'s frozen dataclasses) -> ``loading`` (files and folders, ids unique
across banks) -> ``catalog`` (which banks are loaded, cached) -> ``items`` (one variant made concrete,
numbers computed by demos) -> ``verify`` (recompute everything) and ``lint`` (question quality).
``templates`` fills ``{name}`` placeholders; ``numbers`` formats numbers; ``scaffold`` writes a new bank.

May import: ``mlquiz.errors``, ``mlquiz.paths``, ``mlquiz.demokit``. Never ``practice``, ``export`` or ``cli``.
"""
