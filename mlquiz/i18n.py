"""The interface language: which one is chosen, and its messages, from gettext catalogs.

English is the source: every string mlquiz prints is written in English and marked ``_()``
(``ngettext`` for counts). Each other language has one catalog, ``locale/LANG/LC_MESSAGES/mlquiz.po``,
which translators edit with their usual tools (Poedit, Lokalize, ``msgmerge``); ``scripts/i18n.py``
extracts ``locale/mlquiz.pot`` from the code. The .po file is read as it is, at the first message
shown in that language (``read_po``), so nothing is compiled, installed or kept in step: an English
session never opens a catalog.

The language is chosen in this order: ``--lang``, ``MLQUIZ_LANG``, the settings file's ``language``,
the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English. A language that is asked for by
name and has no catalog is an error; a locale mlquiz does not speak is English.
"""

from __future__ import annotations

import os

from mlquiz.errors import MlquizError

SOURCE = "en"
LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
DOMAIN = "mlquiz"
ENV = "MLQUIZ_LANG"
# languages whose grammar has one form for every count (gettext's "nplurals=1; plural=0")
ONE_FORM = {"zh", "ja", "ko", "vi", "th"}
NAMES = {"en": "English", "zh": "简体中文"}

_current = SOURCE
_catalogs: dict[str, dict] = {}


def available() -> tuple[str, ...]:
    """English and every language with a catalog."""
    try:
        found = sorted(name for name in os.listdir(LOCALE_DIR)
                       if os.path.isfile(catalog_path(name)))
    except OSError:
        found = []
    return (SOURCE, *[name for name in found if name != SOURCE])


def catalog_path(lang: str) -> str:
    return os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", f"{DOMAIN}.po")


def normalize(code: str) -> str:
    """``zh_CN.UTF-8`` -> ``zh``; ``zh-Hans`` -> ``zh``; ``EN`` -> ``en``: the language part, lowercase."""
    code = code.strip().split(".")[0].split("@")[0]
    return code.replace("-", "_").split("_")[0].casefold()


def from_locale(environ=None) -> str | None:
    """The language the user's locale names, if mlquiz has it (``C`` and ``POSIX`` name none)."""
    environ = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):  # POSIX precedence: the first one set decides
        value = environ.get(name, "").strip()
        if value:
            lang = normalize(value)
            return lang if lang in available() else None
    return None


def check(lang: str, where: str = "--lang") -> str:
    """``lang`` normalised, or a one-line error naming the languages there are."""
    code = normalize(lang) if lang and lang.strip() else ""
    if code in available():
        return code
    names = ", ".join(f"{code} ({NAMES.get(code, code)})" for code in available())
    raise MlquizError(_("{where}: unknown language {lang}; available: {names}").format(
        where=where, lang=repr(lang), names=names))


def choose(flag: str | None = None, settings_language: str | None = None, settings_file: str | None = None,
           environ=None) -> str:
    """The language in force: the flag, MLQUIZ_LANG, the settings, the locale, else English."""
    environ = os.environ if environ is None else environ
    if flag:
        return check(flag, "--lang")
    if environ.get(ENV, "").strip():
        return check(environ[ENV], ENV)
    if settings_language:
        return check(settings_language, f"{settings_file or 'settings'}: language")
    return from_locale(environ) or SOURCE


def use(lang: str) -> None:
    """Print the interface in ``lang`` from now on; its catalog is read at the first message."""
    global _current
    _current = lang


def current() -> str:
    return _current


def _catalog(lang: str) -> dict:
    catalog = _catalogs.get(lang)
    if catalog is None:
        try:
            with open(catalog_path(lang), encoding="utf-8") as handle:
                catalog = read_po(handle.read())
        except (OSError, UnicodeDecodeError, ValueError):
            catalog = {}  # a missing or broken catalog shows English, never a traceback
        _catalogs[lang] = catalog
    return catalog


