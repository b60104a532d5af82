"""The per-call polling policy, as pure functions of a call's state and the clock's `now`.

Nothing here does I/O, sleeps or reads a clock: the tracker passes `now` (monotonic seconds of
its `Clock`) and a `random.Random` for jitter, so every rule is tested with plain numbers.

Intervals (design.md §2, api.md §2):

=====================  =====================================================================
status                 next poll
=====================  =====================================================================
initiated, ringing     every `fast_interval` (1 s)
answered               `answered_min` (2 s) right after it changes, then × `answered_growth`
                       per unchanged poll up to `answered_max` (5 s)
anything else, live    `unknown_interval` (1.5 s): unknown strings (e.g. "transferring") are
                       live and shown verbatim
ended, failed          follow-ups at `follow_ups` (2 s and 5 s after the terminal status was
                       first seen) for the late fields (duration, recording, sentiment), then
                       *done*: never polled again. Done early once every late field is there.
=====================  =====================================================================

Errors: a network error (or a 5xx without Retry-After) delays only that call, by
`error_base × 2^(n-1)` with ±`error_jitter` jitter, never more than `error_cap`. A 429 (or a
503 with Retry-After) pauses every request until Retry-After (default `default_retry_after`).

Flags (shown on the row; never a reason to drop a call):

- ``stale``: no successful poll for `max(stale_intervals × interval, stale_min)` seconds.
- ``ringing-overdue``: still initiated/ringing `ringing_timeout + ringing_margin` after it was
  placed.
- ``over-max-duration``: answered for longer than `max_call_duration + duration_margin`.
- ``not-found`` (404 `not_found_after` times in a row) and ``outcome-unknown`` (the POST's
  outcome was unknown and the call was reconciled from the list) are set by the tracker and
  are sticky (not computed here, except that a success clears ``not-found``).

Lost: a call the API answers 404 for `lost_after` polls in a row (the API restarted, the call
was placed on another API, it was purged) is *lost*: a local final state, not a server status.
The tracker keeps its last known fields, stops polling it and counts it out of the live calls.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

from console.api.models import CallStatus, is_terminal

if TYPE_CHECKING:
    from console.tracker.model import TrackedCall

FAST_STATUSES: frozenset[str] = frozenset({"initiated", "ringing"})
ANSWERED = "answered"

FLAG_STALE = "stale"
FLAG_RINGING_OVERDUE = "ringing-overdue"
FLAG_OVER_MAX_DURATION = "over-max-duration"
FLAG_OUTCOME_UNKNOWN = "outcome-unknown"
FLAG_NOT_FOUND = "not-found"

#: Flags computed from (call, now) on every check; the others are sticky.
COMPUTED_FLAGS: frozenset[str] = frozenset({FLAG_STALE, FLAG_RINGING_OVERDUE, FLAG_OVER_MAX_DURATION})
FLAGS: frozenset[str] = COMPUTED_FLAGS | {FLAG_OUTCOME_UNKNOWN, FLAG_NOT_FOUND}

#: API defaults (api.md §1) when the request that placed a call is not known.
DEFAULT_RINGING_TIMEOUT = 80
DEFAULT_MAX_CALL_DURATION = 3600

LATE_FIELDS: tuple[str, ...] = ("duration_seconds", "recording_url", "sentiment_score")


@dataclass(frozen=True)
class PollPolicy:
    """Every number of the polling policy. `scaled()` shrinks the polling times for demos/tests."""

    fast_interval: float = 1.0
    unknown_interval: float = 1.5
    answered_min: float = 2.0
    answered_max: float = 5.0
    answered_growth: float = 1.5
    #: Seconds after the terminal status was first seen; one follow-up poll at each.
    follow_ups: tuple[float, ...] = (2.0, 5.0)
    error_base: float = 1.0
    error_cap: float = 30.0
    error_jitter: float = 0.25  # ± fraction
    default_retry_after: float = 5.0
    #: Pause after 401/403 (the session must sign in again; polling resumes by itself after).
    auth_pause: float = 30.0
    stale_intervals: float = 3.0
    stale_min: float = 10.0
    ringing_margin: float = 15.0
    duration_margin: float = 30.0
    not_found_after: int = 3
    #: 404s in a row after which a call is lost (final: no longer polled, out of live counts)
    lost_after: int = 5
    #: With a heartbeat (`CallTracker(heartbeat=...)`): one light request after this many
    #: seconds without any request, so the API's health is known even with nothing to poll.
    heartbeat_interval: float = 15.0
    #: Calls due within this many seconds are refreshed together with the due ones.
    coalesce: float = 0.5
    #: Live calls refreshed through their agent's list page are read again at least this
    #: often, whatever their state: the page costs one request for all of them, so answered
    #: calls of a batched agent need not wait 2–5 s (that spacing is for per-call GETs).
    list_interval: float = 1.0
    #: How often a watched agent's call list is read when none of its calls is due sooner.
    discovery_interval: float = 2.0
    #: `start_date` of list refreshes is this far before the earliest wanted call's start.
    list_margin: float = 60.0
    #: A list route that answered 404/unparseable is not tried again for that agent this long.
    list_retry_after: float = 60.0
    #: Stale/watchdog flags are re-evaluated at least this often.
    flag_check_interval: float = 1.0

    def scaled(self, factor: float) -> PollPolicy:
        """The same policy with every polling/backoff/stale time multiplied by `factor`.

        The watchdog margins are not scaled: they relate to the call's own timeouts.
        """
        keep = {"ringing_margin", "duration_margin", "not_found_after", "lost_after",
                "answered_growth", "error_jitter", "list_margin"}
        changes: dict[str, object] = {}
        for f in fields(self):
            if f.name in keep:
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                changes[f.name] = tuple(v * factor for v in value)
            elif isinstance(value, float):
                changes[f.name] = value * factor
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_POLICY = PollPolicy()


@dataclass(frozen=True)
class NextPoll:
    """What to do after a successful poll."""

    at: float  # clock time of the next poll (meaningless when done)
    interval: float  # the call's nominal interval now (used for stale and growth)
    follow_ups_done: int
    done: bool


def base_interval(status: str, policy: PollPolicy = DEFAULT_POLICY) -> float:
    """The first interval for a call that has just entered `status` (live statuses)."""
    if status in FAST_STATUSES:
        return policy.fast_interval
    if status == ANSWERED:
        return policy.answered_min
    return policy.unknown_interval


def live_interval(status: str, previous: float | None, *, status_changed: bool,
                  policy: PollPolicy = DEFAULT_POLICY) -> float:
    """The interval of a live call after a successful poll.

    Answered calls start at `answered_min` and grow by `answered_growth` per unchanged poll up
    to `answered_max`; other live statuses have a fixed interval.
    """
    if status != ANSWERED:
        return base_interval(status, policy)
    if status_changed or previous is None or previous < policy.answered_min:
        return policy.answered_min
    return min(policy.answered_max, previous * policy.answered_growth)


def late_fields_complete(status: CallStatus | None) -> bool:
    """Every late field (duration, recording URL, sentiment) has arrived."""
    if status is None:
        return False
    return all(getattr(status, name, None) is not None for name in LATE_FIELDS)


def after_success(call: TrackedCall, now: float, *, previous_status: str | None, due: bool = True,
                  policy: PollPolicy = DEFAULT_POLICY) -> NextPoll:
    """The schedule after `call` (already holding the new status) was read successfully.

    `previous_status` is the status before this read (None when this is the first read).
    `due` is False when the call was not due and was only refreshed because it was in a list
    page fetched for other calls: a live call is then realigned on this read (so the calls of
    one agent stay due together and keep sharing list pages), but a terminal call's follow-ups
    still happen at their own times (a page one second after the end must not use them up
    before the late fields could have arrived).
    """
    status = call.status
    changed = previous_status is None or previous_status != status
    if not is_terminal(status):
        interval = live_interval(status, call.interval, status_changed=changed, policy=policy)
        return NextPoll(now + interval, interval, 0, False)

    gaps = follow_up_gaps(policy)
    entering = previous_status is None or not is_terminal(previous_status)
    complete = late_fields_complete(call.last)
    if entering:
        if complete or not gaps:
            return NextPoll(now, policy.stale_min, 0, True)
        return NextPoll(now + gaps[0], gaps[0], 0, False)
    if not due:
        return NextPoll(call.next_poll_at, call.interval, call.follow_ups_done, complete)
    done_count = call.follow_ups_done + 1
    if complete or done_count >= len(gaps):
        return NextPoll(now, call.interval, done_count, True)
    return NextPoll(now + gaps[done_count], gaps[done_count], done_count, False)


def follow_up_gaps(policy: PollPolicy = DEFAULT_POLICY) -> list[float]:
    """Seconds between follow-ups: from the terminal observation to the first, then between."""
    gaps, previous = [], 0.0
    for offset in policy.follow_ups:
        gaps.append(max(0.0, offset - previous))
        previous = offset
    return gaps


def error_delay(consecutive_errors: int, rng: random.Random,
                policy: PollPolicy = DEFAULT_POLICY) -> float:
    """Per-call backoff after the n-th error in a row: exponential, ± jitter, capped."""
    n = max(1, consecutive_errors)
    raw = min(policy.error_cap, policy.error_base * (2 ** min(n - 1, 30)))
    jitter = rng.uniform(-policy.error_jitter, policy.error_jitter)
    return max(0.0, min(policy.error_cap, raw * (1.0 + jitter)))


def after_error(call: TrackedCall, now: float, rng: random.Random,
                policy: PollPolicy = DEFAULT_POLICY) -> float:
    """When to poll a call again after its `consecutive_errors`-th failure (already counted)."""
    nominal = call.interval if call.interval else base_interval(call.status, policy)
    return now + max(error_delay(call.consecutive_errors, rng, policy), min(nominal, policy.error_cap))


def stale_threshold(call: TrackedCall, policy: PollPolicy = DEFAULT_POLICY) -> float:
    """Seconds without a successful poll after which a call is stale."""
    interval = call.interval if call.interval else base_interval(call.status, policy)
    return max(policy.stale_intervals * interval, policy.stale_min)


def is_stale(call: TrackedCall, now: float, policy: PollPolicy = DEFAULT_POLICY) -> bool:
    if call.done:
        return False
    reference = call.last_ok if call.last_ok is not None else call.first_seen
    return now - reference > stale_threshold(call, policy)


def ringing_overdue(call: TrackedCall, now: float, policy: PollPolicy = DEFAULT_POLICY) -> bool:
    """Still initiated/ringing after its ringing timeout + margin since it was placed."""
    if call.status not in FAST_STATUSES:
        return False
    return now - call.placed_at > call.ringing_timeout_seconds + policy.ringing_margin


def over_max_duration(call: TrackedCall, now: float, policy: PollPolicy = DEFAULT_POLICY) -> bool:
    """Answered (or in a later live state) for longer than its max duration + margin."""
    if is_terminal(call.status) or call.status in FAST_STATUSES or call.answered_at is None:
        return False
    return now - call.answered_at > call.max_call_duration_seconds + policy.duration_margin


def computed_flags(call: TrackedCall, now: float, policy: PollPolicy = DEFAULT_POLICY) -> set[str]:
    """The time-dependent flags of `call` at `now` (a subset of `COMPUTED_FLAGS`)."""
    out: set[str] = set()
    if is_stale(call, now, policy):
        out.add(FLAG_STALE)
    if ringing_overdue(call, now, policy):
        out.add(FLAG_RINGING_OVERDUE)
    if over_max_duration(call, now, policy):
        out.add(FLAG_OVER_MAX_DURATION)
    return out
