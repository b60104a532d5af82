"""CallTracker: adaptive polling of live calls (headless asyncio; never imports Textual).

One background task runs the loop; the app owns the tracker so calls keep being tracked
whichever screen is shown, and the CLI (`call status --watch`) and campaigns reuse it.

What it tracks
    calls placed here (`track`), calls of *watched* agents placed elsewhere (`watch_agent`:
    found through the agent call list), calls given by the caller (`track_status`, e.g. an
    unknown outcome reconciled from the list), calls known only by their id (`track_id`, the
    CLI's `call status --watch`), and today's calls re-attached from the `CallStore` at start
    (`restore_from_store`: live ones are polled again, terminal ones are shown but never
    polled).

The loop (all times from the injectable `Clock`)
    1. re-evaluate the time-dependent flags (stale, watchdogs) at least every second;
    2. unless a global pause (429/503 Retry-After) is running, dispatch every call that is due
       (and not already being read): per agent, either one *list refresh* or one GET per call;
    3. flush: write the cycle's changes to the store in one transaction (on the store's writer
       thread, awaited: the loop stays free meanwhile), then call `on_update` for each changed
       call and `on_batch` once with all of them;
    4. sleep until the next due time, a flag check, or a wake-up (a request finished, a call
       was added).
    A call is never read twice at once, and its next poll is scheduled when its read FINISHED
    (so slow answers never pile requests up). Every request goes through one gate: a global
    pause, a token bucket of `requests_per_second` and a semaphore of `concurrency`.

Where the rest lives
    `model.py` the tracked call and what a read does to it; `schedule.py` when each call is read
    next (intervals, follow-ups for late fields, backoff, flags); `gate.py` the request gate
    (global pauses on 429/503 Retry-After and 401, the budget, the health figures);
    `batching.py` list refreshes, their fall-back to GETs, watched agents, and the cost model
    (≈ 0.003 requests per live call per second at 1,000 calls); `persistence.py` the writes to
    the `CallStore` and the restore from it; `health.py` what the header says.

Errors of one call
    Network errors, connection failures and 5xx without Retry-After → that call (or that list
    refresh's calls) backs off exponentially with jitter, capped. 404 on a call → kept, last
    state kept, flagged ``not-found`` after 3 in a row and *lost* after `policy.lost_after`
    (5) in a row: a local final state (not a server status) — no longer polled, out of the live
    counts, kept in the store with its last known fields (`lost_at`), and `dismiss()` takes it
    off the tracker. `on_wait` is told of each of these waits, and of every global pause.

Environments
    Calls belong to the API they were placed on (`environment`: `ConsoleSession.environment`,
    the base URL or one `--demo` run, and the tenant when known). The tracker holds and polls
    only the calls of its current environment; `use_environment()` switches (flush, drop the
    other calls from memory — they stay in the store — cancel requests in flight, forget the
    watches, pauses and error counts of the old API) and `restore_from_store()` then brings
    back the new environment's calls. A tracker built without an environment (headless tools,
    tests) holds every call, as before.

Health
    The gate notes whether each request got an answer; `health()` says what the header shows
    (`console/tracker/health.py`). With a `heartbeat` (a light read such as `GET /agents`), a
    tracker with nothing to poll sends one every `policy.heartbeat_interval` seconds, so a dead
    API is noticed even then.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import threading
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from console.api import errors
from console.api.models import CallResponse, CallStatus, OutboundCallRequest
from console.tracker import schedule
from console.tracker.batching import LIST_PAGE_SIZE, AgentLists, Refresh
from console.tracker.clock import Clock, RealClock, today_midnight, wait_with
from console.tracker.gate import Paused, RequestGate
from console.tracker.health import Health
from console.tracker.model import (
    DATA,
    SOURCES,
    TrackedCall,
    TrackerStats,
    Wait,
    apply_read,
    call_from_status,
    placed_call,
    record_failure,
    request_timeouts,
    unread_call,
    update_flags,
)
from console.tracker.persistence import StoreSync, request_body, restored_call
from console.tracker.schedule import FLAG_NOT_FOUND, PollPolicy

if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.account.session import ConsoleSession
    from console.store.history import CallStore, StoredCall

__all__ = ["CallTracker", "TrackedCall", "TrackerStats", "Wait"]

log = logging.getLogger("console.tracker")


class CallTracker:
    """Polls tracked calls adaptively. See the module docstring for the policy and its cost.

    `client_provider` is called for every request (so a session that reconnects or refreshes
    its token is picked up). Public methods are meant to be called from the event loop's
    thread (the TUI, the CLI); `stats()` may be read from anywhere, without asyncio.

    Callbacks: at the end of every loop cycle that changed anything visible (status or any
    field of the last read, flags, done, a new call, an error message), the changes are first
    written to the store (one transaction), then `on_update(call)` is called for each changed
    call and `on_batch(calls)` once with all of them — synchronously, on the tracker's task,
    each call at most once per cycle. Calls added by `track()`/`track_status()`/`track_id()`/
    `restore_from_store()` are reported on the next cycle. `on_wait(wait)` is called as a
    wait begins (a global pause, or a call backing off after a failed read; see `Wait`). An
    exception in a callback is logged and never stops tracking.
    """

    def __init__(
        self,
        client_provider: Callable[[], ApiClient],
        *,
        clock: Clock | None = None,
        requests_per_second: float = 20.0,
        concurrency: int = 8,
        store: CallStore | None = None,
        on_update: Callable[[TrackedCall], None] | None = None,
        on_batch: Callable[[list[TrackedCall]], None] | None = None,
        batch_threshold: int = 3,
        policy: PollPolicy | None = None,
        rng: random.Random | None = None,
        list_page_size: int = LIST_PAGE_SIZE,
        max_list_pages: int = 4,
        environment: str | None = None,
        tenant: str | None = None,
        heartbeat: Callable[[ApiClient], Awaitable[Any]] | None = None,
        on_wait: Callable[[Wait], None] | None = None,
    ):
        """`environment`/`tenant`: whose calls this tracker holds (see `use_environment`).
        `heartbeat(client)`: a light read sent when nothing was requested for
        `policy.heartbeat_interval` seconds (None: no heartbeat)."""
        if concurrency < 1:
            raise ValueError("concurrency must be ≥ 1")
        self._client_provider = client_provider
        self.environment = environment
        self.tenant = tenant
        self._heartbeat = heartbeat
        self.clock: Clock = clock or RealClock()
        self.policy = policy or PollPolicy()
        self.on_update = on_update
        self.on_batch = on_batch
        self._listeners: list[Callable[[TrackedCall], None]] = []
        self.on_wait = on_wait
        self._rng = rng or random.Random()
        self.requests_per_second = requests_per_second
        self.concurrency = concurrency
        self._gate = RequestGate(client_provider, self.clock, self.policy,
                                 requests_per_second=requests_per_second,
                                 concurrency=concurrency, on_wait=on_wait)
        self._lists = AgentLists(self, batch_threshold=batch_threshold,
                                 page_size=list_page_size, max_pages=max_list_pages)
        self._sync = StoreSync(store, self._store_failed)

        self._calls: dict[str, TrackedCall] = {}
        self._active: dict[str, TrackedCall] = {}  # not done: still polled
        self._forgotten: set[str] = set()
        self._in_flight: set[str] = set()
        self._next_flag_check = -math.inf
        self._changed: dict[str, TrackedCall] = {}
        self._unreported: list[TrackedCall] = []  # written (or being written), not reported
        # Calls per status for `stats()`, kept up to date from the calls that changed since it
        # last looked (it is read on every diff and tick of the Calls screen: counting 2,000
        # calls each time was per-call work on the UI loop). A lock: `stats()` may be read
        # from another thread.
        self._counted: dict[str, str | None] = {}  # call id → status counted (None: lost)
        self._counts: dict[str | None, int] = {}
        self._recount: set[str] = set()
        self._count_lock = threading.Lock()

        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def for_session(cls, session: ConsoleSession, **kwargs: Any) -> CallTracker:
        """A tracker on the session's client, with the budget from its settings
        (`poll_requests_per_second`, `poll_concurrency`); other arguments as the constructor."""
        kwargs.setdefault("requests_per_second", session.settings.poll_requests_per_second)
        kwargs.setdefault("concurrency", session.settings.poll_concurrency)
        return cls(lambda: session.client, **kwargs)

    @property
    def store(self) -> CallStore | None:
        return self._sync.store

    @property
    def batch_threshold(self) -> int:
        return self._lists.batch_threshold

    @property
    def list_page_size(self) -> int:
        return self._lists.page_size

    @property
    def max_list_pages(self) -> int:
        return self._lists.max_pages

    # ------------------------------------------------------------------ public: what to track

    def track(self, placed: CallResponse, request: OutboundCallRequest | dict[str, Any] | None = None,
              placed_by: str | None = None, *, campaign: str | None = None) -> TrackedCall:
        """Track a call this console just placed (from the POST's answer); `campaign`: the
        name of the campaign that dialled it (kept on the call and in the store)."""
        now, wall = self.clock.now(), self.clock.wall()
        body = request_body(request)
        call = self._calls.get(placed.call_id)
        if call is None:
            self._forgotten.discard(placed.call_id)
            call = placed_call(placed, body=body, placed_by=placed_by, now=now, wall=wall,
                               policy=self.policy, environment=self.environment,
                               campaign=campaign)
            self._add(call)
        else:  # discovered through a watched agent before the POST returned
            call.request = body if body is not None else call.request
            call.placed_by = placed_by or call.placed_by
            call.source = "console"
            call.campaign = campaign or call.campaign
        call.ringing_timeout_seconds, call.max_call_duration_seconds = request_timeouts(call.request)
        self._sync.record_placed(placed, body, placed_by, at=wall, environment=call.environment,
                                 campaign=campaign)
        self._mark_changed(call, status=False)
        self._wake.set()
        return call

    def track_status(self, status: CallStatus, *, source: str = "watched",
                     request: OutboundCallRequest | dict[str, Any] | None = None,
                     placed_by: str | None = None, flags: Iterable[str] = (),
                     campaign: str | None = None) -> TrackedCall:
        """Track a call known from a status read (list item, reconciled unknown outcome...).

        Pass `flags={"outcome-unknown"}` for a call found by reconciling a POST whose outcome
        was unknown; that flag stays on the call.
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        body = request_body(request)
        call = self._calls.get(status.call_id)
        if call is not None:
            if body is not None:
                call.request = body
                call.ringing_timeout_seconds, call.max_call_duration_seconds = request_timeouts(body)
            call.placed_by = placed_by or call.placed_by
            call.campaign = campaign or call.campaign
            call.flags.update(flags)
            if not call.done and call.call_id not in self._in_flight:
                self._apply_ok(call, status, self.clock.now(), self.clock.wall(), due=False)
            self._mark_changed(call, status=False)
        else:
            call = self._new_from_status(status, source=source, request=body,
                                         placed_by=placed_by, flags=set(flags),
                                         campaign=campaign)
        if body is not None or placed_by is not None or campaign is not None:
            self._sync.record_status(status, observed_at=self.clock.wall(), source=source,
                                     placed_by=placed_by, body=body,
                                     environment=call.environment, campaign=campaign)
        self._wake.set()
        return call

    def track_id(self, call_id: str) -> TrackedCall:
        """Track a call known only by its id (the CLI's `call status --watch`): it is read at
        once, then like any other call. Until that first read its agent, numbers and status
        are empty strings and `last` is None. A call already tracked is returned as it is."""
        call = self._calls.get(call_id)
        if call is not None:
            return call
        self._forgotten.discard(call_id)
        call = unread_call(call_id, now=self.clock.now(), policy=self.policy,
                           environment=self.environment)
        self._add(call)
        self._mark_changed(call, status=False)
        self._wake.set()
        return call

    def watch_agent(self, agent_id: str, *, since: datetime | None = None) -> None:
        """Discover this agent's calls placed elsewhere (another operator, the CLI, a script).

        The first read covers calls since `since` (default: today's local midnight) but only
        live ones are taken, plus calls that started after watching began — old ended calls
        are not flooded in. Later reads only look back to the previous read.
        """
        wall = self.clock.wall()
        if self._lists.watch(agent_id, wall=wall, now=self.clock.now(),
                             since=since or today_midnight(wall)):
            self._wake.set()

    def unwatch_agent(self, agent_id: str) -> None:
        """Stop discovering new calls of the agent (calls already tracked stay tracked)."""
        self._lists.unwatch(agent_id)

    def watched_agents(self) -> list[str]:
        return list(self._lists.watched)

    def add_listener(self, listener: Callable[[TrackedCall], None]) -> None:
        """Hear every changed call like `on_update` does, beside it (a campaign running on the
        TUI's tracker: its calls then show in the Calls table and are polled once)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[TrackedCall], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def forget(self, call_id: str) -> None:
        """Stop tracking a call and drop it from memory (it stays in the store)."""
        call = self._drop(call_id)
        if call is not None:
            self._forgotten.add(call_id)

    def _drop(self, call_id: str) -> TrackedCall | None:
        call = self._calls.pop(call_id, None)
        self._recount_later(call_id)
        self._active.pop(call_id, None)
        self._changed.pop(call_id, None)
        self._sync.unmark(call_id)
        return call

    def dismiss(self, call_id: str) -> bool:
        """The operator takes a lost call off the live view: forgotten here, marked dismissed
        in the store (so it is not re-attached at the next start), kept in the history.
        Returns False (and changes nothing) for a call that is not tracked or not lost."""
        call = self._calls.get(call_id)
        if call is None or not call.lost:
            return False
        self._sync.mark_dismissed(call_id, at=self.clock.wall())
        self.forget(call_id)
        return True

    def belongs(self, environment: str | None, tenant: str | None) -> bool:
        """Whether a call of `environment` (and `tenant`, when known) is this tracker's to
        hold: always without an environment; else the same environment, and the same tenant
        when both sides know theirs."""
        if self.environment is None:
            return True
        if environment != self.environment:
            return False
        return self.tenant is None or tenant is None or tenant == self.tenant

    def use_environment(self, environment: str | None, tenant: str | None = None) -> bool:
        """Hold and poll only the calls of `environment` (and `tenant`) from now on.

        Pending changes are written first; calls of another environment (or, once the tenant
        is known, of another tenant) are dropped from memory — they stay in the store. On a
        new environment the requests in flight are cancelled and the watches, list-route
        fallbacks, pauses and error counts of the old API are forgotten (watch the new
        environment's agents again). Call `restore_from_store()` (or `stored_rows()` +
        `attach_rows()`) after it to bring back the new environment's calls. Returns False
        when nothing changed.
        """
        if (environment, tenant) == (self.environment, self.tenant):
            return False
        self._flush()
        new_api = environment != self.environment
        self.environment, self.tenant = environment, tenant
        for call in list(self._calls.values()):
            if not self.belongs(call.environment, call.tenant_id):
                self._drop(call.call_id)
        if new_api:
            for task in list(self._tasks):
                task.cancel()
            self._in_flight.clear()
            self._lists.clear()
            self._forgotten.clear()
            self._gate.reset()
        self._wake.set()
        return True

    def restore_from_store(self, since: datetime | None = None) -> int:
        """Re-attach calls from the store: today's (or since `since`) plus any live ones, of
        the current environment (and tenant) only; dismissed calls stay in the store.

        Live calls are polled again at once; terminal and lost ones are shown but never
        polled. Returns how many calls were added. Reads the store: in a UI, run
        `stored_rows()` in a thread and `attach_rows()` on the loop instead.
        """
        return self.attach_rows(self.stored_rows(since))

    def stored_rows(self, since: datetime | None = None) -> list[tuple[StoredCall, list]]:
        """The store's calls `restore_from_store()` would re-attach, each with its timeline.
        Only reads the store (safe in a worker thread); changes nothing here."""
        return self._sync.stored_rows(self.environment, self.tenant, wall=self.clock.wall(),
                                      since=since)

    def attach_rows(self, rows: Iterable[tuple[StoredCall, list]]) -> int:
        """Track the rows `stored_rows()` read (on the loop: no I/O). Rows of another
        environment (it changed since they were read) and calls already tracked are skipped."""
        now, wall = self.clock.now(), self.clock.wall()
        added = 0
        for row, timeline in rows:
            if row.call_id in self._calls:
                continue
            last = row.last
            if not self.belongs(row.environment, last.tenant_id if last is not None else None):
                continue
            added += 1
            call = restored_call(row, timeline, now, wall, self.policy)
            self._add(call)
            self._mark_changed(call, status=False)
        self._wake.set()
        return added

    # ------------------------------------------------------------------ public: reading

    def calls(self) -> list[TrackedCall]:
        return list(self._calls.values())

    def get(self, call_id: str) -> TrackedCall | None:
        return self._calls.get(call_id)

    def __len__(self) -> int:
        return len(self._calls)

    def __contains__(self, call_id: object) -> bool:
        return call_id in self._calls

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def backoff_until(self) -> float | None:
        """Clock time the global pause ends, when one is running."""
        until = self._gate.paused_until
        return until if until > self.clock.now() else None

    def stats(self) -> TrackerStats:
        now, wall = self.clock.now(), self.clock.wall()
        gate = self._gate
        counts = self._status_counts()
        lost = counts.pop(None, 0)
        return TrackerStats(
            requests=gate.requests, list_requests=gate.list_requests,
            get_requests=gate.get_requests, errors=gate.errors,
            requests_per_second=gate.rate(now), last_ok=gate.last_ok_wall,
            counts=counts, tracked=len(self._calls), live=len(self._active),
            in_flight=len(self._in_flight), backoff_until=gate.pause_end_wall(now, wall),
            paused_for_sign_in=gate.sign_in_pause(now),
            last_error=gate.last_error, watched_agents=tuple(self._lists.watched), lost=lost,
            environment=self.environment)

    def _status_counts(self) -> dict[str | None, int]:
        """Tracked calls per status (None: lost), recounting only the calls that changed, were
        added or dropped since the last time."""
        with self._count_lock:
            pending, self._recount = self._recount, set()
            counted, counts = self._counted, self._counts
            for call_id in pending:
                if call_id in counted:
                    old = counted.pop(call_id)
                    counts[old] -= 1
                call = self._calls.get(call_id)
                if call is not None:
                    key = None if call.lost_at is not None else call.status
                    counted[call_id] = key
                    counts[key] = counts.get(key, 0) + 1
            return {key: count for key, count in counts.items() if count}

    def health(self) -> Health | None:
        """What the requests say about the API for the header (`health.assess`); None: no
        request since the start or the last environment switch. Cheap (no call is looked at)."""
        return self._gate.health()

    # ------------------------------------------------------------------ lifecycle

    def resume(self) -> None:
        """End the "sign in again" pause now (the operator has just signed in).

        Calls whose next read waited for that pause are read at once, and requests waiting at
        the gate go ahead. A pause the server asked for (429/503 Retry-After) is kept."""
        held = self._gate.end_sign_in_pause()
        if held is None:
            return
        until = self._gate.paused_until
        for call in self._active.values():
            if until < call.next_poll_at <= held:
                call.next_poll_at = until
        log.info("signed in again: polling resumes")
        self._wake.set()

    async def start(self) -> None:
        """Start the background loop (idempotent)."""
        if self.running:
            return
        self._task = asyncio.create_task(self._run(), name="call-tracker")

    async def stop(self) -> None:
        """Cancel the loop and every request in flight; flush pending changes."""
        task, self._task = self._task, None
        pending = [t for t in (task, *self._tasks) if t is not None]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
        self._in_flight.clear()
        self._lists.busy.clear()
        # A cycle stopped while its changes were being written: they are reported once written.
        unreported, self._unreported = self._unreported, []
        drained = self._sync.drain()
        if drained is not None:
            await asyncio.wrap_future(drained)
        self._report([c for c in unreported if self._calls.get(c.call_id) is c])
        await self._flush_cycle()
        self._sync.close()

    async def __aenter__(self) -> CallTracker:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ the loop

    async def _run(self) -> None:
        while True:
            try:
                now = self.clock.now()
                if now >= self._next_flag_check:
                    self._check_flags(now)
                    self._next_flag_check = now + self.policy.flag_check_interval
                if now >= self._gate.paused_until:
                    self._dispatch(now)
                    self._maybe_heartbeat(now)
                await self._flush_cycle()
                delay = self._next_wake(now) - now
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a bug here must not stop tracking
                log.exception("tracker loop iteration failed")
                delay = self.policy.flag_check_interval
            await self._wait(delay)

    async def _wait(self, delay: float) -> None:
        if self._wake.is_set():
            self._wake.clear()
            await asyncio.sleep(0)
            return
        if delay <= 0:
            await asyncio.sleep(0)
            return
        sleeper = asyncio.ensure_future(self.clock.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        self._wake.clear()

    def _next_wake(self, now: float) -> float:
        earliest = math.inf
        busy = self._lists.busy
        for call in self._active.values():
            if call.call_id in self._in_flight or call.agent_id in busy:
                continue
            earliest = min(earliest, call.next_poll_at)
        earliest = min(earliest, self._lists.next_watch_at())
        heartbeat_at = self._heartbeat_due()
        if heartbeat_at is not None:
            earliest = min(earliest, heartbeat_at)
        if earliest != math.inf:
            earliest = max(earliest, self._gate.paused_until)
        return min(earliest, self._next_flag_check)

    def _heartbeat_due(self) -> float | None:
        """When the next heartbeat is due; None while any request is under way (its end wakes
        the loop) or without a heartbeat."""
        if self._heartbeat is None or self._tasks:
            return None
        return self._gate.last_request_at + self.policy.heartbeat_interval

    def _maybe_heartbeat(self, now: float) -> None:
        """Nothing requested for `heartbeat_interval` s: one light read, so the health the
        header shows is never older than that even with nothing to poll."""
        due = self._heartbeat_due()
        if due is None or now < due:
            return
        self._spawn(self._send_heartbeat(self._heartbeat))

    async def _send_heartbeat(self, heartbeat: Callable[[ApiClient], Awaitable[Any]]) -> None:
        try:
            await self._gate.request("heartbeat", heartbeat)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - noted by the gate (health, errors); nothing to do
            pass

    def _dispatch(self, now: float) -> None:
        """Start every read due now (`AgentLists.plan`: list refreshes and single GETs)."""
        for read in self._lists.plan(self._active.values(), self._in_flight, now,
                                     self.policy.coalesce):
            if isinstance(read, Refresh):
                for call in read.calls:
                    self._in_flight.add(call.call_id)
                self._spawn(self._lists.refresh(read.agent_id, read.calls, read.watch))
            else:
                self._in_flight.add(read.call_id)
                self._spawn(self._poll_one(read))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("tracker request task failed", exc_info=task.exception())
        self._wake.set()

    # ------------------------------------------------------------------ one call's reads

    def _poll_each(self, calls: Iterable[TrackedCall]) -> None:
        """GET each of `calls` still tracked and not done (a list refresh's fall-back)."""
        for call in calls:
            if self._calls.get(call.call_id) is call and not call.done:
                self._in_flight.add(call.call_id)
                self._spawn(self._poll_one(call))

    async def _poll_one(self, call: TrackedCall) -> None:
        try:
            status = await self._gate.request(
                "get", lambda client: client.get_call(call.call_id, retries=0))
        except Paused:
            call.next_poll_at = max(call.next_poll_at, self._gate.paused_until)
        except errors.NotFound as exc:
            self._call_failed(call, exc, not_found=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - network, 5xx, bad body, bugs: back off
            self._call_failed(call, exc)
        else:
            if self._calls.get(call.call_id) is call and not call.done:
                self._apply_ok(call, status, self.clock.now(), self.clock.wall(), due=True)
        finally:
            self._in_flight.discard(call.call_id)

    def _call_failed(self, call: TrackedCall, exc: BaseException, *, not_found: bool = False,
                     delay: float | None = None) -> None:
        now = self.clock.now()
        visible, lost = record_failure(call, exc, now, not_found=not_found, delay=delay,
                                       rng=self._rng, policy=self.policy)
        if lost:
            self._lose(call)
            return
        if visible:
            self._mark_changed(call, status=False)
        if self.on_wait is not None:
            try:
                self.on_wait(Wait(call.next_poll_at - now, exc, call.call_id))
            except Exception:  # noqa: BLE001 - a callback never stops tracking
                log.exception("on_wait callback failed")

    # ------------------------------------------------------------------ state changes

    def _add(self, call: TrackedCall) -> None:
        self._calls[call.call_id] = call
        self._recount_later(call.call_id)
        if not call.done:
            self._active[call.call_id] = call

    def _new_from_status(self, status: CallStatus, *, source: str,
                         request: dict[str, Any] | None = None, placed_by: str | None = None,
                         flags: set[str] | None = None,
                         campaign: str | None = None) -> TrackedCall:
        self._forgotten.discard(status.call_id)
        call = call_from_status(status, source=source, request=request, placed_by=placed_by,
                                flags=flags, now=self.clock.now(), wall=self.clock.wall(),
                                policy=self.policy, environment=self.environment,
                                campaign=campaign)
        self._add(call)
        self._mark_changed(call, status=True)
        return call

    def _apply_ok(self, call: TrackedCall, status: CallStatus, now: float, wall: datetime, *,
                  due: bool) -> None:
        change = apply_read(call, status, now, wall, due=due, policy=self.policy)
        if call.done:
            self._active.pop(call.call_id, None)
        if change:
            self._mark_changed(call, status=change == DATA)

    def _lose(self, call: TrackedCall) -> None:
        """The API answered 404 `lost_after` times in a row: a local final state. The last
        known fields stay; the call is finished (never polled again, out of the live calls)."""
        call.lost_at = self.clock.wall()
        call.done = True
        call.flags = (call.flags - schedule.COMPUTED_FLAGS) | {FLAG_NOT_FOUND}
        self._active.pop(call.call_id, None)
        self._sync.mark_lost(call.call_id)
        log.info("call %s is lost: the API answered 404 %d times in a row", call.call_id,
                 call.not_found_count)
        self._mark_changed(call, status=False)

    def _check_flags(self, now: float) -> None:
        for call in list(self._active.values()):
            if update_flags(call, now, self.policy):
                self._mark_changed(call, status=False)

    def _recount_later(self, call_id: str) -> None:
        with self._count_lock:
            self._recount.add(call_id)

    def _mark_changed(self, call: TrackedCall, *, status: bool) -> None:
        call.version += 1
        self._changed[call.call_id] = call
        self._recount_later(call.call_id)
        self._sync.mark(call, status=status)

    def _store_failed(self, exc: BaseException) -> None:
        log.error("call history write failed: %s", exc)
        self._gate.last_error = f"history: {exc}"

    def _take_changed(self) -> list[TrackedCall]:
        changed = [c for c in self._changed.values() if self._calls.get(c.call_id) is c]
        self._changed = {}
        return changed

    def _flush(self) -> None:
        """Write the changes so far (one transaction; this thread waits for it, behind any
        write queued before) and report them. Off the loop's cycle: stop, environment switch."""
        if not self._changed:
            return
        changed = self._take_changed()
        written = self._sync.write(changed, self._calls, self.clock.wall)
        if written is not None:
            written.result()
        self._report(changed)

    async def _flush_cycle(self) -> None:
        """The loop's flush: this cycle's changes written on the store's writer thread (the
        loop, the UI's in the TUI, runs meanwhile), then reported — each change is in the
        store before anyone is told of it."""
        if not self._changed:
            return
        changed = self._take_changed()
        written = self._sync.write(changed, self._calls, self.clock.wall)
        if written is not None:
            self._unreported = changed
            # shielded: a stop() meanwhile must not cancel a queued write (it reports them)
            await wait_with(self.clock, written)
            self._unreported = []
            changed = [c for c in changed if self._calls.get(c.call_id) is c]
        self._report(changed)

    def _report(self, changed: list[TrackedCall]) -> None:
        """`on_update` and the listeners for each changed call, then `on_batch` once."""
        if not changed:
            return
        for listener in ([self.on_update] if self.on_update is not None else []) + self._listeners:
            for call in changed:
                try:
                    listener(call)
                except Exception:  # noqa: BLE001
                    log.exception("on_update callback failed")
        if self.on_batch is not None and changed:
            try:
                self.on_batch(changed)
            except Exception:  # noqa: BLE001
                log.exception("on_batch callback failed")
