"""Fetching a range of calls from the simulator's list route into the call store."""

from __future__ import annotations

import time

import httpx
import pytest

from console.api.client import ApiClient
from console.history.agents import AgentRef
from console.history.fetch import fetch_history
from console.sim.runner import start_in_thread
from console.sim.state import DEMO_AGENTS, SimConfig
from console.store.history import CallStore, HistoryFilter
from tests.waiting import poll

RECEPTION, SALES = DEMO_AGENTS[0].agent_id, DEMO_AGENTS[1].agent_id


@pytest.fixture(scope="module")
def quiet_sim():
    """A private simulator (shared by this file's tests, which only read it) whose calls are
    all rejected at once (…0003): statuses never move, so two fetches read the same thing."""
    server = start_in_thread(SimConfig(time_scale=50.0, seed=7))
    try:
        _seed(server)
        yield server
    finally:
        server.stop()


def _seed(server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10,
                      headers={"Authorization": f"Bearer {server.token}"}) as http:
        for agent, count in ((RECEPTION, 7), (SALES, 3)):
            for i in range(count):
                http.post("/calls/outbound", json={"agent_id": agent,
                                                   "to_number": f"+1415{200 + i}0003"}
                          ).raise_for_status()
                # calls 20 ms apart: the list shows milliseconds and the server keeps more, so
                # a midpoint between two calls a millisecond apart could fall on either side
                time.sleep(0.02)
        poll(lambda: all(
            c["status"] == "failed" for agent in (RECEPTION, SALES)
            for c in http.get(f"/calls/agent/{agent}/calls").json()["calls"]),
             "every call failed", timeout=20)


async def test_fetch_pages_merges_and_is_idempotent(quiet_sim, tmp_path) -> None:
    env = quiet_sim.base_url
    agents = [AgentRef(RECEPTION, "Reception"), AgentRef(SALES, "Sales")]
    progress = []
    with CallStore(tmp_path / "h.db") as store:
        async with ApiClient(quiet_sim.base_url, auth=quiet_sim.token) as client:
            first = await fetch_history(client, store, agents, since=None, until=None,
                                        environment=env, page_size=3,
                                        on_progress=progress.append)
            again = await fetch_history(client, store, agents, since=None, until=None,
                                        environment=env, page_size=3)
        assert (first.read, first.new, first.changed, first.failures) == (10, 10, 0, [])
        assert (again.read, again.new, again.changed) == (10, 0, 0)
        assert store.count(HistoryFilter(environment=env)) == 10
        assert store.count(HistoryFilter(environment=env, placed="elsewhere")) == 10
        assert store.count(agent_ids=RECEPTION) == 7
        # progress per page: 3 + 3 + 1 for Reception, then 3 for Sales
        assert [(p.agent.name, p.read, p.total) for p in progress] == [
            ("Reception", 3, 7), ("Reception", 6, 7), ("Reception", 7, 7), ("Sales", 3, 3)]
        assert progress[-1].agent_index == progress[-1].agents == 2


async def test_fetch_keeps_to_the_range_and_reports_a_failing_agent(quiet_sim, tmp_path) -> None:
    from console.sim.state import OTHER_AGENT

    with CallStore(tmp_path / "h.db") as store:
        async with ApiClient(quiet_sim.base_url, auth=quiet_sim.token) as client:
            listed = (await client.list_calls(RECEPTION, limit=10)).calls
            starts = sorted(c.started for c in listed)
            # between two calls (the list shows milliseconds; the server keeps more)
            since = starts[1] + (starts[2] - starts[1]) / 2
            until = starts[4] + (starts[5] - starts[4]) / 2
            result = await fetch_history(
                client, store, [AgentRef(OTHER_AGENT.agent_id, "Elsewhere"),
                                AgentRef(RECEPTION)],
                since=since, until=until, environment="e")
        assert result.new == store.count() == len([s for s in starts if since <= s < until])
        assert [a.name for a, _ in result.failures] == ["Elsewhere"]
        assert "404" in result.failures[0][1] or "not found" in result.failures[0][1]


async def test_a_cancelled_fetch_keeps_the_pages_it_read(quiet_sim, tmp_path) -> None:
    pages = []
    with CallStore(tmp_path / "h.db") as store:
        async with ApiClient(quiet_sim.base_url, auth=quiet_sim.token) as client:
            result = await fetch_history(client, store, [AgentRef(RECEPTION)], since=None,
                                         until=None, environment="e", page_size=2,
                                         on_progress=pages.append,
                                         cancelled=lambda: len(pages) >= 2)
        assert result.cancelled and result.read == 4 and store.count() == 4
