"""Which banks are loaded: the shipped ones, MLQUIZ_BANKS, installed packages, and --bank paths.

Installed packages declare banks with the entry-point group ``mlquiz.banks``; the entry point
names a module or package whose folder holds the bank files (``mybanks = "my_course.banks"``).
For practice, list and export, a broken bank is reported and skipped so the others keep
working; ``verify`` fails on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from mlquiz.content.model import Bank, Problem
from mlquiz.content.loading import bank_files, load_bank_file, shipped_banks_dir, cross_bank_problems
from mlquiz.errors import MlquizError

ENTRY_POINT_GROUP = "mlquiz.banks"


@dataclass
class Catalog:
    banks: list[Bank]
    problems: list[Problem] = field(default_factory=list)  # broken banks that were skipped

    @property
    def questions(self):
        return [q for bank in self.banks for q in bank.questions]


def bank_sources(extra: list[Path]) -> list[Path]:
    paths = [shipped_banks_dir()]
    env = os.environ.get("MLQUIZ_BANKS", "")
    paths += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    paths += plugin_bank_dirs()
    paths += list(extra)
    return paths


def plugin_bank_dirs() -> list[Path]:
    import importlib.util

    from mlquiz.demokit import cache

    folders = []
    for name, module in cache.entry_points(ENTRY_POINT_GROUP):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):  # a missing parent package raises instead of returning None
            spec = None
        if spec is None or not (spec.submodule_search_locations or spec.origin):
            raise MlquizError(f"bank package {name!r}: module {module!r} not found; reinstall it")
        # a package's folder(s), also for a data folder without __init__.py (a namespace package, no origin)
        folders.extend(Path(p) for p in spec.submodule_search_locations or [Path(spec.origin).parent])
    return folders


def load_cached(path: Path):
    """``load_bank_file`` through the cache: a file with the same bytes is not parsed again."""
    from mlquiz.demokit import cache, registry

    if not cache.enabled():
        return load_bank_file(path)
    try:
        raw = path.read_bytes()
    except OSError:
        return load_bank_file(path)  # reports the problem
    key = cache.bank_key(path, raw, registry.demo_fingerprint())
    hit = cache.load_bank(key)
    if hit is not None:
        return hit
    result = load_bank_file(path)
    cache.save_bank(key, result)
    return result


def load(extra: list[Path]) -> Catalog:
    """Every bank from every source; broken files are skipped and their problems kept."""
    banks: list[Bank] = []
    problems: list[Problem] = []
    for path in bank_files(bank_sources(extra)):
        bank, found = load_cached(path)
        if found or bank is None:
            problems.extend(found)
            continue
        banks.append(bank)
    clashes = cross_bank_problems(banks)
    if clashes:
        # a clash makes progress ambiguous: the problem names the later bank, which is skipped
        problems.extend(clashes)
        banks = [b for b in banks if b.path not in {p.file for p in clashes}]
    return Catalog(banks, problems)


def load_with_only(extra: list[Path], only) -> Catalog:
    """``load`` with the files and folders named by ``--only`` loaded too (``--only my-bank.yaml``)."""
    return load(list(extra) + [Path(v) for v in only or () if Path(v).exists()])
