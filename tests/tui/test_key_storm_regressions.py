"""Key sequences that crashed or froze the console, kept as fixed cases (each found by an
operator or by the key storm; each failed before its fix).

Keys are sent the way a terminal delivers them (`storm.send_key`: no waiting between keys),
with the gaps given, then the app must be alive (see `storm.assert_alive`).
"""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from storm import StormReport, assert_alive, pace, send_key

WIDE = (120, 40)


async def type_fast(pilot, keys: list[tuple[str, float]]) -> None:
    for key, gap in keys:
        send_key(pilot.app, key)
        await pace(gap)
    await assert_alive(pilot, StormReport(seed=-1, keys=keys))


async def started(pilot, tui) -> None:
    app = pilot.app
    await tui.wait_for(pilot, lambda: app.session_ready, "session")
    await pilot.pause()


async def test_a_second_letter_in_jump_mode_does_not_pop_the_screen(tui):
    # ScreenStackError: Can't pop screen (the overlay was dismissed once per letter)
    app = tui.app()
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui)
        await tui.wait_for(pilot, lambda: app.screen.form_ready, "form")
        before = app.screen
        await pilot.press("ctrl+j")
        await type_fast(pilot, [("q", 0.0), ("w", 0.0), ("e", 0.0)])
        assert app.screen is before


async def test_enter_twice_in_the_command_palette_runs_one_command(tui):
    # ScreenStackError from the palette's second dismissal (a fast second Enter)
    app = tui.app(screen="calls")
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_fast(pilot, [*((c, 0.0) for c in "view: call"), ("enter", 0.0),
                                ("enter", 0.0)])
        assert app.current_mode == "call" and len(app.screen_stack) == 1


@pytest.mark.parametrize("keys", [
    [("ctrl+p", 0.0), ("f1", 0.0), ("ctrl+p", 0.0)],
    [("f1", 0.05), ("ctrl+p", 0.05), ("f1", 0.05), ("ctrl+p", 0.05)],
    [("ctrl+p", 0.0), ("f1", 0.0), ("f12", 0.0)],
], ids=["over-help", "over-help-slowly", "find-over-help"])
async def test_a_palette_over_a_dialog_over_a_palette(tui, keys):
    # DuplicateIds: Textual's palette checks only the top screen and reuses one fixed id
    app = tui.app()
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui)
        await type_fast(pilot, keys)
        assert sum(isinstance(s, CommandPalette) for s in app.screen_stack) <= 1


async def test_profile_tabs_switched_quickly(tui):
    # NoMatches 'ProfileList' on KindPart: the key bar asked a part that was still composing
    # (seen at gaps of about 50 ms; a few gaps around it make the window likely to be hit)
    app = tui.app(screen="profiles")
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui)
        gaps = (0.03, 0.05, 0.07, 0.15)
        await type_fast(pilot, [(key, gaps[i % len(gaps)]) for i, key in enumerate("2341" * 4)])


async def test_settings_as_the_first_screen_with_a_session(tui):
    # AttributeError '_themes_loaded': the screen mounted before the app's own Mount handler
    app = tui.app(screen="settings")
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui)
        await type_fast(pilot, [("tab", 0.05), ("down", 0.05)])
        assert "call-console-dark" in app.available_themes


#: storm seed 141 from the template picker at 80x24 (test_key_storm.py): on the Calls screen,
#: "f1 f1" popped the help while it was still composing (NoMatches '#help-scroll')
HELP_TWICE_WHILE_MOUNTING = [
    ("ctrl+f", 0.117), ("ctrl+p", 0.027), ("ctrl+j", 0.0), ("f2", 0.0), ("right", 0.036),
    ("z", 0.0), ("e", 0.0), ("shift+tab", 0.085), ("n", 0.0), ("o", 0.0), ("c", 0.0),
    ("shift+tab", 0.113), ("ctrl+g", 0.08), ("backspace", 0.0), ("r", 0.004), ("ctrl+j", 0.0),
    ("shift+tab", 0.0), ("enter", 0.0), ("0", 0.0), ("y", 0.0), ("p", 0.103), ("f4", 0.0),
    ("k", 0.091), ("f2", 0.006), ("f12", 0.0), ("ctrl+y", 0.027), ("8", 0.0), ("enter", 0.029),
    ("d", 0.0), ("escape", 0.0), ("u", 0.0), ("b", 0.0), ("o", 0.012), ("d", 0.0),
    ("left", 0.0), ("f3", 0.104), ("enter", 0.039), ("f1", 0.0), ("f1", 0.0), ("v", 0.0),
    ("u", 0.0), ("ctrl+g", 0.103), ("k", 0.0), ("ctrl+g", 0.0), ("b", 0.009), ("t", 0.11),
    ("2", 0.0), ("n", 0.0), ("escape", 0.0), ("d", 0.0)]


async def test_a_dialog_closed_by_its_own_key_while_it_mounts(tui, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = tui.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, tui)
        await pilot.press("ctrl+b")
        await type_fast(pilot, HELP_TWICE_WHILE_MOUNTING)
