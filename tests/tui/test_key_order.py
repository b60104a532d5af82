"""Keys typed in one burst (a fast typist; an SSH session, where keys arrive in chunks) are
handled in the order they were typed, bindings included.

Textual runs a key's binding only after the key has travelled up from the focused widget, so
without the console's key order (textual_compat.SequentialKeysApp) the letters typed right
after Backspace, Ctrl+U, an arrow or Tab overtook it. Keys are sent as the terminal driver
sends them, back to back, with no wait at all between them.
"""

from __future__ import annotations

import pytest

from storm import keys_handled, pace, send_key

SIZE = (120, 40)


async def burst(pilot, keys: list[str]) -> None:
    for key in keys:
        send_key(pilot.app, key)
        await pace(0)
    await keys_handled(pilot)


@pytest.mark.parametrize("keys, expected", [
    ([*"123", "ctrl+u", *"456"], "456"),
    ([*"abc", "backspace", "d"], "abd"),
    ([*"ac", "left", "b"], "abc"),
    ([*"abc", "home", "x", "end", "y"], "xabcy"),
], ids=["ctrl+u", "backspace", "left", "home-end"])
async def test_editing_keys_and_letters_typed_in_one_burst_keep_their_order(tui_offline, keys,
                                                                           expected):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.wait_for(pilot, lambda: app.screen.form_ready, "the form")
        display_name = app.screen.field("display_name")
        display_name.focus_input()
        await pilot.pause()
        await burst(pilot, keys)
        assert display_name.value == expected


async def test_letters_after_tab_go_to_the_next_field(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=SIZE) as pilot:
        await tui_offline.wait_for(pilot, lambda: app.screen.form_ready, "the form")
        screen = app.screen
        screen.field("display_name").focus_input()
        await pilot.pause()
        await burst(pilot, [*"Ann", "tab", *"12#"])
        assert screen.field("display_name").value == "Ann"
        assert screen.field("dtmf").value == "12#"
