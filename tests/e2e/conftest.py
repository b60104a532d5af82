"""Fixtures for end-to-end tests that drive the installed `call-console` in a real terminal.

`console_in_tmux` starts a command in a private tmux server (its own socket, so nothing else
running tmux on the machine is touched) with the config and data directories in a temporary
directory; the tmux server is killed in a finalizer. All waiting is polling with a deadline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from waiting import TimedOut, poll


def installed_console() -> str | None:
    """The `call-console` installed next to this Python (the venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("call-console")
    if beside.exists():
        return str(beside)
    return shutil.which("call-console")


class TmuxConsole:
    def __init__(self, socket: str, session: str) -> None:
        self.socket, self.session = socket, session

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=check)

    def capture(self) -> str:
        result = self._tmux("capture-pane", "-p", "-t", self.session, check=False)
        return result.stdout

    def keys(self, *keys: str) -> None:
        """tmux key names (C-s, Enter, F6, ...)."""
        self._tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """Literal text, as typed."""
        self._tmux("send-keys", "-t", self.session, "-l", text)

    def wait_for(self, check: Callable[[str], object], what: str, timeout: float = 20.0) -> str:
        """Poll the screen until `check(screen)` is truthy; fail with the last screen."""
        screen = ""

        def look() -> bool:
            nonlocal screen
            screen = self.capture()
            return bool(check(screen))

        try:
            poll(look, what, timeout, 0.1)
        except TimedOut as exc:
            raise TimedOut(f"{exc}; the screen was:\n{screen}") from None
        return screen

    def wait_for_text(self, text: str, timeout: float = 20.0) -> str:
        return self.wait_for(lambda screen: text in screen, repr(text), timeout)


@pytest.fixture
def console_in_tmux(tmp_path) -> Iterator[Callable[..., TmuxConsole]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the end-to-end tests need a real terminal")
    command = installed_console()
    if command is None:
        pytest.skip("call-console is not installed (pip install -e .)")
    socket = f"cc-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    started: list[TmuxConsole] = []

    def start(*args: str, width: int = 120, height: int = 40) -> TmuxConsole:
        env = {
            "CALL_CONSOLE_CONFIG_DIR": str(tmp_path / "config"),
            "CALL_CONSOLE_DATA_DIR": str(tmp_path / "data"),
            "CALL_CONSOLE_OPERATOR": "e2e",
            "TERM": "xterm-256color",
        }
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        # Unset anything that could point the console at a real API, and the COLUMNS/LINES
        # pytest exports (they would override the pane's real size).
        shell = (f"unset CALL_CONSOLE_BASE_URL CALL_CONSOLE_TOKEN COLUMNS LINES; {exports} "
                 f"{command} {' '.join(args)}; echo \"EXIT=$?\"; sleep 60")
        session = f"console{len(started)}"
        subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-s", session,
                        "-x", str(width), "-y", str(height), "sh", "-c", shell], check=True)
        console = TmuxConsole(socket, session)
        started.append(console)
        return console

    try:
        yield start
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


@pytest.fixture
def tmux(tmp_path):
    """A private tmux server (its own socket) for `ssh -tt` clients, killed at the test's end."""
    from ssh_helpers import Tmux

    mux = Tmux(tmp_path)
    yield mux
    mux.kill_server()
