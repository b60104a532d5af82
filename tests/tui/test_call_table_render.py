"""The live table writes to the DataTable only what changed on screen (issue 16): a diff that
changes rows off screen and the per-second duration tick leave the visible rows alone, a row
shows its latest cells as soon as it scrolls into view, and a call's change renders that
call's row only (a DataTable `update_cell` redraws every visible cell). Counted calls and
renders, no timings; small tables (60 and 20 rows in an 11-row view).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.widgets import DataTable
from waiting import wait_for

from console.tracker.model import TrackedCall
from console.tui.calls import call_table
from console.tui.calls.call_table import CallTable, RowContext
from console.tui.textual_compat import check_data_table_caches

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


def count_writes(monkeypatch) -> list[tuple[str, str]]:
    """Every cell the table writes into its DataTable: (row key, column key)."""
    writes: list[tuple[str, str]] = []
    original = DataTable.update_cell
    in_place = call_table.update_cells_in_place

    def counted(self, row_key, column_key, value, **kwargs):
        writes.append((str(row_key), str(column_key)))
        return original(self, row_key, column_key, value, **kwargs)

    def counted_in_place(table, cells):
        writes.extend((str(row), str(column)) for row, row_cells in cells.items()
                      for column in row_cells)
        return in_place(table, cells)

    monkeypatch.setattr(DataTable, "update_cell", counted)
    monkeypatch.setattr(call_table, "update_cells_in_place", counted_in_place)
    return writes


async def test_only_rows_on_screen_are_written_and_scrolled_rows_show_the_latest(monkeypatch):
    writes = count_writes(monkeypatch)
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


async def test_rows_off_screen_are_not_built_until_they_come_into_view(monkeypatch):
    """At 1,000 calls, ten Text cells per row off screen (and a new one for each change there)
    were most of the objects every full garbage collection walked: a row off screen holds its
    first cell only (the sort key) until it is on screen."""
    built: list[tuple[str, str]] = []
    row_cell = call_table.row_cell

    def counted(call, column, signature, ctx):
        built.append((call.call_id, column))
        return row_cell(call, column, signature, ctx)

    monkeypatch.setattr(call_table, "row_cell", counted)
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(CallTable)
        table.apply([call(i) for i in range(ROWS)])
        await pilot.pause()
        columns = len(table.shown_columns)
        near_top = set(table.shown_ids[:20])  # 11 rows on screen and a margin
        assert {row for row, column in built if column != table.shown_columns[0]} <= near_top
        assert len(built) <= ROWS + 20 * columns
        built.clear()
        table.apply([call(i, status="ended") for i in range(50, ROWS)])  # off screen
        assert built == [] and table.cell_plain("call-055", "status").endswith("ended")
        table.move_cursor(row=ROWS - 1)
        await wait_for(pilot, lambda: table.scroll_y >= ROWS - 11, "scrolled to the end")
        await pilot.pause()
        assert table.get_cell("call-055", "status").plain.endswith("ended")
        assert table.get_cell("call-055", "to").plain == "+1 415-555-0055"


async def test_a_status_change_renders_its_own_row_only(monkeypatch):
    """A DataTable `update_cell` drops every render cache: the next frame rendered all 11
    visible rows again. A call's change now renders that call's cells, nothing else."""
    rendered: list[str] = []
    original = call_table.CellText.__rich_console__

    def counted(self, console, options):
        rendered.append(self.call_id)
        return original(self, console, options)

    monkeypatch.setattr(call_table.CellText, "__rich_console__", counted)
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(CallTable)
        table.apply([call(i) for i in range(20)])
        await wait_for(pilot, lambda: {f"call-{i:03d}" for i in range(11)} <= set(rendered),
                       "the first frame")
        await pilot.pause()
        # The caches have the shape the in-place writes rely on (textual_compat's guard).
        check_data_table_caches(table)
        rendered.clear()

        table.apply([call(3, status="ended")])
        await wait_for(pilot, lambda: "call-003" in rendered, "the changed row drawn")
        await pilot.pause()
        assert table.cell_plain("call-003", "status").endswith("ended")
        assert set(rendered) == {"call-003"}


async def test_changed_textual_internals_fall_back_to_update_cell(monkeypatch, caplog):
    def refuse(table):
        raise call_table.DataTableInternalsChanged("Textual's DataTable changed: test")

    monkeypatch.setattr(call_table, "check_data_table_caches", refuse)
    writes = count_writes(monkeypatch)
    monkeypatch.setattr(call_table, "update_cells_in_place", None)  # must not be used
    app = TableApp()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(CallTable)
        table.apply([call(i) for i in range(5)])
        await pilot.pause()
        table.apply([call(3, status="ended")])
        assert ("call-003", "status") in writes
        assert table.get_cell("call-003", "status").plain.endswith("ended")
        assert "redraws every cell" in caplog.text
