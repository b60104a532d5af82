"""Transfer a live call: target (`tel:+E164`, `sip:user@host` or a number, checked as it is
typed with `console.calls.transfer_target`), cold or warm, dial tone.

Dismisses with a `TransferRequest`, or None when cancelled. Sends nothing itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from console.api.safe_text import visible
from console.tui.calls.calls_filter import MarkCheckbox
from console.tui.calls.status_style import status_text
from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

if TYPE_CHECKING:
    from console.tracker import TrackedCall


def check_target(raw: str, region: str) -> tuple[str | None, str | None]:
    """(uri, None) when `raw` is a usable target, (None, message) otherwise."""
    from console.calls.transfer_target import transfer_target

    if not raw.strip():
        return None, "required: tel:+E164, sip:user@host, or a phone number"
    try:
        return transfer_target(raw, region), None
    except ValueError as exc:
        return None, str(exc)


class TransferScreen(ConsoleModal[Any]):
    DEFAULT_CSS = stylesheet(__file__)

    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, call: TrackedCall, *, region: str = "US", number_label: str = "") -> None:
        super().__init__()
        self.call = call
        self.number_region = region
        self.number_label = number_label or call.to_number
        self.uri: str | None = None

    def compose(self) -> ComposeResult:
        call = self.call
        with Vertical():
            yield Label("Transfer the call", classes="title")
            line = Text.assemble(status_text(call.status), "  to ", self.number_label,
                                 "  ", (visible(call.call_id, 64), "dim"))
            yield Static(line, id="transfer-call")
            yield Static(Text(f"The call is {call.status!r}, not answered: the API refuses to "
                              "transfer it (409) unless it is answered."), id="transfer-warning",
                         classes="" if call.status != "answered" else "-hidden")
            yield Label("Transfer to")
            yield Input(placeholder="tel:+14155550123, sip:agent@example.com or a number",
                        id="transfer-target", compact=True)
            yield Static(Text("required: tel:+E164, sip:user@host, or a phone number"),
                         id="transfer-check", classes="-error")
            yield Select([("Cold: hand the call over at once", "cold"),
                          ("Warm: the agent briefs the target first", "warm")],
                         value="cold", allow_blank=False, id="transfer-type", compact=True)
            yield MarkCheckbox("Play a dial tone while transferring", id="transfer-dialtone",
                               compact=True)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Transfer", id="transfer", variant="warning", disabled=True,
                             compact=True)

    def on_mount(self) -> None:
        self.query_one("#transfer-target", Input).focus()

    @on(Input.Changed, "#transfer-target")
    def _target_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._check(event.value)

    def _check(self, raw: str) -> None:
        uri, message = check_target(raw, self.number_region)
        self.uri = uri
        check = self.query_one("#transfer-check", Static)
        check.set_class(uri is None, "-error")
        check.set_class(uri is not None, "-ok")
        check.update(Text(f"→ {uri}") if uri else Text(message or ""))
        self.query_one("#transfer", Button).disabled = uri is None

    @on(Input.Submitted, "#transfer-target")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check(event.value)
        if self.uri is not None:
            self._done()

    @property
    def transfer_type(self) -> str:
        return "warm" if self.query_one("#transfer-type", Select).value == "warm" else "cold"

    def _done(self) -> None:
        from console.api.models import TransferRequest

        if self.uri is None:
            return
        self.dismiss(TransferRequest(
            transfer_to=self.uri, transfer_type=self.transfer_type,
            play_dialtone=self.query_one("#transfer-dialtone", MarkCheckbox).value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "transfer":
            self._done()
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
