"""The History view's store at scale: keyset pages at their boundaries, filters, sorts, the
schema 3 migration of an existing file, prune and compaction, idempotent merges of fetched calls."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from console.api.models import CallStatus
from console.store.history import (
    MIGRATIONS,
    SCHEMA_VERSION,
    CallStore,
    HistoryFilter,
    Sort,
    to_ts,
)

AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"
OTHER = "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02"
ENV = "https://api.example.com"
T0 = datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)


def status_of(call_id: str, status: str = "ended", *, started: datetime = T0, agent: str = AGENT,
              to: str = "+14155550000", **fields) -> CallStatus:
    return CallStatus(call_id=call_id, agent_id=agent, to_number=to, from_number="+14155551000",
                      status=status, started_at=started.isoformat(), **fields)


@pytest.fixture
def store(tmp_path: Path):
    with CallStore(tmp_path / "calls.sqlite3") as s:
        yield s


def _fill(store: CallStore, n: int = 23) -> None:
    """n calls; every three share a start second (ties broken by call id)."""
    calls = [status_of(f"c-{i:03d}", ("ended", "failed", "answered")[i % 3],
                       started=T0 + timedelta(seconds=i // 3), agent=(AGENT, OTHER)[i % 2],
                       to=f"+1415555{i:04d}", disposition=None if i % 4 else "busy",
                       duration_seconds=None if i % 5 == 0 else i)
             for i in range(n)]
    store.record_statuses(calls, observed_at=T0, environment=ENV)


def _walk(store: CallStore, flt: HistoryFilter, sort: Sort, limit: int) -> list[str]:
    """Every row, page after page forward."""
    seen, cursor = [], None
    while True:
        page = store.query(flt, sort, limit=limit, after=cursor)
        seen += [r.call_id for r in page.rows]
        if not page.more_after:
            return seen
        cursor = page.last


def _walk_back(store: CallStore, flt: HistoryFilter, sort: Sort, limit: int) -> list[str]:
    """Every row, from the last page backwards."""
    page = store.query(flt, sort, limit=limit, last=True)
    seen = [r.call_id for r in page.rows]
    while page.more_before:
        page = store.query(flt, sort, limit=limit, before=page.first)
        seen = [r.call_id for r in page.rows] + seen
    return seen


@pytest.mark.parametrize("limit", [1, 4, 23, 24])
@pytest.mark.parametrize("sort", [Sort(), Sort(descending=False), Sort("duration"),
                                  Sort("disposition", descending=False), Sort("to")])
def test_pages_forward_and_backward_cover_every_row_once_in_order(store, limit, sort) -> None:
    _fill(store)
    flt = HistoryFilter(environment=ENV)
    forward = _walk(store, flt, sort, limit)
    assert sorted(forward) == [f"c-{i:03d}" for i in range(23)]  # none lost, none repeated
    assert _walk_back(store, flt, sort, limit) == forward
    # the order is the sort key, then the call id, in the chosen direction
    key = {"started": lambda c: to_ts(c.started_at), "duration": lambda c: c.duration_seconds
           if c.duration_seconds is not None else -1, "disposition": lambda c: c.disposition
           or "", "to": lambda c: c.to_number}[sort.column]
    rows = [store.get(cid) for cid in forward]
    assert rows == sorted(rows, key=lambda c: (key(c), c.call_id), reverse=sort.descending)


def test_page_flags_at_the_boundaries(store) -> None:
    _fill(store, 10)
    flt = HistoryFilter(environment=ENV)
    first = store.query(flt, limit=5)
    assert (first.more_before, first.more_after) == (False, True)
    second = store.query(flt, limit=5, after=first.last)
    assert (second.more_before, second.more_after) == (True, False)  # exactly 10: no third
    assert store.query(flt, limit=5, after=second.last).rows == []
    back = store.query(flt, limit=5, before=second.first)
    assert [r.call_id for r in back.rows] == [r.call_id for r in first.rows]
    assert (back.more_before, back.more_after) == (False, True)
    last = store.query(flt, limit=3, last=True)
    assert [r.call_id for r in last.rows] == [r.call_id for r in second.rows][-3:]
    assert (last.more_before, last.more_after) == (True, False)
    assert store.rank(flt, Sort(), second.first) == 5
    empty = store.query(HistoryFilter(environment="other"), limit=5)
    assert empty.rows == [] and empty.first is None and not empty.more_after


def test_filters_select_exactly_and_count_agrees(store) -> None:
    _fill(store, 30)
    store.record_status(status_of("elsewhere-1", started=T0), environment="demo:x")
    store.record_status(status_of("c-000"), campaign="spring", environment=ENV)
    store.record_status(status_of("c-001", "failed"), campaign="spring", placed_by="ann",
                        environment=ENV)
    base = HistoryFilter(environment=ENV)
    cases = {
        base.with_(statuses="failed"): {f"c-{i:03d}" for i in range(30) if i % 3 == 1},
        base.with_(statuses=("failed", "answered")): {f"c-{i:03d}" for i in range(30)
                                                        if i % 3},
        base.with_(agent_ids=OTHER, dispositions="busy"): {f"c-{i:03d}" for i in range(30)
                                                           if i % 2 and i % 4 == 0},
        base.with_(campaigns="spring"): {"c-000", "c-001"},
        base.with_(operators="ann"): {"c-001"},
        base.with_(since=T0 + timedelta(seconds=8), until=T0 + timedelta(seconds=9)): {
            "c-024", "c-025", "c-026"},
        base.with_(search="415 555-0012"): {"c-012"},
        base.with_(search="c-02"): {f"c-{i:03d}" for i in range(20, 30)},
        base.with_(placed="elsewhere"): {f"c-{i:03d}" for i in range(30)},  # all "watched"
        base.with_(placed="here"): set(),
        HistoryFilter(environment="demo:x"): {"elsewhere-1"},
    }
    for flt, expected in cases.items():
        assert set(_walk(store, flt, Sort(), 4)) == expected, flt
        assert store.count(flt) == len(expected), flt


def _schema_2_file(path: Path) -> None:
    raw = sqlite3.connect(path)
    for _, statements in MIGRATIONS[:2]:
        for statement in statements:
            raw.execute(statement)
    ts = to_ts(T0)
    raw.execute("INSERT INTO calls (call_id, agent_id, to_number, status, started_at, source, "
                "created_at, updated_at, done, environment) VALUES ('old', ?, '+14155550000', "
                "'ended', ?, 'console', ?, ?, 1, ?)", (AGENT, ts, ts, ts, ENV))
    raw.execute("PRAGMA user_version = 2")
    raw.commit()
    raw.close()


def test_a_schema_2_file_is_migrated_in_place_and_its_calls_page(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    _schema_2_file(path)
    with CallStore(path) as s:
        assert s.schema_version == SCHEMA_VERSION == 3
        old = s.get("old")
        assert old.campaign is None and old.environment == ENV and old.placed_here
        assert [r.call_id for r in s.query(HistoryFilter(environment=ENV)).rows] == ["old"]
        s.record_status(status_of("new"), campaign="c1", environment=ENV)
        assert s.count(campaigns="c1") == 1
        indexes = {r[0] for r in s._conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"calls_env_status_started", "calls_env_agent_started",
                "calls_env_operator_started", "calls_env_campaign_started"} <= indexes


def test_prune_deletes_old_calls_keeps_live_ones_and_compacts(store) -> None:
    old = [status_of(f"old-{i}", started=T0 - timedelta(days=40), context_pad="x" * 2000)
           for i in range(300)]
    store.record_statuses(old, observed_at=T0, environment=ENV)
    store.record_status(status_of("old-live", "answered", started=T0 - timedelta(days=40)),
                        environment=ENV)
    store.record_status(status_of("recent"), environment=ENV)
    before = store.size_bytes()
    assert store.prune(T0 - timedelta(days=30)) == 300
    assert {r.call_id for r in store.iter_matching()} == {"old-live", "recent"}
    leftover = store._conn.execute("SELECT COUNT(*) FROM status_changes WHERE call_id "
                                   "LIKE 'old-%' AND call_id != 'old-live'").fetchone()[0]
    assert leftover == 0
    assert store.vacuum_if_worth_it() is True
    assert store.size_bytes() < before
    assert store.vacuum_if_worth_it() is False  # nothing free any more
    assert store.get("recent") is not None


def test_merging_fetched_calls_is_idempotent_and_keeps_what_was_placed_here(store) -> None:
    from console.api.models import CallResponse

    store.record_placed(CallResponse(call_id="mine", session_id="s", room_name="r",
                                     agent_id=AGENT, direction="outbound", from_number=None,
                                     to_number="+14155550000", status="initiated"),
                        {"agent_id": AGENT}, "ann", at=T0, environment=ENV, campaign="spring")
    listed = [status_of("mine", "ended", disposition="completed"),
              status_of("theirs", "answered")]
    assert store.merge_fetched(listed, environment=ENV, observed_at=T0) == (1, 1)
    changes = store._conn.execute("SELECT COUNT(*) FROM status_changes").fetchone()[0]
    assert store.merge_fetched(listed, environment=ENV, observed_at=T0) == (0, 0)
    assert store._conn.execute("SELECT COUNT(*) FROM status_changes").fetchone()[0] == changes
    mine, theirs = store.get("mine"), store.get("theirs")
    assert mine.placed_here and (mine.placed_by, mine.campaign, mine.status) == (
        "ann", "spring", "ended")
    assert not theirs.placed_here and theirs.source == "fetched" and theirs.done
    assert store.live_calls(environment=ENV) == []  # a fetched live call is never re-attached
