"""Loading banks: files and folders to validated Banks, every problem collected as a Problem.

One file's problems never stop the others from loading; ids must be unique across every loaded bank.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mlquiz.content.model import Bank, LoadResult, Problem, Question
from mlquiz.content.yamlsrc import MAX_BYTES
from mlquiz.errors import BankError, MlquizError
from mlquiz.i18n import N_, _, msg, said

def bank_files(paths: list[Path]) -> list[Path]:
    """Bank files named by ``paths``: files as given, folders searched for *.yaml / *.yml."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise MlquizError(_("{path}: no such file or folder; check the path").format(path=path))
    # the same file reached by two paths is one bank, not a clash with itself
    return list({f.resolve(): f for f in files}.values())


def load_banks(paths: list[Path]) -> LoadResult:
    """Load and validate every bank under ``paths``; ids must be unique across all of them."""
    files = bank_files(paths)
    banks: list[Bank] = []
    problems: list[Problem] = []
    for path in files:
        bank, found = load_bank_file(path)
        problems.extend(found)
        if bank is not None:
            banks.append(bank)
    problems.extend(cross_bank_problems(banks))
    return LoadResult(banks, problems, [str(f) for f in files])


def load_banks_strict(paths: list[Path]) -> list[Bank]:
    result = load_banks(paths)
    if result.problems:
        raise BankError(result.problems)
    return result.banks


def cross_bank_problems(banks: list[Bank]) -> list[Problem]:
    problems = []
    seen: dict[str, Question] = {}
    bank_ids: dict[str, Bank] = {}
    retired: dict[str, tuple[Bank, str]] = {}
    for bank in banks:
        if bank.id in bank_ids:
            other = bank_ids[bank.id]
            problems.append(Problem(bank.path, 1, 1, None,
                                    msg("bank id {bank} is also used by {path}; give each bank its own id", bank=repr(bank.id),
                                        path=other.path)))
        bank_ids.setdefault(bank.id, bank)
        for old_id, reason in bank.retired:
            retired.setdefault(old_id, (bank, reason))
    for bank in banks:
        for question in bank.questions:
            gone = retired.get(question.id)
            if gone is not None and gone[0] is not bank:
                problems.append(Problem(question.file, question.line, 1, question.id,
                                        msg("id was retired by {path} ({reason}); progress is keyed by id, so a retired id is "
                                            "never reused: choose a new id", path=gone[0].path, reason=gone[1])))
            first = seen.get(question.id)
            if first is not None and first.file != question.file:
                problems.append(Problem(question.file, question.line, 1, question.id,
                                        msg("id is also used in {where}; ids must be unique across all banks (progress is keyed "
                                            "by them): rename one", where=f"{first.file}:{first.line}")))
            seen.setdefault(question.id, question)
    return problems


class UnreadableFile(Exception):
    """A bank file that is not read at all: missing, not a regular file, or too large."""


def read_bank_bytes(path: Path) -> bytes:
    """The bytes of a bank file, checked before reading: a regular file of at most MAX_BYTES.

    A FIFO or a device would block or never end, and a 3 GB file would be read whole just to be
    refused; so the file is opened without blocking, checked with fstat, and read up to the limit.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise UnreadableFile(msg("cannot read file: {reason}", reason=exc.strerror)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnreadableFile(msg("not a regular file ({kind}); a bank is a .yaml file", kind=_file_kind(info.st_mode)))
    if info.st_size > MAX_BYTES:
        os.close(fd)
        raise UnreadableFile(msg("file is {size} bytes; a bank may have at most {limit}; split it", size=f"{info.st_size:,}",
                                 limit=f"{MAX_BYTES:,}"))
    with os.fdopen(fd, "rb") as handle:
        try:
            raw = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise UnreadableFile(msg("cannot read file: {reason}", reason=exc.strerror)) from None
    if len(raw) > MAX_BYTES:  # it grew while we read it
        raise UnreadableFile(msg("file is over {limit} bytes; a bank may have at most {limit}; split it", limit=f"{MAX_BYTES:,}"))
    return raw


def _file_kind(mode: int):
    kinds = ((stat.S_ISFIFO, N_("a FIFO")), (stat.S_ISCHR, N_("a character device")),
             (stat.S_ISBLK, N_("a block device")), (stat.S_ISSOCK, N_("a socket")), (stat.S_ISDIR, N_("a folder")))
    return msg(next((name for test, name in kinds if test(mode)), N_("a special file")))


def load_bank_file(path: Path) -> tuple[Bank | None, list[Problem]]:
    """One bank file to a Bank and its problems. Whatever goes wrong inside becomes a Problem for this
    file: the boundary that keeps one hostile file from stopping the others (or the command)."""
    try:
        return _load_bank_file(path)
    except (Exception, RecursionError, MemoryError) as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        return None, [Problem(str(path), 1, 1, None, msg("cannot load this file ({detail}); if it looks like a valid bank, "
                                                         "please report it as an mlquiz bug", detail=detail))]


def _load_bank_file(path: Path) -> tuple[Bank | None, list[Problem]]:
    from mlquiz.content.yamlsrc import YamlProblem, load_yaml  # parsing is skipped when the cache has the bank

    name = str(path)
    try:
        raw = read_bank_bytes(path)
    except UnreadableFile as exc:
        return None, [Problem(name, 1, 1, None, said(exc))]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return None, [Problem(name, line, 1, None, msg("byte {offset} is not UTF-8; save the file as UTF-8", offset=exc.start))]
    try:
        data, marks = load_yaml(text, name)
    except YamlProblem as exc:
        return None, [Problem(name, exc.line, exc.column, None, exc.message)]
    from mlquiz.content.checks import BankChecker

    checker = BankChecker(name, marks)
    bank = checker.bank(data)
    return bank, checker.all_problems()


def shipped_banks_dir() -> Path:
    """``questions/`` inside the installed package, or beside it in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "questions"
    if installed.is_dir():
        return installed
    return package.parent / "questions"
