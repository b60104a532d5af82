"""[keymap] in config.toml: remapped keys work and show in the footer and the help; unknown ids
and conflicts are reported with file and line and the app starts anyway."""

from __future__ import annotations

from console.tui.app import CallConsoleApp
from console.tui.keys.keymap import binding_contexts, find_conflicts, read_keymap
from console.tui.textual_compat import current_keymap
from console.tui.dialogs.help import HelpScreen

from look_helpers import config_file, started, toasts

WIDE = (120, 40)


def test_read_keymap_forms_and_bad_values():
    path = config_file('theme = "x"\n\n[keymap]\n"call.send" = "ctrl+y"\ncall.reset = "f4, f10"\n'
                       '"app.jump" = ["ctrl+j", "f11"]\n"call.preview" = 3\n')
    keymap = read_keymap(path)
    assert keymap.mapping == {"call.send": "ctrl+y", "call.reset": "f4,f10",
                              "app.jump": "ctrl+j,f11"}
    assert keymap.lines == {"call.send": 4, "call.reset": 5, "app.jump": 6, "call.preview": 7}
    assert [str(p) for p in keymap.problems] == [
        f"{path}:7: keymap.call.preview: must be a key such as \"ctrl+y\", several as "
        "\"ctrl+y,f4\" or a list"]


def test_default_keys_have_no_conflicts():
    assert find_conflicts(binding_contexts(CallConsoleApp), {}) == []


async def test_remapped_keys_work_and_show_in_footer_and_help(tui_offline):
    config_file('[keymap]\n"call.preview" = "f13"\n"app.help" = "f14"\n')
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert app.keymap_problems == []
        text = tui_offline.screen_text(app)
        assert "f13" in text and "Preview" in text and "f6 Preview" not in text
        await pilot.press("f14")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listing = app.screen.rendered_text()
        assert "f13 * Preview call.preview" in listing
        assert "f14 * Help app.help" in listing
        await pilot.press("f1")          # the old key does nothing now (the help stays)
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_conflicting_keymap_is_reported_with_file_and_line(tui_offline):
    path = config_file('# keys\n[keymap]\n"call.send" = "ctrl+r"\n"nope.thing" = "f4"\n')
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        problems = [str(p) for p in app.keymap_problems]
        assert any(p.startswith(f"{path}:3: keymap.call.send: ctrl+r is also bound to "
                                "call.reset") for p in problems), problems
        assert any(p.startswith(f"{path}:4: keymap.nope.thing: no binding has this id")
                   for p in problems), problems
        assert any(f"{path}:3" in t for t in toasts(app))
        assert app.is_running and app.screen.field("to_number")


async def test_make_app_keymap_overrides_config(tui_offline):
    config_file('[keymap]\n"call.preview" = "f4"\n')
    app = tui_offline.app(connected=False, keymap={"call.preview": "f13"})
    async with app.run_test(size=WIDE) as pilot:
        await started(pilot, tui_offline)
        assert current_keymap(app)["call.preview"] == "f13"
