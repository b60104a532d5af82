"""The app's live calls: one `CallStore` and one `CallTracker`, owned by the app (`app.live`).

- `prepare(session)` runs in the start-up worker thread, right after the session is created
  (never for the first frame): opens the SQLite call history, builds the tracker on the
  session's client for the session's environment and re-attaches that environment's calls of
  today from the store (`restore_from_store`).
- `session_ready()` (UI thread) publishes them as `app.tracker` / `app.call_store`.
- `connected()` (each time the session points at an API) follows the session's environment
  (`ConsoleSession.environment`, narrowed by its tenant once known): on a new one the tracker
  drops the other environment's calls, the new one's are read from the store in a thread and
  attached, and `reset` tells the screens to resynchronise. Then it watches the agents the
  profiles mark `watch = true` — and in `--demo` every demo agent, so calls placed from the
  CLI show up — and starts the tracker's loop (an asyncio task on the app's loop).
- `check_health()` (once a second) puts what the tracker's requests say about the API into
  the header (`app.set_health`) when that changes: offline, degraded, paused, online.
- The tracker calls `on_batch` on that loop at the end of each poll cycle. Batches are
  coalesced here and delivered with ONE `app.calls_changed` signal per UI turn, so the Calls
  table applies one diff per delivery, whatever the tracker's cycle rate.
- `track(...)` hands a call placed by Send / redial / reconcile to the tracker.
- `stop()` on unmount: cancels polling and flushes the last changes to the store.
- Once the tracker is published, the garbage collector's full collections are made 3× rarer
  (`console.tui.collector.space_full_collections`).

No widget code here: screens subscribe to `app.calls_changed`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from textual.signal import Signal

from console.tui import collector

if TYPE_CHECKING:
    from console.account.session import ConsoleSession
    from console.store.history import CallStore
    from console.api.client import ApiClient
    from console.tracker import CallTracker, Clock, Health, TrackedCall
    from console.tui.app import CallConsoleApp

log = logging.getLogger("console.tui.live_calls")

#: Deliveries to the UI are at least this far apart (seconds): the tracker may finish a cycle
#: several times a second (one per agent page); each delivery repaints the table, so they are
#: coalesced. Adds at most this much to the time a change takes to show.
MIN_DELIVERY_INTERVAL = 0.25
#: How often the tracker's view of the API is compared with the header's (seconds).
HEALTH_INTERVAL = 1.0
async def heartbeat(client: ApiClient) -> None:
    """The tracker's light read when it has nothing to poll: the connect probe's route."""
    await client.probe_agents()


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
        self._health_shown: Health | None = None
        #: batches delivered to the UI (tests and benchmarks look at it)
        self.deliveries = 0
        #: published when the tracker's set of calls was replaced (another environment):
        #: screens resynchronise with `tracker.calls()` instead of applying a diff
        self.reset: Signal[LiveCalls] = Signal(app, "calls-reset")

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
        kwargs: dict[str, Any] = {"store": store, "on_batch": self._on_batch,
                                  "environment": session.environment, "tenant": session.tenant}
        if self.clock is not None:
            kwargs["clock"] = self.clock
        if self.policy is not None:
            kwargs["policy"] = self.policy
        if getattr(self.app, "probe_enabled", True):
            kwargs["heartbeat"] = heartbeat
        tracker = CallTracker.for_session(session, **kwargs)
        # No environment yet (the demo's simulator is starting): nothing of ours to re-attach.
        if store is not None and tracker.environment is not None:
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
        collector.space_full_collections()
        self.app.tracker = self.tracker
        self.app.call_store = self.store
        if not self._subscribed:
            self._subscribed = True
            self._subscribe()
        if self.store_error:
            self.app.notify(f"Call history: {self.store_error}", title="History unavailable",
                            severity="warning", markup=False, timeout=15)
        waiting, self._waiting = self._waiting, []
        for placed, request, via in waiting:
            self.track(placed, request, via=via)
        if self.tracker is not None and len(self.tracker):
            # restored calls: shown at once, even before (or without) polling
            self._on_batch(self.tracker.calls())

    def _subscribe(self) -> None:
        app = self.app
        profiles_changed = getattr(app, "profiles_changed", None)
        if profiles_changed is not None:
            profiles_changed.subscribe(app, lambda _store: self.watch_saved())
        account = getattr(app, "account", None)
        if account is not None:  # the tenant is known once /auth/me answered
            account.changed.subscribe(app, lambda _account: self.follow_environment())
        app.set_interval(HEALTH_INTERVAL, self.check_health, name="api-health")

    def connected(self) -> None:
        """The session points at an API (start, reconnect, environment switch)."""
        if self.tracker is None:
            return
        self.follow_environment()
        self.watch_saved()
        if self.app.demo:
            from console.sim.state import DEMO_AGENTS

            for agent in DEMO_AGENTS:
                self.tracker.watch_agent(agent.agent_id)
        if self.polling and not self.tracker.running:
            self.app.call_later(self.tracker.start)

    def follow_environment(self) -> None:
        """Hold the calls of the session's environment (and tenant) only: on a change, drop
        the others (they stay in the history), re-attach the new one's from the store (read
        in a thread) and tell the screens (`reset`)."""
        tracker = self.tracker
        if tracker is None or not self.app.session_ready:
            return
        session = self.app.session
        environment, tenant = session.environment, session.tenant
        if environment is None and tracker.environment is None:
            return
        new_api = environment != tracker.environment
        if not tracker.use_environment(environment, tenant):
            return
        if new_api:
            self._health_shown = None
        self._pending = {cid: c for cid, c in self._pending.items() if tracker.get(cid) is c}
        self.reset.publish(self)
        if self.store is not None and environment is not None:
            self.app.run_worker(self._reattach(tracker), name="calls-reattach",
                                group="calls-reattach", exit_on_error=False)

    async def _reattach(self, tracker: CallTracker) -> None:
        rows = await asyncio.to_thread(tracker.stored_rows)
        if tracker.attach_rows(rows):
            self._on_batch(tracker.calls())

    def check_health(self) -> None:
        """Put the tracker's view of the API in the header when it changes (none before its
        first request: the connect probe's word stands until then)."""
        tracker = self.tracker
        if tracker is None or not tracker.running:
            return
        health = tracker.health()
        if health is None or health == self._health_shown:
            return
        self._health_shown = health
        self.app.set_health(health.level, health.text)

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

    def dismiss(self, call_id: str) -> bool:
        """Take a lost call off the live view (kept in the history). False: not lost."""
        tracker = self.tracker
        if tracker is None or not tracker.dismiss(call_id):
            return False
        self._pending.pop(call_id, None)
        return True

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
        elif via == "not-answered":  # found after its 408: a call, not an unknown outcome
            tracker.track_status(placed, source="console", request=request, placed_by=operator)
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
        # The Call screen lists the calls it placed with their status: keep it current (a lost
        # call says so there too, not its last server status).
        by_id = {c.call_id: c for c in calls}
        for tracked in self.app.tracked_calls:
            call = by_id.get(tracked.call_id)
            status = None if call is None else ("lost" if call.lost else call.status)
            if status is not None and status != tracked.status:
                tracked.status = status
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
