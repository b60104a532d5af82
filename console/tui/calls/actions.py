"""What the Calls screen does to the selected call: end, transfer, redial, clone into the form,
copy (id, recording URL, JSON), dismiss a lost call, and watch an agent. The screen (`screen.py`) keeps the view
(table, filters, detail, summary) and owns one `CallActions`.

End, transfer and redial go through the session's `CallService` (`app.account.call_service`),
which writes their audit records; a redial whose outcome is unknown is reconciled there too,
never resent. Every action runs in a non-exclusive worker on the screen with
`exit_on_error=False` (the screen's `on_worker_state_changed` is their one error handler); API
errors (409 and the rest) become toasts with `markup=False` (server text is never markup).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.text import Text

from console.api.safe_text import visible

if TYPE_CHECKING:
    from console.api.errors import ApiError
    from console.calls.outcomes import ActionOutcome
    from console.calls.service import CallService
    from console.tracker import TrackedCall
    from console.tui.calls.screen import CallsScreen

#: the worker group of every action (the screen's error handler looks at it)
ACTION_GROUP = "calls-action"


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


class CallActions:
    def __init__(self, screen: CallsScreen) -> None:
        self.screen = screen

    @property
    def app(self):
        return self.screen.app

    @property
    def service(self) -> CallService:
        return self.app.account.call_service

    def _run(self, work, name: str) -> None:
        self.screen.run_worker(work, name=name, group=ACTION_GROUP, exit_on_error=False)

    def _notify(self, message: str, **kwargs: Any) -> None:
        self.screen.notify(message, markup=False, **kwargs)

    def _error(self, exc: ApiError, title: str, message: str | None = None) -> None:
        code = f"{exc.status_code}: " if exc.status_code and message is None else ""
        self._notify(message or f"{code}{exc.message}", title=title, severity="error",
                     timeout=10)

    # -- copy -----------------------------------------------------------------------------------

    def _copy(self, text: str, what: str) -> None:
        try:
            self.app.copy_to_clipboard(text)
        except Exception as exc:  # noqa: BLE001 - a terminal without a clipboard is no crash
            self._notify(f"Could not copy: {exc}", severity="warning")
            return
        shown = visible(text, 600, multiline=True)
        self._notify(shown, title=f"Copied {what} (OSC 52)", timeout=6)

    def copy_id(self, call: TrackedCall) -> None:
        self._copy(call.call_id, "call id")

    def copy_recording(self, call: TrackedCall) -> None:
        url = call.last.recording_url if call.last is not None else None
        if not url:
            self._notify("This call has no recording URL (yet): it may arrive a few seconds "
                         "after the call ends.", severity="warning")
            return
        self._copy(url, "recording URL")

    def copy_json(self, call: TrackedCall) -> None:
        if call.last is None:
            self.screen.notify("No status read yet for this call.", severity="warning")
            return
        self._copy(json.dumps(call.last.model_dump(mode="json"), indent=2, ensure_ascii=False),
                   "JSON")

    # -- end ------------------------------------------------------------------------------------

    def end(self, call: TrackedCall) -> None:
        """Ask, then hang up (one POST; a 409 says the call is no longer live)."""
        from console.tui.dialogs.confirm import ConfirmScreen

        body = Text(f"Hang up the call to {self.screen.number_label(call)} "
                    f"(status {visible(call.status, 64)}, id {visible(call.call_id, 64)})?")
        if call.terminal:
            body.append(f"\nIt already looks {call.status}: the API will probably answer 409.",
                        style="yellow")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run(self._end(call.call_id), "end-call")

        self.app.push_screen(ConfirmScreen("End this call?", body, confirm="End call",
                                           cancel="Keep it"), confirmed)

    async def _end(self, call_id: str) -> None:
        outcome = await self.service.end(call_id)
        if outcome.done:
            self._notify(f"End requested for {visible(call_id, 64)}: "
                         f"{visible(outcome.status or 'accepted', 64)}. The table "
                         "shows the new status with the next poll.", title="Ending", timeout=6)
            self.app.account.call_ended(call_id)
        elif outcome.refused:
            self._refused(outcome, "Not ended (409)",
                          "The call could not be ended: it is no longer live")
        else:
            self._error(outcome.error, "End failed")

    def _refused(self, outcome: ActionOutcome, title: str, why: str) -> None:
        exc = outcome.error
        self._error(exc, title, f"{why} ({exc.detail or exc}).")

    # -- transfer -------------------------------------------------------------------------------

    def transfer(self, call: TrackedCall) -> None:
        """The transfer modal (target, cold/warm, dial tone), then one POST."""
        from console.tui.calls.transfer import TransferScreen

        def chosen(request: Any) -> None:
            if request is not None:
                self._run(self._transfer(call.call_id, request), "transfer-call")

        self.app.push_screen(TransferScreen(call, region=self.screen.phone_region,
                                            number_label=self.screen.number_label(call)),
                             chosen)

    async def _transfer(self, call_id: str, request: Any) -> None:
        outcome = await self.service.transfer(call_id, request)
        if outcome.done:
            self._notify(f"Transfer of {visible(call_id, 64)} to {request.transfer_to} "
                         f"({request.transfer_type}): "
                         f"{visible(outcome.status or 'requested', 64)}.",
                         title="Transferring", timeout=6)
        elif outcome.refused:
            self._refused(outcome, "Not transferred (409)",
                          "The call could not be transferred: only an answered call can be")
        else:
            self._error(outcome.error, "Transfer failed")

    # -- redial ---------------------------------------------------------------------------------

    def redial(self, call: TrackedCall) -> None:
        """Ask, then place a NEW call with the same request (sent once, never retried)."""
        from console.tui.dialogs.confirm import ConfirmScreen

        values = request_values(call)
        body = Text(f"This places a NEW call to {self.screen.number_label(call)} with agent "
                    f"{self.screen.agent_names.label(call.agent_id)}.\n")
        body.append("It is sent once and never retried." if call.request else
                    "The original request is not known (the call was placed elsewhere): only "
                    "agent and numbers are reused; every other field takes the API default.")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run(self._redial(values, call.call_id), "redial")

        self.app.push_screen(ConfirmScreen("Place a new call?", body, confirm="Place new call",
                                           cancel="Don't call"), confirmed)

    async def _redial(self, values: dict[str, Any], redial_of: str) -> None:
        from pydantic import ValidationError

        from console.api.models import OutboundCallRequest
        from console.calls.outcomes import NotAnswered, Placed, Unknown

        try:
            request = OutboundCallRequest.model_validate(values)
        except ValidationError as exc:
            self._notify(f"The stored request is not valid any more: {exc.errors()[0]['msg']}. "
                         "Clone it into the form (c) to fix it.", title="Not redialled",
                         severity="error", timeout=10)
            return
        outcome = await self.service.place(request, redial_of=redial_of)
        if isinstance(outcome, Placed):
            self._notify(f"New call placed: {visible(outcome.call.call_id, 64)}",
                         title="Redialled", timeout=8)
            self.app.track_call(outcome.call, request)
        elif isinstance(outcome, Unknown):
            await self._redial_unknown(outcome)
        else:
            self._error(outcome.error, "Not placed")
            if isinstance(outcome, NotAnswered) and outcome.found is not None:
                self.app.track_call(outcome.found, request, via="not-answered")

    async def _redial_unknown(self, outcome: Any) -> None:
        """The POST may have placed a call: look it up with the service (never resend)."""
        self._notify("Outcome unknown: the new call may have been placed. It was not resent; "
                     "looking it up in the agent's call list…", title="Outcome unknown",
                     severity="warning", timeout=10)
        found = await self.service.reconcile(outcome.window)
        if found.error is not None:
            self._error(found.error, "Could not reconcile",
                        f"Could not look the attempt up ({found.error}). Check the agent's "
                        "calls before dialling again.")
        elif found.found is not None:
            self.app.track_call(found.found, outcome.request, via="reconcile")
            self._notify(f"Found it: call {visible(found.found.call_id, 64)} (tracked, flagged "
                         "unconfirmed).", title="Reconciled", timeout=8)
        elif not found.matches:
            self._notify("No matching call in the agent's list: the attempt most likely did "
                         "not place a call.", title="Not found", severity="warning", timeout=10)
        else:
            self._notify(f"{len(found.matches)} calls match the attempt: pick the right one "
                         "from the Call screen's reconcile, or watch the agent (w).",
                         title="Several matches", severity="warning", timeout=10)

    # -- clone ----------------------------------------------------------------------------------

    def clone(self, call: TrackedCall) -> None:
        """The call's request into the Call form (nothing is sent)."""
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

    # -- watch ----------------------------------------------------------------------------------

    def watch_agent(self) -> None:
        """Ask for an agent (saved name or uuid) and follow every call it places."""
        from console.tui.calls.watch_agent import WatchAgentScreen

        app = self.app
        names: list[str] = []
        profiles = getattr(app, "profiles", None)
        if profiles is not None:
            try:
                names = list(profiles.profiles.agents)
            except Exception:  # noqa: BLE001
                names = []
        names += [a.name for a in getattr(app, "known_agents", ()) if a.name
                  and a.name not in names]

        def chosen(agent_id: str | None) -> None:
            if agent_id is None:
                return
            live = getattr(app, "live", None)
            if live is None or not live.watch_agent(agent_id):
                self.screen.notify("Call tracking is not running yet.", severity="warning")
                return
            self._notify(f"Watching agent {self.screen.agent_names.label(agent_id)} ({agent_id}): "
                         "its calls show up within a few seconds.", title="Watching")
            self.screen.watching_changed()

        app.push_screen(WatchAgentScreen(self.screen.agent_names.agent_id_for, names=names),
                        chosen)

    # -- dismiss --------------------------------------------------------------------------------

    def dismiss(self, call: TrackedCall) -> None:
        """Take a lost call (the API answers 404 for it) off the table; the history keeps it."""
        live = getattr(self.app, "live", None)
        if live is None:
            return
        if not call.lost:
            self._notify("Only a lost call can be dismissed (the API answers 404 for it).",
                         severity="warning")
            return
        if not live.dismiss(call.call_id):
            return
        self.screen.remove_row(call)
        self._notify(f"Dismissed the lost call to {self.screen.number_label(call)} "
                     f"({call.call_id}). It stays in the history.", title="Dismissed", timeout=5)
