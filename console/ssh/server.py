"""The asyncssh server behind `call-console serve-ssh`.

Public-key authentication only, against an authorized-keys file that is re-read on every
attempt (edits apply without a restart). Passwords, keyboard-interactive, host-based and GSSAPI
are not offered; exec requests, subsystems (sftp), TCP/UNIX forwarding both ways, agent and X11
forwarding, tun/tap are refused. A PTY shell session runs one child console (see `session`).

Refusals are audited: an unlisted key, a method that is not offered but asked for anyway
(`auth_refused`, with the method, never a password), and a connection that ended without
logging in (`login_failed`, with the methods it tried). Six refusals end the connection.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from console.account import audit
from console.account.remote_console import serve_until_signalled
from console.ssh import keys
from console.ssh.asyncssh_compat import watch_auth_requests
from console.ssh.session import (ACCEPTED_CLIENT_ENV, DROPPED_SERVER_ENV, ConsoleSession, Peer)

log = logging.getLogger("console.ssh")

#: Refused attempts (keys, methods not offered) per connection before it is dropped (sshd's
#: MaxAuthTries default).
MAX_AUTH_FAILURES = 6
#: The methods a client may ask for here; any other is refused and audited. `none` is how
#: every client asks which methods there are: not an attempt.
OFFERED_METHODS = frozenset({"none", "publickey"})
#: At most this many method names are kept per connection for the `login_failed` record.
_METHODS_KEPT = 16


@dataclass
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 2222
    authorized_keys: Path = field(default_factory=keys.default_authorized_keys_path)
    host_key: Path = field(default_factory=keys.default_host_key_path)
    max_sessions: int = 10
    idle_timeout: float = 1800.0  # seconds without input; 0 = never
    #: The child command; None = this Python running `-m console [child_args] --operator NAME`.
    command: Sequence[str] | None = None
    child_args: Sequence[str] = ()
    hangup_grace: float = 5.0  # SIGHUP → SIGTERM
    term_grace: float = 3.0  # SIGTERM → SIGKILL
    login_timeout: float = 30.0
    cwd: str | None = None


class Hub:
    """State shared by every connection: config, the session count, the audit writer."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.sessions: set[ConsoleSession] = set()
        self.closing = False
        self._counter = 0

    def next_session_id(self, peer: Peer) -> str:
        self._counter += 1
        return f"{peer.connection_id}-{self._counter}"

    def reserve(self, session: ConsoleSession) -> bool:
        if self.closing or len(self.sessions) >= self.config.max_sessions:
            return False
        self.sessions.add(session)
        return True

    def release(self, session: ConsoleSession) -> None:
        self.sessions.discard(session)

    def child_argv(self, operator: str) -> list[str]:
        if self.config.command:
            return list(self.config.command)
        return [sys.executable, "-m", "console", *self.config.child_args, "--operator", operator]

    def child_env(self, peer: Peer, session_id: str, term: str,
                  client_env: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in DROPPED_SERVER_ENV}
        for name, value in client_env.items():
            if not isinstance(name, str) or not isinstance(value, str):
                continue
            if (name in ACCEPTED_CLIENT_ENV or name.startswith("LC_")) and _sane(value):
                env[name] = value
        env["TERM"] = term if _sane(term) and term else "xterm"
        env[audit.OPERATOR_ENV] = peer.operator or "operator"
        env[audit.SESSION_ENV] = session_id
        env["SSH_CONNECTION"] = (f"{peer.client_ip} {peer.client_port} "
                                 f"{peer.server_ip} {peer.server_port}")
        env["SSH_CLIENT"] = f"{peer.client_ip} {peer.client_port} {peer.server_port}"
        return env

    def audit(self, kind: str, peer: Peer, **fields: Any) -> None:
        record = {"operator": peer.operator, "fingerprint": peer.fingerprint,
                  "client": peer.client, "connection": peer.connection_id, **fields}
        if not audit.audit_event(kind, **record):
            log.warning("cannot write the audit log %s", audit.audit_path())

    async def shutdown(self) -> None:
        """End every session (message, SIGHUP…) and wait for the children to be gone."""
        self.closing = True
        sessions = list(self.sessions)
        for session in sessions:
            session.end("server-shutdown", "server shutting down: session closed")
        tasks = [s._task for s in sessions if s._task is not None]
        if tasks:
            limit = self.config.hangup_grace + self.config.term_grace + 5
            await asyncio.wait(tasks, timeout=limit)


def _sane(value: str) -> bool:
    return len(value) <= 256 and all(ch.isprintable() for ch in value)


