"""Each field's rule, typed key by key: the error line under the field says what is wrong,
and a good value clears it. The rules themselves live in console.calls.draft / console.telephony;
these tests check that the form shows them on the right field, live."""

from __future__ import annotations

import json

import pytest

from console.api.models import MEDIA_ENCRYPTION_LEVELS, PRIORITIES
from console.tui.fields import choice
from storm import keys_handled, pace, send_key

SIZE = (120, 40)


async def start(tui, pilot):
    await tui.ready(pilot, probed=False)
    return pilot.app.screen


def error(screen, name: str) -> str:
    return screen.field(name).error_text


async def test_agent_must_be_a_uuid(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        await tui_offline.type(pilot, "agent_id", "reception")
        assert error(screen, "agent_id").startswith("must be an agent UUID")
        await tui_offline.paste(pilot, "agent_id", "3c90c3cc-0d44-4b50-8888-8dd25736052a")
        assert error(screen, "agent_id") == ""
        assert screen.field("agent_id").note().plain.startswith("typed UUID")


async def test_agent_picker_lists_probed_agents_and_fills_caller_ids(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        agent = screen.field("agent_id")
        assert [a.name for a in agent.known_agents] == [a.name for a in tui.AGENTS]
        select = agent.query_one("#agent-select")
        select.value = tui.AGENTS[2].agent_id           # pick "Support" from the list
        await tui.wait_for(pilot, lambda: agent.value == tui.AGENTS[2].agent_id, "the pick")
        assert "Support" in agent.note().plain
        caller = screen.field("from_number")
        # the caller IDs follow the agent through a message: on its next turn, not this one
        await tui.wait_for(pilot, lambda: caller.known_numbers == list(tui.AGENTS[2].caller_ids),
                           "Support's caller IDs offered")
        caller.query_one("#from-select").value = tui.AGENTS[2].caller_ids[1]
        await tui.wait_for(pilot, lambda: caller.value == tui.AGENTS[2].caller_ids[1],
                           "the caller ID picked")
        # Typing another agent's UUID switches the caller IDs offered.
        await tui.paste(pilot, "agent_id", tui.AGENTS[1].agent_id)
        await tui.wait_for(pilot, lambda: caller.known_numbers == list(tui.AGENTS[1].caller_ids),
                           "the other agent's caller IDs offered")
        assert "not one of the agent's known numbers" in caller.note().plain


TO_ERRORS = [
    ("415555", "too short"),
    ("+1415x", "is a letter"),
    ("+999123", "country code"),
]


async def test_to_number_errors(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        for typed, message in TO_ERRORS:
            await tui_offline.type(pilot, "to_number", typed)
            assert message in error(screen, "to_number"), typed
            assert screen.field("to_number").has_class("-error")
        await tui_offline.paste(pilot, "to_number", "+14155550000")
        assert error(screen, "to_number") == ""
        assert not screen.field("to_number").has_class("-error")


async def test_to_number_shows_international_form_region_and_local_time(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        await tui_offline.paste(pilot, "to_number", "(415) 555-0000")   # national, region US
        assert error(screen, "to_number") == ""
        note = screen.field("to_number").note().plain
        assert note.startswith("+1 415-555-0000 · United States")
        # the fixed clock is 17:00 UTC: 09:00 in San Francisco
        assert "local time 09:00 Wed (America/Los_Angeles)" in note
        await tui_offline.paste(pilot, "agent_id", "3c90c3cc-0d44-4b50-8888-8dd25736052a")
        assert json.loads(screen.preview.json_text)["to_number"] == "+14155550000"


async def test_from_number_checked_like_to(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        await tui_offline.type(pilot, "from_number", "12")
        assert "too short" in error(screen, "from_number")
        await tui_offline.paste(pilot, "from_number", "+442079460000")
        assert error(screen, "from_number") == ""
        assert "United Kingdom" in screen.field("from_number").note().plain


async def test_display_name_limit(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        field = screen.field("display_name")
        field.set_value("x" * 128)
        await pilot.pause()
        await tui_offline.type(pilot, "display_name", "y", clear=False)
        assert error(screen, "display_name") == "✗ at most 128 characters (has 129)".removeprefix("✗ ")
        assert field.note().plain.startswith("129/128 characters")
        await pilot.press("backspace")
        await pilot.pause()
        assert error(screen, "display_name") == ""


DTMF_ERRORS = [
    ("12A", "character 3 'A' is not allowed: use lowercase a-d"),
    ("1,2", "character 2 ',' (a comma) is not allowed"),
    ("9W", "character 2 'W' is not allowed: use lowercase w for a pause"),
    ("1 2", "character 2 (a space) is not allowed"),
]


async def test_dtmf_names_the_bad_character_and_shows_play_time(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        for typed, message in DTMF_ERRORS:
            await tui_offline.type(pilot, "dtmf", typed)
            assert error(screen, "dtmf").startswith(message), typed
        await tui_offline.paste(pilot, "dtmf", "*123#ww456")
        assert error(screen, "dtmf") == ""
        # 8 digits x 0.5 s + 2 pauses x 0.5 s
        assert screen.field("dtmf").note().plain.startswith("plays 5.0 s")


CONTEXT_ERRORS = [
    ("[1, 2]", "must be a JSON object {...}, not a list"),
    ('"text"', "must be a JSON object {...}, not a string"),
    ('{"a": }', "line 1, column 7: Expecting value"),
    ('{\n"a": 1,\n}', "line 3, column 1"),
]


async def test_context_must_be_an_object(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        for index, (typed, message) in enumerate(CONTEXT_ERRORS):
            if index == 2:
                await tui_offline.type(pilot, "context", typed)
            else:
                await tui_offline.paste(pilot, "context", typed)
            assert error(screen, "context").startswith(message), typed
        await tui_offline.paste(pilot, "context", '{"patient": {"name": "Ada"}}')
        assert error(screen, "context") == ""
        assert screen.field("context").changed
        screen.field("agent_id").set_value("3c90c3cc-0d44-4b50-8888-8dd25736052a")
        screen.field("to_number").set_value("+14155550000")
        await pilot.pause()
        assert json.loads(screen.preview.json_text)["context"] == {"patient": {"name": "Ada"}}


def test_select_choices_are_exactly_the_api_values():
    assert choice.PRIORITIES == PRIORITIES
    assert choice.MEDIA_ENCRYPTION_LEVELS == MEDIA_ENCRYPTION_LEVELS


async def test_priority_and_media_encryption_selects(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        priority = screen.field("priority")
        options = [str(v) for _label, v in priority.select._options]
        assert options == list(PRIORITIES)
        assert priority.value == "normal" and not priority.changed
        priority.focus_input()
        await pilot.press("enter", "down", "down", "enter")     # normal -> high -> urgent
        await pilot.pause()
        assert priority.value == "urgent"
        assert priority.changed
        media = screen.field("media_encryption")
        assert [str(v) for _l, v in media.select._options] == list(MEDIA_ENCRYPTION_LEVELS)
        media.focus_input()
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert media.value == "REQUIRE" and media.changed


NUMBER_ERRORS = [
    ("ringing_timeout_seconds", "0", "must be from 1 to 80 (got 0)"),
    ("ringing_timeout_seconds", "81", "must be from 1 to 80 (got 81)"),
    ("ringing_timeout_seconds", "ten", "must be a whole number from 1 to 80"),
    ("max_call_duration_seconds", "59", "must be from 60 to 86400 (got 59)"),
    ("max_call_duration_seconds", "86401", "must be from 60 to 86400 (got 86401)"),
    ("max_call_duration_seconds", "1.5", "must be a whole number from 60 to 86400"),
]


async def test_number_ranges_and_duration_in_hours(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        for index, (name, typed, message) in enumerate(NUMBER_ERRORS):
            if index % 3 == 0:
                await tui_offline.type(pilot, name, typed)
            else:
                await tui_offline.paste(pilot, name, typed)
            assert error(screen, name) == message, typed
        field = screen.field("max_call_duration_seconds")
        await tui_offline.type(pilot, "max_call_duration_seconds", "3600")
        assert field.note().plain.startswith("= 1 h ·")
        await tui_offline.type(pilot, "max_call_duration_seconds", "5430")
        assert error(screen, "max_call_duration_seconds") == ""
        assert field.note().plain.startswith("= 1 h 30 min 30 s")
        assert field.changed
        await tui_offline.type(pilot, "ringing_timeout_seconds", "30")
        assert error(screen, "ringing_timeout_seconds") == ""


async def test_switches_toggle_from_the_keyboard(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        expected = {"krisp_enabled": True, "wait_until_answered": False,
                    "play_dialtone": False, "hide_phone_number": False}
        for name, default in expected.items():
            field = screen.field(name)
            assert field.value is default and not field.changed
            field.focus_input()
            await pilot.press("space")
            await pilot.pause()
            assert field.value is (not default)
            assert field.changed
        screen.field("agent_id").set_value("3c90c3cc-0d44-4b50-8888-8dd25736052a")
        screen.field("to_number").set_value("+14155550000")
        await pilot.pause()
        body = json.loads(screen.preview.json_text)
        assert {k: body[k] for k in expected} == {k: not v for k, v in expected.items()}


def test_hide_phone_number_help_says_it_is_not_caller_id_withholding():
    from console.tui.fields.switch_field import HideNumberField

    assert "NOT caller-ID withholding" in HideNumberField.help
    assert "LiveKit participant attributes" in HideNumberField.help


async def test_header_rows_are_checked_row_by_row(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        headers = screen.field("custom_headers")
        headers.focus_input()                      # the "+ Add header" button
        await pilot.press("enter")                 # add row 1, focus its name
        await pilot.pause()
        await pilot.press(*"Via", "tab", *"x")
        await pilot.pause()
        row1 = headers.rows[0]
        assert "must start with 'X-'" in row1.error_text
        assert row1.query_one(".header-name").has_class("-invalid")
        await pilot.press("ctrl+n")                # add row 2 from the keyboard
        await pilot.pause()
        await pilot.press(*"x-via")
        await pilot.pause()
        row1.query_one(".header-name").value = "X-Via"
        await pilot.pause()
        assert row1.error_text == ""
        row2 = headers.rows[1]
        assert "duplicate of row 1 'X-Via'" in row2.error_text
        # CR/LF in a value could inject a header: refused on that row.
        row2.query_one(".header-name").value = "X-Other"
        row2.query_one(".header-value").value = "a\r\nVia: evil"
        await pilot.pause()
        assert "line break (CR/LF)" in row2.error_text
        assert row2.query_one(".header-value").has_class("-invalid")
        # Remove the bad row from the keyboard: the problem goes with it.
        row2.focus_part("value")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert len(headers.rows) == 1
        assert headers.value == [("X-Via", "x")]
        assert error(screen, "custom_headers") == ""
        screen.field("agent_id").set_value("3c90c3cc-0d44-4b50-8888-8dd25736052a")
        screen.field("to_number").set_value("+14155550000")
        await pilot.pause()
        assert json.loads(screen.preview.json_text)["custom_headers"] == {"X-Via": "x"}


async def test_send_is_disabled_while_anything_is_invalid(tui):
    app = tui.app()
    async with app.run_test(size=SIZE) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        send = screen.query_one("#send")
        assert send.disabled and screen.check_action("send", ()) is None
        screen.field("agent_id").set_value(tui.AGENT.agent_id)
        await tui.paste(pilot, "to_number", "+14155550000")
        assert not send.disabled and screen.check_action("send", ()) is True
        await tui.type(pilot, "dtmf", "1A")
        assert send.disabled
        assert "DTMF" in str(screen.query_one("#readiness").render())
        await pilot.press("ctrl+s")                     # disabled: nothing is sent
        await tui.idle(pilot)
        assert tui.posts_seen() == 0
        await tui.type(pilot, "dtmf", "1a")
        assert not send.disabled


@pytest.mark.parametrize("GAP", [0.0, 0.05])
@pytest.mark.parametrize("where", ["form", "profiles"])
async def test_keys_typed_right_after_adding_a_header_land_where_the_focus_is(tui_offline, where,
                                                                            GAP):
    # A fast typist: Ctrl+N, the name, Tab, the value, with no pause. The new row's focus used
    # to be applied a frame late, after the Tab: the value went into the name ("X-Sourceconsole").
    app = tui_offline.app(connected=False, screen="call" if where == "form" else "profiles")
    async with app.run_test(size=SIZE) as pilot:
        if where == "form":
            screen = await start(tui_offline, pilot)
            headers = screen.field("custom_headers")
        else:
            await tui_offline.wait_for(pilot, lambda: app.screen.current is not None, "profiles")
            await pilot.press("3", "n")
            await tui_offline.wait_for(pilot, lambda: app.screen.current.mode == "new", "new")
            headers = app.screen.current.editor.field("custom_headers")
        headers.focus_input()
        await pilot.pause()
        for key in ["ctrl+n", *"X-Source", "tab", *"console"]:
            send_key(app, key)
            await pace(GAP)
        await keys_handled(pilot)
        assert headers.value[-1] == ("X-Source", "console")


async def test_a_header_with_an_empty_value_says_so_under_its_row(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(tui_offline, pilot)
        headers = screen.field("custom_headers")
        headers.focus_input()
        await pilot.press("ctrl+n", *"X-Empty")
        await pilot.pause()
        row = headers.rows[0]
        note = row.query_one(".row-note")
        assert row.empty_value and headers.empty_value_names() == ["X-Empty"]
        assert note.display and str(note.render()) == row.EMPTY_VALUE_NOTE
        await pilot.press("tab", "x")
        await pilot.pause()
        assert not row.empty_value and not note.display
