"""Choose the Calls table's columns and their order for the width the console has now.

A list of every column: checked ones are shown, top to bottom is left to right. Space checks or
unchecks the highlighted column, Ctrl+Up / Ctrl+Down (or [ and ]) move it, Enter saves, Escape
cancels. The choice is for the width range the terminal is in now (e.g. "from 0 to 119
columns"); the other ranges keep theirs. Dismisses with the new layouts (all ranges), or None.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from console.tui.calls.columns import COLUMN_HELP, SPECS
from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

Layouts = list[tuple[int, tuple[str, ...]]]


def width_range(layouts: Layouts, tier: int) -> str:
    """'from 120 columns' / 'up to 119 columns' / 'from 100 to 159 columns'."""
    start = layouts[tier][0]
    end = layouts[tier + 1][0] - 1 if tier + 1 < len(layouts) else None
    if end is None:
        return f"from {start} columns" if start else "at every width"
    return f"from {start} to {end} columns" if start else f"up to {end} columns"


class ColumnList(SelectionList[str]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+up,left_square_bracket", "move(-1)", "Move up", show=False),
        Binding("ctrl+down,right_square_bracket", "move(1)", "Move down", show=False),
        Binding("enter", "screen.save", "Save", show=False),  # space checks a column
    ]

    def action_move(self, step: int) -> None:
        index = self.highlighted
        if index is None:
            return
        target = index + step
        if not 0 <= target < self.option_count:
            return
        chosen = set(self.selected)
        order = [self.get_option_at_index(i).value for i in range(self.option_count)]
        order[index], order[target] = order[target], order[index]
        self.clear_options()
        self.add_options([_selection(key, key in chosen) for key in order])
        self.highlighted = target

    @property
    def chosen(self) -> tuple[str, ...]:
        """The checked columns, in list order."""
        picked = set(self.selected)
        order = [self.get_option_at_index(i).value for i in range(self.option_count)]
        return tuple(key for key in order if key in picked)


def _selection(key: str, shown: bool) -> Selection[str]:
    prompt = Text(f"{SPECS[key].label:<12}", style="bold")
    prompt.append(COLUMN_HELP[key], style="dim")
    return Selection(prompt, key, shown, id=key)


class ColumnChooserScreen(ConsoleModal["Layouts | None"]):
    DEFAULT_CSS = stylesheet(__file__)
    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, layouts: Layouts, tier: int) -> None:
        super().__init__()
        self.layouts = list(layouts)
        self.tier = tier

    def compose(self) -> ComposeResult:
        shown = self.layouts[self.tier][1]
        hidden = [key for key in SPECS if key not in shown]
        with Vertical():
            yield Label(f"Calls table columns ({width_range(self.layouts, self.tier)})",
                        classes="title")
            yield Static(Text("Space shows or hides a column; Ctrl+↑/↓ or [ ] move it "
                              "(top = left). Enter saves to config.toml, Escape cancels."),
                         id="columns-help")
            yield ColumnList(*[_selection(key, True) for key in shown],
                             *[_selection(key, False) for key in hidden], id="columns-list")
            yield Static("", id="columns-check")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one(ColumnList).focus()

    def action_save(self) -> None:
        chosen = self.query_one(ColumnList).chosen
        if not chosen:
            check = self.query_one("#columns-check", Static)
            check.add_class("-error")
            check.update(Text("Show at least one column."))
            return
        layouts = list(self.layouts)
        layouts[self.tier] = (layouts[self.tier][0], chosen)
        self.dismiss(layouts)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
