"""The key bar: the focused context's keys from the same active bindings Textual's footer
reads, whole keys only when the terminal is narrow (quit always kept), the palette key kept on
the right, and a click on a key presses it (a disabled one does nothing)."""

from __future__ import annotations

from console.tui.calls.screen import CallsScreen
from console.tui.widgets.key_footer import MORE, KeyFooter, footer_items

WIDE = (120, 40)
NARROW = (80, 24)


def bar(app) -> KeyFooter:
    return app.screen.query_one(KeyFooter)


def bar_line(app) -> str:
    return bar(app).render().plain


async def test_the_bar_shows_the_active_bindings_in_order_and_the_palette_on_the_right(
        tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        await pilot.pause()
        items, palette = footer_items(app.screen, app)
        expected = [key for item in items for key in item.keys] + [palette.keys[0]]
        assert bar(app).keys_shown() == expected
        line = bar_line(app)
        assert len(line) == WIDE[0] and MORE not in line
        assert line.startswith(" ^s Send  ^r Reset ")
        assert " f2 f3 f4 f5 f11 Views " in line             # one group, each key clickable
        assert line.rstrip().endswith("▏ ^p Commands")

        # a field with keys of its own adds them while it has the focus
        app.screen.field("custom_headers").focus_input()
        await pilot.pause()
        assert "Add header" in [i.description for i in footer_items(app.screen, app)[0]]
        assert "Add header" in bar_line(app)


async def test_narrow_bar_leaves_out_whole_keys_and_keeps_the_palette_key(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=NARROW) as pilot:
        await tui_offline.ready(pilot, probed=False)
        await pilot.press("f3")
        await tui_offline.wait_for(pilot, lambda: isinstance(app.screen, CallsScreen), "calls")
        await pilot.pause()
        line = bar_line(app)
        assert len(line) == NARROW[0]
        assert line.endswith("▏^p Commands ")                 # compact, and still there
        assert MORE in line                                  # something was left out...
        shown = line[:line.index(MORE)]
        items, _ = footer_items(app.screen, app)
        drawn = [i for i in items if f"{i.displays[0]} {i.description}" in shown]
        assert drawn and shown.strip() == " ".join(
            f"{i.displays[0]} {i.description}" for i in drawn)   # ...but never half a key
        assert len(drawn) < len(items)
        assert "^q Quit" not in shown and "^q Quit" in line[line.index(MORE):]  # kept, after …


async def test_clicking_a_key_presses_it_and_a_disabled_key_does_nothing(tui):
    app = tui.app()
    async with app.run_test(size=WIDE) as pilot:
        await tui.ready(pilot)
        call_screen = app.screen
        footer = bar(app)

        start, _end = footer.columns_of("ctrl+s")            # Send: disabled, To is empty
        await pilot.click(KeyFooter, offset=(start + 1, 0))
        await pilot.pause(0.3)
        assert tui.posts_seen() == 0 and app.screen is call_screen

        call_screen.field("priority").set_value("urgent")
        await pilot.pause()
        start, _end = footer.columns_of("ctrl+r")            # Reset
        await pilot.click(KeyFooter, offset=(start + 1, 0))
        await tui.wait_for(pilot, lambda: call_screen.field("priority").value == "normal",
                           "the reset")

        start, _end = footer.columns_of("f3")                # one key of the Views group
        await pilot.click(KeyFooter, offset=(start, 0))
        await tui.wait_for(pilot, lambda: isinstance(app.screen, CallsScreen), "calls")


async def test_hovering_a_key_shows_its_tooltip(tui_offline):
    app = tui_offline.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await tui_offline.ready(pilot, probed=False)
        await pilot.pause()
        footer = bar(app)
        start, _end = footer.columns_of("f4")
        await pilot.hover(KeyFooter, offset=(start, 0))
        await pilot.pause()
        assert "Profiles" in str(footer.tooltip)
        await pilot.hover(KeyFooter, offset=(footer.columns_of("ctrl+p")[0] - 2, 0))
        await pilot.pause()
        assert footer.tooltip is None
