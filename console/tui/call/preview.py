"""The live preview: the exact JSON body that Send would post, and a curl line (token masked)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.highlighter import JSONHighlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Label, Static

from console.tui.css import stylesheet
from console.tui.keys import CALL_COPY_CURL, CALL_COPY_JSON


class PreviewPane(VerticalScroll):
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.json_text: str | None = None
        self.curl_text: str | None = None
        self._not_ready: list[tuple[str, str]] | None = None
        self.can_focus = False

    def compose(self) -> ComposeResult:
        yield Label("Request body (JSON)", classes="preview-title")
        yield Static("", id="preview-json", markup=False)
        yield Label("curl (token masked)", classes="preview-title")
        yield Static("", id="preview-curl", markup=False)
        with Horizontal(classes="preview-buttons"):
            yield Button(f"Copy JSON {CALL_COPY_JSON.key.upper()}", compact=True, id="copy-json",
                         action="screen.copy_json")
            yield Button(f"Copy curl {CALL_COPY_CURL.key.upper()}", compact=True, id="copy-curl",
                         action="screen.copy_curl")

    def show_request(self, json_text: str, curl_text: str) -> None:
        if (json_text, curl_text) == (self.json_text, self.curl_text):
            return
        self.json_text, self.curl_text = json_text, curl_text
        self._not_ready = None
        body = Text(json_text)
        JSONHighlighter().highlight(body)
        self.query_one("#preview-json", Static).update(body)
        self.query_one("#preview-curl", Static).update(Text(curl_text))
        for button in self.query(".preview-buttons Button"):
            button.disabled = False

    def show_not_ready(self, problems: Sequence[tuple[str, str]]) -> None:
        """No request can be built yet: say what is missing instead of a partial body."""
        problems = list(problems)
        if problems == self._not_ready:
            return
        self._not_ready = problems
        self.json_text = self.curl_text = None
        text = Text.assemble(("Nothing to send yet. Fix:\n", "italic"))
        for label, message in problems:
            text.append(f"• {label}: ", style="bold")
            text.append(f"{message}\n")
        self.query_one("#preview-json", Static).update(text)
        self.query_one("#preview-curl", Static).update(Text("—"))
        for button in self.query(".preview-buttons Button"):
            button.disabled = True
