"""The demo registry: which demos exist, and running one.

Built-in demos are the modules of ``mlquiz.demos`` (the top-level ``demos/`` folder); a module
whose name starts with ``_`` is a shared helper, not a demo. Instructors add demos from installed
packages through the entry-point group ``mlquiz.demos`` (``name = "package.module"``). Metadata is
read from source (see ``demospec``); a module is imported only when its demo runs.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import math
import re
from functools import lru_cache
from pathlib import Path

from mlquiz.demokit.spec import DemoSpec, read_spec
from mlquiz.errors import MlquizError, UnknownDemoError
from mlquiz.i18n import msg

ENTRY_POINT_GROUP = "mlquiz.demos"


def builtin_demo_dirs() -> list[Path]:
    import mlquiz.demos

    return [Path(p) for p in mlquiz.demos.__path__]


@lru_cache(maxsize=1)
def demo_sources() -> dict[str, tuple[str, Path]]:
    """Every demo's CLI name -> (module, source file), found without reading any of them.

    A broken plugin entry point (a missing module, a name that clashes) costs only that demo: it is
    left out and described in ``plugin_problems()``.
    """
    from mlquiz.demokit.plugins import locate

    sources: dict[str, tuple[str, Path]] = {}
    for folder in builtin_demo_dirs():
        for path in sorted(folder.glob("*.py")):
            if not path.stem.startswith("_"):
                sources[path.stem.replace("_", "-")] = (f"mlquiz.demos.{path.stem}", path)
    for name, module in _plugin_modules():
        if name in sources:
            _problem(name, f"plugin demo {name!r} ({module}) clashes with a demo of the same name and is left out; "
                           "rename it")
            continue
        found = locate(module)
        if found is None or not found.origin:
            _problem(name, f"plugin demo {name!r}: module {module!r} cannot be found and is left out; reinstall its "
                           "package")
            continue
        sources[name] = (module, Path(found.origin))
    return sources


_problems: dict[str, str] = {}  # demo name -> why it is left out


def _problem(name: str, message: str) -> None:
    _problems.setdefault(name, message)


def plugin_problems() -> list[tuple[str, str]]:
    """(demo name, one-line message) for every plugin demo that was left out."""
    demo_sources()
    return sorted(_problems.items())


_specs: dict[str, DemoSpec] | None = None  # parsed metadata, filled from the disk cache first


def _spec(name: str) -> DemoSpec:
    global _specs
    from mlquiz.demokit import cache

    if _specs is None:
        from mlquiz.demokit.spec import Param, Scenario

        _specs = cache.load_demo_specs(demo_fingerprint(), {"DemoSpec": DemoSpec, "Param": Param, "Scenario": Scenario})
    module, path = demo_sources()[name]
    spec = _specs.get(name)
    if spec is None or spec.module != module:
        spec = _specs[name] = read_spec(name, module, path)
        _save_specs_at_exit()
    return spec


@lru_cache(maxsize=1)
def _save_specs_at_exit() -> None:
    """Write the parsed specs once, when the process ends, not once per demo read (18 writes on a first run)."""
    import atexit

    from mlquiz.demokit import cache

    atexit.register(lambda: cache.save_demo_specs(demo_fingerprint(), dict(_specs or {})))


@lru_cache(maxsize=1)
def demo_fingerprint() -> str:
    """Changes whenever any demo source (built-in or plugin) or mlquiz itself changes: what cached
    demo values, specs and parsed banks (which consult demo metadata) are keyed by."""
    import hashlib

    from mlquiz import __version__

    digest = hashlib.sha256(__version__.encode())
    folders = {path.parent for _module, path in demo_sources().values()}
    files = [path for folder in sorted(folders | set(builtin_demo_dirs())) for path in sorted(folder.glob("*.py"))]
    # mlquiz's own modules too: a cached spec or bank is a stored dataclass, stale once its class changes
    package = Path(__file__).resolve().parents[1]
    files += sorted(package.glob("*.py")) + sorted(package.glob("*/*.py"))
    for path in files:
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _plugin_modules() -> list[tuple[str, str]]:
    from mlquiz.demokit import cache

    return cache.entry_points(ENTRY_POINT_GROUP)


def all_demos() -> dict[str, DemoSpec]:
    """Every demo by CLI name, built-in ones first, in name order (reads every demo's metadata).
    A demo whose metadata cannot be read is left out and described in ``plugin_problems()``."""
    demos = {}
    for name in demo_sources():
        try:
            demos[name] = _spec(name)
        except MlquizError as exc:
            _problem(name, f"{exc} (left out)")
    return demos


def get_demo(name: str) -> DemoSpec:
    """One demo's metadata; only its own source file is read."""
    sources = demo_sources()
    if name in sources:
        return _spec(name)
    close = difflib.get_close_matches(name, sources, n=1)
    hint = (msg("; did you mean {word}?", word=repr(close[0])) if close
            else msg("; run {command} to list them", command="'mlquiz demo'"))
    raise UnknownDemoError(msg("unknown demo {name}{hint}", name=repr(name), hint=hint))


class DemoFailed(MlquizError):
    """A demo's own code raised: a bug in that demo, reported in one line so it costs only itself."""


def _contained(spec: DemoSpec, what: str, call):
    import warnings

    try:
        with warnings.catch_warnings():  # numpy's RuntimeWarnings are not for the candidate's screen
            warnings.simplefilter("ignore")
            return call(importlib.import_module(spec.module))
    except MlquizError:
        raise
    except (Exception, RecursionError) as exc:  # MemoryError included; KeyboardInterrupt is not
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise DemoFailed(msg("demo {name} failed in {what} ({detail}); this is a bug in the demo ({module}): please "
                             "report it to its author", name=repr(spec.name), what=what, detail=detail,
                             module=spec.module)) from None


def compute(spec: DemoSpec, values: dict[str, object]):
    """Run a demo's compute() with already-resolved parameter values."""
    return _contained(spec, "compute()", lambda module: module.compute(**values))


def render(spec: DemoSpec, result):
    """A demo's render(result); text it returns is shown as text (no markup, controls visible)."""
    from mlquiz.safetext import visible

    shown = _contained(spec, "render()", lambda module: module.render(result))
    if isinstance(shown, str):
        from rich.text import Text

        return Text(visible(shown))
    return shown


def figure(spec: DemoSpec, result):
    """The demo's chart as data (``mlquiz.charts.Figure``), for --plot and the HTML sheet; None if it has none."""
    if not spec.has_figure:
        return None
    return importlib.import_module(spec.module).figure(result)


def to_jsonable(value):
    """Plain JSON data from a demo result: dataclasses, numpy arrays and scalars, tuples."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and numpy scalars
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise DemoFailed(msg("a demo result holds a {kind}, which is not JSON data (numbers, text, lists, mappings, "
                         "arrays); this is a bug in the demo", kind=type(value).__name__))


@lru_cache(maxsize=1024)
def _cached_result(name: str, frozen_values: tuple):
    return compute(get_demo(name), dict(frozen_values))


def run(name: str, params: dict[str, object] | None = None):
    """A demo's result object, computed once per (demo, parameters) within this process."""
    values = get_demo(name).resolve(params or {})
    return _cached_result(name, tuple(sorted(values.items())))


def run_json(name: str, params: dict[str, object] | None = None) -> dict:
    """The JSON result of a demo run."""
    return to_jsonable(run(name, params))


def lookup(result, key: str):
    """The JSON value at a dotted key (``grad_norms.lstm.0``) of a demo result; KeyError if absent.

    Walks the result object itself and converts only the value found: verify looks up thousands
    of keys, and converting whole results (arrays and all) to JSON each time cost a tenth of it.
    """
    node = result
    for part in key.split("."):
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            if part not in {f.name for f in dataclasses.fields(node)}:
                raise KeyError(key)
            node = getattr(node, part)
        elif isinstance(node, dict):
            match = next((k for k in node if str(k) == part), _NO_KEY)
            if match is _NO_KEY:
                raise KeyError(key)
            node = node[match]
        elif hasattr(node, "__len__") and not isinstance(node, str) and _is_index(part) \
                and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(key)
    return to_jsonable(node)


_NO_KEY = object()


def _is_index(text: str) -> bool:
    # ASCII digits only (str.isdigit accepts '²', which int() refuses) and short (int() refuses 5,000 digits)
    return re.fullmatch(r"-?[0-9]{1,18}", text) is not None
