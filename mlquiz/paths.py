"""Where mlquiz keeps what it writes: progress in the data folder, re-creatable caches below it.

``MLQUIZ_HOME`` overrides the location (tests and instructors point it at a scratch folder).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    env = os.environ.get("MLQUIZ_HOME")
    if env:
        return Path(env).expanduser()
    import typer

    return Path(typer.get_app_dir("mlquiz"))


def cache_dir() -> Path:
    return data_dir() / "cache"
