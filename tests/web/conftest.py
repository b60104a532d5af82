"""Fixtures for the serve-web tests.

- `web_lab`    accounts (alice, bob), directories and the environment of the module's servers
- `web_server` one `serve-web` per module, each tab's child the stand-in console (fast), at
               most 2 consoles, 127.0.0.1 only
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from web_helpers import CLEAN_ENV, PASSWORDS, ServeWeb, standin_command

from console.web import accounts


class WebLab:
    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.config = root / "config"
        self.users = self.config / accounts.USERS_FILE_NAME
        for name, password in PASSWORDS.items():
            accounts.set_password(self.users, name, password)
        self.env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
        self.env.update(CALL_CONSOLE_DATA_DIR=str(self.data),
                        CALL_CONSOLE_CONFIG_DIR=str(self.config), CALL_CONSOLE_KEYRING="0")
        self.standin = standin_command(root)

    def server(self, *args: str, standin: bool = True, prefix: tuple[str, ...] = (),
               **env: str) -> ServeWeb:
        argv = ["--quit-grace", "2", "--term-grace", "1", *args]
        if standin:
            argv += ["--command", self.standin]
        return ServeWeb(*argv, env={**self.env, **env}, cwd=self.root, prefix=prefix).start()


@pytest.fixture(scope="module")
def web_lab(tmp_path_factory) -> WebLab:
    return WebLab(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def web_server(web_lab):
    running = web_lab.server("--max-sessions", "2")
    yield running
    running.stop()
