"""What a demo declares about itself: title, summary, topics, parameters and output keys.

A demo module starts with a literal ``META = {...}`` dict. We read it with ``ast`` instead of
importing the module, so listing demos, showing their help and validating a bank never import
numpy, and a plugin's metadata can be read without running any of its code.

Parameter types (``"type"`` in META):

- ``int``, ``float``: a number, with optional inclusive ``min`` and ``max``;
- ``flag``: a boolean switch, off by default (``--bidirectional``, ``--no-bias``);
- ``choice``: one of ``choices``;
- ``choices``: a comma-separated subset of ``choices`` (given to compute as a tuple);
- ``pair``: ``N`` or ``HxW`` (given to compute as a tuple of two ints), each within min/max;
- ``floats``: explicit numbers, ``1,-0.5,2`` on the command line or a YAML list (given to compute as a
  tuple of floats), each within min/max; at most ``MAX_FLOATS`` of them;
- ``matrix``: rows of numbers, ``1,2;3,4`` on the command line or a YAML list of lists (given to compute as
  a tuple of equal-length tuples of floats), each within min/max; at most ``MAX_FLOATS`` numbers in all;
- ``text``: free text that compute validates itself (a padding mode, a layer spec).

``floats`` and ``matrix`` let a worked example run a demo on the numbers its prompt shows.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from mlquiz.errors import DemoInputError, MlquizError
from mlquiz.i18n import msg

PARAM_TYPES = ("int", "float", "flag", "choice", "choices", "pair", "floats", "matrix", "text")
MAX_FLOATS = 256  # explicit inputs are for worked examples a person computes by hand, not data sets
_PAIR = re.compile(r"^\s*(-?[0-9]{1,9})\s*(?:[xX×]\s*(-?[0-9]{1,9})\s*)?$")  # ASCII digits, a size, not 5,000 digits


@dataclass(frozen=True)
class Param:
    """One demo parameter. ``name`` is the Python keyword; the CLI option is ``--kebab-case``."""

    name: str
    type: str
    default: object
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def describe_range(self) -> str:
        if self.choices:
            return ", ".join(self.choices)
        if self.min is not None and self.max is not None:
            return msg("{low} to {high}", low=_num(self.min), high=_num(self.max))
        if self.min is not None:
            return f">= {_num(self.min)}"
        if self.max is not None:
            return f"<= {_num(self.max)}"
        return ""

    def coerce(self, value: object) -> object:
        """Turn a CLI string or a YAML value into the value compute() takes, or raise DemoInputError."""
        kind = self.type
        if kind == "flag":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("true", "yes", "1", "on"):
                return True
            if text in ("false", "no", "0", "off"):
                return False
            raise self._bad(value, msg("true or false"))
        if kind == "int":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise self._bad(value, msg("a whole number"))
            try:
                text = value.strip().replace("_", "") if isinstance(value, str) else None
                if text is not None and not re.fullmatch(r"[+-]?[0-9]{1,18}", text):  # not 5,000 digits, not '²'
                    raise ValueError(text)
                number = int(value) if text is None else int(text)
            except (TypeError, ValueError, OverflowError):
                raise self._bad(value, msg("a whole number")) from None
            return self._in_range(number)
        if kind == "float":
            if isinstance(value, bool):
                raise self._bad(value, msg("a number"))
            try:
                number = float(value)
            except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond 1.8e308
                raise self._bad(value, msg("a number")) from None
            if not math.isfinite(number):
                raise self._bad(value, msg("a finite number"))
            return self._in_range(number)
        if kind == "choice":
            text = str(value).strip()
            if text not in self.choices:
                raise self._bad(value, msg("one of {choices}", choices=", ".join(self.choices)))
            return text
        if kind == "choices":
            items = value if isinstance(value, (list, tuple)) else str(value).split(",")
            picked = tuple(str(item).strip() for item in items if str(item).strip())
            unknown = [item for item in picked if item not in self.choices]
            if unknown or not picked:
                raise self._bad(value, msg("a comma-separated list of {choices}", choices=", ".join(self.choices)))
            return tuple(dict.fromkeys(picked))
        if kind == "pair":
            return self._pair(value)
        if kind == "floats":
            numbers = self._numbers(value.split(",") if isinstance(value, str) else value, msg("a comma-separated list of "
                                    "numbers, e.g. 1,-0.5,2"))
            return numbers
        if kind == "matrix":
            return self._matrix(value)
        if kind == "text":
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise self._bad(value, msg("some text"))
            return str(value).strip()
        raise AssertionError(f"unknown parameter type {kind!r}")  # META is checked when read

    def _pair(self, value: object) -> tuple[int, int]:
        if isinstance(value, (list, tuple)) and len(value) == 2 and all(type(v) is int for v in value):
            pair = (value[0], value[1])
        elif type(value) is int:
            pair = (value, value)
        else:
            match = _PAIR.match(str(value)) if isinstance(value, str) else None
            if not match:
                raise self._bad(value, msg("N or HxW, e.g. 28 or 32x24"))
            height = int(match.group(1))
            pair = (height, int(match.group(2)) if match.group(2) else height)
        for number in pair:
            self._in_range(number)
        return pair

    def _numbers(self, items: object, wanted: str) -> tuple[float, ...]:
        if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)) or not items:
            raise self._bad(items, wanted)
        if len(items) > MAX_FLOATS:
            raise DemoInputError(msg("{option} has {count} numbers; use at most {limit}", option=self.option,
                                     count=len(items), limit=MAX_FLOATS))
        numbers = []
        for item in items:
            if isinstance(item, bool):
                raise self._bad(item, wanted)
            try:
                number = float(item.strip()) if isinstance(item, str) else float(item)
            except (TypeError, ValueError, OverflowError):
                raise self._bad(item, wanted) from None
            if not math.isfinite(number):
                raise self._bad(item, msg("finite numbers"))
            numbers.append(self._in_range(number))
        return tuple(numbers)

    def _matrix(self, value: object) -> tuple[tuple[float, ...], ...]:
        wanted = msg("rows of numbers, e.g. 1,2;3,4 (',' between numbers, ';' between rows)")
        rows = value.split(";") if isinstance(value, str) else value
        if not isinstance(rows, (list, tuple)) or not rows:
            raise self._bad(value, wanted)
        if len(rows) > MAX_FLOATS:
            raise DemoInputError(msg("{option} has {count} rows; use at most {limit} numbers in all",
                                     option=self.option, count=len(rows), limit=MAX_FLOATS))
        matrix = tuple(self._numbers(row.split(",") if isinstance(row, str) else row, wanted) for row in rows)
        if len({len(row) for row in matrix}) != 1:
            raise DemoInputError(msg("{option}: rows have different lengths ({lengths}); give every row as many "
                                     "numbers", option=self.option, lengths=", ".join(str(len(row)) for row in matrix)))
        if sum(len(row) for row in matrix) > MAX_FLOATS:
            raise DemoInputError(msg("{option} has more than {limit} numbers; use fewer", option=self.option,
                                     limit=MAX_FLOATS))
        return matrix

    def _in_range(self, number):
        if (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
            raise DemoInputError(msg("{option} {number} is out of range; use {range}", option=self.option,
                                     number=_num(number), range=self.describe_range()))
        return number

    def _bad(self, value, wanted):
        # msg: the checker reports this for a bank's demo parameters, and --json keeps it English
        return DemoInputError(msg("{option} {value} is not valid; use {wanted}", option=self.option,
                                  value=repr(value), wanted=wanted))


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter values that shows one effect, with what to look at."""

    name: str
    params: dict = field(hash=False)
    look: str = ""


