import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own progress folder and no instructor banks from the environment."""
    monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path / "mlquiz-home"))
    monkeypatch.delenv("MLQUIZ_BANKS", raising=False)


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    """English unless a test asks for another language: no MLQUIZ_LANG or Chinese locale from the machine,
    and the interface language (a module global that CliRunner's in-process runs set) reset after each test."""
    from mlquiz import i18n

    monkeypatch.delenv("MLQUIZ_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    yield
    i18n.use("en")


def pytest_terminal_summary(terminalreporter):
    """Name the pictures the tests made (a screenshot of the study sheet), so CI's log points at them."""
    from pathlib import Path

    folder = Path(__file__).parents[1] / "build" / "test-artifacts"
    pictures = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if pictures:
        terminalreporter.write_line("test artifacts: " + ", ".join(str(p) for p in pictures))
