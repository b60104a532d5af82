"""The account side of the console, owned by the app (`app.account`).

- who is signed in (`GET /auth/me`) and the tenant's capacity (`GET .../quota`, every
  `QUOTA_INTERVAL` s and right after each call placed) for the header and its capacity meter;
- the login modal whenever a request answers "sign in again" (the agent probe, Send, the
  tracker's polling, the quota), opened once, over whatever is on screen, which it leaves as it
  was (form values, live calls);
- the environment switcher (`switch_environment`) and first-run onboarding;
- the session's `CallService` (`call_service`, face "tui"): the Call form and the Calls screen
  place, reconcile, end and transfer calls through it, and it writes their audit records
  (with the operator's name); a record that cannot be written is a toast. Other audit records
  of the TUI (`file_refused`) go through `audit()`.

`checks=False` (the default of `make_app`, so tests and snapshots stay deterministic) skips the
background reads: whoami at connect, the quota polling and onboarding; the login modal, the
switcher and the audit records work either way. The CLI turns the checks on.

Publishes `changed` (with itself) whenever anything the header shows moves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.signal import Signal

from console.tui.widgets.capacity_meter import QUOTA_INTERVAL, Capacity

if TYPE_CHECKING:
    from console.account.session import ConsoleSession
    from console.calls.service import CallService
    from console.tui.app import CallConsoleApp

#: How often the tracker's error counter is looked at for "sign in again" (seconds).
TRACKER_CHECK_INTERVAL = 2.0
AUTH_HINT = "sign in again"


class AccountController:
    def __init__(self, app: CallConsoleApp, *, checks: bool = False, onboarding: bool = False,
                 quota_interval: float = QUOTA_INTERVAL) -> None:
        self.app = app
        self.checks = checks
        self.onboarding = onboarding
        self.quota_interval = quota_interval
        self.capacity = Capacity()
        self.changed: Signal[AccountController] = Signal(app, "account-changed")
        self.login_screen: Any = None
        self._base_url: str | None = None
        self._quota_busy = False
        self._quota_again = False  # asked for while a read was running: read once more after
        self._checking_send = False
        self._tracker_errors = 0
        self._timers: list[Any] = []
        self._call_service: CallService | None = None
        #: quota reads done (tests wait on it)
        self.quota_reads = 0

    # -- what the header shows ----------------------------------------------------------------

    @property
    def _session(self) -> ConsoleSession | None:
        return self.app.session if self.app.session_ready else None

    @property
    def env_label(self) -> str:
        session = self._session
        return (session.env_name or "") if session is not None else ""

    @property
    def me(self):
        session = self._session
        return session.me if session is not None else None

    @property
    def user_label(self) -> str:
        me = self.me
        if me is None:
            return ""
        if me.owner_id:
            return f"{me.username}@{me.owner_id[:8]}"
        return f"{me.username} ({me.role})"

    @property
    def user_tooltip(self) -> str:
        me = self.me
        if me is None:
            return ""
        return f"user {me.username} ({me.role}), tenant {me.owner_id or 'none'}"

    def _publish(self) -> None:
        self.changed.publish(self)

    # -- start-up and session changes -------------------------------------------------------

    def session_ready(self, session: ConsoleSession) -> None:
        """Called by the app once its session exists (before the demo simulator starts)."""
        self._base_url = session.base_url
        session.on_connect(self._session_switched)
        self._timers.append(self.app.set_interval(TRACKER_CHECK_INTERVAL, self._watch_tracker,
                                                  name="account-tracker-check"))
        if self.checks:
            self._timers.append(self.app.set_interval(self.quota_interval, self.poll_quota,
                                                      name="capacity-poll"))
        if self.onboarding and self._nothing_configured(session):
            self.app.call_after_refresh(self.show_onboarding)
        elif session.connected and not self.app.demo:
            self.refresh()
        self._publish()

    def _nothing_configured(self, session: ConsoleSession) -> bool:
        return session.target is None and not session.connected and not self.app.demo

    def _session_switched(self, session: ConsoleSession) -> None:
        """The session connected, switched environment, signed in or out."""
        if session.base_url != self._base_url:
            self._base_url = session.base_url
            self.capacity = Capacity()
        self._publish()
        self.refresh()

    def refresh(self) -> None:
        """Read who is signed in and the capacity again (checks on), or ask to sign in."""
        session = self._session
        if session is None or not session.connected:
            self._publish()
            return
        if session.needs_login:
            self.auth_required("Not signed in to this API.")
            return
        if not self.checks:
            return
        self.app.run_worker(self._refresh(session), name="account-refresh", group="account",
                            exclusive=True, exit_on_error=False)

    async def _refresh(self, session: ConsoleSession) -> None:
        from console.api import errors

        try:
            await session.whoami()
        except errors.AuthRequired as exc:
            self.auth_required(_reason(exc))
            return
        except errors.ApiError:
            self._publish()
            return
        self._publish()
        await self._read_quota(session)

    # -- capacity ---------------------------------------------------------------------------

    def poll_quota(self) -> None:
        """Read the quota now (the timer, after a call placed). While a read is running, one
        more follows it: the running one may have left before what the caller knows changed."""
        session = self._session
        if (not self.checks or session is None or not session.connected
                or self.login_screen is not None):
            return
        if self._quota_busy:
            self._quota_again = True
            return
        self._quota_busy = True
        self.app.run_worker(self._read_quota(session), name="capacity", group="capacity",
                            exit_on_error=False)

    async def _read_quota(self, session: ConsoleSession) -> None:
        from console.api import errors

        self._quota_busy = True
        try:
            quota = await session.quota()
        except errors.AuthRequired as exc:
            self.auth_required(_reason(exc))
            return
        except (errors.Forbidden, errors.RequestRejected, errors.NotFound) as exc:
            self.capacity = Capacity(unavailable=str(exc))
        except errors.ApiError as exc:
            self.capacity = Capacity(quota=self.capacity.quota, error=str(exc))
        else:
            if session is self._session and session.base_url == self._base_url:
                self.capacity = Capacity(quota=quota)
        finally:
            self._quota_busy = False
            self.quota_reads += 1
        self._publish()
        if self._quota_again:
            self._quota_again = False
            self.poll_quota()

    async def fresh_capacity(self) -> Capacity:
        """Read the quota now and return it (the Call form's check before a send)."""
        session = self._session
        if session is not None and session.connected and not session.needs_login:
            await self._read_quota(session)
        return self.capacity

    def confirm_send(self, screen: Any, send, *, fresh: bool = True) -> None:
        """Run `send()` now, or after the operator confirms a send the capacity says will fail.

        Only when the last quota read says the tenant is at its concurrency cap (or out of
        monthly quota / blocked) is it read again, and the question asked if it still is.
        Nothing is ever resent: "Send anyway" sends once; the API then answers 429/403.
        """
        if not (self.capacity.would_exceed() or self.capacity.refused):
            send()
            return
        if not fresh:
            self._ask_send(screen, send)
            return
        if self._checking_send:
            return
        self._checking_send = True

        async def recheck() -> None:
            try:
                capacity = await self.fresh_capacity()
            finally:
                self._checking_send = False
            if capacity.would_exceed() or capacity.refused:
                self._ask_send(screen, send)
            else:
                send()

        screen.run_worker(recheck(), name="capacity-check", group="capacity-check",
                          exit_on_error=False)

    def _ask_send(self, screen: Any, send) -> None:
        from rich.text import Text

        from console.tui.dialogs.confirm import ConfirmScreen

        capacity = self.capacity
        quota = capacity.quota
        if capacity.refused and quota is not None:
            title = "The tenant cannot place calls right now"
            what = ("the monthly call quota is used up" if capacity.state == "exceeded"
                    else f"the tenant is {quota.status}")
            body = Text(f"The API says {what}: this send will most likely be refused (403). "
                        "Send anyway?")
        else:
            title = "At the concurrency cap"
            body = Text(f"This would exceed the concurrency cap ({capacity.active} of "
                        f"{capacity.maximum} active) — send anyway? The API will most likely "
                        "refuse it (429); it is not retried.")

        def answered(ok: bool | None) -> None:
            if ok:
                send()

        self.app.push_screen(ConfirmScreen(title, body, confirm="Send anyway",
                                           cancel="Don't send"), answered)

    # -- signing in -------------------------------------------------------------------------

    def auth_required(self, reason: str | None = None) -> None:
        """A request answered "sign in again": open the login modal (once)."""
        if self.login_screen is not None or self._onboarding_open():
            return
        self.request_login(reason or "The API asks you to sign in again.")

    def _onboarding_open(self) -> bool:
        from console.tui.dialogs.onboarding import OnboardingScreen

        return any(isinstance(s, OnboardingScreen) for s in self.app.screen_stack)

    def request_login(self, reason: str | None = None) -> None:
        session = self._session
        if session is None or not session.connected:
            self.app.notify("No API is configured: add an environment in Settings (f5), or "
                            "run `call-console --demo`.", severity="warning", markup=False)
            return
        if self.login_screen is not None:
            return
        from console.tui.dialogs.login import LoginScreen

        screen = LoginScreen(reason=reason)
        self.login_screen = screen

        def done(me) -> None:
            self.login_screen = None
            if me is not None:
                self.app.notify(f"Signed in as {me.username}.", title="Signed in",
                                markup=False, timeout=5)
                self._resume_tracker()
                self._publish()

        self.app.push_screen(screen, done)

    def _resume_tracker(self) -> None:
        """After a sign-in: live calls resume now, not when the tracker's pause for "sign in
        again" (`PollPolicy.auth_pause`) would have run out."""
        tracker = getattr(self.app, "tracker", None)
        if tracker is not None:
            tracker.resume()

    def logout(self) -> None:
        session = self._session
        if session is None or not session.connected:
            return
        try:
            removed = session.logout()
        except Exception as exc:  # noqa: BLE001
            self.app.notify(f"Could not sign out: {exc}", severity="error", markup=False)
            return
        self.app.set_health("error", "signed out")
        self.app.notify("Signed out: the stored sign-in was removed." if removed else
                        "Signed out (nothing was stored).", markup=False)

    def _watch_tracker(self) -> None:
        """The tracker pauses on "sign in again": confirm with /auth/me, then ask to sign in."""
        tracker = getattr(self.app, "tracker", None)
        if tracker is None or self.login_screen is not None:
            return
        try:
            stats = tracker.stats()
        except Exception:  # noqa: BLE001 - a tracker that is starting or stopping
            return
        if stats.errors <= self._tracker_errors:
            return
        self._tracker_errors = stats.errors
        if stats.last_error and AUTH_HINT in stats.last_error.lower():
            session = self._session
            if session is not None:
                self.app.run_worker(self._verify_auth(session), name="auth-check",
                                    group="auth-check", exclusive=True, exit_on_error=False)

    async def _verify_auth(self, session: ConsoleSession) -> None:
        from console.api import errors

        try:
            await session.whoami()
        except errors.AuthRequired as exc:
            self.auth_required(_reason(exc))
        except errors.ApiError:
            pass
        else:
            self._publish()

    # -- environments and onboarding --------------------------------------------------------

    def live_calls(self) -> int:
        tracker = getattr(self.app, "tracker", None)
        if tracker is not None:
            try:
                return tracker.stats().live
            except Exception:  # noqa: BLE001
                pass
        from console.api.models import is_terminal

        return sum(1 for t in getattr(self.app, "tracked_calls", []) if not is_terminal(t.status))

    def open_switcher(self) -> None:
        from console.config.settings import ConfigError
        from console.account.environments import load_environments
        from console.tui.settings.env_switch import EnvironmentSwitcher

        try:
            environments = load_environments()
        except ConfigError as exc:
            self.app.notify(str(exc), title="Configuration error", severity="error",
                            markup=False, timeout=15)
            return
        if not len(environments):
            self.app.notify("No environments yet: add one in Settings (f5).", markup=False)
            return
        session = self._session
        current = session.env_name if session is not None else None

        def chosen(name: str | None) -> None:
            if name and name != current:
                self.switch_environment(name)

        self.app.push_screen(EnvironmentSwitcher(environments, current), chosen)

    def switch_environment(self, name: str, *, confirm: bool = True) -> None:
        """Use `[environments.NAME]` from now on (this console only; Settings sets the
        default). Asks first when live calls are being tracked on the current API."""
        live = self.live_calls()
        if confirm and live:
            from rich.text import Text

            from console.tui.dialogs.confirm import ConfirmScreen

            body = Text(f"{live} live call(s) are being tracked on the current API. After the "
                        f"switch the console reads {name!r} instead, where those calls are "
                        "unknown. Switch anyway?")

            def answered(ok: bool | None) -> None:
                if ok:
                    self.switch_environment(name, confirm=False)

            self.app.push_screen(ConfirmScreen(f"Switch to {name}?", body, confirm="Switch",
                                               cancel="Stay"), answered)
            return
        from console.config.settings import ConfigError

        session = self.app.session
        try:
            session.use_environment(name)
        except ConfigError as exc:
            self.app.notify(str(exc), title="Cannot switch", severity="error", markup=False,
                            timeout=15)
            return
        if self.app.demo:
            self.app.demo = False
            session.demo = False
        self.app.notify(f"Using environment {name} ({session.host}).", markup=False, timeout=5)

    def show_onboarding(self) -> None:
        from console.config.settings import ConfigError
        from console.account.environments import load_environments

        try:
            has_environments = bool(len(load_environments()))
        except ConfigError:
            has_environments = False
        if has_environments:
            self.open_switcher()
            return
        from console.tui.dialogs.onboarding import OnboardingScreen

        self.app.push_screen(OnboardingScreen())

    # -- calls and audit ----------------------------------------------------------------------

    @property
    def call_service(self) -> CallService:
        """The session's call service (every call action of the TUI goes through it). Built
        on first use, so nothing of it is imported while the console starts. It follows the
        session: the current client and environment name at each action."""
        if self._call_service is None:
            from console.calls.service import CallService

            session = self.app.session
            self._call_service = CallService(
                lambda: self.app.session.client, face="tui",
                environment=lambda: self.app.session.env_name, operator=session.operator,
                on_audit_failed=lambda _kind: self._audit_failed())
        return self._call_service

    def call_placed(self, tracked: Any) -> None:
        """A call placed here (Send, a 408's call, an unknown outcome reconciled): the quota
        moved. (Its audit record is the call service's.)"""
        self.poll_quota()

    def call_ended(self, call_id: str) -> None:
        """A call ended from here: the quota moved (the call service audited it)."""
        self.poll_quota()

    def audit(self, kind: str, **fields: Any) -> None:
        """Append an audit record (in a thread: the log is shared under a file lock)."""
        session = self._session
        operator = session.operator if session is not None else self.app.operator

        async def write() -> None:
            import asyncio

            from console.account.audit import audit_event

            if not await asyncio.to_thread(audit_event, kind, operator=operator, **fields):
                self._audit_failed()

        self.app.run_worker(write(), name=f"audit-{kind}", group="audit", exit_on_error=False)

    def _audit_failed(self) -> None:
        self.app.notify("The audit log could not be written (see `call-console locate`).",
                        severity="warning", markup=False)

    def stop(self) -> None:
        for timer in self._timers:
            timer.stop()
        self._timers.clear()


def _reason(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    if detail:
        return f"The sign-in has expired or was refused ({detail}). Sign in again; what is " \
               "on screen stays as it is."
    return "The API asks you to sign in again; what is on screen stays as it is."


def palette_commands(app: CallConsoleApp, screen: Any):
    """`auth:` and `env:` commands (and `settings:` ones on the Settings screen) for the
    command palette: (text, help, callback)."""
    from functools import partial

    from console.tui.keys import ENV_SWITCH, SETTINGS_KEYS, SIGN_IN

    account = app.account
    yield (f"auth: {SIGN_IN.command} ({SIGN_IN.key})", SIGN_IN.help, account.request_login)
    yield ("auth: Sign out (forget the stored sign-in)", "Remove the stored tokens of the API "
           "in use; requests then ask to sign in again.", account.logout)
    yield (f"env: {ENV_SWITCH.command} ({ENV_SWITCH.key})", ENV_SWITCH.help,
           account.open_switcher)
    try:
        from console.account.environments import load_environments

        environments = load_environments()
    except Exception:  # noqa: BLE001 - a broken config file: Settings says what is wrong
        environments = None
    if environments is not None:
        current = app.session.env_name if app.session_ready else None
        for env in environments:
            if env.name != current:
                yield (f"env: use {env.name} ({env.base_url})",
                       "Switch this console to this environment.",
                       partial(account.switch_environment, env.name))
    if getattr(screen, "SCREEN_NAME", "") == "settings":
        for key in SETTINGS_KEYS:
            yield (f"settings: {key.command} ({key.key})", key.help,
                   partial(screen.run_action, key.action))
