"""Calls that never go away (issue 12): each --demo run and each environment shows only its own
calls, a call the API no longer knows becomes *lost* (and can be dismissed), and the header
says offline / paused / online from what the polls get — all against real simulators."""

from __future__ import annotations

from account_helpers import app_for, route_api, start_sim, write_config
from calls_helpers import (
    MIXED,
    calls_screen,
    cell,
    cid,
    notes,
    place,
    select,
    status,
    tracker_ready,
    wait_cell,
    wait_for,
)

from datetime import UTC, datetime

from textual.widgets import Label

from console.sim.runner import start_in_thread
from console.sim.state import SimConfig
from console.tracker import PollPolicy
from console.tui.app import make_app
from console.tui.widgets.console_header import ConsoleHeader

SIZE = (120, 40)
#: polls 4x as often as the real policy (so five 404s in a row take seconds, not a minute)
FAST = PollPolicy().scaled(0.25)
LONG_CALL = "+14155550004"


def demo_app(**kwargs):
    app = make_app(demo=True, sim_config=SimConfig(time_scale=20, max_concurrent_calls=50),
                   operator="tester", **kwargs)
    app.live.policy = FAST
    return app


async def demo_ready(pilot) -> None:
    """The demo simulator is up, the session points at it and the tracker is polling."""
    app = pilot.app
    await wait_for(pilot, lambda: app.sim is not None and app.tracker is not None
                   and app.tracker.running and app.tracker.environment is not None
                   and app.health == "ok", "the demo simulator", timeout=20)
    await wait_for(pilot, lambda: not any(w.group == "calls-reattach" and w.is_running
                                          for w in app.workers), "calls re-attached")
    await pilot.pause()


def health_label(app) -> str:
    header = app.screen.query_one(ConsoleHeader)
    return str(header.query_one("#health").render())


# -- one --demo run is one environment --------------------------------------------------------

async def test_a_new_demo_run_shows_and_counts_none_of_the_previous_runs_calls():
    first = demo_app(screen="calls")
    async with first.run_test(size=SIZE) as pilot:
        await demo_ready(pilot)
        placed, _ = await place(first, LONG_CALL)
        screen = first.screen
        await wait_cell(pilot, screen, placed.call_id, "status", "answered")
        old_environment = first.tracker.environment
        assert old_environment.startswith("demo:")
    # quitting stopped that simulator; the next run starts a fresh one
    second = demo_app(screen="calls")
    async with second.run_test(size=SIZE) as pilot:
        await demo_ready(pilot)
        screen = second.screen
        assert second.tracker.environment.startswith("demo:")
        assert second.tracker.environment != old_environment
        requests = second.tracker.stats().requests
        await wait_for(pilot, lambda: second.tracker.stats().requests >= requests + 3,
                       "a few poll cycles of this run")
        assert placed.call_id not in screen.table and screen.table.row_count == 0
        stats = second.tracker.stats()
        assert (stats.tracked, stats.live, stats.lost, stats.errors) == (0, 0, 0, 0)
        assert second.account.live_calls() == 0
        assert "0 calls" in screen.summary.text
        # the history keeps it, tied to the run that placed it
        row = second.call_store.get(placed.call_id)
        assert row is not None and row.environment == old_environment


# -- lost calls -------------------------------------------------------------------------------

async def test_a_call_the_api_answers_404_for_is_lost_then_dismissed_but_kept_in_history(tui):
    app = tui.app(screen="calls")
    app.live.policy = FAST
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        placed, _ = await place(app, LONG_CALL)
        await wait_cell(pilot, screen, placed.call_id, "status", "answered")
        call = app.tracker.get(placed.call_id)
        tui.arm({"route": "GET /calls/{call_id}", "kind": "status", "status": 404})
        await wait_cell(pilot, screen, placed.call_id, "status", "⊘ lost", timeout=30)
        assert call.not_found_count == app.tracker.policy.lost_after
        assert call.status == "answered" and not call.live   # last known fields kept
        assert "not-found" in cell(screen, placed.call_id, "flags")
        stats = app.tracker.stats()
        assert (stats.live, stats.lost) == (0, 1) and app.account.live_calls() == 0
        summary = screen.summary.text
        assert "⊘1 lost" in summary and "answered" not in summary
        # out of "live only"
        await pilot.press("l")
        await wait_for(pilot, lambda: placed.call_id not in screen.table, "live only")
        await pilot.press("l")
        await wait_for(pilot, lambda: placed.call_id in screen.table, "all calls again")
        # the Dismiss key shows while the lost call is selected, and takes it off the table
        await select(pilot, screen, placed.call_id)
        dismiss = [b for b in screen.active_bindings.values() if b.binding.id == "calls.dismiss"]
        assert dismiss and dismiss[0].enabled
        await pilot.press("delete")
        await wait_for(pilot, lambda: placed.call_id not in screen.table, "the row to go")
        assert placed.call_id not in app.tracker and screen.table.row_count == 0
        assert any("Dismissed" in n and "history" in n for n in notes(app))
        assert app.tracked_calls[0].status == "lost"           # the Call screen's list too
        row = app.call_store.get(placed.call_id)
        assert row is not None and row.lost and row.dismissed_at is not None
        assert row.status == "answered"


