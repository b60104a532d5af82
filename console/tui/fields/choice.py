"""Fields with a fixed set of values (priority, media encryption): a Select of exactly those."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Select

from console.tui.fields.frame import FieldFrame

# The API's exact values (console.api.models has the same tuples; repeated so the first frame
# does not import pydantic). tests/tui check they agree.
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
MEDIA_ENCRYPTION_LEVELS: tuple[str, ...] = ("DISABLE", "ALLOW", "REQUIRE")


class ChoiceField(FieldFrame):
    choices: tuple[str, ...] = ()

    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = value or self.default

    def compose_body(self) -> ComposeResult:
        yield Select([(c, c) for c in self.choices], value=self._initial, allow_blank=False,
                     compact=True, id=f"{self.field_name}-input")

    @property
    def select(self) -> Select:
        return self.query_one(Select)

    @property
    def value(self) -> str:
        return str(self.select.value) if self.is_mounted else self._initial

    def set_value(self, value: Any) -> None:
        value = value or self.default
        if not self.is_mounted:
            self._initial = value
        elif self.select.value != value:
            self.select.value = value

    def focus_input(self) -> None:
        self.select.focus()

    def note(self) -> Text:
        return Text(f"default {self.default}")

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.emit_changed()


class PriorityField(ChoiceField):
    field_name = "priority"
    label = "Priority"
    default = "normal"
    choices = PRIORITIES
    help = "Call priority: exactly low, normal, high or urgent (case-sensitive)."


class MediaEncryptionField(ChoiceField):
    field_name = "media_encryption"
    label = "Media encryption"
    default = "ALLOW"
    choices = MEDIA_ENCRYPTION_LEVELS
    help = ("SIP media encryption (SRTP): DISABLE never encrypts, ALLOW encrypts when the other "
            "side can, REQUIRE fails the call unless it is encrypted.")
