"""`call-console serve-ssh` end to end: the real OpenSSH client against the server on loopback.

Throwaway keys from ssh-keygen, the server in a subprocess on an ephemeral port, interactive
clients (`ssh -tt`) in a private tmux server. Most tests run a small stand-in child that reports
its environment, terminal size and pid; the last ones run the real console (`--demo`).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ssh_helpers import (  # noqa: E402
    CONSOLE_COMMAND, ServeSsh, Tmux, doc_block, enter_bundle_path, key_fingerprint, make_key,
    missing_tools, open_bundle_dialog, parse_standin, pid_alive, public_line, read_audit, run_ssh,
    ssh_argv, standin_command, wait_for)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(bool(missing_tools()),
                       reason=f"needs the OpenSSH client and tmux (missing: {missing_tools()})"),
    pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")),
                       reason="PTYs and process groups: POSIX only"),
]

CLEAN_ENV = ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_PROFILES",
             "CALL_CONSOLE_OPERATOR", "CALL_CONSOLE_SSH_SESSION", "CALL_CONSOLE_AUDIT_LOG",
             "CALL_CONSOLE_ENV", "NO_COLOR", "TMUX", "TMUX_PANE")


class Lab:
    """Keys, directories and environment shared by the module's servers."""

    def __init__(self, root: Path):
        self.root = root
        keydir = root / "keys"
        keydir.mkdir()
        self.alice = make_key(keydir, "alice", "alice")  # operator from the comment
        self.bob = make_key(keydir, "bob", "bob's laptop key")  # operator="bob" option
        self.mallory = make_key(keydir, "mallory", "mallory")  # never authorized
        self.carol = make_key(keydir, "carol", "carol")  # authorized while the server runs
        self.authorized_keys = root / "authorized_keys"
        self.authorized_keys.write_text(
            "# operators of the test lab\n"
            f"{public_line(self.alice)}\n"
            f'operator="bob",from="127.0.0.1,::1" {public_line(self.bob)}\n')
        self.data = root / "data"
        self.env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
        self.env.update(CALL_CONSOLE_DATA_DIR=str(self.data),
                        CALL_CONSOLE_CONFIG_DIR=str(root / "config"))
        self.standin = standin_command(root)
        self.audit_log = self.data / "audit.jsonl"

    def server(self, *args: str, prefix: tuple[str, ...] = (), standin: bool = True,
               **env: str) -> ServeSsh:
        argv = ["--authorized-keys", str(self.authorized_keys), "--hangup-grace", "1",
                "--term-grace", "1", *args]
        if standin:
            argv += ["--command", self.standin]
        return ServeSsh(*argv, env={**self.env, **env}, cwd=self.root, prefix=prefix).start()

    def audit(self) -> list[dict]:
        return read_audit(self.audit_log)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    return Lab(tmp_path_factory.mktemp("ssh"))


@pytest.fixture(scope="module")
def server(lab):
    running = lab.server("--max-sessions", "6")
    yield running
    running.stop()


def open_console(tmux: Tmux, name: str, key: Path, port: int, *extra: str,
                 width: int = 80, height: int = 24, env: dict[str, str] | None = None) -> dict:
    """An `ssh -tt` client in a tmux pane; returns what the stand-in child reported."""
    tmux.new(name, ssh_argv(key, port, "-tt", *extra), width, height,
             env={"TERM": "xterm-256color", **(env or {})})
    tmux.wait_text(name, r"STANDIN .* END")
    return parse_standin(tmux.capture(name))


def session_records(lab: Lab, session: str) -> list[dict]:
    return [r for r in lab.audit() if r.get("session") == session]


# -- the server ------------------------------------------------------------------------------


def test_start_line_host_key_generated_private_and_fingerprint_printed(lab, server):
    host_key = lab.data / "ssh_host_ed25519_key"
    assert stat.S_IMODE(host_key.stat().st_mode) == 0o600
    printed = next(line for line in server.lines if line.startswith("host key:"))
    assert key_fingerprint(host_key) in printed
    assert "ssh-ed25519" in printed and "generated now" in printed
    assert f"exchange folders: {lab.data / 'exchange' / 'NAME'} (" in "\n".join(server.lines)
    # The key a client sees is that one.
    scan = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", str(server.port), "127.0.0.1"],
                          capture_output=True, text=True, timeout=20)
    blob = (lab.data / "ssh_host_ed25519_key.pub").read_text().split()[1]
    assert blob in scan.stdout


