"""The request gate: every request of the tracker (GETs, list pages, heartbeats) goes through it.

A request waits for three things, in this order: the end of any global pause, a token of the
bucket (`requests_per_second` on average, bursts of one second's worth) and a place under the
concurrency cap (a semaphore of `concurrency`, held while the request runs).

Errors that concern every request are handled here, the others are the caller's:
    429 (and 5xx carrying Retry-After) → global pause until then (default
    `policy.default_retry_after`, 5 s): nothing is sent before it ends. 401/403-not-authenticated
    → global pause of `policy.auth_pause`, which `end_sign_in_pause()` ends early once the
    operator has signed in again. Both raise `Paused` to the caller, which reads its calls again
    after the pause. Anything else is raised as it is (the tracker backs that call off).

The gate also keeps the counts the summary line shows (requests, errors, the rate over the last
`RATE_WINDOW` seconds) and notes whether each request got an answer, for `health()`
(`health.py`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from console.api import errors
from console.tracker import health as api_health
from console.tracker.clock import Clock
from console.tracker.health import Health
from console.tracker.model import Wait
from console.tracker.schedule import PollPolicy

if TYPE_CHECKING:
    from console.api.client import ApiClient

log = logging.getLogger("console.tracker")

T = TypeVar("T")

RATE_WINDOW = 10.0  # seconds of history behind `requests_per_second`


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


class Paused(Exception):
    """The request hit a global pause (429 / Retry-After / auth): read again after it."""


class RequestGate:
    """One gate per tracker. `client_provider` is called for every request (a session that
    reconnects or refreshes its token is picked up). `on_wait` is told of every global pause
    (a `Wait` without call id) as it begins."""

    def __init__(self, client_provider: Callable[[], ApiClient], clock: Clock,
                 policy: PollPolicy, *, requests_per_second: float, concurrency: int,
                 on_wait: Callable[[Wait], None] | None = None):
        self._client_provider = client_provider
        self.clock = clock
        self.policy = policy
        self.on_wait = on_wait
        self._bucket = TokenBucket(requests_per_second, clock)
        self._sem = asyncio.Semaphore(concurrency)
        #: Clock time the global pause ends (-inf: none since the start).
        self.paused_until = -math.inf
        self._server_pause_until = -math.inf  # the part of the pause the server asked for
        self._server_pause_asked = 0.0  # how long that was (seconds), for the header
        self._resumed = asyncio.Event()  # set by end_sign_in_pause(): sleepers look again
        self.started_at = clock.now()
        self.requests = 0
        self.list_requests = 0
        self.get_requests = 0
        self.errors = 0
        self._recent: deque[float] = deque()
        self.last_ok_wall: datetime | None = None
        #: The last error message for the summary line (the tracker notes store failures here).
        self.last_error: str | None = None
        # health (health.py): requests in a row that got no usable answer, and how the last failed
        self._failures_in_row = 0
        self._last_failure: str | None = None
        self.last_request_at = self.started_at

    def reset(self) -> None:
        """Forget the pauses, counts and health of the old API (a new environment)."""
        self.paused_until = self._server_pause_until = -math.inf
        self._resumed.set()
        self.errors, self.last_error, self.last_ok_wall = 0, None, None
        self._failures_in_row, self._last_failure = 0, None
        self.requests = self.list_requests = self.get_requests = 0
        self._recent.clear()
        self.last_request_at = self.clock.now()

    # ------------------------------------------------------------------ sending

    async def request(self, kind: str, fn: Callable[[ApiClient], Awaitable[T]]) -> T:
        """Send one request (`kind`: "get", "list" or "heartbeat") through the gate: global
        pause, token bucket, concurrency cap. Raises `Paused` when the answer starts one."""
        async with self._sem:
            while True:
                while (wait := self.paused_until - self.clock.now()) > 0:
                    await self._sleep_in_pause(wait)
                await self._bucket.acquire()
                if self.clock.now() >= self.paused_until:
                    break
            now = self.clock.now()
            self.requests += 1
            self.last_request_at = now
            if kind == "list":
                self.list_requests += 1
            elif kind == "get":
                self.get_requests += 1
            self._recent.append(now)
            while self._recent and self._recent[0] <= now - RATE_WINDOW:
                self._recent.popleft()
            try:
                result = await fn(self._client_provider())
            except errors.RateLimited as exc:
                self._error(exc)
                self._answered()
                self._pause(exc, exc.retry_after)
                raise Paused(str(exc)) from exc
            except errors.ServerError as exc:
                self._error(exc)
                if exc.retry_after is not None:
                    self._answered()
                    self._pause(exc, exc.retry_after)
                    raise Paused(str(exc)) from exc
                self._failed(api_health.SERVER_ERRORS)
                raise
            except errors.AuthRequired as exc:
                self._error(exc)
                self._answered()
                self._pause(exc, self.policy.auth_pause, server=False)
                raise Paused(str(exc)) from exc
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._error(exc)
                self._note_failure(exc)
                raise
            self.last_ok_wall = self.clock.wall()
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

    def _error(self, exc: BaseException) -> None:
        self.errors += 1
        self.last_error = str(exc) or type(exc).__name__

    # ------------------------------------------------------------------ the global pause

    async def _sleep_in_pause(self, seconds: float) -> None:
        """Sleep through a global pause, or until `end_sign_in_pause()` ends it early."""
        self._resumed.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        resumed = asyncio.ensure_future(self._resumed.wait())
        try:
            await asyncio.wait({sleeper, resumed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            resumed.cancel()

    def _pause(self, exc: BaseException, retry_after: float | None, *,
               server: bool = True) -> None:
        """A global pause: `server` when the API asked for it (Retry-After), else for auth."""
        now = self.clock.now()
        seconds = self.policy.default_retry_after if retry_after is None else max(0.0, retry_after)
        until = now + seconds
        if server:
            if until >= self._server_pause_until:
                self._server_pause_asked = seconds
            self._server_pause_until = max(self._server_pause_until, until)
        if until > self.paused_until:
            self.paused_until = until
            log.info("API asked to back off: pausing polling for %.1f s", seconds)
        if self.on_wait is not None:
            try:
                self.on_wait(Wait(self.paused_until - now, exc))
            except Exception:  # noqa: BLE001 - a callback never stops tracking
                log.exception("on_wait callback failed")

    def end_sign_in_pause(self) -> float | None:
        """End the "sign in again" pause now; a pause the server asked for is kept. Returns
        when the ended pause would have ended (None: no pause was running): calls due by then
        are due at `paused_until` now."""
        now = self.clock.now()
        held = self.paused_until
        if held <= now:
            return None
        self.paused_until = max(self._server_pause_until, now)
        self._resumed.set()
        return held

    def paused(self, now: float) -> bool:
        return self.paused_until > now

    def sign_in_pause(self, now: float) -> bool:
        """A pause is running and it is (longer than) the server's: the "sign in again" one."""
        return self.paused_until > now and self._server_pause_until < self.paused_until

    def pause_end_wall(self, now: float, wall: datetime) -> datetime | None:
        """Wall time the running pause ends (None: no pause)."""
        if self.paused_until > now:
            return wall + timedelta(seconds=self.paused_until - now)
        return None

    # ------------------------------------------------------------------ figures

    def rate(self, now: float) -> float:
        """Requests per second over the last `RATE_WINDOW` seconds (or since the start)."""
        recent = [t for t in list(self._recent) if t > now - RATE_WINDOW]
        window = max(1.0, min(RATE_WINDOW, now - self.started_at))
        return len(recent) / window

    def health(self) -> Health | None:
        """What the requests say about the API for the header (`health.assess`); None: no
        request since the start or the last `reset()`. Cheap (no call is looked at)."""
        now = self.clock.now()
        server_pause = self._server_pause_asked if self._server_pause_until > now else None
        return api_health.assess(
            requests=self.requests, failures_in_row=self._failures_in_row,
            last_failure=self._last_failure, server_pause=server_pause,
            sign_in_pause=self.sign_in_pause(now))
