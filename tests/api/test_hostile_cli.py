"""The installed `call-console` against a hostile simulator: server text never drives the
terminal, huge answers end in a clear error with bounded memory, a dripping server ends at the
overall deadline, and waits on `Retry-After` are said on stderr.

Checks that a command ends by itself use the subprocess timeout as a deadline (old code hangs
and fails there); no test asserts how long anything took.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import unicodedata

import httpx
import pytest
from test_cli import AGENT, COMMAND, cli

from console.sim.faults import ESCAPES

NO_SUCH_CALL = "00000000-0000-4000-8000-00000000dead"
#: Peak RSS allowed to the `call status` process that refuses a 50 MB answer: it peaks at
#: about 50 MB here, as on a small answer; reading the answer whole peaked at 250 MB.
MAX_RSS_MB = 150
#: Deadline of a command that must end by itself.
GUARD = 60
#: Connect 1 s + 2 × read 1 s: the overall deadline of one request in these tests.
SHORT_TIMEOUTS = {"CALL_CONSOLE_CONNECT_TIMEOUT": "1", "CALL_CONSOLE_READ_TIMEOUT": "1"}


def arm(sim, *rules) -> None:
    with httpx.Client(base_url=sim.base_url, timeout=5) as admin:
        admin.put("/_sim/faults", json=list(rules)).raise_for_status()


def controls(text: str) -> list[str]:
    """What a terminal may obey, line feeds aside: C0/C1 controls, DEL, format characters
    (bidi overrides...), line separators, surrogates."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in
            ("Cc", "Cf", "Cs", "Zl", "Zp")]


def env_for(sim, extra: dict | None = None) -> dict:
    return {**os.environ, "CALL_CONSOLE_BASE_URL": sim.base_url,
            "CALL_CONSOLE_TOKEN": sim.token, **(extra or {})}


@pytest.fixture
def call_id(sim_clean) -> str:
    placed = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+14155550004", "--json")
    assert placed.returncode == 0, placed.stderr
    return json.loads(placed.stdout)["call_id"]


# -- terminal escapes -----------------------------------------------------------------------------

def test_status_and_list_show_server_escapes_as_visible_text(sim_clean, call_id):
    arm(sim_clean, {"route": "*", "kind": "escape_strings"})
    status = cli(sim_clean, "call", "status", call_id, timeout=GUARD)
    assert status.returncode == 0, status.stderr
    assert "\\x1b[2J\\x1b[31m\\x1b]0;pwned\\x07\\x9b31m\\r\\x08\\u202eevil" in status.stdout
    assert status.stdout.startswith(call_id)
    listed = cli(sim_clean, "call", "list", "--agent", AGENT, "--limit", "5", timeout=GUARD)
    assert listed.returncode == 0, listed.stderr
    assert call_id in listed.stdout and "\\x1b[2J" in listed.stdout
    for result in (status, listed):
        assert controls(result.stdout) == [] and controls(result.stderr) == []


def test_json_output_stays_valid_and_keeps_the_strings_as_received(sim_clean, call_id):
    arm(sim_clean, {"route": "*", "kind": "escape_strings"})
    status = cli(sim_clean, "call", "status", call_id, "--json", timeout=GUARD)
    listed = cli(sim_clean, "call", "list", "--agent", AGENT, "--limit", "5", "--json",
                 timeout=GUARD)
    for result in (status, listed):
        assert result.returncode == 0, result.stderr
        assert controls(result.stdout) == []
    assert json.loads(status.stdout)["status"].endswith(ESCAPES)
    mine = [c for c in json.loads(listed.stdout)["calls"] if c["call_id"] == call_id]
    assert mine and mine[0]["to_number"] == "+14155550004" + ESCAPES


def test_error_lines_show_server_text_as_visible_text(sim_clean):
    arm(sim_clean, {"route": "*", "kind": "escape_strings"})
    result = cli(sim_clean, "call", "status", NO_SUCH_CALL, timeout=GUARD)
    assert result.returncode == 1
    assert result.stderr.startswith("error: 404 Not Found: call not found\\x1b[2J")
    assert controls(result.stderr) == []


# -- huge answers ---------------------------------------------------------------------------------

#: Runs `call-console` (its `console.cli:main`, as the installed script does) and writes the
#: process's peak RSS (VmHWM, kB) to the file named first. Measured inside the process: a
#: parent's `wait4()` would also count the memory of the pytest worker it was forked from.
PEAK_RSS_WRAPPER = """
import atexit, sys
report = sys.argv.pop(1)
def peak():
    with open("/proc/self/status") as status, open(report, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(peak)
sys.argv[0] = "call-console"
from console.cli import main
main()
"""


