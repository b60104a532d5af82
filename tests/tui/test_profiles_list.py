"""The Profiles screen's list (`VirtualList`): it behaves as the OptionList it replaced (keys,
wrap-around, pages, enter, click, hover) while making and drawing only the rows on screen.

A small app with the widget alone: no simulator, no profiles file. (The key and click
expectations were checked side by side with an OptionList of the same rows when written.)
"""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from console.tui.widgets.virtual_list import VirtualList, VirtualOption

ROWS = 500


class ListApp(App[None]):
    CSS = "VirtualList { height: 1fr; border: none; padding: 0; }"

    def __init__(self) -> None:
        super().__init__()
        self.made: list[int] = []
        self.highlighted_ids: list[str] = []
        self.selected_ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield VirtualList(option_height=2)

    def on_mount(self) -> None:
        self.query_one(VirtualList).set_options([VirtualOption(f"row-{i}", self._prompt(i))
                                                 for i in range(ROWS)])
        self.query_one(VirtualList).focus()

    def _prompt(self, i: int):
        def make() -> Text:
            self.made.append(i)
            return Text(f"row-{i}\n  about {i}")
        return make

    def on_virtual_list_option_highlighted(self, event: VirtualList.OptionHighlighted) -> None:
        self.highlighted_ids.append(event.option_id)

    def on_virtual_list_option_selected(self, event: VirtualList.OptionSelected) -> None:
        self.selected_ids.append(event.option.id)


async def test_only_the_rows_on_screen_are_made_and_drawn():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        listing = app.query_one(VirtualList)
        await pilot.pause()
        assert listing.option_count == ROWS
        assert listing.virtual_size.height == 2 * ROWS
        # 12 lines tall, 2 lines a row: the first rows only, not all 500.
        assert set(app.made) <= set(range(8)), sorted(set(app.made))
        lines = [line.text for line in listing.render_lines(listing.region.reset_offset)]
        assert lines[:4] == [f"{'row-0':<40}", f"{'  about 0':<40}", f"{'row-1':<40}",
                             f"{'  about 1':<40}"]
        await pilot.press("end")
        await pilot.pause()
        assert listing.highlighted == ROWS - 1
        assert listing.scroll_offset.y == 2 * ROWS - 12
        assert len(set(app.made)) < 20  # the top rows and the last ones


async def test_keys_move_as_in_an_option_list():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        listing = app.query_one(VirtualList)
        await pilot.pause()
        assert listing.highlighted is None
        await pilot.press("down")  # from nothing: the first
        assert listing.highlighted == 0
        await pilot.press("up")  # wraps around to the last
        assert listing.highlighted == ROWS - 1
        await pilot.press("down")  # and back to the first
        assert listing.highlighted == 0
        await pilot.press("pagedown")  # a page of lines (12) is 6 rows
        assert listing.highlighted == 6
        await pilot.press("pageup", "pageup")
        assert listing.highlighted == 0
        await pilot.press("end", "home")
        assert listing.highlighted == 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected_ids == ["row-0"]
        assert app.highlighted_ids[:3] == ["row-0", f"row-{ROWS - 1}", "row-0"]


async def test_a_click_selects_the_row_under_the_mouse():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        listing = app.query_one(VirtualList)
        await pilot.pause()
        await pilot.click(VirtualList, offset=(3, 5))  # line 5: the second line of row 2
        await pilot.pause()
        assert listing.highlighted == 2
        assert app.selected_ids == ["row-2"]


async def test_set_options_keeps_the_highlight_in_range():
    app = ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        listing = app.query_one(VirtualList)
        listing.highlighted = 400
        await pilot.pause()
        listing.set_options([VirtualOption("only", lambda: "only\n  one")])
        await pilot.pause()
        assert listing.highlighted == 0
        assert listing.get_option_at_index(0).id == "only"
        listing.clear_options()
        await pilot.pause()
        assert listing.highlighted is None and listing.option_count == 0