def test_second_start_reuses_the_host_key_and_refuses_an_open_one(lab, server, tmp_path):
    again = lab.server()
    try:
        printed = next(line for line in again.lines if line.startswith("host key:"))
        assert key_fingerprint(lab.data / "ssh_host_ed25519_key") in printed
        assert "generated now" not in printed
    finally:
        again.stop()
    loose = tmp_path / "loose_key"
    loose.write_bytes((lab.data / "ssh_host_ed25519_key").read_bytes())
    loose.chmod(0o644)
    result = subprocess.run([CONSOLE_COMMAND, "serve-ssh", "--port", "0", "--authorized-keys",
                             str(lab.authorized_keys), "--host-key", str(loose)],
                            capture_output=True, text=True, env=lab.env, timeout=30)
    assert result.returncode == 2
    assert "too open" in result.stderr and "chmod 600" in result.stderr


def test_refuses_a_public_address_and_a_missing_keys_file(lab, tmp_path):
    public = subprocess.run([CONSOLE_COMMAND, "serve-ssh", "--host", "0.0.0.0", "--authorized-keys",
                             str(lab.authorized_keys)],
                            capture_output=True, text=True, env=lab.env, timeout=30)
    assert public.returncode == 2 and "--allow-remote" in public.stderr
    missing = subprocess.run([CONSOLE_COMMAND, "serve-ssh", "--port", "0", "--authorized-keys",
                              str(tmp_path / "nope")],
                             capture_output=True, text=True, env=lab.env, timeout=30)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


# -- authentication --------------------------------------------------------------------------


def test_authorized_key_gets_the_console_in_its_own_pty(lab, server, tmux):
    info = open_console(tmux, "a", lab.alice, server.port)
    assert info["op"] == "alice"
    assert info["term"] == "xterm-256color"
    assert info["size"] == "80x24"
    assert info["ctty"] == "yes"
    assert info["colorterm"] == "None"  # the server's own terminal does not leak in
    pid = int(info["pid"])
    assert pid_alive(pid, "standin")
    tmux.send("a", "hello there", "Enter")
    tmux.wait_text("a", r"ECHO hello there")
    # The child's exit status closes the channel and becomes the client's.
    tmux.send("a", "exit 7", "Enter")
    tmux.wait_text("a", r"SSH-EXIT=7")
    wait_for(lambda: not pid_alive(pid, "standin"), 10, what="the child to be gone")
    end = wait_for(lambda: [r for r in session_records(lab, info["session"])
                            if r["kind"] == "session_end"], 10, what="session_end")
    assert end[0]["reason"] == "exit" and end[0]["exit_status"] == 7


def test_unknown_key_is_refused(lab, server):
    result = run_ssh(lab.mallory, server.port, "-tt")
    assert result.returncode == 255
    assert "Permission denied (publickey)" in result.stderr
    fp = key_fingerprint(lab.mallory)
    refused = wait_for(lambda: [r for r in lab.audit()
                                if r["kind"] == "auth_refused" and r["fingerprint"] == fp],
                       10, what="auth_refused")
    assert refused[0]["operator"] is None
    assert (refused[0]["method"], refused[0]["reason"]) == ("publickey", "key not authorized")
    assert not [r for r in lab.audit() if r["kind"] == "connect" and r["fingerprint"] == fp]


@pytest.mark.parametrize("method", ["password", "keyboard-interactive"])
def test_password_and_keyboard_interactive_are_refused(lab, server, method):
    user = f"wants-{method}"
    result = run_ssh(None, server.port, "-tt", "-o", f"PreferredAuthentications={method}",
                     "-o", "PubkeyAuthentication=no", user=user)
    assert result.returncode == 255
    # The server offers public keys and nothing else.
    assert "Permission denied (publickey)" in result.stderr
    # OpenSSH's client only asks which methods there are (`none`), sees publickey and gives
    # up: the connection is audited as a failed login, with what it tried.
    failed = wait_for(lambda: [r for r in lab.audit() if r["kind"] == "login_failed"
                               and r["username"] == user], 10, what="login_failed")
    assert failed[0]["methods"] == ["none"] and failed[0]["operator"] is None
    assert failed[0]["client"].startswith("127.0.0.1:")


