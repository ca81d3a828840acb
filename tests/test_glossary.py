"""Translations use the glossary's terms (docs/glossary.md): where a question's English text uses a
term, the zh text of the same field uses the term's Chinese form.

Checked on every loaded bank question that has a zh text, and on a fixture bank with one consistent
and one inconsistent question. Code, demo names and "numerical precision" are not prose, so they
do not ask for a term (`momentum=0.1` is an argument, not 动量).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
FIXTURES = Path(__file__).parent / "fixtures" / "i18n"


def read_glossary(path: Path = GLOSSARY) -> list[tuple[tuple[str, ...], str, str]]:
    """(English forms, Chinese form as written, the Chinese head that a text must contain)."""
    terms = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) != 3 or cells[0] in ("English", "---") or set(cells[0]) <= {"-"}:
            continue
        english, chinese, also = cells
        forms = (english, *[a.strip() for a in also.split(",") if a.strip()])
        terms.append((forms, chinese, chinese.split(" (")[0].strip()))
    return terms


def pattern(form: str) -> re.Pattern:
    """``cross-validation`` also as ``cross validation``; a plural s or es; whole words, any case."""
    words = [re.escape(w) for w in re.split(r"[ -]", form)]
    return re.compile(r"(?<![\w-])" + r"[ -]".join(words) + r"(?:s|es)?(?![\w-])", re.IGNORECASE)


# what reads as a term but is not one: code (`x`, nn.BatchNorm2d(momentum=0.1), stride=2), a demo's name
# ("the batchnorm demo", mlquiz demo conv-output-size) and a number format's precision
NOT_PROSE = re.compile(r"`[^`]*`|\b[\w.]+\([^()]*\)|\b\w+\.\w[\w.]*|\b\w+ ?= ?\S+|\bmlquiz demo [\w-]+|\b[\w-]+ demos?\b"
                       r"|\b(?:numerical|floating[- ]point|float(?:16|32|64)?|machine|double|single|half|arithmetic|mixed|finite)"
                       r"[- ]precision\b", re.IGNORECASE)


# pooling the counts of all classes ("micro pooling", "pooling all tokens per feature") is not the CNN
# layer 池化; "sensitivity to the base rate" is not the metric 灵敏度
NOT_THE_TERM = re.compile(r"\bmicro[- ]pooling\b|\bpooling (?:the |all )?(?:counts|predictions|errors|statistics|tokens)\b"
                          r"|\bsensitivity to\b", re.IGNORECASE)


def prose(text: str) -> str:
    return NOT_THE_TERM.sub(" ", NOT_PROSE.sub(" ", text))


# BatchNorm's `momentum` argument (PyTorch's momentum=0.1 in the running-statistics update) is not the
# optimizer's 动量; its zh text says "momentum 参数" or momentum=0.1. So in a question whose English speaks
# of running_mean, running_var or the running statistics, a zh text that writes "momentum" is consistent.
RUNNING_STATS = re.compile(r"\brunning[_ ](?:mean|var|statistic|stat|estimate)s?\b|\brunning = ", re.IGNORECASE)


def bn_momentum(question, forms, zh: str) -> bool:
    return (forms[0] == "momentum" and "momentum" in zh
            and any(RUNNING_STATS.search(text["en"]) for _, text in localized(question)))


def localized(question):
    from mlquiz.content.model import localized_texts

    return [(name, text) for name, text in localized_texts(question) if "zh" in text]


def inconsistencies(question, terms) -> list[str]:
    found = []
    for name, text in localized(question):
        if text["zh"] == text["en"]:
            continue  # code or a formula, the same in every language
        for forms, chinese, head in terms:
            if bn_momentum(question, forms, text["zh"]):
                continue
            if any(pattern(form).search(prose(text["en"])) for form in forms) and head not in text["zh"]:
                found.append(f"{question.id} {name}: {forms[0]!r} is {chinese!r} in the glossary, "
                             f"but the zh text reads {text['zh']!r}")
    return found


def test_the_glossary_has_the_core_terms_once_each():
    terms = read_glossary()
    assert len(terms) >= 60
    english = [forms[0] for forms, _, _ in terms]
    assert len(english) == len(set(english))
    table = {forms[0]: chinese for forms, chinese, _ in terms}
    assert table["vanishing gradient"] == "梯度消失" and table["batch normalization"] == "批归一化 (BatchNorm)"
    assert table["forget gate"] == "遗忘门" and table["precision"] == "精确率" and table["recall"] == "召回率"


def test_a_consistent_question_passes_and_an_inconsistent_one_is_named():
    from mlquiz.content.loading import load_bank_file

    bank, problems = load_bank_file(FIXTURES / "glossary_bank.yaml")
    assert not problems
    by_id = {q.id: q for q in bank.questions}
    terms = read_glossary()
    assert inconsistencies(by_id["zh-glossary-consistent"], terms) == []
    found = inconsistencies(by_id["zh-glossary-inconsistent"], terms)
    assert any("'vanishing gradient' is '梯度消失'" in f and "梯度弥散" in f for f in found), found
    assert any("'learning rate' is '学习率'" in f and "prompt" in f for f in found), found
    assert not any("explanation" in f for f in found)  # its explanation writes 学习率


def loaded_questions():
    """The shipped banks' questions and the consistent fixtures', read without the cache (at collection)."""
    from mlquiz.content.loading import load_banks, shipped_banks_dir

    result = load_banks([shipped_banks_dir(), FIXTURES / "zh_bank.yaml", FIXTURES / "zh_partial.yaml"])
    return [q for bank in result.banks for q in bank.questions if localized(q)]


@pytest.mark.parametrize("question", loaded_questions(), ids=lambda q: q.id)
def test_every_translated_question_uses_the_glossary(question):
    assert inconsistencies(question, read_glossary()) == []


@pytest.mark.parametrize("english", ["Set `momentum=0.1` here.", "nn.BatchNorm2d(momentum=0.1) keeps it.",
                                     "with stride=2 and padding=1", "run the batchnorm demo",
                                     "in float32 precision", "mlquiz demo batchnorm-step",
                                     "PyTorch's nn.LayerNorm keeps no running_mean",
                                     "micro pooling of the counts", "its sensitivity to the base rate"])
def test_code_and_demo_names_are_not_terms(english):
    terms = read_glossary()
    used = [forms[0] for forms, _, _ in terms if any(pattern(f).search(prose(english)) for f in forms)]
    assert used == [], used
