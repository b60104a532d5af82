"""The Audit tab of the History screen: the audit log's records, newest first, filtered by
operator, action and time (`operator:ann action:call_* since:7d`).

The log (and its rotated files) is read in a thread without taking its lock, so consoles keep
appending while it is shown; only the newest `SHOWN_RECORDS` matches are kept in memory. The
Details column takes the width left (clipped with …); the highlighted record's details are
shown whole, wrapped, under the table.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import datetime
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from console.api.safe_text import visible
from console.tui.css import stylesheet

SHOWN_RECORDS = 1000
#: (key, title, width); Details takes the rest of the table's width (at least DETAILS_MIN)
COLUMNS = (("ts", "When", 14), ("kind", "Action", 20), ("operator", "Operator", 10),
           ("details", "Details", 0))
DETAILS_MIN = 20
#: DataTable's cell padding (both sides) and the table's scrollbar
CELL_PADDING = 2
SCROLLBAR = 1
_SKIP = ("ts", "kind", "operator", "pid")


def details_text(record: dict[str, Any]) -> str:
    return " ".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
                    for k, v in record.items() if k not in _SKIP and v is not None)


class AuditView(Vertical):
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filter_values: dict[str, Any] = {}
        self.problems: list[str] = []
        self.records: list[dict[str, Any]] = []
        self.loads = 0
        self._details_width = 0

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter: operator:NAME action:call_placed (call_* for a "
                                "prefix) since:7d until:…", id="audit-filter", compact=True)
        yield Static(id="audit-summary")
        yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="audit-record")

    def details_width(self) -> int:
        fixed = sum(width + CELL_PADDING for _, _, width in COLUMNS if width)
        return max(DETAILS_MIN, self.size.width - fixed - CELL_PADDING - SCROLLBAR)

    def on_resize(self) -> None:
        if self.details_width() != self._details_width:
            self._fill()

    def _fill(self) -> None:
        """The columns (Details as wide as the rest) and the rows of `records`."""
        table = self.query_one("#audit-table", DataTable)
        self._details_width = width = self.details_width()
        cursor = table.cursor_row
        with self.app.batch_update():
            table.clear(columns=True)
            for key, title, fixed in COLUMNS:
                table.add_column(title, key=key, width=fixed or width)
            for index, record in enumerate(self.records):
                table.add_row(*self._cells(record, width), key=str(index))
            if self.records:
                table.move_cursor(row=min(cursor, len(self.records) - 1), animate=False)
        self._show_record()

    def reload(self) -> None:
        self.run_worker(partial(self._read, dict(self.filter_values)), group="audit-read",
                        exclusive=True, exit_on_error=False)

    async def _read(self, values: dict[str, Any]) -> None:
        import asyncio

        from console.account.audit import read_audit, select_records

        def read() -> list[dict[str, Any]]:
            newest = deque(select_records(read_audit(), **values), maxlen=SHOWN_RECORDS)
            return list(reversed(newest))

        self.records = await asyncio.to_thread(read)
        self.query_one("#audit-table", DataTable).move_cursor(row=0, animate=False)
        self._fill()
        self.loads += 1
        self._summary()

    @staticmethod
    def _cells(record: dict[str, Any], details_width: int) -> list[Text]:
        from console.account.audit import record_time

        when = record_time(record)
        shown = when.astimezone().strftime("%m-%d %H:%M:%S") if isinstance(when, datetime) \
            else visible(str(record.get("ts")), 14)
        details = Text(visible(details_text(record), 400), no_wrap=True)
        details.truncate(details_width, overflow="ellipsis")
        return [Text(shown), Text(visible(str(record.get("kind", "")), 80), style="bold"),
                Text(visible(str(record.get("operator") or "—"), 40)), details]

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_record()

    def _show_record(self) -> None:
        """The highlighted record's details, whole (wrapped; 3 lines at most, audit_pane.tcss)."""
        table = self.query_one("#audit-table", DataTable)
        text = Text(style="dim")
        if self.records and 0 <= table.cursor_row < len(self.records):
            record = self.records[table.cursor_row]
            text = Text(visible(details_text(record), 2000))
        self.query_one("#audit-record", Static).update(text)

    def _summary(self) -> None:
        text = Text()
        count = len(self.records)
        text.append(f"{count:,} record{'s' if count != 1 else ''}", style="bold")
        if count == SHOWN_RECORDS:
            text.append(f" (the newest {SHOWN_RECORDS:,}; `audit export` writes them all)",
                        style="dim")
        for problem in self.problems:
            text.append(f"  ⚠ {problem}", style="yellow")
        self.query_one("#audit-summary", Static).update(text)

    @on(Input.Submitted, "#audit-filter")
    def _filter(self, event: Input.Submitted) -> None:
        from console.history.query_text import parse_audit_filter

        clock = getattr(self.app, "clock", None)
        now = clock().astimezone() if clock is not None else None
        parsed = parse_audit_filter(event.value, now=now)
        self.problems = parsed.problems
        self.filter_values = parsed.values
        self.reload()
        self.query_one("#audit-table", DataTable).focus()
