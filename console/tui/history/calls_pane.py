"""The Calls tab of the History screen: range, filter line, summary, paged table, detail pane.

Every read runs in a thread worker on the pane's own SQLite connection (WAL: it never waits for
the tracker's writes, and its reads never block them). A filter or sort change reads the first
page, the table's `Edge` messages read the next/previous/first/last page by keyset; each read
also counts the selection and the page's position in it, for the summary line — after the page
is painted, so a COUNT over 100,000 calls never delays the rows.

The first switch to the screen mounts only what the first frame shows: the detail pane (the
Calls screen's, three columns) is mounted after the first page is painted when there is room
for it, else on the first `d`. Agents are named as on the Calls table: a saved profile's name,
else the name the API lists (`app.known_agents`), else the id's first 8 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from console.history.ranges import PRESET_LABELS, PRESETS, preset_range
from console.store.history_query import SORT_KEYS, HistoryFilter, Sort
from console.tui.css import stylesheet
from console.tui.history.table import PAGE_SIZE, HistoryTable

if TYPE_CHECKING:
    from console.store.history import CallStore, HistoryPage, StoredCall
    from console.tui.calls.call_detail import CallDetail

#: how often the shown History looks for calls written meanwhile (a cheap SQLite pragma)
FOLLOW_SECONDS = 2.0
#: below this height the detail pane starts hidden (toggle it with the detail key)
SHORT_HEIGHT = 30
#: below this width the detail pane stacks its columns (the Calls screen's NARROW_WIDTH)
NARROW_WIDTH = 100


def known_agent_names(app: Any) -> dict[str, str]:
    """agent id (lower case) → name, as the Calls table names agents: the app's known agents
    (saved profiles first, with their saved names, then the agents `GET /agents` listed)."""
    return {agent.agent_id.lower(): agent.name
            for agent in getattr(app, "known_agents", ()) if agent.name}
SORT_ORDER = tuple(SORT_KEYS)


@dataclass(frozen=True)
class Shown:
    """What the table shows: the page, its first row's position and the selection's size."""

    page: HistoryPage
    first_index: int
    total: int


def stored_as_tracked(row: StoredCall, timeline: list[tuple[datetime, str]]) -> Any:
    """A stored call in the shape the Calls screen's detail pane shows (never polled)."""
    from console.tracker import TrackedCall

    return TrackedCall(call_id=row.call_id, agent_id=row.agent_id, to_number=row.to_number,
                       from_number=row.from_number, status=row.status, last=row.last,
                       request=row.request, placed_by=row.placed_by, source=row.source,
                       status_changes=list(timeline) or [], done=True, lost_at=row.lost_at,
                       environment=row.environment)


