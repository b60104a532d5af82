"""The frame every request field sits in: label, input widget(s), a note line and an error line.

A field knows its request name, its API default and its help text; it reports edits with
`FieldFrame.Changed` and is told its problems (client checks or the server's 422) from above.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, Static

from console.tui.css import stylesheet

CHANGED_MARK = "●"


class FieldFrame(Widget):
    """Base class of the form's fields. Subclasses implement `compose_body` and the value API."""

    DEFAULT_CSS = stylesheet(__file__)

    #: request field name (`to_number`, `custom_headers`, ...)
    field_name: ClassVar[str] = ""
    label: str = ""
    #: shown as the tooltip now and by F1 help later
    help: str = ""
    required: bool = False

    changed: reactive[bool] = reactive(False)

    class Changed(Message):
        """The operator (or a reset/undo) changed this field's value."""

        def __init__(self, frame: FieldFrame) -> None:
            super().__init__()
            self.frame = frame

        @property
        def control(self) -> FieldFrame:
            return self.frame

    def __init__(self, *, label: str | None = None, help: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id or f"field-{self.field_name}", classes=classes)
        if label is not None:
            self.label = label
        if help is not None:
            self.help = help
        self.tooltip = self.help or None
        self._problems: list[str] = []
        self._problems_shown = False
        self._shown_note: Text | None = None

    # -- composition ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):  # the input widgets sit beside the label
            yield Label(self._label_text(), classes="field-label")
            yield from self.compose_body()
        self._shown_note = self.note()
        yield Static(self._shown_note, classes="field-note")
        # The error line (.field-error) is mounted with the first problem: most fields never
        # have one, and every node of the form costs start-up time.

    def compose_body(self) -> ComposeResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _label_text(self) -> Text:
        mark = CHANGED_MARK if self.changed else " "
        text = Text(f"{mark} {self.label}")
        if self.required:
            text.append(" *", style="bold")
        return text

    def watch_changed(self, changed: bool) -> None:
        self.set_class(changed, "-changed")
        if self.is_mounted:
            self.query_one(".field-label", Label).update(self._label_text())

    # -- value API (subclasses) -------------------------------------------------------------

    @property
    def value(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def set_value(self, value: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    #: the raw value that means "API default" (None for required fields)
    default: Any = None

    def is_default(self) -> bool:
        return self.value == self.default

    def focus_input(self) -> None:
        """Focus the field's main input (first bad field after a 422)."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    # -- note and problems ------------------------------------------------------------------

    def note(self) -> Text:
        """The dim line under the input: the default and any live information."""
        return Text("")

    def refresh_note(self) -> None:
        if not self.is_mounted:
            return
        note = self.note()
        if note != self._shown_note:  # unchanged text: no re-layout on every keystroke
            self._shown_note = note
            self.query_one(".field-note", Static).update(note)

    def set_problems(self, problems: Iterable[Any]) -> None:
        """Show messages (FieldProblem or str) under the field; an empty list clears them."""
        messages = [str(getattr(p, "message", p)) for p in problems]
        if messages == self._problems and self._problems_shown:
            return
        self._problems = messages
        self.set_class(bool(self._problems), "-error")
        if self.is_mounted:
            self._problems_shown = True
            text = Text()
            for index, message in enumerate(self._problems):
                if index:
                    text.append("\n")
                text.append(f"✗ {message}")
            found = self.query_children(".field-error")
            if found:
                found.first(Static).update(text)
            elif self._problems:
                self.mount(Static(text, classes="field-error", markup=False))  # after the note

    @property
    def problems(self) -> list[str]:
        return list(self._problems)

    @property
    def error_text(self) -> str:
        return "\n".join(self._problems)

    def emit_changed(self) -> None:
        self.refresh_note()
        self.post_message(self.Changed(self))
