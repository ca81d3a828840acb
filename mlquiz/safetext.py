"""Text from banks, plugins, files and the candidate, made safe to put on a terminal.

The one place where outside text is made safe for the screen: ``terminal(text)`` escapes rich
markup (``[/]``, ``[link=...]``) and shows control characters as ``\\x1b``, so no bank, plugin or
typed answer can style the output, plant a hyperlink, set the window title or clear the screen.
``find_control`` and ``describe`` let the bank checker reject the same characters at load time
with ``file:line``.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls (0x9b is a one-byte CSI), bidirectional
# overrides and isolates (text that reads differently from how it is stored), lone surrogates
# (undecodable input bytes, which a strict UTF-8 stdout cannot even print)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_C0_NAMES = ("NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB "
             "ESC FS GS RS US").split()


def visible(text: str) -> str:
    """``text`` with every control character written out as ``\\x1b`` / ``\\u202e``."""
    return _CONTROL.sub(_show, text)


def _show(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """``text`` as rich markup that prints exactly as written, controls made visible."""
    from rich.markup import escape

    return escape(visible(str(text)))


_SURROGATE = re.compile("[\ud800-\udfff]")


def typed(text: str) -> str:
    """A line as typed, with bytes that were not UTF-8 (surrogate escapes) as U+FFFD, so it can be
    graded, stored and printed like any other answer."""
    return _SURROGATE.sub("\ufffd", text)


def find_control(text: str) -> tuple[int, str] | None:
    """(index, character) of the first control character in ``text``, or None."""
    match = _CONTROL.search(text)
    return (match.start(), match.group()) if match else None


def describe(char: str) -> str:
    """``U+001B (ESC)``: a character as a person can look it up."""
    import unicodedata

    code = ord(char)
    if code < 0x20:
        name = _C0_NAMES[code]
    elif code == 0x7F:
        name = "DEL"
    elif 0xD800 <= code <= 0xDFFF:
        name = "an undecodable byte"
    else:
        name = unicodedata.name(char, "a C1 control" if code <= 0x9F else "a control character")
    return f"U+{code:04X} ({name})"
