"""The Call form's sending state machine: the attempt in flight, wait-until-answered progress,
stop waiting, outcome unknown and reconcile. The form (`screen.py`) owns one `Sending`.

What a call does is the session's `CallService` (`console.calls`, `app.account.call_service`):
one POST, never retried; its outcome; the agent's list while a wait-until-answered POST waits;
the reconcile; the audit record of each. This module only draws those outcomes on the form's
outcome panel and in toasts, and keeps the state the form's keys depend on. Workers run on the
screen (non-exclusive, `exit_on_error=False`; the screen's `on_worker_state_changed` is their
one error handler): nothing may cancel an in-flight POST except the operator.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.worker import Worker

    from console.api.errors import ApiError, AttemptWindow
    from console.api.models import CallResponse, OutboundCallRequest
    from console.calls.outcomes import Attempt, PlaceOutcome
    from console.calls.service import CallService
    from console.tui.call.screen import CallScreen

#: Seconds between redraws of the wait-until-answered progress line.
PROGRESS_INTERVAL = 0.5


class Sending:
    """One form's sends: at most one POST in flight, and the last unknown outcome."""

    def __init__(self, screen: CallScreen) -> None:
        self.screen = screen
        self.attempt: Attempt | None = None
        #: the POST's worker while it is in flight (None otherwise)
        self.worker: Worker | None = None
        self._watch_worker: Worker | None = None
        self._progress: Timer | None = None
        #: the window of the last attempt whose outcome is unknown (None: nothing to reconcile)
        self.unknown: AttemptWindow | None = None
        self.reconciling = False

    @property
    def service(self) -> CallService:
        return self.screen.app.account.call_service

    @property
    def in_flight(self) -> bool:
        return self.worker is not None

    @property
    def waiting(self) -> bool:
        """A wait-until-answered POST is in flight (the stop-waiting key applies)."""
        return (self.worker is not None and self.attempt is not None
                and self.attempt.request.wait_until_answered)

    @property
    def can_reconcile(self) -> bool:
        return self.unknown is not None and not self.reconciling

    # -- send ------------------------------------------------------------------------------

    def start(self, request: OutboundCallRequest) -> None:
        from console.tui.call import outcome_text

        screen = self.screen
        self.unknown = None
        self.attempt = attempt = self.service.begin(request)
        # Never exclusive: nothing may cancel an in-flight POST except the operator.
        self.worker = screen.run_worker(self._place(request, attempt), name="place-call",
                                        group="place-call", exit_on_error=False)
        if request.wait_until_answered:
            self._progress = screen.set_interval(PROGRESS_INTERVAL, self._show_waiting)
            self._watch_worker = screen.run_worker(self._watch_ringing(attempt),
                                                   name="watch-ringing", group="watch",
                                                   exit_on_error=False)
            self._show_waiting()
        else:
            screen.outcome.set_state("-busy", outcome_text.sending(request))

    async def _place(self, request: OutboundCallRequest, attempt: Attempt) -> None:
        worker = self.worker
        try:
            outcome = await self.service.place(request, attempt)
        except Exception as exc:  # noqa: BLE001 - a bug after sending: the call may exist
            from console.calls.placement import utc_now

            self._show_unknown(attempt.window(utc_now()), f"unexpected error {exc!r}")
        else:
            self._show(outcome)
        finally:
            if self.worker is worker:
                self._end_flight()

    def _end_flight(self) -> None:
        self.worker = None
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        if self._watch_worker is not None:
            self._watch_worker.cancel()
            self._watch_worker = None
        self.screen.sending_changed()

    # -- outcomes ----------------------------------------------------------------------------

    def _show(self, outcome: PlaceOutcome) -> None:
        from console.calls.outcomes import NotAnswered, NotPlaced, Placed, Rejected, Unknown

        if isinstance(outcome, Placed):
            self._show_placed(outcome.call, outcome.request)
        elif isinstance(outcome, Rejected):
            self.screen.show_validation(outcome.error)
        elif isinstance(outcome, NotAnswered):
            self._show_api_error(outcome.error)
            if outcome.found is not None:
                # A `wait_until_answered` call that did not connect was still a call: in the
                # table, the history and the audit log with its disposition like any other.
                self.screen.app.track_call(outcome.found, outcome.request, via="not-answered")
        elif isinstance(outcome, NotPlaced):
            self._show_api_error(outcome.error)
        elif isinstance(outcome, Unknown):
            self._show_unknown(outcome.window, outcome.cause)

    def _show_placed(self, placed: CallResponse, request: OutboundCallRequest) -> None:
        # safe_text (json) here, not at the top: this module is on the first frame's path
        from console.api.safe_text import visible
        from console.tui.call import outcome_text

        screen, app = self.screen, self.screen.app
        screen.outcome.set_state("-ok", outcome_text.placed(placed))
        screen.notify(f"Call placed: {visible(placed.call_id, 64)}", title="Placed",
                      markup=False, timeout=8)
        app.set_health("ok", "online")
        app.track_call(placed, request)

    def _show_api_error(self, exc: ApiError) -> None:
        from console.api import errors
        from console.tui.call import outcome_text

        screen, app = self.screen, self.screen.app
        screen.outcome.set_state("-error", outcome_text.api_error(exc))
        screen.notify(exc.message, title="Not placed", severity="error", markup=False,
                      timeout=10)
        if isinstance(exc, errors.ConnectionFailed):
            app.set_health("error", "unreachable")
        elif isinstance(exc, errors.AuthRequired):
            app.set_health("error", "sign-in needed")
            app.account.auth_required()  # the login modal; the form keeps its values

    def _show_unknown(self, window: AttemptWindow, cause: str, *, stopped: bool = False) -> None:
        from console.tui.call import outcome_text

        screen = self.screen
        self.unknown = window
        screen.outcome.set_state("-unknown", outcome_text.unknown(cause, stopped=stopped))
        screen.notify("Outcome unknown: the call may have been placed. It was not resent; "
                      "reconcile it.", title="Outcome unknown", severity="warning", timeout=10)
        screen.refresh_bindings()

    # -- wait until answered -------------------------------------------------------------------

    def _show_waiting(self) -> None:
        from console.tui.call import outcome_text

        attempt = self.attempt
        if attempt is None or not self.waiting:
            return
        elapsed = time.monotonic() - attempt.started
        self.screen.outcome.set_state("-busy", outcome_text.waiting(
            attempt.request, elapsed, attempt.status, attempt.call_id), waiting=True)

    async def _watch_ringing(self, attempt: Attempt) -> None:
        """While the POST waits, find the call in the agent's list to show its status."""
        await self.service.follow_ringing(
            attempt, lambda: self.attempt is attempt and self.waiting)

    def stop_waiting(self) -> None:
        """Stop waiting for the answer (the call is NOT hung up): its outcome is unknown.
        The cancelled `place()` writes the audit record."""
        from console.calls.placement import utc_now

        worker, attempt = self.worker, self.attempt
        if worker is None or attempt is None or not self.waiting:
            return
        window = attempt.window(utc_now())
        self.worker = None
        worker.cancel()
        self._end_flight()
        self._show_unknown(window, "stopped waiting", stopped=True)

    # -- reconcile -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        if not self.can_reconcile:
            return
        self.reconciling = True
        self.screen.refresh_bindings()
        self.screen.run_worker(self._reconcile(self.unknown), name="reconcile",
                               group="reconcile", exit_on_error=False)

    async def _reconcile(self, window: AttemptWindow) -> None:
        from console.tui.call import outcome_text

        screen = self.screen
        try:
            result = await self.service.reconcile(window)
        finally:
            self.reconciling = False
            screen.refresh_bindings()
        if result.error is not None:
            screen.outcome.set_state("-unknown", outcome_text.reconcile_failed(result.error))
        elif not result.matches:
            screen.outcome.set_state("-unknown", outcome_text.reconcile_none(window))
        elif result.found is not None:
            self._reconciled(result.found)
        else:
            from console.tui.dialogs.reconcile import ReconcileScreen

            screen.outcome.set_state("-unknown", outcome_text.reconcile_many(len(result.matches)))

            def chosen(call: Any) -> None:
                if call is not None:
                    screen.run_worker(self.service.chosen(window, call), name="reconcile-chosen",
                                      group="reconcile", exit_on_error=False)
                    self._reconciled(call)

            screen.app.push_screen(ReconcileScreen(list(result.matches)), chosen)

    def _reconciled(self, call: Any) -> None:
        from console.api.safe_text import visible
        from console.tui.call import outcome_text

        screen = self.screen
        self.unknown = None
        screen.outcome.set_state("-ok", outcome_text.reconcile_found(call))
        screen.notify(f"Reconciled: call {visible(call.call_id, 64)}", title="Found",
                      markup=False, timeout=8)
        request = self.attempt.request if self.attempt else None
        screen.app.track_call(call, request, via="reconcile")
        screen.refresh_bindings()

    def worker_failed(self, worker: Worker) -> None:
        """A reconcile worker failed unexpectedly: the reconcile key works again."""
        if worker.group == "reconcile":
            self.reconciling = False
            self.screen.refresh_bindings()
