"""The Settings screen: the API environments of config.toml, and the console's preferences.

One panel per job, each in its own module: `EnvironmentsPanel` (environments.py: the table and
its actions, with the `EnvironmentEditor` modal of editor.py) and `PreferencesPanel`
(preferences.py: the form, its checks and the save). This screen composes them, owns the keys
(their actions go to the panel they belong to), and tells the panels when the session or the
width changes. Its public names (`environments`, `reload`, `select`, `test_result`,
`pref_error`, `prefs_status`, ...) are the panels', so callers need not know the split.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable

from console.tui.css import stylesheet
from console.tui.keys import SETTINGS_KEYS, bindings
from console.tui.screens.base import ConsoleScreen
from console.tui.settings.environments import EnvironmentsPanel
from console.tui.settings.preferences import PreferencesPanel

if TYPE_CHECKING:
    from console.account.environments import Environments

__all__ = ["SettingsScreen"]


class SettingsScreen(ConsoleScreen):
    DEFAULT_CSS = stylesheet(__file__, "screen.tcss")
    SCREEN_NAME = "settings"
    BINDINGS = bindings(*SETTINGS_KEYS)

    def __init__(self) -> None:
        super().__init__(id="settings-screen")
        self.environments_panel = EnvironmentsPanel()
        self.preferences_panel = PreferencesPanel()
        self._body_ready = False

    # -- layout -----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="settings-body"):
            yield self.environments_panel
            yield self.preferences_panel

    def on_mount(self) -> None:
        super().on_mount()
        self._body_ready = True
        # The arrow keys move between environments from the start (the scrolling body took
        # the focus, and the arrows scrolled the page instead).
        self.query_one("#env-table", DataTable).focus()
        self._follow_session(self.app)
        self.reload()

    def _session_changed(self, app) -> None:
        super()._session_changed(app)
        if self._body_ready:
            self._follow_session(app)

    def _follow_session(self, app) -> None:
        self.preferences_panel.follow_session(app)
        self.environments_panel.follow_session()

    def on_resize(self) -> None:
        if self._body_ready:
            self.environments_panel.refit()

    # -- what the panels show (tests and the palette read these) ----------------------------

    @property
    def environments(self) -> Environments | None:
        return self.environments_panel.environments

    @property
    def config_problem(self) -> str | None:
        return self.environments_panel.config_problem

    @property
    def test_result(self) -> str:
        return self.environments_panel.test_result

    @property
    def selected_name(self) -> str | None:
        return self.environments_panel.selected_name

    def reload(self, *, select: str | None = None) -> None:
        self.environments_panel.reload(select=select)

    def select(self, name: str) -> None:
        self.environments_panel.select(name)

    @property
    def preferences_loaded(self) -> dict[str, str] | None:
        """The preferences as loaded (None until the session is there)."""
        return self.preferences_panel.loaded

    def pref_error(self, key: str) -> str:
        return self.preferences_panel.pref_error(key)

    @property
    def prefs_status(self) -> str:
        return self.preferences_panel.prefs_status

    # -- the keys (SETTINGS_KEYS, also run by the palette) -----------------------------------

    def action_add_env(self) -> None:
        self.environments_panel.action_add_env()

    def action_edit_env(self) -> None:
        self.environments_panel.action_edit_env()

    def action_remove_env(self) -> None:
        self.environments_panel.action_remove_env()

    def action_make_default(self) -> None:
        self.environments_panel.action_make_default()

    def action_use_env(self) -> None:
        self.environments_panel.action_use_env()

    def action_test_env(self) -> None:
        self.environments_panel.action_test_env()

    def action_sign_in(self) -> None:
        self.environments_panel.action_sign_in()

    def action_sign_out(self) -> None:
        self.environments_panel.action_sign_out()

    def action_save_preferences(self) -> None:
        self.preferences_panel.action_save_preferences()
