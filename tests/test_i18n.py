"""Languages (issue 17): choosing one, bank translations checked by verify, the share translated, the
fallback to English, Chinese input at the prompt, and the gettext catalog."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlquiz import i18n
from mlquiz.cli.app import app
from mlquiz.errors import MlquizError

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "i18n"
ZH_BANK = FIXTURES / "zh_bank.yaml"
PARTIAL = FIXTURES / "zh_partial.yaml"
runner = CliRunner()


def invoke(*args, env=None, input=None):
    return runner.invoke(app, [str(a) for a in args], env=env, input=input)


def run(*args, env=None, stdin=None):
    env = {**os.environ, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "mlquiz", *map(str, args)], capture_output=True, text=True,
                          env=env, input=stdin, timeout=120)


# ----- 1. choosing a language
@pytest.mark.parametrize("environ, expected", [
    ({}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL decides, and C names no language
    ({"LANG": "fr_FR.UTF-8"}, "en"),  # a locale mlquiz does not speak is English, not an error
    ({"LANG": "zh_CN.UTF-8", "MLQUIZ_LANG": "en"}, "en"),
])
def test_the_environment_chooses_the_language(environ, expected):
    assert i18n.choose(None, None, None, environ) == expected


def test_flag_beats_env_beats_settings_beats_locale():
    environ = {"LANG": "en_US.UTF-8", "MLQUIZ_LANG": "en"}
    assert i18n.choose("zh", "en", None, environ) == "zh"
    assert i18n.choose(None, "zh", None, environ) == "en"
    assert i18n.choose(None, "zh", None, {"LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.choose("zh-Hans", None, None, {}) == "zh" and i18n.choose("ZH", None, None, {}) == "zh"


@pytest.mark.parametrize("lang", ["tlh", "klingon"])
def test_an_unknown_language_is_an_error_naming_the_available_ones(lang):
    with pytest.raises(MlquizError, match=r"unknown language .*available: en \(English\), zh"):
        i18n.choose(lang, None, None, {})
    with pytest.raises(MlquizError, match="MLQUIZ_LANG"):
        i18n.choose(None, None, None, {"MLQUIZ_LANG": lang})
    with pytest.raises(MlquizError, match="config.toml: language"):
        i18n.choose(None, lang, "config.toml", {})


@pytest.mark.parametrize("command", [["practice", "--no-save"], ["list"], ["stats"], ["show", "zh-relu-gradient"],
                                     ["search", "relu"], ["export", "markdown", "out.md"], ["export", "gift", "o.txt"],
                                     ["export", "anki", "o.apkg"]])
def test_every_command_that_prints_questions_refuses_an_unknown_language_in_one_line(command):
    result = invoke(*command, "--lang", "tlh", "--bank", ZH_BANK)
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "unknown language 'tlh'" in lines[0] and "Traceback" not in result.output


def test_the_settings_file_chooses_the_language():
    from mlquiz import paths
    from mlquiz.cli.app import _language

    config = paths.config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('language = "zh"\n', encoding="utf-8")
    assert _language(None) == "zh" and i18n.current() == "zh"
    assert _language("en") == "en"
    config.write_text('language = "tlh"\n', encoding="utf-8")
    result = invoke("list")
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "config.toml: language: unknown language 'tlh'" in result.output


def test_lang_tlh_in_a_real_process_is_one_line_and_exit_1():
    result = run("practice", "--lang", "tlh", "--no-save")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "unknown language 'tlh'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("args", [("--lang", "tlh", "practice", "--no-save"), ("--lang", "klingon", "list")])
def test_lang_before_the_command_is_checked_in_one_line_too(args):
    result = run(*args)
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0 and "available: en (English), zh" in result.stderr


def test_lang_before_the_command_sets_the_language_and_the_command_flag_wins(tmp_path):
    home = {"MLQUIZ_HOME": str(tmp_path)}
    zh = run("--lang", "zh", "list", "--bank", ZH_BANK, env=home)
    assert zh.returncode == 0 and "题库" in zh.stdout
    en = run("--lang", "zh", "list", "--lang", "en", "--bank", ZH_BANK, env=home)
    assert en.returncode == 0 and "题库" not in en.stdout


# ----- 4. bank languages
def test_list_shows_languages_and_the_share_translated():
    result = invoke("list", "--json", "--bank", ZH_BANK, "--bank", PARTIAL)
    assert result.exit_code == 0, result.output
    banks = {b["id"]: b for b in json.loads(result.stdout)["banks"]}
    assert banks["zh-fixture"]["languages"] == ["en", "zh"]
    assert banks["zh-fixture"]["translated"] == {"en": 1.0, "zh": 1.0}
    assert banks["zh-partial"]["translated"] == {"en": 1.0, "zh": 0.5}
    assert banks["tiny"]["translated"] == {"en": 1.0} if "tiny" in banks else True
    table = invoke("list", "--bank", PARTIAL).output
    assert "en, zh 50%" in table


def test_a_bank_without_a_declaration_has_the_languages_its_texts_have():
    from mlquiz.content.checks import BankChecker
    from mlquiz.content.yamlsrc import load_yaml

    text = PARTIAL.read_text(encoding="utf-8").replace("languages: [en, zh]\n", "")
    data, marks = load_yaml(text, "x.yaml")
    bank = BankChecker("x.yaml", marks).bank(data)
    assert bank.declared_languages == () and bank.languages == ("en", "zh")


@pytest.mark.parametrize("name, message", [
    ("zh_drops_placeholder.yaml", "prompt: the zh text drops {layers}"),
    ("zh_option_missing.yaml", "2 of 3 options have a zh text"),
    ("zh_answer_missing.yaml", "the prompt has a zh text but no accepted answer does"),
    ("languages_without_en.yaml", "languages must include en"),
])
def test_verify_strict_fails_each_broken_translation_with_file_and_line(name, message):
    path = FIXTURES / "bad" / name
    result = invoke("verify", "--strict", "--json", path)
    assert result.exit_code == 1, result.output
    problems = json.loads(result.stdout)["problems"]
    assert any(message in p["message"] and p["file"].endswith(name) and p["line"] > 1 for p in problems), problems


def test_a_question_missing_a_declared_language_warns_and_fails_under_strict():
    loose = json.loads(invoke("verify", "--json", PARTIAL).stdout)
    assert loose["ok"] and any("no zh text for prompt" in w["message"] for w in loose["warnings"])
    strict = invoke("verify", "--strict", "--json", PARTIAL)
    assert strict.exit_code == 1
    problem = json.loads(strict.stdout)["problems"][0]
    assert problem["question"] == "zh-partial-missing" and problem["line"] == 18


def test_the_bilingual_fixture_passes_verify_strict():
    result = invoke("verify", "--strict", "--json", ZH_BANK)
    assert result.exit_code == 0, result.output


def test_a_question_without_the_language_is_shown_wholly_in_english():
    from mlquiz.content.catalog import load
    from mlquiz.content.items import make_item

    questions = {q.id: q for q in load([PARTIAL]).questions}
    done = make_item(questions["zh-partial-done"], 0, "zh")
    missing = make_item(questions["zh-partial-missing"], 0, "zh")
    assert done.prompt.startswith("输入") and missing.prompt == "Tanh is zero-centred."
    assert missing.explanation.startswith("Its outputs")  # not half Chinese: the whole question falls back


def test_the_session_says_once_that_questions_fall_back_to_english():
    result = invoke("practice", "--lang", "zh", "--no-save", "--seed", "1", "--only", PARTIAL, input="t\nt\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("shown in English") + result.output.count("以英文显示") == 1


# ----- 5. Chinese input at the prompt
@pytest.mark.parametrize("typed, value", [("对", True), ("错", False), ("是", True), ("否", False), ("正确", True),
                                          ("错误", False), ("对。", True), ("ｔ", True), ("Ｆ", False)])
def test_true_false_in_chinese(typed, value):
    from mlquiz.practice.grading import parse_bool

    assert parse_bool(typed) is value


@pytest.mark.parametrize("typed, value", [("１２３", 123), ("１，０２４", 1024), ("０．５", 0.5), ("５０％", 0.5),
                                          ("－３", -3), ("0。25", 0.25), ("1024。", 1024), ("２＊＊１０", 1024)])
def test_full_width_numbers(typed, value):
    from mlquiz.practice.grading import numeric_input, parse_number

    assert parse_number(numeric_input(typed)) == pytest.approx(value)


def zh_items():
    from mlquiz.content.catalog import load
    from mlquiz.content.items import make_item

    return {q.id: make_item(q, 0, "zh") for q in load([ZH_BANK]).questions}


def test_an_option_chosen_by_its_chinese_text_or_a_full_width_letter():
    from mlquiz.practice.grading import grade

    item = zh_items()["zh-gate-squash"]
    assert grade(item, "sigmoid 函数").correct and grade(item, "sigmoid 函数。").correct
    assert not grade(item, "双曲正切函数").correct
    letter = "ａｂｃ"[item.options.index(item.answer)]
    assert grade(item, letter).correct


def test_a_text_answer_in_chinese_or_english():
    from mlquiz.practice.grading import grade

    item = zh_items()["zh-forget-gate-name"]
    for typed in ("遗忘门", "忘记门", "forget gate", "遗忘门。"):
        assert grade(item, typed).correct, typed
    assert not grade(item, "输入门").correct


def test_a_multi_select_answer_with_the_enumeration_comma():
    from mlquiz.practice.grading import understand

    assert understand("a、c", ["x", "y", "z"], single=False)[0] == [0, 2]
    from mlquiz.practice.grading import fold_width

    assert understand(fold_width("ａ，ｃ"), ["x", "y", "z"], single=False)[0] == [0, 2]


def test_full_width_command_keys():
    from mlquiz.practice.session import keyed

    assert keyed("？") == "?" and keyed("ｑ") == "q" and keyed(" Ｓ ") == "s"


PIPED = "遗忘门\n对\nsigmoid 函数\n１，０２４\n"  # the four questions of zh_bank.yaml, in --seed 1's order


def test_piped_chinese_session_through_cli_runner():
    result = invoke("practice", "--lang", "zh", "--seed", "1", "--no-save", "--only", ZH_BANK, input=PIPED)
    assert result.exit_code == 0, result.output
    assert "LSTM 中哪个门" in result.output and "对于负输入" in result.output
    assert "100%" in result.output  # 对, the option's Chinese text and １，０２４ were all graded right


def test_piped_chinese_session_in_a_real_process_and_lang_from_the_locale():
    env = {"LANG": "zh_CN.UTF-8", "COLUMNS": "60"}
    result = run("practice", "--seed", "1", "--no-save", "--only", ZH_BANK, env=env, stdin=PIPED)
    assert result.returncode == 0, result.stderr
    assert "共 10 层" in result.stdout and "100%" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("width", [60, 100])
def test_panels_with_chinese_text_fit_the_terminal(width):
    """rich measures wide characters as two cells: every line of a panel is exactly the width."""
    import io

    from rich.cells import cell_len
    from rich.console import Console

    from mlquiz.cli.render import TerminalUI

    items = zh_items()
    out = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    ui = TerminalUI(out=out)
    long = items["zh-gate-squash"]
    from dataclasses import replace

    long = replace(long, prompt=long.prompt * 6)  # wraps over several lines, mixing Latin and Han
    for number, item in enumerate([*items.values(), long], 1):
        ui.show_question(item, number, 5, review=False, score=(1, 2))
    lines = out.file.getvalue().splitlines()
    assert lines and all(cell_len(line) == width for line in lines), [l for l in lines if cell_len(l) != width]
    assert "".join(lines).count("LSTM") >= 8  # the forget-gate and gate questions, and the six copies


# ----- 2. the interface through gettext catalogs
PO = r'''# a comment
msgid ""
msgstr ""
"Language: zh\n"

#: somewhere.py:1
msgid "plain"
msgstr "普通"

msgid "two "
"lines"
msgstr "两"
"行"

msgid "escapes \"q\" \\ \n"
msgstr "转义 \"q\" \\ \n"

#, fuzzy
msgid "fuzzy one"
msgstr "模糊"

msgid "untranslated"
msgstr ""

msgctxt "menu"
msgid "plain"
msgstr "菜单"

msgid "{count} item"
msgid_plural "{count} items"
msgstr[0] "{count} 项"
'''


def test_read_po_reads_what_gettext_tools_write():
    catalog = i18n.read_po(PO)
    assert catalog["plain"] == "普通" and catalog["two lines"] == "两行"
    assert catalog['escapes "q" \\ \n'] == '转义 "q" \\ \n'
    assert "fuzzy one" not in catalog and "untranslated" not in catalog and "" not in catalog
    assert catalog[("{count} item", "{count} items")] == ["{count} 项"]
    assert catalog["menu\x04plain"] == "菜单"  # a msgctxt entry: what pgettext("menu", "plain") finds


def test_pgettext_tells_the_same_english_word_apart(monkeypatch):
    monkeypatch.setattr(i18n, "_catalogs", {"zh": {"error": "错误", "chart axis\x04error": "误差"}})
    assert i18n.pgettext("chart axis", "error") == "error"
    i18n.use("zh")
    try:
        assert i18n._("error") == "错误" and i18n.pgettext("chart axis", "error") == "误差"
        assert i18n.pgettext("nowhere", "error") == "error"
    finally:
        i18n.use("en")


@pytest.mark.parametrize("bad", ['msgid "a"\nmsgstr "b', 'msgid "a"\nnonsense "b"', '"orphan"'])
def test_read_po_refuses_a_broken_file(bad):
    with pytest.raises(ValueError):
        i18n.read_po(bad)


def test_a_broken_catalog_shows_english(tmp_path, monkeypatch):
    (tmp_path / "zh" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "zh" / "LC_MESSAGES" / "mlquiz.po").write_text('msgid "a"\nmsgstr "b', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path))
    monkeypatch.setattr(i18n, "_catalogs", {})
    i18n.use("zh")
    assert i18n._("session summary") == "session summary"


def test_the_catalogs_are_in_step_with_the_code():
    """A string marked _() in the code and missing from the .pot or a .po fails here."""
    from mlquiz import i18n_extract

    assert i18n_extract.outdated(write=False) == [], "run: python -m mlquiz.i18n_extract"


def test_the_extractor_finds_every_kind_of_mark(tmp_path):
    from mlquiz import i18n_extract

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text('x = _("one")\ny = N_("two")\nz = ngettext("{n} c", "{n} cs", 2)\n'
                                           'w = _(name)\n', encoding="utf-8")
    assert list(i18n_extract.messages(tmp_path / "pkg")) == ["one", "two", ("{n} c", "{n} cs")]


def test_the_chinese_catalog_translates_every_message_and_keeps_its_fields():
    from mlquiz import i18n_extract

    catalog = i18n.read_po(Path(i18n.catalog_path("zh")).read_text(encoding="utf-8"))
    for key in i18n_extract.messages():
        assert key in catalog, f"no zh translation for {key!r}"
        sources = key if isinstance(key, tuple) else (key,)
        wanted = set().union(*(i18n_extract.fields(s) for s in sources))
        for form in catalog[key] if isinstance(key, tuple) else [catalog[key]]:
            assert i18n_extract.fields(form) == wanted, (key, form)
            # rich markup stays out of translations: a bracket only where the English has it (PE[pos,2i], ["10m"])
            assert form.count("[") <= max(s.count("[") for s in sources), (key, form)


def test_counts_in_chinese_have_one_form():
    i18n.use("zh")
    assert i18n.ngettext("{count} question", "{count} questions", 1) == "{count} 道题"
    assert i18n.ngettext("{count} question", "{count} questions", 5) == "{count} 道题"
    i18n.use("en")
    assert i18n.ngettext("{count} question", "{count} questions", 5) == "{count} questions"


def test_an_english_session_never_opens_a_catalog(monkeypatch):
    monkeypatch.setattr(i18n, "_catalogs", {})
    result = invoke("practice", "--no-save", "--seed", "1", "--only", ZH_BANK, input="q\n")
    assert result.exit_code == 0 and i18n._catalogs == {}


def test_practice_in_chinese_shows_chinese_chrome():
    result = invoke("practice", "--lang", "zh", "--seed", "1", "--no-save", "--only", ZH_BANK, input=PIPED)
    assert result.exit_code == 0, result.output
    for chrome in ("4 道题", "新题", "简单", "填空", "? 提示 · s 跳过 · q 退出", "✓ 正确", "本次练习总结", "合计",
                   "作答 4 道，跳过 0 道", "原理演示："):
        assert chrome in result.output, chrome
    wrong = invoke("practice", "--lang", "zh", "--seed", "1", "--no-save", "--only", ZH_BANK, input="输入门\n")
    assert "✗ 不对" in wrong.output and "正确答案是 遗忘门" in wrong.output
    bad = invoke("practice", "--lang", "zh", "--seed", "1", "--no-save", "--only", ZH_BANK, input="s\nx\nq\n")
    assert "请回答 对/错" in bad.output


def test_list_stats_and_verify_in_chinese():
    listed = invoke("list", "--lang", "zh", "--bank", PARTIAL)
    assert "题库" in listed.output and "语言" in listed.output and "en, zh 50%" in listed.output
    stats = invoke("stats", "--lang", "zh", "--bank", ZH_BANK)
    assert stats.exit_code == 0 and "进度：共复习 0 次" in stats.output and "正确率" in stats.output
    verified = invoke("verify", "--lang", "zh", ZH_BANK)
    assert verified.exit_code == 0 and "通过" in verified.output and "所有由演示支撑的数值都已重新计算" in verified.output


def test_user_errors_in_chinese():
    result = invoke("show", "no-such-question", "--lang", "zh", "--bank", ZH_BANK)
    assert result.exit_code == 1 and "错误：" in result.output and "没有 id 为" in result.output
    result = invoke("practice", "--lang", "zh", "--topic", "nope", "--no-save", "--bank", ZH_BANK)
    assert result.exit_code == 1 and "没有这个名称的主题" in result.output


def test_chinese_startup_reads_no_numpy():
    code = ("import sys; from typer.testing import CliRunner; from mlquiz.cli.app import app; "
            f"r = CliRunner().invoke(app, ['practice', '--lang', 'zh', '--no-save', '--seed', '1', '--only', "
            f"{str(ZH_BANK)!r}], input='q\\n'); print(r.exit_code, 'numpy' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.stdout.split() == ["0", "False"], result.stdout + result.stderr


# ----- 6. exports in Chinese
def test_export_markdown_in_chinese(tmp_path):
    out = tmp_path / "sheet.md"
    result = invoke("export", "markdown", out, "--only", ZH_BANK, "--lang", "zh")
    assert result.exit_code == 0, result.output
    assert "已写入" in result.output and "来自 4 道题" in result.output
    sheet = out.read_text(encoding="utf-8")
    for text in ("# mlquiz 复习讲义", "共 4 道题。", "*简单 · 判断*", "**答案：** 对", "**答案：** 遗忘门",
                 "LSTM 中哪个门决定从细胞状态中擦除什么？", "sigmoid 函数", "演示："):
        assert text in sheet, text
    assert "What" not in sheet and "Answer:" not in sheet


def test_export_gift_in_chinese(tmp_path):
    out = tmp_path / "quiz.txt"
    assert invoke("export", "gift", out, "--only", ZH_BANK, "--lang", "zh").exit_code == 0
    gift = out.read_text(encoding="utf-8")
    assert "LSTM 中哪个门" in gift and "=遗忘门" in gift and "=忘记门" in gift and "=sigmoid 函数" in gift
    assert "####遗忘门按元素乘以旧的细胞状态。" in gift


def test_export_anki_in_chinese(tmp_path):
    import sqlite3
    import zipfile

    out = tmp_path / "deck.apkg"
    assert invoke("export", "anki", out, "--only", ZH_BANK, "--lang", "zh").exit_code == 0
    with zipfile.ZipFile(out) as package:
        (tmp_path / "c.anki2").write_bytes(package.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as db:
        fields = " ".join(row[0] for row in db.execute("select flds from notes"))
    assert "LSTM 中哪个门" in fields and "遗忘门按元素乘以旧的细胞状态" in fields and "对" in fields


def test_an_export_says_which_questions_stay_in_english(tmp_path):
    result = invoke("export", "markdown", tmp_path / "s.md", "--only", PARTIAL, "--lang", "zh")
    assert result.exit_code == 0 and "2 道题中有 1 道还没有 zh 版本，以英文导出" in result.output
    sheet = (tmp_path / "s.md").read_text(encoding="utf-8")
    assert "输入很大时 sigmoid 会饱和" in sheet and "Tanh is zero-centred." in sheet


def test_export_html_in_chinese(tmp_path):
    out = tmp_path / "sheet.html"
    assert invoke("export", "html", out, "--only", ZH_BANK, "--lang", "zh").exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "mlquiz 复习讲义" in page and "答案：" in page


# ----- vary values that are text per language
VARY_BANK = """\
format_version: 1
id: vary-zh
title: T
description: D
languages: [en, zh]
questions:
  - id: vary-zh-skew
    topic: batchnorm
    difficulty: easy
    type: choice
    prompt: {en: "With {distribution} inputs and gamma = {gamma}, what is the output skewness?",
             zh: "输入服从{distribution}，gamma = {gamma}，输出的偏度是多少？"}
    vary:
      - {distribution: {en: exponential, zh: 指数分布}, gamma: 2.0,
         key: {en: "The same as the input's", zh: "与输入相同"}, other: {en: "Its negative", zh: "与输入相反"}}
      - {distribution: {en: lognormal, zh: 对数正态分布}, gamma: -2.0,
         key: {en: "Its negative", zh: "与输入相反"}, other: {en: "The same as the input's", zh: "与输入相同"}}
    options:
      - "{key}"
      - "{other}"
      - {en: "Zero", zh: "零"}
    answer: "{key}"
    values:
      after: {demo: batchnorm, params: {distribution: "{distribution}", gamma: "{gamma}"}, key: skew_after_avg, digits: 2}
    explanation: {en: "Skewness after is {after}.", zh: "之后的偏度为 {after}。"}
