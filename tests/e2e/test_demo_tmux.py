"""The installed `call-console --demo` in a real terminal (tmux): fill the form from the
keyboard, send, and see the call id the simulator gave the call."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.mark.parametrize("width, height", [(120, 40), (80, 24)])
def test_demo_places_a_call_from_the_keyboard(console_in_tmux, width, height):
    console = console_in_tmux("--demo", width=width, height=height)
    # The DEMO marker is there from the first frame; the simulator comes up after it.
    console.wait_for_text("DEMO")
    console.wait_for_text("online", timeout=30)
    # Demo mode prefills the first demo agent and puts the cursor in To.
    console.wait_for_text("Reception")
    console.type("+14155550000")
    console.wait_for_text("Ready to call +14155550000")
    screen = console.capture()
    assert "^s Send" in screen                       # the send key is in the footer
    console.keys("C-s")
    screen = console.wait_for(lambda s: "Call placed" in s and UUID.search(s),
                              "the placed call's id")
    call_id = UUID.search(screen.split("call id", 1)[1]).group(0)
    assert call_id
    # The call is live (it talks ~20 s): quitting asks first; the quit key again confirms.
    console.keys("C-q")
    console.wait_for_text("1 call placed here is still live")
    console.keys("C-q")
    console.wait_for_text("EXIT=0")


def test_no_api_configured_says_how_to_connect(console_in_tmux):
    console = console_in_tmux("--no-mouse")
    screen = console.wait_for_text("CALL_CONSOLE_BASE_URL")
    assert "call-console --demo" in screen
    assert "no API configured" in screen
    console.keys("C-q")
    console.wait_for_text("EXIT=0")


def test_unknown_screen_exits_2(console_in_tmux):
    console = console_in_tmux("--screen", "nope")
    screen = console.wait_for_text("EXIT=")
    assert "EXIT=2" in screen and "unknown screen 'nope'" in screen
