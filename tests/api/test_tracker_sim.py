"""CallTracker against the real simulator over loopback HTTP (uvicorn on 127.0.0.1).

Each test gets a private simulator (`make_sim`), so its `/_sim/stats` counters and live calls
are its own. The simulator runs 50× faster than real time; the tracker uses the real clock and,
where noted, a proportionally faster polling policy. Nothing here asserts how fast anything is:
waits have generous deadlines, and the one timestamp check (the pause) is a lower bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.api.client import ApiClient
from console.api.models import OutboundCallRequest
from console.sim.runner import SimServer
from console.sim.state import DEMO_AGENTS, SimConfig
from console.store.history import CallStore
from console.tracker import CallTracker, PollPolicy, TrackedCall
import waiting

RECEPTION, SALES, SUPPORT = DEMO_AGENTS
TIME_SCALE = 50.0
FAST = PollPolicy().scaled(0.2)  # 0.2 s ringing, 0.4–1 s answered, follow-ups at 0.4 s / 1 s
DEADLINE = 20.0


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real HTTP transport, noting when each request was sent and when its answer came."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        entry = {"sent": time.monotonic(), "path": request.url.path, "status": None,
                 "answered": None}
        self.log.append(entry)
        response = await super().handle_async_request(request)
        entry["status"], entry["answered"] = response.status_code, time.monotonic()
        return response


@pytest.fixture
def sim(make_sim: Callable[..., SimServer]) -> SimServer:
    return make_sim(SimConfig(time_scale=TIME_SCALE, seed=7, max_concurrent_calls=1000))


@pytest.fixture
async def client(sim: SimServer):
    transport = RecordingTransport()
    api = ApiClient(sim.base_url, auth=sim.token, transport=transport)
    api.transport = transport  # type: ignore[attr-defined]
    yield api
    await api.aclose()


def sim_stats(sim: SimServer) -> dict[str, int]:
    return httpx.get(f"{sim.base_url}/_sim/stats", timeout=5).json()


def set_faults(sim: SimServer, rules: list[dict[str, Any]]) -> None:
    httpx.put(f"{sim.base_url}/_sim/faults", json=rules, timeout=5).raise_for_status()


async def wait_until(predicate: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    await waiting.wait_until(predicate, what, timeout)


def request(agent: str, to: str, **fields: Any) -> OutboundCallRequest:
    return OutboundCallRequest(agent_id=agent, to_number=to, **fields)


async def test_calls_reach_their_terminal_states_with_late_fields_using_list_pages(
        sim: SimServer, client: ApiClient) -> None:
    plans = [
        ("+14155510000", {}, "ended", "completed"),
        ("+14155520000", {}, "ended", "completed"),
        ("+14155530000", {}, "ended", "completed"),
        ("+14155510001", {}, "failed", "busy"),
        ("+14155520001", {}, "failed", "busy"),
        ("+14155510002", {"ringing_timeout_seconds": 10}, "failed", "no-answer"),
        ("+14155520002", {"ringing_timeout_seconds": 10}, "failed", "no-answer"),
        ("+14155510003", {}, "failed", "rejected"),
        ("+14155520003", {}, "failed", "rejected"),
        ("+14155510004", {"max_call_duration_seconds": 60}, "ended", "max-duration"),
    ]
    batches: list[list[str]] = []
    tracker = CallTracker(lambda: client, policy=FAST,
                          on_batch=lambda calls: batches.append([c.call_id for c in calls]))
    expected: dict[str, tuple[str, str]] = {}
    await tracker.start()
    try:
        for to, extra, status, disposition in plans:
            body = request(RECEPTION.agent_id, to, **extra)
            placed = await client.place_call(body)
            tracker.track(placed, body, "ann")
            expected[placed.call_id] = (status, disposition)
        await wait_until(lambda: all(c.done for c in tracker.calls()), "every call done")
    finally:
        await tracker.stop()

    for call in tracker.calls():
        status, disposition = expected[call.call_id]
        assert (call.status, call.disposition) == (status, disposition), call.call_id
        assert call.last is not None and call.last.ended_at is not None
        assert call.status_changes[0][1] == "initiated" and call.status_changes[-1][1] == status
        assert not call.flags
        if status == "ended":  # answered calls: every late field arrived before it was frozen
            assert call.last.duration_seconds and call.last.duration_seconds > 0
            assert call.last.recording_url and call.last.sentiment_score is not None
        else:
            assert call.last.duration_seconds == 0
    max_duration = next(c for c in tracker.calls() if c.disposition == "max-duration")
    assert max_duration.last.duration_seconds == 60
    assert any(len(b) > 1 for b in batches)  # changes of one cycle reported together

    # Batching was used: the agent's list page refreshed its calls instead of one GET each.
    counts = sim_stats(sim)
    lists = counts.get("GET /calls/agent/{agent_id}/calls", 0)
    gets = counts.get("GET /calls/{call_id}", 0)
    naive = sum(c.reads for c in tracker.calls())  # one GET per read without batching
    stats = tracker.stats()
    assert lists >= 1 and lists == stats.list_requests and gets == stats.get_requests
    assert gets <= 2 and lists + gets < naive / 3, (lists, gets, naive)
    assert counts.get("POST /calls/outbound") == len(plans)


async def test_429_on_the_read_routes_pauses_everyone_until_retry_after(
        sim: SimServer, client: ApiClient) -> None:
    tracker = CallTracker(lambda: client, policy=FAST)
    calls: list[TrackedCall] = []
    for n in range(4):  # long calls: a batched agent ...
        body = request(RECEPTION.agent_id, f"+141555{n}0004", max_call_duration_seconds=3600)
        calls.append(tracker.track(await client.place_call(body), body, "ann"))
    body = request(SALES.agent_id, "+14155590004")  # ... and one read by GET
    calls.append(tracker.track(await client.place_call(body), body, "ann"))
    await tracker.start()
    try:
        await wait_until(lambda: all(c.status == "answered" for c in calls), "calls answered")
        log = client.transport.log  # type: ignore[attr-defined]
        set_faults(sim, [
            {"route": "GET /calls/agent/{agent_id}/calls", "kind": "status", "status": 429,
             "retry_after": "1", "count": 1},
            {"route": "GET /calls/{call_id}", "kind": "status", "status": 429,
             "retry_after": "1", "count": 1},
        ])
        await wait_until(lambda: any(e["status"] == 429 for e in log), "a 429")
        first = next(e for e in log if e["status"] == 429)
        await wait_until(lambda: tracker.backoff_until is None
                         and sum(1 for e in log if e["sent"] > first["answered"]) >= 4,
                         "polling to resume")
        assert tracker.stats().errors >= 1
        await wait_until(lambda: any(e["path"].endswith("/calls") and e["sent"] > first["answered"]
                                     and e["status"] == 200 for e in log)
                         and any(e["path"].startswith("/calls/") and not e["path"].endswith("/calls")
                                 and e["sent"] > first["answered"] and e["status"] == 200
                                 for e in log), "both routes to be read again")
        # A call may have gone stale during the pause on a slow machine; the reads that follow
        # clear that (the transport logs an answer just before the tracker applies it).
        await wait_until(lambda: all(c.status == "answered" and not c.flags for c in calls),
                         "every call answered and unflagged again")
    finally:
        await tracker.stop()
        for call in calls:
            await client.end_call(call.call_id)
    after = [e for e in log if e["sent"] > first["answered"]]
    # nothing at all was sent during the pause: not the 429'd route, not the other one
    assert min(e["sent"] for e in after) >= first["answered"] + 0.95
    assert {e["path"].endswith("/calls") for e in after} == {True, False}


async def test_a_watched_agents_call_placed_elsewhere_is_discovered(
        sim: SimServer, client: ApiClient) -> None:
    seen: list[str] = []
    tracker = CallTracker(lambda: client, on_update=lambda c: seen.append(c.status))  # default policy
    tracker.watch_agent(SUPPORT.agent_id)
    await tracker.start()
    try:
        await wait_until(lambda: tracker.stats().list_requests >= 1, "the first discovery read")
        # placed directly through the API (another operator, the CLI...), never `track`ed
        other = await client.place_call(request(SUPPORT.agent_id, "+14155570000"))
        elsewhere = await client.place_call(request(SALES.agent_id, "+14155580000"))
        await wait_until(lambda: (c := tracker.get(other.call_id)) is not None and c.done,
                         "the watched call to be discovered and finished")
    finally:
        await tracker.stop()
    call = tracker.get(other.call_id)
    assert call.source == "watched" and call.placed_by is None and call.request is None
    assert (call.status, call.disposition) == ("ended", "completed")
    assert call.last.recording_url and call.last.duration_seconds
    assert tracker.get(elsewhere.call_id) is None  # another agent: not watched
    assert sim_stats(sim).get("GET /calls/{call_id}", 0) == 0  # the list covered it


async def test_a_list_page_is_parsed_off_the_event_loop(
        client: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tracker's list page (up to 500 calls: JSON and one validation each) is parsed in a
    worker thread: the loop, the UI's in the TUI, keeps answering keys meanwhile."""
    import console.api.client as client_module

    parsed_on: list[int] = []
    normalise = client_module.normalise_call_list

    def recording(payload: Any) -> Any:
        parsed_on.append(threading.get_ident())
        return normalise(payload)

    monkeypatch.setattr(client_module, "normalise_call_list", recording)
    placed = await client.place_call(request(SALES.agent_id, "+14155590000"))
    page = await client.list_calls(SALES.agent_id, limit=500)
    assert placed.call_id in [c.call_id for c in page.calls]
    assert parsed_on and threading.get_ident() not in parsed_on


