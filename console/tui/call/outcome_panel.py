"""The Call screen's result area: what the last send did, and the calls placed this session.

States (CSS classes): -busy (sending / waiting for the answer), -ok, -error, -unknown (the
unmistakable outcome-unknown banner with its Reconcile action). All text from the server is
put in `rich.text.Text`, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from console.tui.css import stylesheet
from console.tui.keys import CALL_RECONCILE, CALL_STOP_WAITING

STATES = ("-idle", "-busy", "-ok", "-error", "-unknown", "-info")


class OutcomePanel(Vertical):
    DEFAULT_CSS = stylesheet(__file__)

    def compose(self) -> ComposeResult:
        yield Static("", id="outcome-text", markup=False)
        with Horizontal(id="outcome-actions"):
            yield Button(f"Reconcile ({CALL_RECONCILE.key})", id="reconcile", variant="warning",
                         compact=True, action="screen.reconcile")
            yield Button(f"Stop waiting ({CALL_STOP_WAITING.key})", id="stop-waiting",
                         compact=True, action="screen.stop_waiting")
        yield Static("", id="tracked", markup=False)

    def on_mount(self) -> None:
        self.add_class("-no-tracked")
        self.set_state("-idle")

    @property
    def state(self) -> str:
        for state in STATES:
            if self.has_class(state):
                return state
        return "-idle"

    @property
    def text(self) -> str:
        """The outcome text as shown (plain)."""
        return self._text.plain

    _text: Text = Text("")

    def set_state(self, state: str, text: Text | str = "", *, waiting: bool = False) -> None:
        self.remove_class(*STATES)
        self.add_class(state)
        self.set_class(waiting, "-waiting")
        self._text = text if isinstance(text, Text) else Text(text)
        self.query_one("#outcome-text", Static).update(self._text)

    def show_tracked(self, lines: Sequence[Text]) -> None:
        tracked = self.query_one("#tracked", Static)
        self.set_class(not lines, "-no-tracked")
        if not lines:
            tracked.update("")
            tracked.display = False
            return
        tracked.display = True
        out = Text.assemble((f"Tracked this session ({len(lines)}): ", "bold"))
        for index, line in enumerate(lines[-3:]):
            if index:
                out.append("\n  ")
            out.append_text(line)
        tracked.update(out)
