"""The shipped banks and their demo values precomputed at build time (mlquiz/demokit/prebuilt.py):
used on a first run instead of parsing and computing, and ignored the moment anything differs."""

import gzip
import json
import shutil

import pytest

from mlquiz.content import catalog, loading, prebuild
from mlquiz.content.items import make_item
from mlquiz.demokit import cache, prebuilt, registry

BANK = "gru.yaml"  # small, with demo-backed numbers


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A shipped folder holding one bank, and a prebuilt file made from it, both in tmp_path."""
    built_in = tmp_path / "build" / "questions"  # where the wheel was built: not where it is used
    built_in.mkdir(parents=True)
    shutil.copy(loading.shipped_banks_dir() / BANK, built_in / BANK)
    monkeypatch.setattr(loading, "shipped_banks_dir", lambda: built_in)
    monkeypatch.setattr(prebuilt, "FILE", tmp_path / "prebuilt.json.gz")
    prebuilt.contents.cache_clear()
    banks, values = prebuild.build(prebuilt.FILE)
    assert banks == 1 and values > 0
    folder = tmp_path / "site" / "questions"
    shutil.copytree(built_in, folder)
    monkeypatch.setattr(loading, "shipped_banks_dir", lambda: folder)
    monkeypatch.setattr(catalog, "shipped_banks_dir", lambda: folder)
    prebuilt.contents.cache_clear()
    cache.forget_values()
    monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path / "fresh-home"))  # a first run: empty caches
    yield folder / BANK
    prebuilt.contents.cache_clear()
    cache.forget_values()


def parse_only(path):
    bank, problems = loading.load_bank_file(path)
    assert not problems
    return bank


def test_a_first_run_takes_the_shipped_bank_as_built_without_parsing_it(shipped, monkeypatch):
    expected = parse_only(shipped)
    monkeypatch.setattr(catalog, "load_bank_file", lambda path: pytest.fail(f"{path} was parsed"))
    bank, problems = catalog.load_cached(shipped)
    assert problems == [] and bank == expected  # paths included: the stored ones are this folder's


def test_a_first_run_shows_numbers_without_running_a_demo(shipped, monkeypatch):
    questions = [q for q in parse_only(shipped).questions if q.answer_from is not None or q.values]
    assert questions
    computed = [make_item(q, v, cached=False).answer_text for q in questions for v in range(q.variant_count)]
    cache.forget_values()
    monkeypatch.setattr(registry, "run", lambda *a, **k: pytest.fail("a demo ran"))
    shown = [make_item(q, v).answer_text for q in questions for v in range(q.variant_count)]
    assert shown == computed


def test_an_edited_bank_is_parsed_not_taken_from_the_file(shipped, monkeypatch):
    shipped.write_text(shipped.read_text(encoding="utf-8").replace("title:", "title: Edited", 1), encoding="utf-8")
    bank, _ = catalog.load_cached(shipped)
    assert bank.title.startswith("Edited")


def test_a_file_built_from_other_sources_is_ignored(shipped, monkeypatch):
    data = json.loads(gzip.decompress(prebuilt.FILE.read_bytes()))
    data["sources"] = "0" * 64  # as after any change to mlquiz or a demo
    prebuilt.FILE.write_bytes(gzip.compress(json.dumps(data).encode()))
    prebuilt.contents.cache_clear()
    parsed = []
    monkeypatch.setattr(catalog, "load_bank_file", lambda path: parsed.append(path) or loading.load_bank_file(path))
    catalog.load_cached(shipped)
    assert parsed == [shipped] and prebuilt.demo_values() == {}


@pytest.mark.parametrize("damage", [b"not gzip", gzip.compress(b"[1, 2"), b""])
def test_a_damaged_file_is_ignored(shipped, damage):
    prebuilt.FILE.write_bytes(damage)
    prebuilt.contents.cache_clear()
    assert catalog.load_cached(shipped)[0] == parse_only(shipped)


def test_a_planted_class_in_the_file_is_not_built(shipped, monkeypatch):
    data = json.loads(gzip.decompress(prebuilt.FILE.read_bytes()))
    (digest,) = data["banks"]
    data["banks"][digest] = {"$": "Popen", "args": ["touch", "planted"]}
    prebuilt.FILE.write_bytes(gzip.compress(json.dumps(data).encode()))
    prebuilt.contents.cache_clear()
    assert catalog.load_cached(shipped)[0] == parse_only(shipped)


def test_the_same_bytes_outside_the_shipped_folder_are_parsed(shipped, tmp_path, monkeypatch):
    elsewhere = tmp_path / "mine" / BANK
    elsewhere.parent.mkdir()
    shutil.copy(shipped, elsewhere)
    parsed = []
    monkeypatch.setattr(catalog, "load_bank_file", lambda path: parsed.append(path) or loading.load_bank_file(path))
    catalog.load_cached(elsewhere)
    assert parsed == [elsewhere]


def test_the_digest_is_the_same_for_a_wheel_layout_and_a_checkout(tmp_path, monkeypatch):
    """Built in a checkout (demos/ beside the package), used in a wheel (demos inside it)."""
    from mlquiz.demokit import registry as reg

    checkout = prebuilt.source_digest()
    wheel = tmp_path / "site" / "mlquiz"
    shutil.copytree(prebuilt.FILE.parent, wheel, ignore=shutil.ignore_patterns("__pycache__", "*.gz"))
    for folder in reg.builtin_demo_dirs():
        for path in folder.glob("*.py"):
            shutil.copy(path, wheel / "demos" / path.name)
    monkeypatch.setattr(prebuilt, "FILE", wheel / "prebuilt.json.gz")
    monkeypatch.setattr(reg, "builtin_demo_dirs", lambda: [wheel / "demos"])
    assert prebuilt.source_digest() == checkout
    (wheel / "demos" / "gru_step.py").write_text("# changed\n", encoding="utf-8")
    assert prebuilt.source_digest() != checkout
