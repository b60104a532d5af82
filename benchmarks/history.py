"""The History view on a big store: first page, a filter change, the end of the range, memory.

Fills a fresh call store (in a temporary data dir) with N calls, then measures

- the store: the first page of the newest calls and the count of all, a filter change (one
  status and one operator: its first page and its count), the last page (End) and the page
  after a cursor near the end of the range (page down there), and `calls_since` (today's
  calls, what the console reads at start-up to restore its table) — each the median of 7 runs;
- the TUI, headless at 120x40, to the first frame that shows the rows (frames are timed where
  Textual hands them to the terminal): the first switch to the History screen (F11, after the
  Call screen has settled: module import, screen mount, store open, first page), its CPU time
  (the machine's load inflates it less than the wall time), the import alone, its first frame,
  the screen settled (count and detail pane in), the lines the virtual table drew and the
  screen's node count; the switch back to it (F2, F11); on the shown screen, the first page of
  the whole range (the range key to "all"), then its count; a filter typed into its filter
  line; End (the last page);
- RSS: the process's peak (`ru_maxrss`: store, app and this driver together).

Targets (issue 15, design.md §5): first page on screen <= 150 ms, <= 200 MB RSS with 100,000
calls; the first switch to the screen, to its first page on screen, <= 300 ms. Every figure is
printed, those with a target beside it; the load average is printed too (2 shared cores here:
wall times grow with the load, CPU times much less).

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

#: figure → its target (<=); issue 15 and design.md §5, and the first switch to the screen (F11)
#: "a few hundred ms at most" at 100,000 calls (helper brief history-speed)
TARGETS = {"first_page_on_screen_ms": 150.0, "rss_mb": 200.0,
           "switch_first_page_on_screen_ms": 300.0}
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


class Frames:
    """When frames reach the (headless) terminal: wraps the app's `_display`, which Textual
    calls with each rendered update (benchmark only: a private hook)."""

    def __init__(self, app) -> None:
        self.app = app
        self.seen: list[tuple[float, float, str, int]] = []
        original = app._display

        def display(screen, renderable) -> None:
            if renderable is not None and not app._batch_count:
                self.seen.append((time.perf_counter(), time.process_time(),
                                  getattr(screen, "SCREEN_NAME", ""), _loads(screen)))
            original(screen, renderable)

        app._display = display

    def first(self, since: float, screen: str = "history", loads: int = -1):
        """(wall s, cpu s) of the first frame after `since` showing `screen` with more than
        `loads` pages read (-1: any frame of it), or None."""
        for wall, cpu, name, shown in self.seen:
            if wall >= since and name == screen and shown > loads:
                return wall, cpu
        return None


def _is_history(screen) -> bool:
    return getattr(screen, "SCREEN_NAME", "") == "history"


def _loads(screen) -> int:
    """Pages the History screen's calls tab has read (0 while it mounts; -1: not History)."""
    from textual.css.query import NoMatches

    if not _is_history(screen):
        return -1
    try:
        return screen.calls.loads
    except NoMatches:
        return 0


