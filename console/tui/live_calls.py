"""The app's live calls: one `CallStore` and one `CallTracker`, owned by the app (`app.live`).

- `prepare(session)` runs in the start-up worker thread, right after the session is created
  (never for the first frame): opens the SQLite call history, builds the tracker on the
  session's client and re-attaches today's calls from the store (`restore_from_store`).
- `session_ready()` (UI thread) publishes them as `app.tracker` / `app.call_store`.
- `connected()` (each time the session points at an API) watches the agents the profiles mark
  `watch = true` — and in `--demo` every demo agent, so calls placed from the CLI show up —
  and starts the tracker's loop (an asyncio task on the app's loop).
- The tracker calls `on_batch` on that loop at the end of each poll cycle. Batches are
  coalesced here and delivered with ONE `app.calls_changed` signal per UI turn, so the Calls
  table applies one diff per delivery, whatever the tracker's cycle rate.
- `track(...)` hands a call placed by Send / redial / reconcile to the tracker.
- `stop()` on unmount: cancels polling and flushes the last changes to the store.

No widget code here: screens subscribe to `app.calls_changed`.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from console.session import ConsoleSession
    from console.store.history import CallStore
    from console.tracker import CallTracker, Clock, TrackedCall
    from console.tui.app import CallConsoleApp

log = logging.getLogger("console.tui.live_calls")

#: Deliveries to the UI are at least this far apart (seconds): the tracker may finish a cycle
#: several times a second (one per agent page); each delivery repaints the table, so they are
#: coalesced. Adds at most this much to the time a change takes to show.
MIN_DELIVERY_INTERVAL = 0.25


class LiveCalls:
    def __init__(self, app: CallConsoleApp, *, polling: bool = True,
                 clock: Clock | None = None) -> None:
        self.app = app
        #: False: the tracker is built and restored but its loop never starts (snapshots)
        self.polling = polling
        self.clock = clock
        #: a `PollPolicy` for the tracker (None: its default); tests scale it down
        self.policy: Any = None
        self.tracker: CallTracker | None = None
        self.store: CallStore | None = None
        self.store_error: str | None = None
        self._prepared: tuple[CallTracker, CallStore | None] | None = None
        self._pending: dict[str, TrackedCall] = {}
        self._delivery_scheduled = False
        self._last_delivery = -1e9
        self._waiting: list[tuple[Any, Any, str]] = []  # track() before the tracker exists
        self._subscribed = False
        #: batches delivered to the UI (tests and benchmarks look at it)
        self.deliveries = 0

    # -- start-up (thread, then UI thread) ------------------------------------------------------

    def prepare(self, session: ConsoleSession) -> None:
        """Thread: the store (history), the tracker, today's calls re-attached."""
        from console.store.history import CallStore, StoreError
        from console.tracker import CallTracker

        store: CallStore | None = None
        try:
            store = CallStore()
        except StoreError as exc:
            self.store_error = str(exc)
            log.error("call history unavailable: %s", exc)
        kwargs: dict[str, Any] = {"store": store, "on_batch": self._on_batch}
        if self.clock is not None:
            kwargs["clock"] = self.clock
        if self.policy is not None:
            kwargs["policy"] = self.policy
        tracker = CallTracker.for_session(session, **kwargs)
        if store is not None:
            try:
                tracker.restore_from_store()
            except Exception as exc:  # noqa: BLE001 - a damaged history never stops the console
                self.store_error = f"could not re-attach calls: {exc}"
                log.exception("restore_from_store failed")
        self._prepared = (tracker, store)

    def session_ready(self) -> None:
        """UI thread: publish the tracker and the store on the app."""
        if self._prepared is None or self.tracker is not None:
            return
        self.tracker, self.store = self._prepared
        self._prepared = None
        self.app.tracker = self.tracker
        self.app.call_store = self.store
        profiles_changed = getattr(self.app, "profiles_changed", None)
        if not self._subscribed and profiles_changed is not None:
            self._subscribed = True
            profiles_changed.subscribe(self.app, lambda _store: self.watch_saved())
        if self.store_error:
            self.app.notify(f"Call history: {self.store_error}", title="History unavailable",
                            severity="warning", markup=False, timeout=15)
        waiting, self._waiting = self._waiting, []
        for placed, request, via in waiting:
            self.track(placed, request, via=via)
        if self.tracker is not None and len(self.tracker):
            # restored calls: shown at once, even before (or without) polling
            self._on_batch(self.tracker.calls())

    def connected(self) -> None:
        """The session points at an API (start, reconnect, environment switch)."""
        if self.tracker is None:
            return
        self.watch_saved()
        if self.app.demo:
            from console.sim.state import DEMO_AGENTS

            for agent in DEMO_AGENTS:
                self.tracker.watch_agent(agent.agent_id)
        if self.polling and not self.tracker.running:
            self.app.call_later(self.tracker.start)

    def watch_saved(self) -> None:
        """Watch every saved agent marked `watch = true` (start, and after profile edits)."""
        tracker, profiles = self.tracker, getattr(self.app, "profiles", None)
        if tracker is None or profiles is None:
            return
        try:
            watched = profiles.watched_agents()
        except Exception:  # noqa: BLE001 - an unreadable profiles file watches nothing new
            return
        for agent in watched.values():
            try:
                tracker.watch_agent(agent.agent_id)
            except ValueError:
                continue

    def watch_agent(self, agent_id: str) -> bool:
        """Watch one more agent (the Calls screen's `watch agent…`). False: not ready."""
        if self.tracker is None:
            return False
        self.tracker.watch_agent(agent_id)
        return True

    # -- tracking ------------------------------------------------------------------------------

    def track(self, placed: Any, request: Any = None, *, via: str = "send") -> None:
        """A call placed by this console (`CallResponse`), or found by reconciling an unknown
        outcome (`CallStatus`, flagged `outcome-unknown`)."""
        tracker = self.tracker
        if tracker is None:
            self._waiting.append((placed, request, via))
            return
        operator = self.app.session.operator if self.app.session_ready else None
        if via == "reconcile":
            tracker.track_status(placed, source="console", request=request, placed_by=operator,
                                 flags={"outcome-unknown"})
        else:
            tracker.track(placed, request, placed_by=operator)

    # -- batches -------------------------------------------------------------------------------

    def _on_batch(self, calls: list[TrackedCall]) -> None:
        """Tracker callback (on the app's loop): coalesce, deliver on the next UI turn."""
        for call in calls:
            self._pending[call.call_id] = call
        if not self._delivery_scheduled:
            self._delivery_scheduled = True
            delay = self._last_delivery + MIN_DELIVERY_INTERVAL - time.monotonic()
            try:
                if delay > 0:
                    self.app.set_timer(delay, self._deliver, name="calls-delivery")
                else:
                    self.app.call_later(self._deliver)
            except Exception:  # noqa: BLE001 - the app is shutting down
                self._delivery_scheduled = False

    def _deliver(self) -> None:
        self._delivery_scheduled = False
        if not self._pending:
            return
        self._last_delivery = time.monotonic()
        calls, self._pending = list(self._pending.values()), {}
        self.deliveries += 1
        self.app.calls_changed.publish(calls)
        # The Call screen lists the calls it placed with their status: keep it current.
        by_id = {c.call_id: c for c in calls}
        for tracked in self.app.tracked_calls:
            call = by_id.get(tracked.call_id)
            if call is not None and call.status != tracked.status:
                tracked.status = call.status
                self.app.tracked_changed.publish(tracked)

    # -- shutdown ------------------------------------------------------------------------------

    async def stop(self) -> None:
        tracker = self.tracker
        if tracker is not None:
            try:
                await tracker.stop()
            except Exception:  # noqa: BLE001 - exit anyway
                log.exception("tracker stop failed")
        if self.store is not None:
            try:
                self.store.close()
            except Exception:  # noqa: BLE001
                pass
