"""Chinese line breaking on the terminal (mlquiz/cli/cjkwrap.py): between characters, never before
closing punctuation, and never leaving a line half empty the way breaking only at spaces did."""

import io

from hypothesis import example, given, settings, strategies as st
from rich.cells import cell_len

from mlquiz.cli.cjkwrap import CLOSING, Console, break_offsets

SENTENCE = ("逐层遍历，记录 r（感受野）和 j（跳跃，即到目前为止各层步幅的乘积）：每一层让 r 增加 (k - 1) * j，"
            "然后把 j 乘以该层的步幅。下采样之后的层让感受野增长得更快。")


def pieces(text, width):
    cuts = [0, *break_offsets(text, width), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:])]


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("梯度消失，。（）“” abc123xyz-=*")), max_size=200),
       st.integers(min_value=4, max_value=80))
@example("11111（1）", 4)  # a break opportunity whose remainder was still too wide
def test_every_piece_fits_and_nothing_is_lost(text, width):
    parts = pieces(text, width)
    assert "".join(parts) == text
    assert all(cell_len(part.rstrip()) <= width for part in parts), parts


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("梯度消失爆炸，。（） ")), min_size=1, max_size=200),
       st.integers(min_value=6, max_value=80))
def test_a_line_never_starts_with_closing_punctuation_when_it_could_break_earlier(text, width):
    parts = pieces(text, width)
    for before, part in zip(parts, parts[1:]):
        if part[0] in CLOSING:  # only when the line before had no break opportunity: folded at the edge
            assert cell_len(before) >= width - 1, parts


def screen(text, width):
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(text)
    return out.getvalue().splitlines()


def test_chinese_fills_each_line_instead_of_jumping_to_the_next():
    for width in (40, 60, 100):
        lines = screen(SENTENCE, width)
        assert "".join(line.rstrip() for line in lines).replace(" ", "") == SENTENCE.replace(" ", "")
        # rich alone broke only at spaces: the 60-column screen had a line of 29 cells before a long run
        assert all(cell_len(line) >= width - 3 for line in lines[:-1]), lines


def test_english_wraps_exactly_as_rich_does():
    from rich.console import Console as RichConsole

    text = "Track the jump j (input pixels between neighbouring units): r += (k - 1) * j, then j *= s. " * 3
    plain = io.StringIO()
    RichConsole(file=plain, width=60, color_system=None, highlight=False).print(text)
    assert screen(text, 60) == plain.getvalue().splitlines()
