"""Where mlquiz keeps what it writes: progress in the data folder, re-creatable caches in the cache
folder, settings in the config folder, each where ``platformdirs`` puts them on this platform
(Linux: ``~/.local/share/mlquiz``, ``~/.cache/mlquiz``, ``~/.config/mlquiz``).

``MLQUIZ_HOME`` overrides all three (tests and instructors point it at a scratch folder): progress
and ``config.toml`` in it, caches in ``$MLQUIZ_HOME/cache``.

mlquiz up to 0.x kept progress in typer's app folder (``~/.config/mlquiz`` on Linux);
``migrate_legacy_store`` moves such a store to the data folder without ever losing it.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "mlquiz"
DB_NAME = "progress.db"
CONFIG_NAME = "config.toml"


def _home() -> Path | None:
    env = os.environ.get("MLQUIZ_HOME")
    return Path(env).expanduser() if env else None


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def cache_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def config_path() -> Path:
    return config_dir() / CONFIG_NAME


def legacy_data_dir() -> Path | None:
    """Where mlquiz kept progress before it used platformdirs (typer's app folder), if different."""
    if _home() is not None:
        return None
    import typer

    old = Path(typer.get_app_dir(APP))
    return None if old == data_dir() else old


def migrate_legacy_store() -> str | None:
    """Move a progress store from the legacy folder to the data folder; returns what was done, if anything.

    Safe by construction: SQLite's backup API copies the store (with anything still in its WAL) to a
    temporary file beside the target, the copy is checked, renamed into place, and only then is the old
    file renamed to ``progress.db.moved`` (kept, never deleted). If the data folder already has a
    store, nothing is touched.
    """
    old_dir = legacy_data_dir()
    if old_dir is None:
        return None
    old, new = old_dir / DB_NAME, data_dir() / DB_NAME
    if not old.is_file() or new.exists():
        return None
    import sqlite3

    new.parent.mkdir(parents=True, exist_ok=True)
    partial = new.with_name(DB_NAME + ".moving")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            ok = target.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            copied = target.execute("SELECT count(*) FROM reviews").fetchone()[0]
            original = source.execute("SELECT count(*) FROM reviews").fetchone()[0]
        finally:
            target.close()
    except sqlite3.DatabaseError:
        partial.unlink(missing_ok=True)
        return None  # an unreadable old store stays where it is; the store reports nothing was moved
    finally:
        source.close()
    if not ok or copied != original:
        partial.unlink(missing_ok=True)
        return None
    os.replace(partial, new)
    os.replace(old, old.with_name(DB_NAME + ".moved"))
    for suffix in ("-wal", "-shm"):  # already copied by the backup; left beside the kept original
        side = old.with_name(DB_NAME + suffix)
        if side.exists():
            os.replace(side, old.with_name(DB_NAME + ".moved" + suffix))
    return f"moved your progress from {old} to {new} (the old file is kept as {old.name}.moved)"


def locations() -> dict:
    """Every place mlquiz reads or writes, for ``mlquiz where``."""
    store = data_dir() / DB_NAME
    old = legacy_data_dir()
    legacy = old / DB_NAME if old is not None and (old / DB_NAME).is_file() else None
    return {"data": str(data_dir()), "progress": str(store), "progress_exists": store.is_file(),
            "cache": str(cache_dir()), "config": str(config_path()), "config_exists": config_path().is_file(),
            "legacy_progress": str(legacy) if legacy else None,
            "overridden_by": "MLQUIZ_HOME" if _home() is not None else None}
