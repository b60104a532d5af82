"""Snapshots of the Call screen and its modals (pytest-textual-snapshot).

Deterministic by construction: a fixed clock for the callee's local time, the fixed base URL
`http://sim.test:8000` (requests are routed to the simulator's ephemeral port), a fixed
operator, no cursor blink, toasts cleared before the picture. Baselines: `pytest --snapshot-update`
in the pinned test environment only.
"""

from __future__ import annotations

import httpx

from console.api.models import CallStatus

WIDE = (120, 40)
SMALL = (80, 24)

BAD_VALUES = {
    "to_number": "+1415555",
    "dtmf": "12A#",
    "context": "[1, 2]",
    "ringing_timeout_seconds": "0",
    "max_call_duration_seconds": "90000",
    "display_name": "x" * 130,
    "custom_headers": [("Via", "proxy"), ("X-Case", "1"), ("x-case", "2")],
}


def prepare(tui, *, probed: bool = True, values: dict | None = None, keys: tuple = (),
            then=None):
    """A run_before: wait until ready, set values, press keys, run `then`, settle."""

    async def run_before(pilot) -> None:
        await tui.ready(pilot, probed=probed)
        screen = pilot.app.screen
        if values:
            screen.set_values(values, checked=True)
            await pilot.pause()
        if keys:
            await pilot.press(*keys)
        if then is not None:
            await then(pilot)
        await tui.idle(pilot)
        pilot.app.clear_notifications()
        tui.no_blink(pilot.app)
        await pilot.pause()

    return run_before


def test_empty_form(snap_compare, tui):
    assert snap_compare(tui.app(), terminal_size=WIDE, run_before=prepare(tui))


def test_empty_form_80x24(snap_compare, tui):
    assert snap_compare(tui.app(), terminal_size=SMALL, run_before=prepare(tui))


def test_not_connected(snap_compare, tui_offline):
    assert snap_compare(tui_offline.app(connected=False), terminal_size=WIDE,
                        run_before=prepare(tui_offline, probed=False))


def test_filled_form(snap_compare, tui):
    values = {"agent_id": tui.AGENT.agent_id, "to_number": "+14155550000"}
    assert snap_compare(tui.app(), terminal_size=WIDE, run_before=prepare(tui, values=values))


def test_client_side_errors(snap_compare, tui):
    values = {"agent_id": tui.AGENT.agent_id, **BAD_VALUES}
    assert snap_compare(tui.app(), terminal_size=WIDE, run_before=prepare(tui, values=values))


def test_error_form_80x24(snap_compare, tui):
    values = {"agent_id": "not-a-uuid", "to_number": "+1415555", "dtmf": "12A#"}
    assert snap_compare(tui.app(), terminal_size=SMALL, run_before=prepare(tui, values=values))


def test_server_422_under_from(snap_compare, tui):
    values = {"agent_id": tui.AGENT.agent_id, "to_number": "+14155550000",
              "from_number": "+14155559999", "priority": "high"}
    assert snap_compare(tui.app(), terminal_size=WIDE,
                        run_before=prepare(tui, values=values, keys=("ctrl+s",)))


def test_preview_of_a_full_request(snap_compare, tui):
    values = {"agent_id": tui.AGENT.agent_id, "to_number": "+14155550000",
              "from_number": tui.AGENT.caller_ids[1], "display_name": "Dental Group",
              "dtmf": "1ww2#", "context": '{"patient": "Ada", "slot": "Tue 10:00"}',
              "priority": "urgent", "media_encryption": "REQUIRE",
              "ringing_timeout_seconds": "30", "max_call_duration_seconds": "900",
              "krisp_enabled": False, "play_dialtone": True,
              "custom_headers": [("X-Case", "42")]}
    assert snap_compare(tui.app(), terminal_size=WIDE, run_before=prepare(tui, values=values))


def _lost_answer(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                    request=request)


def test_outcome_unknown(snap_compare, tui):
    values = {"agent_id": tui.AGENT.agent_id, "to_number": "+14155550000"}
    app = tui.app(handler=tui.mock_handler(_lost_answer))
    assert snap_compare(app, terminal_size=WIDE,
                        run_before=prepare(tui, values=values, keys=("ctrl+s",)))


def test_confirm_modal_when_sending_after_an_unknown_outcome(snap_compare, tui):
    values = {"agent_id": tui.AGENT.agent_id, "to_number": "+14155550000"}
    app = tui.app(handler=tui.mock_handler(_lost_answer))

    async def send_twice(pilot) -> None:
        await tui.idle(pilot)
        await pilot.press("ctrl+s")

    assert snap_compare(app, terminal_size=WIDE,
                        run_before=prepare(tui, values=values, keys=("ctrl+s",),
                                           then=send_twice))


def test_reconcile_modal_lists_the_candidates(snap_compare, tui):
    from console.tui.dialogs.reconcile import ReconcileScreen

    calls = [CallStatus(call_id=f"0c0ffee0-0000-4000-8000-00000000000{i}",
                        agent_id=tui.AGENT.agent_id, to_number="+14155550000",
                        from_number="+14155551000", status=status,
                        started_at=f"2026-11-25T17:00:0{i}+00:00")
             for i, status in ((1, "ringing"), (2, "answered"))]

    async def open_modal(pilot) -> None:
        pilot.app.push_screen(ReconcileScreen(calls))
        await pilot.pause()

    assert snap_compare(tui.app(), terminal_size=WIDE,
                        run_before=prepare(tui, then=open_modal))
