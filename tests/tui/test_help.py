"""F1: help for the focused field (its help, rules, keys), the generated key reference, the
palette; snapshots of the help screen and the open palette."""

from __future__ import annotations

import pytest

from console.tui.keys.help import key_reference
from console.tui.keys.keymap import binding_contexts
from console.tui.dialogs.help import HelpScreen
from console.tui.fields.frame import FieldFrame

from look_helpers import started

WIDE = (120, 40)
SMALL = (80, 24)


async def test_f1_on_every_field_shows_its_help(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        frames = list(app.screen.query(FieldFrame))
        assert len(frames) >= 10
        for frame in frames:
            frame.focus_input()
            await pilot.pause()
            await pilot.press("f1")
            await pilot.pause()
            help_screen = app.screen
            assert isinstance(help_screen, HelpScreen), frame
            assert help_screen.focus_help.text == frame.help and frame.help
            assert help_screen.focus_help.title == frame.label
            assert f"Request field: {frame.field_name}" in help_screen.focus_help.rules
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)


async def test_help_shows_current_problems_and_the_fields_keys(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        await tui_offline.type(pilot, "dtmf", "12Z")
        await pilot.press("f1")
        await pilot.pause()
        rules = app.screen.focus_help.rules
        assert any(rule.startswith("Now: ✗") for rule in rules), rules
        await pilot.press("f1")                 # f1 again closes it
        await pilot.pause()
        app.screen.field("custom_headers").focus_input()
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        ids = {row.id for row in app.screen.focus_help.keys}
        assert "call.headers.add" in ids  # (remove shows once a row exists)


async def test_key_reference_is_generated_from_every_binding(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        expected = {b.id for c in binding_contexts(app) for b in c.bindings if b.id}
        listed = {row.id for section in key_reference(app) for row in section.rows}
        assert expected <= listed
        titles = [section.title for section in key_reference(app)]
        assert titles[0] == "Everywhere" and "Call screen" in titles
        await pilot.press("ctrl+p")
        await pilot.press(*"Key reference")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await tui_offline.wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "keys")
        assert app.screen.keys_only and "call.send" in app.screen.rendered_text()


def _settled(tui, *, keys=(), focus: str | None = None):
    async def run_before(pilot) -> None:
        await tui.ready(pilot)
        await started(pilot, tui)
        if focus:
            pilot.app.screen.field(focus).focus_input()
            await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause(0.3)
        await tui.idle(pilot)
        pilot.app.clear_notifications()
        tui.no_blink(pilot.app)
        await pilot.pause()

    return run_before


@pytest.fixture
def relative_dirs(tmp_path, monkeypatch):
    """Help names the config file (home as ~): keep the temp dir's random name out of the
    pictures."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CALL_CONSOLE_CONFIG_DIR", "config")
    monkeypatch.setenv("CALL_CONSOLE_DATA_DIR", "data")


def test_snapshot_help_on_a_field(snap_compare, tui, relative_dirs):
    assert snap_compare(tui.app(), terminal_size=WIDE,
                        run_before=_settled(tui, focus="to_number", keys=("f1",)))


def test_snapshot_help_80x24(snap_compare, tui, relative_dirs):
    assert snap_compare(tui.app(), terminal_size=SMALL,
                        run_before=_settled(tui, focus="dtmf", keys=("f1",)))


def test_snapshot_palette_open(snap_compare, tui):
    # `view:` rather than `theme:`: a highlighted theme command previews its theme live, and
    # whether that preview has painted yet would be a race in the picture.
    assert snap_compare(tui.app(), terminal_size=WIDE,
                        run_before=_settled(tui, keys=("ctrl+p", *"view:")))
