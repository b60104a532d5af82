"""The column chooser of the Calls table (v): show, hide and reorder columns for the width
the console has, at once on screen and saved in config.toml through the one config editor."""

from __future__ import annotations

from test_calls_snapshots import SMALL, calls_app, prepare
from waiting import wait_for

from console import paths
from console.config.settings import read_toml
from console.tui.calls.column_chooser import ColumnChooserScreen
from console.tui.calls.columns import DEFAULT_LAYOUTS


async def test_choose_columns_at_80_columns_shows_them_and_saves_them(tui, utc):
    app = calls_app(tui)
    async with app.run_test(size=SMALL) as pilot:
        await prepare(tui)(pilot)
        table = app.screen.table
        assert table.shown_columns == DEFAULT_LAYOUTS[0][1]
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ColumnChooserScreen), "chooser")
        # status, to, agent, duration, disposition | from, started, flags, campaign
        await pilot.press("down", "down", "space")         # hide agent
        await pilot.press(*["down"] * 5, "space")          # show flags
        await pilot.press("left_square_bracket")           # ... before started
        await pilot.press("enter")
        wanted = ("status", "to", "duration", "disposition", "flags")
        await wait_for(pilot, lambda: table.shown_columns == wanted, "the new columns")
        assert [str(key.value) for key in table.columns] == list(wanted)
        assert table.cell_plain(table.shown_ids[0], "status")  # rows kept
        config = paths.config_file()
        await wait_for(pilot, lambda: config.exists()
                       and "calls_columns" in read_toml(config), "config.toml written")
        assert read_toml(config)["calls_columns"] == [
            "0: status to duration disposition flags",
            "120: " + " ".join(DEFAULT_LAYOUTS[1][1])]
        # Wider, the other layout; its columns share the whole width.
        await pilot.resize_terminal(150, 30)
        await wait_for(pilot, lambda: table.shown_columns == DEFAULT_LAYOUTS[1][1], "wide")
        assert table.virtual_size.width == table.size.width - 1  # a scrollbar's column free


async def test_the_chooser_needs_one_column_and_escape_keeps_the_table(tui, utc):
    app = calls_app(tui)
    async with app.run_test(size=SMALL) as pilot:
        await prepare(tui)(pilot)
        table = app.screen.table
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ColumnChooserScreen), "chooser")
        chooser = app.screen
        for _ in DEFAULT_LAYOUTS[0][1]:
            await pilot.press("space", "down")            # hide every shown column
        await pilot.press("enter")
        assert app.screen is chooser
        assert "at least one column" in str(chooser.query_one("#columns-check").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ColumnChooserScreen), "closed")
        assert table.shown_columns == DEFAULT_LAYOUTS[0][1]
        assert not paths.config_file().exists()


async def test_a_campaign_call_is_tagged_with_its_campaign(tui, utc):
    """A call a campaign placed (here: placed on the simulator, then tracked by the Calls
    table's tracker with its campaign, as the Campaign screen's runner does) shows it in Flags, or in the campaign column once the
    operator shows that column; the detail pane names it."""
    from calls_helpers import AGENT, calls_screen, tracker_ready, wait_cell

    from console.api.models import OutboundCallRequest

    app = tui.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await tracker_ready(pilot)
        screen = await calls_screen(pilot)
        request = OutboundCallRequest(agent_id=AGENT.agent_id, to_number="+14155550004")
        placed = await app.session.client.place_call(request)
        app.tracker.track(placed, request, campaign="spring")
        await wait_cell(pilot, screen, placed.call_id, "flags", "▸spring")
        assert app.tracker.get(placed.call_id).campaign == "spring"
        table = screen.table
        table.set_layouts([(0, ("status", "to", "campaign", "flags"))])
        await pilot.pause()
        assert table.cell_plain(placed.call_id, "campaign") == "spring"
        assert "spring" not in table.cell_plain(placed.call_id, "flags")
