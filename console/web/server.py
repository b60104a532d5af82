"""The aiohttp server behind `call-console serve-web`: sign-in in front of textual-serve.

Routes: `/login` (GET the form, POST name + password), `/logout` (POST), `/` (the console page,
only when signed in), `/ws` (the console's WebSocket: refused with 401 before any process starts
unless the session cookie is valid) and `/static/` (textual-serve's xterm.js files).

The per-operator rules are serve-ssh's: one child console per tab in its own process group,
with CALL_CONSOLE_OPERATOR and a session id in its environment (so the console confines its
file dialogs to the operator's exchange folder and signs its audit records), the server's
terminal variables dropped and the terminal size clamped (console.account.remote_console, shared
with serve-ssh), an idle timeout on input, a cap on running consoles, and
audit records for sign-ins, refusals, consoles and sign-outs (console.account.audit), each with
`"face": "web"`. The password is only ever a local variable of the sign-in handler: never logged,
audited, or given to a child.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.download_manager import DownloadManager

from console.account import audit
from console.account.remote_console import (
    DROPPED_SERVER_ENV, clamp_size, serve_until_signalled, signal_name)
from console.web import accounts, pages
from console.web.child import ConsoleChild, child_environment
from console.web.signin import COOKIE_NAME, FailureLimiter, Sessions, WebSession

log = logging.getLogger("console.web")

STATIC_DIR = Path(textual_serve.__file__).resolve().parent / "static"
#: Largest WebSocket message from a browser (keystrokes and resizes are tiny; a paste is capped).
MAX_MESSAGE = 64 * 1024
#: Largest sign-in form.
MAX_FORM = 8 * 1024
_DROPPED = DROPPED_SERVER_ENV | {"CALL_CONSOLE_WEB_SESSION", "TEXTUAL_DRIVER"}


@dataclass
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8022
    users_file: Path = field(default_factory=accounts.default_users_path)
    max_sessions: int = 10
    idle_timeout: float = 1800.0  # seconds without input in a console tab; 0 = never
    #: The child command; None = this Python running `-m console [child_args] --operator NAME`.
    command: Sequence[str] | None = None
    child_args: Sequence[str] = ()
    quit_grace: float = 5.0  # quit packet → SIGTERM
    term_grace: float = 3.0  # SIGTERM → SIGKILL
    tls_cert: Path | None = None
    tls_key: Path | None = None
    behind_proxy: bool = False
    login_limit: int = 5  # failed sign-ins per client address and per name ...
    login_window: float = 300.0  # ... within this many seconds
    session_max_age: float = 12 * 3600.0
    cwd: str | None = None
    title: str = "call-console"

    @property
    def secure(self) -> bool:
        """The browser reaches us over TLS (ours, or the proxy's)."""
        return self.tls_cert is not None or self.behind_proxy


@dataclass(eq=False)
class Tab:
    """One browser tab's console."""

    session: WebSession
    id: str
    ws: web.WebSocketResponse
    client: str
    child: ConsoleChild | None = None
    last_input: float = 0.0
    ending: str | None = None  # why the server ended it
    exited: bool = False  # the console exited on its own


class WebServer:
    def __init__(self, config: WebConfig, *, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self.sessions = Sessions(max_age=config.session_max_age, idle=config.idle_timeout,
                                 clock=clock)
        self.limiter = FailureLimiter(config.login_limit, config.login_window, clock=clock)
        self.tabs: set[Tab] = set()
        self.closing = False
        self.downloads = DownloadManager()
        self._sweeper: asyncio.Task[None] | None = None

    # -- helpers -------------------------------------------------------------------------------

    def client_address(self, request: web.Request) -> str:
        if self.config.behind_proxy:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.split(",")[-1].strip()  # the one our proxy added
            if last:
                return last[:64]
        return request.remote or "?"

    def audit(self, kind: str, **fields: Any) -> None:
        if not audit.audit_event(kind, face="web", **fields):
            log.warning("cannot write the audit log %s", audit.audit_path())

    def same_origin(self, request: web.Request) -> bool:
        """A browser's Origin (always sent on POST and WebSocket) names this server. Missing:
        not a browser, which still needs the cookie."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        return urlsplit(origin).netloc.lower() == request.host.lower()

    def current(self, request: web.Request) -> WebSession | None:
        return self.sessions.get(request.cookies.get(COOKIE_NAME))

    def set_cookie(self, response: web.StreamResponse, value: str, max_age: int) -> None:
        response.set_cookie(COOKIE_NAME, value, max_age=max_age, path="/", httponly=True,
                            samesite="Strict", secure=self.config.secure)

    def child_argv(self, operator: str) -> list[str]:
        if self.config.command:
            return list(self.config.command)
        return [sys.executable, "-m", "console", *self.config.child_args, "--operator", operator]

    # -- pages ---------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        session = self.current(request)
        if session is None:
            raise web.HTTPSeeOther("/login")
        scheme = "wss" if self.secure_request(request) else "ws"
        html = pages.console_page(operator=session.operator,
                                  websocket_url=f"{scheme}://{request.host}/ws",
                                  title=self.config.title)
        return web.Response(text=html, content_type="text/html")

    def secure_request(self, request: web.Request) -> bool:
        if request.secure:
            return True
        return (self.config.behind_proxy
                and request.headers.get("X-Forwarded-Proto", "").lower() == "https")

    async def login_form(self, request: web.Request) -> web.StreamResponse:
        if self.current(request) is not None:
            raise web.HTTPSeeOther("/")
        return web.Response(text=pages.login_page(title=self.config.title),
                            content_type="text/html")

    async def login(self, request: web.Request) -> web.StreamResponse:
        client = self.client_address(request)
        if not self.same_origin(request):
            self.audit("auth_refused", operator=None, client=client, method="password",
                       reason="cross-origin form")
            raise web.HTTPForbidden(text="cross-origin sign-in refused")
        if (request.content_length or 0) > MAX_FORM:
            raise web.HTTPRequestEntityTooLarge(MAX_FORM, request.content_length or 0)
        form = await request.post()
        name = str(form.get("name", "")).strip()[:64]
        password = str(form.get("password", ""))
        keys = (f"client:{client}", f"name:{name.lower()}")
        wait = self.limiter.retry_after(*keys)
        if wait > 0:
            self.audit("auth_refused", operator=None, client=client, method="password",
                       username=name, reason="rate-limited")
            log.info("sign-in refused (rate limit) for %r from %s", name, client)
            seconds = int(wait) + 1
            return web.Response(
                status=429, headers={"Retry-After": str(seconds)}, content_type="text/html",
                text=pages.login_page(message=f"Too many failed sign-ins; try again in "
                                      f"{seconds} s.", name=name, title=self.config.title))
        loop = asyncio.get_running_loop()
        operator = await loop.run_in_executor(None, accounts.verify, self.config.users_file,
                                              name, password)
        del password
        if operator is None:
            self.limiter.failed(*keys)
            self.audit("auth_refused", operator=None, client=client, method="password",
                       username=name, reason="wrong name or password")
            log.info("sign-in refused for %r from %s", name, client)
            return web.Response(status=401, content_type="text/html",
                                text=pages.login_page(message="Wrong name or password.",
                                                      name=name, title=self.config.title))
        self.limiter.succeeded(f"name:{name.lower()}")
        old = self.sessions.end(request.cookies.get(COOKIE_NAME))
        if old is not None:
            self._signed_out(old, "signed-in-again")
        session = self.sessions.create(operator, client)
        self.audit("connect", operator=operator, client=client, connection=session.number)
        log.info("sign-in: %s from %s", operator, client)
        response = web.HTTPSeeOther("/")
        self.set_cookie(response, session.token, int(self.config.session_max_age))
        raise response

    async def logout(self, request: web.Request) -> web.StreamResponse:
        if not self.same_origin(request):
            raise web.HTTPForbidden(text="cross-origin sign-out refused")
        session = self.sessions.end(request.cookies.get(COOKIE_NAME))
        if session is not None:
            self._signed_out(session, "sign-out")
        response = web.HTTPSeeOther("/login")
        self.set_cookie(response, "", 0)
        raise response

    def _signed_out(self, session: WebSession, reason: str) -> None:
        for tab in [t for t in self.tabs if t.session is session]:
            self.end_tab(tab, "signed-out", "signed out: session closed")
        self.audit("disconnect", operator=session.operator, client=session.client,
                   connection=session.number, reason=reason,
                   duration_s=round(self.sessions.clock() - session.created, 3))
        log.info("sign-out: %s (%s)", session.operator, reason)

    async def _still_listed(self, operator: str) -> bool:
        """The account is still in the file (`web-users remove` ends the next console)."""
        loop = asyncio.get_running_loop()
        try:
            listed = await loop.run_in_executor(None, accounts.load, self.config.users_file)
        except (accounts.AccountsError, OSError):
            return False
        return operator in listed

    # -- the console WebSocket -----------------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        client = self.client_address(request)
        session = self.current(request)
        if session is None:
            self.audit("session_refused", operator=None, client=client,
                       reason="not-signed-in")
            raise web.HTTPUnauthorized(text="sign in first")
        if not self.same_origin(request):
            self.audit("session_refused", operator=session.operator, client=client,
                       connection=session.number, reason="cross-origin")
            raise web.HTTPForbidden(text="cross-origin WebSocket refused")
        if not await self._still_listed(session.operator):
            self.sessions.end(session.token)
            self._signed_out(session, "account-removed")
            self.audit("session_refused", operator=session.operator, client=client,
                       connection=session.number, reason="account-removed")
            raise web.HTTPUnauthorized(text="sign in first")
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        session.tabs_opened += 1
        tab = Tab(session, f"web-{session.number}-{session.tabs_opened}", ws, client)
        if self.closing or len(self.tabs) >= self.config.max_sessions:
            reason = "server-shutdown" if self.closing else "max-sessions"
            message = ("the server is shutting down; try again later." if self.closing else
                       f"too many sessions (the limit is {self.config.max_sessions}); try "
                       "again later.")
            self.audit("session_refused", operator=session.operator, client=client,
                       connection=session.number, session=tab.id, reason=reason)
            await self._say_and_close(ws, f"call-console: {message}")
            return ws
        try:
            width, height = clamp_size(int(request.query.get("width", "80")),
                                       int(request.query.get("height", "24")))
        except ValueError:
            width, height = 80, 24
        env = child_environment(os.environ, _DROPPED, operator=session.operator,
                                session_id=tab.id, width=width, height=height)
        env.setdefault("TERM", "xterm-256color")
        child = ConsoleChild(self.child_argv(session.operator), env,
                             write_bytes=ws.send_bytes, write_str=ws.send_str,
                             close=ws.close, download_manager=self.downloads,
                             cwd=self.config.cwd)
        tab.child = child
        self.tabs.add(tab)  # counts towards the cap from now on, until the child has exited
        try:
            await child.start(width, height)
        except OSError as exc:
            self.tabs.discard(tab)
            self.audit("session_refused", operator=session.operator, client=client,
                       connection=session.number, session=tab.id, reason="spawn-failed")
            await self._say_and_close(ws, f"call-console: cannot start the console: {exc}")
            return ws
        except BaseException:  # cancelled while starting: leave no console behind
            self.tabs.discard(tab)
            child.signal_group(signal.SIGKILL)
            raise
        session.consoles += 1
        try:
            tab.last_input = asyncio.get_running_loop().time()
            self.audit("session_start", operator=session.operator, client=client,
                       connection=session.number, session=tab.id, child_pid=child.pid,
                       size=f"{width}x{height}")
            log.info("console %s: %s from %s, pid %s", tab.id, session.operator, client,
                     child.pid)
            await self._serve_tab(tab)
        finally:
            code = await child.end(self.config.quit_grace, self.config.term_grace)
            self.tabs.discard(tab)
            session.consoles -= 1
            session.last_seen = self.sessions.clock()
            reason = tab.ending or ("exit" if tab.exited or child.exited_itself
                                    else "disconnect")
            fields: dict[str, Any] = {"child_pid": child.pid, "reason": reason}
            if code is not None and code < 0:
                fields["signal"] = signal_name(code)
            elif code is not None:
                fields["exit_status"] = code
            self.audit("session_end", operator=session.operator, client=client,
                       connection=session.number, session=tab.id, **fields)
            log.info("console %s ended (%s)", tab.id, reason)
            if not ws.closed:
                await ws.close()
        return ws

    async def _serve_tab(self, tab: Tab) -> None:
        """Browser → console until the browser goes, the console exits or the tab is ended."""
        assert tab.child is not None
        reader = asyncio.ensure_future(self._read_browser(tab))
        exited = asyncio.ensure_future(tab.child.wait())
        idle = (asyncio.ensure_future(self._idle_watch(tab))
                if self.config.idle_timeout > 0 else None)
        waiting = {reader, exited} | ({idle} if idle else set())
        try:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if exited in done:
                tab.exited = True
                # Let textual-serve forward the last output it has read.
                if tab.child._task is not None:
                    await asyncio.wait({tab.child._task}, timeout=3.0)
        finally:
            for task in waiting:
                task.cancel()

    async def _read_browser(self, tab: Tab) -> None:
        assert tab.child is not None
        child, ws = tab.child, tab.ws
        loop = asyncio.get_running_loop()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind = envelope[0]
            except (ValueError, TypeError, IndexError, KeyError):
                continue
            if tab.ending:
                continue
            if kind == "stdin" and len(envelope) > 1 and isinstance(envelope[1], str):
                tab.last_input = loop.time()
                await child.send_bytes(envelope[1].encode("utf-8", "replace"))
            elif kind == "resize" and len(envelope) > 1 and isinstance(envelope[1], dict):
                try:
                    width, height = clamp_size(int(envelope[1]["width"]),
                                               int(envelope[1]["height"]))
                except (KeyError, TypeError, ValueError):
                    continue
                await child.set_terminal_size(width, height)
            elif kind == "ping" and len(envelope) > 1:
                await ws.send_json(["pong", str(envelope[1])[:64]])
            elif kind == "blur":
                await child.blur()
            elif kind == "focus":
                await child.focus()

    async def _idle_watch(self, tab: Tab) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.config.idle_timeout
        while True:
            remaining = tab.last_input + timeout - loop.time()
            if remaining <= 0:
                break
            await asyncio.sleep(remaining)
        self.end_tab(tab, "idle-timeout", "idle timeout: session closed")

    def end_tab(self, tab: Tab, reason: str, message: str) -> None:
        """The server ends a tab's console: say why in the terminal, close the socket (the
        WebSocket handler then ends the child)."""
        if tab.ending:
            return
        tab.ending = reason
        asyncio.ensure_future(self._say_and_close(tab.ws, message))

    async def _say_and_close(self, ws: web.WebSocketResponse, message: str) -> None:
        try:
            await ws.send_bytes(b"\x1b[0m\x1b[?1049l\x1b[?25h\r\n" + message.encode() + b"\r\n")
            await ws.close()
        except (ConnectionError, RuntimeError):
            pass

    # -- lifetime ------------------------------------------------------------------------------

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(30)
            for session in self.sessions.sweep():
                self._signed_out(session, "expired")

    async def on_startup(self, app: web.Application) -> None:
        self._sweeper = asyncio.ensure_future(self._sweep())

    async def on_shutdown(self, app: web.Application) -> None:
        self.closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        tabs = list(self.tabs)
        for tab in tabs:
            self.end_tab(tab, "server-shutdown", "server shutting down: session closed")
        deadline = self.config.quit_grace + self.config.term_grace + 5
        loop = asyncio.get_running_loop()
        until = loop.time() + deadline
        while self.tabs and loop.time() < until:
            await asyncio.sleep(0.05)

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_FORM * 2, middlewares=[security_headers])
        app.add_routes([
            web.get("/", self.index),
            web.get("/login", self.login_form),
            web.post("/login", self.login),
            web.post("/logout", self.logout),
            web.get("/ws", self.websocket),
            web.static("/static", STATIC_DIR, show_index=False, follow_symlinks=False),
        ])
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app


@web.middleware
async def security_headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(pages.SECURITY_HEADERS)
        exc.headers.setdefault("Cache-Control", "no-store")
        raise
    if not response.prepared:
        response.headers.update(pages.SECURITY_HEADERS)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


@dataclass
class Running:
    runner: web.AppRunner
    server: WebServer
    addresses: list[tuple[str, int]]

    @property
    def port(self) -> int:
        return self.addresses[0][1]


async def start(config: WebConfig) -> Running:
    server = WebServer(config)
    runner = web.AppRunner(server.make_app(), access_log=None, handle_signals=False,
                           shutdown_timeout=2.0)
    await runner.setup()
    context = ssl_context(config.tls_cert, config.tls_key) if config.tls_cert else None
    site = web.TCPSite(runner, config.host, config.port, ssl_context=context)
    await site.start()
    addresses = [tuple(address[:2]) for address in runner.addresses]
    return Running(runner, server, addresses)


def serve_forever(config: WebConfig, on_ready: Callable[[Running], None]) -> None:
    """Run until SIGINT/SIGTERM/SIGHUP; then end every console cleanly."""

    async def shutdown(running: Running) -> None:
        log.info("shutting down")
        await running.runner.cleanup()

    serve_until_signalled(lambda: start(config), on_ready, shutdown)