async def test_dismiss_is_not_offered_for_a_call_that_is_not_lost(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        app.tracker.track_status(MIXED[3])                # an ended call
        await app.tracker.stop()
        await wait_for(pilot, lambda: screen.table.row_count == 1, "the row")
        await select(pilot, screen, MIXED[3].call_id)
        assert screen.check_action("dismiss", ()) is False
        await pilot.press("delete")
        await pilot.pause()
        assert MIXED[3].call_id in screen.table


# -- the header says what the polls get ---------------------------------------------------------

async def test_the_header_says_offline_when_the_simulator_stops_and_online_when_it_is_back():
    app = demo_app(screen="calls")
    async with app.run_test(size=SIZE) as pilot:
        await demo_ready(pilot)
        assert "online" in health_label(app)
        sim = app.sim
        sim.stop()                                      # the API is gone
        # The header repaints after the health changes: wait for what it shows.
        await wait_for(pilot, lambda: app.health == "error"
                       and app.health_text.startswith("offline")
                       and "offline" in health_label(app), "offline", timeout=20)
        label = health_label(app)
        assert "online" not in label.replace("offline", "")
        back = start_in_thread(SimConfig(time_scale=20, max_concurrent_calls=50,
                                         token=sim.token), port=sim.port)
        app.sim = back                                  # stopped with the app
        await wait_for(pilot, lambda: app.health == "ok" and app.health_text == "online"
                       and "offline" not in health_label(app), "online again", timeout=20)
        assert "online" in health_label(app)


async def test_the_header_shows_a_pause_the_server_asked_for(tui):
    app = tui.app(screen="calls")
    app.live.policy = FAST
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        placed, _ = await place(app, LONG_CALL)
        await wait_cell(pilot, app.screen, placed.call_id, "status", "answered")
        tui.arm({"route": "GET /calls/{call_id}", "kind": "status", "status": 429,
                 "retry_after": "30", "count": 1})
        await wait_for(pilot, lambda: "paused 30 s (server asked)" in health_label(app),
                       "the pause in the header")
        assert app.health == "warn"


# -- environments -----------------------------------------------------------------------------

TWO_ENVIRONMENTS = """active_env = "one"

[environments.one]
base_url = "http://sim.test:8000"
auth = "token"
token_env = "SIM_TOKEN"

[environments.two]
base_url = "http://sim.test:8001"
auth = "token"
token_env = "SIM_TOKEN"
"""


async def test_switching_environment_shows_only_that_environments_calls(monkeypatch):
    sim = start_sim(max_concurrent_calls=50)
    try:
        route_api(monkeypatch, sim)                     # both URLs reach this simulator
        monkeypatch.setenv("SIM_TOKEN", sim.token)
        write_config(TWO_ENVIRONMENTS)
        app = app_for(screen="calls")
        app.live.policy = FAST
        async with app.run_test(size=SIZE) as pilot:
            await tracker_ready(pilot)
            screen = await calls_screen(pilot)
            on_one, _ = await place(app, LONG_CALL)
            await wait_for(pilot, lambda: on_one.call_id in screen.table, "env one's call")
            app.account.switch_environment("two", confirm=False)
            await wait_for(pilot, lambda: screen.table.row_count == 0, "env one's call to go")
            assert app.tracker.stats().tracked == 0 and on_one.call_id not in app.tracker
            on_two, _ = await place(app, LONG_CALL)
            await wait_for(pilot, lambda: set(screen.table.shown_ids) == {on_two.call_id},
                           "only env two's call")
            app.account.switch_environment("one", confirm=False)
            await wait_for(pilot, lambda: set(screen.table.shown_ids) == {on_one.call_id},
                           "only env one's call again")
            assert on_two.call_id not in app.tracker
            assert app.call_store.get(on_one.call_id).environment == "http://sim.test:8000"
            assert app.call_store.get(on_two.call_id).environment == "http://sim.test:8001"
            for call_id in (on_one.call_id, on_two.call_id):
                await app.session.client.end_call(call_id)
    finally:
        sim.stop()


async def test_once_the_api_says_who_is_signed_in_only_that_tenants_calls_stay(tui):
    """Two tenants' operators may share one history file on a jump host: a call of another
    tenant on the same API is re-attached while the tenant is unknown, and goes (from the
    table, not from the history) once /auth/me answered."""
    from console.store.history import CallStore

    now = datetime.now(UTC)
    started = now.isoformat().replace("+00:00", "Z")
    with CallStore() as store:
        for n, tenant in ((90, None), (91, "another-tenant")):
            call = status(cid(n), "ended", started=started, disposition="completed")
            if tenant is not None:
                call = call.model_copy(update={"tenant_id": tenant})
            store.record_status(call, observed_at=now, source="console",
                                environment="http://sim.test:8000")
    app = tui.app(screen="calls", account_checks=True)
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: app.session.tenant is not None, "/auth/me")
        await wait_for(pilot, lambda: cid(91) not in screen.table, "the other tenant's call")
        assert cid(90) in screen.table and app.tracker.tenant == app.session.tenant
        assert app.call_store.get(cid(91)) is not None          # still in the history


async def test_a_health_change_rewrites_only_the_health_label(tui):
    app = tui.app()
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        header = app.screen.query_one(ConsoleHeader)
        rewritten: list[str] = []
        for label in header.query(Label):
            def spy(*args, _label=label, _update=label.update, **kwargs):
                rewritten.append(_label.id)
                return _update(*args, **kwargs)

            label.update = spy
        app.set_health("error", "offline (unreachable)")
        await pilot.pause()
        assert rewritten == ["health"]
        assert "offline (unreachable)" in health_label(app)
        rewritten.clear()
        app.set_health("error", "offline (unreachable)")         # the same: nothing redrawn
        await pilot.pause()
        assert rewritten == []
