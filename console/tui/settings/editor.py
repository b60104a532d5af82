"""The modal that adds or edits one API environment of config.toml.

Each field shows its own error (the name, the base URL, the token variable); the write goes
through `console.account.environments.add_environment` (the one TOML editor: validated, atomic,
comments kept) in a worker, and the modal closes with the file's new environments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from console.tui.css import stylesheet
from console.tui.dialogs.field_errors import FieldErrors
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

if TYPE_CHECKING:
    from console.account.environments import Environment


class EnvironmentEditor(FieldErrors, ConsoleModal["Environments | None"]):
    """Add (environment None) or edit one environment. Dismisses with the file's new
    environments, or None when cancelled."""

    DEFAULT_CSS = stylesheet(__file__)

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
        from console.account.environments import (
            ENV_VAR_RE,
            Environment,
            check_name,
            check_url,
        )

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

        from console.account.environments import add_environment
        from console.config.settings import ConfigError

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
