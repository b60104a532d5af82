"""`call-console campaign` against the simulator, measured from the simulator's side.

Every test dials its own numbers (`numbers()`), so the session's shared simulator can tell
each test's calls apart in `GET /_sim/calls`.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.sim.state import DEMO_AGENTS
from console.store.journal import Journal

AGENT = DEMO_AGENTS[0].agent_id
COMMAND = str(Path(sys.executable).with_name("call-console"))
ALL_HOURS = ("--hours", "00:00-24:00", "--days", "all")
#: +1 415 555 1000 upwards: the simulator's random outcomes (…0000-…0004 are fixed ones).
_block = itertools.count(1000, 100)
#: +1 415 NXX …: one exchange per number, for the fixed outcomes by suffix.
_exchanges = itertools.count(200)
REJECTED, COMPLETED = "0003", "0000"  # ends at once / talks ~20 s (0.4 s at time scale 50)


def numbers(count: int, suffix: str | None = None) -> list[str]:
    """Numbers no other test dials; with `suffix`, the simulator's fixed outcome of it."""
    if suffix is not None:
        picked = [next(_exchanges) for _ in range(count)]
        assert picked[-1] < 1000
        return [f"+1415{exchange}{suffix}" for exchange in picked]
    start = next(_block)
    assert start + count < 10000
    return [f"+1415555{start + i:04d}" for i in range(count)]


def write_csv(path: Path, rows: list[str], header: str = "to_number") -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def env_for(sim, **extra) -> dict[str, str]:
    return {**os.environ, "CALL_CONSOLE_BASE_URL": sim.base_url,
            "CALL_CONSOLE_TOKEN": sim.token, **extra}


def cli(sim, *args, env: dict | None = None, timeout=60) -> subprocess.CompletedProcess:
    result = subprocess.run([COMMAND, "campaign", *args], capture_output=True, text=True,
                            env=env or env_for(sim), timeout=timeout)
    assert sim.token not in result.stdout + result.stderr
    return result


def sim_calls(sim, numbers_: list[str]) -> list[dict]:
    wanted = set(numbers_)
    calls = httpx.get(f"{sim.base_url}/_sim/calls", timeout=10).json()
    return [c for c in calls if c["to_number"] in wanted]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def peak_concurrency(calls: list[dict]) -> int:
    edges = sorted([(when(c["started_at"]), 1) for c in calls]
                   + [(when(c["ends_at"]), -1) for c in calls], key=lambda e: (e[0], e[1]))
    live = peak = 0
    for _, step in edges:
        live += step
        peak = max(peak, live)
    return peak


def posts(sim) -> int:
    stats = httpx.get(f"{sim.base_url}/_sim/stats", timeout=5).json()
    return stats.get("POST /calls/outbound", 0)


# -- pacing and the cap ----------------------------------------------------------------------

def test_pacing_within_5_percent_and_never_above_the_cap(sim_clean, tmp_path):
    dialled = numbers(41, REJECTED)
    csv = write_csv(tmp_path / "pace.csv", dialled)
    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--rate", "600/min",
                 "--max-concurrent", "40", *ALL_HOURS, "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["dialled"] == 41 and summary["pending"] == 0
    calls = sim_calls(sim_clean, dialled)
    starts = sorted(when(c["started_at"]) for c in calls)
    measured = (len(starts) - 1) / (starts[-1] - starts[0]).total_seconds() * 60
    assert abs(measured - 600) / 600 <= 0.05, f"{measured:.1f} calls/min"
    assert peak_concurrency(calls) <= 40

    capped = numbers(8, COMPLETED)
    csv = write_csv(tmp_path / "cap.csv", capped)
    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--rate", "1200/min",
                 "--max-concurrent", "3", *ALL_HOURS, "--json")
    assert result.returncode == 0, result.stderr
    calls = sim_calls(sim_clean, capped)
    assert len(calls) == 8
    assert peak_concurrency(calls) == 3  # reached, never passed



