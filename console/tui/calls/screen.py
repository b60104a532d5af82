"""The Calls screen: every tracked call in a live table, a summary line, filters, the selected
call's detail, and the actions on it (end, transfer, redial, clone into the form, copy).

Data flow: the app's `CallTracker` (see `console/tui/live_calls.py`) reports changed calls in
batches; the app delivers them with ONE `calls_changed` signal per UI turn and this screen
applies ONE diff per delivery (`CallTable.apply`). While the screen is not shown it only
remembers that something changed and resynchronises (a keyed diff, not a refill) when shown
again. One one-second timer ticks the duration cells of answered calls and the summary.

Every action runs in a non-exclusive worker with `exit_on_error=False`; API errors (409 and
the rest) become toasts with `markup=False` (server text is never markup).

The table shows the calls of the environment the console talks to: when it switches, the app's
`live.reset` signal makes this screen resynchronise with the tracker's new set of calls. A lost
call (the API answers 404 for it) can be dismissed: off the table, kept in the history.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState

from console.api.safe_text import visible
from console.tui.keys import CALLS_KEYS, bindings
from console.tui.screens.base import ConsoleScreen
from console.tui.calls.call_detail import NARROW_WIDTH, CallDetail
from console.tui.calls.call_table import COLUMN_KEYS, CallTable, RowContext, format_number
from console.tui.calls.calls_filter import CallFilter, CallsFilterBar
from console.tui.calls.calls_summary import CallsSummary

if TYPE_CHECKING:
    from console.api.errors import ApiError
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


def request_values(call: TrackedCall) -> dict[str, Any]:
    """The request body to redial / clone: the stored one, else the call's own fields on top
    of the API defaults (a call placed elsewhere: only agent, numbers are known)."""
    from console.api.models import OutboundCallRequest

    if call.request:
        body = dict(call.request)
        body.setdefault("agent_id", call.agent_id)
        body.setdefault("to_number", call.to_number)
        return body
    return {**OutboundCallRequest.defaults(), "agent_id": call.agent_id,
            "to_number": call.to_number, "from_number": call.from_number}


class CallsScreen(ConsoleScreen):
    SCREEN_NAME = "calls"
    BINDINGS = bindings(*CALLS_KEYS)

    def __init__(self) -> None:
        super().__init__(id="calls-screen")
        self.filter = CallFilter()
        self._matches = self.filter.matcher(self._agent_label)
        self._dirty = True
        self._detail_choice: bool | None = None  # None = automatic by height
        self._agent_names: dict[str, str] = {}
        self._agents_seen: set[str] = set()
        self._has_selection = False
        self._selection_lost = False
        self._detail_timer: Any = None
        self._sort_columns = COLUMN_KEYS
        #: diffs applied (tests and benchmarks)
        self.diffs = 0
        #: called after each diff with its `DiffStats` (benchmarks)
        self.diff_hook: Any = None

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
        label = self._agent_names.get(agent_id)
        if label is not None:
            return label
        label = self._lookup_agent_name(agent_id) or agent_id[:8]
        self._agent_names[agent_id] = label
        return label

    def _lookup_agent_name(self, agent_id: str) -> str | None:
        profiles = getattr(self.app, "profiles", None)
        if profiles is not None:
            try:
                name = profiles.agent_name_for_id(agent_id)
            except Exception:  # noqa: BLE001 - a bad profiles file names nothing
                name = None
            if name:
                return name
        for agent in getattr(self.app, "known_agents", ()):
            if agent.agent_id.lower() == agent_id.lower() and agent.name:
                return agent.name
        return None

    def _agents_changed(self) -> None:
        old = dict(self._agent_names)
        self._agent_names.clear()
        changed = any(self._agent_label(aid) != label for aid, label in old.items())
        if changed and self.is_mounted:
            self.table.refresh_column("agent")
        self._update_agent_options()

    def _update_agent_options(self) -> None:
        ids = set(self._agents_seen)
        for agent in getattr(self.app, "known_agents", ()):
            ids.add(agent.agent_id)
        self.filter_bar.set_agents([(self._agent_label(aid), aid) for aid in ids])

    def _name_to_agent_id(self, name: str) -> str | None:
        profiles = getattr(self.app, "profiles", None)
        if profiles is not None:
            try:
                agent = profiles.profiles.agents.get(name)
            except Exception:  # noqa: BLE001
                agent = None
            if agent is not None:
                return agent.agent_id
        wanted = name.strip().lower()
        for agent in getattr(self.app, "known_agents", ()):
            if agent.name and agent.name.lower() == wanted:
                return agent.agent_id
        for aid, label in self._agent_names.items():
            if label.lower() == wanted:
                return aid
        return None

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

    # -- dismiss --------------------------------------------------------------------------------------

    def action_dismiss(self) -> None:
        call = self.selected_call
        live = getattr(self.app, "live", None)
        if call is None or live is None:
            return
        if not call.lost:
            self.notify("Only a lost call can be dismissed (the API answers 404 for it).",
                        severity="warning", markup=False)
            return
        if not live.dismiss(call.call_id):
            return
        self.table.apply([call], lambda _call: False)  # its row goes; nothing else moves
        self.diffs += 1
        self._after_change(set())
        self._show_detail()
        self.notify(f"Dismissed the lost call to {self._number(call)} ({call.call_id}). It "
                    "stays in the history.", title="Dismissed", markup=False, timeout=5)

    # -- copy -----------------------------------------------------------------------------------------

    def _copy(self, text: str, what: str) -> None:
        try:
            self.app.copy_to_clipboard(text)
        except Exception as exc:  # noqa: BLE001 - a terminal without a clipboard is no crash
            self.notify(f"Could not copy: {exc}", severity="warning", markup=False)
            return
        shown = visible(text, 600, multiline=True)
        self.notify(shown, title=f"Copied {what} (OSC 52)", markup=False, timeout=6)

    def action_copy_id(self) -> None:
        call = self.selected_call
        if call is not None:
            self._copy(call.call_id, "call id")

    def action_copy_recording(self) -> None:
        call = self.selected_call
        if call is None:
            return
        url = call.last.recording_url if call.last is not None else None
        if not url:
            self.notify("This call has no recording URL (yet): it may arrive a few seconds "
                        "after the call ends.", severity="warning", markup=False)
            return
        self._copy(url, "recording URL")

    def action_copy_json(self) -> None:
        call = self.selected_call
        if call is None:
            return
        if call.last is None:
            self.notify("No status read yet for this call.", severity="warning")
            return
        self._copy(json.dumps(call.last.model_dump(mode="json"), indent=2, ensure_ascii=False),
                   "JSON")

    # -- end ------------------------------------------------------------------------------------------

    def _number(self, call: TrackedCall) -> str:
        return format_number(call.to_number, self._region())

    def action_end_call(self) -> None:
        call = self.selected_call
        if call is None:
            return
        from console.tui.dialogs.confirm import ConfirmScreen

        body = Text(f"Hang up the call to {self._number(call)} "
                    f"(status {visible(call.status, 64)}, id {visible(call.call_id, 64)})?")
        if call.terminal:
            body.append(f"\nIt already looks {call.status}: the API will probably answer 409.",
                        style="yellow")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._end(call.call_id), name="end-call", group="calls-action",
                                exit_on_error=False)

        self.app.push_screen(ConfirmScreen("End this call?", body, confirm="End call",
                                           cancel="Keep it"), confirmed)

    async def _end(self, call_id: str) -> None:
        from console.api import errors

        try:
            result = await self.app.session.client.end_call(call_id)
        except errors.Conflict as exc:
            self._error(exc, "Not ended (409)",
                        f"The call could not be ended: it is no longer live ({exc.detail or exc}).")
        except errors.ApiError as exc:
            self._error(exc, "End failed")
        else:
            self.notify(f"End requested for {visible(call_id, 64)}: "
                        f"{visible(result.status or 'accepted', 64)}. The table "
                        "shows the new status with the next poll.", title="Ending",
                        markup=False, timeout=6)
            self._audit("end", call_id)

    # -- transfer -------------------------------------------------------------------------------------

    def action_transfer_call(self) -> None:
        call = self.selected_call
        if call is None:
            return
        from console.tui.calls.transfer import TransferScreen

        def chosen(request: Any) -> None:
            if request is not None:
                self.run_worker(self._transfer(call.call_id, request), name="transfer-call",
                                group="calls-action", exit_on_error=False)

        self.app.push_screen(TransferScreen(call, region=self._region(),
                                            number_label=self._number(call)), chosen)

    async def _transfer(self, call_id: str, request: Any) -> None:
        from console.api import errors

        try:
            result = await self.app.session.client.transfer_call(call_id, request)
        except errors.Conflict as exc:
            self._error(exc, "Not transferred (409)",
                        "The call could not be transferred: only an answered call can be "
                        f"({exc.detail or exc}).")
        except errors.ApiError as exc:
            self._error(exc, "Transfer failed")
        else:
            self.notify(f"Transfer of {visible(call_id, 64)} to {request.transfer_to} "
                        f"({request.transfer_type}): {visible(result.status or 'requested', 64)}.",
                        title="Transferring", markup=False, timeout=6)
            self._audit("transfer", call_id, target=request.transfer_to)

    # -- redial ---------------------------------------------------------------------------------------

    def action_redial(self) -> None:
        call = self.selected_call
        if call is None:
            return
        from console.tui.dialogs.confirm import ConfirmScreen

        values = request_values(call)
        body = Text(f"This places a NEW call to {self._number(call)} with agent "
                    f"{self._agent_label(call.agent_id)}.\n")
        body.append("It is sent once and never retried." if call.request else
                    "The original request is not known (the call was placed elsewhere): only "
                    "agent and numbers are reused; every other field takes the API default.")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._redial(values), name="redial", group="calls-action",
                                exit_on_error=False)

        self.app.push_screen(ConfirmScreen("Place a new call?", body, confirm="Place new call",
                                           cancel="Don't call"), confirmed)

    async def _redial(self, values: dict[str, Any]) -> None:
        from pydantic import ValidationError

        from console.api import errors
        from console.api.models import OutboundCallRequest

        try:
            request = OutboundCallRequest.model_validate(values)
        except ValidationError as exc:
            self.notify(f"The stored request is not valid any more: {exc.errors()[0]['msg']}. "
                        "Clone it into the form (c) to fix it.", title="Not redialled",
                        severity="error", markup=False, timeout=10)
            return
        try:
            placed = await self.app.session.client.place_call(request)
        except errors.OutcomeUnknown as exc:
            await self._redial_unknown(exc, request)
        except errors.ApiError as exc:
            self._error(exc, "Not placed")
        else:
            self.notify(f"New call placed: {visible(placed.call_id, 64)}", title="Redialled",
                        markup=False,
                        timeout=8)
            self.app.track_call(placed, request)

    async def _redial_unknown(self, exc: Any, request: Any) -> None:
        """The POST may have placed a call: look it up (never resend)."""
        from console.api import errors

        self.notify("Outcome unknown: the new call may have been placed. It was not resent; "
                    "looking it up in the agent's call list…", title="Outcome unknown",
                    severity="warning", markup=False, timeout=10)
        try:
            matches = await self.app.session.client.find_attempt(exc.window)
        except errors.ApiError as lookup:
            self._error(lookup, "Could not reconcile",
                        f"Could not look the attempt up ({lookup}). Check the agent's calls "
                        "before dialling again.")
            return
        if len(matches) == 1:
            self.app.track_call(matches[0], request, via="reconcile")
            self.notify(f"Found it: call {visible(matches[0].call_id, 64)} (tracked, flagged "
                        "unconfirmed).",
                        title="Reconciled", markup=False, timeout=8)
        elif not matches:
            self.notify("No matching call in the agent's list: the attempt most likely did "
                        "not place a call.", title="Not found", severity="warning",
                        markup=False, timeout=10)
        else:
            self.notify(f"{len(matches)} calls match the attempt: pick the right one from the "
                        "Call screen's reconcile, or watch the agent (w).",
                        title="Several matches", severity="warning", markup=False, timeout=10)

    # -- clone ----------------------------------------------------------------------------------------

    def action_clone(self) -> None:
        call = self.selected_call
        if call is None:
            return
        values = request_values(call)
        self.app.action_show_screen("call")
        self._load_into_form(values, tries=0)

    def _load_into_form(self, values: dict[str, Any], tries: int) -> None:
        app = self.app
        screen = app.screen
        if getattr(screen, "SCREEN_NAME", "") == "call" and getattr(screen, "form_ready", False):
            screen.set_values(values)
            app.notify("The call's request is in the form: check it, then send.",
                       title="Cloned", timeout=5)
            return
        if tries > 100:
            app.notify("The Call form did not open in time; nothing was loaded.",
                       severity="warning")
            return
        app.set_timer(0.05, lambda: self._load_into_form(values, tries + 1))

    # -- watch ----------------------------------------------------------------------------------------

    def action_watch_agent(self) -> None:
        from console.tui.calls.watch_agent import WatchAgentScreen

        names: list[str] = []
        profiles = getattr(self.app, "profiles", None)
        if profiles is not None:
            try:
                names = list(profiles.profiles.agents)
            except Exception:  # noqa: BLE001
                names = []
        names += [a.name for a in getattr(self.app, "known_agents", ()) if a.name
                  and a.name not in names]

        def chosen(agent_id: str | None) -> None:
            if agent_id is None:
                return
            live = getattr(self.app, "live", None)
            if live is None or not live.watch_agent(agent_id):
                self.notify("Call tracking is not running yet.", severity="warning")
                return
            self.notify(f"Watching agent {self._agent_label(agent_id)} ({agent_id}): its calls "
                        "show up within a few seconds.", title="Watching", markup=False)
            self._update_summary()

        self.app.push_screen(WatchAgentScreen(self._name_to_agent_id, names=names), chosen)

    # -- errors ---------------------------------------------------------------------------------------

    def _error(self, exc: ApiError, title: str, message: str | None = None) -> None:
        code = f"{exc.status_code}: " if exc.status_code and message is None else ""
        self.notify(message or f"{code}{exc.message}", title=title, severity="error",
                    markup=False, timeout=10)

    def _audit(self, action: str, call_id: str, **extra: Any) -> None:
        """The audit record of an end / transfer (the app's account controller writes it)."""
        account = getattr(self.app, "account", None)
        hook = getattr(account, {"end": "call_ended", "transfer": "call_transferred"}[action],
                       None)
        if hook is not None:
            try:
                hook(call_id, *extra.values())
            except Exception:  # noqa: BLE001 - auditing never breaks an action
                pass

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for action workers that failed in a way their code did not expect."""
        if event.state == WorkerState.ERROR and event.worker.group == "calls-action":
            self.notify(f"{event.worker.name} failed: {event.worker.error!r}",
                        severity="error", markup=False, timeout=10)


class _EmptyHint(Static):
    """What to do when the table is empty."""