async def test_a_restarted_console_resumes_a_live_call_from_the_store(
        tmp_path: Path, sim: SimServer, client: ApiClient) -> None:
    path = tmp_path / "calls.sqlite3"
    store = CallStore(path)
    first = CallTracker(lambda: client, policy=FAST, store=store)
    body = request(RECEPTION.agent_id, "+14155560004", max_call_duration_seconds=120)
    placed = await client.place_call(body)
    first.track(placed, body, "ann")
    await first.start()
    await wait_until(lambda: first.get(placed.call_id).status == "answered", "answered")
    await first.stop()  # the console goes away mid-call
    store.close()
    assert CallStore(path).get(placed.call_id).status == "answered"

    store = CallStore(path)  # a new process opens the same file
    second = CallTracker(lambda: client, policy=FAST, store=store)
    assert second.restore_from_store() == 1
    call = second.get(placed.call_id)
    assert call.source == "restored" and call.live and call.placed_by == "ann"
    await second.start()
    try:
        await wait_until(lambda: call.done, "the restored call to end", timeout=30)
    finally:
        await second.stop()
    assert (call.status, call.disposition) == ("ended", "max-duration")
    assert call.last.duration_seconds == 120
    row = store.get(placed.call_id)
    assert row.done and row.status == "ended" and row.duration_seconds == 120
    assert row.request == body.to_json_body() and row.placed_by == "ann"
    timeline = [s for _, s in store.timeline(placed.call_id)]
    # both consoles' observations in one timeline (ringing may fall between two reads)
    assert timeline in (["initiated", "ringing", "answered", "ended"],
                        ["initiated", "answered", "ended"])
    assert sim.token not in path.read_bytes().decode("utf-8", "replace")
    store.close()