def test_the_tenants_quota_is_read_before_dialling(make_sim, tmp_path):
    """A tenant cap below --max-concurrent lowers it (said once, no 429 needed); a tenant out
    of its monthly quota stops the campaign before the first POST (exit 1).

    A private simulator: the session's shared one may still hold live calls of earlier tests,
    which count against a tenant cap of 2."""
    from tests.api.conftest import SIM_MONTHLY_LIMIT, SIM_TIME_SCALE

    sim = make_sim(time_scale=SIM_TIME_SCALE, seed=7, max_concurrent_calls=2,
                   monthly_call_limit=SIM_MONTHLY_LIMIT)
    admin = httpx.Client(base_url=sim.base_url, timeout=5)
    capped = numbers(3, COMPLETED)
    result = cli(sim, "run", str(write_csv(tmp_path / "tenant.csv", capped)),
                 "--agent", AGENT, "--rate", "1200/min", "--max-concurrent", "5", *ALL_HOURS)
    assert result.returncode == 0, result.stderr
    assert "the tenant allows 2 live call(s) at once" in result.stderr
    assert posts(sim) == 3  # not one 429: the cap was known before dialling
    assert peak_concurrency(sim_calls(sim, capped)) == 2

    admin.post("/_sim/config", json={"monthly_call_limit": 0}).raise_for_status()
    before = posts(sim)
    spent = cli(sim, "run", str(write_csv(tmp_path / "spent.csv", numbers(3))),
                "--agent", AGENT, *ALL_HOURS)
    assert spent.returncode == 1 and "monthly call quota is used up" in spent.stderr
    assert posts(sim) == before

# -- what never reaches the wire -------------------------------------------------------------

def test_dnc_invalid_and_duplicate_rows_never_reach_the_wire(sim_clean, tmp_path):
    good, blocked, listed = numbers(3, REJECTED), numbers(2), numbers(1)
    rows = [f"{good[0]},", f"{blocked[0]},", f"{good[1]},12A", f"{good[2]},",
            f"{good[0][:2]} {good[0][2:5]} {good[0][5:]},", f"{blocked[1]},", "12,",
            f"{listed[0]},"]
    csv = write_csv(tmp_path / "mixed.csv", rows, header="to_number,dtmf")
    dnc = tmp_path / "dnc.txt"
    dnc.write_text(f"# opted out\n{blocked[0]}\n({blocked[1][2:5]}) {blocked[1][5:8]}-"
                   f"{blocked[1][8:]}\n")
    settings_dnc = tmp_path / "config"
    settings_dnc.mkdir(exist_ok=True)
    (settings_dnc / "config.toml").write_text(f'dnc_file = "{tmp_path / "always.txt"}"\n')
    (tmp_path / "always.txt").write_text(f"{listed[0]}\n")
    before = posts(sim_clean)
    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--dnc", str(dnc),
                 "--rate", "1200/min", *ALL_HOURS, "--json",
                 env=env_for(sim_clean, CALL_CONSOLE_CONFIG_DIR=str(settings_dnc)))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["dnc"], summary["invalid"], summary["duplicate"]) == (3, 2, 1)
    assert f"{csv}:4: invalid: dtmf: " in result.stderr
    assert f"{csv}:6: duplicate: same number as line 2" in result.stderr
    on_wire = Counter(c["to_number"] for c in sim_calls(sim_clean, good + blocked + listed))
    assert on_wire == {good[0]: 1, good[2]: 1}
    assert posts(sim_clean) - before == 2


# -- calling hours ---------------------------------------------------------------------------

def test_hours_reach_tokyo_and_new_york_each_in_their_morning(sim_clean, tmp_path):
    tokyo, new_york = "+81312345678", "+12125550199"
    csv = write_csv(tmp_path / "world.csv", [tokyo, new_york])
    # Tue 24 Nov 2026 14:00 UTC: 09:00 in New York, 23:00 in Tokyo
    evening = env_for(sim_clean, CALL_CONSOLE_CAMPAIGN_NOW="2026-11-24T14:00:00Z")
    dry = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--dry-run", "--json", env=evening)
    assert dry.returncode == 0, dry.stderr
    verdicts = {r["to_number"]: r for r in json.loads(dry.stdout)["rows"]}
    assert verdicts[new_york]["verdict"] == "dial"
    assert verdicts[tokyo]["verdict"] == "outside_hours"
    assert verdicts[tokyo]["local_time"] == "09:00 Wed (Asia/Tokyo)"

    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--name", "world",
                 "--no-wait-for-hours", "--json", env=evening)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["dialled"], summary["outside_hours"]) == (1, 1)
    assert [c["to_number"] for c in sim_calls(sim_clean, [tokyo, new_york])] == [new_york]

    # Wed 00:30 UTC: 09:30 in Tokyo, 19:30 in New York
    morning = env_for(sim_clean, CALL_CONSOLE_CAMPAIGN_NOW="2026-11-25T00:30:00Z")
    resumed = cli(sim_clean, "resume", "world", "--json", env=morning)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["dialled"] == 2
    assert Counter(c["to_number"] for c in sim_calls(sim_clean, [tokyo, new_york])) == {
        tokyo: 1, new_york: 1}


