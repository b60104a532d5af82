"""A yes/no modal. Dismisses with True (confirm) or False (cancel, escape)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings


class ConfirmScreen(ConsoleModal[bool]):
    #: the first focus (not a query in on_mount: a dialog closed while it mounts has no
    #: children left when its Mount is handled)
    AUTO_FOCUS = "#cancel"

    DEFAULT_CSS = stylesheet(__file__)
    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, title: str, body: Text | str, *, confirm: str = "Yes",
                 cancel: str = "Cancel", purpose: str | None = None) -> None:
        super().__init__()
        #: what the question is about (the app's quit key answers its own question: "quit")
        self.purpose = purpose
        self._title, self._body = title, body
        self._confirm, self._cancel = confirm, cancel

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), classes="confirm-title")
            yield Static(self._body if isinstance(self._body, Text) else Text(self._body))
            with Horizontal(classes="confirm-buttons"):
                yield Button(self._cancel, id="cancel")
                yield Button(self._confirm, id="confirm", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_close(self) -> None:
        self.dismiss(False)