async def test_a_transfer_shows_the_unknown_status_verbatim(
        make_sim: Callable[..., SimServer]) -> None:
    slow = make_sim(SimConfig(time_scale=5.0, seed=7, max_concurrent_calls=100))
    async with ApiClient(slow.base_url, auth=slow.token) as api:
        tracker = CallTracker(lambda: api, policy=PollPolicy().scaled(0.1))
        body = request(SALES.agent_id, "+14155540004")
        call = tracker.track(await api.place_call(body), body, None)
        await tracker.start()
        try:
            await wait_until(lambda: call.status == "answered", "answered")
            from console.api.models import TransferRequest

            await api.transfer_call(call.call_id, TransferRequest(transfer_to="tel:+14155559999"))
            await wait_until(lambda: call.done, "the transferred call to end")
        finally:
            await tracker.stop()
    statuses = [s for _, s in call.status_changes]
    assert "transferring" in statuses
    assert statuses.index("transferring") > statuses.index("answered")
    assert (call.status, call.disposition) == ("ended", "transferred")


async def test_calls_the_restarted_simulator_no_longer_knows_become_lost_and_health_says_so(
        tmp_path: Path, sim: SimServer, client: ApiClient) -> None:
    """The simulator stops (offline), a fresh one comes up on the same port (online again):
    it knows none of the calls, so after `lost_after` 404s in a row each is lost — final,
    no longer polled, kept in the store with its last known fields."""
    from console.sim.runner import start_in_thread

    store = CallStore(tmp_path / "calls.sqlite3")
    tracker = CallTracker(lambda: client, policy=FAST, store=store, environment=sim.base_url)
    calls = []
    for agent, to in ((RECEPTION, "+14155610004"), (SALES, "+14155620004")):
        body = request(agent.agent_id, to, max_call_duration_seconds=3600)
        calls.append(tracker.track(await client.place_call(body), body, "ann"))
    await tracker.start()
    fresh: SimServer | None = None
    try:
        await wait_until(lambda: all(c.status == "answered" for c in calls), "answered")
        assert tracker.health().text == "online"
        sim.stop()
        await wait_until(lambda: tracker.health().level == "error", "offline")
        assert tracker.health().text.startswith("offline")
        fresh = start_in_thread(SimConfig(time_scale=TIME_SCALE, seed=7, token=sim.token),
                                port=sim.port)
        await wait_until(lambda: tracker.health().text == "online", "online again")
        await wait_until(lambda: all(c.lost for c in calls), "the calls to be lost")
        stats = tracker.stats()
        assert (stats.live, stats.lost) == (0, 2) and "answered" not in stats.counts
        asked = sim_stats(fresh).get("GET /calls/{call_id}", 0)
        await asyncio.sleep(1.0)  # many poll intervals of the scaled policy
        assert sim_stats(fresh).get("GET /calls/{call_id}", 0) == asked
    finally:
        await tracker.stop()
        if fresh is not None:
            fresh.stop()
    for call in calls:
        row = store.get(call.call_id)
        assert row.lost and row.done and row.status == "answered"
        assert row.environment == sim.base_url
    store.close()
