"""The live table writes to the DataTable only what changed on screen (issue 16): a diff that
changes rows off screen and the per-second duration tick leave the visible rows alone (every
DataTable `update_cell` redraws every visible cell), and a row shows its latest cells as soon
as it scrolls into view. Counted calls, no timings; a small table (60 rows in a 10-row view).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.widgets import DataTable
from waiting import wait_for

from console.tracker.model import TrackedCall
from console.tui.calls.call_table import CallTable, RowContext

ROWS = 60
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def call(i: int, status: str = "answered") -> TrackedCall:
    return TrackedCall(call_id=f"call-{i:03d}", agent_id="3c90c3cc-0d44-4b50-8888-8dd25736052a",
                       to_number=f"+1415555{i:04d}", from_number=None, status=status,
                       answered_at=0.0, placed_wall=START - timedelta(seconds=i))


class TableApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.clock = [0.0]

    def compose(self) -> ComposeResult:
        yield CallTable(RowContext(now=lambda: self.clock[0], region="US"))


async def test_only_rows_on_screen_are_written_and_scrolled_rows_show_the_latest(monkeypatch):
    writes: list[tuple[str, str]] = []
    original = DataTable.update_cell

    def counted(self, row_key, column_key, value, **kwargs):
        writes.append((str(row_key), str(column_key)))
        return original(self, row_key, column_key, value, **kwargs)

    monkeypatch.setattr(DataTable, "update_cell", counted)
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(CallTable)
        calls = [call(i) for i in range(ROWS)]
        table.apply(calls)
        await pilot.pause()
        shown = table.shown_ids  # newest first: call-000 on top
        assert shown[0] == "call-000" and len(shown) == ROWS
        # 11 rows on screen (12 lines less the header), and a few more as a margin
        near_top = set(shown[:20])

        # The duration tick: only the answered rows on screen are rewritten.
        writes.clear()
        app.clock[0] = 5.0
        table.tick()
        assert set(shown[:11]) <= {row for row, _ in writes} <= near_top

        # A diff that ends the calls at the bottom (off screen) writes nothing to the DataTable,
        # yet the table knows their new cells.
        writes.clear()
        bottom = [call(i, status="ended") for i in range(50, ROWS)]
        stats = table.apply(bottom)
        assert stats.updated > 0 and writes == []
        assert table.cell_plain("call-059", "status").endswith("ended")

        # Scrolled into view, they show what the diff said, and their durations.
        table.move_cursor(row=ROWS - 1)
        await wait_for(pilot, lambda: table.scroll_y >= ROWS - 11, "scrolled to the end")
        await pilot.pause()
        assert ("call-059", "status") in writes
        assert table.get_cell("call-059", "status").plain.endswith("ended")
