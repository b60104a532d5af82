"""First run: nothing is configured. Offer the demo, or connect to an API in one step.

"Try the demo" starts the built-in simulator exactly as `call-console --demo` does
(`app.start_demo`). "Connect" takes an environment name, the base URL and a login (username +
password) or a pre-issued token: it signs in first (so nothing is written for a wrong URL or
password), then adds `[environments.NAME]` to config.toml as the default (`active_env`) and
switches the console to it. Escape closes it: the console stays unconfigured (the Call form can
still be filled in and copied as JSON or curl).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from console.tui.css import stylesheet
from console.tui.dialogs.field_errors import FieldErrors
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

DEFAULT_ENV_NAME = "main"

FIELDS = ("env-name", "base-url", "username", "password", "token")


class OnboardingScreen(FieldErrors, ConsoleModal[str | None]):
    #: the first focus (not a query in on_mount: a dialog closed while it mounts has no
    #: children left when its Mount is handled)
    AUTO_FOCUS = "#demo"

    DEFAULT_CSS = stylesheet(__file__)
    STATUS_ID = "onboarding-status"

    """Dismisses with "demo", the new environment's name, or None (later)."""


    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self) -> None:
        super().__init__(id="onboarding")
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="onboarding-box"):
            yield Label("Welcome to call-console", classes="onboarding-title")
            yield Static("Nothing is configured yet. Try everything on the built-in simulator, "
                         "or connect to your MrAssistant API.", classes="onboarding-text",
                         markup=False)
            with Horizontal(classes="demo-row"):
                yield Button("Try the demo", id="demo", variant="success", compact=True)
                yield Static("the built-in simulator on 127.0.0.1, no account needed "
                             "(same as `call-console --demo`)", markup=False)
            yield Label("Connect to an API", classes="onboarding-section")
            yield from self._row("Environment", Input(DEFAULT_ENV_NAME, id="env-name",
                                                      compact=True), "env-name")
            yield from self._row("Base URL", Input(placeholder="https://api.example.com",
                                                   id="base-url", compact=True), "base-url")
            yield from self._row("Username", Input(placeholder="username", id="username",
                                                   compact=True), "username")
            yield from self._row("Password", Input(placeholder="password", password=True,
                                                   id="password", compact=True), "password")
            yield from self._row("or a token", Input(placeholder="pre-issued bearer token",
                                                     password=True, id="token", compact=True),
                                 "token")
            yield Static("", id="onboarding-status", markup=False)
            with Horizontal(classes="connect-row"):
                yield Button("Later", id="later", compact=True)
                yield Label(" ")
                yield Button("Connect", id="connect", variant="primary", compact=True)
            yield Static("Scripts: set CALL_CONSOLE_BASE_URL and CALL_CONSOLE_TOKEN instead "
                         "(`call-console locate` shows the config file).",
                         classes="onboarding-text", markup=False)

    @staticmethod
    def _row(label: str, widget: Input, name: str) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label(label)
            yield widget
        yield Static("", id=f"{name}-error", classes="field-error", markup=False)

    # -- actions ----------------------------------------------------------------------------

    @on(Button.Pressed, "#demo")
    def try_demo(self, event: Button.Pressed | None = None) -> None:
        if event is not None:
            event.stop()
        self.app.start_demo()
        self.dismiss("demo")

    @on(Button.Pressed, "#later")
    def _later(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#connect")
    def _connect_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.connect()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.connect()

    def _value(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def connect(self) -> None:
        """Check the fields, then sign in, add the environment and use it (in a worker)."""
        from console.account.environments import check_name, check_url

        if self._busy:
            return
        for name in FIELDS:
            self._set_error(name, None)
        self._set_status("")
        env_name = self._value("env-name").strip()
        base_url = self._value("base-url").strip()
        username = self._value("username").strip()
        password = self._value("password")
        token = self._value("token").strip()
        problems: dict[str, str] = {}
        if problem := check_name(env_name):
            problems["env-name"] = problem
        if not base_url:
            problems["base-url"] = "enter the API's base URL, e.g. https://api.example.com"
        elif problem := check_url(base_url):
            problems["base-url"] = problem
        if token:
            if any(c.isspace() for c in token):
                problems["token"] = "a token has no spaces or line breaks"
        else:
            if not username:
                problems["username"] = "enter your username (or paste a token below)"
            if not password:
                problems["password"] = "enter your password"
        if problems:
            for name, message in problems.items():
                self._set_error(name, message)
            self.query_one(f"#{next(n for n in FIELDS if n in problems)}", Input).focus()
            return
        self._busy = True
        self.query_one("#connect", Button).disabled = True
        self._set_status("Connecting…")
        self.run_worker(self._connect(env_name, base_url, username, password, token),
                        name="onboarding-connect", group="onboarding", exit_on_error=False)

    async def _connect(self, env_name: str, base_url: str, username: str, password: str,
                       token: str) -> None:
        import asyncio

        from console.account.environments import Environment, Target, add_environment
        from console.account.sign_in import LoginRefused, save_token, sign_in
        from console.api import errors
        from console.config.settings import ConfigError

        session = self.app.session
        environment = Environment(name=env_name, base_url=base_url.rstrip("/"),
                                  auth="token" if token else "login",
                                  username=None if token else (username or None))
        target = Target(name=env_name, base_url=environment.base_url, auth=environment.auth,
                        source="--env", environment=environment)
        try:
            if token:
                await save_token(target, token, store=session.store, timeouts=session._timeouts())
            else:
                await sign_in(target, username, password, store=session.store,
                              timeouts=session._timeouts())
            await asyncio.to_thread(add_environment, environment, make_active=True)
            session.use_environment(env_name)
        except LoginRefused as exc:
            if token:
                self._set_error("token", f"the API refused this token ({exc.detail or 'invalid'})")
                self.query_one("#token", Input).value = ""
            else:
                self._set_error("password", exc.detail or "wrong username or password")
                self.query_one("#password", Input).value = ""
            self._set_status("Not connected.", error=True)
        except errors.NotFound:
            self._set_error("base-url", "no sign-in route here (404): is this the API's base URL?")
            self._set_status("Not connected.", error=True)
        except errors.ConnectionFailed as exc:
            self._set_error("base-url", f"cannot reach it: {exc}")
            self._set_status("Not connected.", error=True)
        except ConfigError as exc:
            self._set_error("env-name", str(exc))
            self._set_status("Signed in, but the environment could not be saved.", error=True)
        except errors.ApiError as exc:
            self._set_status(str(exc), error=True)
        except Exception as exc:  # noqa: BLE001 - the token store, the config file...
            self._set_status(f"Could not connect: {type(exc).__name__}: {exc}", error=True)
        else:
            self.app.notify(f"Connected to {environment.base_url} as environment {env_name}; "
                            "it is the default from now on.", title="Connected", markup=False,
                            timeout=8)
            self.dismiss(env_name)
            return
        finally:
            self._busy = False
        if self.is_attached:
            self.query_one("#connect", Button).disabled = False
