"""The Calls screen against a real simulator (time-scaled): calls placed from the form and
from elsewhere show up and move live, actions (end with 409, transfer, redial, clone), unknown
status strings, markup-looking server text, filters and re-attaching after a restart."""

from __future__ import annotations

import gc

import httpx
from calls_helpers import (
    AGENT,
    MIXED,
    REQUEST,
    calls_screen,
    mixed_calls_shown,
    cell,
    notes,
    place,
    select,
    status,
    tracker_ready,
    wait_cell,
    wait_for,
)

from console.tracker import PollPolicy
from console.tui.collector import FULL_COLLECTION_EVERY

SIZE = (120, 40)
#: polls 4x as often as the real policy, so a test sees short-lived states
FAST = PollPolicy().scaled(0.25)


def fast(app):
    app.live.policy = FAST
    return app


def set_time_scale(tui, scale: float) -> None:
    with httpx.Client(base_url=tui.sim.base_url, timeout=5) as admin:
        admin.post("/_sim/config", json={"time_scale": scale}).raise_for_status()


def requests_seen(tui) -> dict[str, int]:
    with httpx.Client(base_url=tui.sim.base_url, timeout=5) as admin:
        counts = admin.get("/_sim/stats").json()
    return counts.get("requests", counts)


# -- live updates -----------------------------------------------------------------------------

async def test_call_placed_from_the_form_shows_up_and_moves_live_to_ended(tui):
    app = fast(tui.app())
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        form = app.screen
        await tui.paste(pilot, "agent_id", AGENT.agent_id)
        await tui.paste(pilot, "to_number", "+14155550000")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.tracked_calls, "the call to be placed")
        call_id = app.tracked_calls[0].call_id
        assert form.outcome.state == "-ok"
        await pilot.press("f3")
        screen = await calls_screen(pilot)
        table = screen.table
        cleared = []
        table.clear = lambda *a, **k: cleared.append(a)  # a poll must never clear and refill
        assert call_id in table.shown_ids
        assert cell(screen, call_id, "to") == "+1 415-555-0000"
        assert cell(screen, call_id, "agent") == "Reception"
        await wait_cell(pilot, screen, call_id, "status", "ended")
        assert cell(screen, call_id, "disposition") == "completed"
        call = app.tracker.get(call_id)
        seen = [s for _, s in call.status_changes]
        assert seen[0] == "initiated" and seen[-1] == "ended"
        assert screen.diffs >= 2 and cleared == []
        assert table.row_count == 1
        # the detail pane follows the selected call
        assert screen.detail.call_id == call_id
        detail = tui.screen_text(app)
        assert "Completed" in detail and "Timeline" in detail
        assert '"to_number": "+14155550000"' in detail        # the request that placed it
        # the history holds it with its status changes
        stored = app.call_store.get(call_id)
        assert stored is not None and stored.status == "ended"
        assert [s for _, s in app.call_store.timeline(call_id)][-1] == "ended"


async def test_calls_of_a_watched_agent_placed_elsewhere_show_up(tui):
    app = fast(tui.app(screen="calls"))
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        # full garbage collections spaced out once live calls are tracked (live_calls.py)
        assert gc.get_threshold()[2] >= FULL_COLLECTION_EVERY
        screen = app.screen
        await wait_for(pilot, lambda: app.known_agents, "the agent probe")
        await pilot.press("w")
        await pilot.pause()
        await pilot.press(*"Sales", "enter")  # a name the server's agent list gave
        await pilot.pause()
        assert "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02" in app.tracker.stats().watched_agents
        # a call placed by someone else (here: straight to the API)
        with httpx.Client(base_url=tui.sim.base_url, timeout=5,
                          headers={"Authorization": f"Bearer {tui.sim.token}"}) as client:
            response = client.post("/calls/outbound", json={
                "agent_id": "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02",
                "to_number": "+14155550000"})
            response.raise_for_status()
            call_id = response.json()["call_id"]
        await wait_for(pilot, lambda: call_id in screen.table, "the watched call")
        assert cell(screen, call_id, "agent") == "Sales"
        await wait_cell(pilot, screen, call_id, "status", "ended")
        assert app.tracker.get(call_id).source == "watched"


