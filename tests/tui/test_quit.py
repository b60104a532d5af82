"""Quitting: at once when nothing is at stake; after asking when a call request is in flight or
calls placed here are live (the quit key again confirms); Ctrl+C says how to quit, in dialogs
too."""

from __future__ import annotations

from console.tui.dialogs.confirm import ConfirmScreen

from test_send import fill

SIZE = (120, 40)


def quit_question(app) -> ConfirmScreen | None:
    screen = app.screen
    return screen if isinstance(screen, ConfirmScreen) and screen.purpose == "quit" else None


async def test_nothing_at_stake_quits_at_once(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        await pilot.press("ctrl+q")
        await tui.wait_for(pilot, lambda: app.return_code is not None, "the exit")
    assert app.return_code == 0


async def test_a_live_call_placed_here_asks_first(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        await fill(tui, pilot, "+14155550004")  # a long call
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: app.tracked_calls, "the placed call")
        await tui.wait_for(pilot, lambda: app.tracker is not None and any(
            c.live for c in app.tracker.calls()), "the call tracked live")
        await pilot.press("ctrl+q")
        await tui.wait_for(pilot, lambda: quit_question(app), "the question")
        assert "1 call placed here is still live" in tui.screen_text(app)
        await pilot.press("escape")  # stay
        await tui.wait_for(pilot, lambda: quit_question(app) is None, "the question closed")
        assert app.is_running and app.return_code is None
        await pilot.press("ctrl+q")
        await tui.wait_for(pilot, lambda: quit_question(app), "the question again")
        await pilot.press("ctrl+q")  # the quit key again confirms
        await tui.wait_for(pilot, lambda: app.return_code is not None, "the exit")
    assert app.return_code == 0


async def test_a_request_in_flight_asks_first(tui):
    tui.arm({"route": "POST /calls/outbound", "kind": "latency", "seconds": 3.0})
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        await fill(tui, pilot, "+14155550000")
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+q")
        await tui.wait_for(pilot, lambda: quit_question(app), "the question")
        assert "A call request is in flight" in tui.screen_text(app)
        await pilot.click("#confirm")
        await tui.wait_for(pilot, lambda: app.return_code is not None, "the exit")


async def test_ctrl_c_in_a_dialog_says_how_to_quit(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        await pilot.press("f1")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["Press ^q to quit the app."]
        assert app.is_running
