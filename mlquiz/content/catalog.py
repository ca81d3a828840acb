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

from mlquiz.content import model
from mlquiz.content.model import Bank, Problem
from mlquiz.i18n import msg
from mlquiz.content.loading import (
    UnreadableFile, bank_files, cross_bank_problems, load_bank_file, read_bank_bytes, shipped_banks_dir,
)
from mlquiz.errors import MlquizError

ENTRY_POINT_GROUP = "mlquiz.banks"
# part of a parsed bank's cache key: bump it when the checker reads a bank differently (2: languages,
# 3: a question without an id is named in the interface language)
CHECKS_REVISION = "/checks-3"
# what a cached bank may be built from: data classes only, never arbitrary objects
CACHED_CLASSES = {cls.__name__: cls for cls in (model.Bank, model.Question, model.DemoRef, model.Tolerance,
                                                 model.CodeRef, model.Problem)}


@dataclass
class Catalog:
    banks: list[Bank]
    problems: list[Problem] = field(default_factory=list)  # broken banks that were skipped

    @property
    def questions(self):
        return [q for bank in self.banks for q in bank.questions]


def bank_sources(extra: list[Path], problems: list[Problem] | None = None) -> list[Path]:
    paths = [shipped_banks_dir()]
    env = os.environ.get("MLQUIZ_BANKS", "")
    paths += [Path(p) for p in env.split(os.pathsep) if p.strip()]
    paths += plugin_bank_dirs(problems)
    paths += list(extra)
    return paths


def plugin_bank_dirs(problems: list[Problem] | None = None) -> list[Path]:
    """The bank folders of installed packages, found without importing them (no plugin code runs).
    An entry point that names no module is a Problem in ``problems`` (or an error if none is given)."""
    from mlquiz.demokit import cache
    from mlquiz.demokit.plugins import locate

    folders = []
    for name, module in cache.entry_points(ENTRY_POINT_GROUP):
        found = locate(module)
        if found is None:
            message = msg("bank package {name}: module {module} not found, so its banks are left out; reinstall it",
                          name=repr(name), module=repr(module))
            if problems is None:
                raise MlquizError(message)
            problems.append(plugin_problem(ENTRY_POINT_GROUP, name, message))
            continue
        # a package's folder(s), also for a data folder without __init__.py (a namespace package, no origin)
        folders.extend(Path(p) for p in found.folders or [Path(found.origin).parent])
    return folders


def plugin_problem(group: str, name: str, message: str) -> Problem:
    return Problem(f"entry point {group}:{name}", 1, 1, None, message)


def plugin_problems() -> list[Problem]:
    """Broken plugin entry points, banks and demos alike, as Problems."""
    from mlquiz.demokit import registry

    problems: list[Problem] = []
    plugin_bank_dirs(problems)
    return problems + [plugin_problem(registry.ENTRY_POINT_GROUP, name, message)
                       for name, message in registry.plugin_problems()]


def load_cached(path: Path):
    """``load_bank_file`` through the cache: a file with the same bytes is not parsed again."""
    from mlquiz.demokit import cache, registry

    try:
        raw = read_bank_bytes(path)
    except UnreadableFile:
        return load_bank_file(path)  # reports the problem
    if not cache.enabled():
        # the install's prebuilt banks are not a cache that can go stale: they are keyed by content
        return shipped_prebuilt(path, raw) or load_bank_file(path)
    key = bank_cache_key(path, raw)
    hit = cache.load_bank(key, CACHED_CLASSES)
    if hit is not None:
        return hit
    result = shipped_prebuilt(path, raw) or load_bank_file(path)
    cache.save_bank(key, result)
    return result


def bank_cache_key(path: Path, raw: bytes) -> str:
    """The cache entry of a bank file's bytes, as this mlquiz checks them, in the current language: a bank's
    problems are stored in the language they were found in, so each language has its own entry."""
    from mlquiz import i18n
    from mlquiz.demokit import cache, registry

    return cache.bank_key(path, raw, registry.demo_fingerprint() + CHECKS_REVISION + "/" + i18n.current())


def shipped_prebuilt(path: Path, raw: bytes):
    """A shipped bank as parsed when the install was built (demokit/prebuilt.py), or None. Only a file
    in the shipped folder qualifies: the stored bank names that folder's file, whatever its bytes."""
    import dataclasses

    from mlquiz import datacodec
    from mlquiz.demokit import prebuilt

    if path.resolve().parent != shipped_banks_dir().resolve():
        return None
    entry = prebuilt.bank_entry(raw)
    if entry is None:
        return None
    try:
        bank = datacodec.decode(entry, CACHED_CLASSES)
    except (ValueError, TypeError, KeyError, RecursionError):
        return None
    if not isinstance(bank, model.Bank):
        return None
    # stored with the build folder's paths; this install's file is the same bytes
    def relocated(question):
        steps = tuple(relocated(step) for step in question.steps)
        return dataclasses.replace(question, file=str(path), steps=steps)

    return dataclasses.replace(bank, path=str(path), questions=tuple(map(relocated, bank.questions))), []


def load(extra: list[Path]) -> Catalog:
    """Every bank from every source; broken files are skipped and their problems kept."""
    from mlquiz.demokit import registry

    banks: list[Bank] = []
    problems: list[Problem] = []
    files: list[Path] = []
    for source in bank_sources(extra, problems):
        try:
            files += bank_files([source])
        except MlquizError as exc:  # a path in MLQUIZ_BANKS or --bank that does not exist
            problems.append(Problem(str(source), 1, 1, None, str(exc).removeprefix(f"{source}: ")))
    problems += [plugin_problem(registry.ENTRY_POINT_GROUP, name, message)
                 for name, message in registry.plugin_problems()]
    for path in list({f.resolve(): f for f in files}.values()):
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
