"""The console app and the one `make_app` factory used by the CLI, --demo, tests and screenshots.

Start-up order (nothing slow before the first frame):
1. the first frame: header and footer of the chosen screen (the Call screen: with its core
   fields, caret in To). No settings, pydantic, httpx, phonenumbers or simulator imports yet;
2. right after it (`after_first_frame`), the screen mounts the rest of its body (the Call
   form's fields after DTMF, the preview); then a thread worker loads the settings and warms
   the heavy imports (draft rules, API client); the `ConsoleSession` is created and
   `session_changed` is published;
3. `--demo`: a thread worker starts the simulator, then the session connects to it;
4. a worker probes `GET /agents` (known agents + connection health).

Other parts hook in through the app: `app.session`, `app.track_call(...)` (the CallTracker of
the live-calls issue attaches there) and the signals `session_changed`, `agents_changed`,
`tracked_changed`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import App
from textual.binding import Binding
from textual.notifications import Notification
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from console.tui.account import AccountController
from console.tui.keys import ENV_SWITCH, PALETTE, QUIT, SIGN_IN
from console.tui.known_agents import KnownAgent
from console.tui.look.look_and_feel import LookAndFeelApp
from console.tui.screens import SCREENS, ScreenSpec

log = logging.getLogger("console.tui")

if TYPE_CHECKING:
    from console.account.session import ConsoleSession
    from console.api.models import CallResponse, CallStatus, OutboundCallRequest
    from console.config.settings import Settings
    from console.sim.runner import SimServer
    from console.sim.state import SimConfig
    from console.store.profiles import ProfilesStore
    from console.tui.failures import FailureReporter

#: --demo simulator: real time, room for a busy demo.
DEMO_TIME_SCALE = 1.0
DEMO_MAX_CONCURRENT = 50


def utc_now() -> datetime:
    return datetime.now(UTC)


def _commands_provider():
    from console.tui.keys.commands import ConsoleCommands

    return ConsoleCommands


#: The screen keys share one footer entry ("f2 f3 f4 f5 Views"): the footer must fit 80 columns.
SCREENS_GROUP = Binding.Group("Views")


def _screen_binding(spec: ScreenSpec):
    return Binding(spec.key, f"app.show_screen('{spec.name}')", spec.title, id=spec.binding_id,
                   tooltip=f"{spec.title}: {spec.description}", group=SCREENS_GROUP,
                   show=spec.in_footer)


@dataclass
class TrackedCall:
    """A call handed to tracking: placed by Send, or found by reconciling an unknown outcome."""

    call_id: str
    agent_id: str
    to_number: str
    from_number: str | None
    status: str
    placed: Any                      # CallResponse (Send) or CallStatus (reconciled)
    request: Any = None              # the OutboundCallRequest that placed it, when known
    via: str = "send"                # "send" | "reconcile"
    at: datetime = field(default_factory=utc_now)


#: How many of the latest toasts `CallConsoleApp.notices` keeps.
NOTICES_KEPT = 200


class CallConsoleApp(LookAndFeelApp):
    # App-wide rules only; every screen and widget brings its own .tcss (console/tui/css.py).
    CSS_PATH = "app.tcss"
    TITLE = "call-console"
    ENABLE_COMMAND_PALETTE = True
    # ConsoleCommands extends the look-and-feel provider: one provider, one fixed order.
    COMMANDS = App.COMMANDS | {_commands_provider}
    BINDINGS = [QUIT.binding(), PALETTE.binding(), SIGN_IN.binding(), ENV_SWITCH.binding()] + [
        _screen_binding(spec) for spec in SCREENS.values()]

    def __init__(
        self,
        *,
        session: ConsoleSession | None = None,
        settings_loader: Callable[[], Settings] | None = None,
        demo: bool = False,
        screen: str = "call",
        operator: str | None = None,
        clock: Callable[[], datetime] | None = None,
        keymap: Mapping[str, str] | None = None,
        sim_config: SimConfig | None = None,
        probe_agents: bool = True,
        env: str | None = None,
        account_checks: bool = False,
        onboarding: bool = False,
        survive_errors: bool = False,
    ) -> None:
        if screen not in SCREENS:
            raise ValueError(f"unknown screen {screen!r}; known: {', '.join(SCREENS)}")
        # Start in the chosen screen's mode directly: switch_mode() at start-up would hold
        # back the first frame (it suspends painting for a moment to mask the switch).
        self.DEFAULT_MODE = screen
        super().__init__()
        #: an unexpected error in a handler is logged and shown, and the console goes on
        #: (the CLI turns this on; tests keep Textual's strict default: the first error fails)
        self.survive_handler_errors = survive_errors
        if survive_errors:
            from console.tui.textual_compat import install_error_boundary

            install_error_boundary()
        #: What the console told the operator (toasts) since the last `clear_notifications`,
        #: newest last; Textual forgets a toast once it times out.
        self.notices: deque[Notification] = deque(maxlen=NOTICES_KEPT)
        self._session = session
        self._settings_loader = settings_loader
        self.demo = demo
        self.initial_screen = screen
        self.operator = operator
        self.clock: Callable[[], datetime] = clock or utc_now
        self._keymap_overrides = dict(keymap or {})
        self.sim_config = sim_config
        self.probe_enabled = probe_agents
        #: `--env NAME`: the environment the session uses (None: CALL_CONSOLE_ENV / active_env)
        self.env = env
        self.default_region = "US"
        self.sim: SimServer | None = None
        self.health = "idle"
        self.health_text = "starting…"
        self.known_agents: list[KnownAgent] = []
        self.tracked_calls: list[TrackedCall] = []
        self.fatal_message: str | None = None
        self._first_frame_shown = False
        self._after_first_frame_callbacks: list[Callable[[], object]] = []
        #: published (with the app) when the session is ready, reconnects, or its health changes
        self.session_changed: Signal[CallConsoleApp] = Signal(self, "session-changed")
        self.agents_changed: Signal[list[KnownAgent]] = Signal(self, "agents-changed")
        self.tracked_changed: Signal[TrackedCall] = Signal(self, "tracked-changed")
        #: saved profiles (opened in the start-up worker; None until then) and the signal
        #: published after every write and when the file changes on disk (profiles_link.py)
        self.profiles: ProfilesStore | None = None
        self.profiles_changed: Signal[ProfilesStore] = Signal(self, "profiles-changed")
        self.server_agents: list[KnownAgent] = []  # GET /agents; known_agents adds profiles
        self._profiles_opened: ProfilesStore | None = None
        #: who is signed in, capacity, login modal, environments, onboarding, audit records
        self.account = AccountController(self, checks=account_checks, onboarding=onboarding)
        #: the live calls (live_calls.py): the CallStore and CallTracker, created with the
        #: session in the start-up worker; `calls_changed` carries each batch of changed calls.
        #: Tests may set `app.live.polling = False` / `app.live.clock` before running the app.
        from console.tui.live_calls import LiveCalls

        self.live = LiveCalls(self)
        self.tracker: Any = None
        self.call_store: Any = None
        self.calls_changed: Signal[list[Any]] = Signal(self, "calls-changed")
        for spec in SCREENS.values():
            self.add_mode(spec.name, spec.load)

    # -- session ----------------------------------------------------------------------------

    @property
    def session(self) -> ConsoleSession:
        """The console session (settings + API client). Normally created just after the first
        frame; asking earlier loads it on the spot."""
        if self._session is None:
            self._session = self._make_session()
        return self._session

    @property
    def session_ready(self) -> bool:
        return self._session is not None

    def _make_session(self) -> ConsoleSession:
        from console.account.session import ConsoleSession

        settings = (self._settings_loader or _default_settings_loader(self.operator))()
        return ConsoleSession(settings, demo=self.demo, operator=self.operator, env=self.env)

    @property
    def host_label(self) -> str:
        if self._session is None:
            return "…"
        if not self._session.connected:
            return "simulator starting…" if self.demo else "no API configured"
        return self._session.host

    # -- start-up ---------------------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        shown = message
        if not markup:  # server text (always markup=False): may be kilobytes long
            from console.tui.widgets.toast_text import clip_toast

            shown = clip_toast(message, f"the whole text is in the log, {_log_path()}")
            if shown != message:
                log.info("%s: %s", title or severity, message)
        super().notify(shown, title=title, severity=severity, timeout=timeout,
                       markup=markup)
        self.notices.append(Notification(message, title, severity,
                                         self.NOTIFICATION_TIMEOUT if timeout is None
                                         else timeout, markup=markup))

    def clear_notifications(self) -> None:
        super().clear_notifications()
        self.notices.clear()

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Run the console (the CLI's way; tests use `run_test`).

        The garbage collector stays off from here until the Call form is mounted
        (`_after_first_frame`), what the imports made frozen (`console.tui.collector`)."""
        from console.tui import collector

        collector.hold_for_start_up()
        try:
            return super().run(*args, **kwargs)
        finally:
            collector.start_up_done()

    def on_mount(self) -> None:
        if self._keymap_overrides:
            self.update_keymap(self._keymap_overrides)

    def on_ready(self) -> None:
        # Ready comes with the first layout; one more refresh and the frame is on the terminal.
        self.call_after_refresh(self._first_frame_done)

    def after_first_frame(self, callback: Callable[[], Any]) -> None:
        """Run `callback` once the first frame is on screen (at once, after a refresh, later)."""
        if self._first_frame_shown:
            # In a worker, as at start-up: a callback that awaits (the Call form's mount) must
            # not hold the app's queue, whose refreshes it waits for.
            start = partial(self._after_first_frame, [callback], prepare=False)
            self.call_after_refresh(
                lambda: self.run_worker(start, name="after-first-frame", group="startup",
                                        exit_on_error=False))
        else:
            self._after_first_frame_callbacks.append(callback)

    def _first_frame_done(self) -> None:
        self._first_frame_shown = True
        callbacks, self._after_first_frame_callbacks = self._after_first_frame_callbacks, []
        # A worker, not a handler of the app's: the app's own queue keeps moving while the
        # callbacks await (keys typed meanwhile reach the focused input at once). Given as a
        # callable: an app closing before the worker starts leaves no coroutine unawaited.
        self.run_worker(partial(self._after_first_frame, callbacks), name="after-first-frame",
                        group="startup", exit_on_error=False)

    async def _after_first_frame(self, callbacks: list[Callable[[], Any]], *,
                                 prepare: bool = True) -> None:
        """Run what waited for the first frame (the rest of the Call form), then start the
        settings thread: started earlier, its imports fight the form's mount for the GIL."""
        try:
            for callback in callbacks:
                result = callback()
                if inspect.isawaitable(result):
                    await result
        finally:
            if prepare:
                from console.tui import collector

                collector.start_up_done()  # off since `run`
                self.run_worker(self._prepare, thread=True, name="prepare", group="startup",
                                exit_on_error=False)

    def _prepare(self) -> ConsoleSession:
        """Thread: settings and the imports the first frame skipped."""
        session = self._session or self._make_session()
        import console.api.client  # noqa: F401  (httpx, pydantic models)
        import console.calls.draft  # noqa: F401  (phonenumbers, SIP rules)
        from console.telephony.phone import region_name

        region_name("US")  # reads the region-name table here, not on the first keystroke
        from console.tui.profiles.link import open_profiles

        self._profiles_opened = open_profiles(session.settings.default_region)
        self.live.prepare(session)  # call history + tracker, today's calls re-attached
        return session

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "startup" and worker.name == "prepare":
            if event.state == WorkerState.SUCCESS:
                if self.is_running:
                    self._session_ready(worker.result)
                else:  # quit during start-up: nothing to set up, only to close
                    self._session = worker.result
            elif event.state == WorkerState.ERROR:
                self._fatal(worker.error)
        elif worker.name == "after-first-frame" and event.state == WorkerState.ERROR:
            self._fatal(worker.error)
        elif worker.group == "profiles-reload" and event.state in (WorkerState.SUCCESS,
                                                                  WorkerState.ERROR):
            self.profiles_written()
        elif worker.name == "demo-sim":
            if event.state == WorkerState.SUCCESS:
                self._sim_ready(worker.result)
            elif event.state == WorkerState.ERROR:
                self.set_health("error", "simulator failed")
                self.notify(f"The demo simulator did not start: {worker.error}",
                            severity="error", markup=False, timeout=30)

    def _fatal(self, error: BaseException | None) -> None:
        from console.config.settings import ConfigError

        if isinstance(error, ConfigError):
            self.fatal_message = f"call-console: configuration error: {error}"
            self.exit_when_settled(2)
        elif isinstance(error, OSError) and error.filename is not None:
            # a data or config dir it cannot create or write (read-only, a file in the way)
            self.fatal_message = f"call-console: {error.filename}: {error.strerror or error}"
            self.exit_when_settled(2)
        else:
            self.fatal_message = f"call-console: could not start: {error!r}"
            self.exit_when_settled(1)

    @cached_property
    def failures(self) -> FailureReporter:
        """Reports handler errors (survive_errors). Made on the first one: its imports (json,
        the safe-text helpers) are not on the way to the first frame."""
        from console.tui.failures import FailureReporter

        return FailureReporter(self)

    def handler_failed(self, error: BaseException, where: object | None) -> None:
        """An unexpected error in a handler (survive_errors): logged, shown once, go on."""
        self.failures.report(error, where)

    # -- exit -------------------------------------------------------------------------------

    #: the longest an exit waits for the screen to finish mounting (seconds)
    SETTLE_TIMEOUT = 3.0

    def exit_when_settled(self, return_code: int = 0) -> None:
        """Exit once the screen has settled (see `ConsoleScreen.settled`): a quit, a hangup
        or a fatal error during start-up must not tear the form down half-mounted."""

        async def exit_after_settling() -> None:
            settled = getattr(self.screen, "settled", None)
            if settled is not None:
                try:
                    await asyncio.wait_for(settled(), self.SETTLE_TIMEOUT)
                except asyncio.TimeoutError:
                    log.warning("exiting before the screen settled")
            self.exit(return_code=return_code)

        self.run_worker(exit_after_settling(), name="exit", group="exit", exit_on_error=False)

    async def action_quit(self) -> None:
        """Quit, after asking when calls are in flight or live (the quit key again confirms)."""
        from console.tui.dialogs.confirm import ConfirmScreen

        reasons = self.quit_warnings()
        on_top = self.screen
        if not reasons or getattr(on_top, "purpose", None) == "quit":
            self.exit_when_settled()
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.exit_when_settled()

        body = Text("\n".join(reasons) + f"\n\n{QUIT.key} again quits.")
        self.push_screen(ConfirmScreen("Quit call-console?", body, confirm="Quit", cancel="Stay",
                                       purpose="quit"), answered)

    def quit_warnings(self) -> list[str]:
        """What quitting now would leave behind: a call request in flight, live calls placed
        from this console (calls of watched agents are not ours to worry about)."""
        reasons = []
        in_flight = sum(1 for worker in self.workers
                        if worker.group == "place-call" and worker.is_running)
        if in_flight:
            reasons.append("A call request is in flight: quitting now leaves its outcome "
                           "unknown (the call may be placed).")
        for worker in self.workers:
            if worker.group == "campaign-run" and worker.is_running:
                name = getattr(worker.node, "name_running", None) or "A campaign"
                reasons.append(f"Campaign {name} is running: quitting stops its dialling. "
                               f"`call-console campaign resume {name}` goes on later from its "
                               "journal (no row is dialled twice).")
        tracker = self.tracker
        live = [call for call in tracker.calls() if call.live and call.source != "watched"
                ] if tracker is not None else []
        if live:
            count = f"{len(live)} call{'s' if len(live) != 1 else ''} placed here "
            count += "is" if len(live) == 1 else "are"
            reasons.append(f"{count} still live. Calls go on without the console; it stops "
                           "following them (they are shown again when it starts).")
        return reasons

    def _session_ready(self, session: ConsoleSession) -> None:
        self._session = session
        self.default_region = session.settings.default_region
        self._profiles_ready()
        session.on_connect(lambda _s: self._connected())
        self.account.session_ready(session)
        self.live.session_ready()
        if self.demo:
            self.start_demo()
        elif session.connected:
            self._connected()
        else:
            self.set_health("idle", "not connected")

    def start_demo(self) -> None:
        """Start the in-process simulator and connect the session to it (--demo, onboarding)."""
        self.demo = True
        if self._session is not None:
            self._session.demo = True
        self.set_health("checking", "starting simulator…")
        self.run_worker(self._start_sim, thread=True, name="demo-sim", group="startup",
                        exit_on_error=False)

    def _start_sim(self) -> SimServer:
        from console.sim.runner import start_in_thread
        from console.sim.state import SimConfig

        config = self.sim_config or SimConfig(time_scale=DEMO_TIME_SCALE,
                                              max_concurrent_calls=DEMO_MAX_CONCURRENT)
        return start_in_thread(config)

    def _sim_ready(self, sim: SimServer) -> None:
        from console.account.session import demo_identity

        self.sim = sim
        # Each run is its own environment: the previous run's calls are not re-attached.
        self.session.connect(sim.base_url, sim.token, identity=demo_identity())  # → _connected

    def _connected(self) -> None:
        self.live.connected()  # watch agents, start polling
        self.set_health("checking", "checking…")
        if self.probe_enabled:
            self.run_worker(self._probe, name="probe", group="probe", exit_on_error=False)
        else:
            self.set_health("ok", "configured")

    async def _probe(self) -> None:
        """`GET /agents`: the known agents, and whether the API answers at all."""
        from console.api import errors

        try:
            agents = await self.session.client.probe_agents()
        except errors.AuthRequired:
            self.set_health("error", "sign-in needed")
            self.account.auth_required()
            return
        except (errors.ConnectionFailed, errors.NetworkError) as exc:
            from console.tracker.health import NO_ANSWER, UNREACHABLE

            kind = UNREACHABLE if isinstance(exc, errors.ConnectionFailed) else NO_ANSWER
            self.set_health("error", f"offline ({kind})")  # the tracker's words for it
            return
        except errors.ApiError as exc:
            self.set_health("warn", f"error {exc.status_code or ''}".strip())
            return
        self.set_health("ok", "online")
        if agents:
            self.server_agents = [
                KnownAgent(a.agent_id, a.name or "", tuple(
                    n.number for n in a.phone_numbers if n.outbound_enabled))
                for a in agents]
            self._publish_known_agents()

    # -- saved profiles ---------------------------------------------------------------------

    def _profiles_ready(self) -> None:
        from console.tui.profiles.link import WATCH_INTERVAL

        store, self._profiles_opened = self._profiles_opened, None
        if store is None or self.profiles is not None:
            return
        self.profiles = store
        self.set_interval(WATCH_INTERVAL, self._watch_profiles_file)
        self.profiles_written()

    def profiles_written(self) -> None:
        """After a write (or a reload): known agents again, then `profiles_changed`."""
        if self.profiles is None:
            return
        self._publish_known_agents()
        self.profiles_changed.publish(self.profiles)

    def reload_profiles(self) -> None:
        """Re-read the profiles file in a thread, then publish `profiles_changed`."""
        store = self.profiles
        if store is not None:
            self.run_worker(store.reload, thread=True, name="profiles-reload",
                            group="profiles-reload", exit_on_error=False)

    def _watch_profiles_file(self) -> None:
        store = self.profiles
        if store is not None and store.changed_on_disk() and not any(
                w.group == "profiles-reload" and w.is_running for w in self.workers):
            self.reload_profiles()

    def _publish_known_agents(self) -> None:
        from console.tui.profiles.link import merge_known_agents, profile_agents

        known = merge_known_agents(profile_agents(self.profiles), self.server_agents,
                                   self.profiles)
        if known != self.known_agents:
            self.known_agents = known
            self.agents_changed.publish(self.known_agents)

    def set_health(self, level: str, text: str) -> None:
        """Connection health for the header: ok / checking / warn / error / idle.

        Set by the connect probe and Send, and kept current by the tracker's requests
        (`LiveCalls.check_health`: offline, degraded, paused, online)."""
        self.health, self.health_text = level, text
        self.session_changed.publish(self)

    # -- tracking ---------------------------------------------------------------------------

    def track_call(self, placed: CallResponse | CallStatus,
                   request: OutboundCallRequest | None = None, *, via: str = "send") -> TrackedCall:
        """Hand a placed call to tracking.

        The call is kept in `tracked_calls` (the Call screen lists them) and handed to the
        CallTracker (`app.live`). `placed` is a `CallResponse` from Send, or a `CallStatus` when
        an unknown outcome was reconciled from the agent's call list (flagged outcome-unknown).
        """
        tracked = TrackedCall(
            call_id=placed.call_id, agent_id=placed.agent_id, to_number=placed.to_number,
            from_number=placed.from_number, status=placed.status, placed=placed,
            request=request, via=via)
        self.tracked_calls.append(tracked)
        self.live.track(placed, request, via=via)
        self.tracked_changed.publish(tracked)
        self.account.call_placed(tracked)  # audit record (with the operator), quota re-read
        return tracked

    # -- navigation -------------------------------------------------------------------------

    def action_show_screen(self, name: str) -> None:
        if name in SCREENS and self.current_mode != name:
            self.switch_mode(name)

    def action_sign_in(self) -> None:
        self.account.request_login()

    def action_switch_env(self) -> None:
        self.account.open_switcher()

    # -- shutdown ---------------------------------------------------------------------------

    async def on_unmount(self) -> None:
        self.account.stop()
        await self.live.stop()
        if self._session is not None:
            try:
                await self._session.aclose()
            except Exception:  # noqa: BLE001 - closing a dead connection must not break exit
                pass
        self.stop_demo()

    def stop_demo(self) -> None:
        sim, self.sim = self.sim, None
        if sim is not None:
            sim.stop()


