"""Snapshots of the Calls screen, its detail pane and the transfer modal.

Deterministic: crafted `CallStatus` objects (fixed ids, numbers, times) handed to a tracker
that never polls, a `ManualClock` for durations and observed times, the local time zone set
to UTC, toasts cleared, no cursor blink. Baselines: `pytest --snapshot-update` in the pinned
test environment only.
"""

from __future__ import annotations

from datetime import timedelta

from calls_helpers import MIXED, REQUEST, cid, status, tracker_ready, wait_for

from console.tracker import ManualClock

WIDE = (120, 40)
SMALL = (80, 24)


def calls_app(tui):
    app = tui.app(screen="calls")
    app.live.polling = False
    app.live.clock = ManualClock(wall_start=tui.FIXED_NOW)
    return app


def add_lost_call(app, tui) -> None:
    """A call of this environment the API stopped knowing (stored lost), re-attached."""
    store = app.call_store
    store.record_status(status(cid(8), "answered", to="+14155550188",
                               started="2026-11-25T16:56:00Z"),
                        observed_at=tui.FIXED_NOW - timedelta(minutes=3), source="console",
                        environment=app.session.environment)
    store.mark_lost([cid(8)], at=tui.FIXED_NOW - timedelta(minutes=1))
    assert app.tracker.restore_from_store() == 1


def prepare(tui, *, select: str | None = None, keys: tuple = (), then=None,
            lost: bool = False):
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
        if lost:
            add_lost_call(app, tui)
        await tracker.stop()                                      # flush: one batch
        screen = app.screen
        rows = len(MIXED) + (1 if lost else 0)
        await wait_for(pilot, lambda: screen.table.row_count == rows, "the rows")
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


def test_calls_with_a_lost_call_selected(snap_compare, tui, utc):
    """`⊘ lost` in the table (sorted with the finished calls), counted apart in the summary,
    the not-found flag's sentence in the detail, Dismiss in the key bar."""
    assert snap_compare(calls_app(tui), terminal_size=WIDE,
                        run_before=prepare(tui, select=cid(8), lost=True))


def test_transfer_modal(snap_compare, tui, utc):
    async def type_target(pilot) -> None:
        await pilot.press(*"tel:+14155550123")

    assert snap_compare(calls_app(tui), terminal_size=WIDE,
                        run_before=prepare(tui, select=cid(3), keys=("t",), then=type_target))


def test_calls_at_220_columns_use_the_width(snap_compare, tui, utc):
    """Wide: every default column, the agent name and dispositions whole, flags take the rest."""
    assert snap_compare(calls_app(tui), terminal_size=(220, 40), run_before=prepare(tui))


def test_column_chooser_80x24(snap_compare, tui, utc):
    assert snap_compare(calls_app(tui), terminal_size=SMALL,
                        run_before=prepare(tui, keys=("v", "down", "down", "space")))
