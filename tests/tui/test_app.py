"""The app shell: start-up without network, not-connected help, --demo, screens, bindings,
keymap, command palette, config errors."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from imported import loaded_after

from console.sim.state import DEMO_AGENTS, SimConfig
from console.tui import launch
from console.tui.app import CallConsoleApp, make_app
from console.tui.keys import CALL_KEYS
from console.tui.screens import SCREENS

SIZE = (120, 40)


def test_first_frame_imports_nothing_heavy():
    """Everything the first frame needs is importable without httpx, pydantic, phonenumbers,
    FastAPI or uvicorn: those load after it."""
    assert loaded_after(
        "import console.tui.launch, console.tui.app, console.tui.call.screen\n"
        "from console.tui.app import make_app\n"
        "make_app()",
        ("httpx", "pydantic", "phonenumbers", "fastapi", "uvicorn", "console.config.settings",
         "console.api.client", "console.calls.draft", "console.sim.runner")) == []


async def test_not_configured_says_how_to_connect(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        text = screen.outcome.text
        for needed in ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "call-console --demo"):
            assert needed in text
        assert "no API configured" in tui_offline.screen_text(app)
        screen.set_values({"agent_id": DEMO_AGENTS[0].agent_id, "to_number": "+14155550000"})
        await pilot.pause()
        assert screen.preview.json_text is not None      # the form and preview still work
        assert screen.query_one("#send").disabled          # but nothing can be sent


async def test_demo_starts_the_simulator_after_the_first_frame_and_stops_it():
    app = make_app(demo=True, sim_config=SimConfig(time_scale=20, max_concurrent_calls=50),
                   operator="tester")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        header = screen.query_one("ConsoleHeader")
        assert header.demo                                  # DEMO from the first frame
        deadline_ok = False
        for _ in range(500):
            if app.health == "ok" and screen.field("agent_id").value:
                deadline_ok = True
                break
            await pilot.pause(0.02)
        assert deadline_ok, "simulator did not come up"
        sim = app.sim
        assert sim is not None and app.session.base_url == sim.base_url
        assert header.host == f"127.0.0.1:{sim.port}"
        assert "DEMO" in str(header.query_one("#demo").render())
        # prefilled: the first demo agent, so a number is all it takes
        assert screen.field("agent_id").value == DEMO_AGENTS[0].agent_id
        assert screen.focused is screen.field("to_number").input
        await pilot.press(*"+14155550000")
        await pilot.press("ctrl+s")
        for _ in range(500):
            if app.tracked_calls:
                break
            await pilot.pause(0.02)
        assert app.tracked_calls and app.tracked_calls[0].to_number == "+14155550000"
        port = sim.port
    assert app.sim is None
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0   # the simulator is gone


def test_screen_registry_and_unknown_screen(capsys):
    assert "call" in SCREENS
    assert SCREENS["call"].binding_id == "app.screen.call"
    assert launch.run_tui(screen="nope") == 2
    assert "unknown screen 'nope'; choose one of: call" in capsys.readouterr().err
    with pytest.raises(ValueError):
        make_app(screen="nope")


def test_run_tui_passes_the_mouse_flag_and_exit_code(monkeypatch):
    seen = {}

    def fake_run(self, **kwargs):
        seen.update(kwargs)
        self._return_code = 0

    monkeypatch.setattr(CallConsoleApp, "run", fake_run)
    assert launch.run_tui(mouse=False) == 0
    assert seen == {"mouse": False}


async def test_config_error_exits_with_code_2(isolated_dirs):
    config = isolated_dirs / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text('base_url = "ftp://nowhere"\n')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(500):
            if not app.is_running or app.return_code is not None:
                break
            await pilot.pause(0.02)
    assert app.return_code == 2
    assert "config.toml:1" in app.fatal_message and "base_url" in app.fatal_message


async def test_every_binding_has_an_id_and_the_footer_shows_send(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        nodes = [app, screen, screen.field("custom_headers")]
        ids = []
        for node in nodes:
            for _key, binding in node._bindings:
                if binding.system:
                    continue
                assert binding.id, f"{node}: {binding.key} has no id"
                ids.append(binding.id)
        assert {"app.quit", "app.palette", "app.screen.call", "call.send", "call.reset",
                "call.undo_reset", "call.preview", "call.copy_json", "call.copy_curl",
                "call.reconcile", "call.stop_waiting", "call.headers.add",
                "call.headers.remove"} <= set(ids)
        assert "^s Send" in tui_offline.screen_text(app)


async def test_keymap_remaps_by_binding_id(tui):
    app = tui.app(keymap={"call.send": "f9"})
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        screen.set_values({"agent_id": tui.AGENT.agent_id, "to_number": "+14155550000"})
        await pilot.pause()
        await pilot.press("ctrl+s")                 # the old key does nothing now
        await tui.idle(pilot)
        assert tui.posts_seen() == 0
        await pilot.press("f9")
        await tui.idle(pilot)
        assert tui.posts_seen() == 1 and len(app.tracked_calls) == 1
        assert "f9 Send" in tui.screen_text(app)


async def test_palette_has_namespaced_commands_from_the_same_actions(tui_offline):
    from textual.command import CommandPalette

    from console.tui.keys.commands import ConsoleCommands

    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        texts = [text for text, _help, _cb in ConsoleCommands(screen)._commands()]
        assert "view: Call screen (f2)" in texts
        assert "call: Reset fields to API defaults (ctrl+r)" in texts
        assert not any(t.startswith("call: Send") for t in texts)   # not ready: not offered
        assert not any(t.startswith("call: Reconcile") for t in texts)
        assert {k.command for k in CALL_KEYS if k.command} >= {
            "Send the call request", "Copy the request JSON"}
        # through the real palette: change a field, then "call: reset" from the palette
        screen.field("priority").set_value("urgent")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"call: reset")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        assert screen.field("priority").value == "normal"


async def test_preview_toggle_and_narrow_layout(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        assert not screen.preview_shown                     # narrow: the form gets the width
        assert screen.query_one("#form-column").display
        await pilot.press("f6")
        await pilot.pause()
        assert screen.preview_shown
        assert not screen.query_one("#form-column").display  # the preview replaces the form
        await pilot.press("f6")
        await pilot.pause()
        assert not screen.preview_shown and screen.query_one("#form-column").display


async def test_palette_lists_equal_matches_in_one_order_and_shows_brackets_as_typed(tui_offline):
    """Every `view:` command comes from one provider, so equal scores keep the provider's order
    on every search; help that names `[keymap]`, and a profile note that says `[vip]`, show as
    typed (Textual would read a str hit as markup and drop the brackets)."""
    from textual.command import CommandList, CommandPalette

    from console.tui.keys.commands import ConsoleCommands

    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        app.profiles.add_template("vip sales", fields={"priority": "high"}, notes="[vip] only")
        screen = app.screen
        provided = [text for text, _help, _cb in ConsoleCommands(screen)._commands()]

        async def search(query: str, key: str = "ctrl+p") -> list[str]:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*query)
            palette = app.screen
            await tui_offline.wait_for(pilot, lambda: palette.has_class("-ready")
                                       and not any(w.is_running for w in app.workers), "search")
            options = palette.query_one(CommandList)
            prompts = [str(options.get_option_at_index(i).prompt)
                       for i in range(options.option_count)]
            await pilot.press("escape")
            await pilot.pause()
            return prompts

        first = await search("view:")
        titles = [p.split("\n")[0] for p in first]
        assert titles == [t for t in provided if t.startswith("view:")]
        assert any("your [keymap])" in p for p in first)
        assert await search("view:") == first
        found = await search("vip", key="f12")       # the find palette
        assert "profile: template vip sales\n[vip] only" in found, found


async def test_quitting_during_start_up_is_clean(tui_offline):
    """Quit (the key's action, as a hangup does) the moment the first frame is out, while
    the form is still being mounted: the app waits for the form, then ends without an error
    (run_test re-raises one)."""
    app = tui_offline.app(connected=False)
    app.after_first_frame(lambda: app.run_action("app.quit"))
    async with app.run_test(size=SIZE):
        # Wait for the app's own exit. (Leaving `run_test` after a fixed pause tore the screen
        # down itself whenever the form took longer to mount, as it does under load: the
        # NoMatches seen in CI came from that teardown, not from the quit.)
        deadline = time.monotonic() + 30
        while app.return_code is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    assert app.return_code == 0
