"""What an install ships precomputed, so the first run after installing is as quick as any other.

On a fresh install the caches in ``$MLQUIZ_HOME/cache`` are empty: the first ``mlquiz practice``
would parse every shipped bank (PyYAML, about a second) and import numpy to compute the first
question's numbers. The wheel's build hook (``hatch_build.py``) runs ``mlquiz.content.prebuild``,
which writes ``mlquiz/prebuilt.json.gz``: the shipped banks as parsed, and every demo value they
use. A cache miss looks here before computing.

The caches are keyed by paths and modification times, which differ on every install; this file is
keyed by content instead: a digest of mlquiz's and the built-in demos' sources, and of each bank's
bytes. Anything that does not match (an edited bank, a changed demo) is ignored, and the run
computes as it would without the file. Like the caches it is JSON, built only into listed data
classes (mlquiz/datacodec.py), so reading it cannot run code.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

FILE = Path(__file__).resolve().parents[1] / "prebuilt.json.gz"
FORMAT = 1


def source_digest() -> str:
    """A digest of every source file whose change could change a parsed bank or a demo value."""
    from mlquiz import __version__
    from mlquiz.demokit.registry import builtin_demo_dirs

    package = FILE.parent
    # the same files whether demos sit in the package (a wheel) or beside it (a checkout)
    files = {f"mlquiz/{path.relative_to(package).as_posix()}": path for path in package.rglob("*.py")
             if path.relative_to(package).parts[0] != "demos"}
    for folder in builtin_demo_dirs():
        files.update({f"demos/{path.name}": path for path in Path(folder).glob("*.py")})
    digest = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    for name in sorted(files):
        digest.update(f"{name}\0".encode())
        digest.update(files[name].read_bytes())
    return digest.hexdigest()


def bank_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@lru_cache(maxsize=1)
def contents() -> dict:
    """The file's data when it matches the sources here, else an empty dict (absent, stale or damaged)."""
    try:
        data = json.loads(gzip.decompress(FILE.read_bytes()))
        if isinstance(data, dict) and data.get("sources") == source_digest():
            return data
    except (OSError, ValueError, EOFError, gzip.BadGzipFile):
        pass
    return {}


def bank_entry(raw: bytes):
    """The encoded parsed bank for a shipped file with these bytes, or None."""
    banks = contents().get("banks")
    return banks.get(bank_digest(raw)) if isinstance(banks, dict) else None


def demo_values() -> dict:
    """Demo values by cache key (``cache.value_key``) for every number the shipped banks use."""
    values = contents().get("values")
    return dict(values) if isinstance(values, dict) else {}


def write(path: Path, banks: dict, values: dict) -> None:
    data = {"format": FORMAT, "sources": source_digest(), "banks": banks, "values": values}
    raw = gzip.compress(json.dumps(data, separators=(",", ":"), allow_nan=False).encode(), mtime=0)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_bytes(raw)
    temp.replace(path)
