"""The context field: a JSON editor whose text must parse to an object (errors with line/column)."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import TextArea

from console.limits import CONTEXT_MAX_BYTES, CONTEXT_MAX_DEPTH, NUMBER_MAX_DIGITS
from console.tui.fields.frame import FieldFrame


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
    help = ("Free-form metadata handed to the agent: a JSON object, e.g. "
            '{"patient": "Ada", "visit": {"day": "Tue"}}. Empty sends {}. Lists, strings and '
            "numbers are rejected; parse errors give the line and column. Limits: "
            f"{CONTEXT_MAX_DEPTH} levels deep, {CONTEXT_MAX_BYTES // 1024} KiB, numbers of "
            f"{NUMBER_MAX_DIGITS} digits; no NaN or Infinity.")

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

    def parsed(self) -> dict[str, Any] | None:
        """The object the text holds; None when it is not a sendable object. Parsed by the
        Call form's own rule (`parse_context`), so hostile text (deep nesting, 5,001-digit
        numbers, NaN, lone surrogates) is an error under the field, never an exception here."""
        from console.calls.context_json import parse_context

        return parse_context(self.value)[0]

    def is_default(self) -> bool:
        return not self.value.strip() or self.parsed() == {}

    def focus_input(self) -> None:
        self.editor.focus()

    def note(self) -> Text:
        if not self.value.strip():
            return Text("a JSON object · default {} (empty)")
        value = self.parsed()
        if value is not None:
            return Text(f"object with {len(value)} key{'s' if len(value) != 1 else ''}")
        return Text("a JSON object")

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.emit_changed()
