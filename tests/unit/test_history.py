"""The SQLite call store: schema versioning, round trips, status changes, paging, two writers."""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.api.models import CallResponse, CallStatus, OutboundCallRequest
from console.store.history import (
    LEGACY_ENVIRONMENT,
    MIGRATIONS,
    SCHEMA_VERSION,
    CallStore,
    HistoryFilter,
    StoreError,
    StoreVersionError,
    to_ts,
)

AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"
OTHER_AGENT = "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02"
T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)


def placed(call_id: str | None = None, status: str = "initiated", to: str = "+14155550000",
           agent: str = AGENT) -> CallResponse:
    cid = call_id or str(uuid.uuid4())
    return CallResponse(call_id=cid, session_id=str(uuid.uuid4()), room_name=f"call-{cid[:8]}",
                        agent_id=agent, direction="outbound", from_number="+14155551000",
                        to_number=to, status=status)


def status_of(call_id: str, status: str, *, started: datetime = T0, agent: str = AGENT,
              to: str = "+14155550000", **fields) -> CallStatus:
    return CallStatus(call_id=call_id, agent_id=agent, to_number=to, from_number="+14155551000",
                      status=status, started_at=started.isoformat().replace("+00:00", "Z"),
                      **fields)


@pytest.fixture
def store(tmp_path: Path):
    s = CallStore(tmp_path / "calls.sqlite3")
    yield s
    s.close()


# ----------------------------------------------------------------------------- schema


def test_new_file_gets_current_schema_wal_and_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "calls.sqlite3"
    with CallStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION == len(MIGRATIONS) >= 1
        conn = s._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"calls", "status_changes"} <= tables
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"calls_started", "calls_created", "calls_env_agent_started"} <= indexes
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_default_path_is_the_data_dir(isolated_dirs: Path) -> None:
    from console import paths

    with CallStore() as s:
        assert s.path == paths.history_db()
        assert s.path.is_relative_to(isolated_dirs / "data")


def test_reopen_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    with CallStore(path) as s:
        s.record_placed(placed("c-1"), None, "ann", at=T0)
    with CallStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        assert s.count() == 1


def test_newer_schema_is_refused_with_a_clear_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    with CallStore(path) as s:
        s.record_placed(placed("c-1"), None, "ann", at=T0)
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    raw.commit()
    raw.close()
    with pytest.raises(StoreVersionError) as info:
        CallStore(path)
    message = str(info.value)
    assert str(path) in message and str(SCHEMA_VERSION + 5) in message
    assert "newer" in message and "Upgrade call-console" in message
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 5
    assert raw.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == 1
    raw.close()


