"""Helpers for the SSH end-to-end tests: throwaway keys, a `serve-ssh` subprocess, tmux panes.

Everything waits by polling with a deadline; nothing asserts after a fixed sleep.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar
from processes import pid_alive  # noqa: F401  (the SSH tests import it from here)
from waiting import poll

T = TypeVar("T")

SSH_TOOLS = ("ssh", "ssh-keygen", "tmux")

#: The installed command beside this Python (README runs the venv's python without activating
#: the venv, so `call-console` may not be on PATH).
CONSOLE_COMMAND = (str(Path(sys.executable).with_name("call-console"))
                   if Path(sys.executable).with_name("call-console").exists() else "call-console")


#: docs/ssh.md, whose recipes the tests run as written
DOCS = Path(__file__).resolve().parents[2] / "docs" / "ssh.md"


def doc_block(marker: str) -> str:
    """The code block after `<!-- marker -->` in docs/ssh.md."""
    text = DOCS.read_text()
    after = text.split(f"<!-- {marker} -->", 1)[1]
    return after.split("```", 2)[1].split("\n", 1)[1]


def missing_tools() -> list[str]:
    return [tool for tool in SSH_TOOLS if shutil.which(tool) is None]


def wait_for(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.05,
             what: str = "condition") -> T:
    """Call `check` until it returns something truthy; fail with `what` after `timeout` s."""
    return poll(check, what, timeout, interval)


def make_key(directory: Path, name: str, comment: str) -> Path:
    """A fresh ed25519 key pair without passphrase; returns the private key path."""
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL)
    return path


def public_line(key: Path) -> str:
    return key.with_name(key.name + ".pub").read_text().strip()


def key_fingerprint(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", str(key)], check=True,
                         capture_output=True, text=True).stdout
    return out.split()[1]


def ssh_options(key: Path | None, port: int) -> list[str]:
    options = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
               "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-F", "/dev/null",
               "-p", str(port)]
    if key is not None:
        options += ["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-i", str(key)]
    return options


def ssh_argv(key: Path | None, port: int, *extra: str, user: str = "op") -> list[str]:
    return ["ssh", *ssh_options(key, port), *extra, f"{user}@127.0.0.1"]


def run_ssh(key: Path | None, port: int, *extra: str, command: Iterable[str] = (),
            timeout: float = 20.0, stdin: str = "", user: str = "op",
            ) -> subprocess.CompletedProcess[str]:
    argv = ssh_argv(key, port, *extra, user=user) + list(command)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=stdin)


class ServeSsh:
    """`call-console serve-ssh --port 0 …` in a subprocess; reads the port from its start line."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path | None = None,
                 prefix: Iterable[str] = ()):
        self.argv = [CONSOLE_COMMAND, *prefix, "serve-ssh", "--port", "0", *args]
        self.env = env
        self.cwd = cwd
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.lines: list[str] = []
        self.log = (cwd or Path.cwd()) / f"serve-ssh-{os.getpid()}-{id(self)}.log"

    def start(self, timeout: float = 20.0) -> ServeSsh:
        self._log_handle = self.log.open("w")
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=self._log_handle,
                                     text=True, env=self.env, cwd=self.cwd,
                                     start_new_session=True)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            match = re.search(r"listening on \[?[^\]\s]*\]?:(\d+)$", line.strip())
            if match:
                self.port = int(match.group(1))
            if line.startswith("connect:"):
                break
        if not self.port:
            self.stop()
            raise AssertionError(f"serve-ssh did not start: {self.lines}\n{self.stderr()}")
        return self

    def stderr(self) -> str:
        try:
            return self.log.read_text()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        terminate(self.proc, grace=15, group=True)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log_handle.close()
        self.proc = None