class HistoryCalls(Vertical):
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store: CallStore | None = None
        self.range = "today"
        self.sort = Sort()
        self.text_filter: dict[str, Any] = {}
        self.problems: list[str] = []
        #: agent id (lower case) → name (`known_agent_names`)
        self.agent_names: dict[str, str] = {}
        self.shown: Shown | None = None
        self.error: str | None = None
        self.detail: CallDetail | None = None
        #: the detail pane is wanted (mounted after the first page, or on `d`): while the
        #: operator has not toggled it, when the terminal is tall enough
        self.detail_wanted = False
        self._detail_chosen = False
        #: pages read, and pages counted for the summary line (tests wait on them)
        self.loads = 0
        self.counted = 0
        self.counting = False
        #: the store's data version when the shown page was read (`follow`)
        self._seen_version: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="history-range")
        yield Input(placeholder="filter: status:failed agent:NAME operator:NAME campaign:NAME "
                                "since:7d … or a number / call id", id="history-filter",
                    compact=True)
        yield Static(id="history-summary")
        yield HistoryTable(id="history-table")

    @property
    def table(self) -> HistoryTable:
        return self.query_one(HistoryTable)

    # -- the selection ---------------------------------------------------------------------

    def environment(self) -> str | None:
        session = getattr(self.app, "session", None)
        return getattr(session, "environment", None) if session is not None else None

    def now(self) -> datetime:
        clock = getattr(self.app, "clock", None)
        return (clock() if clock is not None else datetime.now()).astimezone()

    def current_filter(self) -> HistoryFilter:
        since, until = preset_range(self.range, self.now())
        values = {"since": since, "until": until, **self.text_filter}
        return HistoryFilter(environment=self.environment(), **values)

    # -- reading ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._show_range()
        self.detail_wanted = self.app.size.height >= SHORT_HEIGHT
        self.agent_names = known_agent_names(self.app)
        self.table.agent_label = self.agent_label
        self.app.agents_changed.subscribe(self, lambda _agents: self._agents_changed())
        self.run_worker(self._open, name="history-open", group="history-open",
                        exit_on_error=False)

    def agent_label(self, agent_id: str) -> str:
        """The Agent column's text: its name (see `known_agent_names`), else its id's start."""
        return self.agent_names.get(agent_id.lower()) or agent_id[:8]

    def agent_name(self, agent_id: str) -> str | None:
        return self.agent_names.get(agent_id.lower())

    def _agents_changed(self) -> None:
        names = known_agent_names(self.app)
        if names != self.agent_names:
            self.agent_names = names
            self.table.relabel()
            self._show_detail(force=True)

    async def _open(self) -> None:
        import asyncio

        from console.store.history import CallStore, StoreError

        shared = getattr(self.app, "call_store", None)
        path = getattr(shared, "path", None)
        try:
            self.store = await asyncio.to_thread(CallStore, path)
        except StoreError as exc:
            self.error = str(exc)
            self._summary()
            return
        self._seen_version = await asyncio.to_thread(self.store.data_version)
        self.reload()
        self.set_interval(FOLLOW_SECONDS, self._follow)

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()

    def reload(self, where: str = "first", cursor: int = 0, *, keep: str | None = None) -> None:
        """Read a page: first, last, next or previous (relative to the shown page); the cursor
        on row `cursor`, or on the call `keep` when the page holds it."""
        if self.store is None:
            return
        page = self.shown.page if self.shown is not None else None
        kwargs: dict[str, Any] = {}
        if where == "next" and page is not None and page.last is not None:
            if not page.more_after:
                return
            kwargs["after"] = page.last
        elif where == "previous" and page is not None and page.first is not None:
            if not page.more_before:
                return
            kwargs["before"] = page.first
        elif where == "last":
            kwargs["last"] = True
        self.run_worker(partial(self._read, self.current_filter(), self.sort, kwargs, cursor,
                                keep),
                        name=f"history-page-{where}", group="history-page", exclusive=True,
                        exit_on_error=False)

    def refresh_first_page(self) -> None:
        """Read the first page again when it is the one shown (keyset: as cheap as paging),
        the cursor staying on the call it was on."""
        shown = self.shown
        if shown is not None and not shown.page.more_before and not self.counting:
            self.reload("first", self.table.cursor_row, keep=self.table.cursor_call_id)

    def _follow(self) -> None:
        """While the screen is shown: calls placed or changed meanwhile (by the Calls table's
        tracker, a campaign, another console) appear on the first page without a key."""
        if (self.store is None or self.counting or not self.screen.is_current
                or any(w.is_running for w in self.workers if w.group == "history-page")):
            return
        self.run_worker(self._follow_changes, group="history-follow", exclusive=True,
                        exit_on_error=False)

    async def _follow_changes(self) -> None:
        import asyncio

        store = self.store
        if store is None:
            return
        version = await asyncio.to_thread(store.data_version)
        if version != self._seen_version:
            self._seen_version = version
            self.refresh_first_page()

    async def _read(self, flt: HistoryFilter, sort: Sort, kwargs: dict[str, Any],
                    cursor: int, keep: str | None = None) -> None:
        """The page first (on screen at once), then the counts for the summary line (a COUNT
        over 100,000 calls costs more than the page itself)."""
        import asyncio

        store = self.store
        page = await asyncio.to_thread(store.query, flt, sort, limit=PAGE_SIZE, **kwargs)
        previous = self.shown
        self.shown = Shown(page, previous.first_index if previous else 0,
                           previous.total if previous else 0)
        self.counting = True
        rows = page.rows
        if keep is not None:
            cursor = next((i for i, row in enumerate(rows) if row.call_id == keep), cursor)
        self.table.show_page(rows, cursor if cursor >= 0 else len(rows) + cursor)
        self.loads += 1
        self._summary()
        # The rows reach the screen on the next frame; the detail pane and the count wait
        # for it (both cost more than the page itself).
        painted = asyncio.get_running_loop().create_future()
        self.call_after_refresh(lambda: painted.done() or painted.set_result(None))
        await painted
        if self.detail is None and self.detail_wanted:
            self.run_worker(self._mount_detail, group="history-detail-mount",
                            exit_on_error=False)

        def count() -> tuple[int, int]:
            total = store.count(flt)
            if kwargs.get("last"):
                return max(0, total - len(page.rows)), total
            if page.first is not None and (kwargs.get("after") or kwargs.get("before")):
                return store.rank(flt, sort, page.first), total
            return 0, total

        first, total = await asyncio.to_thread(count)
        self.shown = Shown(page, first, total)
        self.counting = False
        self.counted += 1
        self._summary()

    # -- the lines above the table -----------------------------------------------------------

    def _show_range(self) -> None:
        text = Text()
        text.append("Range ", style="bold")
        for name in PRESETS:
            label = f" {PRESET_LABELS[name]} "
            text.append(label, style="reverse" if name == self.range else "dim")
            text.append(" ")
        arrow = "↓" if self.sort.descending else "↑"
        text.append(f"  sorted by {self.sort.column} {arrow}", style="dim")
        self.query_one("#history-range", Static).update(text)

    def _summary(self) -> None:
        text = Text()
        if self.error:
            text.append(self.error, style="red")
        elif self.shown is None:
            text.append("reading the history…", style="dim")
        elif self.counting:
            text.append(f"{len(self.shown.page.rows):,} calls shown · counting…", style="dim")
        else:
            shown = self.shown
            count = len(shown.page.rows)
            if count:
                text.append(f"{shown.first_index + 1:,}–{shown.first_index + count:,}",
                            style="bold")
                text.append(f" of {shown.total:,} calls")
            else:
                text.append("no calls match", style="dim")
            env = self.environment()
            text.append(f" · {env or 'every environment'}", style="dim")
        for problem in self.problems:
            text.append(f"  ⚠ {problem}", style="yellow")
        self.query_one("#history-summary", Static).update(text)

    # -- events -------------------------------------------------------------------------------

    @on(HistoryTable.Edge)
    def _edge(self, event: HistoryTable.Edge) -> None:
        event.stop()
        cursor = -1 if event.where in ("previous", "last") else 0
        self.reload(event.where, cursor)

    @on(Input.Submitted, "#history-filter")
    @on(Input.Changed, "#history-filter")
    def _filter_changed(self, event: Input.Changed | Input.Submitted) -> None:
        from console.history.query_text import parse_calls_filter

        names = {name: agent_id for agent_id, name in self.agent_names.items()}
        parsed = parse_calls_filter(event.value, names, now=self.now())
        self.problems = parsed.problems
        if parsed.values != self.text_filter or isinstance(event, Input.Submitted):
            self.text_filter = parsed.values
            self.reload()
        else:
            self._summary()
        if isinstance(event, Input.Submitted):
            self.table.focus()

    @on(HistoryTable.Highlighted, "#history-table")
    def _highlighted(self, event: HistoryTable.Highlighted) -> None:
        self._show_detail()

    async def _mount_detail(self) -> None:
        from console.tui.calls.call_detail import CallDetail

        if self.detail is not None:
            return
        detail = CallDetail(id="history-detail")
        detail.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")
        self.detail = detail
        await self.mount(detail)
        self._show_detail()

    def _show_detail(self, force: bool = False) -> None:
        detail = self.detail
        if detail is None or not detail.display or self.store is None:
            return
        call_id = self.table.cursor_call_id
        if call_id is None:
            detail.show(None)
            return
        self.run_worker(partial(self._detail, call_id, force), group="history-detail",
                        exclusive=True, exit_on_error=False)

    async def _detail(self, call_id: str, force: bool = False) -> None:
        import asyncio

        store = self.store

        def read():
            row = store.get(call_id)
            return (row, store.timeline(call_id)) if row is not None else None

        found = await asyncio.to_thread(read)
        if found is None or self.detail is None:
            return
        row, timeline = found
        self.detail.show(stored_as_tracked(row, timeline), agent_name=self.agent_name(row.agent_id),
                         region=getattr(self.app, "default_region", "US") or "US", force=force)

    # -- actions (the screen's keys) -------------------------------------------------------

    def next_range(self) -> None:
        self.range = PRESETS[(PRESETS.index(self.range) + 1) % len(PRESETS)]
        self._show_range()
        self.reload()

    def next_sort(self) -> None:
        column = SORT_ORDER[(SORT_ORDER.index(self.sort.column) + 1) % len(SORT_ORDER)]
        self.sort = Sort(column, self.sort.descending)
        self._show_range()
        self.reload()

    def reverse_sort(self) -> None:
        self.sort = Sort(self.sort.column, not self.sort.descending)
        self._show_range()
        self.reload()

    def on_resize(self) -> None:
        """Without the operator's choice, the detail pane follows the terminal's height."""
        if self._detail_chosen or self.shown is None:
            return
        wanted = self.app.size.height >= SHORT_HEIGHT
        if wanted != self.detail_wanted:
            self.detail_wanted = wanted
            if self.detail is not None:
                self.detail.display = wanted
                self._show_detail()
            elif wanted:
                self.run_worker(self._mount_detail, group="history-detail-mount",
                                exit_on_error=False)
        if self.detail is not None:
            self.detail.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")

    def toggle_detail(self) -> None:
        self._detail_chosen = True
        if self.detail is None:
            self.detail_wanted = True
            self.run_worker(self._mount_detail, group="history-detail-mount",
                            exit_on_error=False)
            return
        self.detail.display = not self.detail.display
        self.detail_wanted = self.detail.display
        self._show_detail()

    def focus_filter(self) -> None:
        self.query_one("#history-filter", Input).focus()
