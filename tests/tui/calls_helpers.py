"""Helpers for the Calls screen tests: crafted call statuses, waiting on the table, placing
calls on the simulator through the app's own client."""

from __future__ import annotations

from typing import Any

from console.api.models import CallStatus, OutboundCallRequest
from console.sim.state import DEMO_AGENTS, DEMO_TENANT_ID
from waiting import wait_for  # noqa: F401  (re-exported: one helper for every test)

AGENT = DEMO_AGENTS[0]
OTHER_AGENT = DEMO_AGENTS[1]


def status(call_id: str, state: str, *, to: str = "+14155550000", agent: str = AGENT.agent_id,
           started: str = "2026-11-25T16:58:00Z", **extra: Any) -> CallStatus:
    """A CallStatus as the API would send it (fixed ids and times, for snapshots)."""
    return CallStatus(call_id=call_id, agent_id=agent, tenant_id=DEMO_TENANT_ID,
                      direction="outbound", from_number="+14155551000", to_number=to,
                      status=state, started_at=started, **extra)


def cid(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


#: A mixed set of calls for snapshots: (status, extra fields) in arrival order.
MIXED: list[CallStatus] = [
    status(cid(1), "initiated", to="+14155550101", started="2026-11-25T16:59:58Z"),
    status(cid(2), "ringing", to="+442079460958", started="2026-11-25T16:59:40Z"),
    status(cid(3), "answered", to="+14155550004", started="2026-11-25T16:58:30Z"),
    status(cid(4), "ended", to="+14155550000", started="2026-11-25T16:55:00Z",
           disposition="completed", duration_seconds=20, ended_at="2026-11-25T16:55:24Z",
           recording_url=f"https://recordings.sim.invalid/{DEMO_TENANT_ID}/{cid(4)}.ogg",
           sentiment_score=0.62, language_detected="en", session_id="sess-4",
           room_name="call-00000004"),
    status(cid(5), "failed", to="+14155550001", started="2026-11-25T16:54:00Z",
           disposition="busy", duration_seconds=0, ended_at="2026-11-25T16:54:04Z",
           agent=OTHER_AGENT.agent_id),
    status(cid(6), "transferring", to="+14155550123", started="2026-11-25T16:57:00Z"),
    status(cid(7), "failed", to="+33142685300", started="2026-11-25T16:50:00Z",
           disposition="carrier-error", duration_seconds=0, ended_at="2026-11-25T16:50:01Z"),
]
REQUEST = OutboundCallRequest(agent_id=AGENT.agent_id, to_number="+14155550000",
                              priority="high", dtmf="12#", context={"case": 42},
                              custom_headers={"X-Case": "42"})




async def tracker_ready(pilot) -> None:
    """The session and the tracker exist, and (when connected) the agent probe answered."""
    app = pilot.app
    await wait_for(pilot, lambda: app.session_ready and app.tracker is not None, "the tracker")
    if app.session.connected:
        await wait_for(pilot, lambda: app.health in ("ok", "error", "warn"), "the probe")
    await pilot.pause()


async def mixed_calls_shown(pilot) -> Any:
    """The Calls screen (polling off) showing the MIXED calls; returns its table."""
    app = pilot.app
    await tracker_ready(pilot)
    for call in MIXED:
        app.tracker.track_status(call)
    await app.tracker.stop()
    table = app.screen.table
    await wait_for(pilot, lambda: table.row_count == len(MIXED), "the rows")
    return table


async def calls_screen(pilot) -> Any:
    """Show the Calls screen and return it once it is mounted."""
    app = pilot.app
    app.action_show_screen("calls")
    await wait_for(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "calls"
                   and app.screen.is_mounted, "the Calls screen")
    await pilot.pause()
    return app.screen


def cell(screen, call_id: str, column: str) -> str:
    table = screen.table
    return table.cell_plain(call_id, column) if call_id in table else ""


async def wait_cell(pilot, screen, call_id: str, column: str, text: str,
                    timeout: float = 15.0) -> None:
    await wait_for(pilot, lambda: text in cell(screen, call_id, column),
                   f"{column} of {call_id} to show {text!r} (shows "
                   f"{cell(screen, call_id, column)!r})", timeout)


async def place(app, to: str, **fields: Any):
    """Place a call through the app's client and hand it to tracking, like Send does."""
    request = OutboundCallRequest(agent_id=AGENT.agent_id, to_number=to, **fields)
    placed = await app.session.client.place_call(request)
    app.track_call(placed, request)
    return placed, request


async def select(pilot, screen, call_id: str) -> None:
    table = screen.table
    table.move_cursor(row=table.get_row_index(call_id))
    table.focus()
    await pilot.pause()
    assert table.selected_id == call_id
    if screen.detail_shown:  # the pane follows the cursor a moment later
        await wait_for(pilot, lambda: screen.detail.call_id == call_id, "the detail pane")


def notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app.notices]