async def tui_figures() -> dict[str, float]:
    from console.account.session import ConsoleSession
    from console.config.settings import Settings
    from console.tui.app import make_app

    app = make_app(session=ConsoleSession(Settings(operator="bench")), clock=lambda: T0)

    async def until(check, timeout: float = 60.0) -> None:
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

    def ms(seconds: float) -> float:
        return round(seconds * 1000, 1)

    async def frame_after(start: float, loads: int) -> float:
        """Milliseconds from `start` to the first frame with more than `loads` pages read."""
        await until(lambda: frames.first(start, loads=loads) is not None)
        return ms(frames.first(start, loads=loads)[0] - start)

    async with app.run_test(size=(120, 40)) as pilot:
        frames = Frames(app)
        # The Call screen finishes mounting its form and the profiles are read before F11:
        # the switch is measured alone.
        await app.screen.settled()
        await until(lambda: app.profiles is not None and app.session_ready)
        await pilot.pause()
        out: dict[str, float] = {}

        import console.tui.screens as registry

        imports = registry.importlib = TimedImports()
        start, cpu = time.perf_counter(), time.process_time()
        press = asyncio.create_task(pilot.press("f11"))
        await until(lambda: frames.first(start) is not None)
        out["switch_first_frame_ms"] = ms(frames.first(start)[0] - start)
        await until(lambda: frames.first(start, loads=0) is not None)
        wall1, cpu1 = frames.first(start, loads=0)
        out["switch_first_page_on_screen_ms"] = ms(wall1 - start)
        out["switch_first_page_cpu_ms"] = ms(cpu1 - cpu)
        await press
        registry.importlib = imports._importlib
        out["switch_import_ms"] = imports.ms.get("console.tui.history.screen", 0.0)
        calls = app.screen.calls
        await until(lambda: not calls.counting and calls.counted >= 1)
        await until(lambda: calls.detail is not None and calls.detail.call_id is not None)
        await pilot.pause()
        out["switch_settled_ms"] = ms(time.perf_counter() - start)
        out["rows_drawn_first_page"] = getattr(calls.table, "rows_drawn", -1)  # -1: a DataTable
        out["rows_in_page"] = calls.table.row_count
        out["nodes_on_screen"] = len(list(app.screen.walk_children(with_self=True)))

        await pilot.press("f2")
        await pilot.pause()
        loads = calls.loads
        start = time.perf_counter()
        await pilot.press("f11")
        await until(lambda: frames.first(start) is not None)
        out["switch_again_first_frame_ms"] = ms(frames.first(start)[0] - start)
        await until(lambda: not calls.counting)
        await pilot.pause()

        await pilot.press("r", "r")  # 7 days
        await until(lambda: calls.range == "7d" and not calls.counting
                    and calls.counted >= 3)
        await pilot.pause()
        loads = calls.loads
        start = time.perf_counter()
        await pilot.press("r")  # all: the first page of every call
        out["first_page_on_screen_ms"] = await frame_after(start, loads)
        await until(lambda: not calls.counting)
        out["count_shown_ms"] = ms(time.perf_counter() - start)
        await pilot.pause()

        loads = calls.loads
        start = time.perf_counter()
        calls.query_one("#history-filter").value = "status:failed operator:bob"
        out["filter_change_on_screen_ms"] = await frame_after(start, loads)
        await until(lambda: not calls.counting)
        calls.query_one("#history-filter").value = ""
        await until(lambda: calls.loads > loads + 1 and not calls.counting)
        calls.table.focus()
        await pilot.pause()

        loads = calls.loads
        start = time.perf_counter()
        await pilot.press("end")
        out["end_of_range_on_screen_ms"] = await frame_after(start, loads)
        await until(lambda: not calls.counting)
        await pilot.pause()
        shown = calls.shown
        out.update({"rows_on_screen": calls.table.row_count,
                    "last_row_position": shown.first_index + len(shown.page.rows),
                    "total": shown.total})
        return out


class TimedImports:
    """Stands in for `importlib` in the screen registry while F11 is pressed: times the import
    of the History screen's module (what the first switch adds to a started console)."""

    def __init__(self) -> None:
        import importlib

        self._importlib = importlib
        self.ms: dict[str, float] = {}

    def import_module(self, name: str):
        start = time.perf_counter()
        module = self._importlib.import_module(name)
        self.ms.setdefault(name, round((time.perf_counter() - start) * 1000, 1))
        return module


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
    load_before = [round(x, 1) for x in os.getloadavg()]
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
        "load_average_before_tui": load_before,
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    flat = {**tui, "rss_mb": out["rss_mb"]}
    out["met"] = {name: flat[name] <= target for name, target in TARGETS.items()}
    out["meets_targets"] = all(out["met"].values())
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print_figures(out)
    return 0


def print_figures(out: dict) -> None:
    """Every figure on its own line; a figure with a target shows it and whether it is met."""
    def line(name: str, value) -> None:
        target = TARGETS.get(name)
        note = ""
        if target is not None:
            note = f"   target <= {target:g}  {'met' if value <= target else 'NOT MET'}"
        print(f"{name:>34}: {value}{note}")

    for key, value in out.items():
        if key in ("targets", "met"):
            continue
        if isinstance(value, dict):
            print(f"{key}:")
            for name, figure in value.items():
                line(name, figure)
        else:
            line(key, value)

if __name__ == "__main__":
    raise SystemExit(main())
