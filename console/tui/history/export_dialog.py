"""`x` on the History screen: write exactly what the filters select to a file.

The file name decides the format (`.csv`, `.json`, `.jsonl`; CSV otherwise). The path goes
through the session's exchange-folder rule (in an SSH session only the operator's folder), and
the file is written atomically, never through a link (`write_named_file`). Dismisses with the
typed path, or None when cancelled; the screen does the writing in a thread.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings


def default_export_name(now: datetime) -> str:
    return f"calls-{now.astimezone():%Y-%m-%d-%H%M}.csv"


class ExportScreen(ConsoleModal[str | None]):
    DEFAULT_CSS = stylesheet(__file__)
    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, count: int, initial: str, notice: str | None = None) -> None:
        super().__init__()
        self.count, self.initial, self.notice = count, initial, notice

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Export {self.count:,} call{'s' if self.count != 1 else ''}"),
                        classes="export-title")
            yield Static(Text("Exactly what the filters show. The suffix picks the format: "
                              ".csv, .json or .jsonl. No token or request is ever written.",
                              style="dim"))
            if self.notice:
                yield Static(Text(self.notice), classes="export-notice")
            yield Input(self.initial, id="export-path")
            yield Static("", id="export-problem")
            with Horizontal(classes="export-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def problem(self, message: str) -> None:
        """Shown under the path (a refused or unwritable file): the dialog stays open."""
        self.query_one("#export-problem", Static).update(Text(message, style="red"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        typed = self.query_one("#export-path", Input).value.strip()
        if not typed:
            self.problem("give a file name")
            return
        self.dismiss(typed)

    def action_close(self) -> None:
        self.dismiss(None)
