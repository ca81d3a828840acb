"""What docs/authoring.md promises a demo plugin it may import stays importable under that name."""

import importlib
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[1] / "docs" / "authoring.md"


def documented_names() -> list[str]:
    section = GUIDE.read_text(encoding="utf-8").split("### What a demo may import", 1)[1].split("\n### ", 1)[0]
    names = []
    for row in re.findall(r"^\| (`mlquiz\..*?) \|", section, re.M):
        first, *more = re.findall(r"`([^`]+)`", row)
        names.append(first)
        module = first.rsplit(".", 1)[0]
        names += [module + name for name in more]  # `.sigmoid_grad` continues the first name's module
    return names


def test_the_guide_lists_the_plugin_surface():
    names = documented_names()
    assert "mlquiz.errors.DemoInputError" in names and "mlquiz.charts.bar_chart" in names
    assert len(names) >= 15


@pytest.mark.parametrize("name", documented_names())
def test_each_documented_name_imports(name):
    module, attribute = name.rsplit(".", 1)
    assert hasattr(importlib.import_module(module), attribute), f"{name} is documented for plugins but missing"
