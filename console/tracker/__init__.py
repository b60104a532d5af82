"""The live-call engine: `CallTracker` polls tracked calls adaptively (headless, asyncio).

- `clock.py`     `Clock` protocol, `RealClock`, `ManualClock` (tests drive time by hand)
- `schedule.py`  the pure per-call policy: intervals, follow-ups, backoff, stale, watchdogs
- `health.py`    what the requests say about the API, for the header (online, offline...)
- `tracker.py`   `CallTracker`, `TrackedCall`, `TrackerStats`

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
from console.tracker.tracker import CallTracker, TrackedCall, TrackerStats

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
]