@dataclass(frozen=True)
class DemoSpec:
    """A demo as the registry knows it before running it."""

    name: str
    module: str
    title: str
    summary: str
    topics: tuple[str, ...]
    params: tuple[Param, ...]
    outputs: dict[str, str] = field(hash=False)
    claim: str = ""
    has_figure: bool = False  # the module defines figure(result) -> mlquiz.charts.Figure: it can --plot
    scenarios: tuple[Scenario, ...] = ()
    snippets: dict = field(default_factory=dict, hash=False)  # name -> code a question shows and the demo runs

    def scenario(self, name: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.name == name:
                return scenario
        known = ", ".join(s.name for s in self.scenarios) or "none"
        raise DemoInputError(msg("demo {demo} has no scenario {name}; its scenarios: {known}", demo=repr(self.name),
                                     name=repr(name), known=known))

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, object]:
        return {p.name: p.coerce(p.default) for p in self.params}

    def resolve(self, given: dict[str, object], scenario: str | None = None) -> dict[str, object]:
        """Defaults, then the ``scenario``'s values, then coerced ``given`` values; unknown names raise
        DemoInputError."""
        values = self.defaults()
        if scenario is not None:
            for name, value in self.scenario(scenario).params.items():
                values[name] = self.param(name).coerce(value)
        for name, value in given.items():
            param = self.param(name)
            if param is None:
                known = ", ".join(p.name for p in self.params) or "none"
                raise DemoInputError(msg("demo {demo} has no parameter {name}; its parameters: {known}",
                                         demo=repr(self.name), name=repr(name), known=known))
            values[name] = param.coerce(value)
        return values

    def command(self, values: dict[str, object] | None = None) -> str:
        """The shell command that reproduces a run with ``values`` (defaults left out)."""
        parts = ["mlquiz demo", self.name]
        defaults = self.defaults()
        for name, value in (values or {}).items():
            param = self.param(name)
            if param is None or defaults.get(name) == param.coerce(value):
                continue
            value = param.coerce(value)
            if param.type == "flag":
                parts.append(param.option if value else "")
            elif param.type == "pair":
                parts.append(f"{param.option} {value[0] if value[0] == value[1] else f'{value[0]}x{value[1]}'}")
            elif param.type == "choices":
                parts.append(f"{param.option} {','.join(value)}")
            elif param.type == "floats":
                parts.append(f"{param.option} {_quote(','.join(_short(v) for v in value))}")
            elif param.type == "matrix":
                parts.append(f"{param.option} {_quote(';'.join(','.join(_short(v) for v in row) for row in value))}")
            else:
                text = _num(value) if isinstance(value, (int, float)) else str(value)
                parts.append(f"{param.option} {_quote(text)}")
        return " ".join(part for part in parts if part)


