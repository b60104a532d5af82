"""The one-line header: app name, screen, environment, API host, connection health, signed-in
user and tenant, capacity meter, DEMO marker, operator.

Host and health come from the screen (`ConsoleScreen._session_changed`); environment, user,
tenant and capacity from the app's `AccountController` (its `changed` signal). Health moves
with the tracker's requests (online / degraded / offline / paused N s (server asked)): each
change rewrites only the labels whose value changed, so a health change costs one label."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from console.tui.css import stylesheet
from console.tui.widgets.capacity_meter import CapacityMeter

_NOTHING = object()  # a label not rendered yet

#: health -> (dot style, default text)
HEALTH_STYLES = {
    "ok": "green",
    "checking": "yellow",
    "warn": "yellow",
    "error": "red",
    "idle": "dim",
}


class ConsoleHeader(Horizontal):
    DEFAULT_CSS = stylesheet(__file__)

    #: Below this width the app's name gives way, so the operator's name always shows.
    NARROW_WIDTH = 100

    screen_title: reactive[str] = reactive("")
    host: reactive[str] = reactive("")
    health: reactive[str] = reactive("idle")
    health_text: reactive[str] = reactive("")
    demo: reactive[bool] = reactive(False)
    operator: reactive[str] = reactive("")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._shown: dict[str, object] = {}  # label id -> the value it shows

    def compose(self) -> ComposeResult:
        yield Label("☎ call-console", id="app-title")
        yield Label("☎", id="narrow-title")
        yield Label("", id="screen-title")
        yield Label("", id="env", markup=False, classes="-empty")
        yield Label("", id="host", markup=False)
        yield Label("", id="health", markup=False)
        yield Label("", id="user", markup=False, classes="-empty")
        yield CapacityMeter(id="capacity")
        yield Label(" DEMO ", id="demo")
        yield Label("", id="operator", markup=False)

    def on_mount(self) -> None:
        self._render_all()
        account = getattr(self.app, "account", None)
        if account is not None:
            account.changed.subscribe(self, self._account_changed)
            self._account_changed(account)

    def _account_changed(self, account) -> None:
        """Environment, user@tenant and the capacity meter, from the AccountController."""
        env, user = account.env_label, account.user_label
        env_label = self.query_one("#env", Label)
        env_label.update(Text(env))
        env_label.set_class(not env, "-empty")
        user_label = self.query_one("#user", Label)
        user_label.update(Text(user))
        user_label.set_class(not user, "-empty")
        user_label.tooltip = account.user_tooltip or None
        self.query_one(CapacityMeter).show(account.capacity)

    def _render_all(self) -> None:
        if not self.is_mounted:
            return
        self.set_class(self.demo, "-demo")
        self._show("screen-title", self.screen_title, lambda: self.screen_title)
        self._show("host", self.host, lambda: Text(self.host))
        self._show("health", (self.health, self.health_text), lambda: Text.assemble(
            ("● ", HEALTH_STYLES.get(self.health, "dim"))) + Text(self.health_text))
        self._show("operator", self.operator, lambda: Text(self.operator))

    def _show(self, label_id: str, value: object, content) -> None:
        """Update one label, only when what it shows changed (no refresh, no layout else)."""
        if self._shown.get(label_id, _NOTHING) == value:
            return
        self._shown[label_id] = value
        self.query_one(f"#{label_id}", Label).update(content())

    def watch_screen_title(self) -> None:
        self._render_all()

    def watch_host(self) -> None:
        self._render_all()

    def watch_health(self) -> None:
        self._render_all()

    def watch_health_text(self) -> None:
        self._render_all()

    def watch_demo(self) -> None:
        self._render_all()

    def on_resize(self, event) -> None:
        self.set_class(event.size.width < self.NARROW_WIDTH, "-narrow")
        # narrow: the user@tenant label hides and the capacity meter keeps only live calls
        self.query_one(CapacityMeter).compact = event.size.width < self.NARROW_WIDTH

    def watch_operator(self) -> None:
        self._render_all()
