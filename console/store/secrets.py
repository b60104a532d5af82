"""Where signed-in sessions are kept: the OS keyring when one is usable, else a private file.

One entry per environment name holds the access token, the refresh token, the access token's
absolute expiry (wall-clock epoch seconds) and lifetime, the username and the base URL the tokens
were issued by. The tokens never show in a repr, a log line or an error message.

Backends
- **keyring**: service ``call-console``, one item per environment (the value is the entry as
  JSON). Used when ``keyring.get_keyring()`` has a positive priority and is not the fail/null
  backend or a chainer without backends. Any keyring exception falls back to the file.
- **file**: ``<data dir>/secrets/tokens.json``; the directory is kept at mode 0700 and the file
  at 0600 (re-chmodded, with a warning, if found wider); a file owned by another user is refused.
  Writes are atomic (`console.store.atomic`: temp file, fsync, ``os.replace``, fsync of the
  directory) under a file lock, and re-read-merge-write, so two processes never lose each
  other's entries.

``CALL_CONSOLE_KEYRING=0`` forces the file backend (tests, headless hosts).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from console import paths
from console.store.atomic import atomic_write, file_lock, remove_stale_temp_files

log = logging.getLogger("console.secrets")

SERVICE = "call-console"
FILE_NAME = "tokens.json"
DIR_NAME = "secrets"
FORMAT_VERSION = 1


class TokenStoreError(Exception):
    """The token store cannot be used safely (wrong owner, unreadable...). Never holds a token."""


@dataclass(frozen=True)
class StoredTokens:
    """A signed-in session (or a pre-issued token when `refresh_token` is None)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    #: Absolute wall-clock expiry of the access token (epoch seconds); None = unknown/never.
    expires_at: float | None = None
    #: The access token's lifetime in seconds as issued (`expires_in`), for "refresh early".
    lifetime: float | None = None
    username: str | None = None
    #: The API the tokens were issued by: they are never sent anywhere else.
    base_url: str | None = None
    saved_at: float | None = None

    @classmethod
    def from_pair(cls, pair: Any, *, username: str | None, base_url: str | None,
                  now: float | None = None) -> StoredTokens:
        """From a `TokenPair` (login or refresh answer)."""
        now = time.time() if now is None else now
        lifetime = float(pair.expires_in) if pair.expires_in and pair.expires_in > 0 else None
        return cls(access_token=pair.access_token, refresh_token=pair.refresh_token,
                   expires_at=now + lifetime if lifetime else None, lifetime=lifetime,
                   username=username, base_url=base_url, saved_at=now)

    @property
    def refreshable(self) -> bool:
        return bool(self.refresh_token)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> StoredTokens | None:
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            return None
        known = {k: data.get(k) for k in cls.__dataclass_fields__ if k in data}
        try:
            return cls(**known)
        except TypeError:
            return None

    def with_saved_at(self, now: float) -> StoredTokens:
        return replace(self, saved_at=now)


# --------------------------------------------------------------------------- backend choice


def keyring_disabled() -> bool:
    return os.environ.get("CALL_CONSOLE_KEYRING", "").strip().lower() in {"0", "false", "no", "off"}


def usable_keyring() -> Any | None:
    """The OS keyring backend when one is really usable, else None (never raises)."""
    if keyring_disabled():
        return None
    try:
        import keyring
        from keyring.backends import chainer, fail

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring):
            return None
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
        if float(getattr(backend, "priority", 0)) <= 0:  # the null backend is -1
            return None
        return backend
    except Exception as exc:  # noqa: BLE001 - any keyring trouble means "no keyring"
        log.debug("keyring unusable: %s", type(exc).__name__)
        return None


# --------------------------------------------------------------------------- the store


