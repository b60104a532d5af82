"""The Settings screen: the API environments of config.toml, and the console's preferences.

Environments: a table (name, base URL, auth, default, in use, where the sign-in comes from)
with add / edit (a modal with errors at each field), remove (confirmed; the stored sign-in is
forgotten too), make default (`active_env`), use now (this console only, like `--env`), test
(`GET /auth/me` and the quota route, showing what came back), sign in and sign out.

Preferences: default phone region (checked against the phone number rules), operator name,
polling limits and theme. Saved to config.toml with `console.config.preferences` (tomlkit: the file's
comments and layout are kept; atomic write under the file lock); only changed values are
written. Region and theme apply at once; the operator name too unless it was given by
`--operator` / CALL_CONSOLE_OPERATOR (then it is fixed for this session, e.g. over SSH);
polling limits from the next start.

Every edit goes through `console.account.environments` (validated, atomic, comments kept), in a thread.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, SETTINGS_KEYS, bindings
from console.tui.screens.base import ConsoleScreen
from console.tui.dialogs.field_errors import FieldErrors

if TYPE_CHECKING:
    from console.account.environments import Environment, Environments

#: (key, label, width); the base URL's width (None) follows the screen's width
ENV_COLUMNS = (("name", "Name", 12), ("base_url", "Base URL", None), ("auth", "Auth", 5),
               ("default", "Default", 7), ("in_use", "In use", 6), ("sign_in", "Sign-in", 11))
URL_WIDTH = (16, 48)

#: (id, label, tooltip): short labels, so the row fits 80 columns
ENV_BUTTONS = (
    ("add", "Add", "Add an environment (ctrl+n)"),
    ("edit", "Edit", "Edit the selected environment (ctrl+o, or enter on its row)"),
    ("remove", "Remove", "Remove the selected environment and its stored sign-in (delete)"),
    ("default", "Default", "Make the selected environment the default: active_env (ctrl+b)"),
    ("use", "Use", "Use the selected environment in this console now (ctrl+g)"),
    ("test", "Test", "Test the selected environment: /auth/me and the quota (ctrl+t)"),
    ("sign-in", "Sign in", "Sign in to the environment in use (ctrl+l)"),
    ("sign-out", "Sign out", "Forget the stored sign-in of the environment in use"),
)

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


# ============================================================================ the editor modal


class EnvironmentEditor(FieldErrors, ConsoleModal["Environments | None"]):
    """Add (environment None) or edit one environment. Dismisses with the file's new
    environments, or None when cancelled."""

    DEFAULT_CSS = """
    EnvironmentEditor {
        align: center middle;
    }
    EnvironmentEditor > Vertical {
        width: 84;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    EnvironmentEditor .editor-title {
        text-style: bold;
        margin-bottom: 1;
    }
    EnvironmentEditor .editor-row {
        height: auto;
    }
    EnvironmentEditor .editor-row Label {
        width: 14;
        color: $text-muted;
    }
    EnvironmentEditor .editor-row Input, EnvironmentEditor .editor-row Select {
        width: 1fr;
    }
    EnvironmentEditor .field-error {
        color: $text-error;
        padding-left: 14;
        display: none;
    }
    EnvironmentEditor .field-error.-shown {
        display: block;
    }
    EnvironmentEditor .editor-note {
        color: $text-muted;
        padding-left: 14;
    }
    EnvironmentEditor #editor-status.-error {
        color: $text-error;
    }
    EnvironmentEditor .editor-buttons {
        height: auto;
        align-horizontal: right;
    }
    EnvironmentEditor .editor-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = bindings(MODAL_CLOSE)
    FIELDS = ("name", "base_url", "auth", "username", "token_env")

    def __init__(self, environment: Environment | None = None, *,
                 make_default: bool = False) -> None:
        super().__init__(id="env-editor")
        self._environment = environment
        self._make_default = make_default
        self._busy = False

    def compose(self) -> ComposeResult:
        env = self._environment
        with Vertical():
            yield Label(f"Edit environment {env.name}" if env else "Add an environment",
                        classes="editor-title")
            yield from self._row("Name", Input(env.name if env else "", id="name",
                                               placeholder="e.g. prod, staging",
                                               disabled=env is not None, compact=True))
            yield from self._row("Base URL", Input(env.base_url if env else "", id="base_url",
                                                   placeholder="https://api.example.com",
                                                   compact=True))
            yield from self._row("Auth", Select([("login (username + password)", "login"),
                                                 ("token (pre-issued)", "token")],
                                                value=env.auth if env else "login",
                                                allow_blank=False, id="auth", compact=True))
            yield from self._row("Username", Input(env.username or "" if env else "",
                                                   id="username", placeholder="optional",
                                                   compact=True))
            yield from self._row("Token env var",
                                 Input(env.token_env or "" if env else "", id="token_env",
                                       placeholder="optional, e.g. CI_CALL_TOKEN (auth token)",
                                       compact=True))
            yield Static("Tokens are never written to config.toml: sign in, or name the "
                         "variable that holds the token.", classes="editor-note", markup=False)
            yield Checkbox("Make it the default (active_env)", self._make_default,
                           id="make_default", compact=True)
            yield Static("", id="editor-status", markup=False)
            with Horizontal(classes="editor-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Save", id="save", variant="primary", compact=True)

    @staticmethod
    def _row(label: str, widget) -> ComposeResult:
        with Horizontal(classes="editor-row"):
            yield Label(label)
            yield widget
        yield Static("", id=f"{widget.id}-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#base_url" if self._environment else "#name", Input).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    def save(self) -> None:
        from console.account.environments import ENV_VAR_RE, Environment, check_name, check_url

        if self._busy:
            return
        for name in self.FIELDS:
            self._set_error(name, None)
        self.query_one("#editor-status", Static).update("")
        name = self.query_one("#name", Input).value.strip()
        base_url = self.query_one("#base_url", Input).value.strip()
        auth = self.query_one("#auth", Select).value
        username = self.query_one("#username", Input).value.strip()
        token_env = self.query_one("#token_env", Input).value.strip()
        problems: dict[str, str] = {}
        if self._environment is None and (problem := check_name(name)):
            problems["name"] = problem
        if problem := check_url(base_url):
            problems["base_url"] = problem
        if token_env and not ENV_VAR_RE.fullmatch(token_env):
            problems["token_env"] = "the name of an environment variable, e.g. CI_CALL_TOKEN"
        elif token_env and auth != "token":
            problems["token_env"] = 'only used with auth "token"'
        if problems:
            for key, message in problems.items():
                self._set_error(key, message)
            return
        environment = Environment(name=self._environment.name if self._environment else name,
                                  base_url=base_url, auth=auth,  # type: ignore[arg-type]
                                  username=username or None, token_env=token_env or None)
        self._busy = True
        self.run_worker(self._write(environment), name="env-save", group="env-save",
                        exit_on_error=False)

    async def _write(self, environment: Environment) -> None:
        import asyncio

        from console.config.settings import ConfigError
        from console.account.environments import add_environment

        make_default = self.query_one("#make_default", Checkbox).value
        try:
            result = await asyncio.to_thread(add_environment, environment,
                                             replace=self._environment is not None,
                                             make_active=make_default)
        except ConfigError as exc:
            key = (exc.key or "").rsplit(".", 1)[-1]
            if key in self.FIELDS:
                self._set_error(key, str(exc).split(": ")[-1])
            elif "already exists" in str(exc):
                self._set_error("name", f"{environment.name!r} already exists")
            else:
                status = self.query_one("#editor-status", Static)
                status.update(Text(str(exc)))
                status.add_class("-error")
        except OSError as exc:
            status = self.query_one("#editor-status", Static)
            status.update(Text(f"Could not write the config file: {exc}"))
            status.add_class("-error")
        else:
            self.dismiss(result)
        finally:
            self._busy = False