@pytest.mark.parametrize("method", ["password", "keyboard-interactive"])
def test_a_client_sending_passwords_anyway_is_audited_and_cut_off(lab, server, method):
    """A hostile client keeps sending a method the server never offered (OpenSSH's client
    would not): each attempt is refused and audited by method name, the sixth ends the
    connection (like sshd's MaxAuthTries), and the password is in no log."""
    import asyncio

    import asyncssh

    secret = f"hunter2-{os.getpid()}-{method}"
    user = f"guesser-{method}"

    class Guesser(asyncssh.SSHClient):
        """asyncssh's own client only tries what the server lists, so this one rewrites its
        private list of methods to try: `method` first (no `none` query), and again after
        every failure (the failure lists publickey, whose turn re-arms it)."""

        def connection_made(self, conn) -> None:
            self.conn = conn
            conn._auth_methods = [method.encode()]

        def public_key_auth_requested(self) -> None:
            self.conn._auth_methods.append(method.encode())
            return None

        def password_auth_requested(self) -> str:
            return secret

        def kbdint_auth_requested(self) -> str:
            return secret  # the submethods field: sent in the request

    async def attempt() -> str:
        with pytest.raises(asyncssh.DisconnectError) as cut:
            await asyncio.wait_for(asyncssh.connect(
                "127.0.0.1", server.port, username=user, client_factory=Guesser,
                known_hosts=None, client_keys=[], agent_path=None, config=[],
                preferred_auth=[method, "publickey"]), 30)
        return str(cut.value)

    assert "too many authentication failures" in asyncio.run(attempt())
    failed = wait_for(lambda: [r for r in lab.audit() if r["kind"] == "login_failed"
                               and r["username"] == user], 10, what="login_failed")
    assert failed[0]["methods"] == [method] and failed[0]["refused"] == 6
    refused = [r for r in lab.audit() if r["kind"] == "auth_refused" and r["username"] == user]
    assert [(r["method"], r["reason"], r["operator"]) for r in refused] == [
        (method, "method not offered (public keys only)", None)] * 6
    assert secret not in lab.audit_log.read_text()
    assert secret not in server.stderr()


def test_keys_file_is_reread_on_every_login(lab, server, tmux):
    assert run_ssh(lab.carol, server.port, "-tt").returncode == 255
    original = lab.authorized_keys.read_text()
    # Listed, but only from another network: still refused.
    lab.authorized_keys.write_text(original + f'from="10.9.8.0/24" {public_line(lab.carol)}\n')
    assert run_ssh(lab.carol, server.port, "-tt").returncode == 255
    lab.authorized_keys.write_text(original + public_line(lab.carol) + "\n")
    try:
        info = open_console(tmux, "c", lab.carol, server.port)
        assert info["op"] == "carol"
    finally:
        lab.authorized_keys.write_text(original)
    assert run_ssh(lab.carol, server.port, "-tt").returncode == 255


# -- what is refused after login -------------------------------------------------------------


def test_exec_request_is_refused_and_runs_nothing(lab, server, tmp_path):
    proof = tmp_path / "ran"
    result = run_ssh(lab.alice, server.port, command=["touch", str(proof)])
    assert result.returncode == 1
    assert "running commands is not allowed" in result.stderr
    with_pty = run_ssh(lab.alice, server.port, "-tt", command=["touch", str(proof)])
    assert with_pty.returncode == 1
    assert "running commands is not allowed" in with_pty.stdout + with_pty.stderr
    assert not proof.exists()


def test_session_without_a_pty_gets_a_clear_message(lab, server):
    result = run_ssh(lab.alice, server.port, "-T", stdin="exit 0\n")
    assert result.returncode == 1
    assert "needs a terminal" in result.stderr and "ssh -t" in result.stderr
    assert "STANDIN" not in result.stdout


