"""Helpers and fixtures for the serve-web tests: a `serve-web` subprocess, accounts, a stand-in
console.

- `web_lab`    accounts (alice, bob), directories and the environment of a module's servers
- `web_server` one `serve-web` per module, each tab's child the stand-in console (fast), at
               most 2 consoles, 127.0.0.1 only

The fixtures live here, not in a tests/web/conftest.py: test modules elsewhere import
`conftest` by name (tests/tui's), and a second conftest module would shadow theirs in a worker
that collected both. Test modules import the fixtures they use from here.

Everything waits by polling with a deadline; nothing asserts after a fixed sleep.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from processes import pid_alive  # noqa: F401  (the web tests import it from here)
from waiting import poll

from console.account.audit import read_audit
from console.web import accounts

#: The installed command beside this Python (README runs the venv's python without activating
#: the venv, so `call-console` may not be on PATH).
CONSOLE_COMMAND = (str(Path(sys.executable).with_name("call-console"))
                   if Path(sys.executable).with_name("call-console").exists() else "call-console")

#: Variables of the machine running the suite that would change what the server does.
CLEAN_ENV = ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_PROFILES",
             "CALL_CONSOLE_OPERATOR", "CALL_CONSOLE_ENV", "CALL_CONSOLE_AUDIT_LOG",
             "CALL_CONSOLE_SSH_SESSION", "CALL_CONSOLE_WEB_SESSION", "SSH_CONNECTION",
             "SSH_CLIENT", "SSH_TTY", "CALL_CONSOLE_EXCHANGE_DIR", "CALL_CONSOLE_CONFINE_FILES")

PASSWORDS = {"alice": "correct horse battery", "bob": "bob's long password"}

#: A stand-in for the console: speaks textual-serve's protocol (the `__GANGLION__` line, then
#: `D`/`M` packets of type + 4-byte length + payload), reports its argv, environment and
#: process group as one data packet, then echoes what is typed until a `quit` meta packet
#: (or exits with 3 after an `exit` meta packet when EXIT is typed).
STANDIN = textwrap.dedent("""\
    import json, os, sys
    out = sys.stdout.buffer
    def packet(kind, payload):
        out.write(kind + len(payload).to_bytes(4, "big") + payload); out.flush()
    out.write(b"__GANGLION__\\n"); out.flush()
    report = {"argv": sys.argv, "env": dict(os.environ), "pid": os.getpid(),
              "pgid": os.getpgid(0), "sid": os.getsid(0)}
    packet(b"D", ("STANDIN " + json.dumps(report) + " END").encode())
    data = sys.stdin.buffer
    while True:
        head = data.read(5)
        if len(head) < 5:
            break
        body = data.read(int.from_bytes(head[1:], "big"))
        if head[:1] == b"M" and json.loads(body).get("type") == "quit":
            break
        if head[:1] == b"D" and body == b"EXIT":  # like Ctrl+Q: say so, then exit 3
            packet(b"M", json.dumps({"type": "exit"}).encode())
            sys.exit(3)
        if head[:1] == b"D":
            packet(b"D", b"ECHO " + body)
    """)


def standin_command(directory: Path) -> str:
    script = directory / "standin.py"
    script.write_text(STANDIN)
    return f"{sys.executable} {script}"


def parse_standin(data: bytes) -> dict:
    text = data.decode()
    return json.loads(text.split("STANDIN ", 1)[1].rsplit(" END", 1)[0])


class ServeWeb:
    """`call-console [prefix] serve-web --port 0 …` in a subprocess; the port from its start
    line."""

    def __init__(self, *args: str, env: dict[str, str], cwd: Path,
                 prefix: tuple[str, ...] = ()):
        self.argv = [CONSOLE_COMMAND, *prefix, "serve-web", "--port", "0", *args]
        self.env, self.cwd = env, cwd
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0
        self.lines: list[str] = []
        self.log = cwd / f"serve-web-{os.getpid()}-{id(self)}.log"
        self.out = self.log.with_suffix(".out")
        self.scheme = "https" if "--tls-cert" in args else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServeWeb:
        # Output goes to files, never to a pipe nobody reads (a full pipe would block the server).
        self._out_handle = self.out.open("w")
        self._log_handle = self.log.open("w")
        self.proc = subprocess.Popen(self.argv, stdout=self._out_handle,
                                     stderr=self._log_handle, text=True, env=self.env,
                                     cwd=self.cwd, start_new_session=True)

        def started() -> bool:
            self.lines = self.out.read_text().splitlines()
            if self.proc.poll() is not None:
                raise AssertionError(f"serve-web exited: {self.lines}\n{self.stderr()}")
            return any(line.startswith("open:") for line in self.lines)

        poll(started, "serve-web's start line", timeout, 0.05)
        match = re.search(r"listening on \[?[^\]\s]*\]?:(\d+)$", self.lines[0])
        assert match, self.lines
        self.port = int(match.group(1))
        return self

    def stderr(self) -> str:
        try:
            return self.log.read_text()
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self._out_handle.close()
        self._log_handle.close()
        self.proc = None

    # -- HTTP --------------------------------------------------------------------------------

    def client(self, **options) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30, **options)

    def sign_in(self, name: str, password: str | None = None,
                headers: dict[str, str] | None = None) -> httpx.Response:
        with self.client(verify=False) as http:
            return http.post("/login", headers=headers or {},
                             data={"name": name, "password": password or PASSWORDS[name]})

    def cookie(self, name: str, headers: dict[str, str] | None = None,
               password: str | None = None) -> str:
        """A signed-in session cookie value for `name`."""
        response = self.sign_in(name, password, headers=headers)
        assert response.status_code == 303, response.text
        return response.cookies["call_console_session"]


def audit_records(data_dir: Path) -> list[dict]:
    path = data_dir / "audit.jsonl"
    return list(read_audit(path)) if path.exists() else []


def wait_for_record(data_dir: Path, match, what: str, timeout: float = 15.0) -> dict:
    def find():
        return next((r for r in audit_records(data_dir) if match(r)), None)

    return poll(find, what, timeout, 0.05)


class WebLab:
    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.config = root / "config"
        self.users = self.config / accounts.USERS_FILE_NAME
        for name, password in PASSWORDS.items():
            accounts.set_password(self.users, name, password)
        self.env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
        self.env.update(CALL_CONSOLE_DATA_DIR=str(self.data),
                        CALL_CONSOLE_CONFIG_DIR=str(self.config), CALL_CONSOLE_KEYRING="0")
        self.standin = standin_command(root)

    def server(self, *args: str, standin: bool = True, prefix: tuple[str, ...] = (),
               **env: str) -> ServeWeb:
        argv = ["--quit-grace", "2", "--term-grace", "1", *args]
        if standin:
            argv += ["--command", self.standin]
        return ServeWeb(*argv, env={**self.env, **env}, cwd=self.root, prefix=prefix).start()


@pytest.fixture(scope="module")
def web_lab(tmp_path_factory) -> WebLab:
    return WebLab(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def web_server(web_lab):
    running = web_lab.server("--max-sessions", "2")
    yield running
    running.stop()