def terminate(proc: subprocess.Popen, grace: float, *, group: bool = False) -> None:
    """SIGTERM `proc`, then SIGKILL it (its process group with `group`) after `grace` s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.wait(timeout=5)


class Tmux:
    """A private tmux server (its own socket) for running `ssh -tt` clients in real panes."""

    def __init__(self, directory: Path):
        self.socket = directory / "tmux.sock"

    def cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-S", str(self.socket), "-f", "/dev/null", *args],
                              capture_output=True, text=True, check=check, timeout=10)

    def new(self, name: str, argv: list[str], width: int = 80, height: int = 24,
            env: dict[str, str] | None = None) -> None:
        """Run `argv` in a new detached session; the pane stays after it exits and shows
        `SSH-EXIT=<status>`."""
        prefix = ["env", *(f"{k}={v}" for k, v in (env or {}).items())] if env else []
        shell = f"{shlex.join(prefix + argv)}; echo SSH-EXIT=$?; exec sleep 3600"
        self.cmd("new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), shell)

    def capture(self, name: str) -> str:
        result = self.cmd("capture-pane", "-p", "-J", "-t", name, check=False)
        return result.stdout if result.returncode == 0 else ""

    def wait_text(self, name: str, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        regex = re.compile(pattern)
        try:
            return wait_for(lambda: regex.search(self.capture(name)), timeout,
                            what=f"{pattern!r} in pane {name}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; pane shows:\n{self.capture(name)}") from None

    def send(self, name: str, *keys: str) -> None:
        self.cmd("send-keys", "-t", name, *keys)

    def resize(self, name: str, width: int, height: int) -> None:
        self.cmd("resize-window", "-t", name, "-x", str(width), "-y", str(height))

    def kill_session(self, name: str) -> None:
        self.cmd("kill-session", "-t", name, check=False)

    def kill_server(self) -> None:
        if self.socket.exists():
            self.cmd("kill-server", check=False)


def open_bundle_dialog(tmux: Tmux, name: str, key: str = "e") -> None:
    """In the real console's pane `name`: Profiles (F4), then Export… (e) or Import… (i), in
    an SSH session (the dialog says its paths are confined)."""
    tmux.send(name, "F4")
    tmux.wait_text(name, r"(?m)^\d+ agents?\b")
    tmux.send(name, key)
    tmux.wait_text(name, r"(?s)SSH session: files are read and written only in your\s+"
                         r"exchange folder")


def enter_bundle_path(tmux: Tmux, name: str, typed: str) -> None:
    """Replace the dialog's path with `typed` and press Enter. The field is cleared only when
    it holds something, and seen cleared (its placeholder shows) before typing: over SSH, text
    sent right after ctrl+u was lost (the bytes reach the console; see the report of the
    files-ssh branch)."""
    empty = r"File +(file name or path|name of the bundle file)"
    if not re.search(empty, tmux.capture(name)):
        tmux.send(name, "C-u")
        tmux.wait_text(name, empty)
    tmux.send(name, "-l", typed)
    tmux.wait_text(name, rf"{re.escape(typed[-30:])} ")  # a long path scrolls in the field
    tmux.send(name, "Enter")


def read_audit(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        if line.strip():
            records.append(json.loads(line))  # every line must be valid JSON
    return records


#: The stand-in child: reports what it was given, echoes input, reacts to a few commands.
STANDIN = r'''
import fcntl, os, signal, struct, sys, termios

marker_dir = sys.argv[1]

def size():
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
    return f"{cols}x{rows}"

def on_winch(*_):
    print(f"SIZE {size()}", flush=True)

def on_hup(*_):
    # "Save the data" on hangup, then leave.
    with open(os.path.join(marker_dir, f"hup-{os.getpid()}"), "w") as handle:
        handle.write("saved")
    os._exit(0)

signal.signal(signal.SIGWINCH, on_winch)
signal.signal(signal.SIGHUP, on_hup)
env = os.environ
ctty = "yes"
try:
    os.close(os.open("/dev/tty", os.O_RDWR))
except OSError:
    ctty = "no"
print(f"STANDIN pid={os.getpid()} op={env.get('CALL_CONSOLE_OPERATOR')} "
      f"session={env.get('CALL_CONSOLE_SSH_SESSION')} term={env.get('TERM')} size={size()} "
      f"ctty={ctty} agent={env.get('SSH_AUTH_SOCK')} display={env.get('DISPLAY')} "
      f"colorterm={env.get('COLORTERM')} END", flush=True)
for line in sys.stdin:
    words = line.split()
    print("ECHO " + " ".join(words), flush=True)
    if not words:
        continue
    if words[0] == "exit":
        sys.exit(int(words[1]) if len(words) > 1 else 0)
    if words[0] == "audit":
        from console.account.audit import audit_event
        ok = audit_event(words[1], call_id=words[2] if len(words) > 2 else None)
        print(f"AUDITED {ok}", flush=True)
    if words[0] == "flood":
        chunk = b"x" * 65536
        left = int(words[1])
        while left > 0:
            left -= os.write(1, chunk[:left])
        print("FLOOD-DONE", flush=True)
    if words[0] == "stubborn":
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("STUBBORN", flush=True)
'''


def standin_command(directory: Path) -> str:
    script = directory / "standin.py"
    script.write_text(STANDIN)
    return shlex.join([sys.executable, str(script), str(directory)])


def parse_standin(text: str) -> dict[str, str]:
    match = re.search(r"STANDIN (.*?) END", text)
    assert match, f"no STANDIN line in:\n{text}"
    return dict(item.split("=", 1) for item in match.group(1).split())
