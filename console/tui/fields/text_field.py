"""A field edited in one line of text, and the display-name field built on it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from console.tui.fields.frame import FieldFrame

#: LiveKit's limit for the caller-ID display name (same as console.api.models.DISPLAY_NAME_MAX,
#: repeated here so the first frame does not import pydantic).
DISPLAY_NAME_MAX = 128
#: the class `Input(compact=True)` toggles (Textual's name; frame.tcss styles it too)
COMPACT_CLASS = "-textual-compact"


def compact_input(value: str, **kwargs: Any) -> Input:
    """A compact `Input`, styled once: when it mounts.

    `Input(compact=True)` toggles its compact class in its constructor, and Textual restyles
    the new input (and its four component classes) on the spot, before it is mounted; the
    mount styles it again. Here the value and the class are set without a restyle: the mount
    applies the stylesheet anyway."""
    made = Input(value, **kwargs)
    made.set_reactive(Input.compact, True)
    made.add_class(COMPACT_CLASS, update=False)
    return made


class TextField(FieldFrame):
    """One compact `Input`. The value is the text as typed; '' means the API default."""

    placeholder: str = ""
    default: Any = ""

    def __init__(self, value: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = value

    def compose_body(self) -> ComposeResult:
        yield compact_input(self._initial, placeholder=self.placeholder,
                            id=f"{self.field_name}-input", select_on_focus=False)

    @property
    def input(self) -> Input:
        return self.query_one(f"#{self.field_name}-input", Input)

    @property
    def value(self) -> str:
        return self.input.value if self.is_mounted else self._initial

    def set_value(self, value: Any) -> None:
        text = "" if value is None else str(value)
        if not self.is_mounted:
            self._initial = text
            return
        if self.input.value == text:
            return
        self.input.value = text
        self.input.cursor_position = len(text)

    def is_default(self) -> bool:
        return self.value.strip() == str(self.default)

    def focus_input(self) -> None:
        self.input.focus()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.text_changed()

    def text_changed(self) -> None:
        """The text changed (typed, pasted or set); subclasses extend this."""
        self.emit_changed()

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()


class DisplayNameField(TextField):
    field_name = "display_name"
    label = "Display name"
    placeholder = "none (the API default)"
    help = (f"Caller-ID display name shown to the callee where the network carries it. "
            f"At most {DISPLAY_NAME_MAX} characters (the LiveKit limit). Empty sends null.")

    def note(self) -> Text:
        count = len(self.value)
        over = count > DISPLAY_NAME_MAX
        text = Text.assemble((f"{count}/{DISPLAY_NAME_MAX} characters", "bold" if over else ""))
        text.append(" · default: none")
        return text
