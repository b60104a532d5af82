"""The live preview (exact JSON, masked curl, copy) and reset-to-defaults with undo."""

from __future__ import annotations

import json

from console.calls.draft import check_draft, curl_command, request_json

SIZE = (120, 40)


async def test_preview_is_the_exact_body_and_a_curl_line_without_the_token(tui):
    app = tui.app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tui.ready(pilot)
        screen = app.screen
        values = {"agent_id": tui.AGENT.agent_id, "to_number": "415 555 0000",
                  "from_number": tui.AGENT.caller_ids[1], "dtmf": "1w2", "priority": "urgent",
                  "context": '{"ticket": 7}', "custom_headers": [("X-Case", "a b")]}
        screen.set_values(values)
        await pilot.pause()
        expected = check_draft(screen.values()).request
        assert screen.preview.json_text == request_json(expected)
        body = json.loads(screen.preview.json_text)
        assert body["to_number"] == "+14155550000"
        assert body["context"] == {"ticket": 7}
        assert body["custom_headers"] == {"X-Case": "a b"}
        assert body["krisp_enabled"] is True and body["ringing_timeout_seconds"] == 80
        curl = screen.preview.curl_text
        assert curl == curl_command(tui.FAKE_BASE, expected)
        assert "http://sim.test:8000/calls/outbound" in curl
        assert "Bearer $CALL_CONSOLE_TOKEN" in curl
        token = tui.sim.token
        assert token not in curl
        assert token not in tui.screen_text(app)

        await pilot.press("f7")
        assert app.clipboard == screen.preview.json_text
        await pilot.press("f8")
        assert app.clipboard == curl and token not in app.clipboard
        await pilot.pause()
        copied = [n for n in app._notifications if n.title.startswith("Copied")]
        assert [n.title for n in copied] == ["Copied JSON (OSC 52)", "Copied curl command (OSC 52)"]
        assert '"to_number": "+14155550000"' in copied[0].message     # the toast shows the text
        assert copied[1].message.startswith("curl --request POST")
        assert not copied[1].markup
        assert token not in tui.screen_text(app)


async def test_preview_lists_problems_when_nothing_can_be_sent(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        assert screen.preview.json_text is None
        text = tui_offline.screen_text(app)
        assert "Nothing to send yet" in text
        assert "To: required: the number to call" in text
        await pilot.press("f7")                                     # nothing to copy: a warning
        await pilot.pause()
        assert app.clipboard == ""
        # not connected: the curl line uses a placeholder for the base URL
        screen.set_values({"agent_id": tui_offline.AGENT.agent_id, "to_number": "+14155550000"})
        await pilot.pause()
        assert screen.preview.curl_text.startswith(
            "curl --request POST '$CALL_CONSOLE_BASE_URL/calls/outbound'")


async def test_copy_without_a_terminal_clipboard_is_no_crash(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        screen.set_values({"agent_id": tui_offline.AGENT.agent_id, "to_number": "+14155550000"})
        await pilot.pause()

        def broken(text: str) -> None:
            raise OSError("no clipboard here")

        app.copy_to_clipboard = broken
        await pilot.press("f7")
        await pilot.pause()
        assert any("Could not copy" in n.message for n in app._notifications)
        assert app.is_running


async def test_reset_to_defaults_and_undo(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        screen = app.screen
        edited = {"agent_id": tui_offline.AGENT.agent_id, "to_number": "+14155550000",
                  "from_number": "+14155551000", "display_name": "Clinic", "dtmf": "12",
                  "context": '{"a": 1}', "priority": "low", "media_encryption": "REQUIRE",
                  "ringing_timeout_seconds": "20", "max_call_duration_seconds": "600",
                  "krisp_enabled": False, "wait_until_answered": True, "play_dialtone": True,
                  "hide_phone_number": True, "custom_headers": [("X-A", "1")]}
        screen.set_values(edited)
        await pilot.pause()
        optional = [n for n, f in screen.fields.items() if not f.required]
        assert all(screen.field(n).changed for n in optional)
        assert screen.check_action("undo_reset", ()) is False       # nothing to undo yet
        await pilot.press("ctrl+r")
        await pilot.pause()
        values = screen.values()
        assert values["agent_id"] == edited["agent_id"]              # required fields stay
        assert values["to_number"] == edited["to_number"]
        assert not any(screen.field(n).changed for n in optional)
        body = json.loads(screen.preview.json_text)
        assert {k: body[k] for k in ("from_number", "display_name", "dtmf", "context",
                                     "priority", "media_encryption", "ringing_timeout_seconds",
                                     "max_call_duration_seconds", "krisp_enabled",
                                     "wait_until_answered", "play_dialtone",
                                     "hide_phone_number", "custom_headers")} == {
            "from_number": None, "display_name": None, "dtmf": None, "context": {},
            "priority": "normal", "media_encryption": "ALLOW", "ringing_timeout_seconds": 80,
            "max_call_duration_seconds": 3600, "krisp_enabled": True,
            "wait_until_answered": False, "play_dialtone": False, "hide_phone_number": False,
            "custom_headers": {}}
        assert screen.check_action("undo_reset", ()) is True
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert screen.values() == edited
        assert all(screen.field(n).changed for n in optional)
        assert screen.check_action("undo_reset", ()) is False