# -- 429, API errors, unknown outcomes -------------------------------------------------------

def test_429_mid_campaign_waits_for_retry_after_and_dials_each_row_once(sim_clean, tmp_path):
    dialled = numbers(12, REJECTED)
    csv = write_csv(tmp_path / "busy.csv", dialled)
    # the first three POSTs pass (a harmless rule takes their turn), the next two are refused
    # with 429 and Retry-After: 1
    httpx.put(f"{sim_clean.base_url}/_sim/faults", json=[
        {"route": "POST /calls/outbound", "kind": "extra_fields", "count": 3},
        {"route": "POST /calls/outbound", "kind": "status", "status": 429,
         "retry_after": "1", "count": 2}]).raise_for_status()
    before = posts(sim_clean)
    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--rate", "1200/min",
                 "--max-concurrent", "20", *ALL_HOURS, "--progress", "json")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    waits = [e for e in events if e["event"] == "wait"]
    assert len(waits) == 2 and all("429" in e["reason"] for e in waits)
    # nothing was sent while a Retry-After ran: no POST between a 429 and the end of its wait
    # (`until`: the wall-clock end of the wait, read next to the monotonic one; 1 ms between)
    for wait in waits:
        assert wait["seconds"] == 1
        later = [e["at"] for e in events if e["event"] == "dialling" and e["at"] > wait["at"]]
        assert later and min(later) >= wait["until"] - 0.001
    assert Counter(c["to_number"] for c in sim_calls(sim_clean, dialled)) == {
        n: 1 for n in dialled}
    assert posts(sim_clean) - before == 14
    assert events[-1]["event"] == "finished" and events[-1]["summary"]["dialled"] == 12


