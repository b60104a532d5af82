"""Hostile input in the TUI: what an operator pastes into the Call form (context JSON that
Python's json chokes on, a display name with CR/LF) is an error under its field and the app goes
on; a bundle path naming a device or a FIFO is refused by the import dialog at once; a hostile
config.toml or theme file is reported with its line before (or instead of) a traceback; a data
dir the console cannot create ends the start with exit code 2 and the path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console import paths
from console.limits import CONTEXT_MAX_DEPTH, PROFILES_MAX_BYTES, TOML_MAX_DEPTH
from console.tui import launch
from console.tui.keys.keymap import read_keymap
from console.tui.look.themes import load_themes, parse_theme_text, read_configured_theme

from profiles_helpers import form_ready, paste_text, seed, wait_for, writes_done
from test_form_templates import choose_template
from test_profiles_bundle import modal_name, open_dialog

SIZE = (120, 40)
AGENT_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

HOSTILE_CONTEXTS = [
    ('{"a": NaN}', "line 1, column 7: NaN is not a JSON number"),
    ('{"a": -Infinity}', "line 1, column 7: -Infinity is not a JSON number"),
    ('{"a": ' + "1" * 5001 + "}", "line 1, column 7: a number of 5001 digits"),
    ('{"a": "\\ud800"}', "line 1, column 8: \\ud800 is half of a UTF-16 pair"),
    ('{"a": ' + "[" * 300 + "]" * 300 + "}",
     f"line 1, column {6 + CONTEXT_MAX_DEPTH}: nested more than {CONTEXT_MAX_DEPTH} levels"),
    ('{"a":' * 5000 + "1" + "}" * 5000, f"nested more than {CONTEXT_MAX_DEPTH} levels deep"),
]


def error(screen, name: str) -> str:
    return screen.field(name).error_text


async def test_hostile_context_is_an_error_under_the_field_and_the_form_goes_on(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        screen.field("agent_id").set_value(AGENT_ID)
        screen.field("to_number").set_value("+14155550000")
        for text, message in HOSTILE_CONTEXTS:
            await tui_offline.paste(pilot, "context", text)
            assert message in error(screen, "context"), (text[:20], error(screen, "context"))
            assert screen.field("context").note().plain == "a JSON object"
            assert screen.preview.json_text is None  # "Nothing to send yet. Fix: • Context…"
            assert app.is_running
        await tui_offline.paste(pilot, "context", '{"visit": {"day": "Tue"}}')
        assert error(screen, "context") == ""
        assert '"day": "Tue"' in screen.preview.json_text


async def test_hostile_context_is_never_sent(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        await tui.paste(pilot, "agent_id", tui.AGENT.agent_id)
        await tui.paste(pilot, "to_number", "+14155550000")
        assert screen.can_send
        await tui.paste(pilot, "context", '{"ratio": NaN}')
        assert not screen.can_send and screen.query_one("#send").disabled
        await pilot.press("ctrl+s")
        await tui.idle(pilot)
        assert tui.posts_seen() == 0  # not sent as {"ratio": null}


@pytest.mark.parametrize("name,message", [
    ("ACME\r\nX-Evil: 1", "contains a line break (CR/LF), which could inject a SIP header"),
    ("ACME\x1b[2J", "character 5 U+001B is not allowed in a display name"),
])
async def test_display_name_with_a_line_break_is_refused_at_the_field(tui_offline, name,
                                                                      message):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        screen.field("agent_id").set_value(AGENT_ID)
        screen.field("to_number").set_value("+14155550000")
        await tui_offline.paste(pilot, "display_name", name)
        assert error(screen, "display_name").startswith(message)
        assert screen.preview.json_text is None
        await tui_offline.paste(pilot, "display_name", "ACME Sales")
        assert error(screen, "display_name") == ""
        assert '"display_name": "ACME Sales"' in screen.preview.json_text


async def test_hostile_context_over_a_template_context_keeps_the_form_alive(tui_offline):
    seed()
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await form_ready(pilot)
        await choose_template(pilot, "recall")          # marks the context as the template's
        assert screen.field("context").has_class("-from-template")
        deep = '{"a":' * 5000 + "1" + "}" * 5000
        await tui_offline.paste(pilot, "context", deep)
        assert f"nested more than {CONTEXT_MAX_DEPTH} levels deep" in error(screen, "context")
        assert not screen.field("context").has_class("-from-template")
        assert app.is_running


# --- the import dialog ----------------------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


async def test_import_dialog_refuses_a_device_a_fifo_and_a_huge_file_at_once(tui_offline, home):
    # /dev/null, not /dev/zero: a regression must fail this test, not fill the CI's memory
    # (the CLI test reads /dev/zero in a child process with a memory limit).
    seed()
    before = paths.profiles_file().read_bytes()
    fifo = home / "bundle.fifo"
    os.mkfifo(fifo)
    with open(home / "huge.toml", "wb") as out:
        out.truncate(PROFILES_MAX_BYTES + 1)
    app = tui_offline.app(connected=False, screen="profiles")
    try:
        async with app.run_test(size=SIZE) as pilot:
            dialog = await open_dialog(pilot, "i", "ImportBundleScreen")
            for typed, expected in (
                    ("/dev/null", "/dev/null: is a character device, not a bundle"),
                    ("bundle.fifo", "~/bundle.fifo: is a FIFO (named pipe), not a bundle"),
                    ("huge.toml", f"~/huge.toml: is {PROFILES_MAX_BYTES + 1:,} bytes; a bundle "
                                  "may have at most 16 MiB")):
                dialog.query_one("#bundle-path").value = ""
                await paste_text(pilot, typed)
                dialog.query_one("#bundle-path").focus()
                await pilot.press("enter")
                await writes_done(pilot)
                await wait_for(pilot, lambda: not dialog.busy, "check finished")
                assert expected in dialog.status_text, dialog.status_text
                assert dialog.checked is None and modal_name(app) == "ImportBundleScreen"
    finally:
        try:  # release a reader stuck on the FIFO (if the check ever regresses)
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert paths.profiles_file().read_bytes() == before


# --- files read before the first frame --------------------------------------------------------

def write_config(content: bytes) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content,expected", [
    (b"[keymap]\nx = " + b"[" * 5000 + b"]" * 5000, ":2: nested more than 64 levels deep"),
    (b"[keymap]\nx = " + b"1" * 5001,
     ":2: a number of 5001 digits; the limit is 100 (put longer ones in quotes)"),
    (b'theme = "caf\xe9"\n', ":1: not UTF-8 text"),
], ids=["deep", "digits", "latin1"])
def test_hostile_config_is_reported_before_the_ui_and_its_early_readers_survive(content,
                                                                                expected):
    path = write_config(content)
    assert launch.precheck_config(None, demo=True) == f"{path}{expected}"
    keymap = read_keymap(path)  # read before the first frame; the check above reports
    assert keymap.mapping == {} and keymap.problems == []
    assert read_configured_theme() is None


def test_a_hostile_theme_file_is_a_problem_with_its_line(tmp_path):
    path = tmp_path / "deep.toml"
    theme, problems = parse_theme_text('name = "deep"\ndark = true\nx = '
                                       + "{a = " * 5000 + "1" + "}" * 5000, path)
    assert theme is None
    assert [(p.line, p.message) for p in problems] == [
        (3, f"not valid TOML: nested more than {TOML_MAX_DEPTH} levels deep")]


def test_a_fifo_or_device_in_the_theme_dir_is_reported_not_waited_for(tmp_path):
    os.mkfifo(tmp_path / "stuck.toml")
    (tmp_path / "null.toml").symlink_to("/dev/null")  # a device (not /dev/zero: see above)
    (tmp_path / "latin1.toml").write_bytes(b'name = "x"\n# caf\xe9\n')
    found = load_themes([tmp_path])  # would block on the FIFO
    assert found.themes == {}
    assert sorted(str(p) for p in found.problems) == [
        f"{tmp_path / 'latin1.toml'}:2: not UTF-8 text (byte 0xE9)",
        f"{tmp_path / 'null.toml'}: is a character device, not a theme file: give the path of "
        "a regular file",
        f"{tmp_path / 'stuck.toml'}: is a FIFO (named pipe), not a theme file: give the path "
        "of a regular file",
    ]


# --- a data dir that cannot be created ------------------------------------------------------

async def test_a_data_dir_that_cannot_be_created_ends_the_start_with_its_path(tui_offline,
                                                                             tmp_path,
                                                                             monkeypatch):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir's parent should be\n")
    monkeypatch.setenv("CALL_CONSOLE_DATA_DIR", str(blocker / "data"))
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.fatal_message is not None, "the start to fail")
        await wait_for(pilot, lambda: app.return_code is not None, "exit")
    assert app.return_code == 2
    assert app.fatal_message.startswith(f"call-console: {blocker}")
    assert app.fatal_message.endswith("Not a directory")
