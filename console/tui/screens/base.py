"""The base of every top-level screen: the console header on top, the footer at the bottom."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from console.tui.widgets.console_header import ConsoleHeader


class ConsoleScreen(Screen):
    """Subclasses set `SCREEN_NAME` (their registry name) and implement `compose_body`."""

    SCREEN_NAME = ""

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        yield from self.compose_body()
        yield Footer()

    def compose_body(self) -> ComposeResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def on_mount(self) -> None:
        self.app.session_changed.subscribe(self, self._session_changed)
        self._session_changed(self.app)

    def _session_changed(self, app) -> None:
        from console.tui.screens import SCREENS

        header = self.query_one(ConsoleHeader)
        spec = SCREENS.get(self.SCREEN_NAME)
        header.screen_title = spec.title if spec else ""
        header.demo = app.demo
        header.host = app.host_label
        header.health = app.health
        header.health_text = app.health_text
        header.operator = app._session.operator if app.session_ready else ""
