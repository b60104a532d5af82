"""A tracked call and what one read, or one failed read, does to it (pure: no I/O, no clock).

`TrackedCall` is the tracker's record of one call; `TrackerStats` the summary it gives out;
`Wait` what it tells a headless caller when a read has to wait. The functions below are the
transitions of one call: built from the POST's answer (`placed_call`) or from a status read
(`call_from_status`) or only by its id (`unread_call`), a successful read (`apply_read`), a
failed one (`record_failure`), the time-dependent flags (`update_flags`). The tracker
(`tracker.py`) keeps the set of calls, marks what changed and reports it; `schedule.py` says
when each call is read next.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from console.api.models import CallResponse, CallStatus, is_terminal
from console.tracker import schedule
from console.tracker.schedule import (
    DEFAULT_MAX_CALL_DURATION,
    DEFAULT_RINGING_TIMEOUT,
    FLAG_NOT_FOUND,
    PollPolicy,
)

SOURCES: tuple[str, ...] = ("console", "watched", "restored")

#: What `apply_read` changed: nothing visible, only the tracker's own state of the call (flags,
#: done, an error cleared), or the call's data (its status or any field of the read).
SAME, STATE, DATA = 0, 1, 2


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
    #: The campaign that dialled it (its name), if one did; shown in the Calls table.
    campaign: str | None = None
    #: (last, placed_wall, started_at) of the last `started_at` asked
    _started: tuple[Any, Any, datetime | None] | None = field(default=None, repr=False)

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
        """The server's `started_at`, else when this console placed or first saw the call.
        (Parsed once per read: the table sorts by it and every list refresh asks each call.)"""
        last, placed = self.last, self.placed_wall
        cached = self._started
        if cached is not None and cached[0] is last and cached[1] is placed:
            return cached[2]
        started = last.started if last is not None else None
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        value = started or placed
        self._started = (last, placed, value)
        return value

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


@dataclass(frozen=True)
class Wait:
    """The tracker waits `seconds` before reading again because of `error` (given to
    `CallTracker(on_wait=...)`): a global pause for every request (`call_id` None: a 429/503
    Retry-After, or 401 "sign in again"), or one call backing off after its read failed."""

    seconds: float
    error: BaseException
    call_id: str | None = None


def request_timeouts(body: dict[str, Any] | None) -> tuple[int, int]:
    """(ringing timeout, max duration) of the request that placed a call; API defaults when
    the request is not known or holds nothing usable."""
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


def estimate_placed_at(started: datetime | None, now: float, wall: datetime) -> float:
    """The clock time of the wall time `started` (now when it is not known)."""
    if started is None:
        return now
    if started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    return now - max(0.0, (wall - started).total_seconds())


def placed_call(placed: CallResponse, *, body: dict[str, Any] | None, placed_by: str | None,
                now: float, wall: datetime, policy: PollPolicy,
                environment: str | None, campaign: str | None = None) -> TrackedCall:
    """A call this console has just placed (from the POST's answer): first read one interval
    of its status from now."""
    interval = schedule.base_interval(placed.status, policy)
    return TrackedCall(
        call_id=placed.call_id, agent_id=placed.agent_id, to_number=placed.to_number,
        from_number=placed.from_number, status=placed.status, request=body,
        placed_by=placed_by, source="console", first_seen=now,
        status_changes=[(wall, placed.status)], next_poll_at=now + interval,
        interval=interval, placed_at=now, placed_wall=wall,
        answered_at=now if placed.status == schedule.ANSWERED else None,
        environment=environment, campaign=campaign)


def unread_call(call_id: str, *, now: float, policy: PollPolicy,
                environment: str | None) -> TrackedCall:
    """A call known only by its id (`CallTracker.track_id`): read at once. Until its first
    read, its agent, numbers and status are empty strings and `last` is None."""
    return TrackedCall(
        call_id=call_id, agent_id="", to_number="", from_number=None, status="",
        first_seen=now, next_poll_at=now, interval=schedule.base_interval("", policy),
        placed_at=now, environment=environment)


def call_from_status(status: CallStatus, *, source: str, request: dict[str, Any] | None,
                     placed_by: str | None, flags: set[str] | None, now: float,
                     wall: datetime, policy: PollPolicy,
                     environment: str | None, campaign: str | None = None) -> TrackedCall:
    """A call first known from a status read (a list item, a reconciled unknown outcome),
    scheduled as if that read had just been made."""
    ringing, max_duration = request_timeouts(request)
    call = TrackedCall(
        call_id=status.call_id, agent_id=status.agent_id, to_number=status.to_number,
        from_number=status.from_number, status=status.status, last=status, request=request,
        placed_by=placed_by, source=source, first_seen=now, last_ok=now, last_ok_wall=wall,
        reads=1, status_changes=[(wall, status.status)], flags=set(flags or ()),
        ringing_timeout_seconds=ringing, max_call_duration_seconds=max_duration,
        placed_at=estimate_placed_at(status.started, now, wall),
        placed_wall=wall if status.started is None else None,
        answered_at=now if status.status == schedule.ANSWERED else None,
        environment=environment, campaign=campaign)
    plan = schedule.after_success(call, now, previous_status=None, due=True, policy=policy)
    call.interval, call.next_poll_at = plan.interval, plan.at
    call.follow_ups_done, call.done = plan.follow_ups_done, plan.done
    call.flags |= schedule.computed_flags(call, now, policy)
    return call


def apply_read(call: TrackedCall, status: CallStatus, now: float, wall: datetime, *,
               due: bool, policy: PollPolicy) -> int:
    """`call` (not done) was read successfully: take the new status and schedule the next
    read. `due` is False for a call refreshed by a list page fetched for others (see
    `schedule.after_success`). Returns SAME, STATE or DATA (what changed, for the report)."""
    previous = call.status
    data_changed = call.last != status
    status_changed = status.status != previous
    call.last = status
    call.status = status.status
    call.to_number = status.to_number
    call.from_number = status.from_number
    if not call.agent_id:  # first read of a call known only by its id
        call.agent_id = status.agent_id
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
    plan = schedule.after_success(call, now, previous_status=previous, due=due, policy=policy)
    call.interval, call.next_poll_at = plan.interval, plan.at
    call.follow_ups_done = plan.follow_ups_done
    became_done = plan.done and not call.done
    if became_done:
        call.done = True
    flags_changed = update_flags(call, now, policy, clear_not_found=True)
    if data_changed or status_changed:
        return DATA
    if flags_changed or became_done or visible_error:
        return STATE
    return SAME


def record_failure(call: TrackedCall, exc: BaseException, now: float, *, not_found: bool,
                   delay: float | None, rng: random.Random,
                   policy: PollPolicy) -> tuple[bool, bool]:
    """A read of `call` failed with `exc` (`not_found`: a 404): count it and, unless the call
    is now lost, schedule its next read (`delay` from now, else the policy's backoff).
    Returns (visible, lost): whether the error text or flags changed, and whether the API has
    answered 404 `policy.lost_after` times in a row (the caller then makes the call lost)."""
    call.consecutive_errors += 1
    message = str(exc) or type(exc).__name__
    visible = call.last_error != message
    call.last_error = message
    if not_found:
        call.not_found_count += 1
        if call.not_found_count >= policy.not_found_after and FLAG_NOT_FOUND not in call.flags:
            call.flags.add(FLAG_NOT_FOUND)
            visible = True
        if call.not_found_count >= policy.lost_after:
            return visible, True
    else:
        call.not_found_count = 0
    if delay is None:
        call.next_poll_at = schedule.after_error(call, now, rng, policy)
    else:
        call.next_poll_at = now + delay
    return visible, False


def update_flags(call: TrackedCall, now: float, policy: PollPolicy, *,
                 clear_not_found: bool = False) -> bool:
    """Recompute the time-dependent flags (none once done); True when the flags changed."""
    flags = (call.flags - schedule.COMPUTED_FLAGS)
    if clear_not_found:
        flags.discard(FLAG_NOT_FOUND)
    if not call.done:
        flags |= schedule.computed_flags(call, now, policy)
    if flags != call.flags:
        call.flags = flags
        return True
    return False
