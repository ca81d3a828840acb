"""The message catalog kept in step with the code: ``python -m mlquiz.i18n_extract``.

Reads every ``_("...")``, ``N_("...")``, ``msg("...", field=...)``, ``label("...")``, ``pgettext("context", "...")`` and ``ngettext("...", "...", n)`` in the package with ast,
and in the built-in demos (the checkout's top-level ``demos/`` folder: their labels, and the ``title`` and ``summary`` of each
demo's ``META``), writes the template ``locale/mlquiz.pot``, and merges it into each ``locale/LANG/LC_MESSAGES/mlquiz.po``
as ``msgmerge`` would: translations kept, new messages added untranslated, messages the code no longer
has dropped. ``--check`` changes nothing and exits 1 if a file is out of date (the tests run it).
Only the standard library: Poedit, Lokalize and the gettext tools read and write the same files.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from mlquiz import i18n

PACKAGE = Path(__file__).parent
DEMOS = PACKAGE.parent / "demos"  # the built-in demos in a source checkout (mlquiz/demos holds only __init__)
POT = PACKAGE / "locale" / f"{i18n.DOMAIN}.pot"
HEADER = {
    "Project-Id-Version": "mlquiz",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
}
PLURAL_FORMS = {"zh": "nplurals=1; plural=0;"}
FIELD = re.compile(r"(?<!\{)\{([a-z_][a-z0-9_]*)\}(?!\})")


def messages(root: Path = PACKAGE, demos: Path | None = None) -> dict:
    """msgid (or (singular, plural)) -> the places it is used, in the order first met.

    ``demos`` (by default the checkout's ``demos/`` next to the package) is read too: its marks and META titles and summaries.
    """
    found: dict = {}
    if demos is None and root == PACKAGE and DEMOS.is_dir():
        demos = DEMOS
    paths = [path for path in sorted(root.rglob("*.py")) if "demos" not in path.relative_to(root).parts]
    paths += sorted(demos.glob("*.py")) if demos is not None else []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(root.parent if path.is_relative_to(root) else demos.parent).as_posix()
        if demos is not None and path.parent == demos:
            for text, line in _meta_texts(tree):
                found.setdefault(text, []).append((where, line))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = node.args
            strings = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if node.func.id in ("_", "N_", "label") and len(args) == 1 and len(strings) == 1 \
                    or node.func.id == "msg" and len(args) == 1 and isinstance(args[0], ast.Constant) and strings:
                key = strings[0]
            elif node.func.id == "pgettext" and len(args) == 2 and len(strings) == 2:
                key = f"{strings[0]}{i18n.CONTEXT_SEPARATOR}{strings[1]}"
            elif node.func.id == "ngettext" and len(args) == 3 and len(strings) == 2:
                key = (strings[0], strings[1])
            else:
                continue
            found.setdefault(key, []).append((where, node.lineno))
    ordered = sorted(((key, sorted(places)) for key, places in found.items()), key=lambda kv: kv[1][0])
    return {key: [f"{path}:{line}" for path, line in places] for key, places in ordered}


def _meta_texts(tree: ast.Module) -> list[tuple[str, int]]:
    """A demo's ``META["title"]`` and ``META["summary"]`` with their lines, read from the literal as the registry reads
    it: ``mlquiz demo NAME`` shows the title as its heading, ``mlquiz demo`` lists the summaries."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "META" for t in node.targets) \
                and isinstance(node.value, ast.Dict):
            return [(value.value, value.lineno) for key, value in zip(node.value.keys, node.value.values)
                    if isinstance(key, ast.Constant) and key.value in ("title", "summary")
                    and isinstance(value, ast.Constant) and isinstance(value.value, str)]
    return []


def fields(text: str) -> set[str]:
    """The ``{name}`` fields ``str.format`` fills in a message."""
    return set(FIELD.findall(text))


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def entry(key, places, translation=None) -> str:
    lines = [f"#: {' '.join(places[:4])}"]
    if any(fields(k) for k in (key if isinstance(key, tuple) else (key,))):
        lines.append("#, python-brace-format")
    if isinstance(key, tuple):
        forms = translation or [""]
        lines += [f"msgid {quote(key[0])}", f"msgid_plural {quote(key[1])}"]
        lines += [f"msgstr[{n}] {quote(form)}" for n, form in enumerate(forms)]
    elif i18n.CONTEXT_SEPARATOR in key:
        context, message = key.split(i18n.CONTEXT_SEPARATOR, 1)
        lines += [f"msgctxt {quote(context)}", f"msgid {quote(message)}", f"msgstr {quote(translation or '')}"]
    else:
        lines += [f"msgid {quote(key)}", f"msgstr {quote(translation or '')}"]
    return "\n".join(lines)


def header(lang: str | None) -> str:
    values = dict(HEADER)
    if lang:
        values["Language"] = lang
        values["Plural-Forms"] = PLURAL_FORMS.get(lang, "nplurals=2; plural=(n != 1);")
    body = "".join(f'"{k}: {v}\\n"\n' for k, v in values.items())
    title = f"# {i18n.NAMES.get(lang, lang)} messages for mlquiz." if lang else "# mlquiz's messages: the template."
    return (f"{title}\n# Generated and merged by python -m mlquiz.i18n_extract; translate the msgstr lines.\n"
            f'msgid ""\nmsgstr ""\n{body.rstrip()}')


def render(found: dict, lang: str | None = None, translations: dict | None = None) -> str:
    translations = translations or {}
    parts = [header(lang)]
    for key, places in found.items():
        parts.append(entry(key, places, translations.get(key) if lang else None))
    return "\n\n".join(parts) + "\n"


def outdated(write: bool) -> list[str]:
    """The catalog files that differ from what the code says (rewritten when ``write``)."""
    found = messages()
    wanted = {POT: render(found)}
    for lang in i18n.available()[1:]:
        path = Path(i18n.catalog_path(lang))
        wanted[path] = render(found, lang, i18n.read_po(path.read_text(encoding="utf-8")))
    def content(text: str) -> list[str]:  # where a message is used moves with every edit; what it says matters
        return [line for line in text.splitlines() if not line.startswith("#:")]

    stale = []
    for path, text in wanted.items():
        if not path.exists() or content(path.read_text(encoding="utf-8")) != content(text):
            stale.append(str(path))
            if write:
                path.write_text(text, encoding="utf-8")
    return stale


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = outdated(write=not check)
    for path in stale:
        print(f"{path}: {'outdated; run python -m mlquiz.i18n_extract' if check else 'updated'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