def _log_path() -> str:
    from console.logs import log_file
    from console.paths import shown_path

    return shown_path(log_file())


def _default_settings_loader(operator: str | None) -> Callable[[], Settings]:
    def load() -> Settings:
        from console.config.settings import load_settings

        return load_settings(operator=operator)

    return load


def make_app(
    *,
    session: ConsoleSession | None = None,
    settings: Settings | None = None,
    demo: bool = False,
    screen: str = "call",
    operator: str | None = None,
    clock: Callable[[], datetime] | None = None,
    keymap: Mapping[str, str] | None = None,
    sim_config: SimConfig | None = None,
    probe_agents: bool = True,
    env: str | None = None,
    account_checks: bool = False,
    onboarding: bool = False,
    theme: str | None = None,
    survive_errors: bool = False,
) -> CallConsoleApp:
    """Build the console. With neither `session` nor `settings`, settings are loaded (config
    file + CALL_CONSOLE_* env) right after the first frame.

    `env` selects `[environments.NAME]` like `--env`. `account_checks` turns on the background
    reads of who is signed in and the capacity meter's quota polling; `onboarding` shows the
    first-run view when nothing is configured. The CLI turns both on; tests opt in.
    `survive_errors`: an unexpected error in a handler is logged and shown instead of ending
    the app (the CLI turns it on; tests stay strict)."""
    loader = None
    if session is None and settings is not None:
        def loader() -> Settings:
            return settings
    made = CallConsoleApp(session=session, settings_loader=loader, demo=demo, screen=screen,
                          operator=operator, clock=clock, keymap=keymap, sim_config=sim_config,
                          probe_agents=probe_agents, env=env, account_checks=account_checks,
                          onboarding=onboarding, survive_errors=survive_errors)
    made.requested_theme = theme  # --theme NAME (wins over config.toml's theme)
    return made
