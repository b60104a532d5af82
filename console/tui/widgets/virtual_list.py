"""VirtualList: a keyboard list of thousands of rows that draws only the rows on screen.

Textual's OptionList measures every option when it is filled (a visual and a height per
prompt: ~0.4 s for 2,000 two-line profile rows, on the UI loop). Here every row has the same
height, so the list's size is `rows x height` and a row is made and drawn only when it is
scrolled into view: filling the list costs a list of ids.

It looks and behaves as an OptionList: the same keys (up/down wrap around, home/end,
page up/down, enter selects), click to select, hover, the same styles (component classes
`virtual-list--option`, `-highlighted`, `-hover`, the same defaults as OptionList's), and the
messages `OptionHighlighted` / `OptionSelected` with `option`, `option_id` and
`option_index`. The prompt of a row is made by a function, on first draw.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.visual import Padding, VisualType, visualize

from console.tui.css import stylesheet


class VirtualOption:
    """One row: its id, and its prompt, made by `make_prompt` the first time it is asked."""

    __slots__ = ("_make_prompt", "_prompt", "id")

    def __init__(self, id: str, make_prompt: Callable[[], VisualType]) -> None:
        self.id = id
        self._make_prompt = make_prompt
        self._prompt: VisualType | None = None

    @property
    def prompt(self) -> VisualType:
        if self._prompt is None:
            self._prompt = self._make_prompt()
        return self._prompt

    def __repr__(self) -> str:
        return f"VirtualOption({self.id!r})"


class VirtualList(ScrollView, can_focus=True):
    """A navigable list of rows of one fixed height (see the module docstring)."""

    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
        Binding("home", "first", "First", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
        Binding("up", "cursor_up", "Up", show=False),
    ]

    DEFAULT_CSS = stylesheet(__file__)  # OptionList's defaults, under this widget's names

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-list--option",
        "virtual-list--option-highlighted",
        "virtual-list--option-hover",
    }

    highlighted: reactive[int | None] = reactive(None)
    """The index of the highlighted row, or None."""

    class OptionMessage(Message):
        def __init__(self, virtual_list: VirtualList, option: VirtualOption, index: int):
            super().__init__()
            self.virtual_list = virtual_list
            self.option = option
            self.option_id = option.id
            self.option_index = index

        @property
        def control(self) -> VirtualList:
            return self.virtual_list

    class OptionHighlighted(OptionMessage):
        """A row was highlighted (keys, mouse, or `highlighted` set)."""

    class OptionSelected(OptionMessage):
        """A row was chosen (enter or click)."""

    def __init__(self, *, option_height: int = 1, name: str | None = None,
                 id: str | None = None, classes: str | None = None,
                 disabled: bool = False) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.option_height = max(1, option_height)
        self._options: list[VirtualOption] = []
        self._hover: int | None = None
        #: (index, style, padding, width) -> the row's strips; cleared when the rows change
        self._renders: LRUCache[tuple, list[Strip]] = LRUCache(maxsize=256)
        self._rows_drawn = 0
        self._painted = False

    # -- the rows -------------------------------------------------------------------------

    @property
    def options(self) -> Sequence[VirtualOption]:
        return self._options

    @property
    def option_count(self) -> int:
        return len(self._options)

    def get_option_at_index(self, index: int) -> VirtualOption:
        return self._options[index]

    @property
    def rows_drawn(self) -> int:
        """How many times a row was made into lines since the rows were set (what a redraw
        found in its cache is not counted): 0 until the list is first drawn."""
        return self._rows_drawn

    @property
    def painted(self) -> bool:
        """Whether the list has been drawn on screen at least once (rows or not)."""
        return self._painted

    @property
    def highlighted_option(self) -> VirtualOption | None:
        index = self.highlighted
        return self._options[index] if index is not None else None

    def set_options(self, options: Sequence[VirtualOption]) -> None:
        """Replace every row (the highlight index is kept when still in range)."""
        self._options = list(options)
        self._renders.clear()
        self._rows_drawn = 0
        self._hover = None
        self._update_virtual_size()
        if self.highlighted is not None and self.highlighted >= len(self._options):
            self.highlighted = len(self._options) - 1 if self._options else None
        self.refresh()

    def clear_options(self) -> None:
        self.set_options([])

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width
        self.virtual_size = Size(width, len(self._options) * self.option_height)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._options) * self.option_height

    def on_resize(self, event: events.Resize) -> None:
        self._renders.clear()
        self._update_virtual_size()

    def notify_style_update(self) -> None:
        self._renders.clear()
        self.refresh()
        super().notify_style_update()

    # -- drawing --------------------------------------------------------------------------

    def _option_strips(self, index: int, component: str | None, width: int) -> list[Strip]:
        names = ("virtual-list--option", component) if component else ("virtual-list--option",)
        style = self.get_visual_style(*names)
        padding = self.get_component_styles("virtual-list--option").padding
        key = (index, style, padding, width)
        strips = self._renders.get(key)
        if strips is None:
            self._rows_drawn += 1
            visual = visualize(self, self._options[index].prompt, markup=False)
            if padding:
                visual = Padding(visual, padding)
            strips = visual.to_strips(self, visual, width, None, style)
            meta = {"option": index}
            strips = [strip.extend_cell_length(width, style.rich_style).apply_meta(meta)
                      for strip in strips[:self.option_height]]
            blank = Strip.blank(width, style.rich_style).apply_meta(meta)
            strips += [blank] * (self.option_height - len(strips))
            self._renders[key] = strips
        return strips

    def render_line(self, y: int) -> Strip:
        self._painted = True
        width = self.scrollable_content_region.width
        index, line = divmod(self.scroll_offset.y + y, self.option_height)
        if not 0 <= index < len(self._options):
            return Strip.blank(width, self.get_visual_style("virtual-list--option").rich_style)
        component = None
        if index == self.highlighted:
            component = "virtual-list--option-highlighted"
        elif index == self._hover:
            component = "virtual-list--option-hover"
        return self._option_strips(index, component, width)[line]

    def _refresh_option(self, index: int | None) -> None:
        if index is None:
            return
        top = index * self.option_height - self.scroll_offset.y
        self.refresh(Region(0, top, self.size.width, self.option_height))

    # -- the highlight --------------------------------------------------------------------

    def validate_highlighted(self, highlighted: int | None) -> int | None:
        if highlighted is None or not self._options:
            return None
        return max(0, min(highlighted, len(self._options) - 1))

    def watch_highlighted(self, old: int | None, highlighted: int | None) -> None:
        self._refresh_option(old)
        self._refresh_option(highlighted)
        if highlighted is None:
            return
        self.scroll_to_highlight()
        self.post_message(self.OptionHighlighted(self, self._options[highlighted], highlighted))

    def scroll_to_highlight(self, top: bool = False) -> None:
        highlighted = self.highlighted
        if highlighted is None or not self.is_mounted:
            return
        self.scroll_to_region(
            Region(0, highlighted * self.option_height, self.scrollable_content_region.width,
                   self.option_height),
            force=True, animate=False, top=top, immediate=True)

    def on_show(self) -> None:
        self.scroll_to_highlight()

    # -- keys and mouse -------------------------------------------------------------------

    def action_cursor_up(self) -> None:
        if not self._options:
            return
        current = self.highlighted
        self.highlighted = (len(self._options) - 1 if current is None or current == 0
                            else current - 1)

    def action_cursor_down(self) -> None:
        if not self._options:
            return
        current = self.highlighted
        self.highlighted = (0 if current is None or current == len(self._options) - 1
                            else current + 1)

    def action_first(self) -> None:
        if self._options:
            self.highlighted = 0

    def action_last(self) -> None:
        if self._options:
            self.highlighted = len(self._options) - 1

    def _move_page(self, direction: int) -> None:
        if not self._options:
            return
        # as OptionList: a page of lines from the highlighted row's first line
        lines = len(self._options) * self.option_height
        y = (self.highlighted or 0) * self.option_height
        y += direction * self.scrollable_content_region.height
        self.highlighted = max(0, min(y, lines - 1)) // self.option_height

    def action_page_up(self) -> None:
        if self.highlighted is None:
            self.action_first()
        else:
            self._move_page(-1)

    def action_page_down(self) -> None:
        if self.highlighted is None:
            self.action_last()
        else:
            self._move_page(1)

    def action_select(self) -> None:
        index = self.highlighted
        if index is not None:
            self.post_message(self.OptionSelected(self, self._options[index], index))

    async def _on_click(self, event: events.Click) -> None:
        index = event.style.meta.get("option")
        if index is not None and 0 <= index < len(self._options):
            self.highlighted = index
            self.action_select()

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(event.style.meta.get("option"))

    def _on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            old, self._hover = self._hover, index
            self._refresh_option(old)
            self._refresh_option(index)
