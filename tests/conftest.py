"""Every test runs with its own config and data directories and no token from the outside."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CALL_CONSOLE_DATA_DIR", str(tmp_path / "data"))
    for name in ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_PROFILES",
                 "CALL_CONSOLE_OPERATOR", "CALL_CONSOLE_DEFAULT_REGION", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
