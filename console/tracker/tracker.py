"""CallTracker: adaptive polling of live calls (headless asyncio; never imports Textual).

One background task runs the loop; the app owns the tracker so calls keep being tracked
whichever screen is shown, and the CLI (`call status --watch`) and campaigns reuse it.

What it tracks
    calls placed here (`track`), calls of *watched* agents placed elsewhere (`watch_agent`:
    found through the agent call list), calls given by the caller (`track_status`, e.g. an
    unknown outcome reconciled from the list), and today's calls re-attached from the
    `CallStore` at start (`restore_from_store`: live ones are polled again, terminal ones are
    shown but never polled).

The loop (all times from the injectable `Clock`)
    1. re-evaluate the time-dependent flags (stale, watchdogs) at least every second;
    2. unless a global pause (429/503 Retry-After) is running, dispatch every call that is due
       (and not already being read): per agent, either one *list refresh* or one GET per call;
    3. flush: write the cycle's changes to the store in one transaction, call `on_update` for
       each changed call and `on_batch` once with all of them;
    4. sleep until the next due time, a flag check, or a wake-up (a request finished, a call
       was added).
    A call is never read twice at once, and its next poll is scheduled when its read FINISHED
    (so slow answers never pile requests up). Every request goes through one gate: a global
    pause, a token bucket of `requests_per_second` and a semaphore of `concurrency`.

List batching (why ≤ 0.2 requests per live call per second is easy)
    When a call is due and its agent has ≥ `batch_threshold` live tracked calls (or is
    watched), the agent's due calls (and those due within `policy.coalesce`) are refreshed with
    `GET /calls/agent/{id}/calls?limit=500&start_date=S` where S = earliest start of those
    calls − `policy.list_margin`, paging with `offset` only
    until every wanted call was seen (at most `max_list_pages` pages). Every tracked call found
    in the pages is updated — including calls that were not due, which are then rescheduled
    from now, so an agent's calls stay due *together* and keep sharing one request. Calls the
    pages did not cover (started before the window, list lagging, page cap) fall back to
    `GET /calls/{id}`, and keep being read that way (so an old long call does not stretch
    every page's window) until a page holds them again.

    Cost per agent ≈ ceil(M / 500) requests per refresh, M = the agent's calls (tracked or not)
    started inside the window, and one refresh per `policy.list_interval` (1 s): live calls
    found in a page are read again within 1 s whatever their state (the page is shared, so an
    answered call need not wait the 2–5 s meant for per-call GETs, and a change shows within
    about a second). So with N live calls:

        requests/s ≈ Σ_agents ceil(M_a / 500) / 1 s

    1,000 live calls on 3 agents (M_a ≈ 334): 3 × 1 / 1 s = 3 req/s → 0.003 per live call per
    second (naive per-call 1 s polling: 1.0; target 0.2). On one agent: 2 pages/s → 0.002.
    Even the worst realistic window (each agent's page also holds 1,500 ended calls of the
    same day: 4 pages) is 12 req/s → 0.012. Measured on the simulator at time scale 1 with
    1,000 calls on the 3 demo agents: ≈ 3 req/s for 600–1,000 live calls (0.003–0.005).
    The cost grows with *agents*, not calls: an agent with k live calls costs 1 req/s batched
    (≤ 0.2 per call once k ≥ 5) instead of k/5..k req/s unbatched. Whatever the spread, the
    global budget caps the total at `requests_per_second` (20 → ≤ 0.02 per call at 1,000
    calls); when the budget is what limits, calls refresh more slowly and show *stale* rather
    than the console flooding the API.

Errors
    429 (and 5xx carrying Retry-After) → global pause until then (default 5 s): nothing is
    sent before it ends. 401/403-not-authenticated → global pause of `policy.auth_pause`, which
    `resume()` ends early once the operator has signed in again.
    Network errors, connection failures and 5xx without Retry-After → that call (or that list
    refresh's calls) backs off exponentially with jitter, capped. 404 on a call → kept, last
    state kept, flagged ``not-found`` after 3 in a row and *lost* after `policy.lost_after`
    (5) in a row: a local final state (not a server status) — no longer polled, out of the live
    counts, kept in the store with its last known fields (`lost_at`), and `dismiss()` takes it
    off the tracker. A list route that answers 404/4xx is not used for that agent for a while
    (per-call GETs instead).

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
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from console.api import errors
from console.api.models import CallResponse, CallStatus, OutboundCallRequest, is_terminal
from console.tracker import health as api_health
from console.tracker import schedule
from console.tracker.clock import Clock, RealClock
from console.tracker.health import Health
from console.tracker.schedule import (
    DEFAULT_MAX_CALL_DURATION,
    DEFAULT_RINGING_TIMEOUT,
    FLAG_NOT_FOUND,
    PollPolicy,
)

if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.account.session import ConsoleSession
    from console.store.history import CallStore, StoredCall

log = logging.getLogger("console.tracker")

T = TypeVar("T")

SOURCES: tuple[str, ...] = ("console", "watched", "restored")
RATE_WINDOW = 10.0  # seconds of history behind `requests_per_second`
LIST_PAGE_SIZE = 500  # the list route's maximum `limit`
DISCOVERY_SLACK = timedelta(seconds=5)  # an ended call this close before the watch began counts



@dataclass(eq=False)
class TrackedCall:
    """One call as the tracker knows it. Mutated only by the tracker's task.

    `first_seen`, `last_ok`, `next_poll_at`, `placed_at`, `answered_at` are clock times
    (monotonic seconds); `status_changes` hold wall times (aware UTC).
    """

    call_id: str
    agent_id: str
    to_number: str
    from_number: str | None
    status: str
    last: CallStatus | None = None
    request: dict[str, Any] | None = None
    placed_by: str | None = None
    source: str = "console"
    first_seen: float = 0.0
    last_ok: float | None = None
    status_changes: list[tuple[datetime, str]] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    done: bool = False
    consecutive_errors: int = 0
    next_poll_at: float = 0.0
    ringing_timeout_seconds: int = DEFAULT_RINGING_TIMEOUT
    max_call_duration_seconds: int = DEFAULT_MAX_CALL_DURATION
    # -- scheduling details
    interval: float = 0.0  # nominal interval of the current state
    follow_ups_done: int = 0
    not_found_count: int = 0
    placed_at: float = 0.0  # clock time the call was placed (estimated for discovered calls)
    answered_at: float | None = None  # clock time it was first seen answered
    placed_wall: datetime | None = None
    last_ok_wall: datetime | None = None
    last_error: str | None = None
    #: Successful reads of this call (its own GETs and list pages that held it).
    reads: int = 0
    #: List refreshes in a row that wanted this call and did not find it (then: GETs).
    list_misses: int = 0
    #: Bumped on every visible change (handy for a UI that diffs).
    version: int = 0
    #: The API it was placed on (`ConsoleSession.environment`); None: not known.
    environment: str | None = None
    #: Wall time it became lost (the API answered 404 `lost_after` times in a row).
    lost_at: datetime | None = None

    @property
    def lost(self) -> bool:
        """A local final state: the API no longer knows the call (404s). `status` keeps the
        last server status seen."""
        return self.lost_at is not None

    @property
    def live(self) -> bool:
        return not self.lost and not is_terminal(self.status)

    @property
    def terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def final(self) -> bool:
        """Ended, failed or lost: nothing more will happen to it."""
        return self.lost or is_terminal(self.status)

    @property
    def tenant_id(self) -> str | None:
        return self.last.tenant_id if self.last is not None else None

    @property
    def started_at(self) -> datetime | None:
        """The server's `started_at`, else when this console placed or first saw the call."""
        started = self.last.started if self.last is not None else None
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        return started or self.placed_wall

    @property
    def disposition(self) -> str | None:
        return self.last.disposition if self.last is not None else None

    @property
    def duration_seconds(self) -> int | None:
        return self.last.duration_seconds if self.last is not None else None


