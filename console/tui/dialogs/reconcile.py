"""Pick which call an unknown attempt placed, when the agent's call list holds several matches.

Dismisses with the chosen call (a CallStatus) or None. Never places or resends anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.api.safe_text import visible
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

#: Longest server value shown in a candidate's line.
VALUE_LIMIT = 80


def call_line(call: Any) -> Text:
    """One candidate call as plain server text (never markup, control characters visible)."""

    def shown(value: Any) -> str:
        return visible(str(value), VALUE_LIMIT)

    text = Text.assemble((shown(call.call_id), "bold"))
    text.append(f"  {shown(call.status)}  to {shown(call.to_number)}  from "
                f"{shown(call.from_number or '—')}  started {shown(call.started_at or '?')}")
    return text


class ReconcileScreen(ConsoleModal[Any]):
    DEFAULT_CSS = """
    ReconcileScreen {
        align: center middle;
    }
    ReconcileScreen > Vertical {
        width: 110;
        max-width: 98%;
        height: auto;
        max-height: 90%;
        border: thick $warning;
        background: $surface;
        padding: 1 2;
    }
    ReconcileScreen .title {
        text-style: bold;
    }
    ReconcileScreen OptionList {
        height: auto;
        max-height: 12;
        margin: 1 0;
    }
    ReconcileScreen .buttons {
        height: auto;
        align-horizontal: right;
    }
    """

    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, matches: Sequence[Any]) -> None:
        super().__init__()
        self.matches = list(matches)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{len(self.matches)} calls match the unknown attempt", classes="title")
            yield Static("The same number was dialled by this agent more than once within "
                         "seconds. Pick the call this attempt placed to track it, or close "
                         "to decide later. Nothing is sent.")
            yield OptionList(*[Option(call_line(c), id=str(i)) for i, c in enumerate(self.matches)])
            with Horizontal(classes="buttons"):
                yield Button("Close", id="close")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.matches[int(event.option.id or 0)])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
