"""The capacity meter on a real simulator with a small concurrency cap and long calls: normal,
near and at the cap, the monthly quota used up, the warning before a Send that would exceed the
cap (never retried), and the meter's states from quota figures."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from account_helpers import (
    AGENT,
    FAKE_BASE,
    LONG_CALL,
    WIDE,
    fixed_clock,
    idle,
    no_blink,
    place_direct,
    posts_seen,
    route_api,
    start_sim,
    wait_for,
)

from console.api.models import Quota
from console.config.settings import Settings
from console.tui.app import make_app
from console.tui.dialogs.confirm import ConfirmScreen
from console.tui.widgets.capacity_meter import Capacity, capacity_state, meter_text


@pytest.fixture
def sim(monkeypatch):
    # Real time: the long calls (…0004, 30 minutes of talk) stay live for the whole test.
    server = start_sim(time_scale=1.0, max_concurrent_calls=2)
    route_api(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()


def capacity_app(sim, **kwargs):
    settings = Settings(base_url=FAKE_BASE, token=sim.token, operator="tester")
    return make_app(settings=settings, clock=fixed_clock, account_checks=True, **kwargs)


def set_sim(sim, **config) -> None:
    with httpx.Client(base_url=sim.base_url, timeout=5) as admin:
        admin.post("/_sim/config", json=config).raise_for_status()


def modal_text(app) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static"))


def meter(app) -> str:
    return str(app.screen.query_one("ConsoleHeader").query_one("#capacity").render())


async def wait_state(pilot, state: str, *, poll: bool = True) -> None:
    app = pilot.app
    if poll:
        app.account.poll_quota()          # what the 30 s timer does
    await wait_for(pilot, lambda: app.account.capacity.state == state, f"capacity {state}")
    await pilot.pause()


async def form_ready(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.session_ready and getattr(app.screen, "form_ready", False)
                   and app.screen.checks_ready and app.health == "ok", "the call form")


async def test_meter_follows_the_cap_and_send_at_the_cap_asks_first(sim):
    app = capacity_app(sim)
    async with app.run_test(size=WIDE) as pilot:
        await form_ready(pilot)
        await wait_state(pilot, "normal", poll=False)        # read once connected
        assert "▮ live 0/2 · month 0%" in meter(app)

        place_direct(sim, LONG_CALL)
        await wait_state(pilot, "normal")
        assert "live 1/2" in meter(app)

        # The console places the second long call: the meter is read again right after it.
        screen = app.screen
        screen.set_values({"agent_id": AGENT.agent_id, "to_number": LONG_CALL})
        await wait_for(pilot, lambda: screen.can_send, "ready")
        reads = app.account.quota_reads
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.outcome.state == "-ok", "placed")
        await wait_for(pilot, lambda: app.account.quota_reads > reads, "the re-read")
        await wait_state(pilot, "at-cap", poll=False)
        assert "■ AT CAP 2/2 live" in meter(app)
        assert app.screen.query_one("#capacity").has_class("-at-cap")

        # Send at the cap: asked first; "Don't send" sends nothing.
        before = posts_seen(sim)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the warning")
        body = modal_text(app)
        assert "exceed the concurrency cap (2 of 2 active) — send anyway?" in body
        await pilot.click("#cancel")
        await pilot.pause(0.2)
        assert posts_seen(sim) == before

        # "Send anyway" sends once; the API refuses (429) and nothing is retried.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the warning")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: screen.outcome.state == "-error", "refused")
        assert "concurrent call limit reached" in screen.outcome.text
        await asyncio.sleep(0.5)
        assert posts_seen(sim) == before + 1

        # Room again (the cap raised to 5, 4 live): near, and Send goes straight through.
        set_sim(sim, max_concurrent_calls=5)
        place_direct(sim, LONG_CALL)
        await wait_state(pilot, "normal")                      # 3 of 5
        place_direct(sim, LONG_CALL)
        await wait_state(pilot, "near")                        # 4 of 5 = 80 %
        assert "▲ live 4/5" in meter(app)
        assert app.screen.query_one("#capacity").has_class("-near")
        before = posts_seen(sim)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.outcome.state == "-ok", "placed without asking")
        assert posts_seen(sim) == before + 1


async def test_a_stale_at_cap_reading_is_checked_again_before_asking(sim):
    """The meter said "at cap", a call ended since: Send reads the quota again and sends."""
    app = capacity_app(sim)
    async with app.run_test(size=WIDE) as pilot:
        await form_ready(pilot)
        first = place_direct(sim, LONG_CALL)
        place_direct(sim, LONG_CALL)
        await wait_state(pilot, "at-cap")
        with httpx.Client(base_url=sim.base_url, headers=sim.auth_headers, timeout=5) as api:
            api.post(f"/calls/{first}/end").raise_for_status()
        screen = app.screen
        screen.set_values({"agent_id": AGENT.agent_id, "to_number": "+14155550000"})
        await wait_for(pilot, lambda: screen.can_send, "ready")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.outcome.state == "-ok", "placed")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_monthly_quota_used_up_shows_and_warns(sim):
    app = capacity_app(sim)
    async with app.run_test(size=WIDE) as pilot:
        await form_ready(pilot)
        place_direct(sim, "+14155550000")
        set_sim(sim, monthly_call_limit=1)
        await wait_state(pilot, "exceeded")
        assert "MONTHLY QUOTA USED UP" in meter(app)
        screen = app.screen
        screen.set_values({"agent_id": AGENT.agent_id, "to_number": "+14155550000"})
        await wait_for(pilot, lambda: screen.can_send, "ready")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the warning")
        assert "monthly call quota is used up" in modal_text(app)
        await pilot.press("escape")


async def test_the_meter_is_compact_at_80_columns(sim):
    for _ in range(2):
        place_direct(sim, LONG_CALL)
    app = capacity_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await form_ready(pilot)
        await wait_state(pilot, "at-cap", poll=False)
        assert meter(app) == "■ CAP 2/2"
        header = app.screen.query_one("ConsoleHeader")
        assert not header.query_one("#user").display            # user@tenant gives way
        line = tui_text(app).splitlines()[0]
        assert "■ CAP 2/2" in line and line.rstrip().endswith("tester")


def tui_text(app) -> str:
    import re

    svg = app.export_screenshot()
    rows: dict[float, list[tuple[float, str]]] = {}
    for match in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>',
                             svg):
        text = re.sub(r"&#160;", " ", match.group(3)).replace("&amp;", "&")
        rows.setdefault(float(match.group(2)), []).append((float(match.group(1)), text))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            column = round(x / 12.2)
            line = line.ljust(column) + text
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("figures, state, text", [
    ({"current_active_calls": 0, "max_concurrent_calls": 10}, "normal", "▮ live 0/10"),
    ({"current_active_calls": 7, "max_concurrent_calls": 10}, "normal", "▮ live 7/10"),
    ({"current_active_calls": 8, "max_concurrent_calls": 10}, "near", "▲ live 8/10"),
    ({"current_active_calls": 10, "max_concurrent_calls": 10}, "at-cap", "■ AT CAP 10/10"),
    ({"current_active_calls": 12, "max_concurrent_calls": 10}, "at-cap", "■ AT CAP 12/10"),
    ({"calls_used_this_month": 8500, "monthly_call_limit": 10000}, "near", "month 85%"),
    ({"quota_exceeded": True, "status": "blocked"}, "exceeded", "✖ MONTHLY QUOTA USED UP"),
    ({"status": "suspended"}, "blocked", "✖ TENANT SUSPENDED"),
])
def test_meter_states(figures, state, text):
    base = {"tenant_id": "t", "current_active_calls": 0, "max_concurrent_calls": 10,
            "calls_used_this_month": 5, "monthly_call_limit": 10000,
            "calls_usage_percentage": None, "status": "active"}
    quota = Quota(**{**base, **figures})
    assert capacity_state(quota) == state
    assert text in meter_text(Capacity(quota=quota)).plain
    # the compact form (narrow terminals) keeps the state's symbol
    assert meter_text(Capacity(quota=quota), compact=True).plain[0] == \
        meter_text(Capacity(quota=quota)).plain[0]
    assert Capacity(quota=quota).would_exceed() == (
        quota.current_active_calls + 1 > quota.max_concurrent_calls)


def test_meter_is_hidden_until_read_and_says_when_unavailable():
    assert Capacity().state == "unknown" and meter_text(Capacity()).plain == ""
    assert Capacity(unavailable="no tenant").state == "n/a"
    assert not Capacity().would_exceed()


def _snapshot_before(state: str):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: app.session_ready and app.health == "ok", "online")
        await wait_state(pilot, state)
        await idle(pilot)
        app.clear_notifications()
        no_blink(app)
        await pilot.pause()

    return run_before


# The meter is in every screen's header; the snapshots use the Settings screen (the Call
# form's own snapshots are in test_snapshots.py; the warning's text is checked above).


def test_capacity_near_cap_snapshot(snap_compare, sim):
    set_sim(sim, max_concurrent_calls=5)
    for _ in range(4):
        place_direct(sim, LONG_CALL)
    assert snap_compare(capacity_app(sim, screen="settings"), terminal_size=WIDE,
                        run_before=_snapshot_before("near"))


def test_capacity_at_cap_snapshot(snap_compare, sim):
    for _ in range(2):
        place_direct(sim, LONG_CALL)
    assert snap_compare(capacity_app(sim, screen="settings"), terminal_size=WIDE,
                        run_before=_snapshot_before("at-cap"))
