"""Themes: the shipped files, validation with file and line, --theme, the config's choice,
built-in Textual themes without our variables, live preview and saving, NO_COLOR."""

from __future__ import annotations

import pytest

from console.tui.look.themes import (
    THEME_VARIABLE_DEFAULTS, load_themes, parse_theme_text, shipped_theme_names,
    shipped_themes_dir)

from look_helpers import config_file, started, toasts, user_theme

SHIPPED = ["ansi-256", "call-console-dark", "call-console-light", "high-contrast"]
WIDE = (120, 40)


def test_shipped_themes_are_valid_and_complete():
    found = load_themes([shipped_themes_dir()])
    assert found.problems == [] and found.names == SHIPPED == shipped_theme_names()
    for theme in found.themes.values():
        # every status colour of ours is set by each shipped theme (none rely on defaults)
        assert {k for k in THEME_VARIABLE_DEFAULTS if k.startswith("status-")} <= set(
            theme.variables)


def test_ansi_256_uses_only_palette_colours():
    levels = (0x00, 0x5F, 0x87, 0xAF, 0xD7, 0xFF)
    palette = {f"#{r:02x}{g:02x}{b:02x}" for r in levels for g in levels for b in levels}
    palette |= {f"#{v:02x}{v:02x}{v:02x}" for v in range(8, 239, 10)}
    theme = load_themes([shipped_themes_dir()]).themes["ansi-256"]
    colours = [theme.primary, theme.secondary, theme.accent, theme.foreground, theme.background,
               theme.surface, theme.panel, theme.success, theme.warning, theme.error,
               *theme.variables.values()]
    assert [c for c in colours if c.lower() not in palette] == []


BAD = """name = "broken"
dark = true
primary = "#112233"
accent = "#12345"
status-answred = "#00ff00"
warning = 7
"""


def test_bad_theme_names_file_line_and_key(tmp_path):
    path = tmp_path / "broken.toml"
    theme, problems = parse_theme_text(BAD, path)
    assert theme is None
    text = [str(p) for p in problems]
    assert any(t.startswith(f"{path}:4: accent:") and "not a colour" in t for t in text)
    assert any(t.startswith(f"{path}:5: status-answred:") and "unknown key" in t
               and "status-answered" in t for t in text)
    assert any(t.startswith(f"{path}:6: warning:") for t in text)


def test_theme_syntax_error_and_missing_keys(tmp_path):
    path = tmp_path / "x.toml"
    _, problems = parse_theme_text('name = "x"\nprimary = "#000000"\n[oops\n', path)
    assert problems[0].line == 3 and "not valid TOML" in problems[0].message
    _, problems = parse_theme_text('primary = "#000000"\n', path)
    assert {p.key for p in problems} == {"name", "dark"}


async def test_broken_theme_is_reported_and_the_app_starts(tui_offline):
    bad = user_theme("broken.toml", BAD)
    user_theme("mine.toml", 'name = "mine"\ndark = false\nprimary = "#aa5500"\n')
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert any(str(p).startswith(f"{bad}:4: accent") for p in app.theme_problems)
        assert any(f"{bad}:4" in t for t in toasts(app))
        assert "mine" in app.available_themes and "broken" not in app.available_themes
        assert set(SHIPPED) <= set(app.available_themes)
        assert app.theme_sources["mine"].name == "mine.toml"


@pytest.mark.parametrize("name", ["textual-dark", "textual-light", "nord", "gruvbox"])
async def test_builtin_textual_themes_get_our_variables(tui_offline, name):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        app.theme = name
        await pilot.pause()
        for key, value in THEME_VARIABLE_DEFAULTS.items():
            assert app.theme_variables[key] == value
        await pilot.press("f1")          # a screen that uses $help-key
        await pilot.pause()
        assert "Help" in app.export_screenshot()


async def test_theme_flag_wins_and_is_there_for_the_first_frame(tui_offline):
    config_file('theme = "call-console-light"\n')
    app = tui_offline.app(connected=False, theme="high-contrast")
    async with app.run_test(size=WIDE) as pilot:
        assert app.theme == "high-contrast"
        await started(pilot, tui_offline)
        assert app.theme == "high-contrast" and app.theme_problems == []


async def test_config_theme_and_unknown_names(tui_offline):
    path = config_file('# ops\ntheme = "no-such-theme"\n')
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert app.theme == "textual-dark"
        assert [str(p).split(" no theme")[0] for p in app.theme_problems] == [f"{path}:2: theme:"]
    config_file('theme = "call-console-light"\n')
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert app.theme == "call-console-light"
    app = tui_offline.app(connected=False, theme="nope")
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert app.theme == "call-console-light"   # the config's choice stays
        assert any("--theme" in str(p) and "'nope'" in str(p) for p in app.theme_problems)


async def test_palette_theme_preview_escape_and_choice_saved(tui_offline):
    path = config_file('# my console\ndefault_region = "GB"  # London desk\n')
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        app.search_themes()
        await pilot.pause()
        await pilot.press(*"high-con")
        await tui_offline.wait_for(pilot, lambda: app.theme == "high-contrast", "preview")
        await pilot.press("escape")
        await pilot.pause()
        assert app.theme == "textual-dark"           # escape: back to what it was
        assert "theme" not in path.read_text()
        app.search_themes()
        await pilot.pause()
        await pilot.press(*"ansi-2")
        await tui_offline.wait_for(pilot, lambda: app.theme == "ansi-256", "preview")
        await pilot.press("enter")
        await tui_offline.wait_for(pilot, lambda: 'theme = "ansi-256"' in path.read_text(),
                                   "saved")
        assert app.theme == "ansi-256"
    text = path.read_text()
    assert "# my console" in text and "# London desk" in text


async def test_theme_commands_in_the_palette(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"theme: call-console-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await tui_offline.wait_for(pilot, lambda: app.theme == "call-console-light", "theme")


async def test_no_color_is_honoured(tui_offline, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = tui_offline.app(connected=False, theme="call-console-dark")
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert app.no_color
        assert "Agent" in tui_offline.screen_text(app)


@pytest.mark.parametrize("name", SHIPPED)
def test_snapshot_each_shipped_theme(snap_compare, tui, name):
    async def run_before(pilot) -> None:
        await tui.ready(pilot)
        screen = pilot.app.screen
        values = {"to_number": "+1415555", "dtmf": "12A#", "priority": "high"}
        screen.set_values(values, checked=True)
        await pilot.pause()
        await tui.idle(pilot)
        pilot.app.clear_notifications()
        tui.no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(tui.app(theme=name), terminal_size=WIDE, run_before=run_before)
