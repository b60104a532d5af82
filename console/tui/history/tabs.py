"""The History screen's tab strip: one line, `Calls  Audit`, the shown one highlighted.

One widget instead of Textual's TabbedContent (ten nodes and an underline row), so the first
switch to the screen mounts less and the 80x24 layout keeps its rows; the `a` key or a click
on a name switches.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static

from console.tui.css import stylesheet

#: (tab id, title)
TABS: tuple[tuple[str, str], ...] = (("calls", "Calls"), ("audit", "Audit"))


class ViewTabs(Static):
    DEFAULT_CSS = stylesheet(__file__)

    class Chosen(Message):
        """A tab's name was clicked."""

        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(self, active: str = "calls", **kwargs) -> None:
        super().__init__(**kwargs)
        self.active = active
        self._spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.show(self.active)

    def show(self, active: str) -> None:
        self.active = active
        text = Text()
        self._spans = []
        for tab, title in TABS:
            start = len(text)
            text.append(f" {title} ", style="bold reverse" if tab == active else "dim")
            self._spans.append((start, len(text), tab))
            text.append(" ")
        self.update(text)

    def on_click(self, event: events.Click) -> None:
        for start, end, tab in self._spans:
            if start <= event.x < end and tab != self.active:
                self.post_message(self.Chosen(tab))
