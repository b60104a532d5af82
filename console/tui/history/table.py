"""The History table: one page of calls at a time; moving past either end asks for the next.

A DataTable holding `PAGE_SIZE` rows. The cursor leaving the page (down on the last row, page
down there, up on the first row, home/end) posts `HistoryTable.Edge`; the pane reads that page
from SQLite by keyset and swaps the rows, so 100,000 calls cost what one page does.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from console.api.safe_text import visible
from console.store.history import StoredCall

PAGE_SIZE = 100

#: (column key, title, width)
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("started", "Started", 14), ("status", "Status", 9), ("to", "To", 15),
    ("agent", "Agent", 12), ("disposition", "Disposition", 12), ("duration", "Dur.", 6),
    ("operator", "Operator", 10), ("campaign", "Campaign", 10), ("placed", "Placed", 9),
    ("id", "Call id", 10),
)
STATUS_STYLES = {"ended": "green", "failed": "red", "answered": "bold cyan",
                 "ringing": "yellow", "initiated": "yellow"}


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
    return Text(f"{minutes}:{secs:02d}", justify="right")


def row_cells(call: StoredCall, agent_names: dict[str, str]) -> list[Text]:
    """The cells of one call, server strings made visible and clipped to the column."""
    widths = {key: width for key, _, width in COLUMNS}
    status = _clip(call.status, widths["status"])
    status.stylize(STATUS_STYLES.get(call.status, "magenta"))
    if call.lost:
        status = Text("lost", style="dim red")
    placed = Text("here" if call.placed_here else "elsewhere",
                  style="" if call.placed_here else "dim")
    return [_started(call.started_at), status, _clip(call.to_number, widths["to"]),
            _clip(agent_names.get(call.agent_id) or call.agent_id[:8], widths["agent"]),
            _clip(call.disposition, widths["disposition"]), _duration(call.duration_seconds),
            _clip(call.placed_by, widths["operator"]), _clip(call.campaign, widths["campaign"]),
            placed, _clip(call.call_id[:8], widths["id"])]


class HistoryTable(DataTable):
    """One page of the history; see the module docstring."""

    class Edge(Message):
        """The cursor wants to leave the page: `where` is next, previous, first or last."""

        def __init__(self, where: str) -> None:
            super().__init__()
            self.where = where

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def on_mount(self) -> None:
        for key, title, width in COLUMNS:
            self.add_column(title, key=key, width=width)

    def show_page(self, rows: list[tuple[str, list[Text]]], cursor: int) -> None:
        """Replace the rows with one page (row key = call id) and put the cursor on `cursor`."""
        with self.app.batch_update():
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if rows:
                self.move_cursor(row=max(0, min(cursor, len(rows) - 1)), animate=False)

    def _edge(self, where: str) -> None:
        self.post_message(self.Edge(where))

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self._edge("next")
        else:
            super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.row_count and self.cursor_row <= 0:
            self._edge("previous")
        else:
            super().action_cursor_up()

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self._edge("next")
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.row_count and self.cursor_row <= 0:
            self._edge("previous")
        else:
            super().action_page_up()

    def action_scroll_top(self) -> None:
        self._edge("first")

    def action_scroll_bottom(self) -> None:
        self._edge("last")

    action_scroll_home = action_scroll_top
    action_scroll_end = action_scroll_bottom
