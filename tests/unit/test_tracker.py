"""CallTracker scheduling with a ManualClock and a fake API object (no network, no sleeping).

`FakeApi` has the two read methods the tracker uses (`get_call`, `list_calls`) as plain async
methods over a dict of prepared `CallStatus` objects; it records every request with the clock
time it was made, and can hold requests or fail them on demand.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.api import errors
from console.api.models import CallPage, CallResponse, CallStatus
from console.store.history import CallStore
from console.tracker import CallTracker, ManualClock, TrackedCall

AGENT_A = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"
AGENT_B = "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02"


class FakeApi:
    def __init__(self, clock: ManualClock):
        self.clock = clock
        self.server: dict[str, CallStatus] = {}
        self.log: list[tuple[float, str, str]] = []  # (clock time, "get"|"list", id)
        self.list_args: list[dict[str, Any]] = []
        self.hidden_from_list: set[str] = set()
        self.get_failures: dict[str, list[BaseException]] = {}
        self.list_failures: list[BaseException] = []
        self.hold: asyncio.Event | None = None
        self.in_flight = 0
        self.max_in_flight = 0
        #: every request (GET, list, heartbeat) fails with this while set: the API is down
        self.down: BaseException | None = None

    # -- server-side state
    def add(self, agent: str = AGENT_A, status: str = "initiated", *,
            started: datetime | None = None, **fields: Any) -> CallStatus:
        started = started or self.clock.wall()
        cs = CallStatus(call_id=str(uuid.uuid4()), agent_id=agent, to_number="+14155550000",
                        from_number="+14155551000", status=status,
                        started_at=started.isoformat(), **fields)
        self.server[cs.call_id] = cs
        return cs

    def set(self, call_id: str, **fields: Any) -> None:
        self.server[call_id] = self.server[call_id].model_copy(update=fields)

    # -- what the tracker calls
    async def _enter(self) -> None:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0)
            if self.hold is not None:
                await self.hold.wait()
        finally:
            self.in_flight -= 1

    async def get_call(self, call_id: str, *, retries: int | None = None) -> CallStatus:
        assert retries == 0
        self.log.append((self.clock.now(), "get", call_id))
        await self._enter()
        if self.down is not None:
            raise self.down
        failures = self.get_failures.get(call_id)
        if failures:
            raise failures.pop(0)
        if call_id not in self.server:
            raise errors.NotFound("404 Not Found: call not found", status_code=404)
        return self.server[call_id].model_copy()

    async def list_calls(self, agent_id: str, *, limit: int = 100, offset: int = 0,
                         start_date: datetime | None = None, retries: int | None = None,
                         **_: Any) -> CallPage:
        assert retries == 0
        self.log.append((self.clock.now(), "list", agent_id))
        self.list_args.append({"agent_id": agent_id, "limit": limit, "offset": offset,
                               "start_date": start_date})
        await self._enter()
        if self.down is not None:
            raise self.down
        if self.list_failures:
            raise self.list_failures.pop(0)
        items = [c for c in self.server.values()
                 if c.agent_id == agent_id and c.call_id not in self.hidden_from_list
                 and (start_date is None or c.started >= start_date)]
        items.sort(key=lambda c: c.started, reverse=True)
        return CallPage(calls=[c.model_copy() for c in items[offset:offset + limit]],
                        total=len(items), limit=limit, offset=offset)

    async def heartbeat(self) -> None:
        """A light read (what `GET /agents` is to the console)."""
        self.log.append((self.clock.now(), "beat", ""))
        await self._enter()
        if self.down is not None:
            raise self.down

    # -- reading the log
    def requests(self, kind: str | None = None, call_id: str | None = None) -> list[float]:
        return [t for t, k, i in self.log
                if (kind is None or k == kind) and (call_id is None or i == call_id)]


def placed(cs: CallStatus, status: str = "initiated") -> CallResponse:
    return CallResponse(call_id=cs.call_id, session_id=str(uuid.uuid4()), room_name="r",
                        agent_id=cs.agent_id, direction="outbound", from_number=cs.from_number,
                        to_number=cs.to_number, status=status)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(clock: ManualClock) -> FakeApi:
    return FakeApi(clock)


@pytest.fixture
def updates() -> dict[str, list]:
    return {"update": [], "batch": []}


@pytest.fixture
async def tracker(clock: ManualClock, api: FakeApi, updates) -> AsyncIterator[CallTracker]:
    t = CallTracker(lambda: api, clock=clock, rng=random.Random(7), requests_per_second=1000,
                    on_update=lambda c: updates["update"].append((c.call_id, c.status)),
                    on_batch=lambda cs: updates["batch"].append([c.call_id for c in cs]))
    yield t
    await t.stop()


def approx(value: float) -> Any:
    return pytest.approx(value, abs=0.06)


# ----------------------------------------------------------------------------- per-call schedule


async def test_intervals_follow_the_status(tracker: CallTracker, api: FakeApi,
                                           clock: ManualClock) -> None:
    cs = api.add(status="initiated")
    t0 = clock.now()
    tracker.track(placed(cs), {"agent_id": AGENT_A, "to_number": cs.to_number}, "ann")
    await tracker.start()
    await clock.run_for(3.0)
    api.set(cs.call_id, status="answered")
    await clock.run_for(16.0)
    times = [t - t0 for t in api.requests("get", cs.call_id)]
    # 1 s while initiated, then answered: 2, 3, 4.5, 5, 5 ...
    assert times[:3] == [approx(1), approx(2), approx(3)]
    assert times[3] == approx(4)  # the first read that sees "answered"
    gaps = [b - a for a, b in zip(times[3:], times[4:], strict=False)]
    assert gaps[:4] == [approx(2), approx(3), approx(4.5), approx(5)]
    assert api.requests("list") == []


async def test_next_poll_is_scheduled_when_the_previous_one_finished(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    tracker.track(placed(cs), None, None)
    api.hold = asyncio.Event()
    await tracker.start()
    await clock.run_for(1.0)
    assert len(api.requests("get")) == 1
    await clock.run_for(6.0)  # the answer takes 6 s: nothing piles up behind it
    assert len(api.requests("get")) == 1
    api.hold.set()
    api.hold = None
    await clock.settle()
    finished = clock.now()
    await clock.run_for(1.5)
    times = api.requests("get")
    assert len(times) == 2 and times[1] == approx(finished + 1.0)


async def test_unknown_status_is_kept_verbatim_and_polled_as_live(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="answered")
    call = tracker.track(placed(cs, "answered"), None, None)
    await tracker.start()
    await clock.run_for(2.0)
    api.set(cs.call_id, status="Transferring <b>now</b>")
    await clock.run_for(3.0)
    assert call.status == "Transferring <b>now</b>" and call.live and not call.done
    before = len(api.requests("get"))
    await clock.run_for(6.0)
    assert len(api.requests("get")) - before == 4  # every 1.5 s
    assert [s for _, s in call.status_changes] == ["answered", "Transferring <b>now</b>"]


async def test_terminal_call_gets_two_follow_ups_for_late_fields_then_never_again(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="answered")
    call = tracker.track(placed(cs, "answered"), None, None)
    await tracker.start()
    await clock.run_for(2.0)
    api.set(cs.call_id, status="ended", disposition="completed")
    await clock.run_for(3.0)  # read at +2 (answered) ... next read sees ended
    ended_seen = api.requests("get")[-1]
    assert call.status == "ended" and not call.done
    api.set(cs.call_id, duration_seconds=20, recording_url="https://rec/x.ogg")
    await clock.run_for(2.5)
    assert api.requests("get")[-1] == approx(ended_seen + 2.0)
    assert call.last.duration_seconds == 20 and call.last.recording_url == "https://rec/x.ogg"
    api.set(cs.call_id, sentiment_score=0.5)
    await clock.run_for(4.0)
    assert api.requests("get")[-1] == approx(ended_seen + 5.0)
    assert call.done and call.last.sentiment_score == 0.5
    count = len(api.requests())
    await clock.run_for(30.0, step=0.5)
    assert len(api.requests()) == count
    assert tracker.stats().live == 0 and tracker.stats().counts == {"ended": 1}


async def test_failed_call_without_late_fields_still_stops_after_two_follow_ups(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="failed", disposition="busy", duration_seconds=0)
    call = tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(20.0, step=0.25)
    assert len(api.requests("get")) == 3 and call.done


# ----------------------------------------------------------------------------- list batching


async def test_three_due_calls_of_one_agent_share_one_list_request(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    lone = api.add(AGENT_B, status="ringing")
    for cs in [*calls, lone]:
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    assert [i for _, k, i in api.log] == [AGENT_A, lone.call_id] or \
        [i for _, k, i in api.log] == [lone.call_id, AGENT_A]
    args = api.list_args[0]
    assert args["limit"] == 500 and args["offset"] == 0
    # start_date: the earliest start of the due calls minus the margin
    earliest = min(cs.started for cs in calls)
    assert args["start_date"] == earliest - timedelta(seconds=60)
    api.set(calls[1].call_id, status="answered")
    await clock.run_for(5.0)
    assert tracker.get(calls[1].call_id).status == "answered"
    assert api.requests("get", lone.call_id) and not any(
        api.requests("get", cs.call_id) for cs in calls)
    # one list per second for agent A (the ringing ones keep it at 1 s), one GET/s for B
    assert len(api.requests("list")) == 6
    assert len(api.requests("get")) == 6


async def test_below_the_threshold_calls_are_read_one_by_one(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(2)]
    for cs in calls:
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(3.0)
    assert api.requests("list") == []
    assert all(len(api.requests("get", cs.call_id)) == 3 for cs in calls)


async def test_calls_missing_from_the_page_fall_back_to_get(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(4)]
    api.hidden_from_list.add(calls[2].call_id)
    for cs in calls:
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    assert len(api.requests("list")) == 1
    assert [i for _, k, i in api.log if k == "get"] == [calls[2].call_id]
    api.set(calls[2].call_id, status="answered")
    await clock.run_for(1.0)
    missing = tracker.get(calls[2].call_id)
    assert missing.status == "answered" and missing.list_misses == 1
    # it keeps being read on its own (answered: 2 s) while the page serves the others
    await clock.run_for(4.0)
    assert len(api.requests("list")) == 6 and len(api.requests("get", missing.call_id)) == 3
    # once a page holds it again it goes back to sharing the page
    api.hidden_from_list.clear()
    await clock.run_for(1.0)
    assert missing.list_misses == 0
    gets = len(api.requests("get"))
    await clock.run_for(5.0)
    assert len(api.requests("get")) == gets


async def test_not_due_calls_found_in_a_page_are_updated_and_realigned(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    t0 = clock.now()
    early = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    for cs in early:
        tracker.track(placed(cs), None, None)  # due at t0 + 1
    await clock.run_for(0.3)
    late = api.add(AGENT_A, status="ringing")
    late_call = tracker.track(placed(late), None, None)  # due at t0 + 1.3
    api.set(late.call_id, status="answered")
    await tracker.start()
    await clock.run_for(0.75)
    assert api.log == [(t0 + 1.0, "list", AGENT_A)]  # one request for all four
    assert late_call.status == "answered"
    assert late_call.next_poll_at == t0 + 1.0 + 1.0  # realigned on the page read
    await clock.run_for(4.0)
    assert api.requests("get") == []


async def test_a_batched_agent_is_refreshed_every_second_even_when_all_are_answered(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    batched = [api.add(AGENT_A, status="answered") for _ in range(3)]
    single = api.add(AGENT_B, status="answered")
    for cs in (*batched, single):
        tracker.track(placed(cs, "answered"), None, None)
    await tracker.start()
    await clock.run_for(20.0, step=0.25)
    lists = api.requests("list")
    assert [b - a for a, b in zip(lists, lists[1:], strict=False)] == [1.0] * (len(lists) - 1)
    gets = api.requests("get", single.call_id)
    # the lone call pays per read, so it keeps the answered spacing: 2, 3, 4.5, 5, 5 ...
    assert [b - a for a, b in zip(gets, gets[1:], strict=False)][:4] == [3.0, 4.5, 5.0, 5.0]
    assert all(tracker.get(cs.call_id).interval == 5.0 for cs in batched)  # nominal (stale)


async def test_an_unreadable_list_page_falls_back_to_gets_this_time(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    api.list_failures = [errors.BadResponse("200: not JSON (HTML page)")]
    for cs in calls:
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    assert len(api.requests("list")) == 1 and len(api.requests("get")) == 3
    await clock.run_for(1.0)
    assert len(api.requests("list")) == 2 and len(api.requests("get")) == 3


async def test_pagination_continues_until_every_wanted_call_is_seen(
        clock: ManualClock, api: FakeApi) -> None:
    t = CallTracker(lambda: api, clock=clock, list_page_size=2, requests_per_second=1000)
    base = clock.wall()
    calls = [api.add(AGENT_A, status="ringing", started=base + timedelta(seconds=i))
             for i in range(5)]
    for cs in calls:
        t.track(placed(cs), None, None)
    await t.start()
    try:
        await clock.run_for(1.0)
        assert [a["offset"] for a in api.list_args] == [0, 2, 4]
        assert api.requests("get") == []
    finally:
        await t.stop()


# ----------------------------------------------------------------------------- failures


async def test_retry_after_pauses_every_request_until_it_ends(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    a = api.add(AGENT_A, status="ringing")
    b = api.add(AGENT_B, status="ringing")
    api.get_failures[a.call_id] = [errors.RateLimited("429", retry_after=7.0, status_code=429)]
    for cs in (a, b):
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    hit = clock.now()
    assert tracker.backoff_until == approx(hit + 7.0)
    assert tracker.stats().backoff_until is not None
    count = len(api.requests())
    await clock.run_for(6.8)
    assert len(api.requests()) == count  # nobody, not only the call that got the 429
    await clock.run_for(0.5)
    after = api.requests()[count:]
    assert {i for _, _, i in api.log[count:]} == {a.call_id, b.call_id}
    assert min(after) >= hit + 7.0 - 0.06
    assert tracker.get(a.call_id).consecutive_errors == 0


async def test_retry_after_missing_defaults_to_five_seconds(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    a = api.add(AGENT_A, status="ringing")
    api.get_failures[a.call_id] = [errors.ServerError("503", retry_after=None, status_code=503),
                                   errors.RateLimited("429", retry_after=None, status_code=429)]
    tracker.track(placed(a), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    # a 5xx without Retry-After backs off this call only (no global pause)
    assert tracker.backoff_until is None and tracker.get(a.call_id).consecutive_errors == 1
    await clock.run_for(2.0)
    hit = api.requests()[-1]
    assert tracker.backoff_until == approx(hit + 5.0)


async def test_list_429_pauses_everyone_too(tracker: CallTracker, api: FakeApi,
                                            clock: ManualClock) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    other = api.add(AGENT_B, status="ringing")
    api.list_failures = [errors.RateLimited("429", retry_after=4.0, status_code=429)]
    for cs in (*calls, other):
        tracker.track(placed(cs), None, None)
    api.hold = asyncio.Event()  # B's GET is in flight when the 429 arrives: it is not undone
    await tracker.start()
    await clock.run_for(1.0)
    api.hold.set()
    api.hold = None
    await clock.settle()
    count = len(api.requests())
    await clock.run_for(3.9)
    assert len(api.requests()) == count
    await clock.run_for(0.3)
    assert len(api.requests("list")) == 2 and len(api.requests("get", other.call_id)) == 2


async def test_auth_failure_pauses_until_resume_after_sign_in(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    """401 → everyone waits (`policy.auth_pause`); `resume()` (signed in again) ends the wait
    at once: the held call is read on the next cycle, not 30 s later."""
    a = api.add(AGENT_A, status="ringing")
    b = api.add(AGENT_B, status="ringing")
    api.get_failures[a.call_id] = [errors.AuthRequired("401 Unauthorized", status_code=401)]
    for cs in (a, b):
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    hit = clock.now()
    assert tracker.backoff_until == approx(hit + tracker.policy.auth_pause)
    assert tracker.stats().paused_for_sign_in
    count = len(api.requests())
    await clock.run_for(3.0)
    assert len(api.requests()) == count            # paused for everyone
    tracker.resume()
    assert tracker.backoff_until is None
    await clock.run_for(0.2)
    assert {i for _, _, i in api.log[count:]} == {a.call_id, b.call_id}
    assert max(api.requests()[count:]) < hit + 3.5


async def test_resume_keeps_a_pause_the_server_asked_for(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    a = api.add(AGENT_A, status="ringing")
    b = api.add(AGENT_B, status="ringing")
    api.get_failures[a.call_id] = [errors.RateLimited("429", retry_after=7.0, status_code=429)]
    api.get_failures[b.call_id] = [errors.AuthRequired("401 Unauthorized", status_code=401)]
    for cs in (a, b):
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.0)
    hit = clock.now()
    count = len(api.requests())
    assert tracker.stats().paused_for_sign_in
    tracker.resume()                               # the 401's 30 s go; the 429's 7 s stay
    assert tracker.backoff_until == approx(hit + 7.0)
    assert not tracker.stats().paused_for_sign_in
    await clock.run_for(6.8)
    assert len(api.requests()) == count
    await clock.run_for(0.5)
    assert {i for _, _, i in api.log[count:]} == {a.call_id, b.call_id}


async def test_network_errors_back_off_per_call_with_jitter_capped(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    bad = api.add(AGENT_A, status="ringing")
    good = api.add(AGENT_B, status="ringing")
    api.get_failures[bad.call_id] = [errors.NetworkError("GET: reset")] * 8
    for cs in (bad, good):
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(120.0, step=0.25)
    times = api.requests("get", bad.call_id)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) >= 9
    # exponential (± 25 % jitter) up to the 30 s cap, then the call recovers to 1 s
    for n, gap in enumerate(gaps[:8], start=1):
        raw = min(30.0, 2 ** (n - 1))
        assert max(1.0, raw * 0.75) - 0.3 <= gap <= raw * 1.25 + 0.3, (n, gap)
    assert max(gaps) <= 30.0 + 0.3
    assert gaps[-1] == pytest.approx(1.0, abs=0.3)
    good_gaps = {round(b - a, 1) for a, b in zip(api.requests("get", good.call_id),
                                                 api.requests("get", good.call_id)[1:],
                                                 strict=False)}
    assert good_gaps <= {1.0, 1.1, 1.2, 1.3}  # the healthy call was never slowed down
    assert tracker.stats().errors == 8


async def test_stale_flag_is_set_after_silence_and_cleared_on_success(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    call = tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.5)
    assert call.last_ok is not None and "stale" not in call.flags
    api.get_failures[cs.call_id] = [errors.ConnectionFailed("refused")] * 5
    await clock.run_for(9.0, step=0.25)
    assert "stale" not in call.flags
    await clock.run_for(2.0, step=0.25)
    assert "stale" in call.flags and call.status == "ringing"  # kept, with its last state
    await clock.run_for(40.0, step=0.5)
    assert "stale" not in call.flags and call.consecutive_errors == 0


async def test_not_found_three_times_flags_the_call_and_keeps_its_state(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    call = tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(1.5)
    del api.server[cs.call_id]
    await clock.run_for(3.0, step=0.1)
    assert call.not_found_count == 2 and "not-found" not in call.flags
    await clock.run_for(6.0, step=0.1)
    assert call.not_found_count >= 3 and "not-found" in call.flags
    assert call.status == "ringing" and call.call_id in tracker


async def test_list_route_missing_falls_back_to_gets(tracker: CallTracker, api: FakeApi,
                                                     clock: ManualClock) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    api.list_failures = [errors.NotFound("404: Not Found", status_code=404)]
    for cs in calls:
        tracker.track(placed(cs), None, None)
    await tracker.start()
    await clock.run_for(3.0)
    assert len(api.requests("list")) == 1
    assert all(len(api.requests("get", cs.call_id)) == 3 for cs in calls)


# ----------------------------------------------------------------------------- watchdogs


async def test_ringing_overdue_watchdog(tracker: CallTracker, api: FakeApi,
                                        clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    call = tracker.track(placed(cs), {"agent_id": AGENT_A, "to_number": cs.to_number,
                                      "ringing_timeout_seconds": 20}, "ann")
    assert call.ringing_timeout_seconds == 20
    await tracker.start()
    await clock.run_for(34.5, step=0.5)
    assert "ringing-overdue" not in call.flags
    await clock.run_for(1.5, step=0.5)
    assert "ringing-overdue" in call.flags
    api.set(cs.call_id, status="failed", disposition="no-answer")
    await clock.run_for(1.5, step=0.5)
    assert "ringing-overdue" not in call.flags


async def test_over_max_duration_watchdog(tracker: CallTracker, api: FakeApi,
                                          clock: ManualClock) -> None:
    cs = api.add(status="answered")
    call = tracker.track(placed(cs, "answered"),
                         {"agent_id": AGENT_A, "max_call_duration_seconds": 60}, None)
    await tracker.start()
    await clock.run_for(89.0, step=0.5)
    assert "over-max-duration" not in call.flags
    await clock.run_for(2.0, step=0.5)
    assert "over-max-duration" in call.flags and "stale" not in call.flags


# ----------------------------------------------------------------------------- callbacks


async def test_on_update_and_on_batch_fire_on_changes_only(
        tracker: CallTracker, api: FakeApi, clock: ManualClock, updates) -> None:
    calls = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    for cs in calls:
        tracker.track(placed(cs, "ringing"), None, None)
    await tracker.start()
    await clock.run_for(0.1)
    assert updates["batch"] == [[cs.call_id for cs in calls]]  # the new rows, one batch
    updates["update"].clear()
    updates["batch"].clear()
    await clock.run_for(1.0)  # first read: `last` filled in for all three
    assert len(updates["batch"]) == 1 and len(updates["update"]) == 3
    updates["update"].clear()
    updates["batch"].clear()
    await clock.run_for(3.0)  # nothing changes on the server: nothing reported
    assert updates == {"update": [], "batch": []}
    api.set(calls[0].call_id, status="answered")
    api.set(calls[2].call_id, status="failed", disposition="busy")
    await clock.run_for(1.0)
    assert updates["update"] == [(calls[0].call_id, "answered"), (calls[2].call_id, "failed")]
    assert updates["batch"] == [[calls[0].call_id, calls[2].call_id]]


async def test_a_failing_callback_never_stops_tracking(clock: ManualClock, api: FakeApi) -> None:
    def boom(_: TrackedCall) -> None:
        raise RuntimeError("ui bug")

    t = CallTracker(lambda: api, clock=clock, on_update=boom, on_batch=boom)
    cs = api.add(status="ringing")
    t.track(placed(cs), None, None)
    await t.start()
    try:
        await clock.run_for(1.0)
        api.set(cs.call_id, status="answered")
        await clock.run_for(1.0)
        assert t.get(cs.call_id).status == "answered" and t.running
    finally:
        await t.stop()


# ----------------------------------------------------------------------------- budget


async def test_request_budget_and_concurrency_cap(clock: ManualClock, api: FakeApi) -> None:
    t = CallTracker(lambda: api, clock=clock, requests_per_second=4.0, concurrency=2)
    for _ in range(12):
        t.track(placed(api.add(str(uuid.uuid4()), status="ringing")), None, None)
    await t.start()
    try:
        await clock.run_for(1.0)
        start = clock.now()
        await clock.run_for(4.0)
        window = [x for x in api.requests() if start - 1e-9 <= x < start + 4.0]
        assert len(window) <= 4 + 4 * 4  # one burst (a second's worth) + the refill rate
        steady = window[4:]
        assert all(b - a >= 0.25 - 1e-9 for a, b in zip(steady, steady[1:], strict=False))
        assert api.max_in_flight <= 2
        assert t.stats().requests_per_second <= 4.0 + 4.0 / 5  # burst included
    finally:
        await t.stop()


# ----------------------------------------------------------------------------- watching


async def test_watched_agent_calls_placed_elsewhere_are_discovered(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    old_ended = api.add(AGENT_A, status="ended", started=clock.wall() - timedelta(hours=2))
    old_live = api.add(AGENT_A, status="answered", started=clock.wall() - timedelta(minutes=30))
    other_agent = api.add(AGENT_B, status="ringing")
    tracker.watch_agent(AGENT_A)
    await tracker.start()
    await clock.run_for(0.5)
    midnight = clock.wall().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    assert api.list_args[0]["start_date"] == midnight
    assert {c.call_id for c in tracker.calls()} == {old_live.call_id}
    new = api.add(AGENT_A, status="initiated")
    quick = api.add(AGENT_A, status="failed", disposition="rejected")  # ended between reads
    await clock.run_for(2.5)
    found = {c.call_id: c for c in tracker.calls()}
    assert set(found) == {old_live.call_id, new.call_id, quick.call_id}
    assert found[new.call_id].source == "watched"
    assert old_ended.call_id not in found and other_agent.call_id not in found
    # later reads only look back to the previous read (minus the margin)
    assert api.list_args[-1]["start_date"] > midnight
    assert api.requests("get") == []  # the watched agent's list covers its calls
    tracker.unwatch_agent(AGENT_A)
    assert tracker.watched_agents() == []


async def test_track_status_with_outcome_unknown_flag(tracker: CallTracker, api: FakeApi) -> None:
    cs = api.add(status="ringing")
    call = tracker.track_status(cs, source="console", placed_by="ann",
                                request={"agent_id": AGENT_A, "ringing_timeout_seconds": 10},
                                flags={"outcome-unknown"})
    assert call.flags == {"outcome-unknown"} and call.ringing_timeout_seconds == 10
    assert call.source == "console" and call.placed_by == "ann" and call.last == cs


# ----------------------------------------------------------------------------- store


async def test_changes_are_written_to_the_store_and_restored_after_a_restart(
        tmp_path: Path, clock: ManualClock, api: FakeApi) -> None:
    store = CallStore(tmp_path / "calls.sqlite3")
    live = api.add(AGENT_A, status="ringing")
    short = api.add(AGENT_A, status="ringing")
    t1 = CallTracker(lambda: api, clock=clock, store=store)
    t1.track(placed(live), {"agent_id": AGENT_A, "to_number": live.to_number}, "ann")
    t1.track(placed(short), None, "ann")
    await t1.start()
    await clock.run_for(1.5)
    api.set(live.call_id, status="answered")
    api.set(short.call_id, status="failed", disposition="busy")
    await clock.run_for(1.0)
    await t1.stop()  # the console is closed (or killed) here
    assert [s for _, s in store.timeline(live.call_id)] == ["initiated", "ringing", "answered"]
    assert store.get(short.call_id).status == "failed"

    api.log.clear()
    t2 = CallTracker(lambda: api, clock=clock, store=store)
    assert t2.restore_from_store() == 2
    restored = t2.get(live.call_id)
    assert restored.source == "restored" and restored.placed_by == "ann"
    assert restored.request == {"agent_id": AGENT_A, "to_number": live.to_number}
    assert [s for _, s in restored.status_changes] == ["initiated", "ringing", "answered"]
    assert restored.answered_at is not None and not restored.done
    assert t2.get(short.call_id).done  # terminal: shown, never polled
    await t2.start()
    try:
        await clock.run_for(0.5)
        assert [i for _, _, i in api.log] == [live.call_id]
        api.set(live.call_id, status="ended", disposition="completed", duration_seconds=20,
                recording_url="https://rec/1.ogg", sentiment_score=0.1)
        await clock.run_for(6.0)
        assert t2.get(live.call_id).done
        assert not api.requests("get", short.call_id)
        row = store.get(live.call_id)
        assert row.status == "ended" and row.done and row.duration_seconds == 20
        assert t2.restore_from_store() == 0  # already there
    finally:
        await t2.stop()
        store.close()


async def test_the_store_is_written_off_the_loop_and_before_the_change_is_reported(
        tmp_path: Path, clock: ManualClock, api: FakeApi) -> None:
    """A cycle's SQLite writes (30-50 ms at 1,000 live calls) must not run on the event loop,
    the UI's in the TUI: every write is made on another thread, and a change is in the store
    by the time `on_batch` hears of it."""
    store = CallStore(tmp_path / "calls.sqlite3")
    writers: dict[str, set[int]] = {"record_placed": set(), "record_statuses": set()}
    for name, threads in writers.items():
        def recording(*args: Any, _write=getattr(store, name), _threads=threads,
                      **kwargs: Any) -> Any:
            _threads.add(threading.get_ident())
            return _write(*args, **kwargs)

        setattr(store, name, recording)
    seen: list[tuple[str, str | None]] = []  # (status reported, status in the store then)

    def on_batch(calls: list[TrackedCall]) -> None:
        for call in calls:
            row = store.get(call.call_id)
            seen.append((call.status, None if row is None else row.status))

    cs = api.add(status="ringing")
    t = CallTracker(lambda: api, clock=clock, store=store, on_batch=on_batch)
    t.track(placed(cs), None, "ann")
    await t.start()
    try:
        await clock.run_for(1.5)
        api.set(cs.call_id, status="answered")
        await clock.run_for(3.0)
    finally:
        await t.stop()
    loop_thread = threading.get_ident()
    assert all(writers.values()) and not any(loop_thread in t for t in writers.values())
    assert [s for s, _ in seen][-2:] == ["ringing", "answered"]
    assert all(reported == stored for reported, stored in seen), seen
    store.close()


async def test_stop_cancels_requests_in_flight(tracker: CallTracker, api: FakeApi,
                                               clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    tracker.track(placed(cs), None, None)
    api.hold = asyncio.Event()
    await tracker.start()
    await clock.run_for(1.0)
    assert api.in_flight == 1 and tracker.stats().in_flight == 1
    await tracker.stop()
    assert api.in_flight == 0 and not tracker.running and tracker.stats().in_flight == 0
    await tracker.start()  # can start again
    assert tracker.running


def test_stats_need_no_event_loop(clock: ManualClock, api: FakeApi) -> None:
    t = CallTracker(lambda: api, clock=clock)
    t.track(placed(api.add(status="ringing")), None, None)
    s = t.stats()
    assert (s.requests, s.tracked, s.live, s.counts) == (0, 1, 1, {"initiated": 1})
    assert s.backoff_until is None and s.last_ok is None


def test_for_session_takes_the_budget_from_the_settings() -> None:
    from console.config.settings import Settings
    from console.account.session import ConsoleSession

    session = ConsoleSession(Settings(base_url="http://127.0.0.1:9", token="t",
                                      poll_requests_per_second=7.5, poll_concurrency=3))
    t = CallTracker.for_session(session, clock=ManualClock())
    assert (t.requests_per_second, t.concurrency) == (7.5, 3)
    assert t._client_provider() is session.client


# ----------------------------------------------------------------------------- lost calls


async def test_a_call_answered_404_five_times_in_a_row_is_lost_and_never_polled_again(
        tmp_path: Path, clock: ManualClock, api: FakeApi, updates) -> None:
    store = CallStore(tmp_path / "calls.sqlite3")
    cs = api.add(AGENT_A, status="answered", disposition=None)
    t = CallTracker(lambda: api, clock=clock, store=store, environment="https://api.test",
                    on_update=lambda c: updates["update"].append((c.call_id, c.lost)))
    call = t.track(placed(cs, "answered"), {"agent_id": AGENT_A}, "ann")
    await t.start()
    try:
        await clock.run_for(2.5)
        assert call.last is not None and call.live
        del api.server[cs.call_id]  # the API restarted: it no longer knows the call
        while call.not_found_count < 3:
            await clock.run_for(1.0)
        assert "not-found" in call.flags and not call.lost and call.live  # flagged, polled
        while not call.lost:
            await clock.run_for(1.0)
            assert clock.now() < 1200, "never lost"
        assert call.not_found_count == t.policy.lost_after == 5
        assert call.done and not call.live and call.final
        assert call.status == "answered" and call.last.status == "answered"  # last known
        stats = t.stats()
        assert (stats.live, stats.lost, stats.tracked) == (0, 1, 1)
        assert "answered" not in stats.counts
        assert (cs.call_id, True) in updates["update"]
        gets = len(api.requests("get", cs.call_id))
        await clock.run_for(120.0, step=1.0)
        assert len(api.requests("get", cs.call_id)) == gets  # never polled again
    finally:
        await t.stop()
    row = store.get(cs.call_id)
    assert row.lost and row.done and row.status == "answered" and row.placed_by == "ann"
    # a restarted console shows it lost, and does not poll it
    api.log.clear()
    t2 = CallTracker(lambda: api, clock=clock, store=store, environment="https://api.test")
    assert t2.restore_from_store() == 1
    again = t2.get(cs.call_id)
    assert again.lost and again.done and "not-found" in again.flags and not again.live
    await t2.start()
    try:
        await clock.run_for(5.0)
        assert api.log == []
    finally:
        await t2.stop()
        store.close()


async def test_an_answer_before_the_fifth_404_keeps_the_call(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    call = tracker.track(placed(cs), None, None)
    api.get_failures[cs.call_id] = [errors.NotFound("404", status_code=404)] * 4
    await tracker.start()
    await clock.run_for(40.0, step=0.5)
    assert not call.lost and call.live and call.not_found_count == 0
    assert "not-found" not in call.flags


async def test_dismiss_takes_only_a_lost_call_off_and_the_history_keeps_it(
        tmp_path: Path, clock: ManualClock, api: FakeApi) -> None:
    store = CallStore(tmp_path / "calls.sqlite3")
    gone = api.add(status="ringing")
    kept = api.add(status="ringing")
    t = CallTracker(lambda: api, clock=clock, store=store, environment="https://api.test")
    for cs in (gone, kept):
        t.track(placed(cs), None, "ann")
    api.get_failures[gone.call_id] = [errors.NotFound("404", status_code=404)] * 50
    await t.start()
    try:
        while not t.get(gone.call_id).lost:
            await clock.run_for(1.0)
        assert not t.dismiss(kept.call_id)            # a live call cannot be dismissed
        assert t.dismiss(gone.call_id)
        assert gone.call_id not in t and kept.call_id in t
        assert not t.dismiss(gone.call_id)            # already gone
    finally:
        await t.stop()
    row = store.get(gone.call_id)
    assert row is not None and row.lost and row.dismissed_at is not None
    t2 = CallTracker(lambda: api, clock=clock, store=store, environment="https://api.test")
    t2.restore_from_store()
    assert gone.call_id not in t2 and kept.call_id in t2  # not re-attached
    store.close()


# ----------------------------------------------------------------------------- environments


async def test_a_tracker_holds_and_polls_only_its_environments_calls(
        tmp_path: Path, clock: ManualClock, api: FakeApi) -> None:
    store = CallStore(tmp_path / "calls.sqlite3")
    run_1, run_2 = "demo:run-1", "demo:run-2"
    old = api.add(AGENT_A, status="answered")
    t1 = CallTracker(lambda: api, clock=clock, store=store, environment=run_1)
    t1.track(placed(old, "answered"), None, "ann")
    await t1.start()
    await clock.run_for(1.0)
    await t1.stop()
    assert store.get(old.call_id).environment == run_1
    # the next run: none of the previous run's calls, and none polled
    api.log.clear()
    t2 = CallTracker(lambda: api, clock=clock, store=store, environment=run_2)
    assert t2.restore_from_store() == 0 and len(t2) == 0
    new = api.add(AGENT_A, status="ringing")
    t2.track(placed(new), None, "ann")
    await t2.start()
    try:
        await clock.run_for(3.0)
        assert {i for _, _, i in api.log} == {new.call_id}
        assert t2.stats().tracked == 1 and t2.stats().environment == run_2
        # switching back: run 2's calls leave memory (not the store), run 1's come back
        assert t2.use_environment(run_1)
        assert len(t2) == 0
        assert t2.restore_from_store() == 1 and old.call_id in t2
        api.log.clear()
        await clock.run_for(3.0)
        assert {i for _, _, i in api.log} == {old.call_id}
        assert not t2.use_environment(run_1)           # nothing changes
    finally:
        await t2.stop()
    assert store.get(new.call_id).environment == run_2
    store.close()


async def test_once_the_tenant_is_known_other_tenants_calls_are_dropped(
        tmp_path: Path, clock: ManualClock, api: FakeApi) -> None:
    store = CallStore(tmp_path / "calls.sqlite3")
    env = "https://api.test"
    ours = api.add(AGENT_A, status="answered", tenant_id="tenant-1")
    theirs = api.add(AGENT_B, status="answered", tenant_id="tenant-2")
    t = CallTracker(lambda: api, clock=clock, store=store, environment=env)
    for cs in (ours, theirs):
        t.track_status(cs, source="console")
    t._flush()
    assert t.use_environment(env, "tenant-1")
    assert ours.call_id in t and theirs.call_id not in t
    t2 = CallTracker(lambda: api, clock=clock, store=store, environment=env, tenant="tenant-2")
    assert t2.restore_from_store() == 1 and theirs.call_id in t2
    store.close()


# ----------------------------------------------------------------------------- health


@pytest.mark.parametrize(("facts", "expected"), [
    ({"requests": 0, "failures_in_row": 0, "last_failure": None}, None),
    ({"requests": 3, "failures_in_row": 0, "last_failure": None}, ("ok", "online")),
    ({"requests": 3, "failures_in_row": 1, "last_failure": "unreachable"},
     ("warn", "degraded (unreachable)")),
    ({"requests": 3, "failures_in_row": 2, "last_failure": "unreachable"},
     ("error", "offline (unreachable)")),
    ({"requests": 3, "failures_in_row": 4, "last_failure": "no answer"},
     ("error", "offline (no answer)")),
    ({"requests": 3, "failures_in_row": 9, "last_failure": "server errors"},
     ("warn", "degraded (server errors)")),
    ({"requests": 3, "failures_in_row": 0, "last_failure": None, "server_pause": 29.2},
     ("warn", "paused 30 s (server asked)")),
    ({"requests": 3, "failures_in_row": 0, "last_failure": None, "server_pause": 5.0,
      "sign_in_pause": True}, ("error", "sign-in needed")),
])
def test_health_assessment(facts, expected) -> None:
    from console.tracker.health import assess

    health = assess(**facts)
    assert (None if health is None else (health.level, health.text)) == expected


async def test_health_follows_what_the_requests_get(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    cs = api.add(status="ringing")
    tracker.track(placed(cs), None, None)
    assert tracker.health() is None                    # nothing asked yet: no opinion
    await tracker.start()
    await clock.run_for(1.1)
    assert tracker.health().text == "online"
    api.down = errors.ConnectionFailed("GET: connection refused")
    while tracker.health().level != "error":
        await clock.run_for(0.5)
        assert clock.now() < 1100
    assert tracker.health().text == "offline (unreachable)"   # never "online" while dead
    api.down = None
    while tracker.health().text != "online":
        await clock.run_for(0.5)
        assert clock.now() < 1200
    api.get_failures[cs.call_id] = [errors.ServerError("500", status_code=500)]
    await clock.run_for(1.1)
    assert tracker.health().text == "degraded (server errors)"
    await clock.run_for(3.0)
    assert tracker.health().text == "online"
    api.get_failures[cs.call_id] = [errors.RateLimited("429", retry_after=30.0,
                                                       status_code=429)]
    await clock.run_for(1.1)
    assert tracker.health().text == "paused 30 s (server asked)"
    await clock.run_for(30.0, step=1.0)
    assert tracker.health().text == "online"
    api.get_failures[cs.call_id] = [errors.NotFound("404", status_code=404)]
    await clock.run_for(1.1)
    assert tracker.health().text == "online"           # a 404 is an answer: the API is up


async def test_a_heartbeat_checks_the_api_when_there_is_nothing_to_poll(
        clock: ManualClock, api: FakeApi) -> None:
    t = CallTracker(lambda: api, clock=clock, heartbeat=lambda client: client.heartbeat())
    await t.start()
    try:
        await clock.run_for(14.5)
        assert api.log == [] and t.health() is None
        await clock.run_for(1.0)
        assert [k for _, k, _ in api.log] == ["beat"] and t.health().text == "online"
        api.down = errors.ConnectionFailed("GET: connection refused")
        await clock.run_for(30.5)
        assert len(api.requests("beat")) == 3
        assert t.health().text == "offline (unreachable)"
        api.down = None
        await clock.run_for(15.5)
        assert t.health().text == "online"
        beats = api.requests("beat")
        assert all(b - a >= 15.0 - 1e-6 for a, b in zip(beats, beats[1:], strict=False))
    finally:
        await t.stop()


async def test_no_heartbeat_and_no_busy_loop_while_a_slow_request_is_under_way(
        clock: ManualClock, api: FakeApi) -> None:
    t = CallTracker(lambda: api, clock=clock, heartbeat=lambda client: client.heartbeat())
    t.track(placed(api.add(status="ringing")), None, None)
    cycles = 0
    flush = t._flush_cycle

    async def counting_flush() -> None:
        nonlocal cycles
        cycles += 1
        await flush()

    t._flush_cycle = counting_flush  # one call per loop cycle
    api.hold = asyncio.Event()  # the first GET hangs (a server that never answers)
    await t.start()
    try:
        await clock.run_for(40.0, step=0.5)
        assert api.in_flight == 1 and api.requests("beat") == []
        assert cycles < 120, cycles  # about one per flag check (1 s), not one per loop turn
    finally:
        api.hold.set()
        await t.stop()


# ---------------------------------------------------------------------- a call known by its id


async def test_a_call_known_only_by_its_id_is_read_at_once_then_tracked_until_done(
        tracker: CallTracker, api: FakeApi, clock: ManualClock, updates) -> None:
    cs = api.add(AGENT_A, status="ringing")
    call = tracker.track_id(cs.call_id)
    assert call.agent_id == "" and call.status == "" and call.last is None
    assert tracker.track_id(cs.call_id) is call  # already tracked: the same record
    t0 = clock.now()
    await tracker.start()
    await clock.run_for(0.1)
    assert api.requests("get", cs.call_id) == [approx(t0)]
    assert call.agent_id == AGENT_A and call.status == "ringing" and call.last == cs
    assert updates["update"][-1] == (cs.call_id, "ringing")
    api.set(cs.call_id, status="ended", duration_seconds=3, recording_url="https://rec/x.ogg",
            sentiment_score=0.1)
    await clock.run_for(1.5)
    assert call.done and call.status == "ended"  # late fields all there: no follow-up needed
    count = len(api.requests())
    await clock.run_for(10.0, step=0.5)
    assert len(api.requests()) == count


async def test_calls_known_only_by_their_ids_are_read_with_gets_not_an_agent_list(
        tracker: CallTracker, api: FakeApi, clock: ManualClock) -> None:
    """Their agent is unknown until the first read: no list page is asked for agent ""."""
    calls = [api.add(AGENT_A, status="ringing") for _ in range(3)]
    for cs in calls:
        tracker.track_id(cs.call_id)
    await tracker.start()
    await clock.run_for(0.1)
    assert sorted(i for _, k, i in api.log) == sorted(cs.call_id for cs in calls)
    assert api.requests("list") == []
    assert {tracker.get(cs.call_id).agent_id for cs in calls} == {AGENT_A}


async def test_on_wait_is_told_of_each_backoff_and_each_global_pause(
        clock: ManualClock, api: FakeApi) -> None:
    waits: list = []
    t = CallTracker(lambda: api, clock=clock, rng=random.Random(7), requests_per_second=1000,
                    on_wait=waits.append)
    cs = api.add(AGENT_A, status="ringing")
    reset = errors.NetworkError("GET: reset")
    limited = errors.RateLimited("429", retry_after=7.0, status_code=429)
    signed_out = errors.AuthRequired("401 Unauthorized", status_code=401)
    api.get_failures[cs.call_id] = [reset, limited, signed_out]
    t.track_id(cs.call_id)
    t0 = clock.now()
    await t.start()
    try:
        await clock.run_for(0.1)
        assert [(w.error, w.call_id) for w in waits] == [(reset, cs.call_id)]
        assert waits[0].seconds == approx(t.get(cs.call_id).next_poll_at - t0)
        await clock.run_for(2.0)
        assert [(w.error, w.call_id, round(w.seconds, 1)) for w in waits[1:]] == [
            (limited, None, 7.0)]
        await clock.run_for(7.5)
        assert [(w.error, w.call_id, round(w.seconds, 1)) for w in waits[2:]] == [
            (signed_out, None, t.policy.auth_pause)]
    finally:
        await t.stop()


async def test_status_counts_follow_every_change_and_look_at_changed_calls_only(
        tracker: CallTracker, api: FakeApi, clock: ManualClock, monkeypatch) -> None:
    """`stats()` is read on every diff and tick of the Calls screen: it recounts only the
    calls that changed (were added, read, lost, dropped) since it last counted."""
    statuses = ["initiated", "ringing", "answered", "answered", "ended"]
    calls = [tracker.track(placed(api.add(status=s), s), None, None) for s in statuses]

    def brute() -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in dict.values(tracker._calls):
            if not c.lost:
                counts[c.status] = counts.get(c.status, 0) + 1
        return counts

    assert tracker.stats().counts == brute() == {"initiated": 1, "ringing": 1, "answered": 2,
                                                 "ended": 1}
    looked: list[str] = []

    class Watching(dict):
        def get(self, key, default=None):
            looked.append(key)
            return dict.get(self, key, default)

        def values(self):
            looked.append("every call")
            return dict.values(self)

    tracker._calls = Watching(tracker._calls)
    assert tracker.stats().counts == brute() and looked == []  # nothing changed: no call read

    api.set(calls[0].call_id, status="answered")
    await tracker.start()
    await clock.run_for(1.5)
    looked.clear()
    stats = tracker.stats()
    assert stats.counts == brute() and stats.counts["answered"] == 3
    assert looked and len(looked) <= len(calls)  # the calls read, not every call each time

    tracker._lose(calls[1])
    tracker.dismiss(calls[1].call_id)  # lost, then off the tracker
    tracker.forget(calls[4].call_id)
    stats = tracker.stats()
    assert stats.counts == brute() and stats.lost == 0 and stats.tracked == 3
