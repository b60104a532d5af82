"""The CLI writes the log `locate` names; `--debug` / CALL_CONSOLE_DEBUG=1 adds every API
exchange with the token, the password and the refresh token masked (the log is grepped)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from console.sim.state import DEMO_PASSWORD
from test_cli import AGENT, COMMAND, cli


def _locate(sim) -> dict:
    result = cli(sim, "locate", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_locate_lists_the_log_file_and_the_audit_log(sim):
    found = _locate(sim)
    data = Path(os.environ["CALL_CONSOLE_DATA_DIR"])
    assert found["log_file"] == str(data / "logs" / "call-console.log")
    assert found["audit_log"] == str(data / "audit.jsonl")
    assert Path(found["log_file"]).parent == Path(found["log_dir"])


def test_debug_logs_each_exchange_with_the_token_masked(sim_clean):
    placed = cli(sim_clean, "--debug", "call", "place", "--agent", AGENT, "--to",
                 "+14155550004", "--json")
    assert placed.returncode == 0, placed.stderr
    log = Path(_locate(sim_clean)["log_file"]).read_text(encoding="utf-8")
    assert f"POST {sim_clean.base_url}/calls/outbound -> 200 in " in log
    assert "authorization: Bearer ***" in log
    assert '"to_number": "+14155550004"' in log  # the request body
    assert json.loads(placed.stdout)["call_id"] in log  # the answer's body
    assert sim_clean.token not in log


def _secret_strings(data: object) -> list[str]:
    """The stored token values (keys naming a token) of the tokens file."""
    if isinstance(data, dict):
        return [v if isinstance(v, str) else s for k, v in data.items()
                for s in (_secret_strings(v) if not isinstance(v, str) else [v])
                if not isinstance(v, str) or "token" in k]
    return []


def test_debug_from_the_environment_never_logs_credentials(sim_clean):
    env = {**os.environ, "CALL_CONSOLE_DEBUG": "1"}
    env.pop("CALL_CONSOLE_TOKEN", None)
    env.pop("CALL_CONSOLE_BASE_URL", None)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([COMMAND, *args], capture_output=True, text=True, env=env,
                                input=stdin, timeout=60)
        assert result.returncode == 0, result.stderr
        return result

    run("env", "add", "sim", sim_clean.base_url, "--use")
    run("login", "--username", "demo", "--password-stdin", stdin=DEMO_PASSWORD + "\n")
    run("whoami", "--json")
    log = Path(json.loads(run("locate", "--json").stdout)["log_file"]).read_text("utf-8")
    assert "/auth/token -> 200" in log and "/auth/me -> 200" in log
    assert "not logged: it holds credentials" in log
    assert "authorization: Bearer ***" in log
    stored = json.loads((Path(os.environ["CALL_CONSOLE_DATA_DIR"]) / "secrets" /
                         "tokens.json").read_text("utf-8"))
    secrets = _secret_strings(stored)
    assert len(secrets) >= 2  # the access and the refresh token
    for secret in secrets:
        assert secret not in log
    assert '"password"' not in log  # the login body (the demo password is too short to grep)


def test_without_debug_no_exchange_detail_is_logged(sim_clean):
    placed = cli(sim_clean, "call", "place", "--agent", AGENT, "--to", "+14155550004")
    assert placed.returncode == 0, placed.stderr
    log = Path(_locate(sim_clean)["log_file"]).read_text(encoding="utf-8")
    assert "POST /calls/outbound -> 200" in log
    assert "request headers" not in log
