"""Clocks for the tracker: everything time-related goes through one of these.

`RealClock` is the monotonic clock, the UTC wall clock and `asyncio.sleep`. `ManualClock` is for
tests: time only moves when the test calls `advance()` (or `run_for()`), and `sleep()` returns
once time has moved past its deadline, so schedules are tested without sleeping and without
freezegun (which hangs Textual).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Monotonic seconds (only differences mean anything)."""
        ...

    def wall(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time."""
        ...


class RealClock:
    """`time.monotonic`, `datetime.now(UTC)` and `asyncio.sleep`."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def wait_for_thread(self, future: Future[None]) -> None:
        await wait_for_thread(future)

    def __repr__(self) -> str:
        return "RealClock()"


async def wait_for_thread(future: Future[None]) -> None:
    """Await work done on another thread (the tracker's store writes). Shielded: cancelling
    the waiter never cancels the work, which may be queued behind other work that counts on
    it."""
    await asyncio.shield(asyncio.wrap_future(future))


async def wait_with(clock: Clock, future: Future[None]) -> None:
    """`clock.wait_for_thread(future)` when the clock has it (a test clock must know what its
    `settle()` waits for), else `wait_for_thread(future)`."""
    waiter = getattr(clock, "wait_for_thread", None)
    await (waiter(future) if waiter is not None else wait_for_thread(future))


DEFAULT_MANUAL_WALL = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC)


def today_midnight(wall: datetime) -> datetime:
    """The local midnight that began the day of `wall` (where "today's calls" start)."""
    local = wall.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


class ManualClock:
    """A clock that only moves when told to.

    `sleep(s)` parks the caller until `advance()` moves time to or past `now() + s`. A sleep of
    zero (or less) just yields once to the event loop. Cancelled sleepers are forgotten.

    `settle()` yields to the event loop enough times for every task woken by `advance()` to
    run until it blocks again (on this clock, or on something the test controls), and waits
    for the work on other threads a task awaits through `wait_for_thread` (the store writes:
    real time they take is no time on this clock);
    `run_for(seconds, step)` advances in small steps, settling after each, which is how a test
    lets "time pass" through several timer wake-ups.
    """

    def __init__(self, start: float = 1000.0, wall_start: datetime = DEFAULT_MANUAL_WALL):
        if wall_start.tzinfo is None:
            raise ValueError("wall_start must be timezone-aware")
        self._start = start
        self._now = start
        self._wall_start = wall_start.astimezone(UTC)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._threads: set[asyncio.Future[None]] = set()

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime:
        return self._wall_start + timedelta(seconds=self._now - self._start)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._seq), future))
        await future

    @property
    def sleepers(self) -> int:
        """How many sleeps are pending (cancelled ones excluded)."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def next_deadline(self) -> float | None:
        """The earliest pending sleep deadline, if any."""
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # cancelled sleeps
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline has been reached."""
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        self.set(self._now + seconds)

    def set(self, now: float) -> None:
        """Move time forward to exactly `now` (absolute) and wake the sleepers due by then."""
        if now < self._now:
            raise ValueError("a monotonic clock cannot go back")
        self._now = now
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def wait_for_thread(self, future: Future[None]) -> None:
        waiting = asyncio.wrap_future(future)
        self._threads.add(waiting)
        waiting.add_done_callback(self._threads.discard)
        await asyncio.shield(waiting)

    async def settle(self, rounds: int = 200) -> None:
        """Let every ready task run until it blocks again (a bounded number of loop turns),
        waiting for their work on other threads too (up to 10 s of real time)."""
        deadline = time.monotonic() + 10.0
        while True:
            for _ in range(rounds):
                await asyncio.sleep(0)
            pending = [f for f in self._threads if not f.done()]
            if not pending or time.monotonic() > deadline:
                return
            await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))

    async def run_for(self, seconds: float, step: float = 0.05) -> None:
        """Let `seconds` pass: advance in steps of at most `step`, stopping exactly at every
        sleeper's deadline on the way, and settle the event loop after each move."""
        await self.settle()
        end = self._now + seconds
        while self._now < end:
            target = min(end, self._now + step)
            deadline = self.next_deadline()
            if deadline is not None and self._now < deadline < target:
                target = deadline
            self.set(target)
            await self.settle()

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now:.3f})"
