"""Snapshots of the Calls screen, its detail pane and the transfer modal.

Deterministic: crafted `CallStatus` objects (fixed ids, numbers, times) handed to a tracker
that never polls, a `ManualClock` for durations and observed times, the local time zone set
to UTC, toasts cleared, no cursor blink. Baselines: `pytest --snapshot-update` in the pinned
test environment only.
"""

from __future__ import annotations

from calls_helpers import MIXED, REQUEST, cid, tracker_ready, wait_for

from console.tracker import ManualClock

WIDE = (120, 40)
SMALL = (80, 24)


def calls_app(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    app.live.clock = ManualClock(wall_start=tui.FIXED_NOW)
    return app


def prepare(tui, *, select: str | None = None, keys: tuple = (), then=None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await tracker_ready(pilot)
        tracker, clock = app.tracker, app.live.clock
        for number, call in enumerate(MIXED):
            tracker.track_status(call, source="console" if number == 3 else "watched",
                                 request=REQUEST if number == 3 else None,
                                 placed_by="tester" if number == 3 else None)
        clock.advance(75)                                         # answered 1:15 ago
        tracker.get(cid(2)).flags.add("ringing-overdue")
        tracker.get(cid(6)).flags.add("stale")
        tracker.get(cid(1)).flags.add("outcome-unknown")
        await tracker.stop()                                      # flush: one batch
        screen = app.screen
        await wait_for(pilot, lambda: screen.table.row_count == len(MIXED), "the rows")
        if select is not None:
            table = screen.table
            table.move_cursor(row=table.get_row_index(select))
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        if then is not None:
            await then(pilot)
        await tui.idle(pilot)
        app.clear_notifications()
        tui.no_blink(app)
        await pilot.pause()

    return run_before


def test_calls_mixed_statuses(snap_compare, tui, utc):
    assert snap_compare(calls_app(tui), terminal_size=WIDE, run_before=prepare(tui))


def test_calls_mixed_statuses_80x24(snap_compare, tui, utc):
    assert snap_compare(calls_app(tui), terminal_size=SMALL, run_before=prepare(tui))


def test_calls_detail_of_an_ended_call(snap_compare, tui, utc):
    assert snap_compare(calls_app(tui), terminal_size=WIDE,
                        run_before=prepare(tui, select=cid(4)))


def test_calls_detail_of_a_failed_call(snap_compare, tui, utc):
    assert snap_compare(calls_app(tui), terminal_size=WIDE,
                        run_before=prepare(tui, select=cid(5)))


def test_calls_detail_at_80x24(snap_compare, tui, utc):
    assert snap_compare(calls_app(tui), terminal_size=SMALL,
                        run_before=prepare(tui, select=cid(7), keys=("d",)))


def test_transfer_modal(snap_compare, tui, utc):
    async def type_target(pilot) -> None:
        await pilot.press(*"tel:+14155550123")

    assert snap_compare(calls_app(tui), terminal_size=WIDE,
                        run_before=prepare(tui, select=cid(3), keys=("t",), then=type_target))
