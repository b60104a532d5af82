"""Fixtures for the TUI tests: a real simulator on 127.0.0.1 and apps built with `make_app`.

The app under test talks to the simulator through `RoutedTransport`: the session's base URL is
the fixed `http://sim.test:8000` (what the header and the curl preview show, so snapshots do not
carry the ephemeral port), and every request is sent to the simulator's real port.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from tui_facts import AGENT, FAKE_BASE, FIXED_NOW
from waiting import wait_for

from console.account.session import ConsoleSession
from console.config.settings import Settings
from console.sim.runner import SimServer, start_in_thread
from console.sim.state import DEMO_AGENTS, SimConfig
from console.tui.app import CallConsoleApp, make_app

SIM_TIME_SCALE = 20.0
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fixed_clock() -> datetime:
    return FIXED_NOW


class RoutedTransport(httpx.AsyncBaseTransport):
    """Send requests addressed to FAKE_BASE to the real simulator (or a handler)."""

    def __init__(self, real_base: str | None = None,
                 handler: Callable[[httpx.Request], Any] | None = None) -> None:
        self._real = httpx.URL(real_base) if real_base else None
        self._inner = httpx.AsyncHTTPTransport() if real_base else httpx.MockTransport(handler)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._real is not None:
            request.url = request.url.copy_with(host=self._real.host, port=self._real.port)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class RoutedSession(ConsoleSession):
    """A ConsoleSession whose client goes through a RoutedTransport."""

    def __init__(self, settings: Settings, transport_factory: Callable[[], httpx.AsyncBaseTransport],
                 **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._transport_factory = transport_factory

    @property
    def client(self):
        if self._client is None:
            from console.api.client import ApiClient

            self._client = ApiClient(self.base_url, auth=self._token,
                                     transport=self._transport_factory())
        return self._client


@pytest.fixture(scope="session")
def sim() -> Iterator[SimServer]:
    server = start_in_thread(SimConfig(time_scale=SIM_TIME_SCALE, seed=11,
                                       max_concurrent_calls=1000))
    try:
        yield server
    finally:
        server.stop()


def _reset(server: SimServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=5) as admin:
        admin.delete("/_sim/faults").raise_for_status()
        admin.delete("/_sim/stats").raise_for_status()
        admin.post("/_sim/config", json={"time_scale": SIM_TIME_SCALE,
                                         "max_concurrent_calls": 1000}).raise_for_status()


@pytest.fixture
def sim_clean(sim: SimServer) -> Iterator[SimServer]:
    _reset(sim)
    yield sim
    _reset(sim)


_numbers = itertools.count(2000)


class Tui:
    """Helpers shared by the Pilot and snapshot tests."""

    def __init__(self, sim: SimServer | None) -> None:
        self.sim = sim

    # -- building apps ----------------------------------------------------------------------

    def app(self, *, connected: bool = True, handler: Callable[[httpx.Request], Any] | None = None,
            base_url: str = FAKE_BASE, **kwargs: Any) -> CallConsoleApp:
        """An app on the simulator (default), on a mock `handler`, or not connected at all."""
        if not connected:
            settings = Settings(operator="tester")
            return make_app(session=ConsoleSession(settings), clock=fixed_clock, **kwargs)
        assert handler is not None or self.sim is not None
        token = self.sim.token if self.sim is not None else "mock-token-123"
        settings = Settings(base_url=base_url, token=token, operator="tester")
        real = self.sim.base_url if handler is None else None
        session = RoutedSession(settings, lambda: RoutedTransport(real, handler))
        return make_app(session=session, clock=fixed_clock, **kwargs)

    # -- waiting ----------------------------------------------------------------------------

    wait_for = staticmethod(wait_for)

    async def ready(self, pilot, *, probed: bool = True) -> None:
        """Session loaded, checks running, and (when connected) the agent probe answered."""
        app = pilot.app
        await self.wait_for(pilot, lambda: app.session_ready and app.screen.checks_ready,
                            "session")
        if probed and app.session.connected:
            await self.wait_for(pilot, lambda: app.health in ("ok", "error", "warn"), "probe")
        await pilot.pause()

    async def idle(self, pilot) -> None:
        """Every worker finished and the screen settled."""
        await self.wait_for(pilot, lambda: not any(
            w.is_running for w in pilot.app.workers), "workers")
        await pilot.pause()

    # -- typing -----------------------------------------------------------------------------

    @staticmethod
    async def type(pilot, field: str, text: str, *, clear: bool = True) -> None:
        """Focus a field's input and type `text` key by key."""
        screen = pilot.app.screen
        frame = screen.field(field)
        frame.focus_input()
        await pilot.pause()
        if clear:
            if hasattr(frame, "input"):
                frame.input.value = ""
            elif hasattr(frame, "editor"):
                frame.editor.load_text("")
            await pilot.pause()
        for char in text:
            await pilot.press("enter" if char == "\n" else char)
        await pilot.pause()

    @staticmethod
    async def paste(pilot, field: str, text: str) -> None:
        """Put `text` into a field at once, as a paste would (one change event)."""
        frame = pilot.app.screen.field(field)
        frame.focus_input()
        frame.set_value(text)
        await pilot.pause()

    @staticmethod
    def screen_text(app: CallConsoleApp) -> str:
        """All text on the screen (from an SVG export, tags stripped)."""
        svg = app.export_screenshot()
        text = re.sub(r"<[^>]+>", "", svg)
        return text.replace("&#160;", " ").replace("&quot;", '"').replace("&amp;", "&")

    @staticmethod
    def no_blink(app: CallConsoleApp) -> None:
        """Steady cursors on every screen of the stack: a modal's snapshot also draws the
        screen below it, whose caret (To's, since the form starts there) blinked in or out."""
        for screen in app.screen_stack:
            for widget in screen.query("Input, TextArea"):
                widget.cursor_blink = False

    # -- the simulator ----------------------------------------------------------------------

    def arm(self, *rules: dict[str, Any]) -> None:
        with httpx.Client(base_url=self.sim.base_url, timeout=5) as admin:
            admin.put("/_sim/faults", json=list(rules)).raise_for_status()

    def posts_seen(self) -> int:
        with httpx.Client(base_url=self.sim.base_url, timeout=5) as admin:
            counts = admin.get("/_sim/stats").json()
        counts = counts.get("requests", counts)
        return counts.get("POST /calls/outbound", 0)

    def get_call(self, call_id: str) -> dict[str, Any]:
        with httpx.Client(base_url=self.sim.base_url, headers={
                "Authorization": f"Bearer {self.sim.token}"}, timeout=5) as client:
            response = client.get(f"/calls/{call_id}")
            response.raise_for_status()
            return response.json()

    def end_call(self, call_id: str) -> None:
        with httpx.Client(base_url=self.sim.base_url, headers={
                "Authorization": f"Bearer {self.sim.token}"}, timeout=5) as client:
            client.post(f"/calls/{call_id}/end")

    def agent_calls(self, agent_id: str = AGENT.agent_id) -> list[dict[str, Any]]:
        with httpx.Client(base_url=self.sim.base_url, headers={
                "Authorization": f"Bearer {self.sim.token}"}, timeout=5) as client:
            response = client.get(f"/calls/agent/{agent_id}/calls", params={"limit": 500})
            response.raise_for_status()
            return response.json()["calls"]

    @staticmethod
    def unique_number() -> str:
        """A number no other test dials (reconciling must find only this test's call)."""
        return f"+1415555{next(_numbers):04d}"


@pytest.fixture
def tui(sim_clean: SimServer) -> Tui:
    return Tui(sim_clean)


@pytest.fixture
def tui_offline() -> Tui:
    return Tui(None)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local time zone is UTC (times and dates on screen do not depend on the machine)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def agents_json() -> dict[str, Any]:
    return {"agents": [a.to_json() for a in DEMO_AGENTS]}


def mock_handler(post: Callable[[httpx.Request], httpx.Response]) -> Callable[[httpx.Request], Any]:
    """A fake API: GET /agents answers like the simulator, POST /calls/outbound runs `post`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/agents":
            return httpx.Response(200, json=agents_json())
        if request.method == "POST" and request.url.path == "/calls/outbound":
            return post(request)
        return httpx.Response(404, json={"detail": "not here"})

    return handler


def body_of(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content)


# Tests reach the constants and mock helpers through the `tui` fixture.
Tui.AGENT = AGENT
Tui.AGENTS = DEMO_AGENTS
Tui.FAKE_BASE = FAKE_BASE
Tui.FIXED_NOW = FIXED_NOW
Tui.UUID_RE = UUID_RE
Tui.mock_handler = staticmethod(mock_handler)
Tui.body_of = staticmethod(body_of)