def test_sftp_subsystem_is_refused(lab, server):
    result = subprocess.run(
        ["sftp", "-b", "-", "-P", str(server.port), "-i", str(lab.alice),
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-F", "/dev/null",
         "op@127.0.0.1"], input="ls\n", capture_output=True, text=True, timeout=20)
    assert result.returncode != 0
    assert "subsystem request failed" in result.stderr


def test_port_forwarding_is_refused(lab, server):
    local = run_ssh(lab.alice, server.port, "-W", f"127.0.0.1:{server.port}")
    assert local.returncode == 255
    assert "administratively prohibited" in local.stderr or "forwarding failed" in local.stderr
    remote = run_ssh(lab.alice, server.port, "-N", "-o", "ExitOnForwardFailure=yes",
                     "-R", "127.0.0.1:0:127.0.0.1:9")
    assert remote.returncode == 255
    assert "remote port forwarding failed" in remote.stderr


def test_agent_and_x11_forwarding_are_refused(lab, server, tmux, tmp_path):
    agent_socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_socket)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(agent_socket.exists, 10, what="ssh-agent socket")
        info = open_console(tmux, "fwd", lab.alice, server.port, "-A", "-X",
                            "-o", f"IdentityAgent={agent_socket}",
                            env={"SSH_AUTH_SOCK": str(agent_socket), "DISPLAY": ":99"})
        assert info["agent"] == "None" and info["display"] == "None"
    finally:
        agent.terminate()
        agent.wait(timeout=10)


# -- the PTY session -------------------------------------------------------------------------


def test_window_change_reaches_the_child(lab, server, tmux):
    info = open_console(tmux, "w", lab.alice, server.port)
    assert info["size"] == "80x24"
    tmux.resize("w", 100, 30)
    tmux.wait_text("w", r"SIZE 100x30")
    tmux.resize("w", 72, 20)
    tmux.wait_text("w", r"SIZE 72x20")


def test_a_huge_terminal_is_clamped_at_pty_request_and_window_change(lab, server, tmux):
    """A 10000x10000 window grew a console to 1.7 GB: the child never gets more than
    500x200, whatever the client asks (the stand-in reports what its PTY says)."""
    info = open_console(tmux, "huge", lab.alice, server.port, width=1000, height=500)
    assert info["size"] == "500x200"
    tmux.resize("huge", 100, 30)
    tmux.wait_text("huge", r"SIZE 100x30")
    tmux.resize("huge", 10000, 10000)
    tmux.wait_text("huge", r"SIZE 500x200")
    tmux.resize("huge", 90, 25)  # and back to a real size: applied as asked
    tmux.wait_text("huge", r"SIZE 90x25")
    start = wait_for(lambda: [r for r in session_records(lab, info["session"])
                              if r["kind"] == "session_start"], 10, what="session_start")
    assert start[0]["size"] == "500x200"


def test_two_sessions_run_two_processes(lab, server, tmux):
    one = open_console(tmux, "one", lab.alice, server.port)
    two = open_console(tmux, "two", lab.bob, server.port)
    assert one["pid"] != two["pid"]
    assert one["session"] != two["session"]
    assert (one["op"], two["op"]) == ("alice", "bob")
    assert pid_alive(int(one["pid"]), "standin") and pid_alive(int(two["pid"]), "standin")
    # Each child leads its own session: one operator's signals never reach the other.
    assert os.getsid(int(one["pid"])) == int(one["pid"])
    assert os.getsid(int(two["pid"])) == int(two["pid"])
    tmux.send("one", "exit 0", "Enter")
    tmux.wait_text("one", r"SSH-EXIT=0")
    tmux.send("two", "still here", "Enter")
    tmux.wait_text("two", r"ECHO still here")


def test_closing_the_client_hangs_up_the_child(lab, server, tmux):
    info = open_console(tmux, "bye", lab.alice, server.port)
    pid = int(info["pid"])
    tmux.kill_session("bye")  # the ssh client dies with its pane
    wait_for(lambda: not pid_alive(pid, "standin"), 15, what=f"child {pid} to end")
    # It was told with SIGHUP and had time to save.
    assert (lab.root / f"hup-{pid}").read_text() == "saved"
    end = wait_for(lambda: [r for r in session_records(lab, info["session"])
                            if r["kind"] == "session_end"], 10, what="session_end")
    assert end[0]["reason"] == "disconnect"


