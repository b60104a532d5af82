"""serve-web's accounts (`call-console web-users`), its sign-in state and the missing-extra
message: real files in tmp dirs, the real CLI through click's runner, an injected clock."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from click.testing import CliRunner

from console.cli import main
from console.web import accounts
from console.web.signin import FailureLimiter, Sessions


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_add_asks_twice_and_stores_a_salted_scrypt_hash_in_a_0600_file(isolated_dirs):
    password = "a long enough secret"
    result = run("web-users", "add", "alice", input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    path = accounts.default_users_path()
    assert f"added alice in {path}" in result.output
    assert password not in result.output  # hidden input is not echoed back
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert password not in text
    line = next(li for li in text.splitlines() if li.startswith("alice:"))
    assert line.split(":")[1:5] == ["scrypt", str(accounts.SCRYPT_N), str(accounts.SCRYPT_R),
                                    str(accounts.SCRYPT_P)]
    assert accounts.verify(path, "alice", password) == "alice"
    assert accounts.verify(path, "alice", password + "x") is None
    assert accounts.verify(path, "mallory", password) is None
    # The same password again: a new salt, so a new hash; the account is updated in place.
    again = run("web-users", "add", "alice", input=f"{password}\n{password}\n")
    assert "new password for alice" in again.output
    assert path.read_text().count("alice:") == 1 and path.read_text() != text


def test_add_refuses_a_mismatch_a_short_password_and_a_bad_name(isolated_dirs):
    mismatch = run("web-users", "add", "bob", input="first password\nsecond password\n"
                   "first password\nfirst password\n")
    assert "do not match" in mismatch.output and mismatch.exit_code == 0  # asked again
    short = run("web-users", "add", "carol", input="short\nshort\n")
    assert short.exit_code == 2 and "too short" in short.output
    bad = run("web-users", "add", "../root")
    assert bad.exit_code == 2 and "is not allowed" in bad.output
    assert run("web-users", "list").output.split() == ["bob"]


def test_list_and_remove(isolated_dirs):
    for name in ("dave", "carol"):
        run("web-users", "add", name, input="password one\npassword one\n")
    assert run("web-users", "list").output.split() == ["carol", "dave"]
    assert run("web-users", "remove", "dave").exit_code == 0
    assert run("web-users", "list").output.split() == ["carol"]
    gone = run("web-users", "remove", "dave")
    assert gone.exit_code == 2 and "no account named 'dave'" in gone.output
    assert stat.S_IMODE(os.stat(accounts.default_users_path()).st_mode) == 0o600


def test_a_damaged_accounts_file_is_named_with_its_line(isolated_dirs):
    path = accounts.default_users_path()
    path.parent.mkdir(parents=True)
    path.write_text("# ok\nalice:scrypt:1:2\n")
    result = run("web-users", "list")
    assert result.exit_code == 2 and f"{path}:2: not an account line" in result.output
    assert accounts.verify(path, "alice", "anything at all") is None  # refused, not raised


def test_serve_web_without_the_extra_says_which_to_install(isolated_dirs, monkeypatch):
    for name in ("console.web.server", "console.web.child"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.setitem(sys.modules, "textual_serve", None)  # import fails as if not installed
    result = CliRunner().invoke(main, ["serve-web", "--port", "0"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: serve-web needs the web extra: "
                                     "pip install 'call-console[web]'")


def test_serve_web_refuses_an_accounts_file_others_can_read(isolated_dirs):
    pytest.importorskip("textual_serve")
    accounts.set_password(accounts.default_users_path(), "alice", "password one")
    os.chmod(accounts.default_users_path(), 0o644)
    result = run("serve-web", "--port", "0")
    assert result.exit_code == 2 and "is readable by other users (mode 644)" in result.output


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failure_limiter_counts_a_window_per_key():
    clock = Clock()
    limiter = FailureLimiter(limit=3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("client:a", "name:bob") == 0
        limiter.failed("client:a", "name:bob")
        clock.now += 1
    # The first failure was 3 s ago: both keys wait the 57 s until it is 60 s old.
    assert limiter.retry_after("client:a") == pytest.approx(57)
    assert limiter.retry_after("client:b", "name:bob") == pytest.approx(57)
    assert limiter.retry_after("client:b", "name:alice") == 0
    limiter.succeeded("name:bob")  # bob signed in elsewhere: his name is free again ...
    assert limiter.retry_after("name:bob") == 0
    assert limiter.retry_after("client:a") > 0  # ... the guessing client is not
    clock.now += 57
    assert limiter.retry_after("client:a") == 0


def test_sessions_expire_by_age_and_by_idleness_without_a_console():
    clock = Clock()
    sessions = Sessions(max_age=100, idle=10, clock=clock)
    session = sessions.create("alice", "127.0.0.1")
    assert sessions.get(session.token) is session
    assert sessions.get("made-up") is None and sessions.get(None) is None
    clock.now += 11
    assert sessions.get(session.token) is None  # idle, no console open
    kept = sessions.create("bob", "127.0.0.1")
    kept.consoles = 1
    clock.now += 50
    assert sessions.get(kept.token) is kept  # a console is open: not idle
    clock.now += 51
    assert sessions.sweep() == [kept] and sessions.get(kept.token) is None  # too old
