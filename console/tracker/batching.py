"""List batching: refreshing an agent's tracked calls with one page of its call list, the
fall-back to one GET per call, and the discovery of a watched agent's calls.

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

Errors of a list refresh
    A pause (429, Retry-After, sign in again) moves the refresh after it. A list route that
    answers 404/4xx is not used for that agent for `policy.list_retry_after` (per-call GETs
    instead); an unreadable page sends this refresh's calls to GETs; a network error backs all
    the refresh's calls off together.

Watched agents
    `watch()` discovers an agent's calls placed elsewhere: the first read covers calls since
    midnight (live ones, and ended ones that started after watching began); later reads only
    look back to the previous read. A watched agent's list is read every
    `policy.discovery_interval` when none of its calls is due sooner.

`AgentLists` holds this part's state (watches, agents with a refresh under way, list routes
off for now) and reads and changes the tracker's calls only through the tracker's own
`_apply_ok`, `_call_failed`, `_new_from_status` and `_poll_each`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from console.api import errors
from console.api.models import CallStatus, is_terminal
from console.tracker import schedule
from console.tracker.gate import Paused
from console.tracker.model import TrackedCall

if TYPE_CHECKING:
    from console.tracker.tracker import CallTracker

LIST_PAGE_SIZE = 500  # the list route's maximum `limit`
#: a page's calls are taken this many at a time, the loop (the UI's, in the TUI) free between
TAKE_SLICE = 100
DISCOVERY_SLACK = timedelta(seconds=5)  # an ended call this close before the watch began counts


@dataclass
class Watch:
    agent_id: str
    started_wall: datetime  # when watching began
    since: datetime  # start_date of the next discovery read
    next_at: float  # clock time of the next discovery read


@dataclass
class Refresh:
    """One list refresh to run: `calls` of `agent_id` wanted from its pages (and `watch`,
    when the agent is watched, for the calls found that are not tracked yet)."""

    agent_id: str
    calls: list[TrackedCall]
    watch: Watch | None


class AgentLists:
    """The agents' call lists of one tracker: which agent is refreshed by a list page, the
    refreshes themselves, and the watched agents."""

    def __init__(self, tracker: CallTracker, *, batch_threshold: int, page_size: int,
                 max_pages: int):
        self._tracker = tracker
        self.batch_threshold = max(1, batch_threshold)
        self.page_size = max(1, min(LIST_PAGE_SIZE, page_size))
        self.max_pages = max(1, max_pages)
        self.watched: dict[str, Watch] = {}
        self.busy: set[str] = set()  # agents with a refresh under way
        self.off_until: dict[str, float] = {}  # agent → clock time its list route is tried again

    def clear(self) -> None:
        """Forget the watches, refreshes and list-route fall-backs (a new API)."""
        self.busy.clear()
        self.watched.clear()
        self.off_until.clear()

    # ------------------------------------------------------------------ watched agents

    def watch(self, agent_id: str, *, wall: datetime, now: float, since: datetime) -> bool:
        """Start discovering the agent's calls (False: already watched)."""
        if agent_id in self.watched:
            return False
        self.watched[agent_id] = Watch(agent_id=agent_id, started_wall=wall, since=since,
                                       next_at=now)
        return True

    def unwatch(self, agent_id: str) -> None:
        self.watched.pop(agent_id, None)

    def next_watch_at(self) -> float:
        """The earliest discovery read due (of agents without a refresh under way)."""
        earliest = math.inf
        for watch in self.watched.values():
            if watch.agent_id not in self.busy:
                earliest = min(earliest, watch.next_at)
        return earliest

    # ------------------------------------------------------------------ what to read now

    def plan(self, active: Iterable[TrackedCall], in_flight: set[str], now: float,
             coalesce: float) -> list[Refresh | TrackedCall]:
        """The reads to start now, in order: list refreshes (their agents are marked busy)
        and single calls to GET. Calls in `in_flight` and agents already busy are left out."""
        horizon = now + coalesce
        candidates: dict[str, list[TrackedCall]] = {}
        idle: dict[str, int] = {}  # per agent: live calls not being read right now
        due_agents: set[str] = set()
        reads: list[Refresh | TrackedCall] = []
        for call in active:
            if call.call_id in in_flight or call.agent_id in self.busy:
                continue
            if not call.agent_id:  # known by its id only (`track_id`): GET until first read
                if call.next_poll_at <= now:
                    reads.append(call)
                continue
            idle[call.agent_id] = idle.get(call.agent_id, 0) + 1
            if call.next_poll_at <= horizon:
                candidates.setdefault(call.agent_id, []).append(call)
                if call.next_poll_at <= now:
                    due_agents.add(call.agent_id)
        for agent_id, watch in self.watched.items():
            if agent_id not in self.busy and watch.next_at <= now:
                due_agents.add(agent_id)
        for agent_id in due_agents:
            calls = candidates.get(agent_id, [])
            watch = self.watched.get(agent_id)
            list_usable = self.off_until.get(agent_id, -math.inf) <= now
            # One list page refreshes every call of the agent it holds (and realigns them), so
            # it pays as soon as the agent has `batch_threshold` live calls, due or not.
            if list_usable and (watch is not None or idle.get(agent_id, 0) >= self.batch_threshold):
                # Calls the last page did not cover are read one by one (an old long call must
                # not stretch every page's window); a page that holds them again heals that.
                listed = [c for c in calls if not c.list_misses]
                list_due = (any(c.next_poll_at <= now for c in listed)
                            or (watch is not None and watch.next_at <= now))
                if list_due:
                    self.busy.add(agent_id)
                    reads.append(Refresh(agent_id, listed, watch))
                reads.extend(c for c in calls if c.list_misses and c.next_poll_at <= now)
                continue
            if watch is not None:  # list route off for now: discovery waits for it
                watch.next_at = max(watch.next_at, self.off_until.get(agent_id, now))
            reads.extend(c for c in calls if c.next_poll_at <= now)
        return reads

    # ------------------------------------------------------------------ one refresh

    async def refresh(self, agent_id: str, calls: list[TrackedCall], watch: Watch | None) -> None:
        """Read the agent's pages, update every tracked call they hold (and discover new ones
        of a watched agent); GET the wanted calls they did not hold."""
        tracker = self._tracker
        clock, policy = tracker.clock, tracker.policy
        wanted = {c.call_id: c for c in calls}
        wall0 = clock.wall()
        margin = timedelta(seconds=policy.list_margin)
        starts = [s for s in (c.started_at for c in calls) if s is not None]
        start = (min(starts) - margin) if starts else wall0 - margin
        if watch is not None:
            start = min(start, watch.since)
        found: dict[str, CallStatus] = {}
        fallback: list[TrackedCall] = []
        try:
            offset = 0
            for _ in range(self.max_pages):
                page = await tracker._gate.request(
                    "list", lambda client, o=offset: client.list_calls(
                        agent_id, limit=self.page_size, offset=o, start_date=start,
                        retries=0))
                for item in page.calls:
                    found[item.call_id] = item
                offset += len(page.calls)
                if (len(page.calls) < self.page_size
                        or (page.total is not None and offset >= page.total)):
                    break
                if watch is None and all(cid in found for cid in wanted):
                    break
        except Paused:
            paused_until = tracker._gate.paused_until
            for call in calls:
                call.next_poll_at = max(call.next_poll_at, paused_until)
            if watch is not None:
                watch.next_at = max(watch.next_at, paused_until)
        except (errors.NotFound, errors.RequestRejected, errors.Forbidden):
            # This server (or agent) has no usable list route: per-call GETs for a while.
            now = clock.now()
            self.off_until[agent_id] = now + policy.list_retry_after
            if watch is not None:
                watch.next_at = now + policy.list_retry_after
            fallback = [c for c in calls if c.next_poll_at <= now]
        except errors.BadResponse:
            # Unreadable this time (a proxy page, a cut body): read the calls one by one.
            now = clock.now()
            if watch is not None:
                watch.next_at = now + policy.discovery_interval
            fallback = list(calls)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - network errors: the calls back off together
            worst = max((c.consecutive_errors for c in calls), default=0) + 1
            delay = schedule.error_delay(worst, tracker._rng, policy)
            for call in calls:
                tracker._call_failed(call, exc, delay=delay)
            if watch is not None:
                watch.next_at = clock.now() + delay
        else:
            now, wall = clock.now(), clock.wall()
            items = list(found.values())
            for first in range(0, len(items), TAKE_SLICE):
                if first:  # let the UI (same loop) in between: a page is up to 500 calls
                    await asyncio.sleep(0)
                self._take(items[first:first + TAKE_SLICE], wanted, watch, now, wall)
            fallback = self._missed(found, wanted)
            if watch is not None and self.watched.get(agent_id) is watch:
                watch.since = wall0 - margin
                watch.next_at = now + policy.discovery_interval
        finally:
            self.busy.discard(agent_id)
            for cid in wanted:
                tracker._in_flight.discard(cid)
        tracker._poll_each(fallback)

    def _take(self, items: Iterable[CallStatus], wanted: dict[str, TrackedCall],
              watch: Watch | None, now: float, wall: datetime) -> None:
        """Update the tracked calls these items of the pages hold (new ones of a watched agent
        are tracked)."""
        tracker = self._tracker
        list_interval = tracker.policy.list_interval
        for item in items:
            call = tracker.get(item.call_id)
            if call is None:
                if watch is not None and self._discoverable(item, watch):
                    tracker._new_from_status(item, source="watched")
                continue
            if call.done:
                continue
            call.list_misses = 0
            if item.call_id in wanted:
                tracker._apply_ok(call, item, now, wall, due=True)
            elif item.call_id not in tracker._in_flight:
                tracker._apply_ok(call, item, now, wall, due=False)
            else:
                continue
            if not call.done and call.live:
                call.next_poll_at = min(call.next_poll_at, now + list_interval)

    @staticmethod
    def _missed(found: dict[str, CallStatus],
                wanted: dict[str, TrackedCall]) -> list[TrackedCall]:
        """The wanted calls the pages did not hold (each counts one more miss)."""
        missed = [c for cid, c in wanted.items() if cid not in found]
        for call in missed:
            call.list_misses += 1
        return missed

    def _discoverable(self, item: CallStatus, watch: Watch) -> bool:
        if item.call_id in self._tracker._forgotten:
            return False
        if not is_terminal(item.status):
            return True
        started = item.started
        if started is None:
            return False
        if started.tzinfo is None:
            started = started.replace(tzinfo=UTC)
        return started >= watch.started_wall - DISCOVERY_SLACK
