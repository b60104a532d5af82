"""On/off request fields (Krisp, wait until answered, dial tone, hide phone number)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Label, Switch

from console.tui.fields.frame import FieldFrame


class SwitchField(FieldFrame):
    DEFAULT_CSS = """
    SwitchField Switch {
        border: none;
        padding: 0;
        height: 1;
        background: $boost;
    }
    SwitchField Switch:focus {
        background: $surface-lighten-1;
        border: none;
    }
    SwitchField .switch-state {
        margin-left: 1;
        width: auto;
    }
    """

    default: bool = False

    def __init__(self, value: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = self.default if value is None else bool(value)

    def compose_body(self) -> ComposeResult:
        yield Switch(self._initial, id=f"{self.field_name}-input")
        yield Label(self._state_text(self._initial), classes="switch-state")

    @staticmethod
    def _state_text(on: bool) -> str:
        return "on" if on else "off"

    @property
    def switch(self) -> Switch:
        return self.query_one(Switch)

    @property
    def value(self) -> bool:
        return self.switch.value if self.is_mounted else self._initial

    def set_value(self, value: Any) -> None:
        value = self.default if value is None else bool(value)
        if not self.is_mounted:
            self._initial = value
        elif self.switch.value != value:
            self.switch.value = value

    def focus_input(self) -> None:
        self.switch.focus()

    def note(self) -> Text:
        return Text(f"default {self._state_text(self.default)}")

    @on(Switch.Changed)
    def _changed(self, event: Switch.Changed) -> None:
        event.stop()
        self.query_one(".switch-state", Label).update(self._state_text(event.value))
        self.emit_changed()


class KrispField(SwitchField):
    field_name = "krisp_enabled"
    label = "Krisp"
    default = True
    help = "Krisp noise cancellation on the agent's audio."


class WaitAnsweredField(SwitchField):
    field_name = "wait_until_answered"
    label = "Wait until answered"
    default = False
    help = ("Wait until answered: the request returns only once the callee answers (or the "
            "ringing timeout passes). The form shows the wait and lets you stop waiting, which "
            "does not hang up the call.")


class DialtoneField(SwitchField):
    field_name = "play_dialtone"
    label = "Play dial tone"
    default = False
    help = "Play a dial tone to the agent while the call connects."


class HideNumberField(SwitchField):
    field_name = "hide_phone_number"
    label = "Hide phone number"
    default = False
    help = ("Hide phone number: hides the callee's number from the LiveKit participant "
            "attributes (what the agent and room see). It is NOT caller-ID withholding: the "
            "callee still sees your caller ID.")
