"""An unexpected error in a handler never ends an operator's console: it is logged with its
traceback, shown as one error toast, and the console goes on (the app the CLI runs). Apps
built for tests stay strict: the first such error fails the test."""

from __future__ import annotations

import logging

import pytest

from console.tui.screens.base import ConsoleScreen
from console.tui.calls.screen import CallsScreen
from storm import StormReport, assert_alive

WIDE = (120, 40)


class Boom(RuntimeError):
    pass


def failing_once(monkeypatch, owner: type, name: str) -> list[int]:
    """Make `owner.name` raise `Boom` on its first call, then behave as before."""
    original = getattr(owner, name)
    calls: list[int] = []

    def replacement(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise Boom("something nobody expected")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, replacement)
    return calls


def error_toasts(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_an_error_in_an_action_is_logged_and_shown_and_the_console_goes_on(
        tui, monkeypatch, caplog):
    calls = failing_once(monkeypatch, CallsScreen, "action_toggle_detail")
    app = tui.app(screen="calls", survive_errors=True)
    with caplog.at_level(logging.ERROR, logger="console"):
        async with app.run_test(size=WIDE) as pilot:
            await tui.wait_for(pilot, lambda: app.session_ready, "session")
            await pilot.press("d")
            await tui.wait_for(pilot, lambda: error_toasts(app), "the error toast")
            await pilot.press("d")  # the same key works again
            await pilot.press("f2")
            await tui.wait_for(pilot, lambda: app.current_mode == "call", "the Call screen")
            await assert_alive(pilot, StormReport(seed=-1))
            toasts = error_toasts(app)
    assert len(calls) == 2
    assert len(toasts) == 1 and "Boom: something nobody expected" in toasts[0]
    assert "call-console.log" in toasts[0]
    records = [r for r in caplog.records if r.name == "console.tui.failures"]
    assert len(records) == 1 and records[0].exc_info[0] is Boom
    assert "unexpected error in" in records[0].getMessage()


async def test_a_screen_whose_handler_failed_keeps_handling_messages(tui, monkeypatch):
    # Textual stops the message loop of the widget whose handler raised: not exiting alone
    # would leave a frozen screen.
    calls = failing_once(monkeypatch, ConsoleScreen, "on_resize")
    app = tui.app(screen="calls", survive_errors=True)
    async with app.run_test(size=WIDE) as pilot:
        await tui.wait_for(pilot, lambda: app.session_ready, "session")
        await pilot.resize_terminal(100, 30)
        await tui.wait_for(pilot, lambda: error_toasts(app), "the error toast")
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        await assert_alive(pilot, StormReport(seed=-1))
        await pilot.press("f2")
        await tui.wait_for(pilot, lambda: app.current_mode == "call", "the Call screen")
    assert len(calls) >= 2


async def test_the_same_error_repeating_is_one_toast(tui, monkeypatch):
    def always(self):
        raise Boom("again and again")

    monkeypatch.setattr(CallsScreen, "action_toggle_detail", always)
    app = tui.app(screen="calls", survive_errors=True)
    async with app.run_test(size=WIDE) as pilot:
        await tui.wait_for(pilot, lambda: app.session_ready, "session")
        for _ in range(5):
            await pilot.press("d")
        await pilot.pause()
        assert app.failures.count == 5
        assert len(error_toasts(app)) == 1


async def test_apps_built_for_tests_stay_strict(tui, monkeypatch):
    failing_once(monkeypatch, CallsScreen, "action_toggle_detail")
    app = tui.app(screen="calls")
    with pytest.raises(Boom):
        async with app.run_test(size=WIDE) as pilot:
            await tui.wait_for(pilot, lambda: app.session_ready, "session")
            await pilot.press("d")
            await pilot.pause()
