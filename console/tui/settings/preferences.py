"""The Preferences panel of the Settings screen: default phone region (checked against the
phone number rules), operator name, polling limits and theme.

Saved to config.toml with `console.config.preferences` (the one TOML editor: the file's comments
and layout are kept; atomic write under the file lock), in a worker; only changed values are
written. Region and theme apply at once; the operator name too unless it was given by
`--operator` / CALL_CONSOLE_OPERATOR (then it is fixed for this session, e.g. over SSH);
polling limits from the next start.
"""

from __future__ import annotations

import os
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

PREF_FIELDS = (
    ("default_region", "Default phone region", "numbers typed without + (ISO code)"),
    ("operator", "Operator name", "recorded with each call and in the audit log"),
    ("poll_requests_per_second", "Polling: requests/s", "from the next start"),
    ("poll_concurrency", "Polling: at once", "from the next start"),
)


def _forced_operator(app) -> str | None:
    """Where the operator name is fixed for this session (it cannot be changed here)."""
    if app.operator:
        return "--operator"
    if os.environ.get("CALL_CONSOLE_OPERATOR"):
        return "CALL_CONSOLE_OPERATOR"
    return None


class PreferencesPanel(Vertical):
    """The preferences section. The screen's save key calls `action_save_preferences`; the
    screen tells it when the session is there to read the values from (`follow_session`)."""

    BORDER_TITLE = "Preferences"

    def __init__(self) -> None:
        super().__init__(id="prefs-section", classes="settings-section")
        #: the values as loaded or last saved (None until the session is there)
        self.loaded: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        for key, label, note in PREF_FIELDS:
            with Horizontal(classes="pref-row"):
                yield Label(label)
                yield Input(id=f"pref-{key}", compact=True)
                yield Static(note, id=f"pref-{key}-note", classes="pref-note", markup=False)
            yield Static("", id=f"pref-{key}-error", classes="pref-error", markup=False)
        with Horizontal(classes="pref-row"):
            yield Label("Theme")
            yield Select([], id="pref-theme", prompt="(default)", compact=True)
            yield Static("applies at once", classes="pref-note", markup=False)
        yield Static("", id="pref-theme-error", classes="pref-error", markup=False)
        with Horizontal(classes="settings-buttons"):
            yield Button("Save preferences", id="prefs-save", variant="primary", compact=True)
            yield Static("", id="prefs-status", markup=False)

    def follow_session(self, app) -> None:
        """Fill the fields once the session (and its settings) is there."""
        if app.session_ready and self.loaded is None:
            self._load_preferences()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "prefs-save":
            event.stop()
            self.action_save_preferences()

    def _pref_values(self) -> dict[str, str]:
        values = {key: self.query_one(f"#pref-{key}", Input).value for key, *_ in PREF_FIELDS}
        theme = self.query_one("#pref-theme", Select).value
        values["theme"] = "" if theme is Select.BLANK else str(theme)
        return values

    def _load_preferences(self) -> None:
        app = self.app
        settings = app.session.settings
        values = {
            "default_region": settings.default_region,
            "operator": app.session.operator,
            "poll_requests_per_second": f"{settings.poll_requests_per_second:g}",
            "poll_concurrency": str(settings.poll_concurrency),
        }
        for key, value in values.items():
            self.query_one(f"#pref-{key}", Input).value = value
        forced = _forced_operator(app)
        if forced:
            operator = self.query_one("#pref-operator", Input)
            operator.disabled = True
            self.query_one("#pref-operator-note", Static).update(
                Text(f"fixed for this session by {forced}"))
        load_themes = getattr(app, "_load_themes", None)  # themes/ files (idempotent)
        if callable(load_themes):
            load_themes()
        themes = sorted(app.available_themes)
        select = self.query_one("#pref-theme", Select)
        select.set_options([(name, name) for name in themes])
        current = settings.theme if settings.theme in themes else None
        if current:
            select.value = current
        self.loaded = self._pref_values()

    def _set_pref_error(self, key: str, message: str | None) -> None:
        widget = self.query_one(f"#pref-{key}-error", Static)
        widget.update(Text(message or ""))
        widget.set_class(bool(message), "-shown")

    def pref_error(self, key: str) -> str:
        widget = self.query_one(f"#pref-{key}-error", Static)
        return str(widget.render()) if widget.has_class("-shown") else ""

    def _prefs_status(self, text: str, *, ok: bool | None = None) -> None:
        status = self.query_one("#prefs-status", Static)
        status.update(Text(text))
        status.set_class(ok is True, "-ok")
        status.set_class(ok is False, "-error")

    @property
    def prefs_status(self) -> str:
        return str(self.query_one("#prefs-status", Static).render())

    def action_save_preferences(self) -> None:
        from console.config.preferences import check_preferences

        if self.loaded is None:
            return
        values = self._pref_values()
        changed = {k: v for k, v in values.items() if v != self.loaded.get(k)}
        if _forced_operator(self.app):
            changed.pop("operator", None)
        for key in values:
            self._set_pref_error(key, None)
        if not changed:
            self._prefs_status("Nothing changed.")
            return
        clean, problems = check_preferences(changed, themes=set(self.app.available_themes))
        if problems:
            for key, message in problems.items():
                self._set_pref_error(key, message)
            self._prefs_status("Not saved: fix the fields marked above.", ok=False)
            return
        self.run_worker(self._save_preferences(clean, values), name="prefs-save",
                        group="prefs-save", exit_on_error=False)

    async def _save_preferences(self, clean: dict[str, Any], values: dict[str, str]) -> None:
        import asyncio

        from console import paths
        from console.config.settings import ConfigError
        from console.config.preferences import save_preferences

        try:
            await asyncio.to_thread(save_preferences, clean)
        except (ConfigError, OSError) as exc:
            self._prefs_status(f"Not saved: {exc}", ok=False)
            return
        self._apply(clean)
        self.loaded = values
        self._prefs_status(f"Saved to {paths.config_file().name}: {', '.join(sorted(clean))}.",
                           ok=True)

    def _apply(self, clean: dict[str, Any]) -> None:
        """Use the saved values in this console where that is safe to do at once."""
        app = self.app
        session = app.session
        updates = {k: v for k, v in clean.items() if v is not None}
        session.settings = session.settings.model_copy(update=updates)
        if "default_region" in clean:
            app.default_region = clean["default_region"] or "US"
        if "operator" in clean and not _forced_operator(app):
            session.operator = clean["operator"] or session.settings.operator_name()
            app.set_health(app.health, app.health_text)  # the header shows the operator
        if "theme" in clean:
            app.theme = clean["theme"] or "textual-dark"  # written above with the rest
