"""The loader and validator: the documented example loads; each broken fixture fails precisely."""

import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from mlquiz.content.loading import load_bank_file, load_banks, shipped_banks_dir
from mlquiz.content.items import make_item
from mlquiz.content.templates import TemplateError, fill, placeholders

FIXTURES = Path(__file__).parent / "fixtures"
BAD = sorted((FIXTURES / "bank_bad").glob("*.yaml"))
DOC = Path(__file__).parents[1] / "docs" / "bank-format.md"


def documented_example(tmp_path) -> Path:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## A complete example", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "example.yaml"
    path.write_text(block, encoding="utf-8")
    return path


def test_documented_example_loads_and_uses_every_feature(tmp_path):
    bank, problems = load_bank_file(documented_example(tmp_path))
    assert problems == [], "\n".join(map(str, problems))
    types = {q.type for q in bank.questions}
    assert types == {"choice", "multi", "truefalse", "numeric", "text", "recall"}
    assert any(q.vary for q in bank.questions) and any(q.values for q in bank.questions)
    assert any("zh" in q.prompt for q in bank.questions)
    assert bank.author and bank.license


def test_documented_example_numbers_come_from_demos(tmp_path):
    bank, _ = load_bank_file(documented_example(tmp_path))
    product = next(q for q in bank.questions if q.id == "example-chain-product")
    item = make_item(product)
    assert item.answer == pytest.approx(1.1**100)
    assert "13780.6" in item.explanation
    oob = next(q for q in bank.questions if q.id == "example-oob-share")
    shown = [make_item(oob, v).answer for v in range(oob.variant_count)]
    assert shown == [f"{(1 - 1 / 100) ** 100:.3f}", f"{(1 - 1 / 1000) ** 1000:.3f}"]
    assert make_item(oob, 0, lang="zh").prompt.startswith("对 100 个样本")


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_each_broken_fixture_is_rejected_at_its_line(path):
    header = path.read_bytes().split(b"\n", 1)[0].decode()
    line, expected = re.match(r"# expect: (\d+): (.*)", header).groups()
    result = load_banks([path])
    messages = [str(p) for p in result.problems]
    assert len(messages) == 1, messages
    assert messages[0].startswith(f"{path}:{line}:"), messages
    assert expected in messages[0]


def test_three_faults_three_errors(tmp_path):
    bank = tmp_path / "three.yaml"
    bank.write_text(THREE_FAULTS, encoding="utf-8")
    problems = load_banks([bank]).problems
    assert [(p.line, p.question) for p in problems] == [(16, "two"), (21, "one"), (34, "three")]


THREE_FAULTS = """format_version: 1
id: three
title: Three faults
description: A misspelled key, a duplicate id and a choice answer not among the options.
questions:
  - id: one
    topic: gradients
    difficulty: easy
    type: truefalse
    prompt: First.
    answer: true
    explanation: Fine.
  - id: two
    topic: gradients
    difficulty: easy
    explanaton: Misspelled.
    type: truefalse
    prompt: Second.
    answer: true
    explanation: Fine.
  - id: one
    topic: gradients
    difficulty: easy
    type: truefalse
    prompt: Duplicate.
    answer: true
    explanation: Fine.
  - id: three
    topic: gradients
    difficulty: easy
    type: choice
    prompt: Third.
    options: [a, b]
    answer: c
    explanation: Fine.
"""


def test_ids_must_be_unique_across_banks(tmp_path):
    text = (FIXTURES / "bank_ok" / "tiny.yaml").read_text()
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text.replace("id: tiny", "id: tiny-copy", 1))
    problems = load_banks([tmp_path]).problems
    assert problems and all("also used in" in p.message and p.file.endswith("b.yaml") for p in problems)


def test_same_file_by_two_paths_is_one_bank(tmp_path):
    path = FIXTURES / "bank_ok" / "tiny.yaml"
    result = load_banks([path, path.parent / ".." / "bank_ok" / "tiny.yaml"])
    assert result.problems == [] and len(result.banks) == 1


def test_vary_mapping_makes_every_combination(tmp_path):
    bank, problems = load_bank_file(documented_example(tmp_path))
    depth = next(q for q in bank.questions if q.id == "example-chain-depth")
    assert depth.variant_count == 4
    answers = {(make_item(depth, v).variables["layers"], make_item(depth, v).variables["factor"]):
               make_item(depth, v).answer for v in range(4)}
    assert answers[(50, 0.9)] == pytest.approx(0.9**50)
    assert answers[(10, 1.1)] == pytest.approx(1.1**10)
    assert make_item(depth, 0).prompt != make_item(depth, 3).prompt


def test_vary_explosion_is_refused_before_expanding(tmp_path):
    path = tmp_path / "boom.yaml"
    values = ", ".join(str(i) for i in range(1, 60))
    path.write_text(f"""format_version: 1
id: boom
title: Boom
description: Too many combinations.
questions:
  - id: boom
    topic: gradients
    difficulty: easy
    type: numeric
    prompt: "{{a}} {{b}} {{c}}"
    vary: {{a: [{values}], b: [{values}], c: [{values}]}}
    answer_from: {{demo: gradient-chain, params: {{layers: "{{a}}"}}, key: product}}
    explanation: Too many.
""")
    problems = load_banks([path]).problems
    assert len(problems) == 1 and "205,379 combinations" in problems[0].message


