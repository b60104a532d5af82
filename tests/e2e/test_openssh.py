"""docs/ssh.md section 2 ("Plain OpenSSH") against a real sshd on 127.0.0.1.

Each server is the system's `sshd -D -e` with a private config, host key, pid file and
authorized-keys file in a temporary directory, on a free loopback port. The wrapper, the
authorized_keys lines and the `Match` block are read from the docs and changed only where the
test machine differs from the documented host: the paths (the venv's `call-console`, the tmp
wrapper), `Match User root` (root is the only account here), `--demo` (no API needed), and
`export` lines in the wrapper that keep the console's files in the tmp dir (sshd clears the
environment). The clients are the real OpenSSH client, interactive ones (`ssh -tt`) in a
private tmux server.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ssh_helpers import (  # noqa: E402
    Tmux, doc_block, enter_bundle_path, make_key, missing_tools, open_bundle_dialog, public_line,
    run_ssh, ssh_argv, ssh_options, terminate, wait_for)

DOCUMENTED_CONSOLE = "/home/operators/venv/bin/call-console"
DOCUMENTED_WRAPPER = "/usr/local/bin/call-console-ssh"
PLACEHOLDER_KEY = "ssh-ed25519 AAAAC3Nz..."
CONSOLE_SCREEN = r"(?s)Call.*DEMO.*alice"  # the Call screen of the demo console, for alice


def find_sshd() -> str | None:
    found = shutil.which("sshd")
    if found:
        return str(Path(found).resolve())
    return "/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None


SSHD = find_sshd()

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")),
                       reason="sshd, PTYs and process groups: POSIX only"),
    pytest.mark.skipif(SSHD is None,
                       reason="needs the OpenSSH server (sshd in PATH or /usr/sbin): "
                              "apt-get install openssh-server"),
    pytest.mark.skipif(getattr(os, "geteuid", lambda: -1)() != 0,
                       reason="sshd must run as root to switch to the logged-in user"),
    pytest.mark.skipif(bool(missing_tools()),
                       reason=f"needs the OpenSSH client and tmux (missing: {missing_tools()})"),
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Sshd:
    """`sshd -D -e -f <dir>/sshd_config` on a free 127.0.0.1 port; its log goes to a file."""

    def __init__(self, directory: Path, host_key: Path, authorized_keys: Path, extra: str = ""):
        self.dir = directory
        self.host_key = host_key
        self.authorized_keys = authorized_keys
        self.extra = extra
        self.config = directory / "sshd_config"
        self.log = directory / "sshd.log"
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def config_text(self, port: int) -> str:
        base = "\n".join([
            f"ListenAddress 127.0.0.1:{port}",
            f"HostKey {self.host_key}",
            f"PidFile {self.dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            # As in Debian's default sshd_config, so a forced command is seen to apply to sftp.
            "Subsystem sftp internal-sftp",
            "LogLevel VERBOSE",
        ])
        # Global options must come before any Match block: the documented block goes last.
        return base + "\n" + self.extra

    def write_config(self, port: int) -> Path:
        self.config.write_text(self.config_text(port))
        return self.config

    def check_config(self) -> subprocess.CompletedProcess[str]:
        """`sshd -t`: the config (and host key) as sshd itself reads them."""
        return subprocess.run([SSHD, "-t", "-f", str(self.config)], capture_output=True,
                              text=True, timeout=20)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_since(self, mark: int) -> str:
        """What sshd logged after `len(self.log_text())` was `mark`."""
        return self.log_text()[mark:]

    def wait_log(self, mark: int, pattern: str, timeout: float = 10.0) -> str:
        """Poll the log (written by sshd's per-connection children) for `pattern` after `mark`."""
        regex = re.compile(pattern)
        try:
            wait_for(lambda: regex.search(self.log_since(mark)), timeout,
                     what=f"{pattern!r} in the sshd log")
        except AssertionError as exc:
            raise AssertionError(f"{exc}:\n{self.log_since(mark)}") from None
        return self.log_since(mark)

    def start(self, timeout: float = 15.0) -> Sshd:
        # The privilege separation directory; a container without the service lacks it.
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        for _attempt in range(3):  # another process may take the free port before sshd does
            self.port = free_port()
            self.write_config(self.port)
            check = self.check_config()
            assert check.returncode == 0, f"sshd -t -f {self.config}:\n{check.stdout}{check.stderr}"
            with self.log.open("wb") as log:
                self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config)],
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            listening = f"Server listening on 127.0.0.1 port {self.port}"

            def ready() -> bool:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    return True
                return listening in self.log_text() and accepts_connections(self.port)

            try:
                wait_for(ready, timeout, what=f"sshd to listen on port {self.port}")
            except AssertionError as exc:
                self.stop()
                raise AssertionError(f"{exc}; sshd log:\n{self.log_text()}") from None
            if self.proc.poll() is None:
                return self
            if "Address already in use" not in self.log_text():
                break
        status = self.proc.returncode if self.proc else "?"
        raise AssertionError(f"sshd did not start (exit {status}):\n{self.log_text()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        terminate(self.proc, grace=10)
        self.proc = None


class Lab:
    """Keys, the documented wrapper and the console's directories, all in one tmp dir."""

    def __init__(self, root: Path):
        self.root = root
        keys = root / "keys"
        keys.mkdir()
        self.alice = make_key(keys, "alice", "alice@laptop")
        self.bob = make_key(keys, "bob", "bob@desk")
        self.control = make_key(keys, "control", "control")  # no `restrict`: forwarding allowed
        self.host_key = make_key(root, "ssh_host_ed25519_key", "test sshd")
        self.config_dir = root / "config"
        self.data_dir = root / "data"
        self.home = root / "home"
        self.home.mkdir()
        self.wrapper = self.write_wrapper()

    def write_wrapper(self) -> Path:
        """The documented forced-command wrapper, with this venv's console and, because sshd
        clears the environment and the account here is root, exports that keep the console's
        files in the tmp dir (the docs say the wrapper may export the console's settings)."""
        console = Path(sys.executable).with_name("call-console")
        text = doc_block("forced-command-wrapper")
        assert DOCUMENTED_CONSOLE in text, "the documented wrapper no longer runs the venv console"
        text = text.replace(DOCUMENTED_CONSOLE, str(console))
        exports = "".join(f"export {name}={shlex.quote(str(value))}\n" for name, value in (
            ("CALL_CONSOLE_CONFIG_DIR", self.config_dir),
            ("CALL_CONSOLE_DATA_DIR", self.data_dir),
            ("CALL_CONSOLE_KEYRING", "0"),  # no OS keyring (and no ~/.local/share) for root
            ("HOME", self.home),  # nothing under /root/.config, /root/.cache
        ))
        lines = text.splitlines(keepends=True)
        exec_at = next(i for i, line in enumerate(lines) if line.startswith("exec "))
        wrapper = self.root / "call-console-ssh"
        wrapper.write_text("".join(lines[:exec_at]) + exports + "".join(lines[exec_at:]))
        wrapper.chmod(0o755)
        return wrapper

    def key_material(self, key: Path) -> str:
        return " ".join(public_line(key).split()[:2])

    def sshd(self, name: str, authorized_keys: str, extra: str = "") -> Sshd:
        directory = self.root / name
        directory.mkdir()
        keys_file = directory / "authorized_keys"
        keys_file.write_text(authorized_keys)
        return Sshd(directory, self.host_key, keys_file, extra)


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Lab:
    return Lab(tmp_path_factory.mktemp("openssh"))


def option_a_keys(lab: Lab) -> str:
    """The documented Option A lines: our wrapper, `--demo` after the operator's name, real
    keys; plus an unrestricted control key whose forced command is /bin/false."""
    text = doc_block("openssh-authorized-keys")
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        operator = re.search(r"--operator (\w+)", line)
        assert operator and DOCUMENTED_WRAPPER in line and PLACEHOLDER_KEY in line, line
        key = {"alice": lab.alice, "bob": lab.bob}[operator.group(1)]
        line = line.replace(DOCUMENTED_WRAPPER, str(lab.wrapper))
        line = line.replace(operator.group(0), f"{operator.group(0)} --demo")
        lines.append(line.replace(PLACEHOLDER_KEY, lab.key_material(key)))
    assert len(lines) == 2
    lines.append(f'command="/bin/false" {public_line(lab.control)}')
    return "\n".join(lines) + "\n"


def option_b_match_block(lab: Lab) -> str:
    """The documented global line and Match block, for root and our wrapper with `--demo`."""
    block = doc_block("openssh-match-block")
    assert "Match User operators" in block and f"ForceCommand {DOCUMENTED_WRAPPER}\n" in block
    return (block.replace("Match User operators", "Match User root")
            .replace(f"ForceCommand {DOCUMENTED_WRAPPER}\n",
                     f"ForceCommand {lab.wrapper} --demo\n"))


def option_b_keys(lab: Lab) -> str:
    line = doc_block("openssh-environment-key").strip()
    assert line.startswith('environment="CALL_CONSOLE_OPERATOR=alice" ') and PLACEHOLDER_KEY in line
    return line.replace(PLACEHOLDER_KEY, lab.key_material(lab.alice)) + "\n"


@pytest.fixture(scope="module")
def option_a(lab):
    server = lab.sshd("option-a", option_a_keys(lab)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def option_b(lab):
    server = lab.sshd("option-b", option_b_keys(lab), extra=option_b_match_block(lab)).start()
    yield server
    server.stop()


def ssh_root(key: Path, port: int, *extra: str, **options) -> subprocess.CompletedProcess[str]:
    """`run_ssh` as root, the only account on the test machine."""
    return run_ssh(key, port, *extra, user="root", **options)


def explain(result: subprocess.CompletedProcess[str], server: Sshd) -> str:
    return (f"exit {result.returncode}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}\n"
            f"sshd log:\n{server.log_text()}")


# -- shared checks ---------------------------------------------------------------------------


def console_over_ssh_then_quit(server: Sshd, tmux: Tmux, key: Path, lab: Lab,
                               started: str) -> None:
    """`ssh -tt` at 80x24 shows alice's demo console; ctrl+q ends it and the client. `started`
    is how sshd logs the session it started (which forced command, from where)."""
    mark = len(server.log_text())
    tmux.new("op", ssh_argv(key, server.port, "-tt", user="root"), 80, 24,
             env={"TERM": "xterm-256color"})
    try:
        screen = tmux.wait_text("op", CONSOLE_SCREEN, timeout=30).string
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nsshd log:\n{server.log_text()}") from None
    assert all(len(line) <= 80 for line in screen.splitlines())
    server.wait_log(mark, re.escape(f"Starting session: {started} on pts/"))
    # The wrapper's exports took effect: the console keeps its files in the tmp dir.
    assert lab.data_dir.is_dir()
    tmux.send("op", "C-q")
    tmux.wait_text("op", r"SSH-EXIT=0", timeout=15)


def command_is_refused(server: Sshd, key: Path, tmp_path: Path) -> None:
    proof = tmp_path / "ran"
    for extra in ((), ("-tt",)):  # with and without a terminal
        result = ssh_root(key, server.port, *extra, command=("touch", str(proof)))
        assert result.returncode == 1, explain(result, server)
        assert "running commands is not allowed" in result.stdout + result.stderr, \
            explain(result, server)
    assert not proof.exists()


def no_terminal_is_refused(server: Sshd, key: Path) -> None:
    result = ssh_root(key, server.port, "-T", stdin="echo SHELL-RAN\n")
    assert result.returncode == 1, explain(result, server)
    assert "needs a terminal" in result.stderr and "ssh -t" in result.stderr, \
        explain(result, server)
    assert "SHELL-RAN" not in result.stdout


def sftp_is_refused(server: Sshd, key: Path) -> None:
    """The forced command also replaces the sftp subsystem (sshd does not pass a subsystem's
    stderr on, so the wrapper's message is not seen; sshd's log says what it started)."""
    if shutil.which("sftp") is None:
        return
    mark = len(server.log_text())
    result = subprocess.run(
        ["sftp", "-b", "-", "-P", str(server.port), "-i", str(key), "-F", "/dev/null",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
         "-o", "LogLevel=ERROR", "root@127.0.0.1"],
        input="ls\n", capture_output=True, text=True, timeout=20)
    assert result.returncode != 0, explain(result, server)
    assert "Connection closed" in result.stderr, explain(result, server)
    log = server.wait_log(mark, r"Starting session: forced-command")
    assert "subsystem 'sftp'" not in log, log


def forwarding_is_refused(server: Sshd, key: Path) -> None:
    mark = len(server.log_text())
    local = ssh_root(key, server.port, "-W", f"127.0.0.1:{server.port}")
    assert local.returncode == 255, explain(local, server)
    assert "stdio forwarding failed" in local.stderr, explain(local, server)
    assert "SSH-2.0-" not in local.stdout  # nothing came through from the target port
    server.wait_log(mark, rf"refused local port forward: .* target 127\.0\.0\.1 port {server.port}")
    mark = len(server.log_text())
    remote = ssh_root(key, server.port, "-N", "-o", "ExitOnForwardFailure=yes",
                      "-R", "127.0.0.1:0:127.0.0.1:9")
    assert remote.returncode == 255, explain(remote, server)
    assert "remote port forwarding failed" in remote.stderr, explain(remote, server)


# -- Option A: per-key forced commands -------------------------------------------------------


def test_option_a_ssh_t_opens_the_console_named_by_the_key_and_ctrl_q_ends_it(
        lab, option_a, tmux):
    console_over_ssh_then_quit(option_a, tmux, lab.alice, lab,
                               f"forced-command (key-option) '{lab.wrapper} --operator alice "
                               f"--demo'")


def test_option_a_console_confines_files_to_the_exchange_folder(lab, option_a, tmux):
    """No serve-ssh here: the console sees sshd's SSH_CONNECTION and confines its file dialogs
    to the operator's exchange folder, so the key's owner cannot export over the account's
    authorized_keys (the file sshd reads)."""
    keys_before = option_a.authorized_keys.read_text()
    tmux.new("files", ssh_argv(lab.alice, option_a.port, "-tt", user="root"), 100, 30,
             env={"TERM": "xterm-256color"})
    tmux.wait_text("files", CONSOLE_SCREEN, timeout=30)
    open_bundle_dialog(tmux, "files")
    typed = str(option_a.authorized_keys)
    enter_bundle_path(tmux, "files", typed)
    audit = lab.data_dir / "audit.jsonl"
    wait_for(lambda: audit.exists() and '"kind":"file_refused"' in audit.read_text(), 15,
             what="the refusal in the audit log")
    tmux.wait_text("files", r"outside your")  # on screen too (the message wraps)
    enter_bundle_path(tmux, "files", "alice.toml")
    bundle = lab.data_dir / "exchange" / "alice" / "alice.toml"
    wait_for(bundle.exists, 15, what=f"{bundle}")
    assert option_a.authorized_keys.read_text() == keys_before
    tmux.send("files", "C-q")
    tmux.wait_text("files", r"SSH-EXIT=0", timeout=15)


def test_option_a_admin_key_copies_a_bundle_in_and_the_operator_imports_it(lab, tmux,
                                                                           tmp_path):
    """docs/ssh.md section 3: an admin key without command= in the account's authorized_keys
    copies a bundle into alice's exchange folder with scp; her console imports it by name."""
    if shutil.which("scp") is None:
        pytest.skip("needs the OpenSSH scp client")
    admin = make_key(tmp_path, "admin", "admin")
    server = lab.sshd("option-a-files", option_a_keys(lab) + public_line(admin) + "\n").start()
    try:
        folder = lab.data_dir / "exchange" / "alice"
        made = ssh_root(admin, server.port, command=("mkdir", "-p", "-m", "700", str(folder)))
        assert made.returncode == 0, explain(made, server)
        bundle = tmp_path / "team.toml"
        bundle.write_text('schema_version = 1\n[agents.team]\n'
                          'id = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"\n')
        options = ssh_options(admin, server.port)
        at = options.index("-p")
        options[at] = "-P"  # scp's spelling of the port option
        copied = subprocess.run(["scp", *options, str(bundle), f"root@127.0.0.1:{folder}/"],
                                capture_output=True, text=True, timeout=30)
        assert copied.returncode == 0, explain(copied, server)
        tmux.new("imp", ssh_argv(lab.alice, server.port, "-tt", user="root"), 100, 30,
                 env={"TERM": "xterm-256color"})
        tmux.wait_text("imp", CONSOLE_SCREEN, timeout=30)
        open_bundle_dialog(tmux, "imp", "i")
        enter_bundle_path(tmux, "imp", "team.toml")
        tmux.wait_text("imp", r"1 to add")
        tmux.send("imp", "Enter")  # only additions: Import has the focus
        profiles = lab.config_dir / "profiles.toml"
        wait_for(lambda: profiles.exists() and "[agents.team]" in profiles.read_text(), 15,
                 what="the agent imported into the profiles file")
        tmux.wait_text("imp", r"Agents \(1\)")
        tmux.send("imp", "C-q")
        tmux.wait_text("imp", r"SSH-EXIT=0", timeout=15)
    finally:
        server.stop()


def test_option_a_command_is_refused_and_runs_nothing(lab, option_a, tmp_path):
    command_is_refused(option_a, lab.alice, tmp_path)
    sftp_is_refused(option_a, lab.bob)


def test_option_a_session_without_a_terminal_is_refused(lab, option_a):
    no_terminal_is_refused(option_a, lab.alice)


def test_option_a_restrict_refuses_port_forwarding(lab, option_a):
    # The control key (no `restrict`) shows this sshd forwards otherwise: -W reaches sshd's
    # own port and its banner comes back.
    control = ssh_root(lab.control, option_a.port, "-W", f"127.0.0.1:{option_a.port}")
    assert "SSH-2.0-OpenSSH" in control.stdout, explain(control, option_a)
    forwarding_is_refused(option_a, lab.alice)


# -- Option B: ForceCommand in a Match block -------------------------------------------------


def test_option_b_documented_block_is_valid_and_applies_to_the_account(lab):
    server = lab.sshd("option-b-check", option_b_keys(lab), extra=option_b_match_block(lab))
    server.write_config(free_port())
    check = server.check_config()
    output = check.stdout + check.stderr
    assert check.returncode == 0, f"sshd -t -f {server.config}:\n{output}"
    assert output == "", f"sshd -t warns:\n{output}"
    # What sshd applies to a connection of that account: the documented settings.
    effective = subprocess.run(
        [SSHD, "-T", "-f", str(server.config), "-C", "user=root,host=localhost,addr=127.0.0.1"],
        capture_output=True, text=True, timeout=20)
    assert effective.returncode == 0, effective.stdout + effective.stderr
    settings = effective.stdout.lower().splitlines()
    for expected in ("permituserenvironment call_console_operator", "disableforwarding yes",
                     "permittty yes", "permittunnel no", "permituserrc no",
                     "authenticationmethods publickey", "passwordauthentication no",
                     "kbdinteractiveauthentication no", "clientaliveinterval 30",
                     "clientalivecountmax 4", f"forcecommand {lab.wrapper} --demo".lower()):
        assert expected in settings, f"{expected!r} not in sshd -T:\n{effective.stdout}"


def test_option_b_ssh_t_opens_the_console_named_by_the_key_environment(lab, option_b, tmux):
    # No --operator anywhere: the name comes from the key's environment= option.
    console_over_ssh_then_quit(option_b, tmux, lab.alice, lab,
                               f"forced-command (config) '{lab.wrapper} --demo'")


def test_option_b_command_and_no_terminal_are_refused(lab, option_b, tmp_path):
    command_is_refused(option_b, lab.alice, tmp_path)
    no_terminal_is_refused(option_b, lab.alice)
    sftp_is_refused(option_b, lab.alice)


def test_option_b_disable_forwarding_refuses_port_forwarding(lab, option_b):
    forwarding_is_refused(option_b, lab.alice)
