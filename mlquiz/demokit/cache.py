"""A disk cache that makes repeated runs fast: parsed banks and demo values.

Both are keyed by content, never by time: a bank by the bytes of its file, a demo value by the
demo, its parameters and a fingerprint of every demo source file (and mlquiz's version), which the
registry computes and callers pass in. Change a
bank or a demo and its entries simply stop matching. ``verify`` never reads the cache: it always
recomputes. The cache lives in ``$MLQUIZ_HOME/cache``; if it cannot be written, it is skipped.
Set ``MLQUIZ_NO_CACHE=1`` to turn it off.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

from mlquiz import datacodec
from mlquiz.paths import cache_dir

VALUES_FILE = "demo-values.json"
MISSING = object()  # a cache miss (None is a valid demo value)


def enabled() -> bool:
    return not os.environ.get("MLQUIZ_NO_CACHE")


def bank_key(path: Path, raw: bytes, demo_fingerprint: str) -> str:
    # the validator consults demo metadata, so a demo change invalidates parsed banks too
    return hashlib.sha256(raw + str(path.resolve()).encode() + demo_fingerprint.encode()).hexdigest()[:32]


def load_bank(key: str, classes: dict[str, type]):
    """A parsed bank from the cache, built only from ``classes``; None when absent or unreadable."""
    return _read_data(cache_dir() / "banks" / f"{key}.json", classes)


def save_bank(key: str, value) -> None:
    _write(cache_dir() / "banks" / f"{key}.json", datacodec.dumps(value))


def _read_data(path: Path, classes: dict[str, type]):
    # JSON, never pickle: a cache file anyone could write must not be able to run code (SECURITY.md)
    try:
        return datacodec.loads(path.read_bytes(), classes)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


def _values_path() -> Path:
    return cache_dir() / VALUES_FILE


@lru_cache(maxsize=1)
def _values(demo_fingerprint: str) -> dict:
    try:
        data = json.loads(_values_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if isinstance(data, dict) and data.get("fingerprint") == demo_fingerprint and isinstance(data.get("entries"), dict):
        return data["entries"]
    # a first run, or demos changed: start from the values the install shipped, when they still match
    from mlquiz.demokit import prebuilt

    return prebuilt.demo_values()


def known_values(demo_fingerprint: str) -> dict:
    """Every value known to this process for these demos: read from disk or computed since."""
    return dict(_values(demo_fingerprint))


def forget_values() -> None:
    """Drop what this process read, so the next lookup reads the disk (and the shipped values) again."""
    _values.cache_clear()


def value_key(demo: str, params: dict, key: str) -> str:
    return json.dumps([demo, sorted(params.items()), key], default=str)


def get_value(demo_fingerprint: str, demo: str, params: dict, key: str):
    return _values(demo_fingerprint).get(value_key(demo, params, key), MISSING)


def put_value(demo_fingerprint: str, demo: str, params: dict, key: str, value) -> None:
    """Remember a value; the file is written once, when the process ends (an export adds hundreds)."""
    _values(demo_fingerprint)[value_key(demo, params, key)] = value
    if demo_fingerprint not in _dirty:
        _dirty.add(demo_fingerprint)
        atexit.register(_flush_values, demo_fingerprint)


_dirty: set[str] = set()  # fingerprints whose values changed in this process


def _flush_values(demo_fingerprint: str) -> None:
    entries = _values(demo_fingerprint)
    try:
        data = json.dumps({"fingerprint": demo_fingerprint, "entries": entries}, allow_nan=False).encode()
    except (TypeError, ValueError):  # a value that is not JSON data: keep the old file rather than crash at exit
        return
    _write(_values_path(), data)


ENTRY_POINT_GROUPS = ("mlquiz.banks", "mlquiz.demos")


def _site_fingerprint() -> str:
    """Installing or removing a package adds or removes a folder in a sys.path entry, which changes
    that entry's mtime; so this changes whenever the installed entry points can have changed."""
    import sys

    parts = []
    cwd = os.getcwd()
    # the working folder (sys.path[0] under -m) changes all the time and never holds installed packages
    for entry in sys.path:
        if entry in ("", ".") or os.path.abspath(entry) == cwd:
            continue
        try:
            parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            parts.append(f"{entry}:-")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def entry_points(group: str) -> list[tuple[str, str]]:
    """Installed (name, value) entry points of ``group``, scanned once per change of sys.path.

    Scanning imports importlib.metadata and reads every installed distribution: about a tenth of
    mlquiz's start-up. The result is cached with the site fingerprint it was read under.
    """
    fingerprint = _site_fingerprint()
    path = cache_dir() / "entry-points.json"
    if enabled():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("fingerprint") == fingerprint:
                return [tuple(pair) for pair in data["groups"].get(group, [])]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    from importlib.metadata import entry_points as scan

    groups = {name: sorted((ep.name, ep.value) for ep in scan(group=name)) for name in ENTRY_POINT_GROUPS}
    if enabled():
        _write(path, json.dumps({"fingerprint": fingerprint, "groups": groups}).encode())
    return groups[group] if group in groups else sorted((ep.name, ep.value) for ep in scan(group=group))


def load_demo_specs(demo_fingerprint: str, classes: dict[str, type]) -> dict:
    """Parsed demo metadata by name, from the cache while no demo source has changed.

    Parsing a demo's source with ast costs several milliseconds; showing a question's
    "see why" command needs its demo's metadata on every start-up.
    """
    if enabled():
        data = _read_data(cache_dir() / "demo-specs.json", classes)
        if isinstance(data, dict) and data.get("fingerprint") == demo_fingerprint and isinstance(data.get("specs"), dict):
            return data["specs"]
    return {}


def save_demo_specs(demo_fingerprint: str, specs: dict) -> None:
    if enabled():
        _write(cache_dir() / "demo-specs.json", datacodec.dumps({"fingerprint": demo_fingerprint, "specs": specs}))


def _write(path: Path, data: bytes) -> None:
    """Atomic replace, so a concurrent reader never sees half a file; failures are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError:
        pass


