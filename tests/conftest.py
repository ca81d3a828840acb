import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Every test gets its own progress folder and no instructor banks from the environment."""
    monkeypatch.setenv("MLQUIZ_HOME", str(tmp_path / "mlquiz-home"))
    monkeypatch.delenv("MLQUIZ_BANKS", raising=False)
