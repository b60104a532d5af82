"""Ask which agent to watch: a UUID, a saved profile name, or an agent name the server gave.

Dismisses with the agent's UUID (canonical form), or None. Watching only reads the agent's
call list; it never places or changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings


def resolve_agent(raw: str, lookup: Callable[[str], str | None]) -> tuple[str | None, str]:
    """(agent_id, message). `lookup(name)` maps a saved or known agent name to its UUID."""
    text = raw.strip()
    if not text:
        return None, "type an agent UUID or the name of a saved agent"
    try:
        return str(UUID(text)), ""
    except ValueError:
        pass
    found = lookup(text)
    if found:
        return found, f"{text} → {found}"
    return None, f"{text!r} is neither a UUID nor a saved or known agent name"


class WatchAgentScreen(ConsoleModal[str | None]):
    DEFAULT_CSS = stylesheet(__file__)

    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, lookup: Callable[[str], str | None], *, names: list[str] | None = None):
        super().__init__()
        self.lookup = lookup
        self.names = names or []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Watch an agent's calls", classes="title")
            yield Static(Text("Calls this agent places from anywhere (other operators, the CLI, "
                              "scripts) will show up in the Calls table. Only reads its call "
                              "list."))
            hint = f"known: {', '.join(self.names[:8])}" if self.names else ""
            yield Input(placeholder="agent UUID or saved agent name", id="watch-input", compact=True)
            yield Static(Text(hint), id="watch-check")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Watch", id="watch", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#watch-input", Input).focus()

    def _submit(self) -> None:
        agent_id, message = resolve_agent(self.query_one("#watch-input", Input).value,
                                          self.lookup)
        check = self.query_one("#watch-check", Static)
        if agent_id is None:
            check.add_class("-error")
            check.update(Text(message))
            return
        self.dismiss(agent_id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "watch":
            self._submit()
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