def test_api_error_stops_with_1_and_resume_finishes_without_redialling(sim_clean, tmp_path):
    dialled = numbers(6, REJECTED)
    csv = write_csv(tmp_path / "stop.csv", dialled)
    httpx.put(f"{sim_clean.base_url}/_sim/faults", json=[
        {"route": "POST /calls/outbound", "kind": "extra_fields", "count": 2},
        {"route": "POST /calls/outbound", "kind": "status", "status": 403}]).raise_for_status()
    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--name", "stopped",
                 "--rate", "1200/min", *ALL_HOURS, "--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["state"] == "failed" and summary["dialled"] == 2 and summary["pending"] == 4
    assert "403" in result.stderr
    httpx.delete(f"{sim_clean.base_url}/_sim/faults").raise_for_status()
    resumed = cli(sim_clean, "resume", "stopped", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["dialled"] == 6
    assert Counter(c["to_number"] for c in sim_calls(sim_clean, dialled)) == {
        n: 1 for n in dialled}


def test_unknown_outcome_exits_3_and_is_redialled_only_when_asked(sim_clean, tmp_path):
    dialled = numbers(3, REJECTED)
    csv = write_csv(tmp_path / "unsure.csv", dialled)
    # the second POST: the connection drops before the server reads it (no call is made)
    httpx.put(f"{sim_clean.base_url}/_sim/faults", json=[
        {"route": "POST /calls/outbound", "kind": "extra_fields", "count": 1},
        {"route": "POST /calls/outbound", "kind": "drop_before", "count": 1}]).raise_for_status()
    result = cli(sim_clean, "run", str(csv), "--agent", AGENT, "--name", "unsure",
                 "--rate", "1200/min", *ALL_HOURS, "--json")
    assert result.returncode == 3, result.stderr
    assert json.loads(result.stdout)["unknown"] == 1
    assert "--redial-unknown" in result.stderr
    again = cli(sim_clean, "resume", "unsure", "--json")
    assert again.returncode == 3  # reconciled: no call found, so still unknown; not dialled
    assert Counter(c["to_number"] for c in sim_calls(sim_clean, dialled)) == {
        dialled[0]: 1, dialled[2]: 1}
    redial = cli(sim_clean, "resume", "unsure", "--redial-unknown", "--json")
    assert redial.returncode == 0, redial.stderr
    assert Counter(c["to_number"] for c in sim_calls(sim_clean, dialled)) == {
        n: 1 for n in dialled}


# -- kill -9 at any point, then resume: never twice ------------------------------------------

@given(kill_after=st.integers(min_value=1, max_value=5),
       delay=st.sampled_from([0.0, 0.002, 0.01, 0.05, 0.2]))
@settings(max_examples=5, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_kill_9_at_any_point_then_resume_dials_each_number_at_most_once(
        sim_clean, tmp_path_factory, kill_after, delay):
    folder = tmp_path_factory.mktemp("kill")
    dialled = numbers(5, REJECTED)
    csv = write_csv(folder / "kill.csv", dialled)
    env = env_for(sim_clean, CALL_CONSOLE_DATA_DIR=str(folder / "data"))
    child = subprocess.Popen([COMMAND, "campaign", "run", str(csv), "--agent", AGENT,
                              "--name", "k", "--rate", "600/min", *ALL_HOURS,
                              "--progress", "json"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env=env)
    seen = 0
    deadline = time.monotonic() + 30
    for line in child.stdout:
        if json.loads(line)["event"] == "dialling":
            seen += 1
            if seen == kill_after:
                break
        assert time.monotonic() < deadline
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()

    resumed = subprocess.run([COMMAND, "campaign", "resume", "k", "--json"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert resumed.returncode in (0, 3), resumed.stderr
    summary = json.loads(resumed.stdout)
    on_wire = Counter(c["to_number"] for c in sim_calls(sim_clean, dialled))
    assert all(count == 1 for count in on_wire.values()), on_wire
    with Journal(folder / "data" / "campaigns.sqlite3") as journal:
        rows = {row.to_number: row for row in journal.rows("k")}
    for number, row in rows.items():
        if row.state == "unknown":  # never redialled; and truly no call was found for it
            assert on_wire[number] == 0
        else:
            assert row.state in ("ended", "failed") and on_wire[number] == 1, row
    assert summary["dialled"] + summary["unknown"] == 5
    assert (resumed.returncode == 3) == (summary["unknown"] > 0)


# -- the other commands (in-process: the same click commands, without a process start each) --

def test_status_list_export_and_bad_input(sim_clean, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from console.cli import main

    monkeypatch.setenv("CALL_CONSOLE_BASE_URL", sim_clean.base_url)
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", sim_clean.token)

    def run(*args):
        result = CliRunner().invoke(main, ["campaign", *args], catch_exceptions=False)
        assert sim_clean.token not in result.output
        return result

    dialled = numbers(2, REJECTED)
    csv = write_csv(tmp_path / "small.csv", dialled)
    assert run("run", str(csv), "--agent", AGENT, "--name", "small", "--rate", "1200/min",
               *ALL_HOURS).exit_code == 0
    status = json.loads(run("status", "small", "--json").stdout)
    assert status["state"] == "done" and status["rows"] == 2
    # the call history knows which campaign dialled each call (`history list --campaign`)
    history = CliRunner().invoke(main, ["history", "list", "--campaign", "small", "--json"],
                                 catch_exceptions=False)
    assert sorted(c["to"] for c in json.loads(history.stdout)["calls"]) == sorted(dialled)
    # and the audit log has each placed call under the campaign, with its CSV line
    from console.account.audit import read_audit

    placed = [r for r in read_audit() if r["kind"] == "call_placed" and r.get("campaign")]
    assert sorted((r["campaign"], r["row"], r["face"]) for r in placed) == [
        ("small", 2, "campaign"), ("small", 3, "campaign")]
    listed = json.loads(run("list", "--json").stdout)
    assert [c["name"] for c in listed] == ["small"]
    out = tmp_path / "out.csv"
    assert run("export", "small", "-o", str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.read_text().splitlines()[0].startswith("line,to_number,state")
    again = run("run", str(csv), "--agent", AGENT, "--name", "small", *ALL_HOURS)
    assert again.exit_code == 2 and "exists already" in again.stderr
    bad = run("run", str(tmp_path / "missing.csv"), "--agent", AGENT)
    assert bad.exit_code == 2 and "missing.csv" in bad.stderr
    assert run("run", str(csv), "--agent", AGENT, "--rate", "fast").exit_code == 2
    assert run("run", str(csv), "--agent", "nobody").exit_code == 2
    assert run("status", "nope").exit_code == 2


def test_pause_resume_and_stop_from_another_terminal(sim_clean, tmp_path):
    from click.testing import CliRunner

    from console.cli import main
    from tests.waiting import poll

    def control(*args):  # in this process: the other terminal
        return CliRunner().invoke(main, ["campaign", *args], catch_exceptions=False,
                                  env={"CALL_CONSOLE_BASE_URL": sim_clean.base_url,
                                       "CALL_CONSOLE_TOKEN": sim_clean.token})

    dialled = numbers(30, REJECTED)
    csv = write_csv(tmp_path / "remote.csv", dialled)
    env = env_for(sim_clean)
    running = subprocess.Popen([COMMAND, "campaign", "run", str(csv), "--agent", AGENT,
                                "--name", "remote", "--rate", "120/min", *ALL_HOURS, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        poll(lambda: len(sim_calls(sim_clean, dialled)) >= 2, "two calls dialled", timeout=20)
        paused = control("pause", "remote")
        assert paused.exit_code == 0 and "remote: paused" in paused.stdout, paused.stderr
        assert json.loads(control("status", "remote", "--json").stdout)["state"] == "paused"
        held = len(sim_calls(sim_clean, dialled))
        time.sleep(1.5)  # three starts' worth at 120/min: none may come while paused
        assert len(sim_calls(sim_clean, dialled)) == held
        busy = control("resume", "remote")
        assert busy.exit_code == 0 and "running again" in busy.stdout, busy.stderr
        poll(lambda: len(sim_calls(sim_clean, dialled)) > held, "dialling again", timeout=10)
        again = control("resume", "remote")
        assert again.exit_code == 2 and "running in another process" in again.stderr
        stopped = control("stop", "remote")
        assert stopped.exit_code == 0 and "stopping" in stopped.stdout
        out, err = running.communicate(timeout=30)
    finally:
        if running.poll() is None:
            running.kill()
    assert running.returncode == 0, err
    summary = json.loads(out)
    assert summary["state"] == "stopped" and 0 < summary["dialled"] < 30 and summary["pending"]
    assert len(sim_calls(sim_clean, dialled)) == summary["dialled"]  # none after the stop
    idle = control("pause", "remote")
    assert idle.exit_code == 2 and "is not running (it is stopped)" in idle.stderr


def test_pause_reports_paused_only_once_the_running_process_wrote_it(tmp_path):
    """The running process takes a control and writes the state it leads to in two steps; a
    `campaign pause` that returned between them said "paused" while `status` still said
    running (seen once under load). Here the stand-in for the running process waits 0.5 s
    between the two steps, on purpose."""
    import threading

    from click.testing import CliRunner

    from console.cli import main
    from console.store.journal import PAUSED, RUNNING, NewRow, campaign_lock

    journal = Journal()
    journal.create("held", source="held.csv", settings={}, rows=[
        NewRow(line=2, to_number="+14155550100", verdict="dial", state="pending")])
    journal.set_state("held", RUNNING)
    lock = campaign_lock("held")
    lock.acquire()                          # "running in another process"
    done = threading.Event()

    def running_process() -> None:
        stand_in = Journal()
        while not done.is_set():
            if stand_in.take_control("held") is not None:
                time.sleep(0.5)
                stand_in.set_state("held", PAUSED)
            time.sleep(0.05)

    thread = threading.Thread(target=running_process, daemon=True)
    thread.start()
    try:
        result = CliRunner().invoke(main, ["campaign", "pause", "held"], catch_exceptions=False)
        state_when_it_returned = Journal().get("held").state
    finally:
        done.set()
        thread.join(5)
        lock.release()
    assert result.exit_code == 0 and "held: paused" in result.stdout, result.stderr
    assert state_when_it_returned == PAUSED
