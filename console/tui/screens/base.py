"""The base of every top-level screen: the console header on top, the key bar at the bottom."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from console.tui.textual_compat import skip_stylesheet_reparse
from console.tui.widgets.console_header import ConsoleHeader
from console.tui.widgets.key_footer import KeyFooter

#: below this width the footer is compact
COMPACT_FOOTER_BELOW = 100


class ConsoleScreen(Screen):
    """Subclasses set `SCREEN_NAME` (their registry name) and implement `compose_body`."""

    SCREEN_NAME = ""

    # Textual's screen bindings again, with ids, so every binding can be remapped by id.
    BINDINGS = [
        Binding("tab", "app.focus_next", "Focus next", show=False, id="app.focus_next"),
        Binding("shift+tab", "app.focus_previous", "Focus previous", show=False,
                id="app.focus_previous"),
        Binding("ctrl+c,super+c", "screen.copy_text", "Copy selected text", show=False,
                id="screen.copy_text"),
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A screen's own CSS (DEFAULT_CSS) is added and parsed when it registers; the full
        # re-application Textual's modes would also run for a new screen is not needed.
        skip_stylesheet_reparse(self)

    def compose(self) -> ComposeResult:
        yield ConsoleHeader()
        yield from self.compose_body()
        yield KeyFooter()

    def on_resize(self, event) -> None:
        # Narrow terminals (80 columns): the footer drops its padding so every key still fits.
        self.query_one(KeyFooter).compact = event.size.width < COMPACT_FOOTER_BELOW

    def compose_body(self) -> ComposeResult:  # pragma: no cover - abstract
        raise NotImplementedError

    async def settled(self) -> None:
        """Return once what the screen mounts after its first frame is in (nothing here).

        The app exits only once its screen has settled: removing a screen while widgets are
        still mounting on it makes their own mount handlers fail (a traceback on quit)."""

    def on_mount(self) -> None:
        self.app.session_changed.subscribe(self, self._session_changed)
        self._session_changed(self.app)

    def _session_changed(self, app) -> None:
        from console.tui.screens import SCREENS

        header = self.query_one(ConsoleHeader)
        spec = SCREENS.get(self.SCREEN_NAME)
        values = {
            "screen_title": spec.title if spec else "",
            "demo": app.demo,
            "host": app.host_label,
            "health": app.health,
            "health_text": app.health_text,
            "operator": app.session.operator if app.session_ready else "",
        }
        # Set them all without a repaint each, then render the header once.
        for name, value in values.items():
            header.set_reactive(getattr(ConsoleHeader, name), value)
        header._render_all()