def test_a_child_that_ignores_hangup_is_still_ended(lab, server, tmux):
    info = open_console(tmux, "stub", lab.alice, server.port)
    pid = int(info["pid"])
    tmux.send("stub", "stubborn", "Enter")
    tmux.wait_text("stub", r"\nSTUBBORN")
    tmux.kill_session("stub")
    wait_for(lambda: not pid_alive(pid, "standin"), 15, what=f"child {pid} to be killed")
    end = wait_for(lambda: [r for r in session_records(lab, info["session"])
                            if r["kind"] == "session_end"], 10, what="session_end")
    assert end[0]["signal"] == "KILL"


def test_idle_timeout_closes_the_session_and_ends_the_child(lab, tmux):
    idle = lab.server("--idle-timeout", "1.5")
    try:
        info = open_console(tmux, "idle", lab.alice, idle.port)
        pid = int(info["pid"])
        tmux.wait_text("idle", r"idle timeout: session closed", timeout=15)
        tmux.wait_text("idle", r"SSH-EXIT=1")
        wait_for(lambda: not pid_alive(pid, "standin"), 15, what="the idle child to end")
        end = wait_for(lambda: [r for r in session_records(lab, info["session"])
                                if r["kind"] == "session_end"], 10, what="session_end")
        assert end[0]["reason"] == "idle-timeout"
    finally:
        idle.stop()


def test_input_keeps_a_session_alive_past_the_idle_timeout(lab, tmux):
    idle = lab.server("--idle-timeout", "2")
    try:
        info = open_console(tmux, "busy", lab.alice, idle.port)
        for n in range(6):  # typing for ~3.5 s, longer than the timeout
            tmux.send("busy", f"tick{n}", "Enter")
            tmux.wait_text("busy", rf"ECHO tick{n}")
            time.sleep(0.6)  # pacing the typist, not waiting for a result
        assert "idle timeout" not in tmux.capture("busy")
        assert pid_alive(int(info["pid"]), "standin")
    finally:
        idle.stop()


def test_session_cap_refuses_the_extra_session(lab, tmux):
    capped = lab.server("--max-sessions", "1")
    try:
        first = open_console(tmux, "first", lab.alice, capped.port)
        extra = run_ssh(lab.bob, capped.port, "-tt")
        assert extra.returncode == 1
        assert "too many sessions (the limit is 1)" in extra.stdout + extra.stderr
        refused = [r for r in lab.audit()
                   if r["kind"] == "session_refused" and r.get("reason") == "max-sessions"]
        assert refused and refused[-1]["operator"] == "bob"
        assert pid_alive(int(first["pid"]), "standin")
        # When the first session ends, the slot is free again.
        tmux.send("first", "exit 0", "Enter")
        tmux.wait_text("first", r"SSH-EXIT=0")
        second = open_console(tmux, "second", lab.bob, capped.port)
        assert second["op"] == "bob"
    finally:
        capped.stop()


def test_large_output_arrives_whole_and_in_order(lab, server):
    size = 8_000_000
    result = run_ssh(lab.alice, server.port, "-tt", stdin=f"flood {size}\nexit 5\n",
                     timeout=30)
    assert result.returncode == 5
    run = re.search(r"ECHO flood \d+\r?\n(x*)FLOOD-DONE", result.stdout)
    assert run is not None and len(run.group(1)) == size


def test_server_shutdown_ends_sessions_cleanly(lab, tmux):
    doomed = lab.server()
    try:
        info = open_console(tmux, "down", lab.alice, doomed.port)
        pid = int(info["pid"])
        assert doomed.proc is not None
        doomed.proc.send_signal(signal.SIGTERM)
        tmux.wait_text("down", r"server shutting down: session closed")
        tmux.wait_text("down", r"SSH-EXIT=1")
        assert doomed.proc.wait(timeout=20) == 0
        assert not pid_alive(pid, "standin")
        assert (lab.root / f"hup-{pid}").read_text() == "saved"
    finally:
        doomed.stop()


