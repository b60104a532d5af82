"""The Environments panel of the Settings screen: the API environments of config.toml.

A table (name, base URL, auth, default, in use, where the sign-in comes from) with add / edit
(the `EnvironmentEditor` modal, errors at each field), remove (confirmed; the stored sign-in is
forgotten too), make default (`active_env`), use now (this console only, like `--env`), test
(`GET /auth/me` and the quota route, showing what came back), sign in and sign out.

Every edit goes through `console.account.environments` (the one TOML editor: validated, atomic,
comments kept), in a worker off the UI loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Static

from console.tui.settings.editor import EnvironmentEditor

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


class EnvironmentsPanel(Vertical):
    """The environments section. The screen's keys call its `action_*` methods; the screen
    also tells it when the session changes (`follow_session`) and when the width does
    (`refit`)."""

    BORDER_TITLE = "Environments"

    def __init__(self) -> None:
        super().__init__(id="env-section", classes="settings-section")
        self.environments: Environments | None = None
        self.config_problem: str | None = None
        self.test_result: str = ""
        self._rows: list[str] = []
        self._sources: dict[str, str] = {}
        self._select_after_reload: str | None = None

    def compose(self) -> ComposeResult:
        yield DataTable(id="env-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="env-hint", markup=False)
        with Horizontal(classes="settings-buttons"):
            for button_id, label, tip in ENV_BUTTONS:
                yield Button(label, id=f"env-{button_id}", compact=True, tooltip=tip)
        yield Static("", id="test-result", markup=False)

    def follow_session(self) -> None:
        """The session changed (connected, switched, signed in or out): show it in the table."""
        if self.environments is not None:
            self._fill_table()

    def refit(self) -> None:
        """The screen's width changed: the base URL column follows it."""
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
        url_width = max(URL_WIDTH[0], min(URL_WIDTH[1], self.screen.size.width - fixed))
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
                   "env-sign-in": self.action_sign_in, "env-sign-out": self.action_sign_out}
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
