"""The key bar at the bottom of every console screen: the keys of the focused context.

One widget that renders the screen's active bindings as a line of text. Textual's `Footer`
builds a widget per key and fills them in a frame after the first; this bar paints with the
first frame at a fraction of the cost (time to first frame is a target, design.md §5). It
reads the same `screen.active_bindings`, so it shows exactly what the keys do, remapped keys
included. When the line is too narrow, whole keys are left out from the end (never half a
label) and a `…` says so; the quit key is never left out, and the command palette key always
stays on the right.

A click on a key presses it; hovering shows its tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

from console.tui.css import stylesheet

#: the palette key's separator from the keys on its left
PALETTE_EDGE = "▏"
MORE = "…"
#: actions whose keys stay on a bar too narrow for every key (after the `…`)
PINNED_ACTIONS = frozenset({"quit"})


@dataclass(frozen=True)
class FooterItem:
    """One clickable entry of the bar: a key (or a group of keys) and its description."""

    keys: tuple[str, ...]      # the keys pressed by a click (a group: one per key shown)
    displays: tuple[str, ...]  # how each key is shown (the keymap's key, Textual's names)
    description: str
    enabled: bool
    tooltip: str
    pinned: bool = False  # kept when the bar is too narrow for every key


@dataclass(frozen=True)
class _Placed:
    item_index: int  # -1: the command palette's entry
    key_index: int   # which key of a group this span presses
    start: int
    end: int


def footer_items(screen, app) -> tuple[list[FooterItem], FooterItem | None]:
    """The bar's entries for `screen` (in binding order, one per action, grouped keys
    together) and the command palette's entry."""
    shown: dict[str, tuple[Binding, bool, str]] = {}
    active = screen.active_bindings
    for _node, binding, enabled, tooltip in active.values():
        if binding.show and binding.action not in shown:
            shown[binding.action] = (binding, enabled, tooltip)
    items: list[FooterItem] = []
    for group, members in groupby(shown.values(), key=lambda entry: entry[0].group):
        members = list(members)
        if group is not None and len(members) > 1:
            items.append(FooterItem(
                keys=tuple(b.key for b, _, _ in members),
                displays=tuple(app.get_key_display(b) for b, _, _ in members),
                description=group.description,
                enabled=any(enabled for _, enabled, _ in members),
                tooltip=" · ".join(tip or b.description for b, _, tip in members)))
            continue
        for binding, enabled, tooltip in members:
            items.append(FooterItem((binding.key,), (app.get_key_display(binding),),
                                    binding.description, enabled,
                                    tooltip or binding.tooltip or binding.description,
                                    pinned=binding.action in PINNED_ACTIONS))
    palette = None
    if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
        _node, binding, enabled, tooltip = active[app.COMMAND_PALETTE_BINDING]
        palette = FooterItem((binding.key,), (app.get_key_display(binding),),
                             binding.description, enabled,
                             tooltip or binding.tooltip or binding.description)
    return items, palette