async def test_restart_reattaches_and_keeps_tracking_a_live_call(tui):
    first = fast(tui.app())
    async with first.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        placed, _ = await place(first, "+14155550004")          # a long call
        await wait_for(pilot, lambda: first.tracker.get(placed.call_id).status == "answered",
                       "the call to be answered")
    # a second console on the same data directory (the test's CALL_CONSOLE_DATA_DIR)
    second = fast(tui.app(screen="calls"))
    async with second.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        screen = second.screen
        await wait_for(pilot, lambda: placed.call_id in screen.table, "the restored call")
        assert second.tracker.get(placed.call_id).source == "restored"
        assert cell(screen, placed.call_id, "status") == "● answered"
        tui.end_call(placed.call_id)                             # ended from outside
        await wait_cell(pilot, screen, placed.call_id, "status", "ended")
        assert cell(screen, placed.call_id, "disposition") == "ended-by-api"
        # the timeline kept what the first console saw
        seen = [s for _, s in second.tracker.get(placed.call_id).status_changes]
        assert seen[0] == "initiated" and "answered" in seen and seen[-1] == "ended"


# -- actions ----------------------------------------------------------------------------------

async def test_end_asks_first_then_a_second_end_gets_a_clear_409(tui):
    app = fast(tui.app(screen="calls"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        placed, _ = await place(app, "+14155550004")
        await wait_for(pilot, lambda: placed.call_id in screen.table, "the row")
        await select(pilot, screen, placed.call_id)
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ConfirmScreen"
        await pilot.press("escape")                               # cancelled: nothing sent
        await pilot.pause()
        assert requests_seen(tui).get(f"POST /calls/{{call_id}}/end", 0) == 0
        await pilot.press("e")
        await pilot.pause()
        await pilot.click("#confirm")
        await wait_cell(pilot, screen, placed.call_id, "status", "ended")
        assert cell(screen, placed.call_id, "disposition") == "ended-by-api"
        assert any("End requested" in n for n in notes(app))
        app.clear_notifications()
        await pilot.press("e")
        await pilot.pause()
        assert "probably answer 409" in tui.screen_text(app)
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: any("409" in n for n in notes(app)), "the 409 toast")
        message = next(n for n in notes(app) if "409" in n)
        assert "no longer live" in message and "call already ended" in message


async def test_transfer_modal_checks_the_target_and_the_call_shows_transferring(tui):
    app = fast(tui.app(screen="calls"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        placed, _ = await place(app, "+14155550004")
        await wait_cell(pilot, screen, placed.call_id, "status", "answered")
        await select(pilot, screen, placed.call_id)
        await pilot.press("t")
        await pilot.pause()
        modal = app.screen
        check = modal.query_one("#transfer-check")
        button = modal.query_one("#transfer")
        assert button.disabled
        for typed, expected in (("sip:bob", "a SIP target looks like sip:user@host"),
                                ("12", "use tel:+E164 or sip:user@host")):
            modal.query_one("#transfer-target").value = ""
            await pilot.press(*typed)
            await pilot.pause()
            assert expected in str(check.render())
            assert button.disabled
        await pilot.press("enter")                                # invalid: stays open
        await pilot.pause()
        assert app.screen is modal
        modal.query_one("#transfer-target").value = ""
        await pilot.press(*"+1 415 555 0123")
        await pilot.pause()
        assert "→ tel:+14155550123" in str(check.render())
        assert not button.disabled
        modal.query_one("#transfer-type").value = "warm"
        await pilot.click("#transfer-dialtone")
        assert modal.query_one("#transfer-dialtone").value
        # "transferring" lasts 2 sim seconds: slow the simulator down to see it
        set_time_scale(tui, 1.0)
        await pilot.click("#transfer")
        await wait_cell(pilot, screen, placed.call_id, "status", "⇄ transferring")
        assert any("sip" not in n and "tel:+14155550123 (warm)" in n for n in notes(app))
        assert app.tracker.get(placed.call_id).live               # a live status


async def test_transfer_of_a_call_that_is_not_answered_gets_a_clear_409(tui):
    set_time_scale(tui, 0.05)                                     # stays initiated
    app = fast(tui.app(screen="calls"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        placed, _ = await place(app, "+14155550004")
        await wait_for(pilot, lambda: placed.call_id in screen.table, "the row")
        await select(pilot, screen, placed.call_id)
        await pilot.press("t")
        await pilot.pause()
        assert "not answered" in tui.screen_text(app)             # the modal warns
        await pilot.press(*"tel:+14155550123", "enter")
        await wait_for(pilot, lambda: any("409" in n for n in notes(app)), "the 409 toast")
        assert any("only an answered call can be" in n for n in notes(app))


async def test_redial_asks_and_places_exactly_one_new_call(tui):
    app = fast(tui.app(screen="calls"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        placed, request = await place(app, "+14155550003", priority="high")
        await wait_for(pilot, lambda: placed.call_id in screen.table, "the row")
        assert tui.posts_seen() == 1
        await select(pilot, screen, placed.call_id)
        await pilot.press("r")
        await pilot.pause()
        text = tui.screen_text(app)
        assert "This places a NEW call to +1 415-555-0003" in text
        await pilot.press("escape")                               # "Don't call"
        await pilot.pause()
        assert tui.posts_seen() == 1
        await pilot.press("r")
        await pilot.pause()
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: len(app.tracker) == 2, "the new call")
        await tui.idle(pilot)
        assert tui.posts_seen() == 2                              # exactly one more POST
        new = next(c for c in app.tracker.calls() if c.call_id != placed.call_id)
        assert new.request["to_number"] == "+14155550003" and new.request["priority"] == "high"
        # the table takes the tracker's change on its next refresh, not in the same tick
        await wait_for(pilot, lambda: new.call_id in screen.table, "the new call's row")
        assert [t.call_id for t in app.tracked_calls] == [placed.call_id, new.call_id]


async def test_clone_fills_the_call_form_with_the_request(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        app.tracker.track_status(status("00000000-0000-4000-8000-000000000042", "ended",
                                        disposition="completed"),
                                 source="console", request=REQUEST)
        await app.tracker.stop()                                  # flush: deliver the batch
        await wait_for(pilot, lambda: screen.table.row_count == 1, "the row")
        await select(pilot, screen, "00000000-0000-4000-8000-000000000042")
        await pilot.press("c")
        await wait_for(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "call"
                       and app.screen.form_ready
                       and app.screen.values()["to_number"] == "+14155550000", "the form")
        values = app.screen.values()
        assert values["agent_id"] == AGENT.agent_id
        assert values["priority"] == "high"
        assert values["dtmf"] == "12#"
        assert values["custom_headers"] == [("X-Case", "42")]
        assert '"case": 42' in values["context"]
        await tui.wait_for(pilot, lambda: app.screen.draft is not None
                           and app.screen.draft.ok, "the checks")


# -- what the table shows ---------------------------------------------------------------------

async def test_markup_looking_server_strings_are_shown_literally(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        call_id = "00000000-0000-4000-8000-000000000666"
        app.tracker.track_status(status(call_id, "[blink]odd[/]", to="[red]+1",
                                        disposition="[bold red]x", note="[link=x]y"))
        await app.tracker.stop()
        await wait_for(pilot, lambda: call_id in screen.table, "the row")
        assert cell(screen, call_id, "status") == "? [blink]odd[/]"
        assert cell(screen, call_id, "disposition") == "[bold red]x"
        assert cell(screen, call_id, "to") == "[red]+1"
        await select(pilot, screen, call_id)
        text = tui.screen_text(app)
        for literal in ("[bold red]x", "[blink]odd[/]", "[red]+1"):
            assert literal in text, literal
        fields = str(screen.detail.query_one("#detail-fields-text").render())
        assert "note" in fields and "[link=x]y" in fields          # an unknown extra field


async def test_filters_rebuild_on_change_and_diffs_respect_them(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        table = await mixed_calls_shown(pilot)
        screen = app.screen
        every = set(table.shown_ids)
        # text search: a number (as typed with spaces), then a disposition
        await pilot.press("slash", *"415 555 0001")
        await wait_for(pilot, lambda: set(table.shown_ids) == {MIXED[4].call_id}, "search")
        await pilot.press("escape")
        assert screen.focused is table
        screen.filter_bar.set_filter(screen.filter.__class__(text="carrier"))
        await wait_for(pilot, lambda: set(table.shown_ids) == {MIXED[6].call_id}, "by text")
        await pilot.press("x")                                    # clear
        await wait_for(pilot, lambda: set(table.shown_ids) == every, "cleared")
        # status: cycle to "ringing" (all → initiated → ringing)
        await pilot.press("f", "f")
        await wait_for(pilot, lambda: set(table.shown_ids) == {MIXED[1].call_id}, "status")
        await pilot.press("x")
        # other statuses (unknown strings)
        screen.filter_bar.set_filter(screen.filter.__class__(status="?other"))
        await wait_for(pilot, lambda: set(table.shown_ids) == {MIXED[5].call_id}, "other")
        await pilot.press("x")
        # agent: the second agent has one call
        screen.filter_bar.set_filter(screen.filter.__class__(agent_id=MIXED[4].agent_id))
        await wait_for(pilot, lambda: set(table.shown_ids) == {MIXED[4].call_id}, "agent")
        await pilot.press("x")
        # live only, then a poll ends a call: its row goes, without a rebuild
        await pilot.press("l")
        live = {c.call_id for c in MIXED if c.status not in ("ended", "failed")}
        await wait_for(pilot, lambda: set(table.shown_ids) == live, "live only")
        cleared = []
        table.clear = lambda *a, **k: cleared.append(a)
        ended = MIXED[0].model_copy(update={"status": "ended", "disposition": "completed"})
        app.tracker.track_status(ended)
        await app.tracker.stop()
        await wait_for(pilot, lambda: MIXED[0].call_id not in table, "the ended row to go")
        assert set(table.shown_ids) == live - {MIXED[0].call_id}
        assert cleared == []
        assert "shown" in screen.summary.text


async def test_a_found_call_is_selected_even_when_a_filter_hid_it(tui):
    """The find palette's `call:` results and a campaign row's call open here: the cursor on
    that call, its detail shown, the filter that hid it cleared."""
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        table = await mixed_calls_shown(pilot)
        screen = app.screen
        wanted = MIXED[6].call_id  # failed
        screen.filter_bar.set_filter(screen.filter.__class__(text="415 555 0001"))
        await wait_for(pilot, lambda: wanted not in table.shown_ids, "the call filtered out")
        app.open_found("call", wanted)
        await wait_for(pilot, lambda: table.selected_id == wanted, "the cursor on the call")
        assert wanted in table.shown_ids and not screen.filter.text
        await wait_for(pilot, lambda: screen.detail.call_id == wanted, "its detail")
        app.open_found("call", "no-such-call")
        await wait_for(pilot, lambda: any("not in the live view" in n for n in notes(app)),
                       "the note")
        assert table.selected_id == wanted


async def test_sort_keeps_the_cursor_on_the_same_call(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        table = await mixed_calls_shown(pilot)
        screen = app.screen
        # newest first by default
        assert table.shown_ids[0] == MIXED[0].call_id
        await select(pilot, screen, MIXED[3].call_id)
        await pilot.press("s")                                    # sort by the next column
        assert table.sort_column == "duration"
        assert table.selected_id == MIXED[3].call_id
        await pilot.press("o")
        assert table.selected_id == MIXED[3].call_id
        table.set_sort("status", reverse=False)
        assert [cell(screen, cid, "status").split()[-1] for cid in table.shown_ids[:3]] == [
            "initiated", "ringing", "answered"]
        assert table.selected_id == MIXED[3].call_id


async def test_home_and_end_move_the_cursor_to_the_first_and_last_call(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        table = await mixed_calls_shown(pilot)
        screen = app.screen
        table.focus()
        await select(pilot, screen, MIXED[3].call_id)
        await pilot.press("end")
        assert table.selected_id == table.shown_ids[-1]
        await pilot.press("home")
        assert table.selected_id == table.shown_ids[0]


async def test_palette_lists_the_calls_commands(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        from console.tui.keys.commands import ConsoleCommands

        screen = app.screen
        provider = ConsoleCommands(screen, None)
        texts = [text for text, _, _ in provider._commands()]
        assert "calls: Watch agent… (w)" in texts
        assert not any(t.startswith("calls: End") for t in texts)   # nothing selected
        app.tracker.track_status(MIXED[2])
        await app.tracker.stop()
        await wait_for(pilot, lambda: screen.table.row_count == 1, "the row")
        await select(pilot, screen, MIXED[2].call_id)
        texts = [text for text, _, _ in provider._commands()]
        assert "calls: End the selected call… (e)" in texts
        assert "calls: Transfer the selected call… (t)" in texts
        bindings = {b.id for _, b in app.screen._bindings}
        assert {"calls.end", "calls.transfer", "calls.redial", "calls.clone",
                "calls.copy_id"} <= bindings


def test_summary_counts_read_as_english_and_name_the_pause() -> None:
    from datetime import UTC, datetime

    from console.tracker.tracker import TrackerStats
    from console.tui.calls.calls_summary import summary_text

    def stats(tracked: int, errors: int = 0, **kw) -> TrackerStats:
        return TrackerStats(requests=0, list_requests=0, get_requests=0, errors=errors,
                            requests_per_second=0.0, last_ok=None, counts={}, tracked=tracked,
                            live=0, in_flight=0, backoff_until=kw.pop("backoff_until", None),
                            last_error=kw.pop("last_error", None), watched_agents=(), **kw)

    assert summary_text(stats(1)).plain.startswith("1 call ")
    assert summary_text(stats(2)).plain.startswith("2 calls ")
    assert "⚠ 1 error, last: boom" in summary_text(stats(1, 1, last_error="boom")).plain
    later = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert "API asked to back off" in summary_text(stats(1, backoff_until=later)).plain
    signed_out = summary_text(stats(1, backoff_until=later, paused_for_sign_in=True)).plain
    assert "sign in again" in signed_out and "back off" not in signed_out
