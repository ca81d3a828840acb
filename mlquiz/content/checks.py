"""The schema checker: YAML data of one bank file to a Bank, every problem collected.

Validation is strict and complete: every problem is collected as a ``Problem``
(``file:line:col: question-id: what is wrong; how to fix it``) before anything is reported.
It checks the schema, ids, templates and demo references, without running any demo: running
them is ``verify``'s job. The question-quality checks are ``lint``'s.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import re
from typing import TYPE_CHECKING

from mlquiz.content.model import (
    BANK_KEYS, BANK_REQUIRED, COMMON_KEYS, COMMON_REQUIRED, DIFFICULTIES, FORMAT_VERSION, ID_PATTERN, LANG_PATTERN,
    MAX_ID_LENGTH, MAX_OPTIONS, MAX_STEPS, MAX_TEXT, MAX_VARIANTS, QUESTION_TYPES, STEP_KEYS, STEP_TYPES,
    TEMPLATE_FIELDS, TYPE_KEYS, Bank, CodeRef, DemoRef, Problem, Question, Tolerance, neutral, placeholder_ref,
)
from mlquiz.content.numbers import MAX_INPUT
from mlquiz.content.templates import TemplateError, placeholders
from mlquiz.errors import DemoInputError, MlquizError
from mlquiz.i18n import msg, said

MAX_PROBLEMS = 200  # per file; the rest are counted

if TYPE_CHECKING:
    from mlquiz.content.yamlsrc import Marks


class BankChecker:
    """Builds a Bank from YAML data, collecting every problem instead of stopping at the first."""

    def __init__(self, filename: str, marks: Marks):
        self.filename = filename
        self.marks = marks
        self.problems: list[Problem] = []
        self.qid: str | None = None
        self.misspelled: set[tuple] = set()  # (path, key) already reported as a misspelling
        self.vary_names: set[str] = set()  # the current question's vary names
        self.dropped = 0  # problems past MAX_PROBLEMS, counted but not kept

    def missing(self, path: tuple, key: str, message: str | None = None) -> None:
        """Report a missing key, unless a misspelling of it was already reported."""
        if (path, key) not in self.misspelled:
            self.report(path, message or msg("missing required key {key}", key=repr(key)))

    def report(self, path: tuple, message: str) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.dropped += 1  # a file with thousands of faults is not worth thousands of lines
            return
        line, column = self.marks.at(path)
        self.problems.append(Problem(self.filename, line, column, self.qid, message))

    def all_problems(self) -> list[Problem]:
        """The problems found, with one more line saying how many were not listed."""
        if not self.dropped:
            return self.problems
        return self.problems + [Problem(self.filename, 1, 1, None, msg("{count} more problems not listed; fix "
                                                                      "these first", count=f"{self.dropped:,}"))]

    # ----- bank level
    def bank(self, data) -> Bank | None:
        if not isinstance(data, dict):
            self.report((), msg("a bank is a mapping with format_version, id, title, description and questions; "
                                "see docs/bank-format.md"))
            return None
        self.unknown_keys(data, (), BANK_KEYS, msg("bank"))
        for key in BANK_REQUIRED:
            if key not in data:
                self.missing((), key)
        version = data.get("format_version")
        if "format_version" in data and version != FORMAT_VERSION:
            self.report(("format_version",), msg("format_version {version} is not supported; this mlquiz reads "
                                                 "format_version: {supported}", version=repr(version),
                                                 supported=FORMAT_VERSION))
            return None
        bank_id = self.ident(data, (), "id")
        retired = self.retired(data)
        title = self.plain_text(data, (), "title")
        description = self.plain_text(data, (), "description")
        author = self.plain_text(data, (), "author")
        license_ = self.plain_text(data, (), "license")
        languages = self.languages(data)
        questions_data = data.get("questions")
        questions: list[Question] = []
        if "questions" in data:
            if not isinstance(questions_data, list) or not questions_data:
                self.report(("questions",), msg("questions must be a non-empty list of questions"))
            else:
                seen: dict[str, int] = {}
                for index, item in enumerate(questions_data):
                    question = self.question(item, ("questions", index), bank_id or "?")
                    self.qid = None
                    if question is None:
                        continue
                    if question.id in seen:
                        self.qid = question.id
                        self.report(("questions", index, "id"),
                                    msg("duplicate id (first used at line {line}); ids must be unique: rename one",
                                        line=seen[question.id]))
                        self.qid = None
                        continue
                    if question.id in retired:
                        self.qid = question.id
                        self.report(("questions", index, "id"),
                                    msg("id was retired ({reason}); progress is keyed by id, so a retired id is never "
                                        "reused: choose a new id", reason=retired[question.id]))
                        self.qid = None
                        continue
                    seen[question.id] = question.line
                    questions.append(question)
        if bank_id is None or title is None or description is None or not questions:
            return None
        return Bank(bank_id, title, description, self.filename, tuple(questions), author, license_,
                    tuple(retired.items()), languages)

    def languages(self, data: dict) -> tuple[str, ...]:
        """``languages: [en, zh]``: the languages the bank is written in; English first and required."""
        if "languages" not in data:
            return ()
        raw = data["languages"]
        if not isinstance(raw, list) or not all(isinstance(v, str) and LANG_PATTERN.match(v) for v in raw):
            self.report(("languages",), msg("languages is a list of language codes, English first: [en, zh]"))
            return ()
        if "en" not in raw:
            self.report(("languages",), msg("languages must include en: English is the source every answer "
                                                 "refers to"))
            return ()
        if len(set(raw)) != len(raw):
            self.report(("languages",), msg("a language is listed twice in languages; list each once"))
            return ()
        return ("en", *[v for v in raw if v != "en"])

    def retired(self, data: dict) -> dict[str, str]:
        """``retired: {old-id: why it went}``: ids that questions once had and may never have again."""
        raw = data.get("retired")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.report(("retired",), msg("retired is a mapping of old question ids to the reason each was "
                                               "removed"))
            return {}
        retired = {}
        for key, reason in raw.items():
            if not isinstance(key, str) or not ID_PATTERN.match(key):
                self.report(("retired", key), msg("retired id {key} is not a question id", key=repr(key)))
            elif not isinstance(reason, str) or not reason.strip():
                self.report(("retired", key), msg("retired id {key} needs a reason (a sentence: why it was "
                                                       "removed)", key=repr(key)))
            else:
                retired[key] = reason.strip()
        return retired

    # ----- question level
    def question(self, item, path: tuple, bank_id: str) -> Question | None:
        if not isinstance(item, dict):
            self.report(path, msg("each question is a mapping with id, topic, difficulty, type, prompt, answer and "
                                  "explanation"))
            return None
        raw_id = item.get("id")
        self.qid = raw_id if isinstance(raw_id, str) and raw_id else msg("question {number}", number=path[-1] + 1)
        before = len(self.problems)
        qid = self.ident(item, path, "id")
        qtype = item.get("type")
        if "type" in item and qtype not in QUESTION_TYPES:
            self.report(path + ("type",), msg("type {kind} is unknown{suggestion}; use one of {kinds}",
                                              kind=repr(qtype), suggestion=self.suggest(qtype, QUESTION_TYPES),
                                              kinds=", ".join(QUESTION_TYPES)))
            qtype = None
        allowed = COMMON_KEYS | (TYPE_KEYS[qtype] if qtype else set().union(*TYPE_KEYS.values()))
        self.unknown_keys(item, path, allowed, msg("a {kind} question", kind=qtype) if qtype else msg("a question"))
        for key in COMMON_REQUIRED:
            if key not in item:
                self.missing(path, key)
        topic = self.ident(item, path, "topic", what="topic")
        tags = self.tag_list(item, path)
        difficulty = item.get("difficulty")
        if "difficulty" in item and difficulty not in DIFFICULTIES:
            self.report(path + ("difficulty",), msg("difficulty {difficulty} is unknown{suggestion}; use easy, "
                                                    "medium or hard", difficulty=repr(difficulty),
                                                    suggestion=self.suggest(difficulty, DIFFICULTIES)))
        prompt = self.local_text(item, path, "prompt")
        explanation = self.local_text(item, path, "explanation")
        hint = self.local_text(item, path, "hint", required=False)
        source = self.plain_text(item, path, "source")
        vary = self.vary(item, path)
        # names as declared, even if the vary table was rejected: no second error for each use
        raw_vary = item.get("vary")
        declared = raw_vary if isinstance(raw_vary, dict) else (
            raw_vary[0] if isinstance(raw_vary, list) and raw_vary and isinstance(raw_vary[0], dict) else {})
        self.vary_names = variables = {str(name) for name in declared}
        values = self.values(item, path, vary)
        allow = self.allow(item, path)
        demo = self.demo_ref(item.get("demo"), path + ("demo",), vary, style="demo") if "demo" in item else None
        code = self.code_ref(item["code"], path + ("code",)) if "code" in item else None
        chart = self.demo_ref(item["chart"], path + ("chart",), vary, style="chart") if "chart" in item else None
        fields: dict = {}
        if qtype:
            fields = getattr(self, f"answer_{qtype}")(item, path, vary)
        self.check_templates(item, path, variables, set(values))
        if len(self.problems) > before or qid is None or qtype is None or topic is None:
            return None
        line = self.marks.at(path)[0]
        steps = fields.pop("steps", ())
        question = Question(
            id=qid, bank=bank_id, file=self.filename, line=line, topic=topic, tags=tags,
            difficulty=difficulty, type=qtype, prompt=prompt, explanation=explanation, hint=hint,
            demo=demo, source=source, vary=tuple(vary), values=values, allow=allow, code=code, chart=chart,
            **fields,
        )
        if steps:
            # each step is a question of its own kind, sharing the derivation's variants and values
            steps = tuple(Question(id=f"{qid}/{n}", bank=bank_id, file=self.filename, line=self.marks.at(spath)[0],
                                   topic=topic, tags=tags, difficulty=difficulty, type=stype, prompt=sprompt,
                                   explanation=sexplanation, hint=shint, vary=tuple(vary), values=values,
                                   **sfields)
                          for n, (spath, stype, sprompt, sexplanation, shint, sfields) in enumerate(steps, 1))
            question = dataclasses.replace(question, steps=steps)
        return question

    def answer_steps(self, item, path, vary) -> dict:
        """A derivation: ``steps`` is a list of graded steps (choice, multi, truefalse, numeric, text), each
        with its own prompt and explanation, all in the context of the question's prompt."""
        raw = item.get("steps")
        if "steps" not in item:
            self.missing(path, "steps", msg("missing required key 'steps' (a list of graded steps)"))
            return {}
        if not isinstance(raw, list) or len(raw) < 2 or len(raw) > MAX_STEPS:
            self.report(path + ("steps",), msg("steps is a list of 2 to {most} steps, each a mapping with "
                                               "prompt, type, answer and explanation", most=MAX_STEPS))
            return {}
        built = []
        for index, step in enumerate(raw):
            spath = path + ("steps", index)
            if not isinstance(step, dict):
                self.report(spath, msg("a step is a mapping with prompt, type, answer and explanation"))
                continue
            stype = step.get("type")
            if stype not in STEP_TYPES:
                self.report(spath + ("type",) if "type" in step else spath,
                            msg("step type {kind} is not one of {kinds}{suggestion}", kind=repr(stype),
                                kinds=", ".join(STEP_TYPES),
                                suggestion=self.suggest(stype, STEP_TYPES) if isinstance(stype, str) else ""))
                continue
            self.unknown_keys(step, spath, STEP_KEYS & ({"prompt", "type", "explanation", "hint"} | TYPE_KEYS[stype]),
                              msg("a {kind} step", kind=stype))
            for key in ("prompt", "explanation"):
                if key not in step:
                    self.missing(spath, key)
            sprompt = self.local_text(step, spath, "prompt")
            sexplanation = self.local_text(step, spath, "explanation")
            shint = self.local_text(step, spath, "hint", required=False)
            sfields = getattr(self, f"answer_{stype}")(step, spath, vary)
            values = item.get("values")
            self.check_templates(step, spath, self.vary_names, set(values) if isinstance(values, dict) else set(),
                                 step=True)
            if sprompt is not None and sexplanation is not None:
                built.append((spath, stype, sprompt, sexplanation, shint, sfields))
        return {"steps": tuple(built)}

    def code_ref(self, raw, path: tuple) -> CodeRef | None:
        """``code: {demo: code-snippets, snippet: softmax-overflow}``: show that snippet; the demo runs it."""
        from mlquiz.demokit import registry

        example = "code: {demo: code-snippets, snippet: softmax-overflow}"
        if not isinstance(raw, dict) or not isinstance(raw.get("demo"), str) or not isinstance(raw.get("snippet"), str):
            self.report(path, msg("expected a mapping like {example}", example=example))
            return None
        self.unknown_keys(raw, path, {"demo", "snippet"}, "code")
        try:
            spec = registry.get_demo(raw["demo"])
        except MlquizError as exc:
            self.report(path + ("demo",), said(exc))
            return None
        if raw["snippet"] not in spec.snippets:
            known = ", ".join(spec.snippets) or msg("none")
            self.report(path + ("snippet",), msg("demo {demo} has no snippet {snippet}{suggestion}; its snippets: "
                                                 "{known}", demo=repr(spec.name), snippet=repr(raw["snippet"]),
                                                 suggestion=self.suggest(raw["snippet"], list(spec.snippets)),
                                                 known=known))
            return None
        return CodeRef(spec.name, raw["snippet"])

    # ----- per-type answers
    def answer_choice(self, item, path, vary) -> dict:
        options = self.options(item, path)
        answer = item.get("answer")
        if "answer" not in item:
            self.missing(path, "answer", msg("missing required key 'answer' (the text of the correct option)"))
        elif not isinstance(answer, str):
            self.report(path + ("answer",), msg("a choice answer is the text of the correct option"))
        elif options and answer not in [o["en"] for o in options]:
            self.report(path + ("answer",), msg("answer {answer} is not among the options{suggestion}; copy the "
                                                "correct option's English text exactly", answer=repr(answer),
                                                suggestion=self.suggest(answer, [o["en"] for o in options])))
        return {"options": options, "answer": answer}

    def answer_multi(self, item, path, vary) -> dict:
        options = self.options(item, path)
        answer = item.get("answer")
        if "answer" not in item:
            self.missing(path, "answer", msg("missing required key 'answer' (a list of the correct options)"))
            return {"options": options}
        if not isinstance(answer, list) or not answer or not all(isinstance(a, str) for a in answer):
            self.report(path + ("answer",), msg("a multi answer is a non-empty list of option texts"))
            return {"options": options}
        english_options = [o["en"] for o in options]
        if options and len(answer) > len(options):
            self.report(path + ("answer",), msg("the answer lists {count} options but there are only {total}; "
                                                "list each correct option once", count=f"{len(answer):,}",
                                                total=len(options)))
            return {"options": options}
        for index, choice in enumerate(answer):
            if options and choice not in english_options:
                self.report(path + ("answer", index), msg("answer {answer} is not among the options{suggestion}",
                                                          answer=repr(choice),
                                                          suggestion=self.suggest(choice, english_options)))
        if len(set(answer)) != len(answer):
            self.report(path + ("answer",), msg("an option is listed twice in the answer; list each once"))
        return {"options": options, "answer": tuple(answer)}

    def answer_truefalse(self, item, path, vary) -> dict:
        answer = item.get("answer")
        if "answer" not in item:
            self.missing(path, "answer", msg("missing required key 'answer' (true or false)"))
        elif not isinstance(answer, bool):
            self.report(path + ("answer",), msg("a truefalse answer is true or false (unquoted)"))
        return {"answer": answer}

    def answer_numeric(self, item, path, vary) -> dict:
        has_literal, has_demo = "answer" in item, "answer_from" in item
        answer = item.get("answer")
        answer_from = None
        if has_literal == has_demo and not {(path, "answer"), (path, "answer_from")} & self.misspelled:
            self.report(path, msg("a numeric question needs exactly one of 'answer' (a number) or 'answer_from' "
                                  "(a demo that computes it)"))
        if has_literal and (isinstance(answer, bool) or not isinstance(answer, (int, float))
                            or not math.isfinite(answer)):
            self.report(path + ("answer",), msg("answer {answer} is not a finite number; write a number like "
                                                "0.25, or use answer_from", answer=repr(answer)))
        if has_literal and vary:
            self.report(path + ("answer",), msg("a question with 'vary' needs 'answer_from' so that each "
                                                "variant's answer is computed"))
        if has_demo:
            answer_from = self.demo_ref(item["answer_from"], path + ("answer_from",), vary, style="answer_from")
        tolerance = self.tolerance(item, path)
        unit = self.local_text(item, path, "unit", required=False)
        return {"answer": answer if has_literal else None, "answer_from": answer_from,
                "tolerance": tolerance, "unit": unit}

    def answer_text(self, item, path, vary) -> dict:
        answer = self.local_text(item, path, "answer")
        accept = ()
        if "accept" in item:
            raw = item["accept"]
            if not isinstance(raw, list) or not raw:
                self.report(path + ("accept",), msg("accept is a list of other accepted answers"))
            else:
                accept = tuple(self.text_value(v, path + ("accept", i)) for i, v in enumerate(raw))
                accept = tuple(a for a in accept if a is not None)
        prompt = item.get("prompt")
        if answer is not None and isinstance(prompt, dict):
            for lang in prompt:
                if lang != "en" and lang not in answer and not any(lang in a for a in accept):
                    self.report(path + ("answer",), msg("the prompt has a {lang} text but no accepted answer does: "
                                                        "write answer: {{en: ..., {lang}: ...}} or add a {lang} "
                                                        "form under accept", lang=lang))
        for text in (t for entry in (answer, *accept) if entry for t in entry.values()):
            if len(text) > MAX_INPUT:
                self.report(path + ("answer",), msg("an accepted answer of {count} characters cannot be typed: "
                                                    "answers are at most {most}; shorten it",
                                                    count=f"{len(text):,}", most=MAX_INPUT))
                break
        return {"answer": answer, "accept": accept}

    def answer_recall(self, item, path, vary) -> dict:
        return {"answer": self.local_text(item, path, "answer")}

    # ----- pieces
    def options(self, item, path) -> tuple[dict, ...]:
        raw = item.get("options")
        if "options" not in item:
            self.missing(path, "options", msg("missing required key 'options' (a list of at least two choices)"))
            return ()
        if not isinstance(raw, list) or len(raw) < 2:
            self.report(path + ("options",), msg("options must be a list of at least two choices"))
            return ()
        if len(raw) > MAX_OPTIONS:
            self.report(path + ("options",), msg("{count} options; at most {most} (they are lettered a to z): "
                                                 "split the question", count=f"{len(raw):,}", most=MAX_OPTIONS))
            return ()
        options = [self.text_value(v, path + ("options", i)) for i, v in enumerate(raw)]
        seen: set[str] = set()
        for index, option in enumerate(options):
            if option is None:
                continue
            key = " ".join(option["en"].split()).casefold()
            if key in seen:
                self.report(path + ("options", index), msg("option {option} appears twice; make options "
                                                                   "distinct", option=repr(option["en"])))
            seen.add(key)
        kept = [o for o in options if o is not None]
        for lang in sorted(set().union(*(set(o) for o in kept)) - {"en"}):
            having = [i for i, o in enumerate(options) if o is not None and (lang in o or neutral(o))]
            if len(having) != len(kept):
                missing = next(i for i, o in enumerate(options) if o is not None and i not in having)
                self.report(path + ("options", missing), msg("{count} of {total} options have a {lang} text; "
                                                             "give every option a {lang} text (or none), so the "
                                                             "{lang} question has the same options", count=len(having),
                                                             total=len(kept), lang=lang))
            elif len({" ".join(o.get(lang, o["en"]).split()).casefold() for o in kept}) != len(kept):
                self.report(path + ("options",), msg("two options have the same {lang} text; make them distinct",
                                                     lang=lang))
        return tuple(kept)

    def tolerance(self, item, path) -> Tolerance | None:
        if "tolerance" not in item:
            return None
        raw = item["tolerance"]
        tpath = path + ("tolerance",)
        if not isinstance(raw, dict) or not raw or set(raw) - {"rel", "abs"}:
            self.report(tpath, msg("tolerance is a mapping with 'rel' and/or 'abs', e.g. {{rel: 0.01}} or "
                                   "{{abs: 0.5}}"))
            return None
        values = {}
        for key in ("rel", "abs"):
            value = raw.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                self.report(tpath + (key,), msg("tolerance {key} must be a number >= 0, not {value}", key=key,
                                                value=repr(value)))
                return None
            values[key] = float(value)
        if values["rel"] >= 1:
            self.report(tpath + ("rel",), msg("tolerance rel {rel} accepts answers off by 100% or more; "
                                              "use a fraction like 0.01 (1%)", rel=values["rel"]))
            return None
        return Tolerance(values["rel"], values["abs"])

    def vary(self, item, path) -> list[dict]:
        if "vary" not in item:
            return []
        raw = item["vary"]
        vpath = path + ("vary",)
        if isinstance(raw, dict):
            # a mapping of lists: every combination is a variant
            if not raw or not all(isinstance(v, list) and v for v in raw.values()):
                self.report(vpath, msg("vary as a mapping gives each name a non-empty list of values"))
                return []
            total = math.prod(len(v) for v in raw.values())
            if total > MAX_VARIANTS:
                self.report(vpath, msg("vary makes {total} combinations; at most {most} — list the "
                                       "variants you want instead", total=f"{total:,}", most=MAX_VARIANTS))
                return []
            names = list(raw)
            rows = [dict(zip(names, combo)) for combo in itertools.product(*raw.values())]
        elif isinstance(raw, list):
            if len(raw) > MAX_VARIANTS:
                self.report(vpath, msg("vary lists {count} variants; at most {most}", count=f"{len(raw):,}",
                                       most=MAX_VARIANTS))
                return []
            rows = raw
            if not rows or not all(isinstance(r, dict) and r for r in rows):
                self.report(vpath, msg("vary as a list holds mappings of name: value, one per variant"))
                return []
            first = set(rows[0])
            for index, row in enumerate(rows):
                if set(row) != first:
                    self.report(vpath + (index,), msg("variant {number} has names {names}, the first has {first}; "
                                                      "give every variant the same names", number=index + 1,
                                                      names=str(sorted(row)), first=str(sorted(first))))
                    return []
        else:
            self.report(vpath, msg("vary is a list of variants or a mapping of name: [values]"))
            return []
        for name in rows[0]:
            if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                self.report(vpath, msg("vary name {name} must be a plain lowercase name like kernel or n_layers",
                                       name=repr(name)))
                return []
        if len(rows) < 2:
            self.report(vpath, msg("vary needs at least two variants"))
        localized_rows = []
        for index, row in enumerate(rows):
            localized_row = {}
            for name, value in row.items():
                where = vpath + (index, name) if isinstance(raw, list) else vpath + (name,)
                if isinstance(value, dict):
                    # shown text per language, {en: ..., zh: ...}; demos and answers use the English
                    value = self.text_value(value, where)
                    if value is None:
                        return []
                elif isinstance(value, list) or value is None:
                    self.report(where, msg("vary value for {name} must be a number or text (or text per "
                                           "language, {{en: ..., zh: ...}})", name=repr(name)))
                    return []
                elif isinstance(value, str) and not self.printable(value, where):
                    return []
                localized_row[name] = value
            localized_rows.append(localized_row)
        rows = localized_rows
        if len({repr(sorted(r.items())) for r in rows}) != len(rows):
            self.report(vpath, msg("two variants are identical; make each one different"))
        return rows

    def allow(self, item, path) -> dict:
        """``allow: {check: why}`` silences one quality check for this question; the reason is required."""
        from mlquiz.content.lint import CHECKS

        if "allow" not in item:
            return {}
        raw = item["allow"]
        if not isinstance(raw, dict) or not raw:
            self.report(path + ("allow",), msg("allow maps a quality check to why this question breaks it on "
                                               "purpose: {{long-key: the key must name both conditions}}"))
            return {}
        allowed = {}
        for check, reason in raw.items():
            if check not in CHECKS:
                self.report(path + ("allow", check), msg("quality check {check} is unknown{suggestion}; "
                                                         "checks: {checks}", check=repr(check),
                                                         suggestion=self.suggest(check, list(CHECKS)),
                                                         checks=", ".join(CHECKS)))
            elif not isinstance(reason, str) or not reason.strip():
                self.report(path + ("allow", check), msg("allow {check} needs a reason: say why it is deliberate",
                                                         check=repr(check)))
            else:
                allowed[check] = reason.strip()
        return allowed

    def values(self, item, path, vary) -> dict:
        if "values" not in item:
            return {}
        raw = item["values"]
        vpath = path + ("values",)
        if not isinstance(raw, dict) or not raw:
            self.report(vpath, msg("values maps names to demo results: {{name: {{demo, params, key}}}}"))
            return {}
        values = {}
        for name, ref in raw.items():
            if not isinstance(name, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", name) or name == "answer":
                self.report(vpath + (name,), msg("value name {name} must be a plain lowercase name other than "
                                                 "answer", name=repr(name)))
                continue
            if name in self.vary_names:
                self.report(vpath + (name,), msg("value name {name} is also a vary name; rename one",
                                                 name=repr(name)))
                continue
            demo_ref = self.demo_ref(ref, vpath + (name,), vary, style="answer_from")
            if demo_ref is not None:
                values[name] = demo_ref
        return values

    def demo_ref(self, raw, path: tuple, vary: list[dict], *, style: str) -> DemoRef | None:
        """``demo: {name, params, key?}`` or ``answer_from: {demo, params, key, digits?}``."""
        from mlquiz.demokit import registry

        name_key = "name" if style == "demo" else "demo"
        if style == "chart":
            allowed = {"demo", "params"}
            if isinstance(raw, dict):
                self.unknown_keys(raw, path, allowed, "chart")
            ref = self.demo_ref({k: v for k, v in raw.items() if k in allowed} if isinstance(raw, dict) else raw,
                                path, vary, style="values")
            if ref is not None and not registry.get_demo(ref.demo).has_figure:
                self.report(path + ("demo",), msg("demo {demo} draws no figure, so it cannot be a chart; use a "
                                                  "demo with a figure() (mlquiz demo NAME --help shows --plot)",
                                                  demo=repr(ref.demo)))
                return None
            return ref
        allowed = {name_key, "params", "key", "digits"}
        example = ("demo: {name: gradient-chain, params: {factor: 0.9}}" if style == "demo"
                   else "answer_from: {demo: gradient-chain, params: {factor: 0.9}, key: product}")
        if not isinstance(raw, dict):
            self.report(path, msg("expected a mapping like {example}", example=example))
            return None
        self.unknown_keys(raw, path, allowed, path[-1] if isinstance(path[-1], str) else msg("a demo reference"))
        name = raw.get(name_key)
        if not isinstance(name, str):
            self.report(path, msg("missing the demo's name: {example}", example=example))
            return None
        try:
            spec = registry.get_demo(name)
        except MlquizError as exc:
            self.report(path + (name_key,), said(exc))
            return None
        params = raw.get("params", {})
        if not isinstance(params, dict):
            self.report(path + ("params",), msg("params is a mapping of parameter: value"))
            return None
        key = raw.get("key")
        if style not in ("demo", "values") and key is None:
            self.report(path, msg("missing 'key': which output of {demo} to use ({outputs})", demo=repr(name),
                                  outputs=", ".join(spec.outputs)))
        if key is not None:
            if not isinstance(key, str) or not key:
                self.report(path + ("key",), msg("key is an output name, like product or output.0"))
                key = None
            elif not self.key_placeholders_ok(key, path + ("key",)):
                key = None
            elif key.split(".")[0] not in spec.outputs:
                head = key.split(".")[0]
                self.report(path + ("key",), msg("demo {demo} has no output {output}{suggestion}; its outputs: "
                                                 "{outputs}", demo=repr(name), output=repr(head),
                                                 suggestion=self.suggest(head, spec.outputs),
                                                 outputs=", ".join(spec.outputs)))
                key = None
        digits = raw.get("digits")
        if digits is not None and (type(digits) is not int or not 1 <= digits <= 15):
            self.report(path + ("digits",), msg("digits is a whole number of significant digits from 1 to 15"))
            digits = None
        variables = self.vary_names
        for pname, value in params.items():
            ppath = path + ("params", pname)
            param = spec.param(pname)
            if param is None:
                self.report(ppath, msg("demo {demo} has no parameter {param}{suggestion}; its parameters: "
                                       "{params}", demo=repr(name), param=repr(pname),
                                       suggestion=self.suggest(pname, [p.name for p in spec.params]),
                                       params=", ".join(p.name for p in spec.params) or msg("none")))
                continue
            ref = placeholder_ref(value)
            if ref is not None and ref not in variables:
                self.report(ppath, msg("{placeholder} is not a vary name{suggestion}; add it to vary or write a "
                                       "value", placeholder=f"{{{ref}}}", suggestion=self.suggest(ref, variables)))
                continue
            for variant in (vary if ref is not None else [{}]):
                given = variant[ref] if ref is not None else value
                try:
                    param.coerce(given["en"] if isinstance(given, dict) else given)  # demos get English
                except DemoInputError as exc:
                    self.report(ppath, msg("{problem} (variant {variant})", problem=exc, variant=str(variant))
                                if ref is not None else said(exc))
                    break
        return DemoRef(name, dict(params), key, digits)

    def key_placeholders_ok(self, key: str, path: tuple) -> bool:
        """A key may pick by a vary name after its first part: ``bias_squared_exact.{degree}``."""
        try:
            names = placeholders(key)
        except TemplateError as exc:
            self.report(path, msg("{field}: {problem}", field="key", problem=exc))
            return False
        if names and "{" in key.split(".")[0]:
            self.report(path, msg("the first part of a key names a demo output; only later parts may be "
                                  "{{placeholders}}"))
            return False
        unknown = [n for n in names if n not in self.vary_names]
        if unknown:
            self.report(path, msg("key placeholder {placeholder} is not a vary name{suggestion}",
                                  placeholder=f"{{{unknown[0]}}}",
                                  suggestion=self.suggest(unknown[0], self.vary_names)))
            return False
        return True

    def check_templates(self, item, path, variables: set[str], value_names: set[str], *, step: bool = False) -> None:
        """Every placeholder has a value; the prompt of a varied question uses a vary name (a step's
        prompt need not: the derivation's prompt carries the variant)."""
        for field_name in TEMPLATE_FIELDS:
            if field_name not in item:
                continue
            raw = item[field_name]
            texts: list[tuple[tuple, str]] = []
            for sub_path, text in _texts(raw, path + (field_name,)):
                texts.append((sub_path, text))
            self.same_placeholders(raw, path + (field_name,), field_name)
            allowed = variables | value_names
            if field_name in ("explanation", "hint"):
                allowed = allowed | {"answer"}
            for sub_path, text in texts:
                try:
                    names = placeholders(text)
                except TemplateError as exc:
                    self.report(sub_path, msg("{field}: {problem}", field=field_name, problem=exc))
                    continue
                for name in names:
                    if name not in allowed:
                        extra = msg(" ({{answer}} may appear only in explanation and hint)") if name == "answer" else ""
                        self.report(sub_path, msg("{field}: placeholder {placeholder} has no value{suggestion}; define "
                                                  "it under vary or values, or write {literal} for literal "
                                                  "braces{extra}", field=field_name, placeholder=f"{{{name}}}",
                                                  suggestion=self.suggest(name, allowed), literal=f"{{{{{name}}}}}",
                                                  extra=extra))
        if variables and not step and not any(
            name in variables for _, text in _texts(item.get("prompt"), path) for name in _safe_placeholders(text)
        ):
            self.report(path + ("prompt",), msg("the prompt uses none of the vary names, so every variant reads "
                                                "the same; put {{name}} placeholders in it"))

    def same_placeholders(self, raw, path: tuple, field_name: str) -> None:
        """A translation uses the placeholders its English text uses, no more and no fewer."""
        if isinstance(raw, list):
            for index, entry in enumerate(raw):
                self.same_placeholders(entry, path + (index,), field_name)
            return
        if not isinstance(raw, dict) or not isinstance(raw.get("en"), str):
            return
        english_names = set(_safe_placeholders(raw["en"]))
        for lang, text in raw.items():
            if lang == "en" or not isinstance(text, str):
                continue
            names = set(_safe_placeholders(text))
            if names != english_names:
                dropped = ", ".join(f"{{{n}}}" for n in sorted(english_names - names))
                added = ", ".join(f"{{{n}}}" for n in sorted(names - english_names))
                if dropped and added:
                    change = msg("drops {dropped}; adds {added}", dropped=dropped, added=added)
                elif dropped:
                    change = msg("drops {dropped}", dropped=dropped)
                else:
                    change = msg("adds {added}", added=added)
                self.report(path + (lang,), msg("{field}: the {lang} text {change} (the en text has {names}); every "
                                                "language uses the same placeholders", field=field_name, lang=lang,
                                                change=change, names=", ".join(f"{{{n}}}" for n in
                                                                               sorted(english_names)) or msg("none")))

    # ----- primitives
    def unknown_keys(self, data: dict, path: tuple, allowed: set[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                if len(self.problems) >= MAX_PROBLEMS:
                    self.dropped += 1
                    continue
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                if close and close[0] not in data:
                    self.misspelled.add((path, close[0]))
                self.report(path + (key,), msg("unknown key {key} in {what}{suggestion}; allowed: {allowed}",
                                               key=repr(key), what=what, suggestion=self.suggest(key, allowed),
                                               allowed=", ".join(sorted(allowed))))

    def ident(self, data: dict, path: tuple, key: str, what: str = "id") -> str | None:
        value = data.get(key)
        if key not in data:
            return None  # reported as missing by the caller's required list
        if not isinstance(value, str) or not ID_PATTERN.match(value) or len(value) > MAX_ID_LENGTH:
            self.report(path + (key,), msg("{what} {value} must be lowercase words joined by '-' "
                                           "(like lstm-forget-gate), at most {most} characters", what=what,
                                           value=repr(value), most=MAX_ID_LENGTH))
            return None
        return value

    def tag_list(self, data: dict, path: tuple) -> tuple[str, ...]:
        raw = data.get("tags", [])
        if not isinstance(raw, list) or not all(isinstance(t, str) and ID_PATTERN.match(t) for t in raw):
            self.report(path + ("tags",), msg("tags is a list of lowercase words joined by '-', e.g. {example}",
                                              example="[misconception]"))
            return ()
        return tuple(raw)

    def plain_text(self, data: dict, path: tuple, key: str) -> str | None:
        """Non-empty text, or None when absent (the callers report required keys)."""
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            self.report(path + (key,), msg("{key} must be non-empty text", key=key))
            return None
        return value.strip() if self.printable(value, path + (key,)) else None

    def printable(self, text: str, path: tuple) -> bool:
        """Text a terminal shows as written: no control characters, no more than MAX_TEXT characters."""
        from mlquiz.safetext import describe, find_control

        if len(text) > MAX_TEXT:
            self.report(path, msg("text is {count} characters; at most {most} (a question is read on a screen): "
                                  "shorten it", count=f"{len(text):,}", most=f"{MAX_TEXT:,}"))
            return False
        found = find_control(text)
        if found is not None:
            index, char = found
            self.report(path, msg("text holds the control character {char} at character {position}; remove it "
                                  "(control and escape characters could take over the terminal)",
                                  char=describe(char), position=index + 1))
            return False
        return True

    def local_text(self, data: dict, path: tuple, key: str, required: bool = True) -> dict | None:
        if key not in data:
            if required and key not in COMMON_REQUIRED:
                self.missing(path, key)
            return None
        return self.text_value(data[key], path + (key,))

    def text_value(self, value, path: tuple) -> dict | None:
        """Text, or a mapping of language code to text with English required."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # an option like 0.25 reads naturally unquoted
        if isinstance(value, str):
            if not value.strip():
                self.report(path, msg("text must not be empty"))
                return None
            return {"en": value.strip()} if self.printable(value, path) else None
        if isinstance(value, dict):
            if "en" not in value:
                self.report(path, msg("localized text needs an 'en' entry: {{en: ..., zh: ...}}"))
                return None
            result = {}
            for lang, text in value.items():
                if not isinstance(lang, str) or not LANG_PATTERN.match(lang):
                    self.report(path + (lang,), msg("{lang} is not a language code like en, zh or pt-BR",
                                                    lang=repr(lang)))
                elif not isinstance(text, str) or not text.strip():
                    self.report(path + (lang,), msg("the {lang} text must be non-empty text", lang=lang))
                elif self.printable(text, path + (lang,)):
                    result[lang] = text.strip()
            return result if "en" in result else None
        self.report(path, msg("expected text, got {kind}", kind=type(value).__name__))
        return None

    def suggest(self, word, choices) -> str:
        # difflib is quadratic in the word's length: bounded, and skipped once problems are no longer listed
        if not isinstance(word, str) or len(word) > 100 or len(self.problems) >= MAX_PROBLEMS:
            return ""
        choices = list(choices)
        if len(choices) > 100:
            return ""
        close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
        return msg("; did you mean {word}?", word=repr(close[0])) if close else ""


def _texts(raw, path: tuple):
    """(path, text) for every string inside a text field (plain, localized, or a list of them)."""
    if isinstance(raw, str):
        yield path, raw
    elif isinstance(raw, dict):
        for lang, text in raw.items():
            if isinstance(text, str):
                yield path + (lang,), text
    elif isinstance(raw, list):
        for index, entry in enumerate(raw):
            yield from _texts(entry, path + (index,))


def _safe_placeholders(text: str) -> list[str]:
    try:
        return placeholders(text)
    except TemplateError:
        return []
