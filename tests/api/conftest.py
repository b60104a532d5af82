"""Fixtures for tests against the simulator over real loopback HTTP.

- `sim`        one simulator for the session (time_scale 50, cap 1000 live calls, seed 7)
- `sim_clean`  the same simulator with its faults, request counters and run-time config reset
               before and after the test (use it whenever a test arms faults or changes config)
- `sim_client` an httpx.Client on `sim` carrying its bearer token
- `make_sim`   factory for a private simulator with its own SimConfig (stopped at teardown)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from console.sim.runner import SimServer, start_in_thread
from console.sim.state import SimConfig

SIM_TIME_SCALE = 50.0
SIM_MAX_CONCURRENT = 1000
SIM_MONTHLY_LIMIT = 10000


def reset_sim(server: SimServer) -> None:
    """Disarm every fault, zero the counters and restore the run-time config (calls are kept)."""
    with httpx.Client(base_url=server.base_url, timeout=5) as admin:
        admin.delete("/_sim/faults").raise_for_status()
        admin.delete("/_sim/stats").raise_for_status()
        admin.post(
            "/_sim/config",
            json={
                "time_scale": SIM_TIME_SCALE,
                "max_concurrent_calls": SIM_MAX_CONCURRENT,
                "monthly_call_limit": SIM_MONTHLY_LIMIT,
            },
        ).raise_for_status()


@pytest.fixture(scope="session")
def sim() -> Iterator[SimServer]:
    server = start_in_thread(
        SimConfig(
            time_scale=SIM_TIME_SCALE,
            seed=7,
            max_concurrent_calls=SIM_MAX_CONCURRENT,
            monthly_call_limit=SIM_MONTHLY_LIMIT,
        )
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sim_clean(sim: SimServer) -> Iterator[SimServer]:
    reset_sim(sim)
    yield sim
    reset_sim(sim)


@pytest.fixture
def sim_client(sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=sim.base_url,
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=httpx.Timeout(10.0),
    ) as client:
        yield client


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimServer]]:
    servers: list[SimServer] = []

    def _make(config: SimConfig | None = None, **fields) -> SimServer:
        server = start_in_thread(config or SimConfig(**fields))
        servers.append(server)
        return server

    yield _make
    for server in servers:
        server.stop()
