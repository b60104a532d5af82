"""Files the console writes: only regular files, never through a link, private modes.

Real files in the test's temp dir: a FIFO made with os.mkfifo, a character device made with
os.mknod (where allowed), /dev/null, symlinks to files outside, and the modes read back with
os.stat. The export goes through the real `call-console profiles export` (CliRunner).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from console.cli import main

A1 = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def run(*args: str, input: str | None = None):
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def saved(isolated_dirs):
    """A profiles file with one agent; returns its text."""
    assert run("profiles", "add", "agent", "sales", A1).exit_code == 0
    return (isolated_dirs / "config" / "profiles.toml").read_text()


# -- profiles export: what it refuses ---------------------------------------------------------


def test_export_refuses_a_fifo_and_leaves_it(saved, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    result = run("profiles", "export", str(fifo))
    assert result.exit_code == 2
    assert f"error: cannot write {fifo}: is a FIFO (named pipe)" in result.stderr
    assert "only writes regular files" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pipe.")] == []


def test_export_refuses_a_symlink_and_writes_nothing_through_it(saved, tmp_path):
    outside = tmp_path / "server" / "authorized_keys"
    outside.parent.mkdir()
    outside.write_text("ssh-ed25519 AAAA... admin\n")
    link = tmp_path / "bundle.toml"
    link.symlink_to(outside)
    result = run("profiles", "export", str(link))
    assert result.exit_code == 2
    assert f"{link}: is a symbolic link: the console does not write through links" \
        in result.stderr
    assert outside.read_text() == "ssh-ed25519 AAAA... admin\n"
    assert link.is_symlink() and os.readlink(link) == str(outside)
    # A dangling link is refused too (it would create the file where it points).
    dangling = tmp_path / "new.toml"
    dangling.symlink_to(tmp_path / "server" / "created-by-export")
    assert run("profiles", "export", str(dangling)).exit_code == 2
    assert not (tmp_path / "server" / "created-by-export").exists()


def test_export_refuses_devices(saved, tmp_path):
    # First a device node of our own (a /dev/null twin): if the refusal were broken, only it
    # would be lost. Then the real /dev/null, which the old code replaced.
    twin = tmp_path / "null"
    try:
        os.mknod(twin, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        twin = None
    if twin is not None:
        result = run("profiles", "export", str(twin))
        assert result.exit_code == 2 and "is a character device" in result.stderr
        assert stat.S_ISCHR(os.lstat(twin).st_mode)
    elif os.access("/dev", os.W_OK):
        pytest.skip("no device node of our own to check first; /dev/null is not risked")
    result = run("profiles", "export", "/dev/null")
    assert result.exit_code == 2
    assert "/dev/null: is a character device" in result.stderr
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_export_replaces_a_regular_file_keeping_its_mode_and_a_new_one_is_private(saved, tmp_path):
    existing = tmp_path / "shared.toml"
    existing.write_text("old")
    existing.chmod(0o640)
    assert run("profiles", "export", str(existing)).exit_code == 0
    assert existing.read_text() == saved and mode(existing) == 0o640
    new = tmp_path / "new.toml"
    assert run("profiles", "export", str(new)).exit_code == 0
    assert new.read_text() == saved and mode(new) == 0o600
    # Standard output is not a file the console opens: it always works.
    assert run("profiles", "export").stdout == saved


# -- the writers themselves -------------------------------------------------------------------


def test_write_named_file_through_a_linked_directory_is_fine(tmp_path):
    """Only the last component is checked: /tmp may itself be a link on some systems."""
    from console.store.atomic import write_named_file

    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "via").symlink_to(real)
    write_named_file(tmp_path / "via" / "x.toml", b"data")
    assert (real / "x.toml").read_bytes() == b"data"


def test_atomic_write_follows_a_link_to_a_regular_file_but_refuses_a_fifo(tmp_path):
    """The stores' writer keeps a dotfiles link (profiles.toml -> repo) but never swaps a FIFO
    or a device for a file."""
    from console.store.atomic import NotARegularFile, atomic_write

    target = tmp_path / "repo" / "profiles.toml"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "profiles.toml"
    link.symlink_to(target)
    atomic_write(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile, match="is a FIFO"):
        atomic_write(fifo, b"x")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    linked_fifo = tmp_path / "linked.toml"
    linked_fifo.symlink_to(fifo)
    with pytest.raises(NotARegularFile, match="is a FIFO"):
        atomic_write(linked_fifo, b"x")


# -- modes: every directory and file the console creates ---------------------------------------


def test_every_directory_and_file_the_console_creates_is_private(isolated_dirs, saved):
    """Config and data dirs 0700, every file in them 0600: the profiles, config.toml (written
    by `env add`, the Settings screen, the theme picker), the history database, the token file,
    the audit log, the exchange folder, an export."""
    from console.config.preferences import save_preferences
    from console.account.audit import audit_event
    from console.store.exchange import ExchangeFolder
    from console.store.history import CallStore
    from console.store.secrets import StoredTokens, TokenStore

    assert run("env", "add", "prod", "https://api.example.com").exit_code == 0, \
        run("env", "list").output
    save_preferences({"default_region": "GB"})
    CallStore().close()
    TokenStore(backend="file").save("prod", StoredTokens(access_token="secret-token"))
    assert audit_event("call_placed", call_id="CA-1")
    ExchangeFolder.current(operator="alice", confine=True).resolve("bundle.toml")
    assert run("profiles", "export", str(isolated_dirs / "data" / "export.toml")).exit_code == 0
    found = {}
    for top in (isolated_dirs / "config", isolated_dirs / "data"):
        found[top] = mode(top)
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                found[Path(root) / name] = mode(Path(root) / name)
    names = {p.name for p in found}
    assert {"config.toml", "profiles.toml", "calls.sqlite3", "tokens.json", "audit.jsonl",
            "exchange", "alice", "export.toml"} <= names, names
    loose = {str(p.relative_to(isolated_dirs)): oct(m) for p, m in found.items()
             if m != (0o700 if p.is_dir() else 0o600)}
    assert loose == {}


def test_the_log_file_is_private_even_when_it_creates_the_data_dir(isolated_dirs):
    """console/logs.py (the error log, from another branch of issue 12): when the log is the
    first thing the console writes, it creates the data dir too; that must be 0700, the log
    dir 0700 and the log 0600. Skipped where the log does not exist yet."""
    logs = pytest.importorskip("console.logs")
    data = isolated_dirs / "data"
    assert not data.exists()
    file = logs.start_file_log()
    try:
        assert file is not None and file.exists()
        assert {p.name: oct(mode(p)) for p in (data, file.parent, file)} == {
            "data": oct(0o700), file.parent.name: oct(0o700), file.name: oct(0o600)}
    finally:
        logs.stop_file_log()


def test_operator_data_files_found_readable_by_others_are_made_private(isolated_dirs):
    """A history database, campaign journal or audit log left at 0644 (an older version, a
    copy, an umask of 022) is 0600 again once the console opens it."""
    from console.account.audit import audit_event, audit_path
    from console.store.history import CallStore
    from console.store.journal import Journal

    data = isolated_dirs / "data"
    CallStore().close()
    Journal(data / "journal.sqlite3").close()
    assert audit_event("call_placed", call_id="CA-1")
    files = [data / "calls.sqlite3", data / "journal.sqlite3", audit_path()]
    for file in files:
        os.chmod(file, 0o644)
    CallStore().close()
    Journal(data / "journal.sqlite3").close()
    assert audit_event("call_placed", call_id="CA-2")
    assert {f.name: oct(mode(f)) for f in files} == {f.name: oct(0o600) for f in files}
