"""`call status --watch` follows the call with the CallTracker: its backoff after failed reads,
its exit rules (an error a single read would end on ends the watch too), said on stderr.

Checks that a command ends by itself use the subprocess timeout as a deadline; no test asserts
how long anything took.
"""

from __future__ import annotations

import json

from test_cli import AGENT, cli
from test_hostile_cli import GUARD, NO_SUCH_CALL, arm


def placed_call(sim, number: str = "+14155550000") -> str:
    placed = cli(sim, "call", "place", "--agent", AGENT, "--to", number, "--json")
    assert placed.returncode == 0, placed.stderr
    return json.loads(placed.stdout)["call_id"]


def test_watch_backs_off_after_server_errors_and_says_each_wait(sim_clean):
    """Old code retried inside the client (two silent retries) and said nothing; the tracker
    reads once per attempt and backs the call off 2 s, then 4 s, saying so each time."""
    call_id = placed_call(sim_clean)
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 500,
                    "count": 2})
    result = cli(sim_clean, "call", "status", call_id, "--watch", "--json", timeout=GUARD)
    assert result.returncode == 0, result.stderr
    waits = result.stderr.splitlines()
    assert [line.split(":")[0] for line in waits] == ["waiting 2 s", "waiting 4 s"]
    assert all("500" in line for line in waits)
    states = [json.loads(line) for line in result.stdout.splitlines()]
    assert states[-1]["call_id"] == call_id and states[-1]["status"] == "ended"


def test_watch_of_an_unknown_call_ends_at_once_with_exit_1(sim_clean):
    """As a single read: the tracker's own rule (five 404s in a row, then lost) is not
    waited out by the CLI."""
    result = cli(sim_clean, "call", "status", NO_SUCH_CALL, "--watch", timeout=GUARD)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: 404") and len(result.stderr.splitlines()) == 1


def test_watch_signed_out_ends_with_exit_1_instead_of_pausing(sim_clean):
    """The tracker pauses 30 s on 401 for the TUI to sign in again; a script has no one to
    sign in, so the watch ends like a single read does."""
    call_id = placed_call(sim_clean, "+14155550004")
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 401})
    result = cli(sim_clean, "call", "status", call_id, "--watch", timeout=GUARD)
    assert result.returncode == 1
    assert result.stderr.startswith("error: 401") and "Traceback" not in result.stderr


def test_watch_exits_4_when_the_call_failed(sim_clean):
    """The exit code is the call's outcome (0 ended, 4 failed), so a script can branch on it;
    the old code exited 0 for both. `…0003` is rejected at once."""
    call_id = placed_call(sim_clean, "+14155550003")
    result = cli(sim_clean, "call", "status", call_id, "--watch", "--json", timeout=GUARD)
    assert result.returncode == 4, result.stderr
    assert json.loads(result.stdout.splitlines()[-1])["status"] == "failed"
