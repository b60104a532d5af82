"""The live calls table: one row per call (row key = call id), fixed column keys and widths.

Updates are diffs (design.md §3): `apply()` takes the calls a tracker batch changed and, inside
one `app.batch_update()`, adds rows for new calls, rewrites only the cells whose value changed
(each cell keeps a small signature of what it shows) and removes rows that no
longer pass the filter. It never clears and refills, never passes `update_width=True`, and
keeps the cursor on the same call (by row key) and the scroll offset where they were.

`tick()` is driven by ONE one-second timer of the screen: it rewrites only the duration cells
of live answered rows (their duration is computed here from the tracker's clock).

Only rows on screen are written to the DataTable, and without dropping its render caches.
`DataTable.update_cell` makes the table drop ALL its render caches and draw every visible cell
again, so with 2,000 calls a diff (or the duration tick) kept the whole table repainting: most
of the console's CPU, and keystrokes waiting behind those frames. So the cells a diff changes
are collected and written once at its end with `textual_compat.update_cells_in_place`, which
forgets the cached renders of those cells (and their rows' lines) only and repaints only their
rows; every other row comes from the caches. A row off screen is not even built: the
DataTable holds its first cell (it carries the call id the sort goes by) and one shared blank
for the others, and the columns it owes are noted (`_pending`); their Text is built and
written when the row scrolls (or is sorted) into view. At 1,000 calls, ten Text cells per
row (three objects each) and a new Text for every change off screen were most of what each
full garbage collection walked (100-200 ms stalls of the UI, several a minute). The
duration tick looks at the rows on screen only; a sort that leaves the order as it was does
not touch the DataTable. Signatures, sorting and `cell_plain` always see the latest.

Every cell is a `rich.text.Text` built from plain strings: a server string that looks like
markup (`[bold red]x`) is shown as typed, and its control characters as escapes (`cell_value`).

A lost call (the API answers 404 for it; `TrackedCall.lost`) shows `⊘ lost` in its status
cell, sorts after the failed calls and keeps its other cells as last known.
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from console.api.safe_text import visible
from console.tui.calls.columns import (
    DEFAULT_LAYOUTS,
    SPECS,
    ColumnSpec,
    tier_for,
    widths_for,
)
from console.tui.calls.status_style import (
    flags_text,
    lost_sort_key,
    lost_text,
    sorted_flags,
    status_sort_key,
    status_text,
)
from console.tui.css import stylesheet
from console.tui.keys import CALL_TABLE_KEYS, bindings
from console.tui.textual_compat import (
    DataTableInternalsChanged,
    check_data_table_caches,
    update_cells_in_place,
)

if TYPE_CHECKING:
    from console.tracker import TrackedCall

log = logging.getLogger("console.tui.calls")


#: every column the table can show (which ones it does, and how wide: `columns.py`)
COLUMN_KEYS: tuple[str, ...] = tuple(SPECS)
_INDEX = {key: index for index, key in enumerate(COLUMN_KEYS)}
_DURATION = _INDEX["duration"]

EMPTY = "—"
#: The status cell's signature for a lost call: a tuple never equals a server status string.
LOST_SIGNATURE = ("lost",)
#: Longest server string put in a cell (the cell shows its column's width of it).
CELL_TEXT_LIMIT = 64


# -- cell values --------------------------------------------------------------------------------

def cell_value(text: str) -> str:
    """A server string as a cell shows it: control characters made visible, clipped."""
    return visible(text, CELL_TEXT_LIMIT)


@lru_cache(maxsize=8192)
def format_number(number: str | None, region: str = "US") -> str:
    """`+1 415-555-0000` for a parseable number; the string as received otherwise (made
    visible: its control characters shown as escapes).

    Formatting only (phonenumbers' parse + format): the form's full `parse_phone` also loads
    the time-zone and geocoding data (~100 MB), which a table of numbers does not need.
    """
    if not number:
        return EMPTY
    try:
        import phonenumbers

        parsed = phonenumbers.parse(number, region)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except Exception:  # noqa: BLE001 - whatever the server sent, show it as is
        return cell_value(number)


def local_time(value: datetime | None, today: datetime | None = None) -> str:
    """`17:00:05` today (local time); `Tue 17:00` on another day."""
    if value is None:
        return EMPTY
    local = value.astimezone()
    if today is not None and local.date() != today.astimezone().date():
        return local.strftime("%a %H:%M")
    return local.strftime("%H:%M:%S")


def format_duration(seconds: float | int | None) -> str:
    if seconds is None:
        return EMPTY
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def answered_wall(call: TrackedCall) -> datetime | None:
    for when, status in call.status_changes:
        if status == "answered":
            return when
    return None


def call_duration(call: TrackedCall, now: float) -> float | None:
    """Seconds of conversation: ticking while a live call is answered (from the tracker's
    `answered_at` clock time), the server's `duration_seconds` once it ended."""
    if call.live:
        if call.answered_at is not None:
            return now - call.answered_at
        return None
    answered = answered_wall(call)
    if call.duration_seconds is not None:
        if not call.duration_seconds and answered is None and call.answered_at is None:
            return None  # never answered: no conversation to time
        return call.duration_seconds
    last = call.last
    ended = last.ended if last is not None else None
    if ended is not None and answered is not None:
        if ended.tzinfo is None:
            from datetime import UTC

            ended = ended.replace(tzinfo=UTC)
        return max(0.0, (ended - answered).total_seconds())
    return None


def _ticking(call: TrackedCall) -> bool:
    return call.live and call.answered_at is not None


class RowContext:
    """What the table needs from outside to render a row: agent labels, the clock, the region."""

    def __init__(self, *, agent_label: Callable[[str], str] | None = None,
                 now: Callable[[], float] | None = None,
                 wall: Callable[[], datetime] | None = None, region: str = "US") -> None:
        self.agent_label = agent_label or (lambda agent_id: agent_id[:8])
        self.now = now or _time.monotonic
        self.wall = wall
        self.region = region
        #: the campaign column is not shown: a campaign call's name goes in its flags cell
        self.campaign_in_flags = True


def cell_signature(call: TrackedCall, column: str, ctx: RowContext) -> Any:
    """A cheap value that changes exactly when the cell's text would."""
    if column == "status":
        return LOST_SIGNATURE if call.lost else call.status
    if column == "to":
        return call.to_number
    if column == "from":
        return call.from_number
    if column == "agent":
        return (call.agent_id, ctx.agent_label(call.agent_id))
    if column == "started":
        return call.started_at
    if column == "duration":
        duration = call_duration(call, ctx.now())
        return None if duration is None else int(duration)
    if column == "disposition":
        return call.disposition
    if column == "flags":
        return frozenset(call.flags), call.campaign if ctx.campaign_in_flags else None
    if column == "campaign":
        return call.campaign
    raise KeyError(column)


class CellText(Text):
    """A cell's Text that remembers its call (so `DataTable.sort` can sort by the call)."""

    __slots__ = ("call_id",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call_id = ""


#: What every cell of a row off screen holds until the row comes into view (one object).
BLANK = Text("")


def cell_text(call: TrackedCall, column: str, signature: Any, ctx: RowContext) -> Text:
    if column == "status":
        text = status_text(call.status)
    elif column in ("to", "from"):
        number = call.to_number if column == "to" else call.from_number
        text = Text(format_number(number, ctx.region), no_wrap=True, overflow="ellipsis")
    elif column == "agent":
        text = Text(cell_value(signature[1]), no_wrap=True, overflow="ellipsis")
    elif column == "started":
        text = Text(local_time(signature, ctx.wall() if ctx.wall else None), no_wrap=True)
    elif column == "duration":
        text = Text(format_duration(signature) if signature is not None else "",
                    justify="right", no_wrap=True)
    elif column == "disposition":
        disposition = cell_value(signature or "")
        style = "red" if call.status == "failed" and disposition else ""
        text = Text(disposition, style=style, no_wrap=True, overflow="ellipsis")
    elif column == "flags":
        flags, campaign = signature
        text = flags_text(flags)
        if campaign:  # first: the tag that says where the call came from
            tag = Text(f"▸{cell_value(campaign)}", style="bold cyan", no_wrap=True)
            text = tag + Text(" ") + text if text.plain else tag
    elif column == "campaign":
        text = Text(cell_value(signature or ""), no_wrap=True, overflow="ellipsis")
    else:  # pragma: no cover
        raise KeyError(column)
    cell = CellText(text.plain, style=text.style, justify=text.justify, no_wrap=True,
                    overflow=text.overflow or "ellipsis", spans=list(text.spans))
    cell.call_id = call.call_id
    return cell


def row_cell(call: TrackedCall, column: str, signature: Any, ctx: RowContext) -> Text:
    """The cell the table shows: `cell_text`, except the status of a lost call (a local
    state, not server text)."""
    if column == "status" and signature == LOST_SIGNATURE:
        text = lost_text()
        cell = CellText(text.plain, style=text.style, no_wrap=True, overflow="ellipsis")
        cell.call_id = call.call_id
        return cell
    return cell_text(call, column, signature, ctx)


def sort_value(call: TrackedCall, column: str, ctx: RowContext) -> Any:
    if column == "status":
        return lost_sort_key() if call.lost else status_sort_key(call.status)
    if column == "to":
        return call.to_number or ""
    if column == "from":
        return call.from_number or ""
    if column == "agent":
        return ctx.agent_label(call.agent_id).lower()
    if column == "started":
        started = call.started_at
        return started.timestamp() if started is not None else 0.0
    if column == "duration":
        duration = call_duration(call, ctx.now())
        return -1.0 if duration is None else duration
    if column == "disposition":
        return (call.disposition or "").lower()
    if column == "flags":
        return tuple(sorted_flags(call.flags))
    if column == "campaign":
        return (call.campaign or "").lower()
    raise KeyError(column)


# -- the widget ---------------------------------------------------------------------------------

@dataclass
class DiffStats:
    added: int = 0
    updated: int = 0  # cells rewritten
    removed: int = 0
    resorted: bool = False


class CallTable(DataTable):
    BINDINGS = bindings(*CALL_TABLE_KEYS)
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, ctx: RowContext | None = None, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, show_row_labels=False,
                         **kwargs)
        self.ctx = ctx or RowContext()
        self._calls: dict[str, TrackedCall] = {}     # calls shown, by row key
        self._sigs: dict[str, list[Any]] = {}        # their cells' signatures
        self._ticking: set[str] = set()              # live answered rows (duration ticks)
        self._pending: dict[str, set[str]] = {}  # columns of rows off screen whose cell is
        #                                          not built nor written to the DataTable yet
        self._writes: dict[str, dict[str, Text]] = {}   # cells of rows on screen, written
        #                                                 at the end of the diff (`_flush`)
        #: False: Textual's DataTable internals changed; cells go through `update_cell`
        self._in_place: bool | None = None  # None: not checked yet
        self.sort_column = "started"
        self.sort_reverse = True
        #: called after every diff with (call, column) for each written cell (benchmarks, tests)
        self.cell_hook: Callable[[TrackedCall, str], None] | None = None
        #: (from width, columns) per width; the columns shown and their widths (`columns.py`)
        self.layouts: list[tuple[int, tuple[str, ...]]] = list(DEFAULT_LAYOUTS)
        self.shown_columns: tuple[str, ...] = ()
        self._widths: dict[str, int] = {}
        self.shown_columns = self.layouts[-1][1]  # until the table knows its width (fit)
        for key in self.shown_columns:
            self.add_column(self._label(SPECS[key]), width=SPECS[key].width, key=key)

    # -- columns -------------------------------------------------------------------------------

    def _lay_out(self, columns: tuple[str, ...], widths: dict[str, int]) -> None:
        """Show `columns` at `widths`: the DataTable is rebuilt from the calls (a layout
        change, never a poll), cursor kept."""
        selected = self.selected_id if self.row_count else None
        self.shown_columns, self._widths = columns, widths
        in_flags = "campaign" not in columns
        if in_flags != self.ctx.campaign_in_flags:
            self.ctx.campaign_in_flags = in_flags
            for call_id, call in self._calls.items():
                self._sigs[call_id][_INDEX["flags"]] = cell_signature(call, "flags", self.ctx)
        self.clear(columns=True)
        self._pending.clear()
        self._writes.clear()
        for key in columns:
            self.add_column(self._label(SPECS[key]), width=widths[key], key=key)
        for call in self._calls.values():
            self._add_row(call)
        self._sort()
        self._keep_cursor(selected)
        self.show_visible()

    def set_layouts(self, layouts: list[tuple[int, tuple[str, ...]]]) -> None:
        """The operator's columns per width (the `calls_columns` setting)."""
        self.layouts = list(layouts)
        self.fit()

    def tier(self, width: int | None = None) -> int:
        """Index in `layouts` of the layout used at `width` (default: the table's width)."""
        return tier_for(self._width() if width is None else width, self.layouts)

    def _width(self) -> int:
        """The table's width (the terminal's before the table has one): it picks the layout."""
        return self.size.width if self.size.width > 0 else self.app.size.width

    def _fit_width(self) -> int:
        """The width the columns share: the table's, less a vertical scrollbar (kept free so
        that the rows growing past the height never push the last column out of view)."""
        return max(1, self._width() - self.styles.scrollbar_size_vertical)

    def fit(self) -> None:
        """The columns of the width's layout, sharing the whole width."""
        available = self._fit_width()
        columns = self.layouts[self.tier()][1]
        widths = widths_for(columns, available)
        if columns != self.shown_columns or widths != self._widths:
            with self.app.batch_update():
                self._lay_out(columns, widths)

    # -- reading -------------------------------------------------------------------------------

    def _label(self, spec: ColumnSpec) -> Text:
        label = Text(spec.label)
        if spec.key == self.sort_column:
            label.append(" ▼" if self.sort_reverse else " ▲")
        return label

    @property
    def shown_ids(self) -> list[str]:
        """Call ids in display order."""
        return [row.key.value for row in self.ordered_rows]  # type: ignore[misc]

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    @property
    def selected_id(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:  # noqa: BLE001 - an empty or shrinking table
            return None
        return key.value

    def cell_plain(self, call_id: str, column: str) -> str:
        if column in self._pending.get(call_id, ()):
            return self._cell(call_id, column).plain
        value = self.get_cell(call_id, column)
        return value.plain if isinstance(value, Text) else str(value)

    # -- what is on screen ---------------------------------------------------------------------

    #: rows above and below the viewport written as if shown (a small scroll shows them at once)
    MARGIN_ROWS = 4

    def _visible_range(self) -> range:
        """Row indices on screen (with a margin); empty before the table has a size."""
        height = self.scrollable_content_region.height
        if height <= 0:
            return range(0)
        top = int(self.scroll_y)
        return range(max(0, top - self.MARGIN_ROWS), top + height + self.MARGIN_ROWS)

    def _on_screen(self, call_id: str) -> bool:
        return self.get_row_index(call_id) in self._visible_range()

    def _visible_ids(self) -> list[str]:
        shown = self._visible_range()
        rows = range(max(0, shown.start), min(self.row_count, shown.stop))
        key_at = self.coordinate_to_cell_key
        return [key_at(Coordinate(row, 0)).row_key.value for row in rows]  # type: ignore[misc]

    def _cell(self, call_id: str, column: str) -> Text:
        """The cell `column` of the call's row shows now (built from its signature)."""
        return row_cell(self._calls[call_id], column, self._sigs[call_id][_INDEX[column]],
                        self.ctx)

    def _write(self, call_id: str, column: str) -> None:
        """A cell changed: built and written to the DataTable (at the end of the diff) when
        its row is on screen, else noted to be built when the row comes into view."""
        if self._on_screen(call_id):
            self._collect(call_id, (column,))
        else:
            self._pending.setdefault(call_id, set()).add(column)

    def _collect(self, call_id: str, columns: Iterable[str]) -> None:
        """Build these cells of a row on screen (and those it owes) for `_flush` to write."""
        owed = self._pending.pop(call_id, ())
        row = self._writes.setdefault(call_id, {})
        for column in (*owed, *columns):
            if column in self.shown_columns:
                row[column] = self._cell(call_id, column)

    def _flush(self) -> int:
        """Write the collected cells into the DataTable: in place (only their rows' renders
        are forgotten), or through `update_cell` if Textual's internals changed."""
        writes, self._writes = self._writes, {}
        writes = {cid: cells for cid, cells in writes.items() if cid in self._calls}
        if not writes:
            return 0
        if self._in_place is None and self._cell_render_cache:
            try:
                check_data_table_caches(self)
                self._in_place = True
            except DataTableInternalsChanged as exc:
                log.error("%s; the Calls table redraws every cell on each change", exc)
                self._in_place = False
        if self._in_place:
            return update_cells_in_place(self, writes)
        written = 0
        for call_id, cells in writes.items():
            for column, cell in cells.items():
                self.update_cell(call_id, column, cell)
                written += 1
        return written

    def show_visible(self) -> int:
        """Write the kept cells of the rows now on screen, and their durations; returns the
        number of cells written. Called after a scroll, a resize and a sort."""
        if not self._pending and not self._ticking:
            return self._flush()
        with self.app.batch_update():
            for call_id in self._visible_ids():
                if call_id in self._pending:
                    self._collect(call_id, ())
                if call_id in self._ticking:
                    self._tick_row(call_id)
            return self._flush()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if int(old_value) != int(new_value) and self._pending:
            self.show_visible()

    def on_resize(self) -> None:
        self.fit()
        self.call_after_refresh(self.show_visible)

    # -- writing -------------------------------------------------------------------------------

    def _add_row(self, call: TrackedCall) -> None:
        """The call's row in the DataTable: its first cell built (the sort reads the call id
        from it), the others blank and owed until the row is on screen (`show_visible`)."""
        first, *rest = self.shown_columns
        self.add_row(self._cell(call.call_id, first), *[BLANK] * len(rest), key=call.call_id)
        if rest:
            self._pending[call.call_id] = set(rest)

    def _add(self, call: TrackedCall, stats: DiffStats) -> None:
        self._calls[call.call_id] = call
        self._sigs[call.call_id] = [cell_signature(call, column, self.ctx)
                                    for column in COLUMN_KEYS]
        self._add_row(call)
        if _ticking(call):
            self._ticking.add(call.call_id)
        stats.added += 1
        if self.cell_hook is not None:
            for column in COLUMN_KEYS:
                self.cell_hook(call, column)

    def _update(self, call: TrackedCall, stats: DiffStats) -> bool:
        """Rewrite the changed cells of one row. Returns True when its sort value may have
        moved."""
        call_id = call.call_id
        self._calls[call_id] = call
        old = self._sigs[call_id]
        moved = False
        for index, column in enumerate(COLUMN_KEYS):
            sig = cell_signature(call, column, self.ctx)
            if sig == old[index]:
                continue
            old[index] = sig
            if column in self.shown_columns:
                self._write(call_id, column)
            stats.updated += 1
            if column == self.sort_column:
                moved = True
            if self.cell_hook is not None:
                self.cell_hook(call, column)
        if _ticking(call):
            self._ticking.add(call_id)
        else:
            self._ticking.discard(call_id)
        return moved

    def _remove(self, call_id: str, stats: DiffStats) -> None:
        self.remove_row(call_id)
        self._pending.pop(call_id, None)
        self._writes.pop(call_id, None)
        self._calls.pop(call_id, None)
        self._sigs.pop(call_id, None)
        self._ticking.discard(call_id)
        stats.removed += 1

    def apply(self, calls: Iterable[TrackedCall],
              matches: Callable[[TrackedCall], bool] = lambda call: True) -> DiffStats:
        """One tracker batch → one diff."""
        stats = DiffStats()
        selected = self.selected_id
        resort = False
        with self.app.batch_update():
            for call in calls:
                shown = call.call_id in self._calls
                if matches(call):
                    if shown:
                        resort |= self._update(call, stats)
                    else:
                        self._add(call, stats)
                        resort = True
                elif shown:
                    self._remove(call.call_id, stats)
            if resort:
                stats.resorted = self._sort()
            if stats.added or stats.removed or stats.resorted:
                self._keep_cursor(selected)
                self.show_visible()  # rows that moved into view (and the collected cells)
            else:
                self._flush()
        return stats

    def sync(self, calls: Iterable[TrackedCall],
             matches: Callable[[TrackedCall], bool] = lambda call: True) -> DiffStats:
        """Make the table show exactly the matching `calls` (a filter change, a resume).

        Rows that stay are diffed like `apply`; when most rows go, the table is rebuilt once
        (this happens on a filter change only, never on a poll).
        """
        calls = list(calls)
        wanted = {c.call_id for c in calls if matches(c)}
        going = [cid for cid in self._calls if cid not in wanted]
        stats = DiffStats()
        selected = self.selected_id
        with self.app.batch_update():
            if len(going) > 64 and len(going) > len(self._calls) // 2:
                self.clear()
                self._calls.clear()
                self._sigs.clear()
                self._ticking.clear()
                self._pending.clear()
                self._writes.clear()
                stats.removed += len(going)
            else:
                for call_id in going:
                    self._remove(call_id, stats)
            for call in calls:
                if call.call_id not in wanted:
                    continue
                if call.call_id in self._calls:
                    self._update(call, stats)
                else:
                    self._add(call, stats)
            self._sort()
            stats.resorted = True
            self._keep_cursor(selected)
            self.show_visible()
        return stats

    def tick(self) -> int:
        """Rewrite the duration cells of the live answered rows on screen whose shown second
        moved (a row off screen gets its duration when it comes into view)."""
        if not self._ticking:
            return 0
        changed = 0
        with self.app.batch_update():
            for call_id in self._visible_ids():
                if call_id in self._ticking:
                    changed += self._tick_row(call_id)
            self._flush()
        return changed

    def _tick_row(self, call_id: str) -> int:
        call = self._calls.get(call_id)
        if call is None or not _ticking(call):
            self._ticking.discard(call_id)
            return 0
        sig = cell_signature(call, "duration", self.ctx)
        sigs = self._sigs[call_id]
        if sig == sigs[_DURATION]:
            return 0
        sigs[_DURATION] = sig
        if "duration" not in self.shown_columns:
            return 0
        self._writes.setdefault(call_id, {})["duration"] = cell_text(call, "duration", sig,
                                                                     self.ctx)
        return 1

    def refresh_column(self, column: str) -> None:
        """Re-render one column for every row (e.g. agent names changed)."""
        stats = DiffStats()
        with self.app.batch_update():
            for call in list(self._calls.values()):
                self._update(call, stats)
            self._flush()

    # -- sorting -------------------------------------------------------------------------------

    def set_sort(self, column: str, reverse: bool | None = None) -> None:
        if column not in COLUMN_KEYS:
            raise KeyError(column)
        if reverse is None:
            reverse = not self.sort_reverse if column == self.sort_column else column in (
                "started", "duration")
        self.sort_column, self.sort_reverse = column, reverse
        for key in self.shown_columns:
            self.columns[key].label = self._label(SPECS[key])  # type: ignore[index]
        selected = self.selected_id
        with self.app.batch_update():
            self._sort()
            self._keep_cursor(selected)
            self.show_visible()
        self.refresh()

    def _sort(self) -> bool:
        """Put the rows in the sort order; False when they already were (the DataTable is
        not touched: its sort drops every render cache)."""
        if self.row_count < 2:
            return False
        column, ctx, calls = self.sort_column, self.ctx, self._calls
        keys = {cid: (sort_value(call, column, ctx), call.call_id) for cid, call in calls.items()}
        order = sorted(keys, key=keys.__getitem__, reverse=self.sort_reverse)
        if order == [row.key.value for row in self.ordered_rows]:
            return False
        self.sort(self.shown_columns[0], key=lambda cell: keys[cell.call_id],
                  reverse=self.sort_reverse)
        return True

    def _keep_cursor(self, call_id: str | None) -> None:
        if call_id is None or call_id not in self._calls:
            return
        index = self.get_row_index(call_id)
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False, scroll=False)
