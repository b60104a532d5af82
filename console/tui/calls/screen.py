"""The Calls screen: every tracked call in a live table, a summary line, filters and the selected
call's detail. The actions on it (end, transfer, redial, clone into the form, copy, watch an
agent) are `actions.py` (`CallActions`, one per screen); the keys stay bound here.

Data flow: the app's `CallTracker` (see `console/tui/live_calls.py`) reports changed calls in
batches; the app delivers them with ONE `calls_changed` signal per UI turn and this screen
applies ONE diff per delivery (`CallTable.apply`). While the screen is not shown it only
remembers that something changed and resynchronises (a keyed diff, not a refill) when shown
again. One one-second timer ticks the duration cells of answered calls and the summary.

Every action runs in a non-exclusive worker with `exit_on_error=False`; API errors (409 and
the rest) become toasts with `markup=False` (server text is never markup). The one handler of
workers that fail unexpectedly is `on_worker_state_changed` here.

The table shows the calls of the environment the console talks to: when it switches, the app's
`live.reset` signal makes this screen resynchronise with the tracker's new set of calls. A lost
call (the API answers 404 for it) can be dismissed: off the table, kept in the history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from console.tui.calls.actions import ACTION_GROUP, CallActions
from console.tui.calls.agent_names import AgentNames
from console.tui.calls.call_detail import NARROW_WIDTH, CallDetail
from console.tui.calls.call_table import (
    COLUMN_KEYS,
    CallTable,
    RowContext,
    format_number,
)
from console.tui.calls.calls_filter import CallFilter, CallsFilterBar
from console.tui.calls.calls_summary import CallsSummary
from console.tui.css import stylesheet
from console.tui.keys import CALLS_KEYS, bindings
from console.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from console.tracker import CallTracker, TrackedCall

#: below this height the detail pane starts hidden (toggle it with the detail key)
SHORT_HEIGHT = 30
TICK_SECONDS = 1.0
#: the detail pane follows the cursor this long after it stops moving: the cursor's own frame
#: is painted first (re-laying out the pane costs more than moving the cursor)
DETAIL_DELAY = 0.08
#: actions that need a selected call
CALL_ACTIONS = frozenset({"end_call", "transfer_call", "redial", "clone", "copy_id",
                          "copy_recording", "copy_json"})


class CallsScreen(ConsoleScreen):
    DEFAULT_CSS = stylesheet(__file__, "screen.tcss")
    SCREEN_NAME = "calls"
    BINDINGS = bindings(*CALLS_KEYS)

    def __init__(self) -> None:
        super().__init__(id="calls-screen")
        self.filter = CallFilter()
        self._matches = self.filter.matcher(self._agent_label)
        self._dirty = True
        self._detail_choice: bool | None = None  # None = automatic by height
        #: agent id → the name shown (profiles, listed agents); actions.py asks it too
        self.agent_names = AgentNames(self)
        self._agents_seen: set[str] = set()
        self._has_selection = False
        self._selection_lost = False
        self._detail_timer: Any = None
        self._sort_columns = COLUMN_KEYS
        self._columns_setting: object = ()  # the `calls_columns` value the table shows
        #: diffs applied (tests and benchmarks)
        self.diffs = 0
        #: called after each diff with its `DiffStats` (benchmarks)
        self.diff_hook: Any = None
        #: end, transfer, redial, clone, copy, watch (actions.py)
        self.actions = CallActions(self)

    # -- layout -----------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield CallsFilterBar(id="calls-filter")
        yield CallsSummary(id="calls-summary")
        with Vertical(id="calls-main"):
            yield CallTable(self._row_context(), id="calls-table")
            yield _EmptyHint(id="calls-empty")
            yield CallDetail(id="calls-detail")

    def _row_context(self) -> RowContext:
        return RowContext(agent_label=self._agent_label, now=self._now, wall=self._wall,
                          region=self._region())

    @property
    def table(self) -> CallTable:
        return self.query_one(CallTable)

    @property
    def detail(self) -> CallDetail:
        return self.query_one(CallDetail)

    @property
    def summary(self) -> CallsSummary:
        return self.query_one(CallsSummary)

    @property
    def filter_bar(self) -> CallsFilterBar:
        return self.query_one(CallsFilterBar)

    @property
    def tracker(self) -> CallTracker | None:
        return getattr(self.app, "tracker", None)

    def _now(self) -> float:
        tracker = self.tracker
        if tracker is not None:
            return tracker.clock.now()
        import time

        return time.monotonic()

    def _wall(self):
        tracker = self.tracker
        if tracker is not None:
            return tracker.clock.wall()
        from datetime import UTC, datetime

        return datetime.now(UTC)

    def _region(self) -> str:
        return getattr(self.app, "default_region", "US") or "US"

    def on_mount(self) -> None:
        super().on_mount()
        app = self.app
        app.calls_changed.subscribe(self, self._calls_changed)
        live = getattr(app, "live", None)
        if live is not None:
            live.reset.subscribe(self, lambda _live: self._calls_reset())
        app.agents_changed.subscribe(self, lambda _agents: self._agents_changed())
        profiles_changed = getattr(app, "profiles_changed", None)
        if profiles_changed is not None:
            profiles_changed.subscribe(self, lambda _store: self._agents_changed())
        self.set_interval(TICK_SECONDS, self._tick, name="calls-tick")
        app.session_changed.subscribe(self, self._apply_column_setting)
        self._apply_column_setting()
        self._apply_layout()
        self.table.focus()
        self._resync()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        detail = self.detail
        shown = self._detail_choice if self._detail_choice is not None else (
            self.size.height >= SHORT_HEIGHT)
        narrow = self.size.width < NARROW_WIDTH
        detail.set_class(not shown, "-hidden")
        if detail.has_class("-narrow") != narrow:
            detail.set_class(narrow, "-narrow")
            detail.call_id = None  # re-render: the outcome moves
        self.filter_bar.set_class(narrow, "-narrow")
        self.summary.set_class(narrow, "-narrow")
        if shown:
            self._show_detail()

    @property
    def detail_shown(self) -> bool:
        return not self.detail.has_class("-hidden")

    # -- session ------------------------------------------------------------------------------------

    def _session_changed(self, app) -> None:
        super()._session_changed(app)
        if self.is_mounted and self._dirty:
            self._resync()

    # -- data -----------------------------------------------------------------------------------------

    @property
    def _active(self) -> bool:
        return self.app.current_mode == self.SCREEN_NAME

    def _calls_changed(self, calls: list[TrackedCall]) -> None:
        """One tracker delivery → one diff (or a note to resync when shown again)."""
        if not self._active or self._dirty:
            self._dirty = True
            if self._active:
                self._resync()
            return
        stats = self.table.apply(calls, self._matches)
        self.diffs += 1
        if self.diff_hook is not None:
            self.diff_hook(stats)
        self._after_change({c.agent_id for c in calls})
        selected = self.table.selected_id
        if selected is not None and any(c.call_id == selected for c in calls):
            self._show_detail()

    def _calls_reset(self) -> None:
        """The tracker holds another set of calls (an environment switch): resync."""
        self._dirty = True
        if self._active:
            self._resync()

    def _resync(self) -> None:
        """Make the table match the tracker (first show, resume, filter change)."""
        tracker = self.tracker
        if tracker is None:
            self._update_summary()
            self._update_empty()
            return
        self._dirty = False
        calls = tracker.calls()
        stats = self.table.sync(calls, self._matches)
        self.diffs += 1
        if self.diff_hook is not None:
            self.diff_hook(stats)
        self._after_change({c.agent_id for c in calls})
        self._show_detail()

    def on_screen_resume(self) -> None:
        if self._dirty:
            self._resync()
        else:
            self._update_summary()

    def _after_change(self, agent_ids: set[str]) -> None:
        new_agents = agent_ids - self._agents_seen
        if new_agents:
            self._agents_seen |= new_agents
            self._update_agent_options()
        self._update_summary()
        self._update_empty()
        self._selection_maybe_changed()

    def _tick(self) -> None:
        if not self._active:
            return
        self.table.tick()
        self._update_summary()
        if self.detail_shown:
            self._show_detail()

    def _update_summary(self) -> None:
        tracker = self.tracker
        stats = tracker.stats() if tracker is not None else None
        polling = tracker is not None and tracker.running
        self.summary.show(stats, shown=self.table.row_count if self.filter.active else None,
                          polling=polling)

    def _update_empty(self) -> None:
        hint = self.query_one(_EmptyHint)
        empty = self.table.row_count == 0
        hint.set_class(not empty, "-hidden")
        if empty:
            tracker = self.tracker
            if tracker is not None and len(tracker) and self.filter.active:
                hint.update(Text(f"No call matches the filter ({self.filter.describe()}). "
                                 "x clears it."))
            elif tracker is None:
                hint.update(Text("Waiting for the API connection…"))
            else:
                hint.update(Text("No calls yet. Place one on the Call screen (F2), or watch "
                                 "an agent (w) to see the calls it places from anywhere."))

    # -- agents ---------------------------------------------------------------------------------------

    def _agent_label(self, agent_id: str) -> str:
        return self.agent_names.label(agent_id)

    def _agents_changed(self) -> None:
        if self.agent_names.forget() and self.is_mounted:
            self.table.refresh_column("agent")
        self._update_agent_options()

    def _update_agent_options(self) -> None:
        ids = set(self._agents_seen)
        for agent in getattr(self.app, "known_agents", ()):
            ids.add(agent.agent_id)
        self.filter_bar.set_agents([(self._agent_label(aid), aid) for aid in ids])

    # -- filters --------------------------------------------------------------------------------------

    @on(CallsFilterBar.Changed)
    def _filter_changed(self, event: CallsFilterBar.Changed) -> None:
        event.stop()
        self.filter = event.filter
        self._matches = self.filter.matcher(self._agent_label)
        self._dirty = True
        self._resync()

    def action_search(self) -> None:
        self.filter_bar.focus_search()

    def action_focus_table(self) -> None:
        self.table.focus()

    def on_input_submitted(self, event) -> None:
        self.table.focus()

    def action_live_only(self) -> None:
        self.filter_bar.toggle_live_only()

    def action_cycle_status(self) -> None:
        self.filter_bar.cycle_status()

    def action_cycle_agent(self) -> None:
        self.filter_bar.cycle_agent()

    def action_clear_filters(self) -> None:
        self.filter_bar.clear()

    def action_cycle_sort(self) -> None:
        table = self.table
        columns = self._sort_columns
        index = (columns.index(table.sort_column) + 1) % len(columns)
        table.set_sort(columns[index])
        self.notify(f"Sorted by {columns[index]}", timeout=2)

    def action_reverse_sort(self) -> None:
        table = self.table
        table.set_sort(table.sort_column, not table.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.table.set_sort(str(event.column_key.value))

    # -- selection and detail -------------------------------------------------------------------------

    @property
    def selected_call(self) -> TrackedCall | None:
        call_id = self.table.selected_id
        tracker = self.tracker
        if call_id is None or tracker is None:
            return None
        return tracker.get(call_id)

    def show_call(self, call_id: str) -> bool:
        """Put the cursor on one call and show its detail (the find palette, a campaign's
        row); filters that hide it are cleared first. False: the live view does not hold it."""
        tracker = self.tracker
        if tracker is None or tracker.get(call_id) is None:
            self.notify(f"Call {call_id} is not in the live view; the History screen has "
                        "every call.", markup=False, timeout=6)
            return False
        if self._dirty:
            self._resync()
        if call_id not in self.table:
            self.filter_bar.clear()
            self.filter = CallFilter()
            self._matches = self.filter.matcher(self._agent_label)
            self._resync()
        table = self.table
        table.move_cursor(row=table.get_row_index(call_id), animate=False)
        table.focus()
        if not self.detail_shown:
            self._detail_choice = True
            self._apply_layout()
        self._show_detail()
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if self.detail_shown:
            if self._detail_timer is not None:
                self._detail_timer.stop()
            self._detail_timer = self.set_timer(DETAIL_DELAY, self._show_detail,
                                                name="calls-detail")
        self._selection_maybe_changed()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if not self.detail_shown:
            self._detail_choice = True
            self._apply_layout()

    def _selection_maybe_changed(self) -> None:
        has = self.table.selected_id is not None
        call = self.selected_call if has else None
        lost = call is not None and call.lost
        if has != self._has_selection or lost != self._selection_lost:
            self._has_selection, self._selection_lost = has, lost
            self.refresh_bindings()

    def _show_detail(self) -> None:
        self._detail_timer = None
        if not self.detail_shown:
            return
        call = self.selected_call
        agent = self._agent_label(call.agent_id) if call is not None else None
        self.detail.show(call, agent_name=agent, region=self._region())

    # -- columns ----------------------------------------------------------------------------------

    def _apply_column_setting(self, _app: object = None) -> None:
        """The `calls_columns` setting (read with the session) on the table."""
        from console.tui.calls.columns import layouts_from

        app = self.app
        if not getattr(app, "session_ready", False):
            return
        setting = app.session.settings.calls_columns
        if setting != self._columns_setting:  # the signal also says "health changed"
            self._columns_setting = setting
            self.table.set_layouts(layouts_from(setting))

    def action_choose_columns(self) -> None:
        from console.tui.calls.column_chooser import ColumnChooserScreen

        table = self.table
        self.app.push_screen(ColumnChooserScreen(table.layouts, table.tier()),
                             self._columns_chosen)

    def _columns_chosen(self, layouts) -> None:
        """Shown at once; saved to config.toml in a thread (a bad file is reported and kept)."""
        if not layouts:
            return
        self.table.set_layouts(layouts)
        app = self.app
        if getattr(app, "session_ready", False):
            from console.tui.calls.columns import layout_entries

            app.session.settings.calls_columns = layout_entries(layouts)
            self._columns_setting = app.session.settings.calls_columns
        self.run_worker(lambda: self._save_columns(layouts), thread=True, name="save-columns",
                        group="calls-columns", exit_on_error=False)

    def _save_columns(self, layouts) -> None:
        from console.config.settings import ConfigError
        from console.tui.calls.columns import save_layouts

        try:
            save_layouts(layouts)
        except (ConfigError, OSError) as exc:
            self.app.call_from_thread(
                self.notify, f"Columns not saved: {exc}", severity="error", markup=False)
        else:
            self.app.call_from_thread(self.notify, "Columns saved in config.toml", timeout=3)

    def action_toggle_detail(self) -> None:
        self._detail_choice = not self.detail_shown
        self._apply_layout()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in CALL_ACTIONS:
            return True if self.table.selected_id is not None else None
        if action == "watch_agent":
            return True if self.tracker is not None else None
        if action == "dismiss":  # shown only while a lost call is selected
            call = self.selected_call
            return call is not None and call.lost
        return True

    def remove_row(self, call: TrackedCall) -> None:
        """A dismissed call leaves the table (nothing else moves)."""
        self.table.apply([call], lambda _call: False)
        self.diffs += 1
        self._after_change(set())
        self._show_detail()

    # -- actions on the selected call (actions.py) -----------------------------------------------

    def number_label(self, call: TrackedCall) -> str:
        """The call's number as the table shows it (for confirmations and toasts)."""
        return format_number(call.to_number, self._region())

    @property
    def phone_region(self) -> str:
        """The default region numbers are read in (the operator's preference)."""
        return self._region()

    def watching_changed(self) -> None:
        """One more agent is watched: the summary says so."""
        self._update_summary()

    def _on_selected(self, act) -> None:
        call = self.selected_call
        if call is not None:
            act(call)

    def action_copy_id(self) -> None:
        self._on_selected(self.actions.copy_id)

    def action_copy_recording(self) -> None:
        self._on_selected(self.actions.copy_recording)

    def action_copy_json(self) -> None:
        self._on_selected(self.actions.copy_json)

    def action_end_call(self) -> None:
        self._on_selected(self.actions.end)

    def action_transfer_call(self) -> None:
        self._on_selected(self.actions.transfer)

    def action_redial(self) -> None:
        self._on_selected(self.actions.redial)

    def action_clone(self) -> None:
        self._on_selected(self.actions.clone)

    def action_dismiss(self) -> None:
        self._on_selected(self.actions.dismiss)

    def action_watch_agent(self) -> None:
        self.actions.watch_agent()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for action workers that failed in a way their code did not expect."""
        if event.state == WorkerState.ERROR and event.worker.group == ACTION_GROUP:
            self.notify(f"{event.worker.name} failed: {event.worker.error!r}",
                        severity="error", markup=False, timeout=10)


class _EmptyHint(Static):
    """What to do when the table is empty."""
