"""Evenly spaced call starts: `--rate N/min` means one start every 60/N seconds.

Slots are anchored on the first start (slot k = anchor + k × interval), so a start that is a
few milliseconds late does not push every later one back (the rate over the campaign stays at
the set rate). A start held back longer than one interval (the concurrency cap, a 429
`Retry-After`, a pause, calling hours) re-anchors the schedule at that moment: the campaign
never bursts to "catch up", so the spacing between two starts is never below the interval
by more than that lateness.
"""

from __future__ import annotations


class Pacer:
    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self.interval = interval
        self._anchor: float | None = None
        self._count = 0

    def next_slot(self, now: float) -> float:
        """When the next call may start (≥ now for the caller to wait until)."""
        if self._anchor is None:
            return now
        slot = self._anchor + self._count * self.interval
        if now - slot > self.interval:  # held back: start afresh from now
            return now
        return slot

    def started(self, at: float) -> None:
        """A call started at `at` (the slot it was given, or later)."""
        if self._anchor is None:
            self._anchor, self._count = at, 1
            return
        slot = self._anchor + self._count * self.interval
        if at - slot > self.interval:
            self._anchor, self._count = at, 1
        else:
            self._count += 1

    def reset(self) -> None:
        """Forget the schedule (after a pause): the next start is due at once."""
        self._anchor, self._count = None, 0
