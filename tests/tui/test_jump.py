"""Jump mode: a letter on every focusable area; the letter moves the focus there."""

from __future__ import annotations

from console.tui.keys.jump import JumpOverlay

from look_helpers import started

WIDE = (120, 40)


async def test_jump_focuses_the_chosen_widget(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        before = app.focused
        await pilot.press("ctrl+j")
        await pilot.pause()
        overlay = app.screen
        assert isinstance(overlay, JumpOverlay) and len(overlay.targets) >= 8
        letters = [t.letter for t in overlay.targets]
        assert len(set(letters)) == len(letters)
        dtmf = app.screen_stack[-2].field("dtmf")
        target = next(t for t in overlay.targets if dtmf in t.widget.ancestors_with_self)
        assert overlay.query_one(f"#jump-{target.letter}")
        await pilot.press(target.letter)
        await pilot.pause()
        assert not isinstance(app.screen, JumpOverlay)
        assert app.focused is target.widget and app.focused is not before


async def test_jump_escape_keeps_the_focus(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        before = app.focused
        await pilot.press("ctrl+j")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, JumpOverlay) and app.focused is before


def test_snapshot_jump_overlay(snap_compare, tui):
    async def run_before(pilot) -> None:
        await tui.ready(pilot)
        await started(pilot, tui)
        await tui.idle(pilot)
        pilot.app.clear_notifications()
        tui.no_blink(pilot.app)
        await pilot.press("ctrl+j")
        await pilot.pause()

    assert snap_compare(tui.app(), terminal_size=WIDE, run_before=run_before)