class ConsoleServer(asyncssh.SSHServer):
    """One per connection: authenticates the key and hands out console sessions."""

    def __init__(self, hub: Hub):
        self.hub = hub
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer: Peer | None = None
        self._candidate: keys.AuthorizedKey | None = None
        self._authenticated = False
        self._failures = 0
        self._methods: list[str] = []  # asked for, in order, each once
        self._since = time.monotonic()

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        client = conn.get_extra_info("peername") or ("?", 0)
        server = conn.get_extra_info("sockname") or ("?", 0)
        self.peer = Peer(connection_id=secrets.token_hex(4), client_ip=str(client[0]),
                         client_port=int(client[1]), server_ip=str(server[0]),
                         server_port=int(server[1]))
        watch_auth_requests(conn, self._auth_requested)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is None:
            return
        duration = round(time.monotonic() - self._since, 3)
        if self._authenticated:
            self.hub.audit("disconnect", self.peer, duration_s=duration)
            log.info("disconnect: %s from %s", self.peer.operator, self.peer.client)
        elif self._methods:  # a client that tried to log in and never did (not a port scan)
            self.hub.audit("login_failed", self.peer, operator=None, fingerprint=None,
                           username=self.peer.username, methods=self._methods,
                           refused=self._failures, duration_s=duration)
            log.info("login failed from %s (tried %s)", self.peer.client,
                     ", ".join(self._methods))

    def _auth_requested(self, method: str) -> None:
        """Every authentication request (asyncssh_compat): remember the method; one that is
        not offered is audited (its name only) and counts towards MAX_AUTH_FAILURES."""
        assert self.peer is not None
        if method not in self._methods and len(self._methods) < _METHODS_KEPT:
            self._methods.append(method)
        if method in OFFERED_METHODS or self._authenticated:
            return
        self._refused(method, "method not offered (public keys only)")

    def _refused(self, method: str, reason: str, fingerprint: str | None = None) -> None:
        """Audit one refused attempt; drop the connection at the MAX_AUTH_FAILURES-th."""
        assert self.peer is not None
        self._failures += 1
        self.hub.audit("auth_refused", self.peer, fingerprint=fingerprint, operator=None,
                       username=self.peer.username, method=method, reason=reason)
        log.info("refused %s%s from %s", method, f" {fingerprint}" if fingerprint else "",
                 self.peer.client)
        if self._failures >= MAX_AUTH_FAILURES:  # like sshd's MaxAuthTries
            raise asyncssh.PermissionDenied("too many authentication failures")

    # -- authentication ------------------------------------------------------------------------

    def begin_auth(self, username: str) -> bool:
        assert self.peer is not None
        self.peer.username = username[:64]
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_ca_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return False

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        assert self.peer is not None
        listed = keys.load_authorized_keys(self.hub.config.authorized_keys)
        for line, problem in listed.problems:
            if line == 0:  # the file itself is missing or unreadable
                log.warning("authorized keys: %s", problem)
        entry = keys.find_key(listed, key, self.peer.client_ip)
        if entry is None:
            self._refused("publickey", "key not authorized", keys.fingerprint(key))
            return False
        # The signed attempt always comes last before auth_completed, so this is the key used.
        self._candidate = entry
        return True

    def auth_completed(self) -> None:
        assert self.peer is not None and self._candidate is not None
        entry = self._candidate
        self.peer.operator = entry.operator
        self.peer.fingerprint = entry.fingerprint
        self.peer.key_type = entry.key_type
        self._authenticated = True
        self._since = time.monotonic()
        self.hub.audit("connect", self.peer, username=self.peer.username,
                       key_type=entry.key_type)
        log.info("connect: %s (%s) from %s", entry.operator, entry.fingerprint, self.peer.client)

    # -- channels ------------------------------------------------------------------------------

    def session_requested(self) -> ConsoleSession:
        assert self.peer is not None
        return ConsoleSession(self.hub, self.peer, self.hub.next_session_id(self.peer))

    def connection_requested(self, dest_host: str, dest_port: int, orig_host: str,
                             orig_port: int) -> bool:
        self._refused_forward("local-forward", f"{dest_host}:{dest_port}")
        return False

    def server_requested(self, listen_host: str, listen_port: int) -> bool:
        self._refused_forward("remote-forward", f"{listen_host}:{listen_port}")
        return False

    def unix_connection_requested(self, dest_path: str) -> bool:
        self._refused_forward("local-forward", dest_path)
        return False

    def unix_server_requested(self, listen_path: str) -> bool:
        self._refused_forward("remote-forward", listen_path)
        return False

    def tun_requested(self, unit: int | None) -> bool:
        self._refused_forward("tun", str(unit))
        return False

    def tap_requested(self, unit: int | None) -> bool:
        self._refused_forward("tap", str(unit))
        return False

    def _refused_forward(self, reason: str, target: str) -> None:
        if self.peer is not None:
            self.hub.audit("forward_refused", self.peer, reason=reason, target=target[:200])


@dataclass
class Running:
    server: asyncssh.SSHAcceptor
    hub: Hub
    host_key: asyncssh.SSHKey
    host_key_created: bool
    port: int
    addresses: list[tuple[str, int]] = field(default_factory=list)


async def start(config: ServeConfig) -> Running:
    host_key, created = keys.load_or_create_host_key(config.host_key)
    hub = Hub(config)
    acceptor = await asyncssh.create_server(
        lambda: ConsoleServer(hub), config.host, config.port,
        server_host_keys=[host_key],
        server_version="call_console",
        password_auth=False, kbdint_auth=False, host_based_auth=False,
        public_key_auth=True, gss_host=None, gss_kex=False, gss_auth=False,
        x509_trusted_certs=None,
        agent_forwarding=False, x11_forwarding=False,
        allow_pty=True, line_editor=False, encoding=None,
        sftp_factory=None, allow_scp=False,
        login_timeout=config.login_timeout,
        keepalive_interval=30, keepalive_count_max=4,
    )
    addresses = [sock.getsockname()[:2] for sock in acceptor.sockets]
    port = addresses[0][1] if addresses else config.port
    return Running(acceptor, hub, host_key, created, port, addresses)


def serve_forever(config: ServeConfig, on_ready: Callable[[Running], None]) -> None:
    """Run until SIGINT/SIGTERM/SIGHUP; then end every session cleanly."""

    async def shutdown(running: Running) -> None:
        log.info("shutting down")
        running.server.close()
        await running.hub.shutdown()
        try:
            await asyncio.wait_for(running.server.wait_closed(), 5)
        except TimeoutError:
            pass

    serve_until_signalled(lambda: start(config), on_ready, shutdown)