def test_a_killed_server_leaves_no_console_behind(lab, tmux):
    doomed = lab.server()
    try:
        info = open_console(tmux, "crash", lab.alice, doomed.port)
        pid = int(info["pid"])
        assert doomed.proc is not None
        doomed.proc.send_signal(signal.SIGKILL)
        # The PTY master closes with the server: the kernel hangs up the child's terminal.
        wait_for(lambda: not pid_alive(pid, "standin"), 15, what="the orphaned child to end")
        assert (lab.root / f"hup-{pid}").read_text() == "saved"
    finally:
        doomed.stop()


# -- audit -----------------------------------------------------------------------------------


def test_audit_has_connect_call_and_disconnect_with_the_operator(lab, server, tmux):
    alice = open_console(tmux, "au-a", lab.alice, server.port)
    bob = open_console(tmux, "au-b", lab.bob, server.port)
    # The console writes its own events; the operator and session come from its environment.
    tmux.send("au-b", "audit call_placed CA-42", "Enter")
    tmux.wait_text("au-b", r"AUDITED True")
    for name in ("au-a", "au-b"):
        tmux.send(name, "exit 0", "Enter")
        tmux.wait_text(name, r"SSH-EXIT=0")
    for info, key, operator in ((alice, lab.alice, "alice"), (bob, lab.bob, "bob")):
        connection = info["session"].rsplit("-", 1)[0]
        fp = key_fingerprint(key)

        def kinds(connection=connection):
            return [r["kind"] for r in lab.audit() if r.get("connection") == connection
                    or r.get("session") == info["session"]]

        wait_for(lambda: "disconnect" in kinds(), 10, what=f"{operator}'s disconnect")
        records = [r for r in lab.audit() if r.get("connection") == connection
                   or r.get("session") == info["session"]]
        by_kind = {r["kind"]: r for r in records}
        assert {"connect", "session_start", "session_end", "disconnect"} <= set(by_kind)
        for kind in ("connect", "session_start", "session_end", "disconnect"):
            assert by_kind[kind]["operator"] == operator
            assert by_kind[kind]["fingerprint"] == fp
            assert by_kind[kind]["client"].startswith("127.0.0.1:")
        assert by_kind["session_start"]["child_pid"] == int(info["pid"])
        assert [r["kind"] for r in records].index("connect") == 0
        assert [r["kind"] for r in records][-1] == "disconnect"
    call = [r for r in lab.audit() if r["kind"] == "call_placed"]
    assert call[-1]["operator"] == "bob"
    assert call[-1]["session"] == bob["session"]
    assert call[-1]["call_id"] == "CA-42"
    assert call[-1]["pid"] == int(bob["pid"])


def test_audit_appends_from_many_processes_never_tear(tmp_path):
    log = tmp_path / "audit.jsonl"
    code = ("import sys\nfrom console.account.audit import audit_event\n"
            "for n in range(200):\n"
            "    assert audit_event('call_placed', operator=sys.argv[1], n=n, pad='x' * 3000)\n")
    env = {**os.environ, "CALL_CONSOLE_AUDIT_LOG": str(log)}
    procs = [subprocess.Popen([sys.executable, "-c", code, f"op{i}"], env=env) for i in range(6)]
    assert [p.wait(timeout=60) for p in procs] == [0] * 6
    records = read_audit(log)  # raises if any line is torn or interleaved
    assert len(records) == 1200
    for i in range(6):
        assert [r["n"] for r in records if r["operator"] == f"op{i}"] == list(range(200))
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


# -- the real console ------------------------------------------------------------------------