def test_not_a_database_is_a_store_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    path.write_bytes(b"this is not sqlite at all " * 100)
    with pytest.raises(StoreError) as info:
        CallStore(path)
    assert str(path) in str(info.value)
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_a_version_zero_file_is_migrated_in_order(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    sqlite3.connect(path).close()  # an empty file at user_version 0
    with CallStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION


def _schema_1_file(path: Path) -> None:
    """A history written by a call-console of schema 1 (before environments), with one live
    call and one ended call in it."""
    raw = sqlite3.connect(path)
    for statement in MIGRATIONS[0][1]:
        raw.execute(statement)
    ts = to_ts(T0)
    for call_id, status, done in (("old-live", "answered", 0), ("old-ended", "ended", 1)):
        raw.execute("INSERT INTO calls (call_id, agent_id, to_number, status, started_at, "
                    "last_json, source, created_at, updated_at, done) "
                    "VALUES (?, ?, '+14155550000', ?, ?, ?, 'console', ?, ?, ?)",
                    (call_id, AGENT, status, ts, status_of(call_id, status).model_dump_json(),
                     ts, ts, done))
        raw.execute("INSERT INTO status_changes (call_id, status, observed_at) VALUES (?, ?, ?)",
                    (call_id, status, ts))
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()


def test_schema_1_rows_get_the_unknown_environment_and_are_never_reattached(
        tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    _schema_1_file(path)
    with CallStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION >= 2
        rows = {r.call_id: r for r in s.query(limit=10).rows}
        assert {r.environment for r in rows.values()} == {LEGACY_ENVIRONMENT} == {"unknown"}
        assert rows["old-live"].status == "answered" and s.timeline("old-live")
        assert not rows["old-live"].lost and rows["old-live"].dismissed_at is None
        # an environment's re-attach queries never see them; unscoped ones still do
        midnight = T0.replace(hour=0)
        env = "https://api.example.com"
        assert s.calls_since(midnight, environment=env) == []
        assert s.live_calls(environment=env) == []
        assert [r.call_id for r in s.live_calls()] == ["old-live"]
        assert s.count(environment=LEGACY_ENVIRONMENT) == 2
        # seen again on an API (its list held it): it belongs to that API from then on
        s.record_status(status_of("old-live", "ended"), environment=env)
        assert s.get("old-live").environment == env
        assert s.get("old-ended").environment == LEGACY_ENVIRONMENT


def test_calls_are_stored_with_their_environment_and_read_back_per_environment(
        store: CallStore) -> None:
    prod, demo = "https://api.example.com", "demo:20261125T170000-1a2b3c4d"
    store.record_placed(placed("p-1"), None, "ann", at=T0, environment=prod)
    store.record_status(status_of("p-2", "ringing"), observed_at=T0, environment=prod)
    store.record_statuses([status_of("d-1", "answered")], observed_at=T0, environment=demo)
    store.record_status(status_of("x-1", "answered"), observed_at=T0)  # none given
    midnight = T0.replace(hour=0)
    assert {r.call_id for r in store.calls_since(midnight, environment=prod)} == {"p-1", "p-2"}
    assert {r.call_id for r in store.live_calls(environment=demo)} == {"d-1"}
    assert store.get("x-1").environment == LEGACY_ENVIRONMENT
    # a later write with another environment never moves a call
    store.record_status(status_of("p-2", "answered"), observed_at=T0, environment=demo)
    assert store.get("p-2").environment == prod
    assert store.count(environment=prod) == 2 and store.count() == 4


def test_a_lost_call_keeps_its_last_fields_is_done_and_not_live(store: CallStore) -> None:
    store.record_status(status_of("c-1", "answered", disposition=None), observed_at=T0)
    lost_at = T0 + timedelta(minutes=2)
    store.mark_lost(["c-1"], at=lost_at)
    row = store.get("c-1")
    assert row.lost and row.lost_at == lost_at and row.done
    assert row.status == "answered" and row.last.status == "answered"  # last known fields
    assert store.live_calls() == []
    assert store.count(live_only=True) == 0 and store.count() == 1
    store.mark_lost(["c-1"], at=lost_at + timedelta(minutes=1))  # the first time is kept
    assert store.get("c-1").lost_at == lost_at


def test_a_dismissed_call_stays_in_the_history(store: CallStore) -> None:
    store.record_status(status_of("c-1", "answered"), observed_at=T0)
    store.mark_dismissed(["c-1"], at=T0)
    row = store.get("c-1")
    assert row.dismissed_at == T0 and row.status == "answered"
    assert store.count() == 1 and store.timeline("c-1")


# ----------------------------------------------------------------------------- writes and reads


def test_record_placed_round_trip_without_any_token(store: CallStore) -> None:
    request = OutboundCallRequest(agent_id=AGENT, to_number="+14155550000",
                                  ringing_timeout_seconds=30, context={"ticket": 7})
    call = placed("c-1")
    store.record_placed(call, request, "ann", at=T0)
    row = store.get("c-1")
    assert row is not None
    assert (row.agent_id, row.to_number, row.from_number) == (AGENT, "+14155550000", "+14155551000")
    assert (row.status, row.placed_by, row.source, row.done) == ("initiated", "ann", "console", False)
    assert row.request == request.to_json_body()
    assert row.started_at == T0 and row.created_at == T0
    assert store.timeline("c-1") == [(T0, "initiated")]


def test_credential_like_keys_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    secret = "tok-" + uuid.uuid4().hex
    with CallStore(path) as s:
        s.record_placed(placed("c-1"), {"agent_id": AGENT, "to_number": "+14155550000",
                                        "token": secret, "context": {"Authorization": secret}},
                        "ann", at=T0)
        assert s.get("c-1").request == {"agent_id": AGENT, "to_number": "+14155550000",
                                        "context": {}}
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.encode() not in data


def test_status_changes_are_appended_only_when_the_status_string_changes(store: CallStore) -> None:
    store.record_placed(placed("c-1"), None, "ann", at=T0)
    t = [T0 + timedelta(seconds=i) for i in range(1, 6)]
    assert store.record_status(status_of("c-1", "ringing"), observed_at=t[0]) is True
    assert store.record_status(status_of("c-1", "ringing"), observed_at=t[1]) is False
    assert store.record_status(status_of("c-1", "answered"), observed_at=t[2]) is True
    assert store.record_status(status_of("c-1", "ended", disposition="completed"),
                               observed_at=t[3]) is True
    late = status_of("c-1", "ended", disposition="completed", duration_seconds=20,
                     recording_url="https://r.example/x.ogg", sentiment_score=0.4,
                     ended_at="2026-03-02T10:00:24Z")
    assert store.record_status(late, observed_at=t[4]) is False
    assert store.timeline("c-1") == [(T0, "initiated"), (t[0], "ringing"), (t[2], "answered"),
                                     (t[3], "ended")]
    row = store.get("c-1")
    assert (row.status, row.disposition, row.duration_seconds) == ("ended", "completed", 20)
    assert row.ended_at == datetime(2026, 3, 2, 10, 0, 24, tzinfo=UTC)
    assert row.last == late  # the whole CallStatus, late fields included
    assert row.placed_by == "ann" and row.source == "console"  # kept from the placing


def test_record_status_inserts_unknown_calls_with_their_source(store: CallStore) -> None:
    cs = status_of("w-1", "answered", extra_field={"kept": True})
    assert store.record_status(cs, observed_at=T0, source="watched",
                               request={"agent_id": AGENT}, placed_by="bob") is True
    row = store.get("w-1")
    assert (row.source, row.status, row.placed_by) == ("watched", "answered", "bob")
    assert row.request == {"agent_id": AGENT}
    assert row.last.model_extra == {"extra_field": {"kept": True}}


def test_record_statuses_is_one_transaction_and_marks_done(store: CallStore) -> None:
    for i in range(3):
        store.record_placed(placed(f"c-{i}"), None, "ann", at=T0)
    statuses = [status_of("c-0", "ringing"), status_of("c-1", "initiated"),
                status_of("c-2", "failed", disposition="busy")]
    changed = store.record_statuses(statuses, observed_at=T0 + timedelta(seconds=1),
                                    done_ids=["c-2", "c-0"])
    assert changed == 2
    assert [store.get(f"c-{i}").done for i in range(3)] == [True, False, True]
    # a failing batch leaves nothing behind
    bad = [status_of("c-1", "answered"), "not a status"]
    with pytest.raises(AttributeError):
        store.record_statuses(bad)  # type: ignore[list-item]
    assert store.get("c-1").status == "initiated"


def test_transactions_nest_and_roll_back_together(store: CallStore) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.record_placed(placed("c-1"), None, "ann", at=T0)
            with store.transaction():
                store.record_placed(placed("c-2"), None, "ann", at=T0)
            raise RuntimeError("boom")
    assert store.count() == 0


def test_calls_since_live_calls_and_done(store: CallStore) -> None:
    yesterday = T0 - timedelta(days=1)
    store.record_status(status_of("old-live", "answered", started=yesterday), observed_at=yesterday)
    store.record_status(status_of("old-ended", "ended", started=yesterday), observed_at=yesterday)
    store.record_status(status_of("new-live", "ringing"), observed_at=T0)
    store.record_status(status_of("new-failed", "failed"), observed_at=T0)
    store.record_status(status_of("new-odd", "transferring"), observed_at=T0)
    store.record_status(status_of("new-done", "answered"), observed_at=T0, done=True)
    midnight = T0.replace(hour=0)
    assert {c.call_id for c in store.calls_since(midnight)} == {
        "new-live", "new-failed", "new-odd", "new-done"}
    assert {c.call_id for c in store.live_calls()} == {"old-live", "new-live", "new-odd"}
    assert {c.call_id for c in store.live_calls(since=midnight)} == {"new-live", "new-odd"}


def test_page_is_newest_first_with_filters_and_count(store: CallStore) -> None:
    for i in range(30):
        agent = AGENT if i % 2 == 0 else OTHER_AGENT
        status = "ended" if i % 3 == 0 else "answered"
        store.record_status(status_of(f"c-{i:02d}", status, agent=agent,
                                      started=T0 + timedelta(minutes=i),
                                      to=f"+1415555{i:04d}"), observed_at=T0)
    first = store.query(limit=10)
    assert [c.call_id for c in first.rows] == [f"c-{i:02d}" for i in range(29, 19, -1)]
    second = store.query(limit=10, after=first.last)
    assert [c.call_id for c in second.rows] == [f"c-{i:02d}" for i in range(19, 9, -1)]
    assert store.count() == 30
    mine = store.query(HistoryFilter(agent_ids=AGENT), limit=100).rows
    assert [c.call_id for c in mine] == [f"c-{i:02d}" for i in range(28, -1, -2)]
    assert store.count(agent_ids=AGENT) == 15
    assert store.count(statuses="ended") == 10
    assert store.count(statuses=["ended", "answered"]) == 30
    assert store.count(live_only=True) == 20
    assert [c.call_id for c in store.query(HistoryFilter(search="0007"), limit=5).rows] == [
        "c-07"]
    assert store.count(search="%") == 0  # LIKE wildcards are literal
    since = T0 + timedelta(minutes=25)
    assert [c.call_id for c in store.query(HistoryFilter(since=since), limit=10).rows] == [
        f"c-{i:02d}" for i in range(29, 24, -1)]


def _bulk_rows(n: int) -> list[tuple]:
    rows = []
    for i in range(n):
        started = to_ts(T0 + timedelta(seconds=i))
        status = ("ended", "failed", "answered")[i % 3]
        agent = (AGENT, OTHER_AGENT)[i % 2]
        rows.append((f"bulk-{i:06d}", agent, f"+1415{i:07d}", "+14155551000", status, None,
                     started, None, None, None, None, "ann", "console", started, started,
                     1 if status != "answered" else 0))
    return rows


def test_page_on_100k_rows_walks_an_index(store: CallStore) -> None:
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO calls (call_id, agent_id, to_number, from_number, status, disposition, "
            "started_at, ended_at, duration_seconds, last_json, request_json, placed_by, source, "
            "created_at, updated_at, done) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _bulk_rows(100_000))
    assert store.count() == 100_000
    first = store.query(limit=50).rows
    assert first[0].call_id == "bulk-099999" and first[-1].call_id == "bulk-099950"
    later = store.query(limit=3, after=(to_ts(T0 + timedelta(seconds=50_000)), "bulk-050000"))
    assert [c.call_id for c in later.rows] == ["bulk-049999", "bulk-049998", "bulk-049997"]
    agent_page = store.query(HistoryFilter(agent_ids=OTHER_AGENT), limit=3).rows
    assert [c.call_id for c in agent_page] == ["bulk-099999", "bulk-099997", "bulk-099995"]
    assert store.count(agent_ids=AGENT) == 50_000
    assert len(store.live_calls()) == 33_333

    def plan(sql: str, params: list) -> str:
        rows = store._conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return " | ".join(r[-1] for r in rows)

    newest = plan("SELECT * FROM calls ORDER BY started_at DESC, call_id DESC LIMIT 50 OFFSET 0", [])
    assert "USING INDEX calls_started" in newest and "TEMP B-TREE" not in newest
    by_agent = plan("SELECT * FROM calls WHERE environment = ? AND agent_id = ? ORDER BY "
                    "started_at DESC, call_id DESC LIMIT 50", ["unknown", AGENT])
    assert "calls_env_agent_started" in by_agent and "TEMP B-TREE" not in by_agent


def _writer(path: str, prefix: str, n: int, ready, go) -> None:
    store = CallStore(Path(path))
    ready.set()
    go.wait(10)
    for i in range(n):
        cid = f"{prefix}-{i}"
        store.record_placed(placed(cid), {"agent_id": AGENT, "n": i}, prefix)
        store.record_status(status_of(cid, "ringing"))
        store.record_statuses([status_of(cid, "answered"), status_of(cid, "answered")])
    store.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    CallStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    readies = [ctx.Event(), ctx.Event()]
    n = 150
    procs = [ctx.Process(target=_writer, args=(str(path), name, n, ready, go))
             for name, ready in zip(("ann", "bob"), readies, strict=True)]
    for p in procs:
        p.start()
    for ready in readies:
        assert ready.wait(30)
    go.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with CallStore(path) as s:
        assert s.count() == 2 * n
        assert s.count(operators="ann") == n and s.count(operators="bob") == n
        assert s.count(statuses="answered") == 2 * n
        for name in ("ann", "bob"):
            for i in (0, n // 2, n - 1):
                assert [st for _, st in s.timeline(f"{name}-{i}")] == [
                    "initiated", "ringing", "answered"]
                assert json.loads(s.get(f"{name}-{i}").request_json) == {"agent_id": AGENT, "n": i}
        total = s._conn.execute("SELECT COUNT(*) FROM status_changes").fetchone()[0]
        assert total == 2 * n * 3