# ============================================================================ the screen


class SettingsScreen(ConsoleScreen):
    SCREEN_NAME = "settings"
    BINDINGS = bindings(*SETTINGS_KEYS)

    def __init__(self) -> None:
        super().__init__(id="settings-screen")
        self.environments: Environments | None = None
        self.config_problem: str | None = None
        self.test_result: str = ""
        self._prefs_loaded: dict[str, str] | None = None
        self._rows: list[str] = []
        self._sources: dict[str, str] = {}
        self._body_ready = False
        self._select_after_reload: str | None = None

    # -- layout -----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="settings-body"):
            with Vertical(id="env-section", classes="settings-section") as section:
                section.border_title = "Environments"
                yield DataTable(id="env-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="env-hint", markup=False)
                with Horizontal(classes="settings-buttons"):
                    for button_id, label, tip in ENV_BUTTONS:
                        yield Button(label, id=f"env-{button_id}", compact=True, tooltip=tip)
                yield Static("", id="test-result", markup=False)
            with Vertical(id="prefs-section", classes="settings-section") as prefs:
                prefs.border_title = "Preferences"
                for key, label, note in PREF_FIELDS:
                    with Horizontal(classes="pref-row"):
                        yield Label(label)
                        yield Input(id=f"pref-{key}", compact=True)
                        yield Static(note, id=f"pref-{key}-note", classes="pref-note",
                                     markup=False)
                    yield Static("", id=f"pref-{key}-error", classes="pref-error", markup=False)
                with Horizontal(classes="pref-row"):
                    yield Label("Theme")
                    yield Select([], id="pref-theme", prompt="(default)", compact=True)
                    yield Static("applies at once", classes="pref-note", markup=False)
                yield Static("", id="pref-theme-error", classes="pref-error", markup=False)
                with Horizontal(classes="settings-buttons"):
                    yield Button("Save preferences", id="prefs-save", variant="primary",
                                 compact=True)
                    yield Static("", id="prefs-status", markup=False)

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
        if app.session_ready and self._prefs_loaded is None:
            self._load_preferences()
        if self.environments is not None:
            self._fill_table()

    # -- the environments table -------------------------------------------------------------

    def reload(self, *, select: str | None = None) -> None:
        """Read config.toml (and where each sign-in comes from) again, in a thread; then put
        the table's cursor (and the focus) on environment `select` when it is there."""
        if select is not None:
            self._select_after_reload = select
        self.run_worker(self._read_environments, thread=True, name="settings-read",
                        group="settings-read", exclusive=True, exit_on_error=False)

    def _read_environments(self) -> None:
        from console.config.settings import ConfigError
        from console.account.environments import load_environments

        try:
            environments = load_environments()
        except ConfigError as exc:
            self.app.call_from_thread(self._show_environments, None, str(exc), {})
            return
        sources: dict[str, str] = {}
        for env in environments:
            sources[env.name] = self._sign_in_source(env)
        self.app.call_from_thread(self._show_environments, environments, None, sources)

    def _sign_in_source(self, env: Environment) -> str:
        from console.account.sign_in import token_source
        from console.account.environments import Target

        target = Target(name=env.name, base_url=env.base_url, auth=env.auth, source="--env",
                        environment=env)
        app = self.app
        try:
            store = app.session.store if app.session_ready else None
            return token_source(target, None, store)
        except Exception as exc:  # noqa: BLE001 - an unusable token store
            return f"? {type(exc).__name__}"

    def _show_environments(self, environments: Environments | None, problem: str | None,
                           sources: dict[str, str]) -> None:
        self.environments = environments
        self.config_problem = problem
        self._sources = sources
        self._fill_table()
        name, self._select_after_reload = self._select_after_reload, None
        if name is not None and name in self._rows:
            self.select(name)
            self.query_one("#env-table", DataTable).focus()
        if problem:
            self._show_result(f"config.toml has a problem: {problem}", ok=False)

    def _fill_table(self) -> None:
        table = self.query_one("#env-table", DataTable)
        selected = self.selected_name
        table.clear(columns=True)
        # Fits the screen: borders, padding and one cell padding each side per column.
        fixed = sum(w for _, _, w in ENV_COLUMNS if w) + 2 * len(ENV_COLUMNS) + 8
        url_width = max(URL_WIDTH[0], min(URL_WIDTH[1], self.size.width - fixed))
        for key, label, width in ENV_COLUMNS:
            table.add_column(label, key=key, width=width or url_width)
        self._rows = []
        environments = self.environments
        if environments is None:
            return
        in_use = self.app.session.env_name if self.app.session_ready else None
        sources = self._sources
        for env in environments:
            table.add_row(Text(env.name, style="bold"), Text(env.base_url, overflow="ellipsis",
                                                             no_wrap=True), Text(env.auth),
                          Text("★ yes" if env.name == environments.active else ""),
                          Text("● yes" if env.name == in_use else ""),
                          Text(sources.get(env.name, "")), key=env.name)
            self._rows.append(env.name)
        if selected in self._rows:
            table.move_cursor(row=self._rows.index(selected))
        self._update_buttons()
        self._show_hint()

    def _show_hint(self) -> None:
        """Under the table: what is in use when it is not one of the environments."""
        app = self.app
        hint = ""
        if app.session_ready:
            session = app.session
            if session.env_name is None:
                if app.demo and session.connected:
                    hint = "In use: the demo simulator (--demo)."
                elif session.connected:
                    source = session.target.source if session.target else "base_url"
                    hint = f"In use: {session.host} (from {source}, not a named environment)."
                else:
                    hint = "Nothing in use yet."
        if self.environments is not None and not len(self.environments):
            hint = (hint + " " if hint else "") + "No environments yet: add one (ctrl+n)."
        widget = self.query_one("#env-hint", Static)
        widget.update(Text(hint))
        widget.display = bool(hint)

    def on_resize(self) -> None:
        if self._body_ready and self.environments is not None:
            self._fill_table()

    @property
    def selected_name(self) -> str | None:
        table = self.query_one("#env-table", DataTable)
        if not self._rows or table.cursor_row is None or table.cursor_row >= len(self._rows):
            return None
        return self._rows[max(0, table.cursor_row)]

    def select(self, name: str) -> None:
        """Move the table's cursor to `name` (tests, after adding)."""
        if name in self._rows:
            self.query_one("#env-table", DataTable).move_cursor(row=self._rows.index(name))

    def _selected(self) -> Environment | None:
        name = self.selected_name
        if name is None or self.environments is None:
            return None
        return self.environments.get(name)

    def _update_buttons(self) -> None:
        has = self.selected_name is not None
        for button_id in ("edit", "remove", "default", "use", "test"):
            self.query_one(f"#env-{button_id}", Button).disabled = not has
        connected = self.app.session_ready and self.app.session.connected
        self.query_one("#env-sign-in", Button).disabled = not connected
        self.query_one("#env-sign-out", Button).disabled = not connected

    @on(DataTable.RowHighlighted, "#env-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._update_buttons()

    @on(DataTable.RowSelected, "#env-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit_env()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"env-add": self.action_add_env, "env-edit": self.action_edit_env,
                   "env-remove": self.action_remove_env, "env-default": self.action_make_default,
                   "env-use": self.action_use_env, "env-test": self.action_test_env,
                   "env-sign-in": self.action_sign_in, "env-sign-out": self.action_sign_out,
                   "prefs-save": self.action_save_preferences}
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    def _show_result(self, text: str, *, ok: bool | None = None) -> None:
        self.test_result = text
        result = self.query_one("#test-result", Static)
        result.update(Text(text))
        result.set_class(ok is True, "-ok")
        result.set_class(ok is False, "-error")

    # -- environment actions ----------------------------------------------------------------

    def action_add_env(self) -> None:
        first = self.environments is None or not len(self.environments)

        def added(result: Environments | None) -> None:
            if result is not None:
                new = [e.name for e in result if self.environments is None
                       or e.name not in self.environments.items]
                self._show_result(f"Added environment {new[0]}." if new else "Saved.", ok=True)
                self.reload(select=new[0] if new else None)

        self.app.push_screen(EnvironmentEditor(None, make_default=first), added)

    def action_edit_env(self) -> None:
        env = self._selected()
        if env is None:
            return
        is_default = self.environments is not None and self.environments.active == env.name

        def edited(result: Environments | None) -> None:
            if result is not None:
                self._show_result(f"Saved environment {env.name}.", ok=True)
                self.reload(select=env.name)

        self.app.push_screen(EnvironmentEditor(env, make_default=is_default), edited)

    def action_remove_env(self) -> None:
        env = self._selected()
        if env is None:
            return
        from console.tui.dialogs.confirm import ConfirmScreen

        in_use = self.app.session_ready and self.app.session.env_name == env.name
        body = Text(f"Remove [environments.{env.name}] ({env.base_url}) from config.toml and "
                    "forget its stored sign-in?"
                    + (" The console keeps using it until you switch or quit." if in_use else ""))

        def answered(ok: bool | None) -> None:
            if ok:
                self.run_worker(self._remove(env.name), name="env-remove", group="env-edit",
                                exit_on_error=False)

        self.app.push_screen(ConfirmScreen(f"Remove {env.name}?", body, confirm="Remove",
                                           cancel="Keep"), answered)

    async def _remove(self, name: str) -> None:
        import asyncio

        from console.config.settings import ConfigError
        from console.account.environments import remove_environment

        try:
            await asyncio.to_thread(remove_environment, name)
        except (ConfigError, OSError) as exc:
            self._show_result(f"Could not remove {name}: {exc}", ok=False)
            return
        self._show_result(f"Removed environment {name} and its stored sign-in.", ok=True)
        self.reload()

    def action_make_default(self) -> None:
        env = self._selected()
        if env is None:
            return
        self.run_worker(self._make_default(env.name), name="env-default", group="env-edit",
                        exit_on_error=False)

    async def _make_default(self, name: str) -> None:
        import asyncio

        from console.config.settings import ConfigError
        from console.account.environments import set_active_environment

        try:
            await asyncio.to_thread(set_active_environment, name)
        except (ConfigError, OSError) as exc:
            self._show_result(f"Could not make {name} the default: {exc}", ok=False)
            return
        self._show_result(f"{name} is the default environment (active_env) from the next "
                          "start.", ok=True)
        self.reload()

    def action_use_env(self) -> None:
        env = self._selected()
        if env is None:
            return
        self.app.account.switch_environment(env.name)

    def action_sign_in(self) -> None:
        self.app.account.request_login()

    def action_sign_out(self) -> None:
        self.app.account.logout()
        self.reload()

    def action_test_env(self) -> None:
        env = self._selected()
        if env is None:
            return
        self._show_result(f"Testing {env.name} ({env.base_url})…")
        self.run_worker(self._test(env), name="env-test", group="env-test", exclusive=True,
                        exit_on_error=False)

    async def _test(self, env: Environment) -> None:
        from console.api import errors
        from console.config.settings import ConfigError
        from console.account.session import ConsoleSession
        from console.tui.widgets.capacity_meter import capacity_summary

        app = self.app
        own = app.session
        temporary = own.env_name != env.name
        try:
            session = (ConsoleSession(own.settings, env=env.name, store=own.store)
                       if temporary else own)
        except ConfigError as exc:
            self._show_result(f"✖ {env.name}: {exc}", ok=False)
            return
        lines = [f"{env.name} — {env.base_url}"]
        try:
            try:
                me = await session.whoami()
            except errors.AuthRequired as exc:
                self._show_result(f"✖ {env.name}: not signed in or the sign-in was refused "
                                  f"({exc.detail or exc.status_code}). "
                                  + ("Sign in with ctrl+l." if not temporary else
                                     "Use it now (ctrl+g), then sign in."), ok=False)
                return
            except errors.ApiError as exc:
                self._show_result(f"✖ {env.name}: /auth/me failed: {exc}", ok=False)
                return
            lines.insert(0, "✔ connected")
            lines.append(f"user {me.username} ({me.role}), user id {me.user_id}")
            lines.append(f"tenant {me.owner_id or '(none)'}")
            try:
                quota = await session.quota()
            except errors.ApiError as exc:
                lines.append(f"quota: not available ({exc})")
            else:
                lines.append(capacity_summary(quota))
            self._show_result("\n".join(lines), ok=True)
        finally:
            if temporary:
                await session.aclose()

    # -- preferences ------------------------------------------------------------------------

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
        self._prefs_loaded = self._pref_values()

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

        if self._prefs_loaded is None:
            return
        values = self._pref_values()
        changed = {k: v for k, v in values.items() if v != self._prefs_loaded.get(k)}
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
        self._prefs_loaded = values
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
