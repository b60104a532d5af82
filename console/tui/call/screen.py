"""The Call screen: a widget for every field of `POST /calls/outbound`, a live preview, Send.

Rules live in `console.calls.draft.check_draft` (one place for the form and the CLI); this screen
collects the raw values, shows each problem under its field (a 422's too), the preview, the
readiness line and the templates. Sending is `sending.py` (`Sending`, one per form): the POST
through the session's call service, never retried, and its outcomes: placed (tracked), other
API errors, outcome unknown (reconcile from the agent's call list), and the wait-until-answered
progress with "stop waiting" (which does not hang up).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from console.tui.call.sending import Sending
from console.tui.css import stylesheet
from console.tui.fields.frame import FieldFrame
from console.tui.keys import CALL_KEYS, CALL_TEMPLATE_KEYS, CALL_UNDO_RESET, bindings
from console.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from console.api.errors import ValidationFailed
    from console.api.models import OutboundCallRequest
    from console.calls.draft import DraftResult
    from console.tui.call.outcome_panel import OutcomePanel
    from console.tui.call.preview import PreviewPane
    from console.tui.fields.agent_picker import AgentField
    from console.tui.fields.caller_id_picker import CallerIdField
    from console.tui.fields.header_list import HeadersField
    from console.tui.known_agents import KnownAgent

#: below this width the preview is not shown beside the form (toggle it with the preview key)
NARROW_WIDTH = 100
#: the preview's width beside the form (body.tcss, #preview)
PREVIEW_WIDTH = 44
#: below this form width the option fields are stacked, not two to a row: a pair needs two
#: 22-cell labels and two inputs wide enough for "REQUIRE ▼" (at 100 columns beside the
#: preview, Priority and Media encryption were drawn one character wide)
PAIRS_MIN_WIDTH = 76
#: from this width on the form column stops growing (FORM_WIDE_WIDTH cells, body.tcss) and
#: the preview takes the rest: inputs 150 cells long help nobody, a wide preview shows the
#: JSON and the curl line unwrapped
WIDE_WIDTH = 160
FORM_WIDE_WIDTH = 110

NOT_CONNECTED_HELP = (
    "Not connected to an API. Set CALL_CONSOLE_BASE_URL and CALL_CONSOLE_TOKEN (environment "
    "or config.toml; `call-console locate` shows where), or run `call-console --demo` to try "
    "the built-in simulator. You can still fill in the form and copy the JSON or curl.")


class CallScreen(ConsoleScreen):
    DEFAULT_CSS = stylesheet(__file__, "screen.tcss")
    SCREEN_NAME = "call"
    #: the caret starts in To (in the first frame): a number typed at once lands there
    AUTO_FOCUS = "#to_number-input"
    BINDINGS = bindings(*CALL_KEYS, *CALL_TEMPLATE_KEYS)

    def __init__(self) -> None:
        super().__init__(id="call-screen")
        self._touched: set[str] = set()
        self._server_problems: dict[str, list[Any]] = {}
        self._result: DraftResult | None = None
        self._checks_ready = False
        self._recompute_pending = False
        self._undo: list[tuple[dict[str, Any], Any]] = []  # (values, TemplateState | None)
        #: the sending state machine: attempt in flight, stop waiting, unknown, reconcile
        self.sending = Sending(self)
        self._preview_choice: bool | None = None  # None = automatic by width
        self._narrow = False
        self._readiness_text: Text | None = None
        self._fields: dict[str, FieldFrame] = {}
        self._form_mounted = False
        self._form_settled = asyncio.Event()  # the form's mount finished (or was skipped)
        self._binding_state: tuple[Any, ...] = ()
        self._resumed = False  # see post_message

    # -- layout -----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        # The first frame has the core fields (Agent to DTMF) with the caret in To; the rest of
        # the form is mounted right after it (`_mount_form`, see body.py).
        from console.tui.call.body import CallBody

        yield CallBody(id="call-body")

    async def _mount_form(self) -> None:
        from console.tui.call.body import CallBody

        try:
            if self._form_mounted or not (self.is_running and self.is_attached):
                return  # mounted already, or the app is exiting (quit or hangup at start-up)
            await self.query_one(CallBody).mount_rest()
            if self.is_running and self.is_attached:
                await self._mount_template_picker()
            if self.is_running and self.is_attached:
                self._form_ready()
        finally:
            self._form_settled.set()

    async def settled(self) -> None:
        await self._form_settled.wait()

    @property
    def fields(self) -> dict[str, FieldFrame]:
        """The form's fields by request name, in form order (looked up once the whole form is
        mounted; before that, the core fields of the first frame)."""
        if self._fields:
            return self._fields
        fields = {frame.field_name: frame for frame in self.query(FieldFrame)}
        if self._form_mounted:
            self._fields = fields
        return fields

    def field(self, name: str) -> FieldFrame:
        return self.fields[name]

    @property
    def outcome(self) -> OutcomePanel:
        return self.query_one("#outcome")  # type: ignore[return-value]

    @property
    def preview(self) -> PreviewPane:
        return self.query_one("#preview")  # type: ignore[return-value]

    def post_message(self, message: Message) -> bool:
        if isinstance(message, events.ScreenResume) and not self._resumed:
            # The first resume follows the compose: every node was styled as it mounted,
            # from this stylesheet. Restyling them all again (Textual's default) cost the
            # first frame a third of its CSS work. Later resumes restyle as usual.
            self._resumed = True
            message.refresh_styles = False
        return super().post_message(message)

    def on_mount(self) -> None:
        super().on_mount()
        self.app.agents_changed.subscribe(self, self._agents_changed)
        self.app.tracked_changed.subscribe(self, lambda _t: self._show_tracked())
        self.app.after_first_frame(self._mount_form)

    @property
    def form_ready(self) -> bool:
        """The (lazily mounted) form is in the DOM."""
        return self._form_mounted

    def _form_ready(self) -> None:
        """Called once the form has been mounted (see CallBody)."""
        self._form_mounted = True
        self._readiness_text = Text("loading…")
        self.query_one("#readiness", Static).update(self._readiness_text)
        self.preview.show_not_ready([])
        self._narrow = self.size.width < NARROW_WIDTH
        self._apply_preview_layout()
        if self.app.known_agents:
            self._agents_changed(self.app.known_agents)
        self._session_changed(self.app)
        self._show_tracked()
        self.refresh_bindings()  # the footer now shows the form's keys

    def on_resize(self, event: events.Resize) -> None:
        self._narrow = event.size.width < NARROW_WIDTH
        if self._form_mounted:
            self._apply_preview_layout()

    def _apply_preview_layout(self) -> None:
        """Wide: preview beside the form (unless hidden). Narrow: it replaces the form.

        Classes go on the two columns, not their parent, so a resize restyles only what moves.
        """
        shown = self._preview_choice if self._preview_choice is not None else not self._narrow
        preview = self.query_one("#preview")
        preview.set_class(not shown, "-hidden")
        preview.set_class(shown and self._narrow, "-full")
        column = self.query_one("#form-column")
        column.set_class(shown and self._narrow, "-hidden")
        width = self.size.width
        wide = shown and not self._narrow and width >= WIDE_WIDTH
        self.query_one("#call-body").set_class(wide, "-wide")
        self.set_class(shown and not self._narrow, "-preview-beside")  # toasts (app.tcss)
        self.set_class(not (shown and not self._narrow), "-toasts-top")
        beside = PREVIEW_WIDTH if shown and not self._narrow else 0
        form_width = FORM_WIDE_WIDTH if wide else width - beside
        column.set_class(form_width < PAIRS_MIN_WIDTH, "-stacked")

    @property
    def preview_shown(self) -> bool:
        return not self.query_one("#preview").has_class("-hidden")

    # -- session and agents -----------------------------------------------------------------

    def _session_changed(self, app) -> None:
        super()._session_changed(app)
        if not app.session_ready or not self._form_mounted:
            return
        if not self._checks_ready:
            self._checks_ready = True
            for frame in self.fields.values():
                frame.refresh_note()  # notes that waited for the session (phone numbers)
            if not app.session.connected and not app.demo:
                self.outcome.set_state("-info", NOT_CONNECTED_HELP)
            self._recompute()
        elif app.session.connected and self.outcome.state == "-info":
            self.outcome.set_state("-idle")
        self._update_readiness()

    def _agents_changed(self, agents: list[KnownAgent]) -> None:
        if not self._form_mounted:
            return  # applied by _form_ready
        agent_field: AgentField = self.field("agent_id")  # type: ignore[assignment]
        agent_field.set_known_agents(agents)
        if self.app.demo and agents and not agent_field.value.strip():
            # Demo only: start with the first demo agent so a number is all it takes.
            agent_field.set_value(agents[0].agent_id)
            if self.focused is agent_field.input:
                self.field("to_number").focus_input()
        self._update_caller_ids()

    def _update_caller_ids(self) -> None:
        agent_field: AgentField = self.field("agent_id")  # type: ignore[assignment]
        chosen = agent_field.chosen()
        caller: CallerIdField = self.field("from_number")  # type: ignore[assignment]
        caller.set_known_numbers(chosen.caller_ids if chosen else [])
        caller.refresh_note()

    # -- values and checks ------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Raw field values by request field name (what `check_draft` takes)."""
        return {name: frame.value for name, frame in self.fields.items()}

    def set_values(self, values: dict[str, Any], *, checked: bool = False) -> None:
        """Fill fields in. `checked`: show their problems at once, as if they had been typed
        (a clone or a template shows problems only for what the operator then edits)."""
        fields = self.fields
        for name, value in values.items():
            if name in fields:
                fields[name].set_value(value)
        if checked:
            self._touched.update(name for name in values if name in fields)
            self._recompute()

    @property
    def checks_ready(self) -> bool:
        """The session is there and the form is checked as it changes."""
        return self._checks_ready

    @property
    def draft(self) -> DraftResult | None:
        """The form's values as last checked: the request, or the problems (None before the
        first check)."""
        return self._result

    @on(FieldFrame.Changed)
    def _field_changed(self, event: FieldFrame.Changed) -> None:
        name = event.frame.field_name
        self._touched.add(name)
        self._server_problems.pop(name, None)
        if name == "agent_id":
            self._update_caller_ids()
        if (picker := self.template_picker) is not None:
            picker.field_changed(event.frame)  # an edited field loses its template mark
        if not self._recompute_pending:
            self._recompute_pending = True
            self.call_later(self._recompute)

    def _recompute(self) -> None:
        self._recompute_pending = False
        if not self._checks_ready:
            return
        from console.calls.draft import check_draft, curl_command, request_json

        result = check_draft(self.values(), region=self.app.default_region)
        self._result = result
        for name, frame in self.fields.items():
            client = result.for_field(name) if name in self._touched else []
            frame.set_problems([*client, *self._server_problems.get(name, [])])
            frame.changed = not frame.required and not frame.is_default()
        if result.ok and result.request is not None:
            base = (self.app.session.base_url if self.app.session.connected
                    else "$CALL_CONSOLE_BASE_URL")
            self.preview.show_request(request_json(result.request),
                                      curl_command(base, result.request))
        else:
            labels = {n: f.label for n, f in self.fields.items()}
            self.preview.show_not_ready(
                [(labels.get(p.field, p.field) + (f" row {p.row + 1}" if p.row is not None else ""),
                  p.message) for p in result.problems])
        self._update_readiness()

    def _labels_with_problems(self) -> list[str]:
        if self._result is None:
            return []
        fields = self.fields
        seen: list[str] = []
        for problem in self._result.problems:
            label = fields[problem.field].label if problem.field in fields else problem.field
            if label not in seen:
                seen.append(label)
        return seen

    @property
    def can_send(self) -> bool:
        app = self.app
        return (self._result is not None and self._result.ok and not self.sending.in_flight
                and app.session_ready and app.session.connected)

    def _update_readiness(self) -> None:
        app = self.app
        readiness = self.query_one("#readiness", Static)
        if self.sending.in_flight:
            text = Text.assemble(("request in flight…", "bold"))
        elif not app.session_ready or self._result is None:
            text = Text("loading…")
        elif not app.session.connected:
            text = Text("simulator starting…" if app.demo else
                        "not connected: see the message above")
        elif not self._result.ok:
            text = Text("Not ready: " + ", ".join(self._labels_with_problems()))
        else:
            request = self._result.request
            agent = self.field("agent_id").chosen()  # type: ignore[attr-defined]
            text = Text(f"Ready to call {request.to_number} with agent "
                        f"{agent.name if agent and agent.name else request.agent_id}")
        if text != self._readiness_text:
            self._readiness_text = text
            readiness.update(text)
        self.query_one("#send", Button).disabled = not self.can_send
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
        """The footer recomposes on refresh_bindings: only do it when an action's state moved."""
        state = tuple(self.check_action(k.action, ()) for k in CALL_KEYS)
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self._form_mounted:
            return False  # nothing to act on yet; also keeps the first frame's footer short
        if action == "send":
            return True if self.can_send else None
        if action == "save_template":
            store = getattr(self.app, "profiles", None)
            return True if store is not None and not store.read_only else None
        if action == "undo_reset":
            return bool(self._undo)
        if action == "reconcile":
            return self.sending.can_reconcile
        if action == "stop_waiting":
            return self.sending.waiting
        if action in ("copy_json", "copy_curl"):
            return True if self.preview.json_text is not None else None
        return True

    # -- saved templates (template_picker.py) -----------------------------------------------

    def _mount_template_picker(self) -> AwaitMount:
        from console.tui.call.template_picker import TemplatePicker

        return self.query_one("#form-column").mount(TemplatePicker(id="template-picker"),
                                                    before="#form")

    @property
    def template_picker(self):
        """The template bar above the fields (None until the form is mounted)."""
        from console.tui.call.template_picker import TemplatePicker

        found = self.query("#template-picker")
        return found.first(TemplatePicker) if found else None

    def action_choose_template(self) -> None:
        if (picker := self.template_picker) is not None:
            picker.open()

    def action_save_template(self) -> None:
        if (picker := self.template_picker) is not None:
            picker.save_as_template()

    def use_template(self, name: str) -> bool:
        """Fill the form from saved template `name` (the palette's `profile: use template`)."""
        picker = self.template_picker
        return picker.apply(name) if picker is not None else False

    # -- reset / undo -----------------------------------------------------------------------

    def action_reset(self) -> None:
        fields = self.fields
        if all(f.required or f.is_default() for f in fields.values()):
            self.notify("Every field is already at its API default.", timeout=3)
            return
        picker = self.template_picker
        self._undo.append((self.values(), picker.state() if picker is not None else None))
        for frame in fields.values():
            if not frame.required:
                frame.set_value(frame.default)
        if picker is not None:
            picker.clear()  # at the API defaults nothing is from a template
        self.notify(f"Fields reset to the API defaults. {CALL_UNDO_RESET.key} undoes it.",
                    title="Reset", timeout=5)
        self.refresh_bindings()

    def action_undo_reset(self) -> None:
        if not self._undo:
            return
        values, template = self._undo.pop()
        self.set_values(values)
        if template is not None and (picker := self.template_picker) is not None:
            picker.restore(template)  # the choice and the marks the reset took away
        self.notify("Reset undone.", timeout=3)
        self.refresh_bindings()

    # -- preview and copy -------------------------------------------------------------------

    def action_toggle_preview(self) -> None:
        self._preview_choice = not self.preview_shown
        self._apply_preview_layout()

    def action_copy_json(self) -> None:
        self._copy(self.preview.json_text, "JSON")

    def action_copy_curl(self) -> None:
        self._copy(self.preview.curl_text, "curl command")

    def _copy(self, text: str | None, what: str) -> None:
        if text is None:
            self.notify("Nothing to copy yet: the form has problems.", severity="warning")
            return
        try:
            self.app.copy_to_clipboard(text)
        except Exception as exc:  # noqa: BLE001 - a terminal without a clipboard is no crash
            self.notify(f"Could not copy: {exc}", severity="warning", markup=False)
            return
        lines = text.splitlines()
        shown = "\n".join(lines[:14]) + (f"\n… ({len(lines) - 14} more lines)" if len(lines) > 14 else "")
        self.notify(shown, title=f"Copied {what} (OSC 52)", markup=False, timeout=8)

    # -- send -------------------------------------------------------------------------------

    def action_send(self) -> None:
        if not self.can_send or self._result is None or self._result.request is None:
            return
        request = self._result.request
        if self.sending.unknown is not None:
            from console.tui.dialogs.confirm import ConfirmScreen

            window = self.sending.unknown
            body = Text(f"The earlier attempt to {window.to_number} has an unknown outcome: it "
                        "may have placed a call. Reconcile it first to avoid calling twice.")

            def confirmed(ok: bool | None) -> None:
                if ok and self.can_send:
                    self._send_within_cap(request)

            self.app.push_screen(ConfirmScreen("Send while an outcome is unknown?", body,
                                               confirm="Send anyway", cancel="Don't send"),
                                 confirmed)
            return
        self._send_within_cap(request)

    def _send_within_cap(self, request: OutboundCallRequest) -> None:
        """Send, unless the capacity meter says the tenant is at its concurrency cap (or out of
        quota): then ask first (`AccountController.confirm_send`). Never retried either way."""

        def send() -> None:
            if self.can_send:
                self._start_send(request)

        self.app.account.confirm_send(self, send)

    def _start_send(self, request: OutboundCallRequest) -> None:
        self._server_problems.clear()
        self.sending.start(request)
        self._update_readiness()

    @property
    def _send_worker(self) -> Worker | None:
        """The POST's worker while a request is in flight (tests wait on it)."""
        return self.sending.worker

    def sending_changed(self) -> None:
        """`Sending` says a request left flight: Send and the keys follow."""
        self._update_readiness()

    def action_stop_waiting(self) -> None:
        self.sending.stop_waiting()

    def action_reconcile(self) -> None:
        self.sending.reconcile()

    def show_validation(self, exc: ValidationFailed) -> None:
        """A 422: each entry under its field (values kept), focus on the first of them."""
        from console.tui.call import outcome_text
        from console.tui.call.validation_map import map_entries

        fields = self.fields
        headers: HeadersField = fields["custom_headers"]  # type: ignore[assignment]
        by_field, unplaced = map_entries(exc.entries, headers.value)
        self._server_problems = dict(by_field)
        labels = {name: frame.label for name, frame in fields.items()}
        self.outcome.set_state("-error", outcome_text.validation_failed(exc, labels, unplaced))
        self.notify(exc.message, title="422: not placed", severity="error", markup=False,
                    timeout=10)
        self._recompute()
        for name, frame in fields.items():  # form order
            if name in by_field:
                rows = [p.row for p in by_field[name] if p.row is not None]
                if name == "custom_headers" and rows:
                    frame.focus_row(rows[0], by_field[name][0].part)
                else:
                    frame.focus_input()
                frame.scroll_visible()
                break

    # -- tracked calls ----------------------------------------------------------------------

    def _show_tracked(self) -> None:
        if not self._form_mounted or not self.app.tracked_calls:
            return
        from console.tui.call.outcome_text import tracked_line

        self.outcome.show_tracked([tracked_line(t) for t in self.app.tracked_calls])

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for workers that failed in a way their own code did not expect."""
        if event.state == WorkerState.ERROR and event.worker.group in ("reconcile", "watch"):
            self.notify(f"{event.worker.name} failed: {event.worker.error!r}",
                        severity="error", markup=False)
            self.sending.worker_failed(event.worker)
