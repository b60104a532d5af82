"""The installed `call-console` command against the simulator: outputs, exit codes, secrecy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from console.sim.state import DEMO_AGENTS

AGENT = DEMO_AGENTS[1].agent_id
COMMAND = str(Path(sys.executable).with_name("call-console"))


def cli(sim, *args, env: dict | None = None, timeout=60) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CALL_CONSOLE_BASE_URL": sim.base_url,
                   "CALL_CONSOLE_TOKEN": sim.token, **(env or {})}
    result = subprocess.run([COMMAND, *args], capture_output=True, text=True, env=environment,
                            timeout=timeout)
    # The token is never printed, whatever the command did.
    assert sim.token not in result.stdout + result.stderr
    return result


def test_place_and_watch_until_ended_with_duration(sim_clean):
    placed = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+14155550000", "--json")
    assert placed.returncode == 0, placed.stderr
    call_id = json.loads(placed.stdout)["call_id"]
    watched = cli(sim_clean, "call", "status", call_id, "--watch", "--json")
    assert watched.returncode == 0, watched.stderr
    states = [json.loads(line) for line in watched.stdout.splitlines()]
    assert states[-1]["status"] == "ended"
    assert states[-1]["duration_seconds"] is not None
    final = cli(sim_clean, "call", "status", call_id, "--json")
    assert json.loads(final.stdout)["status"] == "ended"


def test_bad_number_exits_2_naming_the_option(sim_clean):
    result = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "12")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --to:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args,needle", [
    (["--agent", "nope", "--to", "+14155550000"], "--agent:"),
    (["--agent", AGENT, "--to", "+14155550000", "--ringing-timeout", "0"], "--ringing-timeout:"),
    (["--agent", AGENT, "--to", "+14155550000", "--dtmf", "12A"], "--dtmf:"),
    (["--agent", AGENT, "--to", "+14155550000", "--header", "Via: x"], "--header #1:"),
    (["--agent", AGENT, "--to", "+14155550000", "--header", "no colon"], "--header 'no colon'"),
    (["--agent", AGENT, "--to", "+14155550000", "--context", "[1]"], "--context:"),
    (["--agent", AGENT, "--to", "+14155550000", "--priority", "URGENT"], "--priority"),
])
def test_each_bad_option_exits_2(sim_clean, args, needle):
    result = cli(sim_clean, "call", "place", *args)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr


def test_dry_run_sends_nothing_and_masks_the_token(sim_clean, tmp_path):
    context = tmp_path / "ctx.json"
    context.write_text('{"patient": {"id": 7}}')
    result = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+1 415 555 0001",
                 "--context", f"@{context}", "--header", "X-Campaign: fall", "--no-krisp",
                 "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["body"]["to_number"] == "+14155550001"
    assert out["body"]["context"] == {"patient": {"id": 7}}
    assert out["body"]["custom_headers"] == {"X-Campaign": "fall"}
    assert out["body"]["krisp_enabled"] is False
    assert "$CALL_CONSOLE_TOKEN" in out["curl"]
    stats = httpx.get(f"{sim_clean.base_url}/_sim/stats").json()
    stats = stats.get("requests", stats)
    assert stats.get("POST /calls/outbound", 0) == 0


def test_server_422_names_the_option(sim_clean):
    result = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+14155550000",
                 "--from", "+14155559999")
    assert result.returncode == 1
    assert "--from: " in result.stderr and "422" in result.stderr


def test_outcome_unknown_exits_3(sim_clean):
    httpx.put(f"{sim_clean.base_url}/_sim/faults",
              json=[{"route": "POST /calls/outbound", "kind": "drop_after", "count": 1}])
    result = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+14155550000")
    assert result.returncode == 3
    assert "outcome unknown" in result.stderr and "not sent again" in result.stderr


def test_list_end_transfer(sim_clean):
    placed = json.loads(cli(sim_clean, "call", "place", "--agent", AGENT, "--to",
                            "+14155550004", "--json").stdout)
    listed = cli(sim_clean, "call", "list", "--agent", AGENT, "--limit", "5", "--json")
    page = json.loads(listed.stdout)  # {calls, total, limit, offset} like the API
    assert placed["call_id"] in [c["call_id"] for c in page["calls"]]
    assert (page["limit"], page["offset"]) == (5, 0) and page["total"] >= len(page["calls"])
    bad = cli(sim_clean, "call", "transfer", placed["call_id"], "--to", "sip:nohost")
    assert bad.returncode == 2 and "--to:" in bad.stderr
    ended = cli(sim_clean, "call", "end", placed["call_id"], "--json")
    assert ended.returncode == 0 and json.loads(ended.stdout)["status"] == "ended"
    again = cli(sim_clean, "call", "end", placed["call_id"])
    assert again.returncode == 1 and "409" in again.stderr


def test_missing_configuration_and_bad_token(sim_clean):
    result = cli(sim_clean, "call", "status", "x", env={"CALL_CONSOLE_BASE_URL": ""})
    assert result.returncode == 2 and "CALL_CONSOLE_BASE_URL" in result.stderr
    result = cli(sim_clean, "call", "list", "--agent", AGENT, env={"CALL_CONSOLE_TOKEN": "wrong"})
    assert result.returncode == 1 and "sign in again" in result.stderr


def test_unreachable_api_is_one_line(sim_clean):
    result = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+14155550000",
                 env={"CALL_CONSOLE_BASE_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "nothing was sent" in result.stderr


def test_locate_honours_overrides(sim_clean, tmp_path):
    result = cli(sim_clean, "locate", "--json",
                 env={"CALL_CONSOLE_CONFIG_DIR": str(tmp_path / "c")})
    assert json.loads(result.stdout)["config_dir"] == str(tmp_path / "c")


def test_sim_refuses_non_loopback_without_flag(sim_clean):
    result = cli(sim_clean, "sim", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2 and "--allow-remote" in result.stderr
