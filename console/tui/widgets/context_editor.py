"""The context field: a JSON editor whose text must parse to an object (errors with line/column)."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import TextArea

from console.tui.widgets.field_frame import FieldFrame


def _json_language() -> str | None:
    """'json' when tree-sitter highlighting is installed, else plain text."""
    try:
        from textual._tree_sitter import TREE_SITTER
    except ImportError:  # pragma: no cover - private module moved
        return None
    return "json" if TREE_SITTER else None


class ContextField(FieldFrame):
    field_name = "context"
    label = "Context"
    default = ""
    help = ("Free-form metadata handed to the agent: a JSON object of any depth, e.g. "
            '{"patient": "Ada", "visit": {"day": "Tue"}}. Empty sends {}. Lists, strings and '
            "numbers are rejected; parse errors give the line and column.")

    DEFAULT_CSS = """
    ContextField TextArea {
        height: 5;
        width: 1fr;
        background: $boost;
    }
    ContextField TextArea:focus {
        background: $surface-lighten-1;
    }
    """

    def __init__(self, value: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._initial = value

    def compose_body(self) -> ComposeResult:
        yield TextArea(self._initial, language=_json_language(), compact=True, soft_wrap=False,
                       show_line_numbers=True, id="context-input", tab_behavior="focus")

    @property
    def editor(self) -> TextArea:
        return self.query_one("#context-input", TextArea)

    @property
    def value(self) -> str:
        return self.editor.text if self.is_mounted else self._initial

    def set_value(self, value: Any) -> None:
        if isinstance(value, dict):
            value = json.dumps(value, indent=2) if value else ""
        text = "" if value is None else str(value)
        if not self.is_mounted:
            self._initial = text
        elif self.editor.text != text:
            self.editor.load_text(text)

    def is_default(self) -> bool:
        text = self.value.strip()
        if not text:
            return True
        try:
            return json.loads(text) == {}
        except ValueError:
            return False

    def focus_input(self) -> None:
        self.editor.focus()

    def note(self) -> Text:
        text = self.value.strip()
        if not text:
            return Text("a JSON object · default {} (empty)")
        try:
            value = json.loads(text)
        except ValueError:
            return Text("a JSON object")
        if isinstance(value, dict):
            return Text(f"object with {len(value)} key{'s' if len(value) != 1 else ''}")
        return Text("a JSON object")

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.emit_changed()
