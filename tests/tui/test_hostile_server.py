"""A hostile server against the TUI (the simulator's fault injection on 127.0.0.1): its control
characters never reach the screen (table, detail, timeline, modals, toasts, outcome panel,
reconcile dialog), a huge answer is an error instead of a frozen screen, and a long field is
clipped where it is shown.

The screen is read from `export_screenshot()`: it is built from the same segments the terminal
is sent, so a control character there would have reached the terminal.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from types import SimpleNamespace

from calls_helpers import (
    AGENT,
    calls_screen,
    cell,
    notes,
    place,
    status,
    tracker_ready,
    wait_cell,
)
from calls_helpers import wait_for as wait_until
from memory import peak_growth

from console.api import errors
from console.api.models import ErrorEntry
from console.calls.dispositions import explain
from console.sim.faults import ESCAPES
from console.tracker import PollPolicy
from console.tui.call import outcome_text
from console.tui.calls.call_detail import fields_text, request_text, timeline_text
from console.tui.calls.status_style import status_text
from console.tui.dialogs.reconcile import call_line

SIZE = (120, 40)
FAST = PollPolicy().scaled(0.25)
#: The visible form of the simulator's escape payload.
SHOWN = "\\x1b[2J\\x1b[31m\\x1b]0;pwned\\x07\\x9b31m\\r\\x08\\u202eevil"
#: Growth of the test process's peak memory allowed while the TUI refuses a 50 MB answer.
RSS_BOUND_MB = 150


def controls(text: str) -> list[str]:
    """What a terminal may obey, line feeds aside: C0/C1 controls, DEL, format characters
    (bidi overrides...), line separators, surrogates."""
    return [c for c in text if c != "\n" and unicodedata.category(c) in
            ("Cc", "Cf", "Cs", "Zl", "Zp")]


def screen_controls(app) -> list[str]:
    return controls(app.export_screenshot())


def pane_text(screen, pane: str) -> str:
    """The whole text of a detail pane column (`fields`, `timeline`, `request`), scrolled or
    not."""
    return str(screen.detail.query_one(f"#detail-{pane}-text").render())


async def show_detail(pilot, screen, call_id: str) -> None:
    table = screen.table
    table.move_cursor(row=table.get_row_index(call_id))
    table.focus()
    await pilot.pause()
    if not screen.detail_shown:
        await pilot.press("d")
    await wait_until(pilot, lambda: screen.detail.call_id == call_id, "the detail pane")


# -- terminal escapes -----------------------------------------------------------------------------

async def test_server_escapes_never_reach_the_calls_screen(tui):
    app = tui.app()
    app.live.policy = FAST
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        placed, _ = await place(app, "+14155550004")  # a long call: it stays answered
        tui.arm({"route": "*", "kind": "escape_strings"})
        screen = await calls_screen(pilot)
        await wait_cell(pilot, screen, placed.call_id, "status", "\\x1b[2J")
        assert cell(screen, placed.call_id, "status").startswith("? answered\\x1b[2J")
        await show_detail(pilot, screen, placed.call_id)
        await wait_until(pilot, lambda: "pwned" in tui.screen_text(app), "the detail pane")
        shown = tui.screen_text(app)
        assert "to_number" in shown and "Timeline (observed)" in shown
        assert screen_controls(app) == []
        # the end confirmation quotes the status; the toast quotes the server's answer
        await pilot.press("e")
        await wait_until(pilot, lambda: "Hang up the call" in tui.screen_text(app), "the modal")
        assert screen_controls(app) == []
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: any("End requested" in n for n in notes(app)),
                         "the end toast")
        await pilot.pause()
        toast = next(n for n in notes(app) if "End requested" in n)
        assert f"ended{SHOWN}" in toast and controls(toast) == []
        assert screen_controls(app) == []
        # stored as received
        stored = app.call_store.get(placed.call_id)
        assert stored is not None and stored.status.endswith(ESCAPES)


async def test_a_call_placed_on_a_hostile_server_shows_its_answer_safely(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        tui.arm({"route": "POST /calls/outbound", "kind": "escape_strings", "count": 1})
        await tui.paste(pilot, "agent_id", AGENT.agent_id)
        await tui.paste(pilot, "to_number", "+14155550004")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.tracked_calls, "the call to be placed")
        await wait_until(pilot, lambda: "Call placed" in tui.screen_text(app), "the outcome")
        shown = tui.screen_text(app)
        assert f"status initiated{SHOWN}" in shown
        assert screen_controls(app) == []


def test_every_builder_of_server_text_makes_it_visible():
    """The text builders of the table, detail, timeline, outcome panel, reconcile dialog and
    explanations, fed a status whose every string carries escapes."""
    evil = ESCAPES
    last = status("c1\x1b[2J", "answered" + evil, to="+1415\x1b]0;x\x07",
                  disposition="busy" + evil, recording_url="https://r\x9b31m",
                  ended_at="2026-11-25T17:00:00Z", x_note="note" + evil,
                  x_nested={"k\u202e": ["v" + evil]})
    tracked = SimpleNamespace(
        call_id=last.call_id, agent_id=last.agent_id, to_number=last.to_number,
        from_number=last.from_number, status=last.status, disposition=last.disposition,
        last=last, request={"agent_id": AGENT.agent_id, "context": {"note": evil}},
        source="watched", placed_by=None, done=False, last_ok_wall=None,
        last_error="GET failed" + evil, flags=set(), live=True, version=1, via="reconcile",
        campaign="spring" + evil,
        status_changes=[(datetime(2026, 11, 25, 17, tzinfo=UTC), last.status)])
    entry = ErrorEntry(loc=["body", "to_number"], msg="bad" + evil)
    window = errors.AttemptWindow(agent_id="a", to_number="+1" + evil, from_number=None,
                                  sent_at=datetime.now(UTC), gave_up_at=datetime.now(UTC))
    texts = {
        "status": status_text(last.status).plain,
        "fields": fields_text(tracked).plain,
        "timeline": timeline_text(tracked).plain,
        "request": request_text(tracked).plain,
        "placed": outcome_text.placed(SimpleNamespace(
            call_id=last.call_id, status=last.status, to_number=last.to_number,
            from_number=None, room_name="room" + evil)).plain,
        "waiting": outcome_text.waiting(SimpleNamespace(ringing_timeout_seconds=80), 3.0,
                                        last.status, last.call_id).plain,
        "422": outcome_text.validation_failed(errors.ValidationFailed([entry]), {},
                                              ["unplaced" + evil]).plain,
        "api error": outcome_text.api_error(errors.ServerError("500: boom" + evil)).plain,
        "unknown": outcome_text.unknown("cause" + evil).plain,
        "none found": outcome_text.reconcile_none(window).plain,
        "reconciled": outcome_text.reconcile_found(last).plain,
        "tracked": outcome_text.tracked_line(tracked).plain,
        "reconcile dialog": call_line(last).plain,
        "explanation": explain("failed", "odd" + evil).title + explain("failed", "odd" + evil)
        .meaning,
    }
    for name, text in texts.items():
        assert controls(text) == [], name
    assert SHOWN in texts["fields"] and "\\u202e" in texts["request"]
    assert "spring" in texts["fields"]


# -- huge answers ---------------------------------------------------------------------------------

async def test_a_50_mb_answer_is_an_error_in_the_detail_not_a_frozen_screen(tui):
    app = tui.app()
    app.live.policy = FAST
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        placed, _ = await place(app, "+14155550004")
        screen = await calls_screen(pilot)
        await wait_cell(pilot, screen, placed.call_id, "status", "answered")
        await show_detail(pilot, screen, placed.call_id)
        with peak_growth() as growth:
            tui.arm({"route": "GET /calls/{call_id}", "kind": "huge_body", "size": 50_000_000},
                    {"route": "GET /calls/agent/{agent_id}/calls", "kind": "huge_body",
                     "size": 50_000_000})
            await wait_until(pilot, lambda: "larger than 1 MiB" in pane_text(screen, "fields"),
                             "the error in the detail pane", timeout=30)
        assert re.search(r"last error +GET /calls/\S+: 200 answer larger than 1 MiB",
                         pane_text(screen, "fields"))
        assert screen.detail.call_id == placed.call_id
        assert growth["mb"] < RSS_BOUND_MB, growth
        stored = app.call_store.get(placed.call_id)
        assert stored is not None and len(stored.last_json or "") < 10_000


async def test_a_long_field_under_the_cap_is_clipped_where_it_is_shown(tui):
    app = tui.app()
    app.live.policy = FAST
    async with app.run_test(size=SIZE) as pilot:
        await tracker_ready(pilot)
        placed, _ = await place(app, "+14155550004")
        screen = await calls_screen(pilot)
        await wait_cell(pilot, screen, placed.call_id, "status", "answered")
        # 900 kB: under the client's 1 MiB cap, so the status is read with it
        tui.arm({"route": "GET /calls/{call_id}", "kind": "huge_body", "size": 900_000},
                {"route": "GET /calls/agent/{agent_id}/calls", "kind": "huge_body",
                 "size": 900_000})
        call = app.tracker.get(placed.call_id)
        await wait_until(pilot, lambda: call.last is not None
                         and "x_padding" in (call.last.model_extra or {}), "the long field")
        await show_detail(pilot, screen, placed.call_id)
        await wait_until(pilot, lambda: "x_padding" in pane_text(screen, "fields"),
                         "the field shown")
        fields, raw = pane_text(screen, "fields"), pane_text(screen, "request")
        assert re.search(r"x_padding +x{500}… \(\d+ more characters\)", fields)
        assert len(fields) < 10_000 and len(raw) < 30_000
        stored = app.call_store.get(placed.call_id)
        assert stored is not None and len(stored.last_json or "") < 10_000
