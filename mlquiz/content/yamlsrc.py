"""Safe YAML loading that remembers where every value came from.

``load_yaml(text, filename)`` returns plain Python data plus a ``Marks`` table mapping each
value's path (``("questions", 3, "answer")``) to its line and column, so that validation errors
can say ``bank.yaml:42:5``. Only YAML's safe types are built (libyaml's C parser when present);
a tag that tries to construct an object is an error, as are duplicate keys (PyYAML would keep
the last one silently), alias expansions past a size limit and nesting past a depth limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlquiz.i18n import msg

MAX_BYTES = 4 * 1024 * 1024  # the largest shipped bank is ~100 KB (English and Chinese); 4 MB is not a bank
# lines, commas, "[", "{" and "- ": an upper bound on how many values libyaml will build before we see any of
# them (~5 us and ~300 bytes each). The largest shipped bank has ~5,200. A 2 MB flow list "[1,1,...]" took 6 s
# and 570 MB to refuse after the fact, 20,000 lines of "[[[...]]]" 24 s and 800 MB. 30,000 is ~3,700 short
# questions, or ~700 like the shipped ones.
MAX_ENTRIES = 30_000
MAX_NODES = 1_000_000  # values after alias expansion (a bank at MAX_ENTRIES has ~90,000)
MAX_DEPTH = 50  # a bank needs ~6 levels; deeper nesting is hostile or a mistake
MAX_FLOW_DEPTH = 100  # checked on the raw text before libyaml's recursive parser sees it
MAX_INDENT = 400  # columns of leading spaces and "- " markers; likewise
# characters in one unquoted number: PyYAML builds YAML 1.1 integers (1:59:59 is base 60, 0b1010 binary)
# with quadratic big-int arithmetic, and past 4,300 digits Python refuses them; a bank needs ~20
MAX_NUMBER_CHARS = 40


_ANCHOR = re.compile(r"(?:^|[\s\[{,:])&[^\s]")  # only a file with an anchor can hold aliases
_BRACKETS = re.compile(r"[\[\]{}]")
_ENTRY = re.compile(r"[\n,\[{]|- ")
_DEEP_PREFIX = re.compile(r"^[ -]{%d,}" % (MAX_INDENT + 1), re.M)
SCALAR_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")}


_STR = "tag:yaml.org,2002:str"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# what YAML may hold at all (its "printable" set); libyaml reports anything else at a byte offset,
# so we find it first and give its line and column in characters
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass
class Marks:
    """Source positions (1-based line, column) by value path."""

    filename: str
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: tuple) -> tuple[int, int]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))


class YamlProblem(Exception):
    """The text is not YAML we accept; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def load_yaml(text: str, filename: str) -> tuple[object, Marks]:
    import yaml

    if len(text) > MAX_BYTES:
        raise YamlProblem(msg("file is {size} characters; a bank may have at most {limit}; split it", size=f"{len(text):,}",
                              limit=f"{MAX_BYTES:,}"))
    _check_characters(text)
    _check_entries(text)
    _check_flow_depth(text)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "not valid YAML"
            raise YamlProblem(
                msg("YAML syntax error: {problem}", problem=problem), *(_pos(mark) if mark else (1, 1))
            ) from None
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, exc.position) + 1
            raise YamlProblem(msg("character {char} is not allowed in YAML; remove it", char=repr(exc.character)), line) from None
        except yaml.YAMLError as exc:
            raise YamlProblem(msg("YAML error: {error}", error=" ".join(str(exc).split()))) from None
        marks = Marks(filename)
        if node is None:
            return None, marks
        if _ANCHOR.search(text):
            _check_expanded_size(node)
        builder = _Builder(loader, marks)
        return builder.build(node, (), 0), marks
    finally:
        loader.dispose()


def _check_characters(text: str) -> None:
    from mlquiz.safetext import describe

    bad = _NOT_YAML.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise YamlProblem(msg("character {char} is not allowed in a bank; remove it", char=describe(bad.group())), line, column)


def _check_entries(text: str) -> None:
    """Refuse a file with more than MAX_ENTRIES lines, commas, brackets and "- " before libyaml builds its values."""
    if sum(text.count(mark) for mark in ("\n", ",", "[", "{", "- ")) > MAX_ENTRIES:
        import itertools

        past = next(itertools.islice(_ENTRY.finditer(text), MAX_ENTRIES, None))
        line = text.count("\n", 0, past.start()) + 1
        column = past.start() - (text.rfind("\n", 0, past.start()) + 1) + 1
        raise YamlProblem(msg("more than {limit} lines, commas, brackets and list dashes by here: more values than a bank "
                              "holds (the largest shipped bank has about 5,000); split it into several files",
                              limit=f"{MAX_ENTRIES:,}"),
                          line, column)


_IN_PROGRESS = -1


