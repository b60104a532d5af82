"""Every test runs with its own config and data directories and no token from the outside."""

from __future__ import annotations

import pytest
from hypothesis import settings

# Hypothesis' per-example deadline (200 ms) is a timing assertion: on a loaded 2-core machine a
# plain example took 408 ms. Properties are checked by their examples, never by their speed.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CALL_CONSOLE_DATA_DIR", str(tmp_path / "data"))
    # Never touch a developer's real keyring: tokens go to the 0600 file in the temp data dir.
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    for name in ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_PROFILES",
                 "CALL_CONSOLE_OPERATOR", "CALL_CONSOLE_DEFAULT_REGION", "CALL_CONSOLE_ENV",
                 "NO_COLOR", "CALL_CONSOLE_EXCHANGE_DIR", "CALL_CONSOLE_CONFINE_FILES",
                 "CALL_CONSOLE_AUDIT_LOG",
                 # An SSH session confines file paths (console/store/exchange.py): a suite run
                 # over ssh must not be confined; the tests that want it set these.
                 "CALL_CONSOLE_SSH_SESSION", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