@dataclass(frozen=True)
class TrackerStats:
    """A snapshot for the summary line (safe to read from any thread, no asyncio needed)."""

    requests: int
    list_requests: int
    get_requests: int
    errors: int
    requests_per_second: float  # over the last 10 s
    last_ok: datetime | None  # wall time of the last successful request
    counts: dict[str, int]  # tracked calls per status string (lost calls: in `lost` only)
    tracked: int
    live: int  # tracked calls not done yet (still polled)
    in_flight: int
    backoff_until: datetime | None  # wall time the global pause ends, if one is running
    last_error: str | None
    watched_agents: tuple[str, ...]
    paused_for_sign_in: bool = False  # the pause is for "sign in again", not a Retry-After
    lost: int = 0  # tracked calls that are lost (404s: a local final state)
    environment: str | None = None

    def requests_per_live_call_second(self) -> float | None:
        return self.requests_per_second / self.live if self.live else None


@dataclass
class _Watch:
    agent_id: str
    started_wall: datetime  # when watching began
    since: datetime  # start_date of the next discovery read
    next_at: float  # clock time of the next discovery read


class TokenBucket:
    """`rate` requests per second on average, bursts up to `burst` (default: one second's worth)."""

    def __init__(self, rate: float, clock: Clock, burst: float | None = None):
        if rate <= 0:
            raise ValueError("rate must be > 0")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.clock = clock
        self._tokens = self.capacity
        self._stamp = clock.now()

    def _refill(self) -> None:
        now = self.clock.now()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def try_acquire(self) -> bool:
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    async def acquire(self) -> None:
        while not self.try_acquire():
            await self.clock.sleep((1.0 - self._tokens) / self.rate)


class _Pause(Exception):
    """Internal: the request hit a global pause (429 / Retry-After / auth)."""


def _today_midnight(wall: datetime) -> datetime:
    local = wall.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _request_body(request: OutboundCallRequest | dict[str, Any] | None) -> dict[str, Any] | None:
    from console.store.history import request_body

    return request_body(request)


def _timeouts(body: dict[str, Any] | None) -> tuple[int, int]:
    ringing, max_duration = DEFAULT_RINGING_TIMEOUT, DEFAULT_MAX_CALL_DURATION
    if body:
        try:
            ringing = int(body.get("ringing_timeout_seconds") or ringing)
        except (TypeError, ValueError):
            pass
        try:
            max_duration = int(body.get("max_call_duration_seconds") or max_duration)
        except (TypeError, ValueError):
            pass
    return ringing, max_duration


