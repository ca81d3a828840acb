"""Export banks to other tools: Anki (.apkg), Moodle GIFT, and Markdown and HTML study sheets.

Every exporter takes concrete items: a parameterized question becomes ``variants`` of its
variants (the first ones, so exports are reproducible), each with its numbers computed.

May import: ``mlquiz.errors``, ``mlquiz.paths``, ``mlquiz.demokit``, ``mlquiz.content``. Never
``practice`` or ``cli``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlquiz.errors import MlquizError
from mlquiz.i18n import _

FORMATS = ("anki", "gift", "markdown", "html")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    questions: int
    items: int
    skipped_banks: int
    figures: int = 0  # html: demo figures drawn
    notes: tuple[str, ...] = ()  # what the format could not express as it is, and what was done instead


def select_banks(loaded, wanted):
    """Keep only the banks named by ``wanted`` (``--only``: a file, a folder or a bank id); all when empty."""
    import difflib

    from mlquiz.content.catalog import Catalog

    if not wanted:
        return loaded
    paths = [Path(w).resolve() for w in wanted if Path(w).exists()]
    ids = {str(w) for w in wanted if not Path(w).exists()}
    known = {b.id for b in loaded.banks}
    for bank_id in ids - known:
        close = difflib.get_close_matches(bank_id, known, n=1)
        hint = _("did you mean {name}? ").format(name=repr(close[0])) if close else ""
        raise MlquizError(_("--only {value} is neither a file nor a bank id; {hint}banks: {banks}").format(
            value=repr(bank_id), hint=hint, banks=", ".join(sorted(known))))
    banks = [b for b in loaded.banks if b.id in ids
             or any(Path(b.path).resolve() == p or p in Path(b.path).resolve().parents for p in paths)]
    return Catalog(banks, loaded.problems)


def export_items(catalog, *, topics=(), variants: int = 1, lang: str = "en"):
    """(bank, items) pairs for the catalog's banks, filtered by topic, with ``variants`` per question,
    in ``lang`` where a question has it (else in English)."""
    from mlquiz.content.items import make_item, shuffled, stable_rng

    from mlquiz.content.filters import resolve

    topics = resolve(topics, {q.topic for q in catalog.questions}, "topic", "--topic")
    result = []
    for bank in catalog.banks:
        items = [make_item(q, v, lang) for q in bank.questions if not topics or q.topic in topics
                 for v in range(min(variants, q.variant_count))]
        items = [shuffled(item, stable_rng(item)) for item in items]  # same order in every export
        if items:
            result.append((bank, items))
    if not result:
        raise MlquizError(_("nothing to export: no question matches"))
    return result


def untranslated(items, lang: str) -> list[str]:
    """A note on the questions exported in English because they have no ``lang`` text."""
    from mlquiz.content.model import question_languages
    from mlquiz.i18n import ngettext

    if lang == "en":
        return []
    questions = {item.id: item.question for item in items}
    missing = sum(1 for q in questions.values() if lang not in question_languages(q))
    if not missing:
        return []
    return [ngettext("{missing} of {total} question has no {lang} text yet and is in English",
                     "{missing} of {total} questions have no {lang} text yet and are in English", missing).format(
        missing=missing, total=len(questions), lang=lang)]


def export(fmt: str, out: Path, *, extra_banks=(), only=(), topics=(), variants: int = 1, deck_by: str = "bank",
           warn=None, lang: str = "en") -> ExportResult:
    """Export every loaded bank (the shipped ones and ``extra_banks``, as ``--bank`` means everywhere),
    or only those ``only`` names (bank ids, or files and folders, which are loaded too)."""
    from mlquiz.content import catalog

    if fmt not in FORMATS:
        raise MlquizError(_("unknown export format {format}; use one of {formats}").format(
            format=repr(fmt), formats=", ".join(FORMATS)))
    for path in extra_banks:
        if not Path(path).exists():
            raise MlquizError(_("--bank {path}: no such file or folder; --bank adds a bank file or folder, "
                                "--only {path} exports only the bank of that id").format(path=path))
    loaded = select_banks(catalog.load_with_only([Path(b) for b in extra_banks], only), only)
    if loaded.problems and warn:
        warn(loaded.problems)
    groups = export_items(loaded, topics=tuple(topics), variants=variants, lang=lang)
    if out.parent and not out.parent.exists():
        raise MlquizError(_("{path}: no such folder; create it first").format(path=out.parent))
    notes: list[str] = []
    if fmt == "anki":
        from mlquiz.export.anki import write_apkg

        write_apkg(groups, out, deck_by=deck_by)
    elif fmt == "gift":
        from mlquiz.export.gift import write_gift

        notes = write_gift(groups, out)
    elif fmt == "markdown":
        from mlquiz.export.markdown import write_markdown

        write_markdown(groups, out)
    figures = 0
    if fmt == "html":
        from mlquiz.export.html import write_html

        figures = write_html(groups, out, lang)
    items = [item for _, group in groups for item in group]
    notes += untranslated(items, lang)
    return ExportResult(out, len({i.id for i in items}), len(items),
                        len({p.file for p in loaded.problems}), figures, tuple(notes))
