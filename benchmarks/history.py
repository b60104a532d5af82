"""The History view on a big store: first page, a filter change, the end of the range, memory.

Fills a fresh call store (in a temporary data dir) with N calls, then measures

- the store: the first page of the newest calls and the count of all, a filter change (one
  status and one operator: its first page and its count), the last page (End) and the page
  after a cursor near the end of the range (page down there), and `calls_since` (today's
  calls, what the console reads at start-up to restore its table) — each the median of 7 runs;
- the TUI, headless at 120x40: from switching to the History screen (F11) until its first page
  is in the table and painted (screen mount included); on the shown screen, the first page of
  the whole range (the range key to "all": rows painted, before the count); a filter typed
  into its filter line; End (the last page);
- RSS: the process's peak (`ru_maxrss`: store, app and this driver together).

Targets (issue 15, design.md §5): first page on screen <= 150 ms, <= 200 MB RSS with 100,000
calls.

    python benchmarks/history.py [--rows 100000] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

TARGETS = {"first_page_on_screen_ms": 150.0, "rss_mb": 200.0}
AGENTS = ("a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01", "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02",
          "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a03")
OPERATORS = ("ann", "bob", "cho", "dev", None)
T0 = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(store, rows: int) -> float:
    """`rows` calls one every 20 s up to T0 (all in one environment), oldest first as a
    console records them; seconds taken."""
    from console.store.history import to_ts

    start = time.perf_counter()
    batch = []
    with store.transaction() as conn:
        for i in reversed(range(rows)):
            started = to_ts(T0 - timedelta(seconds=20 * i))
            status = ("ended", "ended", "failed", "answered")[i % 4]
            batch.append((
                f"{i:08d}-bench-4000-8000-{i:012d}", AGENTS[i % 3], f"+1415{i % 10_000_000:07d}",
                "+14155551000", status, ("completed", "completed", "busy", None)[i % 4],
                started, started if status != "answered" else None,
                (i % 300) if status == "ended" else None, None, None, OPERATORS[i % 5],
                "console" if i % 2 else "watched", started, started, 1, None,
                "spring" if i % 7 == 0 else None))
            if len(batch) == 5000:
                _insert(conn, batch)
                batch = []
        if batch:
            _insert(conn, batch)
    return time.perf_counter() - start


def _insert(conn, batch) -> None:
    conn.executemany(
        "INSERT INTO calls (call_id, agent_id, to_number, from_number, status, disposition, "
        "started_at, ended_at, duration_seconds, last_json, request_json, placed_by, source, "
        "created_at, updated_at, done, lost_at, campaign, environment) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, 'bench')", batch)


def timed(work, runs: int = 7) -> float:
    """Median milliseconds of `work()` over `runs` runs (after one warm-up)."""
    work()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(samples), 2)


def store_figures(store) -> dict[str, float]:
    from console.store.history import HistoryFilter

    base = HistoryFilter(environment="bench")
    filtered = base.with_(statuses="failed", operators="bob")
    total = store.count(base)
    near_end = store.query(base, limit=1, last=True)
    before_end = store.query(base, limit=1, before=near_end.first)  # one row earlier
    cursor = store.query(base, limit=100, before=before_end.first).first
    return {
        "first_page_ms": timed(lambda: store.query(base, limit=100)),
        "count_all_ms": timed(lambda: store.count(base)),
        "filter_change_ms": timed(lambda: store.query(filtered, limit=100)),
        "filter_count_ms": timed(lambda: store.count(filtered)),
        "last_page_ms": timed(lambda: store.query(base, limit=100, last=True)),
        "page_down_near_end_ms": timed(lambda: store.query(base, limit=100, after=cursor)),
        "calls_since_today_ms": timed(lambda: store.calls_since(
            T0.replace(hour=0), environment="bench")),
        "rows": total,
    }


async def tui_figures() -> dict[str, float]:
    from console.account.session import ConsoleSession
    from console.config.settings import Settings
    from console.tui.app import make_app

    app = make_app(session=ConsoleSession(Settings(operator="bench")), clock=lambda: T0)

    async def until(pilot, check, timeout: float = 60.0) -> None:
        from textual.css.query import NoMatches

        deadline = time.perf_counter() + timeout
        while True:
            try:
                if check():
                    return
            except NoMatches:  # still mounting
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError("the History screen did not answer")
            await asyncio.sleep(0.001)

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        start = time.perf_counter()
        await pilot.press("f11")
        await until(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "history"
                    and app.screen.calls.loads >= 1)
        await pilot.pause()  # painted
        first = (time.perf_counter() - start) * 1000
        calls = app.screen.calls
        await pilot.press("r", "r")  # 7 days
        await until(pilot, lambda: calls.range == "7d" and calls.counted >= 3)
        loads = calls.loads
        start = time.perf_counter()
        await pilot.press("r")  # all: the first page of every call
        await until(pilot, lambda: calls.loads > loads)
        await pilot.pause()
        first_shown = (time.perf_counter() - start) * 1000
        await until(pilot, lambda: not calls.counting)
        loads = calls.loads
        start = time.perf_counter()
        calls.query_one("#history-filter").value = "status:failed operator:bob"
        await until(pilot, lambda: calls.loads > loads)
        await pilot.pause()
        filtered = (time.perf_counter() - start) * 1000
        calls.query_one("#history-filter").value = ""
        await until(pilot, lambda: calls.loads > loads + 1)
        calls.table.focus()
        loads = calls.loads
        start = time.perf_counter()
        await pilot.press("end")
        await until(pilot, lambda: calls.loads > loads)
        await pilot.pause()
        end = (time.perf_counter() - start) * 1000
        shown = calls.shown
        return {"screen_switch_to_first_page_ms": round(first, 1),
                "first_page_on_screen_ms": round(first_shown, 1),
                "filter_change_on_screen_ms": round(filtered, 1),
                "end_of_range_on_screen_ms": round(end, 1),
                "rows_on_screen": calls.table.row_count,
                "last_row_position": shown.first_index + len(shown.page.rows),
                "total": shown.total}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="history-bench-"))
    os.environ["CALL_CONSOLE_DATA_DIR"] = str(work / "data")
    os.environ["CALL_CONSOLE_CONFIG_DIR"] = str(work / "config")
    os.environ["CALL_CONSOLE_KEYRING"] = "0"
    for name in ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_ENV"):
        os.environ.pop(name, None)
    from console.store.history import CallStore

    with CallStore() as store:
        fill_seconds = fill(store, args.rows)
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = store.size_bytes()
        figures = store_figures(store)
    store_rss = rss_mb()
    tui = asyncio.run(tui_figures())
    out = {
        "rows": args.rows,
        "fill_seconds": round(fill_seconds, 2),
        "file_mb": round(size / 1e6, 1),
        "store": figures,
        "tui": tui,
        "rss_mb": round(rss_mb(), 1),
        "rss_after_store_mb": round(store_rss, 1),
        "targets": TARGETS,
        "python": sys.version.split()[0],
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    out["meets_targets"] = (tui["first_page_on_screen_ms"] <= TARGETS["first_page_on_screen_ms"]
                            and out["rss_mb"] <= TARGETS["rss_mb"])
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            print(f"{key:>22}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
