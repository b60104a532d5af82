"""A lost terminal ends the console cleanly (issue 8): the installed `call-console --demo` in
tmux, a call placed, then SIGHUP (what the SSH server and the kernel send when the client or the
terminal goes away). The console exits through its own shutdown: the terminal is given back
(the alternate screen is left), and the call store is intact and closed: sqlite3 opens it, the
call is there with the operator's name, and the WAL was checkpointed away. (The shell reports
129 for a process killed by SIGHUP too; what tells a clean exit from a kill is the closed store
and the restored screen: a killed console leaves `-wal`/`-shm` files and its last frame.)"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
LONG_CALL = "+14155550004"      # the simulator keeps it talking: still live at the hangup


def _place_a_call(console) -> str:
    console.wait_for_text("online", timeout=30)
    console.wait_for_text("Reception")
    console.type(LONG_CALL)
    console.wait_for_text(f"Ready to call {LONG_CALL}")
    console.keys("C-s")
    screen = console.wait_for(lambda s: "Call placed" in s and UUID.search(s.split(
        "call id", 1)[-1]), "the placed call's id")
    return UUID.search(screen.split("call id", 1)[1]).group(0)


def _console_pid(console) -> int:
    pane = console._tmux("display", "-p", "-t", console.session, "#{pane_pid}").stdout.strip()
    children = subprocess.run(["pgrep", "-P", pane], capture_output=True, text=True).stdout
    pids = [int(p) for p in children.split()]
    assert len(pids) == 1, f"expected one child of the pane's shell, got {pids}"
    return pids[0]


def _wait_gone(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    threads = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            threads.append(f"{task.name}:{(task / 'wchan').read_text()}")
        except OSError:
            continue
    raise AssertionError(f"the console (pid {pid}) is still running {timeout} s after the "
                         f"hangup; its threads wait in {threads}")


def _store_is_intact(data: Path, call_id: str) -> None:
    db = data / "calls.sqlite3"
    assert db.exists()
    assert not (data / "calls.sqlite3-wal").exists(), "the store was not closed (WAL left)"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        row = conn.execute("SELECT placed_by, to_number FROM calls WHERE call_id = ?",
                           (call_id,)).fetchone()
    assert row == ("e2e", LONG_CALL)
    audit = [json.loads(line) for line in (data / "audit.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["call_id"], r["operator"]) for r in audit] == [
        ("call_placed", call_id, "e2e")]


def test_sighup_ends_the_console_cleanly(console_in_tmux, tmp_path):
    console = console_in_tmux("--demo")
    call_id = _place_a_call(console)
    pid = _console_pid(console)
    os.kill(pid, signal.SIGHUP)
    screen = console.wait_for_text("EXIT=", timeout=15)
    assert "EXIT=129" in screen
    assert "☎ call-console" not in screen              # the console gave the terminal back
    _wait_gone(pid)
    _store_is_intact(tmp_path / "data", call_id)


def test_a_lost_terminal_ends_the_console_cleanly(console_in_tmux, tmp_path):
    console = console_in_tmux("--demo")
    call_id = _place_a_call(console)
    pid = _console_pid(console)
    console._tmux("kill-session", "-t", console.session)    # the terminal is gone
    _wait_gone(pid)
    _store_is_intact(tmp_path / "data", call_id)
