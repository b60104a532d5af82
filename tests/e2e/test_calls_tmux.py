"""The installed console on the Calls screen in a real terminal (tmux), watching a saved agent:
a call placed from OUTSIDE (the CLI, another process) shows up and reaches `ended`.

The simulator is `call-console sim` in its own process (time scale 5); the console gets its
URL and token from CALL_CONSOLE_BASE_URL / CALL_CONSOLE_TOKEN and a profiles.toml that marks
the agent `watch = true`. All waiting is polling capture-pane with a deadline.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.sim.state import DEMO_AGENTS
from waiting import TimedOut, poll

pytestmark = pytest.mark.e2e

AGENT = DEMO_AGENTS[0]
TOKEN = "e2e-calls-token"


def _installed() -> str | None:
    beside = Path(sys.executable).with_name("call-console")
    return str(beside) if beside.exists() else shutil.which("call-console")


@pytest.fixture
def sim_process() -> Iterator[str]:
    console = _installed()
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the end-to-end tests need a real terminal")
    if console is None:
        pytest.skip("call-console is not installed (pip install -e .)")
    process = subprocess.Popen(
        [console, "sim", "--port", "0", "--token", TOKEN, "--time-scale", "5",
         "--max-concurrent", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on (\S+)", line)
        assert match, f"no URL line from the simulator: {line!r}"
        yield match.group(1)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class Pane:
    def __init__(self, socket: str, session: str) -> None:
        self.socket, self.session = socket, session

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True).stdout

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, check, what: str, timeout: float = 30.0) -> str:
        screen = ""

        def look() -> bool:
            nonlocal screen
            screen = self.capture()
            return bool(check(screen))

        try:
            poll(look, what, timeout, 0.1)
        except TimedOut as exc:
            size = self.tmux("display", "-p", "-t", self.session,
                             "#{window_width}x#{window_height}")
            raise TimedOut(f"{exc}; the {size.strip()} screen was:\n{screen}") from None
        return screen


def test_a_call_placed_from_the_cli_shows_up_and_reaches_ended(sim_process, tmp_path):
    console = _installed()
    config = tmp_path / "config"
    config.mkdir()
    (config / "profiles.toml").write_text(
        f'[agents.reception]\nid = "{AGENT.agent_id}"\nwatch = true\n', encoding="utf-8")
    env = {
        "CALL_CONSOLE_CONFIG_DIR": str(config),
        "CALL_CONSOLE_DATA_DIR": str(tmp_path / "data"),
        "CALL_CONSOLE_BASE_URL": sim_process,
        "CALL_CONSOLE_TOKEN": TOKEN,
        "CALL_CONSOLE_KEYRING": "0",
        "CALL_CONSOLE_OPERATOR": "e2e",
        "TERM": "xterm-256color",
    }
    socket = f"cc-calls-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    exports = " ".join(f"{k}={v}" for k, v in env.items())
    # COLUMNS/LINES may leak into the tmux server's environment (80x24 under pytest): drop
    # them so the console measures the real 120x40 pane.
    shell = (f"unset COLUMNS LINES; {exports} {console} --screen calls; echo \"EXIT=$?\"; "
             "sleep 60")
    subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-s", "calls", "-x", "120",
                    "-y", "40", "sh", "-c", shell], check=True)
    pane = Pane(socket, "calls")
    try:
        pane.wait_for(lambda s: "Calls" in s and "1 watched agent" in s,
                      "the Calls screen watching the saved agent")
        # Someone else places a call for the watched agent: the CLI, in another process.
        cli_env = {**os.environ, **env, "CALL_CONSOLE_DATA_DIR": str(tmp_path / "cli-data")}
        placed = subprocess.run(
            [console, "call", "place", "--agent", AGENT.agent_id, "--to", "+14155550000",
             "--json"], env=cli_env, capture_output=True, text=True, timeout=60)
        assert placed.returncode == 0, placed.stderr
        call_id = json.loads(placed.stdout)["call_id"]
        screen = pane.wait_for(lambda s: "+1 415-555-0000" in s, "the call's number")
        assert "reception" in screen
        row = r"^.*\+1 415-555-0000.*$"
        screen = pane.wait_for(
            lambda s: any("✔ ended" in line and "completed" in line
                          for line in re.findall(row, s, re.M)),
            "the call to reach ended (disposition completed)")
        assert call_id in screen                    # the selected call's detail shows its id
        pane.tmux("send-keys", "-t", "calls", "C-q")
        pane.wait_for(lambda s: "EXIT=0" in s, "a clean exit")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