def _check_expanded_size(root) -> None:
    """Refuse an alias bomb before expanding it: sizes are summed per distinct node, memoised.
    An alias inside the value it names (``x: &r [*r]``) is a cycle, refused too."""
    import yaml

    sizes: dict[int, int] = {}

    def size(node, depth: int) -> int:
        known = sizes.get(id(node))
        if known == _IN_PROGRESS:
            raise YamlProblem(msg("an alias refers to the value that contains it (a cycle); write the values out"),
                              *_pos(node.start_mark))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise YamlProblem(msg("values nested more than {limit} deep", limit=MAX_DEPTH), *_pos(node.start_mark))
        sizes[id(node)] = _IN_PROGRESS
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child, depth + 1) for child in node.value)
        else:
            total = 1
        sizes[id(node)] = total = min(total, MAX_NODES + 1)
        return total

    if size(root, 0) > MAX_NODES:
        raise YamlProblem(msg("the file expands to more than {limit} values (an alias bomb?); write the values out", limit=f"{MAX_NODES:,}"),
                          *_pos(root.start_mark))


def _pos(mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _check_flow_depth(text: str) -> None:
    """Reject nesting deep enough to exhaust libyaml's recursive composer before it starts."""
    if text.count("[") + text.count("{") > MAX_FLOW_DEPTH:  # only then can the depth exceed it
        depth = 0
        for match in _BRACKETS.finditer(text):
            depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
            if depth > MAX_FLOW_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise YamlProblem(msg("brackets nested more than {limit} deep; a bank never needs that", limit=MAX_FLOW_DEPTH), line)
    # block nesting shows as indentation or as "- - - x"; both are bounded by this prefix
    deep = _DEEP_PREFIX.search(text)
    if deep:
        line = text.count("\n", 0, deep.start()) + 1
        raise YamlProblem(msg("line indented or nested more than {limit} columns deep", limit=MAX_INDENT), line)


class _Builder:
    def __init__(self, loader, marks: Marks):
        self.loader = loader
        self.marks = marks
        self.nodes = 0

    def build(self, node, path: tuple, depth: int):
        import yaml

        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                msg("the file expands to more than {limit} values (an alias bomb?); write the values out", limit=f"{MAX_NODES:,}"),
                *_pos(node.start_mark),
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(msg("values nested more than {limit} deep", limit=MAX_DEPTH), *_pos(node.start_mark))
        self.marks.positions.setdefault(path, _pos(node.start_mark))
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                raise self._bad_tag(node)
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise self._bad_tag(node)
            return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if node.tag == _STR:
            return node.value  # most scalars in a bank are text: skip the constructor's bookkeeping
        if node.tag not in SCALAR_TAGS:
            raise self._bad_tag(node)
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            raise YamlProblem(msg("a number of {size} characters; at most {limit} (quote it to make it text)",
                                  size=f"{len(node.value):,}", limit=MAX_NUMBER_CHARS), *_pos(node.start_mark))
        try:
            return self.loader.yaml_constructors[node.tag](self.loader, node)
        except yaml.YAMLError as exc:
            raise YamlProblem(msg("cannot read value: {error}", error=getattr(exc, "problem", exc)), *_pos(node.start_mark)) from None
        except Exception:  # PyYAML's constructors raise ValueError, IndexError, KeyError for !!int abc and the like
            kind = node.tag.rsplit(":", 1)[-1]
            raise YamlProblem(msg("{value} is not a valid {kind}; write one, or drop the !!{kind} tag", value=repr(node.value[:40]), kind=kind),
                              *_pos(node.start_mark)) from None

    def _mapping(self, node, path: tuple, depth: int) -> dict:
        import yaml

        result: dict = {}
        seen: dict = {}
        for key_node, value_node in _merged_pairs(node):
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem(msg("a mapping key must be plain text"), *_pos(key_node.start_mark))
            key = self.build(key_node, path + ("<key>",), depth + 1)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise YamlProblem(msg("a mapping key must be plain text, not {key}", key=repr(key)), *_pos(key_node.start_mark))
            if key in seen:
                first = seen[key]
                raise YamlProblem(
                    msg("key {key} appears twice (first at line {line}); keep one", key=repr(key), line=first[0]),
                    *_pos(key_node.start_mark),
                )
            seen[key] = _pos(key_node.start_mark)
            self.marks.positions[path + (key,)] = _pos(key_node.start_mark)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        self.marks.positions.pop(path + ("<key>",), None)
        return result

    def _bad_tag(self, node):
        return YamlProblem(
            msg("YAML tag {tag} is not allowed; banks hold plain text, numbers, lists and mappings (quote the value to "
                "make it text)", tag=repr(node.tag)),
            *_pos(node.start_mark),
        )


def _merged_pairs(node):
    """Key/value node pairs, with YAML merge keys (``<<: *defaults``) expanded, own keys winning."""
    import yaml

    own, merged = [], []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise YamlProblem(msg("'<<' must merge a mapping"), *_pos(source.start_mark))
                merged.extend(_merged_pairs(source))
        else:
            own.append((key_node, value_node))
    own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
    return own + [(k, v) for k, v in merged if k.value not in own_keys and not own_keys.add(k.value)]