def test_shipped_banks_load_cleanly():
    result = load_banks([shipped_banks_dir()])
    assert result.problems == [], "\n".join(map(str, result.problems))
    assert sum(len(b.questions) for b in result.banks) >= 12


NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


@given(st.lists(st.tuples(st.text(alphabet="ab {}\n.", max_size=6), NAMES), max_size=5))
def test_templates_fill_only_plain_names(parts):
    template = "".join(text.replace("{", "{{").replace("}", "}}") + "{" + name + "}" for text, name in parts)
    values = {name: f"<{name}>" for _, name in parts}
    assert placeholders(template) == [name for _, name in parts]
    expected = "".join(text + f"<{name}>" for text, name in parts)
    assert fill(template, values) == expected


@given(st.sampled_from(["{x.__class__}", "{0}", "{x[0]}", "{x!r}", "{x:>99999999}", "{ x }", "{", "}"]),
       st.text(alphabet="abc ", max_size=5))
def test_templates_reject_anything_but_names(bad, text):
    with pytest.raises(TemplateError):
        placeholders(text + bad + text)


def test_a_key_can_pick_an_entry_by_vary_name(tmp_path):
    path = tmp_path / "keyed.yaml"
    path.write_text("""format_version: 1
id: keyed
title: Keyed
description: A key that follows the variant.
questions:
  - id: keyed-bias
    topic: fundamentals
    difficulty: medium
    type: numeric
    prompt: Bias squared at degree {degree}?
    vary: {degree: [1, 9]}
    answer_from: {demo: bias-variance, key: "bias_squared_exact.{degree}"}
    explanation: It is {answer}.
  - id: keyed-typo
    topic: fundamentals
    difficulty: medium
    type: numeric
    prompt: Degree {degree}?
    vary: {degree: [1, 3]}
    answer_from: {demo: bias-variance, key: "{degree}.bias"}
    explanation: The first part must name an output.
""", encoding="utf-8")
    bank, problems = load_bank_file(path)
    assert [p.question for p in problems] == ["keyed-typo"]
    assert "only later parts may be {placeholders}" in problems[0].message
    path.write_text(path.read_text().split("  - id: keyed-typo")[0], encoding="utf-8")
    bank, problems = load_bank_file(path)
    question = bank.questions[0]
    low, high = (make_item(question, v).answer for v in range(2))
    assert low > 0.1 > 1e-6 > high  # degree 1 underfits a cubic-like target; degree 9 has ~no bias


def test_shown_option_order_does_not_give_the_answer_away():
    import random
    from collections import Counter

    from mlquiz.content.items import shuffled, stable_rng

    choice = [q for b in load_banks([shipped_banks_dir()]).banks for q in b.questions if q.type == "choice"]
    rng = random.Random(0)
    shown = [shuffled(make_item(q), rng) for q in choice]
    positions = Counter(item.options.index(item.answer) for item in shown)
    assert max(positions.values()) < 0.5 * len(choice), positions  # authors put the answer first
    assert sorted(shown[0].options) == sorted(make_item(choice[0]).options)
    again = [shuffled(make_item(q), stable_rng(make_item(q))).options for q in choice[:20]]
    assert again == [shuffled(make_item(q), stable_rng(make_item(q))).options for q in choice[:20]]


def test_explicit_number_parameters_parse_from_the_cli_and_from_yaml():
    from mlquiz.demokit.spec import MAX_FLOATS, Param
    from mlquiz.errors import DemoInputError

    vector = Param("grads", "floats", "1,2", "gradient", min=-10, max=10)
    assert vector.coerce("1, -0.5,2") == (1.0, -0.5, 2.0)
    assert vector.coerce([1, 2.5]) == (1.0, 2.5)
    for bad in ("1,,2", "", "1,nan", "1,20", [True], "a,b", ",".join(["1"] * (MAX_FLOATS + 1))):
        with pytest.raises(DemoInputError):
            vector.coerce(bad)
    matrix = Param("batch", "matrix", "1,2;3,4", "a batch", min=-100, max=100)
    assert matrix.coerce("1,2; 3,4") == ((1.0, 2.0), (3.0, 4.0))
    assert matrix.coerce([[1, 2], [3, 4]]) == ((1.0, 2.0), (3.0, 4.0))
    with pytest.raises(DemoInputError, match="different lengths"):
        matrix.coerce("1,2;3")


def test_explicit_number_parameters_round_trip_through_the_demo_command():
    from mlquiz.demokit.spec import DemoSpec, Param

    spec = DemoSpec("d", "d", "t", "s", (), (Param("grads", "floats", "1,2", "g"),
                                            Param("batch", "matrix", "1;2", "b")), {})
    command = spec.command({"grads": [0.5, -1], "batch": "1,2;3,4"})
    assert command == "mlquiz demo d --grads 0.5,-1 --batch '1,2;3,4'"
