"""Running a campaign: pacing, the concurrency cap, calling hours, 429, retries, pause/stop.

One `CampaignRunner` runs one journalled campaign in one process (the caller holds
`journal.campaign_lock`). Each start goes through, in order: pause → a free concurrency slot
(`--max-concurrent`: POSTs in flight + live calls of this campaign) → the pacing slot (`Pacer`)
→ the server's `Retry-After` after a 429/503 → the row's calling hours, checked again at that
moment with the injectable clock → **"about to dial" committed** → one POST through
`CallService.place` (face "campaign", audited, never retried) → the outcome journalled:

    Placed       live; the `CallTracker` follows it, its end frees the slot (ended / failed;
                 failed busy / no-answer are dialled again only with --retry, after
                 --retry-after, up to --max-attempts)
    Rejected     422: invalid (with the API's reasons); never dialled
    NotPlaced    a definite answer that placed nothing. 429 (the tenant's cap) and 503: the
                 row waits for `Retry-After` and is dialled when it is over (nothing was
                 placed, so this is no second dial); any other error stops the campaign
                 (exit 1) with the row still pending
    NotAnswered  408 of a wait-until-answered call: failed, no-answer
    Unknown      looked up once in the agent's list; one match: that is its call; otherwise
                 the row stays `unknown` and is never dialled again unless the operator says
                 `--redial-unknown` on resume

`prepare()` runs before any dialling of a resumed campaign: calls left live are followed again,
and every `dialling` / `unknown` row is reconciled against the agent's call list; if the list
cannot be read nothing is dialled (`ApiError`).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from console.campaign.options import CampaignOptions
from console.campaign.pacing import Pacer
from console.campaign.summary import Summary
from console.store import journal as j

if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.calls.service import CallService
    from console.tracker import CallTracker, PollPolicy, TrackedCall

log = logging.getLogger("console.campaign")

#: Longest sleep between two looks at the clock while waiting (hours, retries, pause).
WAKE_STEP = 1.0
#: How often a running campaign looks for a pause/resume/stop asked from another process.
CONTROL_INTERVAL = 0.5
#: Wait after a 429 / 503 without `Retry-After`.
DEFAULT_RETRY_AFTER = 5.0
#: Reading live calls again after a restart: this many GETs at once.
REATTACH_CONCURRENCY = 8


def utc_now() -> datetime:
    return datetime.now(UTC)


def _normal_disposition(text: str | None) -> str:
    return (text or "").strip().lower().replace("_", "-").replace(" ", "-")


class CampaignRunner:
    """Runs campaign `name` of `journal`. Faces call `pause()`, `resume()`, `stop()` from the
    same event loop; `on_event(dict)` hears every row change and wait (JSON-ready)."""

    def __init__(self, journal: j.Journal, name: str, *, service: CallService,
                 client: Callable[[], ApiClient], now: Callable[[], datetime] = utc_now,
                 on_event: Callable[[dict[str, Any]], None] | None = None,
                 policy: PollPolicy | None = None, store: Any = None,
                 wake_step: float = WAKE_STEP, placed_by: str | None = None,
                 tracker: CallTracker | None = None) -> None:
        """`tracker`: a tracker the face runs already (the TUI's): the campaign's calls are
        followed there, so they show in its Calls table tagged with the campaign and are polled
        once; it is neither started nor stopped here. Without one the runner runs its own."""
        record = journal.get(name)
        if record is None:
            raise j.JournalError(f"no campaign named {name!r}")
        self.journal = journal
        self.name = name
        self.options = CampaignOptions.from_json(record.settings)
        self.hours = self.options.calling_hours
        self.service = service
        self._client = client
        self._now = now
        self.on_event = on_event
        self._policy = policy
        self._store = store
        self._wake_step = wake_step
        self._placed_by = placed_by
        self._pacer = Pacer(self.options.interval)
        self._rows: dict[int, j.JournalRow] = {}
        self._ready: deque[int] = deque()
        self._waiting: list[tuple[datetime, int]] = []  # (due, line): hours or retry
        self._call_rows: dict[str, int] = {}
        self._live = 0
        self._changed = asyncio.Event()
        self._running = asyncio.Event()
        self._running.set()
        self._stopping = False
        self._abandon = False
        self._pause_until = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._tracker: CallTracker | None = None
        self._shared_tracker = tracker
        self.error: str | None = None
        #: Live calls this campaign may hold at once: --max-concurrent, lowered to the tenant's
        #: concurrency cap when the quota says it is smaller (`_read_capacity`).
        self.max_live = self.options.max_concurrent
        #: The tenant's quota as read before dialling (None: not read or not readable).
        self.quota: Any = None
        #: Figures for the faces and the benchmark.
        self.started = 0
        self.peak_live = 0
        self.started_at_monotonic: float | None = None
        self.last_start_monotonic: float | None = None

    # ---------------------------------------------------------------- control (same loop)

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def live(self) -> int:
        return self._live

    def pause(self) -> None:
        """Start no more calls until `resume()`; live calls go on."""
        if self._running.is_set():
            self._running.clear()
            self.journal.set_state(self.name, j.PAUSED)
            self._emit({"event": "paused"})

    def resume(self) -> None:
        if not self._running.is_set():
            self._pacer.reset()
            self._running.set()
            self.journal.set_state(self.name, j.RUNNING)
            self._emit({"event": "resumed"})
        self._changed.set()

    def stop(self, *, abandon: bool = False) -> None:
        """Start no more calls; `run()` returns when the live ones have ended (at once with
        `abandon`: they stay live in the journal, and `resume` follows them again)."""
        self._stopping = True
        self._abandon = self._abandon or abandon
        self._running.set()
        self._changed.set()
        self._emit({"event": "stopping", "abandon": self._abandon})

    def summary(self) -> Summary:
        return Summary.of(self.journal, self.name)

    # ---------------------------------------------------------------- before dialling

    async def prepare(self, *, redial_unknown: bool = False) -> None:
        """Follow calls left live and reconcile unsure rows (`dialling`, `unknown`) against the
        agent's call list. Raises `ApiError` when the list cannot be read: then nothing may be
        dialled, since a row that was dialled might be dialled again."""
        from console.api import errors

        await self._ensure_tracker()
        live = self.journal.rows(self.name, [j.LIVE])
        if live:
            gate = asyncio.Semaphore(REATTACH_CONCURRENCY)

            async def follow(row: j.JournalRow) -> None:
                async with gate:
                    try:
                        status = await self._client().get_call(row.call_id)
                    except errors.NotFound:
                        self.journal.finished(self.name, row.line, state=j.FAILED,
                                              status=row.status, disposition="lost",
                                              detail="the API no longer knows this call")
                        return
                self._follow(row.line, status.call_id, status, counted=False)

            await asyncio.gather(*(follow(row) for row in live))
        for row in self.journal.rows(self.name, j.UNSURE_STATES):
            await self._reconcile(row, redial_unknown=redial_unknown)

    async def _reconcile(self, row: j.JournalRow, *, redial_unknown: bool) -> None:
        from console.api.errors import AttemptWindow

        request = row.request or {}
        window = AttemptWindow(agent_id=str(request.get("agent_id", "")),
                               to_number=row.to_number, from_number=request.get("from_number"),
                               sent_at=row.sent_at or utc_now(),
                               gave_up_at=max(row.gave_up_at or utc_now(), utc_now()))
        result = await self.service.reconcile(window)
        if result.error is not None:
            raise result.error
        if result.matches:
            call = result.matches[0]
            detail = "found in the agent's call list after an unknown outcome"
            if len(result.matches) > 1:
                detail += f" (closest of {len(result.matches)} matches)"
            self.journal.placed(self.name, row.line, call.call_id, call.status,
                                outcome="reconciled", detail=detail,
                                dialled=row.state == j.DIALLING)
            self._emit_row(row.line)
            self._follow(row.line, call.call_id, call, counted=False)
            return
        if row.state == j.DIALLING:
            self.journal.unknown(self.name, row.line,
                                 "the console stopped while dialling; no call was found for it",
                                 gave_up_at=utc_now())
        if redial_unknown:
            self.journal.redial(self.name, row.line, "dialled again: --redial-unknown")
        self._emit_row(row.line)

    # ---------------------------------------------------------------- the run

    async def run(self) -> Summary:
        """Dial every pending row by the rules; return the summary (the journal has it all)."""
        await self._ensure_tracker()
        self.journal.set_state(self.name, j.RUNNING)
        self._load_pending()
        await self._read_capacity()
        loop = asyncio.get_running_loop()
        self.started_at_monotonic = loop.time()
        self.journal.take_control(self.name)  # a request left from an earlier run is stale
        controls = asyncio.create_task(self._take_controls(), name=f"campaign-controls-{self.name}")
        try:
            while not self._stopping:
                await self._running.wait()
                if self._stopping:
                    break
                line = await self._next_due()
                if line is None:
                    if self._finished():
                        break
                    continue
                if not await self._slot():
                    self._ready.appendleft(line)
                    continue
                now = self._now()  # time passed while waiting for the slot: look again
                if not self._window_open(line, now):
                    self._park(line, now)
                    continue
                self._dial_now(line, now)
            await self._wind_down()
        finally:
            controls.cancel()
            await self._close()
        return self._finish()

    async def _take_controls(self) -> None:
        """Pause, resume or stop asked for from another process (`campaign pause NAME` in a
        second terminal, while this one runs it): looked for every `CONTROL_INTERVAL`."""
        while True:
            await asyncio.sleep(CONTROL_INTERVAL)
            try:
                taken = self.journal.take_control(self.name)
            except (j.JournalError, sqlite3.Error) as exc:
                log.warning("campaign %s: controls not read: %s", self.name, exc)
                continue
            if taken is None:
                continue
            control, by = taken
            self._emit({"event": "control", "control": control, "by": by})
            if control == "pause":
                self.pause()
            elif control == "resume":
                self.resume()
            elif control == "stop":
                self.stop()

    async def _read_capacity(self) -> None:
        """Before the first POST, the tenant's quota (`GET /auth/me`, then its quota): its
        concurrency cap lowers `max_live` (429s stay handled on top: other operators' calls
        count too); a tenant out of monthly quota or not active stops the campaign before
        anything is dialled; fewer calls left this month than rows to dial is said once. A
        quota that cannot be read changes nothing: the 429 and 403 answers still do."""
        try:
            client = self._client()
            me = await client.me()
            if not me.owner_id:
                return
            quota = await client.get_quota(me.owner_id)
        except Exception as exc:  # noqa: BLE001 - unreadable quota: the API's answers rule
            log.info("campaign %s: tenant quota not read (%s); dialling by the API's answers",
                     self.name, exc)
            return
        self.quota = quota
        cap = quota.max_concurrent_calls
        if cap is not None and 0 < cap < self.max_live:
            self.max_live = cap
            self._emit({"event": "notice", "message": (
                f"the tenant allows {cap} live call(s) at once: this campaign keeps at most "
                f"{cap} live (not {self.options.max_concurrent})")})
        if quota.quota_exceeded or (quota.status or "active") != "active":
            why = ("the tenant's monthly call quota is used up" if quota.quota_exceeded
                   else f"the tenant is {quota.status}")
            self.error = f"{why}: nothing was dialled"
            self._emit({"event": "error", "message": self.error})
            self.stop()
            return
        due = len(self._ready) + len(self._waiting)
        if quota.calls_remaining is not None and quota.calls_remaining < due:
            self._emit({"event": "notice", "message": (
                f"the tenant has {quota.calls_remaining} call(s) left this month for {due} "
                "row(s): the API refuses the rest (403) and the campaign stops there")})

    def _finish(self) -> Summary:
        summary = self.summary()
        if self.error is not None:
            state, note = j.FAILED_RUN, self.error
        elif summary.pending or summary.outside_hours or summary.live:
            state, note = j.STOPPED, None
        else:
            state, note = j.DONE, None
        self.journal.set_state(self.name, state, note)
        summary = self.summary()
        self._emit({"event": "finished", "summary": summary.to_json()})
        return summary

    def _load_pending(self) -> None:
        now = self._now()
        for row in self.journal.rows(self.name, [j.PENDING]):
            self._rows[row.line] = row
            if row.not_before is not None and row.not_before > now:
                heapq.heappush(self._waiting, (row.not_before, row.line))
            else:
                self._ready.append(row.line)

    def _finished(self) -> bool:
        if self._ready or self._live:
            return False
        if not self._waiting:
            return True
        if self.options.wait_for_hours:
            return False
        # Only rows outside their hours left (retries are always waited for).
        return all(self._rows[line].waiting == j.WAIT_HOURS for _, line in self._waiting)

    async def _next_due(self) -> int | None:
        """The next row to dial now, or None after waiting for something to change."""
        now = self._now()
        while self._waiting and self._waiting[0][0] <= now:
            _, line = heapq.heappop(self._waiting)
            self._ready.append(line)
        while self._ready:
            line = self._ready.popleft()
            if self._window_open(line, now):
                return line
            self._park(line, now)
        if self._finished():
            return None
        delay = self._wake_step
        if self._waiting:
            delay = min(delay, max(0.0, (self._waiting[0][0] - now).total_seconds()))
        await self._wait_change(delay)
        return None

    def _window_open(self, line: int, now: datetime | None = None) -> bool:
        return self.hours.open_for(self._rows[line].zones, now or self._now())

    def _park(self, line: int, now: datetime | None = None) -> None:
        """The row's window is closed: wait for it to open (journalled as outside hours)."""
        now = now or self._now()
        row = self._rows[line]
        opens = self.hours.next_open(row.zones, now) or now + timedelta(days=1)
        if row.waiting != j.WAIT_HOURS:
            self.journal.set_waiting(self.name, line, j.WAIT_HOURS)
            self._rows[line] = self.journal.row(self.name, line)
            self._emit_row(line)
        heapq.heappush(self._waiting, (opens, line))

    async def _slot(self) -> bool:
        """Wait for a free concurrency slot, the pacing slot and the end of a server pause;
        False when something else must be looked at first (stop, pause)."""
        loop = asyncio.get_running_loop()
        while self._live >= self.max_live:
            await self._wait_change(self._wake_step)
            if self._stopping or self.paused:
                return False
        while True:
            now = loop.time()
            until = max(self._pacer.next_slot(now), self._pause_until)
            if until <= now:
                break
            await self._wait_change(min(until - now, self._wake_step), pacing=True)
            if self._stopping or self.paused or self._live >= self.max_live:
                return False
        return True

    async def _wait_change(self, seconds: float, *, pacing: bool = False) -> None:
        """Sleep up to `seconds`, sooner when a call ends, a control is used or a 429 comes in.
        While waiting for the pacing slot only stop/pause/429 wake it (a call ending does not
        move the slot)."""
        if seconds <= 0:
            return
        if pacing:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._changed.wait(), seconds)
        except TimeoutError:
            pass
        self._changed.clear()

    def _dial_now(self, line: int, checked_at: datetime) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._pacer.started(now)
        self.started += 1
        self.last_start_monotonic = now
        self._live += 1
        self.peak_live = max(self.peak_live, self._live)
        task = asyncio.create_task(self._dial(line, checked_at), name=f"campaign-row-{line}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dial(self, line: int, checked_at: datetime) -> None:
        from console.api.models import OutboundCallRequest

        row = self._rows[line]
        request = OutboundCallRequest.model_validate(row.request)
        attempt = self.service.begin(request)
        self.journal.about_to_dial(self.name, line, attempt.sent_at)  # committed before the POST
        self._emit({"event": "dialling", "line": line, "to_number": row.to_number,
                    "hours_checked_at": j.ts(checked_at)})
        released = False
        try:
            outcome = await self.service.place(request, attempt, campaign=self.name, row=line)
            released = await self._settle_outcome(line, outcome)
        except Exception as exc:  # noqa: BLE001 - a bug here must not cost a row its journal
            log.exception("campaign %s row %s: unexpected error", self.name, line)
            self.journal.unknown(self.name, line, f"unexpected error {exc!r}", utc_now())
            self._emit_row(line)
            released = True
        finally:
            if released:
                self._release()

    async def _settle_outcome(self, line: int, outcome: Any) -> bool:
        """Journal one POST's outcome; True when the row holds no slot any more."""
        from console.api import errors
        from console.calls.outcomes import NotAnswered, NotPlaced, Placed, Rejected, Unknown

        if isinstance(outcome, Placed):
            self.journal.placed(self.name, line, outcome.call.call_id, outcome.call.status)
            self._emit_row(line)
            self._track(line, outcome)
            return False
        if isinstance(outcome, Rejected):
            reasons = "; ".join(f"{'.'.join(str(p) for p in e.path) or 'request'}: {e.msg}"
                                for e in outcome.error.entries) or outcome.error.message
            self.journal.rejected(self.name, line, f"the API refused it (422): {reasons}")
            self._emit_row(line)
            return True
        if isinstance(outcome, NotAnswered):
            found = outcome.found
            if found is not None:
                self.journal.placed(self.name, line, found.call_id, found.status,
                                    outcome="not_answered")
            else:
                self.journal.unknown(self.name, line, "not answered (408); its call was not "
                                     "found in the agent's list", utc_now())
                self.journal.finished(self.name, line, state=j.FAILED, status="failed",
                                      disposition="no-answer")
            self._finish_row(line, "failed", "no-answer")
            return True
        if isinstance(outcome, NotPlaced):
            error = outcome.error
            if isinstance(error, errors.RateLimited | errors.ServerError) and (
                    isinstance(error, errors.RateLimited) or error.retry_after is not None):
                wait = error.retry_after if error.retry_after is not None else DEFAULT_RETRY_AFTER
                loop = asyncio.get_running_loop()
                self._pause_until = max(self._pause_until, loop.time() + wait)
                until = time.time() + wait  # the same moment on the wall clock
                self.journal.not_placed(self.name, line, error.message)
                self._rows[line] = self.journal.row(self.name, line)
                self._ready.appendleft(line)
                self._emit({"event": "wait", "seconds": wait, "line": line, "until": until,
                            "reason": error.message})
                self._changed.set()
                return True
            self.journal.not_placed(self.name, line, error.message)
            self._rows[line] = self.journal.row(self.name, line)
            self.error = error.message
            self._emit({"event": "error", "line": line, "message": error.message})
            self.stop()
            return True
        if isinstance(outcome, Unknown):
            self.journal.unknown(self.name, line, outcome.cause, outcome.window.gave_up_at)
            result = await self.service.reconcile(outcome.window)
            if result.error is None and result.matches:
                call = result.matches[0]
                self.journal.placed(self.name, line, call.call_id, call.status,
                                    outcome="reconciled", dialled=False,
                                    detail="found in the agent's call list after an unknown "
                                           "outcome")
                self._emit_row(line)
                self._follow(line, call.call_id, call, counted=True)
                return False
            self._emit_row(line)
            return True
        raise TypeError(f"unexpected outcome {outcome!r}")

    def _release(self) -> None:
        self._live = max(0, self._live - 1)
        self._changed.set()

    # ---------------------------------------------------------------- following calls

    async def _ensure_tracker(self) -> None:
        if self._tracker is not None:
            return
        if self._shared_tracker is not None:
            self._tracker = self._shared_tracker
            self._tracker.add_listener(self._on_update)
            return
        from console.tracker import CallTracker

        environment = self.service.environment
        self._tracker = CallTracker(self._client, on_update=self._on_update, policy=self._policy,
                                    store=self._store,
                                    # the history files the calls under the API they went to
                                    environment=environment() if callable(environment)
                                    else environment)
        await self._tracker.start()

    def _track(self, line: int, placed: Any) -> None:
        self._call_rows[placed.call.call_id] = line
        self._tracker.track(placed.call, placed.request, placed_by=self._placed_by,
                            campaign=self.name)

    def _follow(self, line: int, call_id: str, status: Any, *, counted: bool) -> None:
        """Follow a call known from a status read (reconciled, or live before a restart).
        `counted`: it holds a concurrency slot already (a POST of this run)."""
        if status.is_terminal:
            self._finish_row(line, status.status, status.disposition, call_id=call_id)
            if counted:
                self._release()
            return
        if not counted:
            self._live += 1  # a live call of this campaign holds a slot until it ends
            self.peak_live = max(self.peak_live, self._live)
        self._call_rows[call_id] = line
        self._tracker.track_status(status, source="watched", campaign=self.name)

    def _on_update(self, call: TrackedCall) -> None:
        line = self._call_rows.get(call.call_id)
        if line is None or not call.final:
            return
        del self._call_rows[call.call_id]
        if call.lost:
            self._finish_row(line, call.status, "lost", call_id=call.call_id)
        else:
            self._finish_row(line, call.status, call.disposition, call_id=call.call_id)
        self._release()
        if self._shared_tracker is None:
            self._tracker.forget(call.call_id)  # a shared tracker keeps it in its Calls table

    def _finish_row(self, line: int, status: str, disposition: str | None, *,
                    call_id: str | None = None) -> None:
        state = j.ENDED if status == "ended" else j.FAILED
        self.journal.finished(self.name, line, state=state, status=status,
                              disposition=disposition)
        row = self.journal.row(self.name, line)
        self._rows[line] = row
        wanted = _normal_disposition(disposition)
        if (state == j.FAILED and wanted in self.options.retry
                and row.attempts < self.options.max_attempts and not self._stopping):
            due = self._now() + timedelta(seconds=self.options.retry_after_seconds)
            self.journal.retry_later(self.name, line, due)
            self._rows[line] = self.journal.row(self.name, line)
            heapq.heappush(self._waiting, (due, line))
        self._emit_row(line)

    # ---------------------------------------------------------------- the end

    async def _wind_down(self) -> None:
        """Stop: wait for the POSTs in flight and the live calls (unless abandoned)."""
        while (self._tasks or self._live) and not self._abandon:
            await self._wait_change(self._wake_step)
        if self._abandon and self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._tracker is self._shared_tracker and self._tracker is not None:
            self._tracker.remove_listener(self._on_update)
        elif self._tracker is not None:
            await self._tracker.stop()

    # ---------------------------------------------------------------- events

    def _emit_row(self, line: int) -> None:
        row = self.journal.row(self.name, line)
        if row is not None:
            self._rows[line] = row
            self._emit({"event": "row", **row.to_json()})

    def _emit(self, event: dict[str, Any]) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event({"campaign": self.name, "at": time.time(), **event})
        except Exception:  # noqa: BLE001 - a face's bug never stops a campaign
            log.exception("campaign event handler failed")
