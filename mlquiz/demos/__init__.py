"""The built-in demos.

Their modules live in the repository's top-level ``demos/`` folder; the wheel copies
them into this package. In a source checkout we add that folder to ``__path__`` so that
``import mlquiz.demos.gradient_chain`` works the same way in both cases.
"""

from pathlib import Path

_checkout = Path(__file__).resolve().parents[2]
# pyproject.toml marks a source checkout; in site-packages a stray "demos" folder is not ours.
if (_checkout / "pyproject.toml").is_file() and (_checkout / "demos").is_dir():
    __path__.append(str(_checkout / "demos"))
