"""Line breaking for Chinese text on the terminal.

rich breaks lines only at spaces, so a Chinese sentence (which has none) is one long "word": it is
moved whole to the next line, leaving the line before it half empty, and then folded at the panel's
edge. Chinese may break between any two characters, except before closing punctuation (，。）)
or after opening punctuation (（“); that is what ``break_offsets`` does, and spaces still break as
before. ``Console`` is rich's console with this applied to every text it renders.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.console import Console as RichConsole
from rich.containers import Lines
from rich.text import Text

_WIDE = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\uac00-\ud7af]")
CLOSING = set("，。、；：？！）》」』】〉”’％…,.;:?!)]}%")
OPENING = set("（《「『【〈“‘([{")


def _breakable_before(text: str, i: int) -> bool:
    before, char = text[i - 1], text[i]
    if char.isspace() or char in CLOSING or before in OPENING:
        return False
    if before.isspace():
        return True
    return bool(_WIDE.match(char) or _WIDE.match(before))


def break_offsets(text: str, width: int) -> list[int]:
    """Where to break ``text`` (one line, no newlines) so that each piece fits ``width`` cells; a piece
    with no break opportunity is folded at the edge, as rich folds a long word."""
    offsets: list[int] = []
    start, column = 0, 0
    last, last_column = None, 0  # the latest break opportunity on this line, and the cells before it
    for i, char in enumerate(text):
        if i > start and _breakable_before(text, i):
            last, last_column = i, column
        cells = cell_len(char)
        if column + cells > width and not char.isspace() and i > start:
            if last is not None and last > start:
                start, column = last, column - last_column
                offsets.append(start)
            if column + cells > width and i > start:  # no opportunity, or what follows it is still too wide
                start, column = i, 0
                offsets.append(start)
            last = None
        column += cells
    return offsets


class WrappingText(Text):
    """A Text that breaks Chinese lines between characters (see the module docstring)."""

    __slots__ = ()  # Text's layout, so a rendered Text can become one

    def wrap(self, console, width, *, justify=None, overflow=None, tab_size=8, no_wrap=None) -> Lines:
        if no_wrap or self.no_wrap or overflow == "ignore" or not _WIDE.search(self.plain):
            return super().wrap(console, width, justify=justify, overflow=overflow, tab_size=tab_size,
                                no_wrap=no_wrap)
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            pieces = line.divide(break_offsets(line.plain, width))
            for piece in pieces:
                piece.rstrip_end(width)
            pieces.justify(console, width, justify=justify or self.justify or "default",
                           overflow=overflow or self.overflow or "fold")
            for piece in pieces:
                piece.truncate(width, overflow=overflow or self.overflow or "fold")
            lines.extend(pieces)
        return lines


class _Block:
    """One text as a renderable of its own: ``print`` joins bare texts into a plain Text, which would
    lose WrappingText's line breaking."""

    def __init__(self, text: Text):
        self.text = text

    def __rich_console__(self, console, options):
        yield self.text


class Console(RichConsole):
    """rich's Console, with markup strings rendered as WrappingText."""

    def render_str(self, text: str, **kwargs) -> Text:
        rendered = super().render_str(text, **kwargs)
        if type(rendered) is Text and _WIDE.search(rendered.plain):
            rendered.__class__ = WrappingText
        return rendered

    def print(self, *objects, **kwargs) -> None:
        if len(objects) == 1 and not kwargs and isinstance(objects[0], str) and _WIDE.search(objects[0]):
            objects = (_Block(self.render_str(objects[0])),)
        super().print(*objects, **kwargs)