def test_real_console_two_operators_at_once_at_80x24(lab, tmux):
    """The issue's bar: two operators with their own keys in at once, each on the Call screen
    at 80×24, each in their own console process."""
    pytest.importorskip("console.tui.launch", reason="the TUI has not landed")
    real = lab.server(prefix=("--demo",), standin=False)
    seen = len(lab.audit())
    try:
        for name, key in (("real-alice", lab.alice), ("real-bob", lab.bob)):
            tmux.new(name, ssh_argv(key, real.port, "-tt"), 80, 24,
                     env={"TERM": "xterm-256color"})
        for name, operator in (("real-alice", "alice"), ("real-bob", "bob")):
            screen = tmux.wait_text(name, rf"(?s)Call.*DEMO.*{operator}", timeout=30).string
            assert "To" in screen and "Agent" in screen
            assert all(len(line) <= 80 for line in screen.splitlines())
        def new_starts() -> list[dict]:
            found = [r for r in lab.audit()[seen:] if r["kind"] == "session_start"]
            return found if len(found) == 2 else []

        starts = wait_for(new_starts, 10, what="two session_start records")
        assert sorted(r["operator"] for r in starts) == ["alice", "bob"]
        assert all(r["term"] == "xterm-256color" and r["size"] == "80x24" for r in starts)
        pids = {r["operator"]: r["child_pid"] for r in starts}
        assert pids["alice"] != pids["bob"]
        assert all(pid_alive(pid, "console") for pid in pids.values())
        # Alice places a call from the keyboard; the audit log has it under her name.
        tmux.wait_text("real-alice", "online", timeout=30)
        tmux.send("real-alice", "-l", "+14155550000")
        tmux.wait_text("real-alice", "Ready to call", timeout=15)
        tmux.send("real-alice", "C-s")
        tmux.wait_text("real-alice", "Call placed", timeout=20)

        def placed() -> list[dict]:
            return [r for r in lab.audit()[seen:] if r["kind"] == "call_placed"]

        calls = wait_for(placed, 10, what="a call_placed audit record")
        assert [(r["operator"], r["to_number"]) for r in calls] == [("alice", "+14155550000")]
        # A window change re-lays the console out at the new width.
        tmux.resize("real-bob", 100, 30)
        wait_for(lambda: max(map(len, tmux.capture("real-bob").splitlines() or [""])) > 80,
                 15, what="the console to use 100 columns")
        # Closing one client ends that console only.
        tmux.kill_session("real-bob")
        wait_for(lambda: not pid_alive(pids["bob"], "console"), 20, what="bob's console to end")
        assert pid_alive(pids["alice"], "console")
        tmux.wait_text("real-alice", r"(?s)Call.*DEMO.*alice")
    finally:
        real.stop()


def test_real_console_confines_files_to_the_operators_exchange_folder(lab, tmux):
    """The issue's attack: an operator exports a bundle over the server's authorized_keys. The
    console refuses it (and audits it); a plain name lands in her exchange folder."""
    pytest.importorskip("console.tui.launch", reason="the TUI has not landed")
    real = lab.server(prefix=("--demo",), standin=False)
    keys_before = lab.authorized_keys.read_text()
    folder = lab.data / "exchange" / "alice"
    try:
        tmux.new("files", ssh_argv(lab.alice, real.port, "-tt"), 100, 30,
                 env={"TERM": "xterm-256color"})
        tmux.wait_text("files", r"(?s)Call.*DEMO.*alice", timeout=30)
        open_bundle_dialog(tmux, "files")
        for count, typed in enumerate((str(lab.authorized_keys), "../../authorized_keys"), 1):
            enter_bundle_path(tmux, "files", typed)
            # The refusal: on screen (the message wraps with the tmp path) and audited.
            wait_for(lambda count=count: len([r for r in lab.audit()
                                              if r["kind"] == "file_refused"]) == count,
                     15, what=f"refusal {count}")
            tmux.wait_text("files", r"outside your")
            assert lab.authorized_keys.read_text() == keys_before
        enter_bundle_path(tmux, "files", "mine.toml")
        wait_for(lambda: (folder / "mine.toml").exists(), 15, what="the bundle in the folder")
        assert "schema_version" in (folder / "mine.toml").read_text()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        refused = wait_for(lambda: [r for r in lab.audit() if r["kind"] == "file_refused"], 10,
                           what="file_refused records")
        assert [(r["operator"], r["action"], r["path"]) for r in refused] == [
            ("alice", "export", str(lab.authorized_keys)),
            ("alice", "export", "../../authorized_keys")]
        assert all(r["session"] for r in refused)
    finally:
        real.stop()
    assert lab.authorized_keys.read_text() == keys_before


# -- the authorized-keys file and the documented recipes ---------------------------------------