"""


def test_a_vary_value_may_be_text_per_language(tmp_path):
    from mlquiz.content.items import make_item
    from mlquiz.content.loading import load_bank_file
    from mlquiz.content.verify import verify
    from mlquiz.practice.grading import grade

    path = tmp_path / "vary.yaml"
    path.write_text(VARY_BANK, encoding="utf-8")
    bank, problems = load_bank_file(path)
    assert not problems, problems
    question = bank.questions[0]
    english, chinese = make_item(question, 1, "en", cached=False), make_item(question, 1, "zh", cached=False)
    assert english.prompt.startswith("With lognormal inputs") and "对数正态分布" in chinese.prompt
    assert english.answer == "Its negative" and chinese.answer == "与输入相反"
    assert english.variables["distribution"] == "lognormal" == chinese.variables["distribution"]  # demos get English
    assert grade(chinese, "与输入相反").correct and not grade(chinese, "与输入相同").correct
    after = english.explanation.removeprefix("Skewness after is ").rstrip(".")
    assert float(after) < 0 and chinese.explanation == f"之后的偏度为 {after}。"  # gamma < 0 flips the sign
    report = verify([path], strict=True)
    assert not report.problems, report.problems  # the demo ran with distribution=lognormal, not the dict


def test_verify_strict_wants_each_declared_language_in_a_localized_vary_value(tmp_path):
    from mlquiz.content.verify import verify

    path = tmp_path / "vary.yaml"
    path.write_text(VARY_BANK.replace("{en: lognormal, zh: 对数正态分布}", "{en: lognormal}"), encoding="utf-8")
    report = verify([path], strict=True)
    assert any("no zh text for vary" in p.message for p in report.problems), report.problems


def test_verify_problems_in_chinese_on_screen_and_english_in_json(tmp_path):
    bank = tmp_path / "broken.yaml"
    bank.write_text("format_version: 1\nid: broken\ntitle: Broken\ndescription: a bank missing a key\n"
                    "questions:\n- id: q1\n  topic: rnn\n  difficulty: easy\n  type: truefalse\n"
                    "  explanation: x\n  answer: true\n", encoding="utf-8")
    for _round in range(2):  # the second round reads the cache: each language keeps its own words
        chinese = invoke("verify", "--lang", "zh", bank)
        assert chinese.exit_code == 1 and "缺少必需的键 'prompt'" in chinese.output, chinese.output
        english = invoke("verify", bank)
        assert english.exit_code == 1 and "missing required key 'prompt'" in english.output, english.output
        data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
        assert [p["message"] for p in data["problems"]] == ["missing required key 'prompt'"]


def test_a_message_keeps_its_english_through_nesting_and_the_cache_codec():
    from mlquiz import datacodec, i18n
    from mlquiz.content.model import Problem

    i18n.use("zh")
    try:
        inner = i18n.msg("missing required key {key}", key="'x'")
        outer = i18n.msg("{count} more problems not listed; fix these first", count=inner)
        assert str(inner) == "缺少必需的键 'x'" and inner.english == "missing required key 'x'"
        assert outer.english == "missing required key 'x' more problems not listed; fix these first"
        problem = Problem("b.yaml", 3, 1, "q1", inner)
        again = datacodec.loads(datacodec.dumps(problem), {"Problem": Problem})
        assert again == problem and str(again).endswith("缺少必需的键 'x'")
        assert again.to_dict()["message"] == "missing required key 'x'"
    finally:
        i18n.use("en")
    assert Problem("b.yaml", 1, 1, None, i18n.msg("missing required key {key}", key="'x'")).english is None


@pytest.mark.parametrize("text, chinese, english", [
    ("questions: [1, 2\n", "YAML 语法错误", "YAML syntax error"),
    ("id: a\nid: b\n", "键 'id' 出现了两次（第一次在第 1 行）；请只保留一个", "key 'id' appears twice (first at line 1); keep one"),
    ("a: !!python/object x\n", "不允许 YAML 标签", "YAML tag"),
    (b"id: \xff\n", "不是 UTF-8", "is not UTF-8"),
])
def test_reading_problems_in_chinese_and_english_in_json(tmp_path, text, chinese, english):
    bank = tmp_path / "bad.yaml"
    (bank.write_bytes if isinstance(text, bytes) else bank.write_text)(text)
    shown = invoke("verify", "--lang", "zh", bank)
    assert shown.exit_code == 1 and chinese in shown.output, shown.output
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    assert english in data["problems"][0]["message"]


def test_linter_findings_in_chinese_under_strict(tmp_path):
    bank = tmp_path / "lint.yaml"
    bank.write_text("format_version: 1\nid: lintme\ntitle: Lint\ndescription: a giveaway\nquestions:\n"
                    "- id: q1\n  topic: rnn\n  difficulty: easy\n  type: choice\n  prompt: Which gate erases the cell?\n"
                    "  options: [input gate, output gate, 'the forget gate which decides what to erase from the cell "
                    "state at every step']\n  answer: the forget gate which decides what to erase from the cell state at every step\n  explanation: x\n", encoding="utf-8")
    shown = invoke("verify", "--strict", "--lang", "zh", bank)
    assert shown.exit_code == 1 and "[long-key] 正确选项长度是干扰项的" in shown.output, shown.output
    english = invoke("verify", "--strict", bank)
    assert "[long-key] the correct option is" in english.output, english.output


def test_where_config_and_reset_in_chinese():
    where = invoke("--lang", "zh", "where")
    assert where.exit_code == 0 and "学习进度" in where.output and "（可放心删除）" in where.output, where.output
    config = invoke("config", env={"MLQUIZ_LANG": "zh"})
    assert config.exit_code == 0 and "# 设置来自" in config.output and "desired_retention = 0.9" in config.output
    reset = invoke("--lang", "zh", "reset", "--topic", "lstm")
    assert reset.exit_code == 0 and "主题 lstm：没有可清除的进度" in reset.output, reset.output
    assert "nothing to forget for topic lstm" in invoke("reset", "--topic", "lstm").output


def test_schema_check_problems_in_chinese_with_suggestions_and_english_in_json(tmp_path):
    bank = tmp_path / "broken.yaml"
    bank.write_text("format_version: 1\nid: broken\ntitle: Broken\ndescription: a bank with a bad type\n"
                    "questions:\n- id: q1\n  topic: rnn\n  difficulty: easy\n  type: numerc\n  prompt: p\n"
                    "  explanation: x\n  answer: 1\n", encoding="utf-8")
    chinese = invoke("verify", "--lang", "zh", bank)
    assert chinese.exit_code == 1 and "未知的 type 'numerc'；你是不是想写 'numeric'？" in chinese.output, chinese.output
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    messages = [p["message"] for p in data["problems"]]
    assert any(m.startswith("type 'numerc' is unknown; did you mean 'numeric'?; use one of") for m in messages), messages
    assert not any(ord(c) > 127 for m in messages for c in m), messages


def test_a_bad_demo_option_in_chinese_and_in_english():
    chinese = invoke("--lang", "zh", "demo", "deep-mlp-gradients", "--depth", "abc")
    assert chinese.exit_code == 1 and "--depth 'abc' 无效；请用整数" in chinese.output, chinese.output
    chinese = invoke("--lang", "zh", "demo", "deep-mlp-gradients", "--depth", "100000")
    assert "--depth 100000 超出范围；请用 1 到 200" in chinese.output, chinese.output
    english = invoke("demo", "deep-mlp-gradients", "--depth", "abc")
    assert english.exit_code == 1 and "--depth 'abc' is not valid; use a whole number" in english.output


def test_show_gives_a_variants_values_and_its_tolerance_in_chinese():
    shown = invoke("show", "bn-skew-gamma", "--lang", "zh", env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "distribution=指数分布" in shown.output and "distribution=exponential" not in shown.output, shown.output
    record = json.loads(invoke("show", "bn-skew-gamma", "--lang", "zh", "--json").output)
    first = record["variants"][0]
    assert first["variables"]["distribution"] == "exponential" and first["shown_variables"]["distribution"] == "指数分布"
    numeric = invoke("show", "grad-xavier-std", "--lang", "zh", env={"COLUMNS": "200"})
    assert "（误差在 1% 以内）" in numeric.output, numeric.output


def verify_in_both_forms(tmp_path, questions: str) -> tuple[str, list[str]]:
    """verify a broken bank under --lang zh: its screen (one line per problem, wraps joined) and its --json messages."""
    bank = tmp_path / "broken.yaml"
    bank.write_text("format_version: 1\nid: broken\ntitle: Broken\ndescription: broken on purpose\n"
                    "questions:\n" + questions, encoding="utf-8")
    chinese = invoke("verify", "--lang", "zh", bank)
    assert chinese.exit_code == 1, chinese.output
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    messages = [p["message"] for p in data["problems"]]
    assert not any(ord(c) > 127 for m in messages for c in m), messages
    return " ".join(chinese.output.split()), messages


def test_answer_and_option_problems_in_chinese_with_suggestions_and_english_in_json(tmp_path):
    flat, messages = verify_in_both_forms(
        tmp_path, "- id: q1\n  topic: opt\n  difficulty: easy\n  type: choice\n  prompt: p\n"
        "  explanation: x\n  options: [Adam, SGD]\n  answer: Adma\n"
        "- id: q2\n  topic: opt\n  difficulty: easy\n  type: text\n  prompt: {en: p, zh: 问}\n"
        "  explanation: x\n  answer: adam\n")
    assert "answer 'Adma' 不在选项之中；你是不是想写 'Adam'？" in flat, flat
    assert "prompt 有 zh 文本" in flat and "{en: ..., zh: ...}" in flat, flat
    assert "answer 'Adma' is not among the options; did you mean 'Adam'?; copy the correct option's English text " \
           "exactly" in messages, messages
    assert any("write answer: {en: ..., zh: ...} or add a zh form under accept" in m for m in messages), messages


def test_tolerance_and_allow_problems_in_chinese_keep_literal_braces_and_english_in_json(tmp_path):
    flat, messages = verify_in_both_forms(
        tmp_path, "- id: q1\n  topic: opt\n  difficulty: easy\n  type: numeric\n  prompt: p\n"
        "  explanation: x\n  answer: 1\n  tolerance: {relative: 0.1}\n"
        "  allow: {long-kee: typo}\n")
    assert "例如 {rel: 0.01} 或 {abs: 0.5}" in flat, flat
    assert "未知的质量检查 'long-kee'；你是不是想写 'long-key'？" in flat, flat
    assert "tolerance is a mapping with 'rel' and/or 'abs', e.g. {rel: 0.01} or {abs: 0.5}" in messages, messages
    assert any(m.startswith("quality check 'long-kee' is unknown; did you mean 'long-key'?; checks: ")
               for m in messages), messages


def test_demo_reference_and_unknown_key_problems_in_chinese_and_english_in_json(tmp_path):
    flat, messages = verify_in_both_forms(
        tmp_path, "- id: q1\n  topic: rnn\n  difficulty: easy\n  type: numeric\n  prompt: p\n"
        "  explanation: x\n  anwser: 1\n  answer_from: {demo: gradient-chain, params: {factr: 0.9}, "
        "key: product}\n")
    assert "中有未知的键 'anwser'；你是不是想写 'answer'？" in flat, flat
    assert "demo 'gradient-chain' 没有参数 'factr'；你是不是想写 'factor'？" in flat, flat
    assert any(m.startswith("unknown key 'anwser' in ") and "; did you mean 'answer'?; allowed: " in m
               for m in messages), messages
    assert any(m.startswith("demo 'gradient-chain' has no parameter 'factr'; did you mean 'factor'?") for m in messages)


def test_template_and_placeholder_problems_in_chinese_and_english_in_json(tmp_path):
    bank = tmp_path / "broken.yaml"
    bank.write_text("format_version: 1\nid: broken\ntitle: Broken\ndescription: bad templates\n"
                    "questions:\n- id: q1\n  topic: rnn\n  difficulty: easy\n  type: truefalse\n"
                    "  prompt: {en: 'depth {layers}', zh: '深度 {layerz}'}\n  vary: {layers: [1, 2]}\n"
                    "  answer: true\n  explanation: 'x {x.y}'\n  hint: 'a { b'\n", encoding="utf-8")
    chinese = invoke("verify", "--lang", "zh", bank)
    assert chinese.exit_code == 1, chinese.output
    flat = " ".join(chinese.output.split())
    assert "prompt：zh 文本少了 {layers}，多了 {layerz}" in flat, chinese.output
    assert "prompt：占位符 {layerz} 没有值；你是不是想写 'layers'？" in flat, chinese.output
    assert "explanation：占位符 {x.y} 不是简单的名字" in flat, chinese.output
    assert "hint：第 3 个字符是单独的 '{'" in flat, chinese.output
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    messages = [p["message"] for p in data["problems"]]
    assert "prompt: the zh text drops {layers}; adds {layerz} (the en text has {layers}); every language uses " \
           "the same placeholders" in messages, messages
    assert "prompt: placeholder {layerz} has no value; did you mean 'layers'?; define it under vary or values, " \
           "or write {{layerz}} for literal braces" in messages, messages
    assert any(m.startswith("explanation: placeholder {x.y} is not a plain name; use {name} ") for m in messages)
    assert "hint: lone '{' at character 3; write {{ for a literal brace" in messages, messages
    assert not any(ord(c) > 127 for m in messages for c in m), messages


def test_id_tag_and_text_problems_in_chinese_and_english_in_json(tmp_path):
    bank = tmp_path / "broken.yaml"
    bank.write_text("format_version: 1\nid: Bad_Bank\ntitle: ''\ndescription: bad texts\n"
                    "questions:\n- id: q1\n  topic: rnn\n  tags: [Bad]\n  difficulty: easy\n  type: truefalse\n"
                    "  prompt: {zh: 无英文}\n  answer: true\n  explanation: [1]\n  hint: ''\n", encoding="utf-8")
    chinese = invoke("verify", "--lang", "zh", bank)
    assert chinese.exit_code == 1, chinese.output
    flat = " ".join(chinese.output.split())
    for phrase in ("id 'Bad_Bank' 必须是用 '-' 连接的小写单词", "title 必须是非空文本",
                   "tags 是由 '-' 连接的小写单词组成的列表", "多语言文本需要一个 'en' 条目：{en: ..., zh: ...}",
                   "应为文本，实际是 list", "文本不能为空"):
        assert phrase in flat, (phrase, chinese.output)
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    messages = [p["message"] for p in data["problems"]]
    for message in ("id 'Bad_Bank' must be lowercase words joined by '-' (like lstm-forget-gate), at most 64 "
                    "characters", "title must be non-empty text",
                    "tags is a list of lowercase words joined by '-', e.g. [misconception]",
                    "localized text needs an 'en' entry: {en: ..., zh: ...}", "expected text, got list",
                    "text must not be empty"):
        assert message in messages, (message, messages)
    assert not any(ord(c) > 127 for m in messages for c in m), messages


def test_demo_input_in_a_variant_none_and_where_a_key_is_unknown_in_chinese_and_english_in_json(tmp_path):
    bank = tmp_path / "broken.yaml"
    bank.write_text("format_version: 1\nid: broken\ntitle: Broken\ndescription: bad demo input\n"
                    "questions:\n- id: q1\n  topic: rnn\n  difficulty: easy\n  type: numeric\n"
                    "  prompt: 'layers {layers}'\n  vary: {layers: [0, 2]}\n"
                    "  answer_from: {demo: gradient-chain, params: {layers: '{layers}'}, key: product}\n"
                    "  explanation: x\n  code: {demo: gradient-chain, snippet: nope}\n  extra: 1\n",
                    encoding="utf-8")
    chinese = invoke("verify", "--lang", "zh", bank)
    assert chinese.exit_code == 1, chinese.output
    flat = " ".join(chinese.output.split())
    assert "--layers 0 超出范围" in flat and "（变体 {'layers': 0}）" in flat, chinese.output
    assert "它的代码片段：无" in flat, chinese.output
    assert "numeric 题中有未知的键 'extra'" in flat, chinese.output
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    messages = [p["message"] for p in data["problems"]]
    assert any(m.startswith("--layers 0 is out of range; ") and m.endswith(" (variant {'layers': 0})")
               for m in messages), messages
    assert "demo 'gradient-chain' has no snippet 'nope'; its snippets: none" in messages, messages
    assert any(m.startswith("unknown key 'extra' in a numeric question; allowed: ") for m in messages), messages
    assert not any(ord(c) > 127 for m in messages for c in m), messages


def test_demo_values_and_settings_durations_in_chinese_and_english_in_json(tmp_path, monkeypatch):
    flat, messages = verify_in_both_forms(
        tmp_path, "- id: q1\n  topic: rnn\n  difficulty: easy\n  type: numeric\n  prompt: p\n"
        "  explanation: x\n  answer_from: {demo: gradient-chain, key: depths.20}\n"
        "- id: q2\n  topic: rnn\n  difficulty: easy\n  type: numeric\n  prompt: p\n"
        "  explanation: x\n  answer_from: {demo: gradient-chain, key: depths}\n")
    assert "错误：" in flat and "错误:" not in flat, flat
    assert "demo 'gradient-chain' 在键 'depths.20' 处没有值" in flat, flat
    assert "demo 'gradient-chain' 的键 'depths' 是 [1, 12," in flat and "不是有限数" in flat, flat
    assert any(m.startswith("demo 'gradient-chain' gives no value at key 'depths.20'") for m in messages), messages
    assert any(m.startswith("demo 'gradient-chain' key 'depths' is [1, 12,") for m in messages), messages
    (tmp_path / "config.toml").write_text('language = "zh"\nlearning_steps = ["10x"]\n', encoding="utf-8")
    monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path))
    for lang, line in (("zh", "learning_steps：'10x' 不是时长；请写成 10m、1h 或 1d 这样的形式"),
                       ("en", "learning_steps: '10x' is not a duration; write it like 10m, 1h or 1d")):
        result = invoke("practice", "--lang", lang, "-n", "1", input="")
        assert result.exit_code == 1 and result.stderr.strip().endswith(line), result.stderr


def test_a_question_without_an_id_is_named_by_its_place_in_chinese_and_english_in_json(tmp_path):
    flat, messages = verify_in_both_forms(
        tmp_path, "- topic: rnn\n  difficulty: easy\n  type: numeric\n  prompt: p\n  explanation: x\n  answer: 1\n")
    assert "第 1 题: 缺少必需的键 'id'" in flat, flat
    bank = tmp_path / "broken.yaml"
    data = json.loads(invoke("verify", "--lang", "zh", "--json", bank).output)
    assert [(p["question"], p["message"]) for p in data["problems"]] == [("question 1", "missing required key 'id'")]
