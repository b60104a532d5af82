"""Operator accounts of `serve-web`: a 0600 file of names and salted scrypt hashes.

One account per line, `name:scrypt:N:r:p:salt:hash` (salt and hash in unpadded base64), with
`#` comments. The parameters are stored with each hash, so stronger ones later leave old lines
valid. The file is written atomically (`console.store.atomic`) under its lock, always 0600, and
re-read at every sign-in: `call-console web-users add/remove` applies without a restart.

Standard library only (hashlib.scrypt): `web-users` works without the `[web]` extra. Nothing here
logs; the password only ever lives in the caller's variables.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from console import paths

USERS_FILE_NAME = "web_users"

#: The same rule as serve-ssh's operator names (console/ssh/keys.py): it becomes the
#: CALL_CONSOLE_OPERATOR of the operator's consoles and names their exchange folder.
NAME_RULE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
NAME_RULE_TEXT = "1-64 letters, digits and ._@+-, starting with a letter or digit"

#: scrypt cost: 16 MiB and about 50 ms per check on one core here (OWASP's minimum is N=2**17
#: with r=8 for 128 MiB; this is its N=2**14, r=8, p=5 class scaled to p=1 for a console
#: that runs next to many operators' processes). Stored per line.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_DKLEN = 2**14, 8, 1, 32
_MAXMEM = 64 * 1024 * 1024
#: Longest password accepted (scrypt takes any length; this only bounds the work per attempt).
MAX_PASSWORD = 1024
MIN_PASSWORD = 8


class AccountsError(ValueError):
    """The accounts file or a request about it is not usable; the message says why."""


def default_users_path() -> Path:
    return paths.config_dir() / USERS_FILE_NAME


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_password(password: str) -> str:
    """`scrypt:N:r:p:salt:hash` for `password` with a fresh 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, maxmem=_MAXMEM, dklen=SCRYPT_DKLEN)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{_b64(salt)}:{_b64(digest)}"


def _check(stored: str, password: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split(":")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n),
                                r=int(r), p=int(p), maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _dummy_hash() -> str:
    """Checked when the name is unknown: an unknown name costs the time of a wrong password."""
    return hash_password(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    name: str
    password_hash: str


def check_name(name: str) -> str:
    if not NAME_RULE.match(name):
        raise AccountsError(f"name {name!r} is not allowed ({NAME_RULE_TEXT})")
    return name


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountsError(f"the password is too short (at least {MIN_PASSWORD} characters)")
    if len(password) > MAX_PASSWORD:
        raise AccountsError(f"the password is too long (at most {MAX_PASSWORD} characters)")
    return password


def parse(text: str, source: Path) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, stored = line.partition(":")
        if not sep or not NAME_RULE.match(name) or stored.count(":") != 5:
            raise AccountsError(f"{source}:{number}: not an account line (expected "
                                "name:scrypt:N:r:p:salt:hash)")
        accounts[name] = Account(name, stored)
    return accounts


def load(path: Path) -> dict[str, Account]:
    """The accounts in `path` (none when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise AccountsError(f"{path}: not UTF-8 text") from None
    return parse(text, path)


def verify(path: Path, name: str, password: str) -> str | None:
    """The account's name when `password` is right for `name`, else None. Unknown names, bad
    lines and an unreadable file cost one scrypt too (no timing difference to probe names)."""
    if len(password) > MAX_PASSWORD:
        return None
    try:
        account = load(path).get(name)
    except (AccountsError, OSError):
        account = None
    if account is None:
        _check(_dummy_hash(), password)
        return None
    return account.name if _check(account.password_hash, password) else None


def _render(accounts: dict[str, Account]) -> bytes:
    lines = ["# call-console serve-web operators: name:scrypt:N:r:p:salt:hash",
             "# edit with `call-console web-users add|remove NAME`"]
    lines += [f"{a.name}:{a.password_hash}" for a in sorted(accounts.values(),
                                                            key=lambda a: a.name)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _update(path: Path, change) -> None:
    from console.store.atomic import atomic_write, file_lock

    with file_lock(path):
        accounts = load(path)
        change(accounts)
        atomic_write(path, _render(accounts), mode=0o600)


def set_password(path: Path, name: str, password: str) -> bool:
    """Add `name` or replace its password. True when the account is new."""
    check_name(name)
    check_new_password(password)
    password_hash = hash_password(password)
    created = False

    def change(accounts: dict[str, Account]) -> None:
        nonlocal created
        created = name not in accounts
        accounts[name] = Account(name, password_hash)

    _update(path, change)
    return created


def remove(path: Path, name: str) -> None:
    def change(accounts: dict[str, Account]) -> None:
        if name not in accounts:
            raise AccountsError(f"no account named {name!r} in {path}")
        del accounts[name]

    _update(path, change)


def file_problem(path: Path) -> str | None:
    """Why `path` should not be trusted as it is (readable by others), or None."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    if mode & 0o077:
        return f"{path} is readable by other users (mode {mode & 0o777:o}); chmod 600 it"
    return None
