"""The exchange folder rule (console/store/exchange.py) and the CLI that uses it.

Real directories, files and symlinks in the test's temp dir; the SSH session is the environment
variable serve-ssh or sshd would set. "Outside" files are real files next to the data dir (the
server's authorized_keys, another operator's folder), and each test checks they are untouched.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from console.cli import main
from console.store.exchange import (
    ExchangeFolder,
    PathRefused,
    folder_name,
    ssh_session_variable,
    trusted_operator,
)

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
SSH = {"SSH_CONNECTION": "10.0.0.9 50000 10.0.0.1 22"}


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def alice(isolated_dirs) -> ExchangeFolder:
    return ExchangeFolder.current(operator="alice", environ=SSH)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- when it applies ----------------------------------------------------------------------------


@pytest.mark.parametrize("variable", ["CALL_CONSOLE_SSH_SESSION", "SSH_CONNECTION",
                                      "SSH_CLIENT", "SSH_TTY"])
def test_any_ssh_variable_confines(isolated_dirs, variable):
    folder = ExchangeFolder.current(operator="alice", environ={variable: "x"})
    assert folder.confined and (folder.why, folder.signal) == ("SSH session", variable)
    assert folder.folder == isolated_dirs / "data" / "exchange" / "alice"
    assert "paths outside it are refused" in folder.notice


def test_not_confined_outside_ssh_unless_the_setting_says_so(isolated_dirs, monkeypatch):
    monkeypatch.chdir(isolated_dirs)
    free = ExchangeFolder.current(operator="alice", environ={})
    assert not free.confined and free.notice is None
    assert free.resolve("b.toml") == isolated_dirs / "b.toml"       # the current directory
    assert free.resolve("/etc/hosts") == Path("/etc/hosts")
    forced = ExchangeFolder.current(operator="alice", confine=True, environ={})
    assert forced.confined and forced.why == "confine_files = true"
    with pytest.raises(PathRefused):
        forced.resolve("/etc/hosts")
    assert ssh_session_variable({}) is None


def test_a_browser_tab_is_confined_and_says_browser_session(isolated_dirs):
    """serve-web sets both variables (the SSH one names the audit's session): the notice
    names what the operator is in."""
    tab = ExchangeFolder.current(operator="alice", environ={
        "CALL_CONSOLE_SSH_SESSION": "w-1", "CALL_CONSOLE_WEB_SESSION": "w-1"})
    assert tab.confined and tab.why == "browser session" and "browser session" in tab.notice
    with pytest.raises(PathRefused):
        tab.resolve("/etc/hosts")
    ssh = ExchangeFolder.current(operator="alice", environ={"CALL_CONSOLE_SSH_SESSION": "s-1"})
    assert ssh.why == "SSH session"


def test_settings_give_the_folder_and_the_switch_but_never_the_operator(isolated_dirs):
    """config.toml's `operator` is editable from the Settings screen: it must not pick the
    folder. --operator, CALL_CONSOLE_OPERATOR, then the login name do."""
    from console.config.settings import load_settings

    config = isolated_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'operator = "bob"\nexchange_dir = "{isolated_dirs}/drop"\n'
                      "confine_files = true\n")
    settings = load_settings()
    by_env = ExchangeFolder.for_settings(settings, environ={"CALL_CONSOLE_OPERATOR": "alice"})
    assert by_env.confined and by_env.folder == isolated_dirs / "drop" / "alice"
    by_flag = ExchangeFolder.for_settings(settings, operator="carol",
                                          environ={"CALL_CONSOLE_OPERATOR": "alice"})
    assert by_flag.operator == "carol"
    by_login = ExchangeFolder.for_settings(settings, environ={})
    assert by_login.operator == trusted_operator(None, {}) != "bob"


def test_a_relative_exchange_dir_is_a_config_error_with_file_and_line(isolated_dirs):
    from console.config.settings import ConfigError, load_settings

    config = isolated_dirs / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('default_region = "US"\nexchange_dir = "drop"\n')
    with pytest.raises(ConfigError, match=r"config\.toml:2: exchange_dir: .*absolute path"):
        load_settings()


def test_operator_names_become_one_safe_folder_each():
    assert folder_name("alice") == "alice" and folder_name("bob@desk") == "bob@desk"
    for hostile in ("..", ".", "../bob", "a/b", "/", "", ".hidden", "x\x00y"):
        name = folder_name(hostile)
        assert "/" not in name and "\x00" not in name and not name.startswith(".")
        assert name not in ("", ".", "..")
    assert folder_name("a/b") != folder_name("a_b")  # changed names get a hash of the original
    assert folder_name("..") != folder_name(".")


# -- the rule --------------------------------------------------------------------------------


def test_a_name_goes_into_the_folder_which_is_created_private(alice, isolated_dirs):
    path = alice.resolve("bundle.toml")
    assert path == isolated_dirs / "data" / "exchange" / "alice" / "bundle.toml"
    assert mode(alice.folder) == 0o700 and mode(alice.folder.parent) == 0o700
    assert alice.resolve(str(path)) == path                        # absolute, inside
    assert alice.resolve("sub/../b.toml") == alice.folder / "b.toml"
    assert alice.preview("x.toml").endswith("exchange/alice/x.toml")  # no file system access


@pytest.mark.parametrize("typed", [
    "/etc/passwd", "../../x", "../bob/x.toml", "../alice2/x.toml", "~/x.toml", "..", ".", "",
    "sub/../../x", "/"])
def test_paths_outside_the_folder_are_refused(alice, isolated_dirs, typed):
    (isolated_dirs / "data" / "exchange" / "alice2").mkdir(parents=True)  # a prefix twin
    with pytest.raises(PathRefused) as refused:
        alice.resolve(typed)
    message = str(refused.value)
    assert "exchange folder" in message or "give a file name" in message
    if typed not in ("", ".", ".."):
        assert message.startswith(f"{typed}: ") and "(SSH session: files are" in message


def test_symlinks_pointing_out_are_refused_and_in_is_fine(alice, isolated_dirs):
    secret = isolated_dirs / "config" / "authorized_keys"
    secret.parent.mkdir(parents=True)
    secret.write_text("ssh-ed25519 AAAA admin\n")
    folder = alice.ensure()
    (folder / "keys.toml").symlink_to(secret)
    (folder / "up").symlink_to(isolated_dirs / "config")
    (folder / "real.toml").write_text("x")
    (folder / "same.toml").symlink_to(folder / "real.toml")
    with pytest.raises(PathRefused, match="symbolic link to a file outside"):
        alice.resolve("keys.toml")
    with pytest.raises(PathRefused, match="outside your exchange folder"):
        alice.resolve("up/authorized_keys")                        # a linked directory
    assert alice.resolve("same.toml") == folder / "same.toml"     # the link itself, inside
    assert secret.read_text() == "ssh-ed25519 AAAA admin\n"


def test_a_folder_planted_as_a_link_is_refused(isolated_dirs):
    planted = ExchangeFolder.current(operator="mallory", environ=SSH)
    planted.folder.parent.mkdir(parents=True)
    planted.folder.symlink_to("/")
    with pytest.raises(PathRefused, match="not a directory"):
        planted.resolve("etc/passwd")


# -- the CLI ---------------------------------------------------------------------------------


@pytest.fixture
def ssh_cli(isolated_dirs, monkeypatch):
    """The CLI as an SSH session would run it (sshd's SSH_CONNECTION, alice's name)."""
    monkeypatch.setenv("SSH_CONNECTION", SSH["SSH_CONNECTION"])
    monkeypatch.setenv("CALL_CONSOLE_OPERATOR", "alice")
    assert run("profiles", "add", "agent", "sales", A1).exit_code == 0
    return isolated_dirs / "data" / "exchange" / "alice"


def test_cli_export_over_ssh_goes_to_the_folder_and_nowhere_else(ssh_cli, isolated_dirs):
    keys = isolated_dirs / "config" / "authorized_keys"
    keys.write_text("ssh-ed25519 AAAA admin\n")
    refused = run("profiles", "export", str(keys))
    assert refused.exit_code == 2
    assert f"error: {keys}: outside your exchange folder" in refused.stderr
    assert "profiles export > FILE" in refused.stderr
    assert keys.read_text() == "ssh-ed25519 AAAA admin\n"
    from console.account.audit import read_audit

    record = [r for r in read_audit() if r["kind"] == "file_refused"][-1]
    assert (record["operator"], record["action"], record["path"]) == ("alice", "export", str(keys))
    assert record["folder"] == str(ssh_cli)
    assert run("profiles", "export", "../../config/x.toml").exit_code == 2
    assert not (isolated_dirs / "config" / "x.toml").exists()
    done = run("profiles", "export", "bundle.toml")
    assert done.exit_code == 0 and f"exported to {ssh_cli / 'bundle.toml'}" in done.stderr
    assert "[agents.sales]" in (ssh_cli / "bundle.toml").read_text()
    assert "[agents.sales]" in run("profiles", "export").stdout     # stdout: not confined


def test_cli_import_over_ssh_reads_only_from_the_folder(ssh_cli, isolated_dirs):
    profiles = isolated_dirs / "config" / "profiles.toml"
    refused = run("profiles", "import", str(profiles), "--dry-run")
    assert refused.exit_code == 2 and "outside your exchange folder" in refused.stderr
    assert run("profiles", "import", "/etc/passwd", "--dry-run").exit_code == 2
    (ssh_cli / "in.toml").write_text(f'[agents.ops]\nid = "{A1}"\n')
    done = run("profiles", "import", "in.toml")
    assert done.exit_code == 0 and "added       agent ops" in done.stdout
    text = f'[agents.piped]\nid = "{A1}"\n'
    assert run("profiles", "import", "-", input=text).exit_code == 0  # stdin: not confined