class KeyFooter(Widget, can_focus=False):
    DEFAULT_CSS = stylesheet(__file__)
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--hover",
                         "key-footer--edge"}
    ALLOW_SELECT = False

    #: narrow terminals: no padding around the keys, so more of them fit
    compact: reactive[bool] = reactive(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._items: dict[int, FooterItem | None] = {}
        self._placed: list[_Placed] = []
        self._hover: tuple[int, int] | None = None  # (item index, key index) under the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        if screen is self.screen:
            self.refresh()

    # -- rendering --------------------------------------------------------------------------

    def render(self) -> Text:
        items, palette = footer_items(self.screen, self.app)
        styles = {name: self.get_component_rich_style(f"key-footer--{name}")
                  for name in ("key", "description", "hover", "edge")}
        pieces = [self._item_text(index, item, styles) for index, item in enumerate(items)]
        right = self._item_text(-1, palette, styles) if palette is not None else None
        room = self.size.width - (len(PALETTE_EDGE) + len(right[0]) if right else 0)

        shown, pinned, more = list(range(len(pieces))), [], MORE
        if sum(len(text) for text, _ in pieces) > room:
            # leave out whole keys from the end, say so with `…`, and keep the pinned ones
            pinned = [i for i, item in enumerate(items) if item.pinned]
            more = MORE + (" " if pinned and self.compact else "")  # compact keys have no lead
            left = room - len(more) - sum(len(pieces[i][0]) for i in pinned)
            shown = []
            for index, (text, _spans) in enumerate(pieces):
                if index in pinned:
                    continue
                if len(text) > left:
                    break
                shown.append(index)
                left -= len(text)

        line = Text(no_wrap=True, overflow="crop", end="")
        placed: list[_Placed] = []

        def put(text: Text, spans: list[_Placed]) -> None:
            offset = len(line)
            placed.extend(_Placed(p.item_index, p.key_index, p.start + offset, p.end + offset)
                          for p in spans)
            line.append_text(text)

        for index in shown:
            put(*pieces[index])
        if len(shown) < len(pieces):
            line.append(more, style=styles["description"])
            for index in pinned:
                put(*pieces[index])
        if right is not None:
            line.append(" " * max(0, room - len(line)))
            line.append(PALETTE_EDGE, style=styles["edge"])
            put(*right)
        self._items = {**dict(enumerate(items)), -1: palette}
        self._placed = placed
        return line

    def _item_text(self, index: int, item: FooterItem,
                   styles: dict[str, Style]) -> tuple[Text, list[_Placed]]:
        """`item` as text starting at column 0, and the columns each of its keys covers.

        Wide: ` ^s Send ` (the key on its own background). Compact: `^s Send `. A group:
        ` f2 f3 f4 f5 Views `, each key clickable on its own."""
        dim = Style(dim=not item.enabled)
        key_style, text_style = styles["key"] + dim, styles["description"] + dim
        text = Text(end="")
        spans: list[_Placed] = []
        last = len(item.displays) - 1
        for key_index, display in enumerate(item.displays):
            start = len(text)
            # every space sits in a segment with text (an SVG export drops whitespace-only
            # segments, and a screen's text should read "^s Send", not "^sSend")
            lead = "" if self.compact and key_index == 0 else " "
            tail = " " if key_index == last and not self.compact else ""
            text.append(f"{lead}{display}{tail}", style=key_style)
            spans.append(_Placed(index, key_index, start, len(text)))
        description = f" {item.description} " if self.compact else f"{item.description} "
        text.append(description if item.description else (" " if self.compact else ""),
                    style=text_style)
        spans[-1] = _Placed(index, spans[-1].key_index, spans[-1].start, len(text))
        hover = self._hover
        if hover is not None and hover[0] == index:
            span = spans[hover[1]]
            text.stylize(styles["hover"], span.start, span.end)
        return text, spans

    # -- mouse ------------------------------------------------------------------------------

    def _at(self, x: int) -> tuple[FooterItem, int, tuple[int, int]] | None:
        for placed in self._placed:
            item = self._items.get(placed.item_index)
            if item is not None and placed.start <= x < placed.end:
                return item, placed.key_index, (placed.item_index, placed.key_index)
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        found = self._at(event.x)
        hover = found[2] if found else None
        if hover != self._hover:
            self._hover = hover
            self.tooltip = found[0].tooltip if found else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        found = self._at(event.x)
        if found is None:
            return
        event.stop()
        item, key_index, _ = found
        if item.enabled:
            self.app.simulate_key(item.keys[key_index])
        else:
            self.app.bell()

    def watch_compact(self) -> None:
        self.refresh()

    def keys_shown(self) -> list[str]:
        """The keys on the bar as last drawn, left to right (the palette's last)."""
        return [key for key, _start, _end in self._drawn()]

    def columns_of(self, key: str) -> tuple[int, int] | None:
        """The columns [start, end) a click on `key` covers, as last drawn."""
        return next(((start, end) for shown, start, end in self._drawn() if shown == key), None)

    def _drawn(self) -> list[tuple[str, int, int]]:
        return [(item.keys[p.key_index], p.start, p.end) for p in self._placed
                if (item := self._items.get(p.item_index)) is not None]