def _head(source: str) -> str | None:
    """The part of a demo's source up to the end of its META literal, when META is written the
    usual way (``META = {`` at the start of a line, closed by ``}`` at the start of a line).

    Parsing only that part is several times faster than parsing the whole module, which matters on
    a first run, before the parsed metadata is cached. None when the layout is unusual.
    """
    import re

    start = re.search(r"^META\s*(?::[^=]*)?=\s*\{", source, re.M)
    if start is None:
        return None
    end = re.compile(r"^\}", re.M).search(source, start.end())
    return source[: end.end()] if end else None


def read_spec(name: str, module: str, path: Path) -> DemoSpec:
    """Read a demo's META and docstring from its source file without importing it."""
    try:
        source = path.read_text(encoding="utf-8")
        head = _head(source)
        try:
            tree = ast.parse(head, filename=str(path)) if head else None
        except SyntaxError:
            tree = None
        tree = tree or ast.parse(source, filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError) as exc:
        raise MlquizError(msg("{path}: cannot read demo {name}: {reason}", path=path, name=repr(name), reason=exc)) from None
    meta_node = next(
        (
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "META" for t in node.targets)
        ),
        None,
    )
    if meta_node is None:
        raise MlquizError(msg("{path}: demo {name} has no literal META = {{...}} at module level", path=path,
                               name=repr(name)))
    try:
        meta = ast.literal_eval(meta_node)
    except ValueError:
        raise MlquizError(msg("{path}:{line}: META must be a literal dict (no names or calls)", path=path,
                               line=meta_node.lineno)) from None
    # the fast path parsed only the head (to META's end); what follows it is found in the full source
    has_figure = re.search(r"^def figure\(", source, re.M) is not None
    snippets = {}
    if re.search(r"^SNIPPETS\s*=", source, re.M):  # only code-snippet demos pay for a full parse
        snippets = _literal(ast.parse(source, filename=str(path)), "SNIPPETS", path, name) or {}
    if not isinstance(snippets, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in snippets.items()):
        raise MlquizError(msg("{path}: demo {name}: SNIPPETS must be a literal dict of name: code text", path=path,
                               name=repr(name)))
    spec = spec_from_meta(name, module, meta, str(path), ast.get_docstring(tree) or "", has_figure)
    return dataclasses.replace(spec, snippets={k: v.strip("\n") for k, v in snippets.items()})


