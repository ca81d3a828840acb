"""Demokit: the machinery around the NumPy demos (the demos themselves live in ``mlquiz.demos``).

``spec`` reads a demo's literal ``META`` without importing it (parameters, ranges, outputs);
``registry`` finds built-in and plugin demos and runs them; ``cache`` keeps re-creatable results on
disk; ``docgen`` writes docs/demos.md. Terminal charts for demos' ``render`` are ``mlquiz.charts``,
part of the plugin surface.

May import: ``mlquiz.errors`` and ``mlquiz.paths`` only. Demos import ``mlquiz.charts`` and
``mlquiz.errors`` (the plugin surface, docs/authoring.md).
"""