def run_measured(args: list[str], env: dict, tmp_path) -> tuple[int, str, str, int]:
    """Run the command; (exit code, stdout, stderr, its peak RSS in MB)."""
    report = tmp_path / "peak-rss"
    result = subprocess.run([sys.executable, "-c", PEAK_RSS_WRAPPER, str(report), *args],
                            capture_output=True, text=True, env=env, timeout=GUARD)
    return result.returncode, result.stdout, result.stderr, int(report.read_text()) // 1024


@pytest.mark.timeout(GUARD)
def test_a_50_mb_answer_is_a_clear_error_and_memory_stays_bounded(sim_clean, call_id,
                                                                  tmp_path):
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "huge_body", "size": 50_000_000})
    code, out, err, rss = run_measured(["call", "status", call_id], env_for(sim_clean),
                                       tmp_path)
    assert code == 1 and out == ""
    assert err == (f"error: GET /calls/{call_id}: 200 answer larger than 1 MiB, the most the "
                   "console reads for it (the rest was not read)\n")
    assert rss < MAX_RSS_MB


def test_a_50_mb_list_page_is_a_clear_error(sim_clean):
    arm(sim_clean, {"route": "GET /calls/agent/{agent_id}/calls", "kind": "huge_body",
                    "size": 50_000_000})
    result = cli(sim_clean, "call", "list", "--agent", AGENT, timeout=GUARD)
    assert result.returncode == 1
    assert "answer larger than 16 MiB" in result.stderr


# -- deadlines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["status", "list"])
def test_a_dripping_server_ends_at_the_overall_deadline(sim_clean, call_id, command):
    arm(sim_clean, {"route": "*", "kind": "drip", "seconds": 0.5})
    args = ["call", "status", call_id] if command == "status" else [
        "call", "list", "--agent", AGENT]
    result = cli(sim_clean, *args, env=SHORT_TIMEOUTS, timeout=GUARD)
    assert result.returncode == 1
    assert "no complete answer within 3 s (the overall deadline of a request)" in result.stderr


def first_stderr_line(args: list[str], env: dict) -> str:
    """Start the command, return its first stderr line (within GUARD), then stop it."""
    process = subprocess.Popen([COMMAND, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr],
                     daemon=True).start()
    try:
        return lines.get(timeout=GUARD)  # old code waited silently: nothing comes
    finally:
        process.terminate()
        process.wait(timeout=GUARD)
        process.stdout.close()


def test_watch_says_why_it_waits_after_a_deadline(sim_clean, call_id):
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "drip", "seconds": 0.5})
    line = first_stderr_line(["call", "status", call_id, "--watch"],
                             env_for(sim_clean, SHORT_TIMEOUTS))
    assert line == (f"waiting 2 s: GET /calls/{call_id}: no complete answer within 3 s (the "
                    "overall deadline of a request)\n")


# -- Retry-After ----------------------------------------------------------------------------------

def test_a_short_retry_after_is_waited_and_said(sim_clean, call_id):
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 503,
                    "retry_after": "1", "count": 1})
    result = cli(sim_clean, "call", "status", call_id, timeout=GUARD)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "waiting 1 s: the server asked to retry later (Retry-After)\n"
    assert result.stdout.startswith(call_id)


def test_a_retry_after_of_an_hour_is_capped_and_named_in_the_error(sim_clean, call_id):
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 429,
                    "retry_after": "3600"})
    result = cli(sim_clean, "call", "status", call_id, timeout=GUARD)
    assert result.returncode == 1
    assert result.stderr == ("error: 429 Too Many Requests: simulated 429 fault (retry after "
                             "60 s; the server asked for 3600 s)\n")


def test_watch_says_it_waits_the_capped_retry_after(sim_clean, call_id):
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 429,
                    "retry_after": "3600"})
    line = first_stderr_line(["call", "status", call_id, "--watch"], env_for(sim_clean))
    assert line == ("waiting 60 s: the server asked to retry later (Retry-After); it asked for "
                    "3600 s, the console waits at most 60 s\n")


def test_whoami_shows_the_identity_with_escapes_visible(sim_clean):
    arm(sim_clean, {"route": "GET /auth/me", "kind": "escape_strings"})
    result = cli(sim_clean, "whoami", timeout=GUARD)
    assert result.returncode == 0, result.stderr
    assert "\\x1b[2J" in result.stdout and "role=" in result.stdout
    assert controls(result.stdout) == [] and controls(result.stderr) == []
