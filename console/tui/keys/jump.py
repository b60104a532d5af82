"""Jump mode: one key shows a letter on every focusable area; pressing a letter focuses it.

The overlay is a transparent modal screen over the current one. Targets are that screen's
focus chain (whatever can take the focus right now and is on screen), so any screen and any
widget gets jump mode without registering anything. Escape (or any key without a letter)
leaves jump mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import ComposeResult
from textual.geometry import Offset, Region
from textual.widgets import Label
from console.tui.dialogs.modal import ConsoleModal

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget

#: home row first, then the rest of the alphabet, then digits
LETTERS = "asdfghjklqwertyuiopzxcvbnm1234567890"


@dataclass
class JumpTarget:
    letter: str
    widget: Widget
    region: Region


def jump_targets(screen: Screen[Any]) -> list[JumpTarget]:
    """Every focusable widget of `screen` that is visible, with a letter each (screen order)."""
    from textual.errors import NoWidget

    visible = screen.region
    found: list[tuple[Region, Widget]] = []
    for widget in screen.focus_chain:
        try:
            region = screen.find_widget(widget).region
        except (NoWidget, Exception):  # noqa: BLE001 - not on screen (scrolled away, hidden)
            continue
        region = region.intersection(visible)
        if not region.area:
            continue
        found.append((region, widget))
    found.sort(key=lambda item: (item[0].y, item[0].x))
    return [JumpTarget(letter, widget, region)
            for letter, (region, widget) in zip(LETTERS, found)]


class JumpLabel(Label):
    DEFAULT_CSS = """
    JumpLabel {
        position: absolute;
        width: auto;
        height: 1;
        padding: 0 1;
        background: $jump-label-background;
        color: $jump-label-foreground;
        text-style: bold;
    }
    """


class JumpOverlay(ConsoleModal["Widget | None"]):
    """Letters over the screen below; dismisses with the chosen widget (None: cancelled)."""

    DEFAULT_CSS = """
    JumpOverlay {
        background: $background 0%;
    }
    JumpOverlay #jump-hint {
        dock: bottom;
        width: 100%;
        height: 1;
        background: $jump-label-background;
        color: $jump-label-foreground;
        text-style: bold;
        padding: 0 1;
    }
    """

    def __init__(self, targets: list[JumpTarget]) -> None:
        super().__init__()
        self.targets = targets
        self._by_letter = {t.letter: t for t in targets}

    def compose(self) -> ComposeResult:
        for target in self.targets:
            label = JumpLabel(target.letter, id=f"jump-{target.letter}")
            x = max(0, target.region.x - 1) if target.region.x >= 3 else target.region.x
            label.styles.offset = Offset(x, target.region.y)
            yield label
        yield Label("Jump: press a letter to move the focus there · esc cancel", id="jump-hint")

    async def on_key(self, event: events.Key) -> None:
        event.stop()
        event.prevent_default()
        target = self._by_letter.get((event.character or "").lower())
        self.dismiss(target.widget if target is not None else None)

    def on_click(self, event: events.Click) -> None:
        self.dismiss(None)