class CallTracker:
    """Polls tracked calls adaptively. See the module docstring for the policy and its cost.

    `client_provider` is called for every request (so a session that reconnects or refreshes
    its token is picked up). Public methods are meant to be called from the event loop's
    thread (the TUI, the CLI); `stats()` may be read from anywhere, without asyncio.

    Callbacks: at the end of every loop cycle that changed anything visible (status or any
    field of the last read, flags, done, a new call, an error message), the changes are first
    written to the store (one transaction), then `on_update(call)` is called for each changed
    call and `on_batch(calls)` once with all of them — synchronously, on the tracker's task,
    each call at most once per cycle. Calls added by `track()`/`track_status()`/
    `restore_from_store()` are reported on the next cycle. An exception in a callback is
    logged and never stops tracking.
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
        self.store = store
        self.on_update = on_update
        self.on_batch = on_batch
        self.batch_threshold = max(1, batch_threshold)
        self.list_page_size = max(1, min(LIST_PAGE_SIZE, list_page_size))
        self.max_list_pages = max(1, max_list_pages)
        self._rng = rng or random.Random()
        self._bucket = TokenBucket(requests_per_second, self.clock)
        self._sem = asyncio.Semaphore(concurrency)
        self.requests_per_second = requests_per_second
        self.concurrency = concurrency

        self._calls: dict[str, TrackedCall] = {}
        self._active: dict[str, TrackedCall] = {}  # not done: still polled
        self._forgotten: set[str] = set()
        self._watched: dict[str, _Watch] = {}
        self._in_flight: set[str] = set()
        self._agents_busy: set[str] = set()
        self._list_off_until: dict[str, float] = {}
        self._backoff_until = -math.inf
        self._server_pause_until = -math.inf  # the part of the pause the server asked for
        self._server_pause_asked = 0.0  # how long that was (seconds), for the header
        self._resumed = asyncio.Event()        # set by resume(): gate sleepers look again
        self._next_flag_check = -math.inf

        self._changed: dict[str, TrackedCall] = {}
        self._dirty_status: set[str] = set()
        self._dirty_done: set[str] = set()
        self._dirty_lost: set[str] = set()

        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

        self._requests = 0
        self._list_requests = 0
        self._get_requests = 0
        self._errors = 0
        self._recent: deque[float] = deque()
        self._created_at = self.clock.now()
        self._last_ok_wall: datetime | None = None
        self._last_error: str | None = None
        # health (health.py): requests in a row that got no usable answer, and how the last failed
        self._failures_in_row = 0
        self._last_failure: str | None = None
        self._last_request_at = self._created_at

    @classmethod
    def for_session(cls, session: ConsoleSession, **kwargs: Any) -> CallTracker:
        """A tracker on the session's client, with the budget from its settings
        (`poll_requests_per_second`, `poll_concurrency`); other arguments as the constructor."""
        kwargs.setdefault("requests_per_second", session.settings.poll_requests_per_second)
        kwargs.setdefault("concurrency", session.settings.poll_concurrency)
        return cls(lambda: session.client, **kwargs)

    # ------------------------------------------------------------------ public: what to track

    def track(self, placed: CallResponse, request: OutboundCallRequest | dict[str, Any] | None = None,
              placed_by: str | None = None) -> TrackedCall:
        """Track a call this console just placed (from the POST's answer)."""
        now, wall = self.clock.now(), self.clock.wall()
        body = _request_body(request)
        call = self._calls.get(placed.call_id)
        if call is None:
            self._forgotten.discard(placed.call_id)
            interval = schedule.base_interval(placed.status, self.policy)
            call = TrackedCall(
                call_id=placed.call_id, agent_id=placed.agent_id, to_number=placed.to_number,
                from_number=placed.from_number, status=placed.status, request=body,
                placed_by=placed_by, source="console", first_seen=now,
                status_changes=[(wall, placed.status)], next_poll_at=now + interval,
                interval=interval, placed_at=now, placed_wall=wall,
                answered_at=now if placed.status == schedule.ANSWERED else None,
                environment=self.environment)
            self._add(call)
        else:  # discovered through a watched agent before the POST returned
            call.request = body if body is not None else call.request
            call.placed_by = placed_by or call.placed_by
            call.source = "console"
        call.ringing_timeout_seconds, call.max_call_duration_seconds = _timeouts(call.request)
        if self.store is not None:
            try:
                self.store.record_placed(placed, body, placed_by, at=wall,
                                         environment=call.environment)
            except Exception as exc:  # noqa: BLE001 - the store never stops tracking
                self._store_failed(exc)
        self._mark_changed(call, status=False)
        self._wake.set()
        return call

    def track_status(self, status: CallStatus, *, source: str = "watched",
                     request: OutboundCallRequest | dict[str, Any] | None = None,
                     placed_by: str | None = None, flags: Iterable[str] = ()) -> TrackedCall:
        """Track a call known from a status read (list item, reconciled unknown outcome...).

        Pass `flags={"outcome-unknown"}` for a call found by reconciling a POST whose outcome
        was unknown; that flag stays on the call.
        """
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        body = _request_body(request)
        call = self._calls.get(status.call_id)
        if call is not None:
            if body is not None:
                call.request = body
                call.ringing_timeout_seconds, call.max_call_duration_seconds = _timeouts(body)
            call.placed_by = placed_by or call.placed_by
            call.flags.update(flags)
            if not call.done and call.call_id not in self._in_flight:
                self._apply_ok(call, status, self.clock.now(), self.clock.wall(), due=False)
            self._mark_changed(call, status=False)
        else:
            call = self._new_from_status(status, source=source, request=body,
                                         placed_by=placed_by, flags=set(flags))
        if self.store is not None and (body is not None or placed_by is not None):
            try:
                self.store.record_status(status, observed_at=self.clock.wall(), source=source,
                                         placed_by=placed_by, request=body,
                                         environment=call.environment)
            except Exception as exc:  # noqa: BLE001
                self._store_failed(exc)
        self._wake.set()
        return call

    def watch_agent(self, agent_id: str, *, since: datetime | None = None) -> None:
        """Discover this agent's calls placed elsewhere (another operator, the CLI, a script).

        The first read covers calls since `since` (default: today's local midnight) but only
        live ones are taken, plus calls that started after watching began — old ended calls
        are not flooded in. Later reads only look back to the previous read.
        """
        wall = self.clock.wall()
        if agent_id in self._watched:
            return
        self._watched[agent_id] = _Watch(agent_id=agent_id, started_wall=wall,
                                         since=since or _today_midnight(wall),
                                         next_at=self.clock.now())
        self._wake.set()

    def unwatch_agent(self, agent_id: str) -> None:
        """Stop discovering new calls of the agent (calls already tracked stay tracked)."""
        self._watched.pop(agent_id, None)

    def watched_agents(self) -> list[str]:
        return list(self._watched)

    def forget(self, call_id: str) -> None:
        """Stop tracking a call and drop it from memory (it stays in the store)."""
        call = self._drop(call_id)
        if call is not None:
            self._forgotten.add(call_id)

    def _drop(self, call_id: str) -> TrackedCall | None:
        call = self._calls.pop(call_id, None)
        self._active.pop(call_id, None)
        self._changed.pop(call_id, None)
        for dirty in (self._dirty_status, self._dirty_done, self._dirty_lost):
            dirty.discard(call_id)
        return call

    def dismiss(self, call_id: str) -> bool:
        """The operator takes a lost call off the live view: forgotten here, marked dismissed
        in the store (so it is not re-attached at the next start), kept in the history.
        Returns False (and changes nothing) for a call that is not tracked or not lost."""
        call = self._calls.get(call_id)
        if call is None or not call.lost:
            return False
        if self.store is not None:
            try:
                self.store.mark_dismissed([call_id], at=self.clock.wall())
            except Exception as exc:  # noqa: BLE001 - the store never stops tracking
                self._store_failed(exc)
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
            self._agents_busy.clear()
            self._watched.clear()
            self._list_off_until.clear()
            self._forgotten.clear()
            self._backoff_until = self._server_pause_until = -math.inf
            self._resumed.set()
            self._errors, self._last_error, self._last_ok_wall = 0, None, None
            self._failures_in_row, self._last_failure = 0, None
            self._requests = self._list_requests = self._get_requests = 0
            self._recent.clear()
            self._last_request_at = self.clock.now()
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
        if self.store is None:
            return []
        environment, tenant = self.environment, self.tenant
        wall = self.clock.wall()
        since = since or _today_midnight(wall)
        rows: dict[str, StoredCall] = {}
        for row in self.store.calls_since(since, environment=environment):
            rows[row.call_id] = row
        for row in self.store.live_calls(since=since - timedelta(days=1),
                                         environment=environment):
            rows.setdefault(row.call_id, row)
        out = []
        for row in sorted(rows.values(), key=lambda r: (r.started_at or wall, r.call_id)):
            if row.dismissed_at is not None:
                continue
            if tenant is not None and environment is not None:
                last = row.last
                if last is not None and last.tenant_id not in (None, tenant):
                    continue
            out.append((row, self.store.timeline(row.call_id)))
        return out

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
            self._restore(row, timeline, now, wall)
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
        return self._backoff_until if self._backoff_until > self.clock.now() else None

    def stats(self) -> TrackerStats:
        now, wall = self.clock.now(), self.clock.wall()
        recent = [t for t in list(self._recent) if t > now - RATE_WINDOW]
        window = max(1.0, min(RATE_WINDOW, now - self._created_at))
        counts: dict[str, int] = {}
        lost = 0
        for call in list(self._calls.values()):
            if call.lost_at is not None:
                lost += 1
            else:
                counts[call.status] = counts.get(call.status, 0) + 1
        backoff = None
        if self._backoff_until > now:
            backoff = wall + timedelta(seconds=self._backoff_until - now)
        return TrackerStats(
            requests=self._requests, list_requests=self._list_requests,
            get_requests=self._get_requests, errors=self._errors,
            requests_per_second=len(recent) / window, last_ok=self._last_ok_wall,
            counts=counts, tracked=len(self._calls), live=len(self._active),
            in_flight=len(self._in_flight), backoff_until=backoff,
            paused_for_sign_in=(backoff is not None
                                and self._server_pause_until < self._backoff_until),
            last_error=self._last_error, watched_agents=tuple(self._watched), lost=lost,
            environment=self.environment)

    def health(self) -> Health | None:
        """What the requests say about the API for the header (`health.assess`); None: no
        request since the start or the last environment switch. Cheap (no call is looked at)."""
        now = self.clock.now()
        paused = self._backoff_until > now
        server_pause = self._server_pause_asked if self._server_pause_until > now else None
        return api_health.assess(
            requests=self._requests, failures_in_row=self._failures_in_row,
            last_failure=self._last_failure, server_pause=server_pause,
            sign_in_pause=paused and self._server_pause_until < self._backoff_until)

    # ------------------------------------------------------------------ lifecycle

    def resume(self) -> None:
        """End the "sign in again" pause now (the operator has just signed in).

        Calls whose next read waited for that pause are read at once, and requests waiting at
        the gate go ahead. A pause the server asked for (429/503 Retry-After) is kept."""
        now = self.clock.now()
        held = self._backoff_until
        if held <= now:
            return
        self._backoff_until = max(self._server_pause_until, now)
        for call in self._active.values():
            if self._backoff_until < call.next_poll_at <= held:
                call.next_poll_at = self._backoff_until
        log.info("signed in again: polling resumes")
        self._resumed.set()
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
        self._agents_busy.clear()
        self._flush()

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
                if now >= self._backoff_until:
                    self._dispatch(now)
                    self._maybe_heartbeat(now)
                self._flush()
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
        for call in self._active.values():
            if call.call_id in self._in_flight or call.agent_id in self._agents_busy:
                continue
            earliest = min(earliest, call.next_poll_at)
        for watch in self._watched.values():
            if watch.agent_id not in self._agents_busy:
                earliest = min(earliest, watch.next_at)
        heartbeat_at = self._heartbeat_due()
        if heartbeat_at is not None:
            earliest = min(earliest, heartbeat_at)
        if earliest != math.inf:
            earliest = max(earliest, self._backoff_until)
        return min(earliest, self._next_flag_check)

    def _heartbeat_due(self) -> float | None:
        """When the next heartbeat is due; None while any request is under way (its end wakes
        the loop) or without a heartbeat."""
        if self._heartbeat is None or self._tasks:
            return None
        return self._last_request_at + self.policy.heartbeat_interval

    def _maybe_heartbeat(self, now: float) -> None:
        """Nothing requested for `heartbeat_interval` s: one light read, so the health the
        header shows is never older than that even with nothing to poll."""
        due = self._heartbeat_due()
        if due is None or now < due:
            return
        self._spawn(self._send_heartbeat(self._heartbeat))

    async def _send_heartbeat(self, heartbeat: Callable[[ApiClient], Awaitable[Any]]) -> None:
        try:
            await self._request("heartbeat", heartbeat)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - noted by the gate (health, errors); nothing to do
            pass

    def _dispatch(self, now: float) -> None:
        horizon = now + self.policy.coalesce
        candidates: dict[str, list[TrackedCall]] = {}
        idle: dict[str, int] = {}  # per agent: live calls not being read right now
        due_agents: set[str] = set()
        for call in self._active.values():
            if call.call_id in self._in_flight or call.agent_id in self._agents_busy:
                continue
            idle[call.agent_id] = idle.get(call.agent_id, 0) + 1
            if call.next_poll_at <= horizon:
                candidates.setdefault(call.agent_id, []).append(call)
                if call.next_poll_at <= now:
                    due_agents.add(call.agent_id)
        for agent_id, watch in self._watched.items():
            if agent_id not in self._agents_busy and watch.next_at <= now:
                due_agents.add(agent_id)
        for agent_id in due_agents:
            calls = candidates.get(agent_id, [])
            watch = self._watched.get(agent_id)
            list_usable = self._list_off_until.get(agent_id, -math.inf) <= now
            # One list page refreshes every call of the agent it holds (and realigns them), so
            # it pays as soon as the agent has `batch_threshold` live calls, due or not.
            if list_usable and (watch is not None or idle.get(agent_id, 0) >= self.batch_threshold):
                # Calls the last page did not cover are read one by one (an old long call must
                # not stretch every page's window); a page that holds them again heals that.
                listed = [c for c in calls if not c.list_misses]
                list_due = (any(c.next_poll_at <= now for c in listed)
                            or (watch is not None and watch.next_at <= now))
                if list_due:
                    self._agents_busy.add(agent_id)
                    for call in listed:
                        self._in_flight.add(call.call_id)
                    self._spawn(self._refresh_agent(agent_id, listed, watch))
                for call in calls:
                    if call.list_misses and call.next_poll_at <= now:
                        self._in_flight.add(call.call_id)
                        self._spawn(self._poll_one(call))
                continue
            if watch is not None:  # list route off for now: discovery waits for it
                watch.next_at = max(watch.next_at, self._list_off_until.get(agent_id, now))
            for call in calls:
                if call.next_poll_at <= now:
                    self._in_flight.add(call.call_id)
                    self._spawn(self._poll_one(call))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("tracker request task failed", exc_info=task.exception())
        self._wake.set()

    # ------------------------------------------------------------------ requests

    async def _request(self, kind: str, fn: Callable[[ApiClient], Awaitable[T]]) -> T:
        """Send one request through the gate: global pause, token bucket, concurrency cap."""
        async with self._sem:
            while True:
                while (wait := self._backoff_until - self.clock.now()) > 0:
                    await self._sleep_in_pause(wait)
                await self._bucket.acquire()
                if self.clock.now() >= self._backoff_until:
                    break
            now = self.clock.now()
            self._requests += 1
            self._last_request_at = now
            if kind == "list":
                self._list_requests += 1
            elif kind == "get":
                self._get_requests += 1
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - RATE_WINDOW:
                self._recent.popleft()
            try:
                result = await fn(self._client_provider())
            except errors.RateLimited as exc:
                self._error(exc)
                self._answered()
                self._pause(exc.retry_after)
                raise _Pause(str(exc)) from exc
            except errors.ServerError as exc:
                self._error(exc)
                if exc.retry_after is not None:
                    self._answered()
                    self._pause(exc.retry_after)
                    raise _Pause(str(exc)) from exc
                self._failed(api_health.SERVER_ERRORS)
                raise
            except errors.AuthRequired as exc:
                self._error(exc)
                self._answered()
                self._pause(self.policy.auth_pause, server=False)
                raise _Pause(str(exc)) from exc
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._error(exc)
                self._note_failure(exc)
                raise
            self._last_ok_wall = self.clock.wall()
            self._answered()
            return result

    def _answered(self) -> None:
        """The API answered (whatever it said): it is up."""
        self._failures_in_row, self._last_failure = 0, None

    def _failed(self, kind: str) -> None:
        self._failures_in_row += 1
        self._last_failure = kind

    def _note_failure(self, exc: BaseException) -> None:
        """Sort a failed request for the health: no connection, no answer, an unreadable
        answer — or an answer after all (404, 409, 422...: the API is up)."""
        if isinstance(exc, errors.ConnectionFailed):
            self._failed(api_health.UNREACHABLE)
        elif isinstance(exc, errors.NetworkError):
            self._failed(api_health.NO_ANSWER)
        elif isinstance(exc, errors.BadResponse):
            self._failed(api_health.BAD_ANSWERS)
        elif isinstance(exc, errors.ApiError) and exc.status_code is not None:
            self._answered()

    async def _sleep_in_pause(self, seconds: float) -> None:
        """Sleep through a global pause, or until `resume()` ends it early."""
        self._resumed.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        resumed = asyncio.ensure_future(self._resumed.wait())
        try:
            await asyncio.wait({sleeper, resumed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            resumed.cancel()

    def _pause(self, retry_after: float | None, *, server: bool = True) -> None:
        """A global pause: `server` when the API asked for it (Retry-After), else for auth."""
        seconds = self.policy.default_retry_after if retry_after is None else max(0.0, retry_after)
        until = self.clock.now() + seconds
        if server:
            if until >= self._server_pause_until:
                self._server_pause_asked = seconds
            self._server_pause_until = max(self._server_pause_until, until)
        if until > self._backoff_until:
            self._backoff_until = until
            log.info("API asked to back off: pausing polling for %.1f s", seconds)

    def _error(self, exc: BaseException) -> None:
        self._errors += 1
        self._last_error = str(exc) or type(exc).__name__

    async def _poll_one(self, call: TrackedCall) -> None:
        try:
            status = await self._request(
                "get", lambda client: client.get_call(call.call_id, retries=0))
        except _Pause:
            call.next_poll_at = max(call.next_poll_at, self._backoff_until)
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
        call.consecutive_errors += 1
        message = str(exc) or type(exc).__name__
        visible = call.last_error != message
        call.last_error = message
        if not_found:
            call.not_found_count += 1
            if (call.not_found_count >= self.policy.not_found_after
                    and FLAG_NOT_FOUND not in call.flags):
                call.flags.add(FLAG_NOT_FOUND)
                visible = True
            if call.not_found_count >= self.policy.lost_after:
                self._lose(call)
                return
        else:
            call.not_found_count = 0
        if delay is None:
            call.next_poll_at = schedule.after_error(call, now, self._rng, self.policy)
        else:
            call.next_poll_at = now + delay
        if visible:
            self._mark_changed(call, status=False)

    async def _refresh_agent(self, agent_id: str, calls: list[TrackedCall],
                             watch: _Watch | None) -> None:
        wanted = {c.call_id: c for c in calls}
        wall0 = self.clock.wall()
        margin = timedelta(seconds=self.policy.list_margin)
        starts = [s for s in (c.started_at for c in calls) if s is not None]
        start = (min(starts) - margin) if starts else wall0 - margin
        if watch is not None:
            start = min(start, watch.since)
        found: dict[str, CallStatus] = {}
        fallback: list[TrackedCall] = []
        try:
            offset = 0
            for _ in range(self.max_list_pages):
                page = await self._request(
                    "list", lambda client, o=offset: client.list_calls(
                        agent_id, limit=self.list_page_size, offset=o, start_date=start,
                        retries=0))
                for item in page.calls:
                    found[item.call_id] = item
                offset += len(page.calls)
                if (len(page.calls) < self.list_page_size
                        or (page.total is not None and offset >= page.total)):
                    break
                if watch is None and all(cid in found for cid in wanted):
                    break
        except _Pause:
            for call in calls:
                call.next_poll_at = max(call.next_poll_at, self._backoff_until)
            if watch is not None:
                watch.next_at = max(watch.next_at, self._backoff_until)
        except (errors.NotFound, errors.RequestRejected, errors.Forbidden):
            # This server (or agent) has no usable list route: per-call GETs for a while.
            now = self.clock.now()
            self._list_off_until[agent_id] = now + self.policy.list_retry_after
            if watch is not None:
                watch.next_at = now + self.policy.list_retry_after
            fallback = [c for c in calls if c.next_poll_at <= now]
        except errors.BadResponse:
            # Unreadable this time (a proxy page, a cut body): read the calls one by one.
            now = self.clock.now()
            if watch is not None:
                watch.next_at = now + self.policy.discovery_interval
            fallback = list(calls)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - network errors: the calls back off together
            worst = max((c.consecutive_errors for c in calls), default=0) + 1
            delay = schedule.error_delay(worst, self._rng, self.policy)
            for call in calls:
                self._call_failed(call, exc, delay=delay)
            if watch is not None:
                watch.next_at = self.clock.now() + delay
        else:
            now, wall = self.clock.now(), self.clock.wall()
            for item in found.values():
                call = self._calls.get(item.call_id)
                if call is None:
                    if watch is not None and self._discoverable(item, watch):
                        self._new_from_status(item, source="watched")
                    continue
                if call.done:
                    continue
                call.list_misses = 0
                if item.call_id in wanted:
                    self._apply_ok(call, item, now, wall, due=True)
                elif item.call_id not in self._in_flight:
                    self._apply_ok(call, item, now, wall, due=False)
                else:
                    continue
                if not call.done and call.live:
                    call.next_poll_at = min(call.next_poll_at, now + self.policy.list_interval)
            fallback = [c for cid, c in wanted.items() if cid not in found]
            for call in fallback:
                call.list_misses += 1
            if watch is not None and self._watched.get(agent_id) is watch:
                watch.since = wall0 - margin
                watch.next_at = now + self.policy.discovery_interval
        finally:
            self._agents_busy.discard(agent_id)
            for cid in wanted:
                self._in_flight.discard(cid)
        for call in fallback:
            if self._calls.get(call.call_id) is call and not call.done:
                self._in_flight.add(call.call_id)
                self._spawn(self._poll_one(call))

    def _discoverable(self, item: CallStatus, watch: _Watch) -> bool:
        if item.call_id in self._forgotten:
            return False
        if not is_terminal(item.status):
            return True
        started = item.started
        if started is None:
            return False
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        return started >= watch.started_wall - DISCOVERY_SLACK

    # ------------------------------------------------------------------ state changes

    def _add(self, call: TrackedCall) -> None:
        self._calls[call.call_id] = call
        if not call.done:
            self._active[call.call_id] = call

    def _estimate_placed_at(self, started: datetime | None, now: float, wall: datetime) -> float:
        if started is None:
            return now
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        return now - max(0.0, (wall - started).total_seconds())

    def _new_from_status(self, status: CallStatus, *, source: str,
                         request: dict[str, Any] | None = None, placed_by: str | None = None,
                         flags: set[str] | None = None) -> TrackedCall:
        now, wall = self.clock.now(), self.clock.wall()
        self._forgotten.discard(status.call_id)
        ringing, max_duration = _timeouts(request)
        call = TrackedCall(
            call_id=status.call_id, agent_id=status.agent_id, to_number=status.to_number,
            from_number=status.from_number, status=status.status, last=status, request=request,
            placed_by=placed_by, source=source, first_seen=now, last_ok=now, last_ok_wall=wall,
            reads=1, status_changes=[(wall, status.status)], flags=set(flags or ()),
            ringing_timeout_seconds=ringing, max_call_duration_seconds=max_duration,
            placed_at=self._estimate_placed_at(status.started, now, wall),
            placed_wall=wall if status.started is None else None,
            answered_at=now if status.status == schedule.ANSWERED else None,
            environment=self.environment)
        plan = schedule.after_success(call, now, previous_status=None, due=True,
                                      policy=self.policy)
        call.interval, call.next_poll_at = plan.interval, plan.at
        call.follow_ups_done, call.done = plan.follow_ups_done, plan.done
        self._add(call)
        call.flags |= schedule.computed_flags(call, now, self.policy)
        self._mark_changed(call, status=True)
        return call

    def _restore(self, row: StoredCall, timeline: list[tuple[datetime, str]], now: float,
                 wall: datetime) -> TrackedCall:
        last = row.last
        request = row.request
        ringing, max_duration = _timeouts(request)
        placed_at = self._estimate_placed_at(row.started_at, now, wall)
        answered_at = None
        for when, status in timeline:
            if status == schedule.ANSWERED:
                answered_at = self._estimate_placed_at(when, now, wall)
                break
        terminal = is_terminal(row.status)
        call = TrackedCall(
            call_id=row.call_id, agent_id=row.agent_id, to_number=row.to_number,
            from_number=row.from_number, status=row.status, last=last, request=request,
            placed_by=row.placed_by, source="restored", first_seen=now,
            status_changes=list(timeline) or [(wall, row.status)],
            done=terminal or row.done or row.lost,
            next_poll_at=now, ringing_timeout_seconds=ringing,
            max_call_duration_seconds=max_duration,
            interval=schedule.base_interval(row.status, self.policy), placed_at=placed_at,
            answered_at=answered_at, placed_wall=row.started_at or row.created_at,
            environment=row.environment,
            lost_at=row.lost_at, flags={FLAG_NOT_FOUND} if row.lost else set())
        self._add(call)
        self._mark_changed(call, status=False)
        return call

    def _apply_ok(self, call: TrackedCall, status: CallStatus, now: float, wall: datetime, *,
                  due: bool) -> None:
        previous = call.status
        data_changed = call.last != status
        status_changed = status.status != previous
        call.last = status
        call.status = status.status
        call.to_number = status.to_number
        call.from_number = status.from_number
        if status_changed:
            call.status_changes.append((wall, status.status))
        if status.status == schedule.ANSWERED and call.answered_at is None:
            call.answered_at = now
        call.last_ok, call.last_ok_wall = now, wall
        call.reads += 1
        visible_error = call.last_error is not None
        call.consecutive_errors = 0
        call.not_found_count = 0
        call.last_error = None
        plan = schedule.after_success(call, now, previous_status=previous, due=due,
                                      policy=self.policy)
        call.interval, call.next_poll_at = plan.interval, plan.at
        call.follow_ups_done = plan.follow_ups_done
        became_done = plan.done and not call.done
        if became_done:
            call.done = True
            self._active.pop(call.call_id, None)
        flags_changed = self._update_flags(call, now, clear_not_found=True)
        if data_changed or status_changed:
            self._mark_changed(call, status=True)
        elif flags_changed or became_done or visible_error:
            self._mark_changed(call, status=False)

    def _lose(self, call: TrackedCall) -> None:
        """The API answered 404 `lost_after` times in a row: a local final state. The last
        known fields stay; the call is finished (never polled again, out of the live calls)."""
        call.lost_at = self.clock.wall()
        call.done = True
        call.flags = (call.flags - schedule.COMPUTED_FLAGS) | {FLAG_NOT_FOUND}
        self._active.pop(call.call_id, None)
        self._dirty_lost.add(call.call_id)
        log.info("call %s is lost: the API answered 404 %d times in a row", call.call_id,
                 call.not_found_count)
        self._mark_changed(call, status=False)

    def _update_flags(self, call: TrackedCall, now: float, *, clear_not_found: bool = False) -> bool:
        flags = (call.flags - schedule.COMPUTED_FLAGS)
        if clear_not_found:
            flags.discard(FLAG_NOT_FOUND)
        if not call.done:
            flags |= schedule.computed_flags(call, now, self.policy)
        if flags != call.flags:
            call.flags = flags
            return True
        return False

    def _check_flags(self, now: float) -> None:
        for call in list(self._active.values()):
            if self._update_flags(call, now):
                self._mark_changed(call, status=False)

    def _mark_changed(self, call: TrackedCall, *, status: bool) -> None:
        call.version += 1
        self._changed[call.call_id] = call
        if status:
            self._dirty_status.add(call.call_id)
        if call.done:
            self._dirty_done.add(call.call_id)

    def _store_failed(self, exc: BaseException) -> None:
        log.error("call history write failed: %s", exc)
        self._last_error = f"history: {exc}"

    def _flush(self) -> None:
        """Write this cycle's changes (one transaction) and report them."""
        if not self._changed:
            return
        changed = [c for c in self._changed.values() if self._calls.get(c.call_id) is c]
        dirty, done, lost = self._dirty_status, self._dirty_done, self._dirty_lost
        self._changed, self._dirty_status, self._dirty_done = {}, set(), set()
        self._dirty_lost = set()
        if self.store is not None and (dirty or done or lost):
            by_source: dict[tuple[str, str | None], list[CallStatus]] = {}
            for call in changed:
                if call.call_id in dirty and call.last is not None:
                    source = "watched" if call.source == "watched" else "console"
                    by_source.setdefault((source, call.environment), []).append(call.last)
            try:
                with self.store.transaction():
                    wall = self.clock.wall()
                    for (source, environment), statuses in by_source.items():
                        self.store.record_statuses(statuses, observed_at=wall, source=source,
                                                   environment=environment)
                    self.store.mark_done(cid for cid in done if cid in self._calls)
                    for cid in lost:
                        call = self._calls.get(cid)
                        if call is not None:
                            self.store.mark_lost([cid], at=call.lost_at)
            except Exception as exc:  # noqa: BLE001
                self._store_failed(exc)
        if self.on_update is not None:
            for call in changed:
                try:
                    self.on_update(call)
                except Exception:  # noqa: BLE001
                    log.exception("on_update callback failed")
        if self.on_batch is not None and changed:
            try:
                self.on_batch(changed)
            except Exception:  # noqa: BLE001
                log.exception("on_batch callback failed")
