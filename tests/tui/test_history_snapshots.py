"""Snapshots of the History screen: the calls tab (paged table, range, filter line, detail
pane) and the audit tab, at 120x40 and 80x24.

Deterministic: calls with fixed ids, numbers and times written to the store before the app
starts, audit lines with fixed times, the app's clock at FIXED_NOW, the local time zone UTC,
toasts cleared, no cursor blink. Baselines: `pytest --snapshot-update` in the pinned env only.
"""

from __future__ import annotations

from history_helpers import history_ready, seed, seed_audit
from waiting import wait_for

WIDE = (120, 40)
SMALL = (80, 24)


def prepare(tui, *, audit_tab: bool = False, keys: tuple = ()):
    async def run_before(pilot) -> None:
        app = pilot.app
        await history_ready(pilot)
        screen = app.screen
        calls = screen.calls
        await wait_for(pilot, lambda: (calls.detail.call_id is not None if calls.detail_wanted
                                       else calls.detail is None)
                       and calls.table.has_focus, "the detail pane and the focus")
        if audit_tab:
            app.animation_level = "none"  # the tab underline would be caught mid-slide
            await pilot.press("a")
            await wait_for(pilot, lambda: screen.audit_view is not None
                           and screen.audit_view.loads >= 1
                           and screen.audit_view.query_one("#audit-table").has_focus,
                           "the audit records")
        if keys:
            await pilot.press(*keys)
        await tui.idle(pilot)
        app.clear_notifications()
        tui.no_blink(app)
        await pilot.pause()

    return run_before


def history_app(tui):
    seed(40)
    seed_audit()
    return tui.app(screen="history")


def test_history_calls(snap_compare, tui, utc):
    """The detail pane is hidden (`d`): its third column's JSON colours were caught in two
    states once under load; the pane is the Calls screen's (its snapshots show it) and
    test_the_detail_pane_shows_the_selected_stored_call checks what it shows here."""
    assert snap_compare(history_app(tui), terminal_size=WIDE, run_before=prepare(tui, keys=("d",)))


def test_history_calls_80x24(snap_compare, tui, utc):
    assert snap_compare(history_app(tui), terminal_size=SMALL, run_before=prepare(tui))


def test_history_audit(snap_compare, tui, utc):
    assert snap_compare(history_app(tui), terminal_size=WIDE,
                        run_before=prepare(tui, audit_tab=True))


def test_history_audit_80x24(snap_compare, tui, utc):
    assert snap_compare(history_app(tui), terminal_size=SMALL,
                        run_before=prepare(tui, audit_tab=True))
