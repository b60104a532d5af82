"""The Calls screen's actions go through the session's call service (console/calls/): a redial
whose answer is lost is reconciled by the service (never resent), and end, transfer and redial
each leave exactly one audit record, written by the service with the TUI as the face."""

from __future__ import annotations

import httpx
from calls_helpers import AGENT, notes, place, select, status, tracker_ready, wait_cell, wait_for

from console.account.audit import read_audit
from console.api.models import OutboundCallRequest
from console.tracker import PollPolicy

SIZE = (120, 40)


def fast(app):
    app.live.policy = PollPolicy().scaled(0.25)
    return app


def posts_seen(tui, route: str = "POST /calls/outbound") -> int:
    with httpx.Client(base_url=tui.sim.base_url, timeout=5) as admin:
        counts = admin.get("/_sim/stats").json()
    return counts.get("requests", counts).get(route, 0)


def audit(kind: str | None = None) -> list[dict]:
    return [r for r in read_audit() if kind is None or r["kind"] == kind]


async def confirm(pilot, key: str) -> None:
    await pilot.press(key)
    # the button laid out before the click (a click on a dialog not yet laid out goes nowhere:
    # the full suite under load saw that once)
    await wait_for(pilot, lambda: pilot.app.screen.__class__.__name__ == "ConfirmScreen"
                   and pilot.app.screen.query_one("#confirm").region.width > 0, "the question")
    await pilot.click("#confirm")


async def test_a_redial_whose_answer_is_lost_is_reconciled_not_resent(tui):
    # The redialled call is an old one, not on the simulator: the lookup must find only the
    # new call (a call to the same number seconds earlier would be a second match).
    number = tui.unique_number()
    old = status("00000000-0000-4000-8000-000000000077", "ended", to=number)
    app = tui.app(screen="calls")
    app.live.polling = False
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        app.tracker.track_status(old, source="console", request=OutboundCallRequest(
            agent_id=AGENT.agent_id, to_number=number))
        await app.tracker.stop()                                  # flush: deliver the batch
        await wait_for(pilot, lambda: old.call_id in screen.table, "the row")
        await select(pilot, screen, old.call_id)
        tui.arm({"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
        await confirm(pilot, "r")
        await wait_for(pilot, lambda: any("Found it" in n for n in notes(app)), "the lookup")
        await tui.idle(pilot)
        assert posts_seen(tui) == 1                               # one redial POST, not resent
        new = next(c for c in app.tracker.calls() if c.call_id != old.call_id)
        assert "outcome-unknown" in new.flags and new.to_number == number
        assert any("Outcome unknown" in n for n in notes(app))
    [unknown] = audit("call_outcome_unknown")
    assert (unknown["face"], unknown["redial_of"], unknown["to_number"]) == (
        "tui", old.call_id, number)
    assert [(r["call_id"], r["matches"]) for r in audit("call_reconciled")] == [(new.call_id, 1)]
    assert audit("call_placed") == []                             # one record per outcome


async def test_end_transfer_and_redial_are_each_audited_once_by_the_service(tui):
    app = fast(tui.app(screen="calls"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tracker_ready(pilot)
        screen = app.screen
        moved, _ = await place(app, "+14155550004", wait_until_answered=True)   # answered
        ended, _ = await place(app, "+14155550004")
        await wait_cell(pilot, screen, moved.call_id, "status", "answered")
        await select(pilot, screen, moved.call_id)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"tel:+14155550123", "enter")
        await wait_for(pilot, lambda: audit("call_transferred"), "the transfer")
        await wait_for(pilot, lambda: ended.call_id in screen.table, "the row")
        await select(pilot, screen, ended.call_id)
        await confirm(pilot, "e")
        await wait_for(pilot, lambda: audit("call_ended"), "the end")
        await confirm(pilot, "r")
        await wait_for(pilot, lambda: len(app.tracker) == 3, "the redialled call")
        await tui.idle(pilot)
    new = next(c for c in app.tracker.calls() if c.call_id not in (moved.call_id, ended.call_id))
    records = [(r["kind"], r["call_id"], r["face"], r["operator"]) for r in audit()]
    assert records == [("call_transferred", moved.call_id, "tui", "tester"),
                       ("call_ended", ended.call_id, "tui", "tester"),
                       ("call_placed", new.call_id, "tui", "tester")]
    assert audit("call_transferred")[0]["transfer_to"] == "tel:+14155550123"
    assert audit("call_placed")[0]["redial_of"] == ended.call_id
