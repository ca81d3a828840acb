"""Finding what an installed plugin's entry point names, without running any of its code.

``importlib.util.find_spec("pkg.banks")`` imports ``pkg`` (running its ``__init__.py``, which may
raise or do anything) just to find the folder of ``pkg.banks``. ``locate`` walks the import path
itself, so listing banks and demos never executes a plugin: a demo's code runs only when that
demo runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    origin: str | None  # the module's file (None for a folder without __init__.py)
    folders: tuple[str, ...]  # a package's folders (empty for a plain module)


def locate(module: str) -> Location | None:
    """Where ``module`` would be imported from, or None if it cannot be found."""
    import importlib.util
    from importlib.machinery import PathFinder

    parts = module.split(".")
    if not all(part.isidentifier() for part in parts):
        return None
    try:
        # a top-level name is found without importing anything, also by other finders (editable installs)
        spec = PathFinder.find_spec(parts[0]) or importlib.util.find_spec(parts[0])
    except (ImportError, ValueError, OSError):
        return None
    if spec is None:
        return None
    origin = spec.origin if spec.origin not in (None, "namespace", "built-in", "frozen") else None
    folders = tuple(spec.submodule_search_locations or ())
    # below the top level, the folders are searched as import would (a package's __init__.py, a
    # module file, or a folder without __init__.py), but nothing is imported
    for part in parts[1:]:
        origin, below = None, []
        for folder in map(Path, folders):
            if (folder / part / "__init__.py").is_file():
                origin, below = str(folder / part / "__init__.py"), [str(folder / part)]
                break
            if (folder / f"{part}.py").is_file():
                origin, below = str(folder / f"{part}.py"), []
                break
            if (folder / part).is_dir():
                below.append(str(folder / part))
        folders = tuple(below)
        if origin is None and not folders:
            return None
    if origin is None and not folders:
        return None
    return Location(origin, folders)
