"""Writes ``mlquiz/prebuilt.json.gz`` (see mlquiz/demokit/prebuilt.py): every shipped bank parsed and
every demo value its questions use, computed the way a session computes them.

Run by the wheel's build hook (``hatch_build.py``), or by hand after editing a bank in a checkout:

    python -m mlquiz.content.prebuild            # writes mlquiz/prebuilt.json.gz
    python -m mlquiz.content.prebuild OUT.json.gz
    python -m mlquiz.content.prebuild --if-stale   # only when a bank or the code changed since
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def build(out: Path) -> tuple[int, int]:
    """Write the file; (banks, values) stored. Banks with any problem are left out (they are parsed
    on the user's machine, where their problems are reported)."""
    import os

    # values are collected through the cache, so it must start empty and be this call's own
    saved = {name: os.environ.get(name) for name in ("MLQUIZ_HOME", "MLQUIZ_NO_CACHE")}
    os.environ.pop("MLQUIZ_NO_CACHE", None)
    try:
        with tempfile.TemporaryDirectory() as home:
            os.environ["MLQUIZ_HOME"] = home
            return _build(out)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _build(out: Path) -> tuple[int, int]:
    from mlquiz import datacodec
    from mlquiz.content.items import make_item
    from mlquiz.content.loading import bank_files, load_bank_file, read_bank_bytes, shipped_banks_dir
    from mlquiz.demokit import cache, prebuilt, registry

    cache.forget_values()  # this call's empty cache, not values an earlier lookup read
    banks: dict = {}
    for path in bank_files([shipped_banks_dir()]):
        bank, problems = load_bank_file(path)
        if bank is None or problems:
            print(f"{path}: left out ({problems[0] if problems else 'no bank'})", file=sys.stderr)
            continue
        banks[prebuilt.bank_digest(read_bank_bytes(path))] = datacodec.encode(bank)
        for question in bank.questions:
            for variant in range(question.variant_count):
                make_item(question, variant)  # fills the value cache
    values = cache.known_values(registry.demo_fingerprint())
    prebuilt.write(out, banks, values)
    return len(banks), len(values)


def up_to_date(out: Path) -> bool:
    """``out`` is the file in use, it matches these sources, and it holds every shipped bank as it is."""
    from mlquiz.content.loading import bank_files, read_bank_bytes, shipped_banks_dir
    from mlquiz.demokit import prebuilt

    if out.resolve() != prebuilt.FILE.resolve() or not prebuilt.contents():
        return False
    return all(prebuilt.bank_entry(read_bank_bytes(path)) is not None for path in bank_files([shipped_banks_dir()]))


def main(argv: list[str]) -> int:
    from mlquiz.demokit import prebuilt

    if_stale = "--if-stale" in argv  # the build hook runs twice (metadata, then the wheel)
    args = [a for a in argv if a != "--if-stale"]
    out = Path(args[0]) if args else prebuilt.FILE
    if if_stale and up_to_date(out):
        print(f"{out}: up to date")
        return 0
    banks, values = build(out)
    if banks == 0:
        out.unlink(missing_ok=True)
        print(f"{out}: no shipped bank could be parsed, so nothing was written", file=sys.stderr)
        return 1
    print(f"{out}: {banks} banks, {values} demo values")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
