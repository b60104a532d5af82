"""Helpers for the environment / login / onboarding / capacity tests (issue 7's TUI parts).

Each test gets a private simulator (its own token TTLs and caps) on 127.0.0.1, and the config
names it `http://sim.test:8000`: `route_api` sends every `ApiClient` addressed there (the
session's, sign-in's, refresh's) to the simulator's real port, so nothing on screen or in a
snapshot carries the ephemeral port, and the tokens are stored for the URL the config names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from console import paths
from console.config.settings import Settings
from console.sim.runner import SimServer, start_in_thread
from console.sim.state import DEMO_AGENTS, DEMO_TENANT_ID, SimConfig
from console.tui.app import CallConsoleApp, make_app

FAKE_HOST = "sim.test"
FAKE_BASE = "http://sim.test:8000"
AGENT = DEMO_AGENTS[0]
TENANT = DEMO_TENANT_ID
WIDE = (120, 40)
#: 17:00 UTC, as in conftest: the callee's local time on screen never moves
FIXED_NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED_NOW


#: A number the simulator keeps talking on (a long call), to fill the concurrency cap.
LONG_CALL = "+14155550004"


class RoutedTransport(httpx.AsyncBaseTransport):
    """Requests to FAKE_HOST go to the simulator's real host and port."""

    def __init__(self, real_base: str) -> None:
        self._real = httpx.URL(real_base)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(host=self._real.host, port=self._real.port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def route_api(monkeypatch, sim: SimServer) -> None:
    """Every ApiClient for FAKE_BASE talks to `sim`."""
    from console.api import client as client_module

    original = client_module.ApiClient.__init__

    def init(self, base_url: str, *args: Any, transport=None, **kwargs: Any) -> None:
        if transport is None and httpx.URL(base_url).host == FAKE_HOST:
            transport = RoutedTransport(sim.base_url)
        original(self, base_url, *args, transport=transport, **kwargs)

    monkeypatch.setattr(client_module.ApiClient, "__init__", init)


def start_sim(**config: Any) -> SimServer:
    config.setdefault("time_scale", 20.0)
    config.setdefault("seed", 5)
    return start_in_thread(SimConfig(**config))


def write_config(text: str) -> None:
    file = paths.config_file()
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")


def config_text() -> str:
    return paths.config_file().read_text(encoding="utf-8")


def env_config(name: str = "staging", *, base_url: str = FAKE_BASE, extra: str = "",
               active: bool = True) -> str:
    head = f'active_env = "{name}"\n' if active else ""
    return (f"# hand-written: keep me\n{head}{extra}\n[environments.{name}]\n"
            f'base_url = "{base_url}"\nauth = "login"\nusername = "demo"\n')


def app_for(*, operator: str = "tester", **kwargs: Any) -> CallConsoleApp:
    """The console as the CLI builds it (settings from config.toml + environment)."""
    kwargs.setdefault("clock", fixed_clock)
    return make_app(settings=Settings(operator=operator), **kwargs)


def sim_admin(sim: SimServer) -> httpx.Client:
    return httpx.Client(base_url=sim.base_url, timeout=5)


def place_direct(sim: SimServer, number: str, agent_id: str = AGENT.agent_id) -> str:
    """Place a call on the simulator without the console (filling the cap)."""
    with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers, timeout=5) as client:
        response = client.post("/calls/outbound", json={"agent_id": agent_id,
                                                       "to_number": number})
        response.raise_for_status()
        return response.json()["call_id"]


def posts_seen(sim: SimServer) -> int:
    with sim_admin(sim) as admin:
        counts = admin.get("/_sim/stats").json()
    counts = counts.get("requests", counts)
    return counts.get("POST /calls/outbound", 0)


async def wait_for(pilot, predicate: Callable[[], Any], what: str = "condition",
                   timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def idle(pilot) -> None:
    await wait_for(pilot, lambda: not any(w.is_running for w in pilot.app.workers), "workers")
    await pilot.pause()


def login_shown(app) -> bool:
    """The login modal is the active screen and its fields are composed (they can be typed
    into: a pushed screen is active a moment before its children exist)."""
    from console.tui.dialogs.login import LoginScreen

    screen = app.screen
    return isinstance(screen, LoginScreen) and bool(screen.query("#password"))


async def type_into(pilot, selector: str, text: str) -> None:
    """Focus an Input on the active screen and put `text` in it, as a paste would (these
    forms react to the value, not to each key; typing key by key costs ~50 ms a key)."""
    from textual.widgets import Input

    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    widget.value = text
    widget.cursor_position = len(text)
    await pilot.pause()


def no_blink(app) -> None:
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
