"""A `SelectionList` that shows where the keys act as soon as it is entered.

Entered by Tab, jump mode or a click, Textual's list highlights nothing until an arrow key is
pressed, so Space seems dead and the operator cannot tell which item it would tick. Here the
first item is highlighted when the list gets the focus with nothing highlighted.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import SelectionList


class Checklist(SelectionList[Any]):
    def on_focus(self, event: events.Focus) -> None:
        if self.highlighted is None and self.option_count:
            self.highlighted = 0