def test_authorized_keys_parsing_names_and_problems(lab):
    from console.ssh import keys

    alice, bob = public_line(lab.alice).split()[:2], public_line(lab.bob).split()[:2]
    text = "\n".join([
        "# comment line", "",
        f"{alice[0]} {alice[1]} alice@laptop",
        f'operator="bob",from="127.0.0.1,10.0.0.0/8" {bob[0]} {bob[1]} whatever, with spaces',
        f'restrict,pty,command="call-console --operator carol" {alice[0]} {alice[1]}',
        f'environment="CALL_CONSOLE_OPERATOR=dave",no-agent-forwarding {alice[0]} {alice[1]} x',
        f"{alice[0]} {alice[1]}",
        f"{alice[0]} {alice[1]} Jane Doe (ops)",
        f'operator="not ok" {alice[0]} {alice[1]}',
        "ssh-ed25519 not-base64 broken",
        f'operator="unterminated {alice[0]} {alice[1]}',
    ])
    parsed = keys.parse_authorized_keys(text)
    names = [k.operator for k in parsed.keys]
    assert names[:4] == ["alice@laptop", "bob", "carol", "dave"]
    assert names[4].startswith("key-") and names[5] == "Jane_Doe_ops"
    assert [line for line, _ in parsed.problems] == [9, 10, 11]
    assert "not allowed" in parsed.problems[0][1]
    assert parsed.keys[1].from_patterns == ("127.0.0.1", "10.0.0.0/8")
    assert parsed.keys[1].allows_address("10.1.2.3")
    assert not parsed.keys[1].allows_address("192.168.1.1")
    assert keys.address_matches("127.0.0.1", ["127.0.0.*"])
    assert not keys.address_matches("127.0.0.1", ["*", "!127.0.0.1"])
    assert keys.address_matches("::ffff:10.1.2.3", ["10.0.0.0/8"])
    assert keys.address_matches("::1", ["::1"]) and not keys.address_matches(None, ["*"])
    assert parsed.keys[0].fingerprint == key_fingerprint(lab.alice)


def test_documented_authorized_keys_example_parses_as_described():
    from console.ssh import keys

    parsed = keys.parse_authorized_keys(doc_block("authorized-keys-example"))
    assert parsed.problems == []
    assert [k.operator for k in parsed.keys] == ["alice", "bob", "carol"]
    assert parsed.keys[1].from_patterns == ("10.20.0.0/16", "127.0.0.1")


def test_documented_openssh_key_lines_name_the_operator_for_both_servers(lab):
    from console.ssh import keys

    real = " ".join(public_line(lab.alice).split()[:2])
    for marker, expected in (("openssh-authorized-keys", ["alice", "bob"]),
                             ("openssh-environment-key", ["alice"])):
        block = doc_block(marker).replace("ssh-ed25519 AAAAC3Nz...", real)
        parsed = keys.parse_authorized_keys(block)
        assert parsed.problems == []
        assert [k.operator for k in parsed.keys] == expected
        assert all("restrict" in k.options or "environment" in k.options for k in parsed.keys)


def test_documented_forced_command_wrapper(lab, tmux, tmp_path):
    """The plain-OpenSSH wrapper from docs/ssh.md, run as sshd would run it (no sshd here)."""
    wrapper = tmp_path / "call-console-ssh"
    console = Path(sys.executable).with_name("call-console")
    wrapper.write_text(doc_block("forced-command-wrapper").replace(
        "/home/operators/venv/bin/call-console", str(console)))
    wrapper.chmod(0o755)
    env = {**lab.env, "SSH_TTY": "/dev/pts/0"}
    command = subprocess.run([str(wrapper), "--operator", "alice"], capture_output=True,
                             text=True, env={**env, "SSH_ORIGINAL_COMMAND": "ls"}, timeout=20)
    assert command.returncode == 1 and "not allowed" in command.stderr
    no_tty = subprocess.run([str(wrapper), "--operator", "alice"], capture_output=True,
                            text=True, env=lab.env, timeout=20)
    assert no_tty.returncode == 1 and "needs a terminal" in no_tty.stderr
    # With a terminal it becomes the console, named after the key's --operator.
    tmux.new("wrapped", ["env", "SSH_TTY=/dev/pts/0", str(wrapper), "--operator", "alice",
                         "--demo"], 80, 24, env={"TERM": "xterm-256color"})
    tmux.wait_text("wrapped", r"(?s)Call.*DEMO.*alice", timeout=30)
