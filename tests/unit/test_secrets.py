"""TokenStore: the keyring when usable, else a 0600 file in a 0700 directory; never a leak."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail

from console.store.secrets import StoredTokens, TokenStore, TokenStoreError, usable_keyring

ACCESS = "access-SECRET-0123456789"
REFRESH = "refresh-SECRET-9876543210"


def tokens(n: int = 0, **fields) -> StoredTokens:
    values = dict(access_token=f"{ACCESS}-{n}", refresh_token=f"{REFRESH}-{n}",
                  expires_at=1_900_000_000.0, lifetime=86400.0, username="demo",
                  base_url="https://api.example.com")
    values.update(fields)
    return StoredTokens(**values)


class MemoryKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        del self.items[(service, username)]


class BrokenKeyring(MemoryKeyring):
    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("locked")

    def get_password(self, service, username):
        raise keyring.errors.KeyringError("no D-Bus")


@pytest.fixture
def file_store(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    return TokenStore()


@pytest.fixture
def restore_keyring():
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_file_backend_round_trip_and_modes(file_store, isolated_dirs):
    assert file_store.backend == "file"
    assert file_store.load("prod") is None
    file_store.save("prod", tokens())
    loaded = file_store.load("prod")
    assert loaded.access_token == f"{ACCESS}-0" and loaded.refresh_token == f"{REFRESH}-0"
    assert loaded.expires_at == 1_900_000_000.0 and loaded.username == "demo"
    assert loaded.base_url == "https://api.example.com" and loaded.saved_at is not None
    assert file_store.file == isolated_dirs / "data" / "secrets" / "tokens.json"
    assert mode(file_store.file) == 0o600
    assert mode(file_store.directory) == 0o700
    assert file_store.clear("prod") is True
    assert file_store.load("prod") is None
    assert file_store.clear("prod") is False


def test_reprs_never_show_tokens(file_store):
    value = tokens()
    file_store.save("prod", value)
    for text in (repr(value), str(value), repr(file_store), repr(file_store.load("prod"))):
        assert ACCESS not in text and REFRESH not in text


def test_entries_of_several_environments_are_merged(file_store):
    file_store.save("a", tokens(1))
    TokenStore().save("b", tokens(2))  # another store object (another process) keeps "a"
    file_store.save("a", tokens(3))
    assert file_store.load("a").access_token.endswith("-3")
    assert file_store.load("b").access_token.endswith("-2")
    data = json.loads(file_store.file.read_text())
    assert set(data["environments"]) == {"a", "b"} and data["version"] == 1


def test_wide_file_and_directory_modes_are_fixed_with_a_warning(file_store):
    warnings: list[str] = []
    store = TokenStore(warn=warnings.append)
    file_store.save("prod", tokens())
    os.chmod(store.file, 0o644)
    os.chmod(store.directory, 0o755)
    assert store.load("prod").access_token == f"{ACCESS}-0"
    assert mode(store.file) == 0o600 and mode(store.directory) == 0o700
    assert any("0644" in w and "0600" in w for w in warnings)
    assert all(ACCESS not in w for w in warnings)


def test_corrupt_file_is_kept_aside_and_reported(file_store):
    warnings: list[str] = []
    store = TokenStore(warn=warnings.append)
    store.directory.mkdir(parents=True, mode=0o700)
    store.file.write_text("{not json")
    os.chmod(store.file, 0o600)
    assert store.load("prod") is None
    store.save("prod", tokens())
    assert store.load("prod").access_token == f"{ACCESS}-0"
    kept = [p for p in store.directory.iterdir() if p.name.startswith("tokens.json.corrupt")]
    assert len(kept) == 1 and kept[0].read_text() == "{not json"
    assert len(warnings) == 2


def test_two_processes_writing_at_once_lose_nothing(file_store, isolated_dirs):
    script = textwrap.dedent("""
        import sys
        from console.store.secrets import StoredTokens, TokenStore
        store = TokenStore()
        for i in range(15):
            store.save(f"{sys.argv[1]}-{i}", StoredTokens(access_token=f"t-{sys.argv[1]}-{i}"))
    """)
    env = {**os.environ}
    workers = [subprocess.Popen([sys.executable, "-c", script, name], env=env)
               for name in ("p", "q", "r")]
    assert all(w.wait(timeout=60) == 0 for w in workers)
    names = set(json.loads(file_store.file.read_text())["environments"])
    assert names == {f"{p}-{i}" for p in "pqr" for i in range(15)}
    assert mode(file_store.file) == 0o600


def test_keyring_disabled_by_env_or_unusable_backends(monkeypatch, restore_keyring):
    monkeypatch.delenv("CALL_CONSOLE_KEYRING", raising=False)  # the suite's conftest sets it
    keyring.set_keyring(MemoryKeyring())
    assert usable_keyring() is not None
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    assert usable_keyring() is None
    monkeypatch.delenv("CALL_CONSOLE_KEYRING")
    keyring.set_keyring(fail.Keyring())
    assert usable_keyring() is None
    empty = chainer.ChainerBackend()
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [], raising=False)
    keyring.set_keyring(empty)
    assert usable_keyring() is None
    with pytest.raises(TokenStoreError):
        TokenStore(backend="keyring")


def test_keyring_backend_stores_nothing_on_disk(monkeypatch, restore_keyring):
    monkeypatch.delenv("CALL_CONSOLE_KEYRING", raising=False)
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    store = TokenStore()
    assert store.backend == "keyring" and "MemoryKeyring" in store.describe()
    store.save("prod", tokens())
    assert not store.file.exists()
    assert json.loads(memory.items[("call-console", "prod")])["refresh_token"] == f"{REFRESH}-0"
    assert store.load("prod").refresh_token == f"{REFRESH}-0"
    assert store.clear("prod") and store.load("prod") is None


def test_keyring_failure_falls_back_to_the_file(monkeypatch, restore_keyring):
    monkeypatch.delenv("CALL_CONSOLE_KEYRING", raising=False)
    keyring.set_keyring(BrokenKeyring())
    warnings: list[str] = []
    store = TokenStore(warn=warnings.append)
    assert store.backend == "keyring"
    store.save("prod", tokens())
    assert store.backend == "file" and mode(store.file) == 0o600
    assert store.load("prod").access_token == f"{ACCESS}-0"
    assert warnings and all(ACCESS not in w for w in warnings)


def test_from_pair_sets_absolute_expiry():
    class Pair:
        access_token, refresh_token, expires_in = "a", "r", 120

    stored = StoredTokens.from_pair(Pair(), username="u", base_url="http://x", now=1000.0)
    assert stored.expires_at == 1120.0 and stored.lifetime == 120.0 and stored.refreshable
    assert StoredTokens.from_json({"nope": 1}) is None
