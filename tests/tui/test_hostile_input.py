"""Hostile input in the TUI: what an operator pastes into the Call form (context JSON that
Python's json chokes on, a display name with CR/LF) is an error under its field and the app goes
on."""

from __future__ import annotations

import pytest

from console.limits import CONTEXT_MAX_DEPTH

from profiles_helpers import form_ready, seed
from test_form_templates import choose_template

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