class TokenStore:
    """Per-environment token storage. `backend` is "keyring", "file" or None (choose)."""

    def __init__(self, *, backend: str | None = None, directory: Path | None = None,
                 service: str = SERVICE, warn: Callable[[str], None] | None = None):
        if backend not in (None, "keyring", "file"):
            raise ValueError("backend must be 'keyring', 'file' or None")
        self.service = service
        self.directory = directory or (paths.data_dir() / DIR_NAME)
        self._warn = warn or log.warning
        self._keyring = None
        if backend == "keyring" or backend is None:
            self._keyring = usable_keyring()
            if backend == "keyring" and self._keyring is None:
                raise TokenStoreError("no usable OS keyring")
        self.backend = "keyring" if self._keyring is not None else "file"

    def __repr__(self) -> str:
        return f"TokenStore(backend={self.backend!r}, directory={str(self.directory)!r})"

    @property
    def file(self) -> Path:
        return self.directory / FILE_NAME

    def describe(self) -> str:
        if self._keyring is not None:
            return f"OS keyring ({type(self._keyring).__name__})"
        return f"file {self.file}"

    # -- public API -----------------------------------------------------------------------

    def load(self, name: str) -> StoredTokens | None:
        if self._keyring is not None:
            try:
                raw = self._keyring.get_password(self.service, name)
            except Exception as exc:  # noqa: BLE001
                self._fallback("read", exc)
            else:
                if raw:
                    try:
                        return StoredTokens.from_json(json.loads(raw))
                    except ValueError:
                        self._warn(f"keyring item {self.service}/{name} is not readable; "
                                   "sign in again")
                        return None
        return StoredTokens.from_json(self._read_file().get(name))

    def save(self, name: str, tokens: StoredTokens) -> None:
        """Store at once (atomically for the file backend)."""
        tokens = tokens.with_saved_at(time.time())
        if self._keyring is not None:
            try:
                self._keyring.set_password(self.service, name, json.dumps(tokens.to_json()))
            except Exception as exc:  # noqa: BLE001
                self._fallback("write", exc)
            else:
                # Never leave an older copy behind in the file.
                if self.file.exists():
                    self._update_file(lambda entries: entries.pop(name, None))
                return
        self._update_file(lambda entries: entries.__setitem__(name, tokens.to_json()))

    def clear(self, name: str) -> bool:
        """Forget the entry; True when there was one."""
        found = False
        if self._keyring is not None:
            try:
                if self._keyring.get_password(self.service, name) is not None:
                    self._keyring.delete_password(self.service, name)
                    found = True
            except Exception as exc:  # noqa: BLE001
                self._fallback("delete", exc)
        if self.file.exists():
            removed: list[bool] = []
            self._update_file(lambda entries: removed.append(entries.pop(name, None) is not None))
            found = found or any(removed)
        return found

    def lock(self, name: str):
        """A cross-process lock for one environment's refresh (a `filelock.FileLock`)."""
        from filelock import FileLock

        self._private_dir()
        return FileLock(str(self.directory / f".refresh-{_safe(name)}.lock"), thread_local=False,
                        mode=0o600)

    # -- file backend ---------------------------------------------------------------------

    def _fallback(self, action: str, exc: Exception) -> None:
        self._warn(f"OS keyring failed to {action} ({type(exc).__name__}); "
                   f"using the private file {self.file} instead")
        self._keyring = None
        self.backend = "file"

    def _private_dir(self) -> Path:
        directory = self.directory
        paths.ensure_private_dir(directory)  # the data dir too, when it creates it
        info = directory.stat()
        if info.st_uid != os.getuid():
            raise TokenStoreError(f"{directory} belongs to another user; refusing to keep tokens there")
        if stat.S_IMODE(info.st_mode) != 0o700:
            os.chmod(directory, 0o700)
        return directory

    def _check_file(self, path: Path) -> None:
        info = path.stat()
        if info.st_uid != os.getuid():
            raise TokenStoreError(f"{path} belongs to another user; refusing to read it")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            self._warn(f"{path} was readable by others (mode {mode:04o}); set it to 0600. "
                       "If others could read it, sign in again to replace the tokens.")

    def _read_file(self) -> dict[str, Any]:
        path = self.file
        if not path.exists():
            return {}
        self._private_dir()
        self._check_file(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self._warn(f"{path} is not readable ({type(exc).__name__}); sign in again")
            return {}
        entries = data.get("environments") if isinstance(data, dict) else None
        return entries if isinstance(entries, dict) else {}

    def _update_file(self, change: Callable[[dict[str, Any]], Any]) -> None:
        """Re-read, change and atomically rewrite the file under its lock (0600)."""
        self._private_dir()
        path = self.file
        with file_lock(path):
            remove_stale_temp_files(path)
            entries: dict[str, Any] = {}
            if path.exists():
                self._check_file(path)
                try:
                    data = json.loads(path.read_text(encoding="utf-8"))
                    entries = dict(data.get("environments") or {})
                except (OSError, ValueError, AttributeError, TypeError):
                    aside = path.with_name(f"{FILE_NAME}.corrupt-{int(time.time())}")
                    os.replace(path, aside)
                    self._warn(f"{path} was not valid; kept it as {aside.name} and started afresh")
            change(entries)
            payload = {"version": FORMAT_VERSION, "environments": entries}
            atomic_write(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode(),
                         mode=0o600)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "_"
