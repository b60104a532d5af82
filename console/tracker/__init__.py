"""The live-call engine: `CallTracker` polls tracked calls adaptively (headless, asyncio).

- `tracker.py`      `CallTracker`: the loop and the public API (what to track, reading, lifecycle)
- `model.py`        `TrackedCall`, `TrackerStats`, `Wait`; what one read does to a call (pure)
- `schedule.py`     the pure per-call policy: intervals, follow-ups, backoff, stale, watchdogs
- `gate.py`         the request gate: global pause (Retry-After, sign in), token bucket, concurrency
- `batching.py`     an agent's calls refreshed with one list page, fall-back to GETs, watched agents
- `persistence.py`  writes to the `CallStore` (one transaction per cycle) and the restore from it
- `health.py`       what the requests say about the API, for the header (online, offline...)
- `clock.py`        `Clock` protocol, `RealClock`, `ManualClock` (tests drive time by hand)

Never imports Textual: the TUI, the CLI and campaigns share it.
"""

from console.tracker.clock import Clock, ManualClock, RealClock
from console.tracker.health import Health
from console.tracker.schedule import (
    FLAG_NOT_FOUND,
    FLAG_OUTCOME_UNKNOWN,
    FLAG_OVER_MAX_DURATION,
    FLAG_RINGING_OVERDUE,
    FLAG_STALE,
    FLAGS,
    PollPolicy,
)
from console.tracker.model import TrackedCall, TrackerStats, Wait
from console.tracker.tracker import CallTracker

__all__ = [
    "FLAGS",
    "FLAG_NOT_FOUND",
    "FLAG_OUTCOME_UNKNOWN",
    "FLAG_OVER_MAX_DURATION",
    "FLAG_RINGING_OVERDUE",
    "FLAG_STALE",
    "CallTracker",
    "Clock",
    "Health",
    "ManualClock",
    "PollPolicy",
    "RealClock",
    "TrackedCall",
    "TrackerStats",
    "Wait",
]
