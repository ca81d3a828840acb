"""The package's rooms import one way: base <- demokit <- content <- practice, export <- cli.

Read from the source with ast (every import, also those inside functions), so a lazy import that
runs upwards fails here even if no test happens to execute it.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "mlquiz"
FIXTURE = Path(__file__).parent / "fixtures" / "layering" / "mlquiz"

# room -> the rooms it may import (besides itself). "base" is the package's top-level modules.
ALLOWED = {
    "base": set(),
    "demos": {"base"},
    "demokit": {"base", "demos"},  # the registry finds the built-in demos' folder
    "content": {"base", "demokit"},
    "practice": {"base", "demokit", "content"},
    "export": {"base", "demokit", "content"},
    "cli": {"base", "demokit", "content", "practice", "export", "demos"},
}


def module_name(path: Path, root: Path) -> str:
    parts = ("mlquiz",) + path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def room(module: str) -> str:
    if module == "mlquiz.__main__":
        return "cli"  # ``python -m mlquiz`` is the command line
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else "base"


def imports(path: Path, module: str) -> set[str]:
    """The mlquiz modules ``path`` imports (a package import names the package)."""
    found = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "mlquiz"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.split(".")[0] != "mlquiz":
                continue
            for alias in node.names:  # "from mlquiz.content import catalog" imports a module
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return found


def modules(root: Path) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


MODULES = modules(PACKAGE) | modules(FIXTURE)


def violations(root: Path) -> list[str]:
    found = []
    graph = {}
    for name, path in modules(root).items():
        graph[name] = imports(path, name) - {name}
        for target in graph[name]:
            source_room, target_room = room(name), room(target)
            if target_room != source_room and target_room not in ALLOWED[source_room]:
                found.append(f"{name} ({source_room}) imports {target} ({target_room})")
    for name, targets in graph.items():
        for target in targets:
            if name in graph.get(target, ()) and name < target:
                found.append(f"{name} and {target} import each other")
    return found


def test_rooms_import_only_downwards_and_no_two_modules_import_each_other():
    assert violations(PACKAGE) == []


def test_every_module_lives_in_a_known_room():
    assert {room(name) for name in modules(PACKAGE)} <= set(ALLOWED)


def test_an_inverted_import_is_caught():
    found = violations(FIXTURE)
    assert "mlquiz.content.upward (content) imports mlquiz.cli.app (cli)" in found
    assert "mlquiz.cli.ping and mlquiz.cli.pong import each other" in found


@pytest.mark.parametrize("room_package", sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()))
def test_each_room_says_what_it_holds(room_package):
    doc = ast.get_docstring(ast.parse((room_package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and len(doc) > 80, f"{room_package.name}/__init__.py needs a docstring naming what it holds"
