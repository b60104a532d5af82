"""One SSH session = one child console process in its own PTY.

The child runs in a new session (`setsid`) with the PTY's slave as its controlling terminal, so
the kernel delivers SIGWINCH on window changes and SIGHUP if the server itself dies; one
operator's crash or hang never touches another's. Window changes from the client are applied
with TIOCSWINSZ on the master, clamped to MAX_COLUMNS x MAX_ROWS (the console lays out and
paints every cell: a 10000x10000 request grew a child to 1.7 GB). When the client goes away the child gets SIGHUP (time to save),
then SIGTERM, then SIGKILL; when the child exits, the channel closes with its exit status.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import pty
import signal
import struct
import termios
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncssh

# Shared with serve-web; imported here under the names this module always had.
from console.account.remote_console import (DROPPED_SERVER_ENV, MAX_COLUMNS,  # noqa: F401
                                            MAX_ROWS, clamp_size, signal_name)

if TYPE_CHECKING:  # pragma: no cover
    from console.ssh.server import Hub

log = logging.getLogger("console.ssh")

#: Leave the alternate screen, show the cursor, stop mouse reporting and bracketed paste, reset
#: colours: written before a message when the server (not the console) ends a session, so the
#: operator's terminal is usable afterwards.
TERMINAL_RESET = (b"\x1b[0m\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"
                  b"\x1b[?2004l\x1b[?1004l\x1b[?25h\x1b[?1049l")

#: Client environment variables passed to the child (like sshd's AcceptEnv).
ACCEPTED_CLIENT_ENV = ("LANG", "COLORTERM", "NO_COLOR")
_INPUT_HIGH_WATER = 256 * 1024
_PENDING_INPUT_LIMIT = 64 * 1024


def set_winsize(fd: int, columns: int, rows: int, xpixels: int = 0, ypixels: int = 0) -> None:
    columns, rows = clamp_size(columns, rows)
    packed = struct.pack("HHHH", rows, columns, min(int(xpixels), 0xFFFF),
                         min(int(ypixels), 0xFFFF))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, packed)


def _take_controlling_tty() -> None:  # pragma: no cover - runs in the forked child
    # Runs after setsid() and after stdin/stdout/stderr were dup'ed from the slave.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyChild:
    """A process on the slave side of a fresh PTY; the master is read and written here."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], size: tuple[int, int, int, int],
                 cwd: str | None = None):
        self.argv, self.env, self.size, self.cwd = list(argv), env, size, cwd
        self.master: int | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.on_output: Callable[[bytes], None] | None = None
        self.on_input_pressure: Callable[[bool], None] | None = None
        self._loop = asyncio.get_running_loop()
        self._reading = False
        self._paused = False
        self._output_done = asyncio.Event()
        self._inbuf = bytearray()
        self._writer_on = False
        self._pressure = False
        self._done: asyncio.Task[int] | None = None
        self._terminating: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    async def start(self) -> None:
        master, slave = pty.openpty()
        try:
            columns, rows, xpixels, ypixels = self.size
            set_winsize(slave, columns or 80, rows or 24, xpixels, ypixels)
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=slave, stdout=slave, stderr=slave, env=self.env,
                cwd=self.cwd, start_new_session=True, preexec_fn=_take_controlling_tty)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self.master = master
        self._start_reading()
        self._done = asyncio.ensure_future(self._watch())

    # -- output: master → client ---------------------------------------------------------------

    def _start_reading(self) -> None:
        if self.master is not None and not self._reading and not self._output_done.is_set():
            self._loop.add_reader(self.master, self._on_readable)
            self._reading = True

    def _stop_reading(self) -> None:
        if self.master is not None and self._reading:
            self._loop.remove_reader(self.master)
            self._reading = False

    def pause_output(self) -> None:
        self._paused = True
        self._stop_reading()

    def resume_output(self) -> None:
        self._paused = False
        self._start_reading()

    def discard_output(self) -> None:
        """Nobody is listening any more: keep draining the PTY so the child never blocks."""
        self.on_output = None
        self.resume_output()

    def _on_readable(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: every slave descriptor is closed
            data = b""
        if not data:
            self._stop_reading()
            self._output_done.set()
            return
        sink = self.on_output
        if sink is not None:
            sink(data)

    # -- input: client → master ----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.master is None or not data:
            return
        self._inbuf += data
        self._flush_input()

    def _flush_input(self) -> None:
        if self.master is None:
            self._inbuf.clear()
            return
        while self._inbuf:
            try:
                written = os.write(self.master, self._inbuf)
            except BlockingIOError:
                break
            except OSError:
                self._inbuf.clear()
                break
            del self._inbuf[:written]
        if self._inbuf and not self._writer_on:
            self._loop.add_writer(self.master, self._flush_input)
            self._writer_on = True
        elif not self._inbuf and self._writer_on:
            self._loop.remove_writer(self.master)
            self._writer_on = False
        pressure = len(self._inbuf) > _INPUT_HIGH_WATER
        if pressure != self._pressure:
            self._pressure = pressure
            if self.on_input_pressure is not None:
                self.on_input_pressure(pressure)

    def resize(self, columns: int, rows: int, xpixels: int = 0, ypixels: int = 0) -> None:
        self.size = (columns, rows, xpixels, ypixels)
        if self.master is not None:
            try:
                set_winsize(self.master, columns, rows, xpixels, ypixels)
            except OSError:
                pass

    # -- lifetime ------------------------------------------------------------------------------

    async def _watch(self) -> int:
        assert self.proc is not None
        code = await self.proc.wait()
        # Everything the child wrote before exiting is still in the master; read it out (EIO
        # marks the end) — unless a grandchild keeps the slave open or the client stopped
        # reading, hence the limit.
        try:
            await asyncio.wait_for(self._output_done.wait(), 3.0)
        except TimeoutError:
            pass
        self._close_master()
        return code

    def _close_master(self) -> None:
        if self.master is None:
            return
        self._stop_reading()
        if self._writer_on:
            self._loop.remove_writer(self.master)
            self._writer_on = False
        os.close(self.master)
        self.master = None
        self._inbuf.clear()

    async def wait(self) -> int:
        assert self._done is not None
        return await asyncio.shield(self._done)

    def send_signal(self, sig: int) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # the whole process group: pid == pgid after setsid
        except ProcessLookupError:
            pass
        except PermissionError:  # pragma: no cover
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass

    def terminate(self, hangup_grace: float, term_grace: float) -> asyncio.Task[None]:
        """SIGHUP, then SIGTERM after `hangup_grace`, then SIGKILL after `term_grace` (once)."""
        if self._terminating is None:
            self._terminating = asyncio.ensure_future(self._escalate(hangup_grace, term_grace))
        return self._terminating

    async def _escalate(self, hangup_grace: float, term_grace: float) -> None:
        assert self.proc is not None
        steps = ((signal.SIGHUP, hangup_grace), (signal.SIGTERM, term_grace),
                 (signal.SIGKILL, None))
        for sig, grace in steps:
            if self.proc.returncode is not None:
                return
            self.send_signal(sig)
            if sig == signal.SIGHUP:
                self.send_signal(signal.SIGCONT)  # a stopped child could not act on SIGHUP
            try:
                await asyncio.wait_for(asyncio.shield(self.proc.wait()), grace)
                return
            except TimeoutError:
                log.info("child %s still running after SIG%s", self.proc.pid, sig.name[3:])


@dataclass
class Peer:
    """Who is on the other end of one SSH connection (fixed once authenticated)."""

    connection_id: str
    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    username: str = ""
    operator: str | None = None
    fingerprint: str | None = None
    key_type: str | None = None

    @property
    def client(self) -> str:
        return f"{self.client_ip}:{self.client_port}"


class ConsoleSession(asyncssh.SSHServerSession):
    """A PTY shell request runs the console; everything else gets a message and is closed."""

    def __init__(self, hub: Hub, peer: Peer, session_id: str):
        self.hub, self.peer, self.session_id = hub, peer, session_id
        self.chan: Any = None
        self.term: str | None = None
        self.size: tuple[int, int, int, int] = (80, 24, 0, 0)
        self.has_pty = False
        self.command: str | None = None
        self.child: PtyChild | None = None
        self.closed = False  # the channel is gone
        self.ending: str | None = None  # why the server is ending the session
        self.reserved = False
        self.last_input = 0.0
        self._pending_input = bytearray()
        self._task: asyncio.Task[None] | None = None
        self._idle_task: asyncio.Task[None] | None = None

    # -- requests ------------------------------------------------------------------------------

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: Any) -> bool:
        self.has_pty = True
        self.term = term_type or "xterm"
        if term_size and term_size[0] and term_size[1]:
            self.size = self._clamped(*term_size)
        return True

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        if not (width and height):
            return
        self.size = self._clamped(width, height, pixwidth, pixheight)
        if self.child is not None:
            self.child.resize(*self.size)

    def _clamped(self, width: int, height: int, pixwidth: int = 0,
                 pixheight: int = 0) -> tuple[int, int, int, int]:
        columns, rows = clamp_size(width, height)
        if (columns, rows) != (width, height):
            log.info("session %s: terminal %sx%s clamped to %sx%s", self.session_id, width,
                     height, columns, rows)
        return columns, rows, min(int(pixwidth), 0xFFFF), min(int(pixheight), 0xFFFF)

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        # Accepted only to answer with a readable refusal in session_started; nothing runs.
        self.command = command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        self.hub.audit("session_refused", self.peer, session=self.session_id,
                       reason="subsystem", subsystem=subsystem[:64])
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        return None

    def eof_received(self) -> bool:
        return True  # stay half-open; the console decides when it is done

    # -- start ---------------------------------------------------------------------------------

    def session_started(self) -> None:
        if self.command is not None:
            self._refuse("exec", "running commands is not allowed here; this server only "
                         "opens the operator console. Connect without a command, in a "
                         "terminal (ssh -t).")
            return
        if not self.has_pty:
            self._refuse("no-pty", "the operator console needs a terminal; connect with "
                         "`ssh -t` from a terminal (no -T, no command).")
            return
        if self.hub.closing:
            self._refuse("server-shutdown", "the server is shutting down; try again later.")
            return
        if not self.hub.reserve(self):
            self._refuse("max-sessions", f"too many sessions (the limit is "
                         f"{self.hub.config.max_sessions}); try again later.")
            return
        self.reserved = True
        self.last_input = asyncio.get_running_loop().time()
        self._task = asyncio.ensure_future(self._run())

    def _refuse(self, reason: str, message: str) -> None:
        self.hub.audit("session_refused", self.peer, session=self.session_id, reason=reason)
        log.info("refused session %s of %s (%s): %s", self.session_id, self.peer.operator,
                 self.peer.client, reason)
        try:
            self.chan.write_stderr(f"call-console: {message}\r\n".encode())
            self.chan.exit(1)
        except (OSError, asyncssh.Error):
            pass

    async def _run(self) -> None:
        config = self.hub.config
        argv = self.hub.child_argv(self.peer.operator or "operator")
        env = self.hub.child_env(self.peer, self.session_id, self.term or "xterm",
                                 self.chan.get_environment())
        child = PtyChild(argv, env, self.size)
        self.child = child
        child.on_input_pressure = self._input_pressure
        try:
            await child.start()
        except OSError as exc:
            self.child = None
            self.hub.release(self)
            self._refuse("spawn-failed", f"cannot start the console: {exc}")
            return
        if not self.closed:
            child.on_output = self._forward_output
        child.resize(*self.size)  # a window change may have come in while it was starting
        if self._pending_input:
            child.write(bytes(self._pending_input))
            self._pending_input.clear()
        self.hub.audit("session_start", self.peer, session=self.session_id,
                       child_pid=child.pid, term=self.term,
                       size=f"{self.size[0]}x{self.size[1]}")
        log.info("session %s: %s from %s, child pid %s", self.session_id, self.peer.operator,
                 self.peer.client, child.pid)
        if self.closed:
            child.terminate(config.hangup_grace, config.term_grace)
        elif self.hub.closing:
            self.end("server-shutdown", "server shutting down: session closed")
        elif config.idle_timeout > 0:
            self._idle_task = asyncio.ensure_future(self._idle_watch())
        try:
            code = await child.wait()
        finally:
            if self._idle_task is not None:
                self._idle_task.cancel()
        reason = self.ending or ("disconnect" if self.closed else "exit")
        if reason == "exit":
            self._close_with_status(code)
        fields: dict[str, Any] = {"child_pid": child.pid, "reason": reason}
        if code < 0:
            fields["signal"] = signal_name(code)
        else:
            fields["exit_status"] = code
        self.hub.audit("session_end", self.peer, session=self.session_id, **fields)
        log.info("session %s ended (%s, %s)", self.session_id, reason,
                 fields.get("signal") or fields.get("exit_status"))
        self.hub.release(self)

    def _close_with_status(self, code: int) -> None:
        if self.closed:
            return
        try:
            if code < 0:
                self.chan.write(TERMINAL_RESET + f"\r\ncall-console: the console ended with "
                                f"signal {signal_name(code)}\r\n".encode())
                self.chan.exit_with_signal(signal_name(code))
            else:
                self.chan.exit(code)
        except (OSError, asyncssh.Error):
            pass

    async def _idle_watch(self) -> None:
        loop = asyncio.get_running_loop()
        timeout = self.hub.config.idle_timeout
        while True:
            remaining = self.last_input + timeout - loop.time()
            if remaining <= 0:
                break
            await asyncio.sleep(remaining)
        self.end("idle-timeout", "idle timeout: session closed")

    def end(self, reason: str, message: str) -> None:
        """The server ends this session: tell the client, close the channel, end the child."""
        if self.ending or self.child is None or self.child.proc is None:
            return
        self.ending = reason
        self.child.discard_output()
        if not self.closed:
            try:
                self.chan.write(TERMINAL_RESET + f"\r\n{message}\r\n".encode())
                self.chan.exit(1)
            except (OSError, asyncssh.Error):
                pass
        self.child.terminate(self.hub.config.hangup_grace, self.hub.config.term_grace)

    # -- data ----------------------------------------------------------------------------------

    def data_received(self, data: bytes, datatype: Any) -> None:
        self.last_input = asyncio.get_running_loop().time()
        if self.ending:
            return
        if self.child is None or self.child.master is None:
            # Typed before the console started (data can even come before session_started).
            if len(self._pending_input) < _PENDING_INPUT_LIMIT:
                self._pending_input += data[:_PENDING_INPUT_LIMIT - len(self._pending_input)]
            return
        self.child.write(data)

    def _forward_output(self, data: bytes) -> None:
        if self.closed or self.ending:
            return
        try:
            self.chan.write(data)
        except (OSError, asyncssh.Error):
            if self.child is not None:
                self.child.discard_output()

    def _input_pressure(self, high: bool) -> None:
        try:
            if high:
                self.chan.pause_reading()
            else:
                self.chan.resume_reading()
        except (OSError, asyncssh.Error):
            pass

    def pause_writing(self) -> None:
        if self.child is not None and not self.ending:
            self.child.pause_output()

    def resume_writing(self) -> None:
        if self.child is not None:
            self.child.resume_output()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._idle_task is not None:
            self._idle_task.cancel()
        child = self.child
        if child is not None:
            child.discard_output()
            if child.proc is not None and child.returncode is None:
                child.terminate(self.hub.config.hangup_grace, self.hub.config.term_grace)
        # A child still starting is ended by _run once it exists.
