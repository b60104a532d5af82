"""Host key and authorized keys for `serve-ssh`.

Host key: ed25519, generated on first run into the data dir with mode 0600 (written to a temp
file and hard-linked into place, so two servers starting at once never see half a key). An
existing key file readable by group or others is refused, as sshd does.

Authorized keys: the OpenSSH `authorized_keys` format, one key per line::

    [options] keytype base64-key [comment]

The operator's name comes from, in order: an `operator="name"` option, an
`environment="CALL_CONSOLE_OPERATOR=name"` option, the `--operator NAME` of a
`command="call-console --operator NAME"` option (so a file written for the plain-OpenSSH recipe
works unchanged), or the key's comment. A `from="pattern-list"` option restricts the client
addresses (IP wildcards and CIDR, `!` negates). Other OpenSSH options (`restrict`, `pty`,
`command=`…) are accepted and ignored: this server only ever runs the console.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import secrets
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

from console import paths

HOST_KEY_NAME = "ssh_host_ed25519_key"
AUTHORIZED_KEYS_NAME = "authorized_keys"

_KEY_TYPE = re.compile(r"^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com)"
                       r"(-cert-v0\d@openssh\.com)?$")
_OPERATOR_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_OPERATOR_BAD_CHARS = re.compile(r"[^A-Za-z0-9._@+-]+")
#: Options that take a value (`name="value"`); others are flags.
_VALUE_OPTIONS = {"operator", "environment", "from", "command", "permitopen", "permitlisten",
                  "principals", "tunnel", "expiry-time"}


class HostKeyError(Exception):
    """The host key file exists but cannot be used (permissions, format)."""


def default_host_key_path() -> Path:
    return paths.data_dir() / HOST_KEY_NAME


def default_authorized_keys_path() -> Path:
    return paths.config_dir() / AUTHORIZED_KEYS_NAME


def fingerprint(key: asyncssh.SSHKey) -> str:
    """The SHA256 fingerprint as OpenSSH prints it (`SHA256:…`)."""
    return key.get_fingerprint("sha256")


def load_or_create_host_key(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """Return (key, created). Generates an ed25519 key (mode 0600) when `path` does not exist."""
    if not path.exists():
        paths.ensure_private_dir(path.parent)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="call-console host key")
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key.export_private_key("openssh"))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, path)  # fails if another server created it meanwhile
                created = True
            except FileExistsError:
                created = False
        finally:
            tmp.unlink(missing_ok=True)
        if created:
            pub = path.with_name(path.name + ".pub")
            pub.write_bytes(key.export_public_key("openssh"))
            return key, True
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise HostKeyError(f"{path}: permissions {mode:04o} are too open; "
                           f"run `chmod 600 {path}`")
    try:
        return asyncssh.read_private_key(path), False
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise HostKeyError(f"{path}: not a usable private key: {exc}") from None


@dataclass(frozen=True)
class AuthorizedKey:
    key: asyncssh.SSHKey
    key_type: str
    fingerprint: str
    operator: str
    comment: str
    line: int
    options: dict[str, Any] = field(default_factory=dict)
    from_patterns: tuple[str, ...] = ()

    def allows_address(self, address: str | None) -> bool:
        if not self.from_patterns:
            return True
        return address_matches(address, self.from_patterns)


@dataclass
class KeysFile:
    keys: list[AuthorizedKey]
    problems: list[tuple[int, str]]  # (line number, message)


def split_options(text: str) -> tuple[str, str]:
    """Split `options rest` at the first unquoted whitespace."""
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and quoted and index + 1 < len(text):
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char in " \t" and not quoted:
            return text[:index], text[index:].lstrip()
        index += 1
    if quoted:
        raise ValueError("unterminated quote in the options")
    return text, ""


def parse_options(text: str) -> list[tuple[str, str | None]]:
    """`a,b="x,y",c` → [("a", None), ("b", "x,y"), ("c", None)]."""
    result: list[tuple[str, str | None]] = []
    index = 0
    while index < len(text):
        match = re.match(r"[A-Za-z0-9_-]+", text[index:])
        if not match:
            raise ValueError(f"bad option syntax near {text[index:index + 20]!r}")
        name = match.group(0).lower()
        index += len(name)
        value: str | None = None
        if index < len(text) and text[index] == "=":
            index += 1
            if index >= len(text) or text[index] != '"':
                raise ValueError(f"option {name}= needs a double-quoted value")
            index += 1
            chars: list[str] = []
            while index < len(text) and text[index] != '"':
                if text[index] == "\\" and index + 1 < len(text) and text[index + 1] == '"':
                    index += 1
                chars.append(text[index])
                index += 1
            if index >= len(text):
                raise ValueError(f"option {name}=: unterminated quote")
            index += 1
            value = "".join(chars)
        result.append((name, value))
        if index < len(text):
            if text[index] != ",":
                raise ValueError(f"expected ',' after option {name}")
            index += 1
    return result


def _operator_from_comment(comment: str, fp: str) -> str:
    cleaned = _OPERATOR_BAD_CHARS.sub("_", comment.strip()).strip("_.-@+")[:64]
    if cleaned and _OPERATOR_OK.match(cleaned):
        return cleaned
    # No usable comment: a stable name derived from the fingerprint.
    return "key-" + re.sub(r"[^A-Za-z0-9]", "", fp.partition(":")[2])[:10]


def _operator_in_command(command: str) -> str | None:
    """`call-console --operator alice` → "alice" (lines written for the plain-OpenSSH recipe)."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for index, word in enumerate(words):
        if word == "--operator" and index + 1 < len(words):
            return words[index + 1]
        if word.startswith("--operator="):
            return word.partition("=")[2]
    return None