def _literal(tree: ast.Module, variable: str, path: Path, name: str):
    """The literal value of a module-level ``variable = ...``, or None; read without running the module."""
    node = next((n.value for n in tree.body if isinstance(n, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == variable for t in n.targets)), None)
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise MlquizError(msg("{path}:{line}: demo {name}: {variable} must be a literal (no names or calls)", path=path,
                               line=node.lineno, name=repr(name), variable=variable)) from None


def spec_from_meta(name: str, module: str, meta: dict, where: str, claim: str = "",
                   has_figure: bool = False) -> DemoSpec:
    def fail(what: str) -> MlquizError:
        return MlquizError(f"{where}: demo {name!r}: {what}")

    if not isinstance(meta, dict):
        raise fail("META must be a dict")
    for key in ("title", "summary", "topics", "params", "outputs"):
        if key not in meta:
            raise fail(f"META has no {key!r}")
    unknown = set(meta) - {"title", "summary", "topics", "params", "outputs", "scenarios"}
    if unknown:
        raise fail(f"META has unknown keys {sorted(unknown)}")
    params = []
    for pname, pmeta in meta["params"].items():
        if not isinstance(pmeta, dict) or pmeta.get("type") not in PARAM_TYPES:
            raise fail(f"parameter {pname!r} needs a 'type' among {', '.join(PARAM_TYPES)}")
        unknown = set(pmeta) - {"type", "default", "help", "min", "max", "choices"}
        if unknown:
            raise fail(f"parameter {pname!r} has unknown keys {sorted(unknown)}")
        if not pmeta.get("help"):
            raise fail(f"parameter {pname!r} needs a 'help' text")
        param = Param(
            name=pname,
            type=pmeta["type"],
            default=pmeta.get("default", False if pmeta["type"] == "flag" else None),
            help=pmeta["help"],
            min=pmeta.get("min"),
            max=pmeta.get("max"),
            choices=tuple(pmeta.get("choices", ())),
        )
        try:
            param.coerce(param.default)
        except DemoInputError as exc:
            raise fail(f"parameter {pname!r} has a bad default: {exc}") from None
        params.append(param)
    scenarios = []
    for sname, smeta in meta.get("scenarios", {}).items():
        if not isinstance(smeta, dict) or set(smeta) - {"params", "look"} or not smeta.get("look"):
            raise fail(f"scenario {sname!r} needs 'params' and a 'look' sentence (what to look at), nothing else")
        names = {p.name: p for p in params}
        for pname, value in smeta.get("params", {}).items():
            if pname not in names:
                raise fail(f"scenario {sname!r} sets unknown parameter {pname!r}")
            try:
                names[pname].coerce(value)
            except DemoInputError as exc:
                raise fail(f"scenario {sname!r}: {exc}") from None
        scenarios.append(Scenario(sname, dict(smeta.get("params", {})), smeta["look"]))
    return DemoSpec(
        name=name,
        module=module,
        title=meta["title"],
        summary=meta["summary"],
        topics=tuple(meta["topics"]),
        params=tuple(params),
        outputs=dict(meta["outputs"]),
        claim=claim,
        has_figure=has_figure,
        scenarios=tuple(scenarios),
    )


def _num(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _short(number: float) -> str:
    """1.0 as 1, 0.5 as 0.5: how a person writes the numbers of a worked example."""
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[\w.,+\-x]+", text) else "'" + text.replace("'", "'\\''") + "'"
