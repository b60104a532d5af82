"""One part of the Calls screen's detail pane (fields, timeline, request): a text drawn with the
Line API, line by line, that repaints only the lines a change touched.

The pane changes each time the cursor moves to another call and each time the selected call
changes, and a `Static` renders its whole text and repaints itself whole on every change (plus
a layout pass of the screen when asked). With 2,000 live calls that was most of the Calls
screen's frame time once the table drew only what changed. Here:

- the text is split at its newlines into blocks (one line of the text each, wrapped at the
  part's width exactly as a Static wraps it); a block is rendered only when one of its lines
  is drawn, and kept (by its place, text and styles) for the next change;
- `update()` repaints only the blocks that differ from the ones shown, and asks for a layout
  pass only when the part's size changes (another height at its width; for a part whose width
  follows its text, another width);
- lines look exactly as a Static draws them, text-selection offsets included; while a text
  selection is in the part, lines are drawn from the whole text, as a Static does.

`render()` returns the whole text (a `Content`), like a Static's.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from console.tui.css import stylesheet

BlockKey = tuple[str, tuple[Any, ...]]


def _key(block: Content) -> BlockKey:
    """What a block shows: its text and its styles (`Content ==` compares the text only)."""
    return block.plain, tuple(block.spans)


class DetailPart(Widget):
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, text: Text | str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text: Text | str = text
        self._content: Content | None = None      # the text as Content (needs the app)
        self._blocks: list[Content] = []
        self._keys: list[BlockKey] = []
        self._heights: tuple[int, list[int], list[int]] | None = None  # width, heights, starts
        self._strips: dict[tuple[int, BlockKey], list[Strip]] = {}  # rendered blocks
        self._strips_for: tuple[Any, ...] | None = None  # (width, styles) they were drawn at
        self._whole: tuple[Any, list[Strip]] | None = None  # while a selection is shown
        #: blocks rendered (tests count them)
        self.blocks_rendered = 0

    # -- the text --------------------------------------------------------------------------------

    @property
    def content(self) -> Content:
        if self._content is None:
            self._set_content(self._text)
        assert self._content is not None
        return self._content

    def _set_content(self, text: Text | str) -> None:
        if isinstance(text, Text):
            content = Content.from_rich_text(text, console=self.app.console)
        else:
            content = Content(text)
        self._content = content
        self._blocks = content.split("\n", allow_blank=True)
        self._keys = [_key(block) for block in self._blocks]
        self._heights = None
        self._whole = None

    def render(self) -> Content:
        return self.content

    def update(self, text: Text | str) -> None:
        """Show `text`: repaint the blocks that changed, lay out only when the size changes."""
        self._text = text
        if not self.is_mounted:
            self._content = None
            self.refresh(layout=True)
            return
        old_keys = self._keys
        old_starts = self._heights[2] if self._heights is not None else None
        size = self.size
        self._set_content(text)
        self.clear_cached_dimensions()
        if size.width <= 0 or old_starts is None:
            self.refresh(layout=True)
            return
        width = size.width
        if self.styles.width is not None and self.styles.width.is_auto:
            width = self.get_content_width(self.container_size, self.app.size)
        heights, starts = self._measure(width)
        if width != size.width or sum(heights) != size.height:
            self.refresh(layout=True)
            return
        changed = [
            Region(0, start, width, height)
            for index, (key, start, height) in enumerate(zip(self._keys, starts, heights))
            if index >= len(old_keys) or old_keys[index] != key or old_starts[index] != start]
        if changed:
            self.refresh(*changed)

    # -- size --------------------------------------------------------------------------------------

    def _measure(self, width: int) -> tuple[list[int], list[int]]:
        """Each block's height at `width` (at least one line: a blank line is one) and the
        line it starts on."""
        if self._heights is not None and self._heights[0] == width:
            return self._heights[1], self._heights[2]
        self.content  # noqa: B018 - make sure the blocks exist
        heights, starts, line = [], [], 0
        for block in self._blocks:
            height = max(1, block.get_height(self.styles, width))
            heights.append(height)
            starts.append(line)
            line += height
        self._heights = (width, heights, starts)
        return heights, starts

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self.content.get_optimal_width(self.styles, container.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not width:
            return 0
        return sum(self._measure(width)[0])

    # -- drawing -----------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.visual_style
        if self.text_selection is not None:
            return self._whole_line(y, width)
        drawn_at = (width, style, self.link_style)
        if drawn_at != self._strips_for:
            self._strips_for, self._strips = drawn_at, {}
        starts = self._measure(width)[1]
        index = bisect_right(starts, y) - 1
        if not 0 <= index < len(self._blocks):
            return Strip.blank(width, style.rich_style)
        key = (index, self._keys[index])
        strips = self._strips.get(key)
        if strips is None:
            strips = Visual.to_strips(self, self._blocks[index], width, None, style)
            if index:
                strips = [_on_line(strip, index) for strip in strips]
            self._strips[key] = strips
            self.blocks_rendered += 1
            if len(self._strips) > 4 * len(self._blocks) + 64:  # old blocks of other calls
                live = {(i, k) for i, k in enumerate(self._keys)}
                self._strips = {k: v for k, v in self._strips.items() if k in live}
        offset = y - starts[index]
        if offset < len(strips):
            return strips[offset]
        return Strip.blank(width, style.rich_style)

    def _whole_line(self, y: int, width: int) -> Strip:
        """A line of the whole text rendered at once (as a Static draws it, selection and
        all)."""
        key = (width, self.visual_style, self.link_style, self.text_selection)
        if self._whole is None or self._whole[0] != key:
            self._whole = (key, Visual.to_strips(self, self.content, width, None,
                                                 self.visual_style))
        lines = self._whole[1]
        if 0 <= y < len(lines):
            return lines[y]
        return Strip.blank(width, self.visual_style.rich_style)

    def selection_updated(self, selection: Any) -> None:
        self._whole = None
        self.refresh()


def _on_line(strip: Strip, line: int) -> Strip:
    """`strip` of a block rendered alone, with the text-selection offsets (`{"offset": (x, y)}`
    in its segments' meta, y = the line of the text) of the text's line `line`."""
    segments = []
    for text, style, control in strip:
        if style is not None:
            offset = style.meta.get("offset")
            if offset is not None:
                style = style + Style.from_meta({"offset": (offset[0], line)})
        segments.append(Segment(text, style, control))
    return Strip(segments, strip.cell_length)
