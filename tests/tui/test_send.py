"""Every send outcome against a real simulator on 127.0.0.1 (faults armed through /_sim)."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from console.tui.fields.frame import FieldFrame

SIZE = (120, 40)


async def fill(tui, pilot, to: str, agent_id: str | None = None, **others) -> None:
    screen = pilot.app.screen
    await tui.paste(pilot, "agent_id", agent_id or tui.AGENT.agent_id)
    await tui.paste(pilot, "to_number", to)
    for name, value in others.items():
        screen.field(name).set_value(value)
    await pilot.pause()
    assert screen.can_send, screen.values()


async def send(tui, pilot) -> None:
    await pilot.press("ctrl+s")
    await tui.idle(pilot)


async def test_placed_call_is_shown_toasted_and_tracked(tui):
    app = tui.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, "+14155550000")
        await send(tui, pilot)
        assert screen.outcome.state == "-ok"
        call_id = tui.UUID_RE.search(screen.outcome.text.split("call id")[1]).group(0)
        assert [t.call_id for t in app.tracked_calls] == [call_id]
        assert app.tracked_calls[0].request.to_number == "+14155550000"
        assert any(f"Call placed: {call_id}" in n.message for n in app._notifications)
        assert call_id in tui.screen_text(app)
        assert tui.get_call(call_id)["to_number"] == "+14155550000"
        assert tui.posts_seen() == 1
        assert not screen.query_one("#send").disabled        # ready for the next call


async def test_422_from_the_server_lands_under_from_with_values_kept(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        # a valid number, but not a caller ID registered for the agent: only the server knows
        await fill(tui, pilot, "+14155550000", from_number="+14155559999", dtmf="12#",
                   priority="high", custom_headers=[("X-Case", "42")])
        before = screen.values()
        await send(tui, pilot)
        from_field = screen.field("from_number")
        assert "server:" in from_field.error_text
        assert "+14155559999 is not a caller ID registered for this agent" in from_field.error_text
        assert from_field.has_class("-error")
        assert screen.values() == before                         # every value kept
        assert screen.focused is from_field.input                # focus on the first bad field
        assert screen.outcome.state == "-error"
        assert "422" in screen.outcome.text
        assert app.tracked_calls == []
        # editing the field clears the server's message
        await tui.type(pilot, "from_number", tui.AGENT.caller_ids[0])
        assert from_field.error_text == ""


async def test_429_shows_status_detail_and_retry_after_and_is_not_retried(tui):
    tui.arm({"route": "POST /calls/outbound", "kind": "status", "status": 429,
             "retry_after": "5", "count": 1})
    app = tui.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, "+14155550000", display_name="[b]Ada[/b]")
        before = screen.values()
        await send(tui, pilot)
        text = screen.outcome.text
        assert screen.outcome.state == "-error"
        assert "429" in text and "Retry after 5 s" in text
        assert screen.values() == before
        assert tui.posts_seen() == 1
        assert any("429" in n.message and not n.markup for n in app._notifications)


async def test_500_shows_status_and_keeps_values(tui):
    tui.arm({"route": "POST /calls/outbound", "kind": "status", "status": 500, "count": 1})
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, "+14155550000")
        await send(tui, pilot)
        assert screen.outcome.state == "-error"
        assert screen.outcome.text.startswith("✖ Not placed: 500")
        assert screen.field("to_number").value == "+14155550000"
        assert tui.posts_seen() == 1


async def test_dropped_answer_is_outcome_unknown_then_reconciled_without_resending(tui):
    to = tui.unique_number()
    tui.arm({"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, to)
        await send(tui, pilot)
        assert screen.outcome.state == "-unknown"
        assert "OUTCOME UNKNOWN" in screen.outcome.text
        assert "NOT sent again" in screen.outcome.text
        assert screen.check_action("reconcile", ()) is True
        assert tui.posts_seen() == 1
        # the simulator did create the call before dropping the answer
        created = [c for c in tui.agent_calls() if c["to_number"] == to]
        assert len(created) == 1
        await pilot.press("ctrl+f")
        await tui.idle(pilot)
        assert screen.outcome.state == "-ok"
        assert created[0]["call_id"] in screen.outcome.text
        assert [t.call_id for t in app.tracked_calls] == [created[0]["call_id"]]
        assert app.tracked_calls[0].via == "reconcile"
        assert tui.posts_seen() == 1                               # never resent
        assert screen.check_action("reconcile", ()) is False


async def test_reconcile_with_no_match_stays_unknown(tui):
    to = tui.unique_number()
    # the connection is cut before the simulator handles the request: no call exists, but the
    # console cannot know that (the request was on the wire)
    tui.arm({"route": "POST /calls/outbound", "kind": "drop_before", "count": 1})
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, to)
        await send(tui, pilot)
        assert screen.outcome.state == "-unknown"
        assert [c for c in tui.agent_calls() if c["to_number"] == to] == []
        await pilot.press("ctrl+f")
        await tui.idle(pilot)
        assert screen.outcome.state == "-unknown"
        assert "STILL UNKNOWN" in screen.outcome.text
        assert app.tracked_calls == []


async def test_sending_again_after_an_unknown_outcome_asks_first(tui):
    from console.tui.dialogs.confirm import ConfirmScreen

    to = tui.unique_number()
    tui.arm({"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, to)
        await send(tui, pilot)
        assert screen.outcome.state == "-unknown"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")                      # focus starts on "Don't send"
        await tui.idle(pilot)
        assert app.screen is screen
        assert tui.posts_seen() == 1
        assert screen.outcome.state == "-unknown"


async def test_connection_refused_says_nothing_was_sent(tui):
    with socket.socket() as sock:                        # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = tui.app(handler=None, base_url=tui.FAKE_BASE)
    app._session._transport_factory = lambda: httpx.AsyncHTTPTransport()
    app._session.base_url = f"http://127.0.0.1:{port}"
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        assert app.health == "error"
        await fill(tui, pilot, "+14155550000")
        await send(tui, pilot)
        assert screen.outcome.state == "-error"
        assert "nothing was sent" in screen.outcome.text.lower()


async def test_422_on_a_header_lands_on_its_row(tui):
    """The server names a header in `loc`; a real server cannot be made to do it for a name
    the form accepts, so this one answer comes from a mock transport."""
    seen = []

    def post(request: httpx.Request) -> httpx.Response:
        seen.append(tui.body_of(request))
        return httpx.Response(422, json={"detail": [{
            "type": "value_error", "loc": ["body", "custom_headers", "X-Two", "[key]"],
            "msg": "Value error, header X-Two is reserved by the carrier", "input": "X-Two"}]})

    app = tui.app(handler=tui.mock_handler(post))
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, "+14155550000",
                   custom_headers=[("X-One", "1"), ("X-Two", "2"), ("X-Three", "3")])
        await send(tui, pilot)
        headers = screen.field("custom_headers")
        rows = headers.rows
        assert "reserved by the carrier" in rows[1].error_text
        assert rows[0].error_text == "" and rows[2].error_text == ""
        assert rows[1].query_one(".header-name").has_class("-invalid")
        assert screen.focused is rows[1].query_one(".header-name")
        assert headers.value == [("X-One", "1"), ("X-Two", "2"), ("X-Three", "3")]
        assert seen[0]["custom_headers"] == {"X-One": "1", "X-Two": "2", "X-Three": "3"}


async def test_wait_until_answered_shows_progress_then_the_answered_call(tui):
    # hold the request 2 s in the simulator so the wait is long enough to look at
    tui.arm({"route": "POST /calls/outbound", "kind": "latency", "seconds": 2, "count": 1})
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, "+14155550000", wait_until_answered=True)
        await pilot.press("ctrl+s")
        assert "Waiting for the answer" in screen.outcome.text
        assert "ringing timeout 80 s" in screen.outcome.text
        assert "does NOT hang up" in screen.outcome.text
        assert screen.check_action("stop_waiting", ()) is True
        assert screen.query_one("#send").disabled                # in flight
        await tui.idle(pilot)
        assert screen.outcome.state == "-ok"
        assert "status answered" in screen.outcome.text
        assert app.tracked_calls[0].status == "answered"
        assert screen.check_action("stop_waiting", ()) is False


@pytest.mark.parametrize("to, ringing, outcome", [("+14155550002", "2", "no answer"),
                                                  ("+14155550001", "10", "busy"),
                                                  ("+14155550003", "10", "rejected")])
async def test_wait_until_answered_that_does_not_connect_names_the_outcome_and_keeps_the_call(
        tui, to, ringing, outcome):
    """The 408 names the real outcome, and the failed attempt is a call like any other: in
    the table (with its disposition), the history and the audit log."""
    from console import paths

    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, to, wait_until_answered=True, ringing_timeout_seconds=ringing)
        await send(tui, pilot)
        assert screen.outcome.state == "-error"
        assert "408" in screen.outcome.text
        assert f"did not connect: {outcome}" in screen.outcome.text
        await tui.wait_for(pilot, lambda: app.tracked_calls, "the failed call tracked")
        tracked = app.tracked_calls[0]
        assert tracked.to_number == to and tracked.via == "not-answered"
        assert tui.posts_seen() == 1
        call = app.tracker.get(tracked.call_id)
        assert call.status == "failed" and "outcome-unknown" not in call.flags
        await tui.wait_for(pilot, lambda: app.call_store.get(tracked.call_id) is not None,
                           "the call in the history")
        await tui.idle(pilot)
    audit = [json.loads(line) for line in
             (paths.data_dir() / "audit.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["call_id"], r["via"]) for r in audit if r["kind"] == "call_placed"
            ] == [("call_placed", tracked.call_id, "not-answered")]


async def test_stop_waiting_does_not_hang_up_and_can_be_reconciled(tui):
    to = "+14155550002"    # never answers: rings for the whole ringing timeout
    agent = tui.AGENTS[1]  # another agent than the no-answer test's, so only this call matches
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await fill(tui, pilot, to, wait_until_answered=True, ringing_timeout_seconds="80",
                   agent_id=agent.agent_id)
        await pilot.press("ctrl+s")
        await tui.wait_for(pilot, lambda: any(
            c["to_number"] == to and c["status"] in ("initiated", "ringing")
            for c in tui.agent_calls(agent.agent_id)), "the call to exist")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert screen.outcome.state == "-unknown"
        assert "did NOT hang up" in screen.outcome.text
        assert not screen.query_one("#send").disabled
        live = [c for c in tui.agent_calls(agent.agent_id) if c["to_number"] == to
                and c["status"] in ("initiated", "ringing")]
        assert len(live) == 1                                     # still ringing: not hung up
        try:
            await pilot.press("ctrl+f")
            await tui.idle(pilot)
            assert screen.outcome.state == "-ok"
            assert app.tracked_calls[0].call_id == live[0]["call_id"]
            assert tui.posts_seen() == 1
        finally:
            tui.end_call(live[0]["call_id"])   # the test hangs up; the console never does