def _(message: str) -> str:
    """``message`` in the current language (itself in English or where no translation exists)."""
    if _current == SOURCE:
        return message
    return _catalog(_current).get(message) or message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` in the current language: English has two, Chinese one."""
    if _current != SOURCE:
        forms = _catalog(_current).get((singular, plural))
        if forms:
            index = 0 if _current in ONE_FORM else int(n != 1)
            if index < len(forms) and forms[index]:
                return forms[index]
    return singular if n == 1 else plural


CONTEXT_SEPARATOR = "\x04"  # gettext's own: a message with a msgctxt is known as context + EOT + msgid


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language where the same English word needs another translation
    (``msgctxt`` in the catalog): ``pgettext("chart axis", "error")`` is 误差, ``_("error")`` is 错误."""
    if _current == SOURCE:
        return message
    return _catalog(_current).get(f"{context}{CONTEXT_SEPARATOR}{message}") or message


def label(message: str) -> str:
    """``_(message)`` as a label before a value: ``answer: 42`` in English, ``答案：42`` in Chinese, where the
    full-width colon carries its own space."""
    text = _(message)
    return text if text.endswith("\uff1a") else text + " "


def N_(message: str) -> str:
    """Marks a string for the catalog where it is defined; ``_()`` translates it where it is shown."""
    return message


class Message(str):
    """A message in the current language that remembers its English: ``str`` is what the screen shows,
    ``.english`` what ``--json`` and the logs give, so scripts read the same words in every language."""

    english: str

    def __new__(cls, shown: str, english: str | None = None) -> "Message":
        made = super().__new__(cls, shown)
        made.english = shown if english is None else english
        return made


def msg(template: str, **fields) -> Message:
    """``template.format(**fields)`` in the current language and in English, as one Message.

    The template is a catalog message (the extractor reads ``msg("...")`` as it reads ``_("...")``); a field
    that is itself a Message (or an exception raised with one) is filled in with its own form in each language."""
    forms = {name: _forms(value) for name, value in fields.items()}
    return Message(_(template).format(**{k: v[0] for k, v in forms.items()}),
                   template.format(**{k: v[1] for k, v in forms.items()}))


def _forms(value) -> tuple:
    """(shown, English) for a field of ``msg``."""
    if isinstance(value, BaseException):
        value = said(value)
    if isinstance(value, Message):
        return str(value), value.english
    return value, value


def said(exc: BaseException) -> str:
    """What ``exc`` says: the Message it was raised with (so its English is kept), else its text."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Message) else str(exc)


def english(text: str) -> str:
    """The English form of ``text``: a Message's ``.english``, or ``text`` itself."""
    return getattr(text, "english", text)


# the words a question's header shows, in practice, show and the exports
DIFFICULTY_NAMES = {"easy": N_("easy"), "medium": N_("medium"), "hard": N_("hard")}
TYPE_NAMES = {"choice": N_("choice"), "multi": N_("multi"), "truefalse": N_("truefalse"), "numeric": N_("numeric"),
              "text": N_("text"), "recall": N_("recall"), "steps": N_("steps")}


def difficulty_name(difficulty: str) -> str:
    return _(DIFFICULTY_NAMES[difficulty]) if difficulty in DIFFICULTY_NAMES else difficulty


def type_name(kind: str) -> str:
    return _(TYPE_NAMES[kind]) if kind in TYPE_NAMES else kind


def read_po(text: str) -> dict:
    """A .po catalog as ``{msgid: msgstr}`` and ``{(msgid, msgid_plural): [msgstr[0], ...]}``.

    Reads what gettext tools write: comments, ``msgctxt`` (such an entry is kept as
    ``context + "\\x04" + msgid``, what ``pgettext`` looks up), multi-line strings, the usual escapes, plural forms. Untranslated and fuzzy entries are
    left out, so they show in English. The header entry (msgid "") is left out too.
    """
    entries: dict = {}
    entry: dict = {}
    key = None
    fuzzy = False

    def finish():
        nonlocal entry, fuzzy
        msgid = entry.get("msgid")
        if msgid and not fuzzy and "msgctxt" in entry:
            if "msgid_plural" not in entry and entry.get("msgstr"):
                entries[f"{entry['msgctxt']}{CONTEXT_SEPARATOR}{msgid}"] = entry["msgstr"]
        elif msgid and not fuzzy:
            if "msgid_plural" in entry:
                forms = [entry[k] for k in sorted((k for k in entry if isinstance(k, int)))]
                if any(forms):
                    entries[(msgid, entry["msgid_plural"])] = forms
            elif entry.get("msgstr"):
                entries[msgid] = entry["msgstr"]
        entry, fuzzy = {}, False

    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if entry.get("msgstr") is not None or any(isinstance(k, int) for k in entry):
                finish()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith('"'):
            if key is None:
                raise ValueError(f"line {number}: a string continues no keyword")
            entry[key] += _unquote(line, number)
            continue
        word, _space, rest = line.partition(" ")
        if word.startswith("msgstr["):
            new_key = int(word[7:-1])
        elif word in ("msgctxt", "msgid", "msgid_plural", "msgstr"):
            new_key = word
        else:
            raise ValueError(f"line {number}: unknown keyword {word!r}")
        if new_key in ("msgid", "msgctxt") and ("msgstr" in entry or any(isinstance(k, int) for k in entry)):
            finish()
        key = new_key
        entry[key] = _unquote(rest.strip(), number)
    finish()
    return entries


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str, number: int) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"line {number}: expected a quoted string")
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)
