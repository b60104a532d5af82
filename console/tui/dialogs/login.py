"""The login modal: sign in to the API in use with a username and password, or a pasted token.

Opened by the sign-in key, the Settings screen, and automatically when a request answers
"sign in again" (a refused or spent refresh token, a missing login). It signs in through the
app's `ConsoleSession` (`login` / `login_with_token`), so the same client and every poller carry
on with the new tokens: the screen under the modal (the Call form with its values, the live
calls) is never touched. Dismisses with the `Me` the API returned, or None when cancelled.

Problems are shown at the field they belong to (an empty username, a refused password, a refused
token); the token and the password are never shown, logged or put in a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from console.tui.css import stylesheet
from console.tui.dialogs.field_errors import FieldErrors
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

if TYPE_CHECKING:
    pass


def _row(label: str, widget: Input) -> ComposeResult:
    with Horizontal(classes="login-row"):
        yield Label(label)
        yield widget
    yield Static("", id=f"{widget.id}-error", classes="field-error", markup=False)


class LoginScreen(FieldErrors, ConsoleModal["Me | None"]):
    DEFAULT_CSS = stylesheet(__file__)
    STATUS_ID = "login-status"


    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, *, reason: str | None = None, username: str | None = None) -> None:
        super().__init__(id="login")
        self._reason = reason
        self._username = username
        self._busy = False

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Label("Sign in", classes="login-title")
            yield Static(Text(self._target_text()), id="login-target")
            if self._reason:
                yield Static(Text(self._reason), id="login-reason")
            username = self._default_username()
            # The caret starts where typing is needed. Through AUTO_FOCUS, not a query in
            # on_mount: a dialog closed while it mounts (the app quitting at start-up) has no
            # children left by the time its Mount is handled.
            self.AUTO_FOCUS = "#password" if username else "#username"
            yield from _row("Username", Input(username, placeholder="username",
                                              id="username", compact=True))
            yield from _row("Password", Input(placeholder="password", password=True,
                                              id="password", compact=True))
            yield Static("or paste a pre-issued token (used as is, never refreshed):",
                         classes="login-or", markup=False)
            yield from _row("Token", Input(placeholder="bearer token", password=True,
                                           id="token", compact=True))
            yield Static("", id="login-status", markup=False)
            with Horizontal(classes="login-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Sign in", id="sign-in", variant="primary", compact=True)

    def _target_text(self) -> str:
        app = self.app
        session = app.session if app.session_ready else None
        if session is None or session.base_url is None:
            return "no API configured"
        target = session.target
        if target is not None and target.is_named:
            return f"environment {target.name} — {target.host}"
        return session.host

    def _default_username(self) -> str:
        if self._username:
            return self._username
        app = self.app
        if not app.session_ready:
            return ""
        session = app.session
        target = session.target
        if target is not None and target.environment is not None and target.environment.username:
            return target.environment.username
        if session.me is not None:
            return session.me.username
        auth = getattr(session, "_auth", None)
        return getattr(auth, "username", None) or ""

    # -- errors -----------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for name in ("username", "password", "token"):
            self._set_error(name, None)
        self._set_status("")

    # -- actions ----------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "username" and not self.query_one("#password", Input).value:
            self.query_one("#password", Input).focus()
            return
        self.submit()

    @on(Button.Pressed, "#sign-in")
    def _sign_in_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def submit(self) -> None:
        """Check the fields, then sign in (in a worker). Nothing is sent with an empty field."""
        if self._busy:
            return
        self._clear_errors()
        username = self.query_one("#username", Input).value.strip()
        password = self.query_one("#password", Input).value
        token = self.query_one("#token", Input).value.strip()
        if not self.app.session_ready or not self.app.session.connected:
            self._set_status("No API is configured: add an environment in Settings first.",
                             error=True)
            return
        if token:
            if any(c.isspace() for c in token):
                self._set_error("token", "a token has no spaces or line breaks")
                return
        else:
            problems = False
            if not username:
                self._set_error("username", "enter your username (or paste a token below)")
                problems = True
            if not password:
                self._set_error("password", "enter your password")
                problems = True
            if problems:
                self.query_one("#username" if not username else "#password", Input).focus()
                return
        self._busy = True
        self.query_one("#sign-in", Button).disabled = True
        self._set_status("Signing in…")
        self.run_worker(self._sign_in(username, password, token), name="sign-in",
                        group="sign-in", exit_on_error=False)

    async def _sign_in(self, username: str, password: str, token: str) -> None:
        from console.account.sign_in import LoginRefused
        from console.api import errors

        session = self.app.session
        try:
            if token:
                me = await session.login_with_token(token)
            else:
                me = await session.login(username, password)
        except LoginRefused as exc:
            if token:
                self._set_error("token", f"the API refused this token ({exc.detail or 'invalid'})")
                self.query_one("#token", Input).value = ""
                self.query_one("#token", Input).focus()
            else:
                self._set_error("password", exc.detail or "wrong username or password")
                self.query_one("#password", Input).value = ""
                self.query_one("#password", Input).focus()
            self._set_status("Not signed in.", error=True)
        except errors.ValidationFailed as exc:
            self._set_status(f"The API rejected the request: {exc.detail}", error=True)
        except errors.ConnectionFailed as exc:
            self._set_status(f"Cannot reach the API: {exc}", error=True)
        except errors.ApiError as exc:
            self._set_status(str(exc), error=True)
        except Exception as exc:  # noqa: BLE001 - e.g. the token store is unusable
            self._set_status(f"Could not sign in: {type(exc).__name__}: {exc}", error=True)
        else:
            self.dismiss(me)
            return
        finally:
            self._busy = False
        if self.is_attached:
            self.query_one("#sign-in", Button).disabled = False
