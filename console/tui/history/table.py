"""The History table: one page of calls at a time, drawn line by line; moving past either end
asks for the next page.

A virtual table (Textual's line API): it holds one page (`PAGE_SIZE` stored calls, read by
keyset) and draws only the lines on screen. A row's cells are built when the row is first
drawn, and its line is kept until the page, the agent names, the width or the theme change, so
100,000 stored calls cost what the visible rows do. The cursor leaving the page (down on the last
row, page down there, up on the first row, home/end) posts `HistoryTable.Edge`; the pane reads
that page and hands it to `show_page`.

Columns have a fixed width and a rank: at a width too narrow for all of them, the lowest ranked
are left out whole (never cut in the middle); the detail pane shows every field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from console.api.safe_text import visible
from console.store.history import StoredCall
from console.tui.css import stylesheet

PAGE_SIZE = 100


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    rank: int            # 0 = shown first, kept longest when the table is narrow
    justify: str = "left"


COLUMNS: tuple[Column, ...] = (
    Column("started", "Started", 14, 0), Column("status", "Status", 9, 1),
    Column("to", "To", 15, 2), Column("agent", "Agent", 12, 3),
    Column("disposition", "Disposition", 12, 5), Column("duration", "Dur.", 6, 4, "right"),
    Column("operator", "Operator", 10, 7), Column("campaign", "Campaign", 10, 8),
    Column("placed", "Placed", 9, 9), Column("id", "Call id", 10, 6),
)
#: space before each cell
GAP = 1
STATUS_STYLES = {"ended": "green", "failed": "red", "answered": "bold cyan",
                 "ringing": "yellow", "initiated": "yellow"}
_WIDTHS = {column.key: column.width for column in COLUMNS}


def fitting_columns(width: int) -> tuple[Column, ...]:
    """The columns that fit `width` cells, best ranked first, shown in table order."""
    chosen: set[str] = set()
    used = 0
    for column in sorted(COLUMNS, key=lambda c: c.rank):
        if used + GAP + column.width <= width:
            chosen.add(column.key)
            used += GAP + column.width
    return tuple(column for column in COLUMNS if column.key in chosen)


def _clip(value: str | None, width: int) -> Text:
    if not value:
        return Text("—", style="dim")
    shown = visible(value, width * 4)
    return Text(shown if len(shown) <= width else shown[: width - 1] + "…")


def _started(value: datetime | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    return Text(value.astimezone().strftime("%m-%d %H:%M:%S"))


def _duration(seconds: int | None) -> Text:
    if seconds is None:
        return Text("—", style="dim")
    minutes, secs = divmod(int(seconds), 60)
    return Text(f"{minutes}:{secs:02d}")


def row_cells(call: StoredCall, agent_label: Callable[[str], str]) -> dict[str, Text]:
    """The cells of one call by column key, server strings made visible and clipped."""
    status = _clip(call.status, _WIDTHS["status"])
    status.stylize(STATUS_STYLES.get(call.status, "magenta"))
    if call.lost:
        status = Text("lost", style="dim red")
    placed = Text("here" if call.placed_here else "elsewhere",
                  style="" if call.placed_here else "dim")
    return {"started": _started(call.started_at), "status": status,
            "to": _clip(call.to_number, _WIDTHS["to"]),
            "agent": _clip(agent_label(call.agent_id), _WIDTHS["agent"]),
            "disposition": _clip(call.disposition, _WIDTHS["disposition"]),
            "duration": _duration(call.duration_seconds),
            "operator": _clip(call.placed_by, _WIDTHS["operator"]),
            "campaign": _clip(call.campaign, _WIDTHS["campaign"]), "placed": placed,
            "id": _clip(call.call_id[:8], _WIDTHS["id"])}


def _line(cells: dict[str, Text], columns: Sequence[Column]) -> Text:
    line = Text(no_wrap=True, end="")
    for column in columns:
        cell = cells[column.key].copy()
        cell.truncate(column.width, overflow="ellipsis")
        line.append(" " * GAP)
        line.append_text(_aligned(cell, column))
    return line


def _aligned(cell: Text, column: Column) -> Text:
    pad = column.width - cell.cell_len
    if pad > 0:
        if column.justify == "right":
            cell = Text(" " * pad) + cell
        else:
            cell.append(" " * pad)
    return cell


class HistoryTable(ScrollView, can_focus=True):
    """One page of the history; see the module docstring."""

    DEFAULT_CSS = stylesheet(__file__)
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "history-table--header", "history-table--cursor", "history-table--even-row"}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first_page", "First page", show=False),
        Binding("end,ctrl+end", "last_page", "Last page", show=False),
    ]

    class Edge(Message):
        """The cursor wants to leave the page: `where` is next, previous, first or last."""

        def __init__(self, where: str) -> None:
            super().__init__()
            self.where = where

    class Highlighted(Message):
        """The cursor is on a call (None: the page is empty)."""

        def __init__(self, table: HistoryTable, call_id: str | None) -> None:
            super().__init__()
            self.table = table
            self.call_id = call_id

        @property
        def control(self) -> HistoryTable:
            return self.table

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.calls: list[StoredCall] = []
        self.cursor_row = 0
        #: agent id → the label the Agent column shows (the pane sets it)
        self.agent_label: Callable[[str], str] = lambda agent_id: agent_id[:8]
        self._columns: tuple[Column, ...] = fitting_columns(0)
        self._cells: dict[int, dict[str, Text]] = {}
        self._lines: dict[tuple[int, str], Strip] = {}
        #: lines drawn since the page was shown (the benchmark and a test read it)
        self.rows_drawn = 0

    # -- the page -------------------------------------------------------------------------------

    @property
    def row_count(self) -> int:
        return len(self.calls)

    @property
    def cursor_call_id(self) -> str | None:
        if not self.calls:
            return None
        return self.calls[self.cursor_row].call_id

    def call_id_at(self, row: int) -> str:
        return self.calls[row].call_id

    def show_page(self, calls: Sequence[StoredCall], cursor: int) -> None:
        """Show `calls` (one page) with the cursor on row `cursor` (clamped)."""
        self.calls = list(calls)
        self._cells.clear()
        self._lines.clear()
        self.rows_drawn = 0
        self.virtual_size = Size(self.size.width, len(self.calls) + 1)
        self.cursor_row = max(0, min(cursor, len(self.calls) - 1))
        self.scroll_to(y=0, animate=False, immediate=True)
        self._cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self, self.cursor_call_id))

    def relabel(self) -> None:
        """Draw the rows again (the agent names changed)."""
        self._cells.clear()
        self._lines.clear()
        self.refresh()

    # -- drawing ----------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._columns = fitting_columns(self.size.width)
        self._lines.clear()
        self.virtual_size = Size(self.size.width, len(self.calls) + 1)
        self._cursor_into_view()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self._lines.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._lines.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        row = int(self.scroll_y) + y - 1
        if row >= len(self.calls):
            return Strip.blank(width, self.rich_style)
        kind = "cursor" if row == self.cursor_row else ("even" if row % 2 else "odd")
        line = self._lines.get((row, kind))
        if line is None or line.cell_length != width:
            line = self._row_line(row, kind, width)
            self._lines[(row, kind)] = line
        return line

    def _header(self, width: int) -> Strip:
        style = self.rich_style + self.get_component_rich_style("history-table--header")
        text = Text(no_wrap=True, end="")
        for column in self._columns:
            text.append(" " * GAP)
            text.append_text(_aligned(Text(column.title), column))
        return self._strip(text, width, style)

    def _row_line(self, row: int, kind: str, width: int) -> Strip:
        cells = self._cells.get(row)
        if cells is None:
            cells = self._cells[row] = row_cells(self.calls[row], self.agent_label)
        self.rows_drawn += 1
        text = _line(cells, self._columns)
        base = self.rich_style
        if kind == "even":
            base += self.get_component_rich_style("history-table--even-row")
        strip = self._strip(text, width, base)
        if kind == "cursor":
            cursor = self.get_component_rich_style("history-table--cursor")
            strip = Strip(Segment.apply_style(list(strip), post_style=cursor), width)
        return strip

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        segments = list(text.render(self.app.console))
        strip = Strip(segments, text.cell_len).crop_extend(0, width, None)
        return Strip(Segment.apply_style(list(strip), style), width)

    # -- the cursor -------------------------------------------------------------------------------

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        """Put the cursor on `row` of the page (clamped) and scroll it into view."""
        if not self.calls:
            return
        row = max(0, min(row, len(self.calls) - 1))
        if row == self.cursor_row:
            return
        old, self.cursor_row = self.cursor_row, row
        self._refresh_row(old)
        self._refresh_row(row)
        self._cursor_into_view()
        self.post_message(self.Highlighted(self, self.cursor_call_id))

    def _refresh_row(self, row: int) -> None:
        y = row - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _cursor_into_view(self) -> None:
        visible_rows = max(1, self.size.height - 1)
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + visible_rows:
            self.scroll_to(y=self.cursor_row - visible_rows + 1, animate=False, immediate=True)

    def _edge(self, where: str) -> None:
        self.post_message(self.Edge(where))

    def action_cursor_down(self) -> None:
        if self.calls and self.cursor_row >= len(self.calls) - 1:
            self._edge("next")
        else:
            self.move_cursor(row=self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        if self.calls and self.cursor_row <= 0:
            self._edge("previous")
        else:
            self.move_cursor(row=self.cursor_row - 1)

    def action_page_down(self) -> None:
        if self.calls and self.cursor_row >= len(self.calls) - 1:
            self._edge("next")
        else:
            self.move_cursor(row=self.cursor_row + max(1, self.size.height - 2))

    def action_page_up(self) -> None:
        if self.calls and self.cursor_row <= 0:
            self._edge("previous")
        else:
            self.move_cursor(row=self.cursor_row - max(1, self.size.height - 2))

    def action_first_page(self) -> None:
        self._edge("first")

    def action_last_page(self) -> None:
        self._edge("last")

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(row=int(self.scroll_y) + event.y - 1)
