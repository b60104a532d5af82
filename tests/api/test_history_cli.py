"""`history list|fetch|export|prune`, `audit list|export` and `call list --json` from the command
line, against the store in the test's data dir and the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from console.account import audit
from console.account.session import environment_key
from console.api.models import CallStatus
from console.cli import main
from console.history.export import read_csv
from console.sim.state import DEMO_AGENTS
from console.store.history import CallStore, HistoryFilter

SALES = DEMO_AGENTS[1].agent_id
API = "https://api.example.com"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def records(kind: str) -> list[dict]:
    return [r for r in audit.read_audit() if r["kind"] == kind]


@pytest.fixture
def api_env(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_BASE_URL", API)
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", "tok-history-cli-secret")
    assert run("profiles", "add", "agent", "Sales", SALES).exit_code == 0


@pytest.fixture
def stored_calls(api_env):
    """25 calls of the API in use (one a minute, newest now) and 3 of another environment."""
    now = datetime.now(UTC)  # when the test runs, not when the module was collected
    with CallStore() as store:
        store.record_statuses([
            CallStatus(call_id=f"c-{i:02d}", agent_id=SALES, to_number=f"+1415555{i:04d}",
                       status="ended" if i % 2 else "failed",
                       started_at=(now - timedelta(minutes=i)).isoformat(),
                       disposition="=1+2" if i == 3 else None)
            for i in range(25)], environment=environment_key(API))
        store.record_statuses([
            CallStatus(call_id=f"x-{i}", agent_id=SALES, to_number="+14155550000",
                       status="ended", started_at=now.isoformat()) for i in range(3)],
            environment="demo:other")
    return 25


def test_history_list_pages_with_cursors_and_resolves_agent_names(stored_calls) -> None:
    seen, after = [], []
    while True:
        result = run("history", "list", "--limit", "10", "--json", *after)
        assert result.exit_code == 0, result.output
        page = json.loads(result.stdout)
        assert page["total"] == 25 and page["limit"] == 10
        seen += [c["call_id"] for c in page["calls"]]
        if page["next"] is None:
            break
        after = ["--after", page["next"]]
    assert seen == [f"c-{i:02d}" for i in range(25)]  # newest first, once each, this env only
    named = json.loads(run("history", "list", "--agent", "sales", "--status", "ended",
                           "--since", "10m", "--json").stdout)
    assert {c["agent_name"] for c in named["calls"]} == {"Sales"}
    assert [c["call_id"] for c in named["calls"]] == ["c-01", "c-03", "c-05", "c-07", "c-09"]
    assert json.loads(run("history", "list", "--all-envs", "--json").stdout)["total"] == 28
    text = run("history", "list", "--limit", "3")
    assert text.stdout.count("\n") == 3 and "3 of 25 call(s)" in text.stderr


def test_errors_name_the_option_and_are_json_with_json(stored_calls) -> None:
    bad = run("history", "list", "--agent", "nobody")
    assert bad.exit_code == 2 and "--agent" in bad.stderr and "Sales" in bad.stderr
    as_json = run("history", "list", "--agent", "nobody", "--json")
    assert as_json.exit_code == 2 and as_json.stdout == ""
    error = json.loads(as_json.stderr)
    assert error["code"] == 2 and error["error"].startswith("--agent:")
    when = run("history", "list", "--since", "last tuesday", "--json")
    assert when.exit_code == 2 and json.loads(when.stderr)["error"].startswith("--since:")


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_history_export_writes_what_the_filters_select_and_is_audited(
        stored_calls, isolated_dirs: Path, fmt: str) -> None:
    out = isolated_dirs / f"calls.{fmt}"
    result = run("history", "export", "--status", "failed", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    rows = (read_csv(text) if fmt == "csv" else json.loads(text) if fmt == "json"
            else [json.loads(line) for line in text.splitlines()])
    with CallStore() as store:
        expected = [c.call_id for c in store.iter_matching(HistoryFilter(
            environment=environment_key(API), statuses="failed"))]
    assert [r["call_id"] for r in rows] == expected and len(expected) == 13
    assert "tok-history-cli-secret" not in text
    done = records("history_exported")
    assert done[-1]["rows"] == 13 and done[-1]["format"] == fmt and done[-1]["face"] == "cli"


def test_history_prune_by_date_and_by_the_retention_setting(stored_calls,
                                                            isolated_dirs: Path) -> None:
    dry = json.loads(run("history", "prune", "--before", "20m", "--dry-run", "--json").stdout)
    assert dry["deleted"] == 5 and dry["dry_run"]  # c-20 … c-24 (the others are newer)
    with CallStore() as store:
        assert store.count() == 28
    none = run("history", "prune")
    assert none.exit_code == 2 and "history_retention_days" in none.stderr
    pruned = run("history", "prune", "--before", "20m")
    assert pruned.exit_code == 0 and "deleted 5 call(s)" in pruned.stdout
    (isolated_dirs / "config").mkdir(exist_ok=True)
    (isolated_dirs / "config" / "config.toml").write_text("history_retention_days = 1\n")
    with CallStore() as store:
        store.record_status(CallStatus(call_id="old", agent_id=SALES, to_number="+14155550000",
                                       status="ended", started_at=(
                                           datetime.now(UTC) - timedelta(days=3)).isoformat()))
    assert run("history", "prune").exit_code == 0
    with CallStore() as store:
        assert store.get("old") is None and store.count() == 23
    assert [r["deleted"] for r in records("history_pruned")] == [5, 1]


def test_history_fetch_reads_the_api_idempotently(sim_clean, monkeypatch) -> None:
    monkeypatch.setenv("CALL_CONSOLE_BASE_URL", sim_clean.base_url)
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", sim_clean.token)
    assert run("profiles", "add", "agent", "Sales", SALES).exit_code == 0
    with httpx.Client(base_url=sim_clean.base_url,
                      headers={"Authorization": f"Bearer {sim_clean.token}"}) as http:
        placed = http.post("/calls/outbound", json={"agent_id": SALES,
                                                    "to_number": "+14155550003"}).json()
    first = run("history", "fetch", "--agent", "Sales", "--since", "1h", "--json")
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)
    assert counts["new"] >= 1 and counts["failures"] == []
    with CallStore() as store:
        row = store.get(placed["call_id"])
        assert row is not None and not row.placed_here
        assert row.environment == environment_key(sim_clean.base_url)
    record = records("history_fetched")[-1]
    assert record["agents"] == [SALES] and record["new"] == counts["new"]
    listed = json.loads(run("call", "list", "--agent", "sales", "--limit", "2",
                            "--json").stdout)
    assert set(listed) == {"calls", "total", "limit", "offset"}
    assert (listed["limit"], listed["offset"]) == (2, 0) and len(listed["calls"]) <= 2
    unknown = run("history", "fetch", "--agent", DEMO_AGENTS[0].agent_id,
                  "--agent", "b2c3d4e5-0001-4f60-9b0c-1d2e3f4a5b01", "--json")
    assert unknown.exit_code == 1 and len(json.loads(unknown.stdout)["failures"]) == 1


def test_audit_list_and_export_filter_by_operator_and_action(isolated_dirs: Path) -> None:
    for kind, operator in (("call_placed", "ann"), ("call_ended", "bob"),
                           ("sign_in", "ann"), ("call_placed", "bob")):
        audit.audit_event(kind, operator=operator, call_id="=cmd|x", env="e")
    listed = json.loads(run("audit", "list", "--operator", "ann", "--json").stdout)
    assert [r["kind"] for r in listed["records"]] == ["call_placed", "sign_in"]
    calls = json.loads(run("audit", "list", "--action", "call_*", "--since", "1h",
                           "--json").stdout)
    assert [r["operator"] for r in calls["records"]] == ["ann", "bob", "bob"]
    out = isolated_dirs / "audit.csv"
    assert run("audit", "export", "--action", "call_placed", "-o", str(out)).exit_code == 0
    rows = read_csv(out.read_text())
    assert [(r["kind"], r["operator"], r["call_id"]) for r in rows] == [
        ("call_placed", "ann", "=cmd|x"), ("call_placed", "bob", "=cmd|x")]
    assert "'=cmd|x" in out.read_text()  # neutralised in the file
    jsonl = run("audit", "export", "--operator", "bob")
    assert [json.loads(line)["kind"] for line in jsonl.stdout.splitlines()] == [
        "call_ended", "call_placed"]
    assert records("audit_exported")[-1]["rows"] == 2


def test_history_export_never_writes_through_a_symlink(stored_calls, isolated_dirs: Path) -> None:
    victim = isolated_dirs / "authorized_keys"
    victim.write_text("ssh-ed25519 AAAA operator\n")
    link = isolated_dirs / "calls.csv"
    link.symlink_to(victim)
    result = run("history", "export", "-o", str(link), "--json")
    assert result.exit_code == 2 and json.loads(result.stderr)["code"] == 2
    assert victim.read_text() == "ssh-ed25519 AAAA operator\n" and link.is_symlink()
    assert records("history_exported") == []