def parse_line(line: str, number: int) -> AuthorizedKey | None:
    """Parse one authorized_keys line (None for blank and comment lines; ValueError if bad)."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    first = text.split(None, 1)[0]
    options: list[tuple[str, str | None]] = []
    if not _KEY_TYPE.match(first):
        option_text, text = split_options(text)
        options = parse_options(option_text)
    parts = text.split(None, 2)
    if len(parts) < 2:
        raise ValueError("expected a key type and a base64 key")
    key_type, blob = parts[0], parts[1]
    comment = parts[2].strip() if len(parts) > 2 else ""
    if not _KEY_TYPE.match(key_type):
        raise ValueError(f"unknown key type {key_type!r}")
    if key_type.endswith("@openssh.com") and "-cert-" in key_type:
        raise ValueError("certificates are not supported; list the plain public key")
    try:
        key = asyncssh.import_public_key(f"{key_type} {blob}")
    except (asyncssh.KeyImportError, ValueError) as exc:
        raise ValueError(f"not a valid {key_type} key: {exc}") from None
    fp = fingerprint(key)
    operator: str | None = None
    env_operator: str | None = None
    command_operator: str | None = None
    from_patterns: list[str] = []
    option_map: dict[str, Any] = {}
    for name, value in options:
        if name in _VALUE_OPTIONS and value is None:
            raise ValueError(f"option {name} needs a value")
        if name == "operator":
            operator = value
        elif name == "environment" and value is not None:
            env_name, _, env_value = value.partition("=")
            if env_name == "CALL_CONSOLE_OPERATOR":
                env_operator = env_value
        elif name == "command" and value is not None:
            command_operator = _operator_in_command(value)
        elif name == "from" and value is not None:
            from_patterns.extend(p.strip() for p in value.split(",") if p.strip())
        option_map[name] = value if value is not None else True
    chosen = next((n for n in (operator, env_operator, command_operator) if n is not None), None)
    if chosen is not None and not _OPERATOR_OK.match(chosen):
        raise ValueError(f"operator name {chosen!r} is not allowed (letters, digits and ._@+- "
                         "only, at most 64)")
    name = chosen if chosen is not None else _operator_from_comment(comment, fp)
    return AuthorizedKey(key=key, key_type=key_type, fingerprint=fp, operator=name,
                         comment=comment, line=number, options=option_map,
                         from_patterns=tuple(from_patterns))


def parse_authorized_keys(text: str) -> KeysFile:
    keys: list[AuthorizedKey] = []
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            entry = parse_line(line, number)
        except ValueError as exc:
            problems.append((number, str(exc)))
            continue
        if entry is not None:
            keys.append(entry)
    return KeysFile(keys, problems)


def load_authorized_keys(path: Path) -> KeysFile:
    """Read and parse the file; a missing or unreadable file is one problem and no keys."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return KeysFile([], [(0, f"cannot read {path}: {exc.strerror or exc}")])
    return parse_authorized_keys(text)


def find_key(keys: KeysFile, key: asyncssh.SSHKey, address: str | None) -> AuthorizedKey | None:
    data = key.public_data
    for entry in keys.keys:
        if entry.key.public_data == data and entry.allows_address(address):
            return entry
    return None


def address_matches(address: str | None, patterns: tuple[str, ...] | list[str]) -> bool:
    """OpenSSH `from=` semantics on the client IP: any positive match and no negated match."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # a dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d
        address = str(ip)
    matched = False
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw[1:] if negated else raw
        hit = False
        if "/" in pattern and ip is not None:
            try:
                hit = ip in ipaddress.ip_network(pattern, strict=False)
            except ValueError:
                hit = False
        else:
            hit = fnmatch.fnmatchcase(address, pattern)
        if hit and negated:
            return False
        matched = matched or hit
    return matched
