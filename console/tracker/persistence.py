"""The tracker and the `CallStore`: what it writes (every change, one transaction per loop
cycle) and what it reads back at start (`restore_from_store`).

Writes: a placed call is recorded when it is tracked (with its token-free request); a call
given by the caller with a request or an operator, when it is tracked; then, once per loop
cycle, the statuses read in that cycle, the calls that became done and those that became lost
(`StoreSync.write`). A failed write is logged and noted for the summary line; it never stops
tracking.

Every write runs on ONE writer thread, in the order it was asked for (a FIFO queue): SQLite
and the JSON of a cycle's statuses (30-50 ms at 1,000 live calls) are off the event loop,
which in the TUI is the UI's. What is written is taken on the caller's thread (the statuses,
the times); `write` returns a future the tracker awaits before it reports the cycle, so a
change is in the store before anyone is told of it. `drain()` waits for every write asked for.

Reads: today's calls (or since a given time) and any still live ones, of the tracker's
environment (and tenant), dismissed calls left out (`stored_rows`, safe in a worker thread),
each turned back into a `TrackedCall` on the loop (`restored_call`): live ones are polled again
at once, terminal and lost ones are shown and never polled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from console.api.models import CallResponse, CallStatus, OutboundCallRequest, is_terminal
from console.tracker import schedule
from console.tracker.clock import today_midnight
from console.tracker.model import TrackedCall, estimate_placed_at, request_timeouts
from console.tracker.schedule import FLAG_NOT_FOUND, PollPolicy

if TYPE_CHECKING:
    from console.store.history import CallStore, StoredCall

log = logging.getLogger("console.tracker")


def request_body(request: OutboundCallRequest | dict[str, Any] | None) -> dict[str, Any] | None:
    """The token-free JSON body kept with a call (the store's own rule)."""
    from console.store.history import request_body

    return request_body(request)


class StoreSync:
    """The tracker's writes to `store` (None: nothing is written) and the marks of what the
    current loop cycle must write. `on_failure(exc)` is told of every failed write (on the
    writer thread: it must only log and note)."""

    def __init__(self, store: CallStore | None, on_failure: Callable[[BaseException], None]):
        self.store = store
        self._on_failure = on_failure
        self._status: set[str] = set()  # calls read with new data this cycle
        self._done: set[str] = set()  # calls done (their last change this cycle)
        self._lost: set[str] = set()  # calls that became lost this cycle
        self._writer: ThreadPoolExecutor | None = None  # one thread: writes stay in order

    # ------------------------------------------------------------------ the writer thread

    def _submit(self, write: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[None]:
        """Queue `write(*args, **kwargs)` behind every write asked for before it."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-store")
        return self._writer.submit(self._run, write, args, kwargs)

    def _run(self, write: Callable[..., Any], args: tuple, kwargs: dict[str, Any]) -> None:
        try:
            write(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the store never stops tracking
            self._on_failure(exc)

    def drain(self) -> Future[None] | None:
        """A future done once every write asked for so far is done (None: none was)."""
        if self._writer is None:
            return None
        return self._writer.submit(lambda: None)

    def close(self) -> None:
        """Finish the queued writes and end the writer thread (a later write starts another)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.shutdown(wait=True)

    # ------------------------------------------------------------------ the cycle's marks

    def mark(self, call: TrackedCall, *, status: bool) -> None:
        """`call` changed this cycle; `status`: its data (a new read) is to be written."""
        if status:
            self._status.add(call.call_id)
        if call.done:
            self._done.add(call.call_id)

    def mark_lost(self, call_id: str) -> None:
        self._lost.add(call_id)

    def unmark(self, call_id: str) -> None:
        """The call is dropped from the tracker: nothing more is written for it."""
        for marks in (self._status, self._done, self._lost):
            marks.discard(call_id)

    def write(self, changed: list[TrackedCall], calls: dict[str, TrackedCall],
              wall: Callable[[], datetime]) -> Future[None] | None:
        """Queue the cycle's marks for the `changed` calls (one transaction, on the writer
        thread) and clear them; the future is done once written (None: nothing to write).
        `calls`: the calls tracked now; `wall()`: the observation time of the statuses."""
        dirty, done, lost = self._status, self._done, self._lost
        self._status, self._done, self._lost = set(), set(), set()
        if self.store is None or not (dirty or done or lost):
            return None
        # Taken here, on the tracker's thread: the writer sees this cycle's state whatever
        # the tracker does meanwhile (a status is an immutable read; lists are copies).
        by_source: dict[tuple[str, str | None], list[CallStatus]] = {}
        for call in changed:
            if call.call_id in dirty and call.last is not None:
                source = "watched" if call.source == "watched" else "console"
                by_source.setdefault((source, call.environment), []).append(call.last)
        done_ids = [cid for cid in done if cid in calls]
        lost_at = [(cid, calls[cid].lost_at) for cid in lost if cid in calls]
        return self._submit(self._write_cycle, self.store, by_source, done_ids, lost_at, wall())

    @staticmethod
    def _write_cycle(store: CallStore, by_source: dict[tuple[str, str | None], list[CallStatus]],
                     done_ids: list[str], lost_at: list[tuple[str, datetime | None]],
                     observed: datetime) -> None:
        with store.transaction():
            for (source, environment), statuses in by_source.items():
                store.record_statuses(statuses, observed_at=observed, source=source,
                                      environment=environment)
            store.mark_done(done_ids)
            for cid, at in lost_at:
                store.mark_lost([cid], at=at)

    # ------------------------------------------------------------------ single writes

    def record_placed(self, placed: CallResponse, body: dict[str, Any] | None,
                      placed_by: str | None, *, at: datetime, environment: str | None,
                      campaign: str | None = None) -> None:
        if self.store is None:
            return
        self._submit(self.store.record_placed, placed, body, placed_by, at=at,
                     environment=environment, campaign=campaign)

    def record_status(self, status: CallStatus, *, observed_at: datetime, source: str,
                      placed_by: str | None, body: dict[str, Any] | None,
                      environment: str | None, campaign: str | None = None) -> None:
        if self.store is None:
            return
        self._submit(self.store.record_status, status, observed_at=observed_at, source=source,
                     placed_by=placed_by, request=body, environment=environment,
                     campaign=campaign)

    def mark_dismissed(self, call_id: str, *, at: datetime) -> None:
        if self.store is None:
            return
        self._submit(self.store.mark_dismissed, [call_id], at=at)

    # ------------------------------------------------------------------ restore

    def stored_rows(self, environment: str | None, tenant: str | None, *, wall: datetime,
                    since: datetime | None = None) -> list[tuple[StoredCall, list]]:
        """The calls to re-attach, each with its timeline: since `since` (default: today's
        local midnight) plus any live ones of the day before, of `environment` (and `tenant`,
        when both are known), dismissed ones left out. Only reads the store, once the writes
        asked for before are done."""
        if self.store is None:
            return []
        pending = self.drain()
        if pending is not None:
            pending.result()
        since = since or today_midnight(wall)
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


def restored_call(row: StoredCall, timeline: Iterable[tuple[datetime, str]], now: float,
                  wall: datetime, policy: PollPolicy) -> TrackedCall:
    """A stored call tracked again: due at once when live; done (shown, never polled) when
    terminal, done or lost."""
    timeline = list(timeline)
    request = row.request
    ringing, max_duration = request_timeouts(request)
    answered_at = None
    for when, status in timeline:
        if status == schedule.ANSWERED:
            answered_at = estimate_placed_at(when, now, wall)
            break
    return TrackedCall(
        call_id=row.call_id, agent_id=row.agent_id, to_number=row.to_number,
        from_number=row.from_number, status=row.status, last=row.last, request=request,
        placed_by=row.placed_by, source="restored", first_seen=now,
        status_changes=timeline or [(wall, row.status)],
        done=is_terminal(row.status) or row.done or row.lost,
        next_poll_at=now, ringing_timeout_seconds=ringing,
        max_call_duration_seconds=max_duration,
        interval=schedule.base_interval(row.status, policy),
        placed_at=estimate_placed_at(row.started_at, now, wall),
        answered_at=answered_at, placed_wall=row.started_at or row.created_at,
        environment=row.environment, campaign=row.campaign,
        lost_at=row.lost_at, flags={FLAG_NOT_FOUND} if row.lost else set())
