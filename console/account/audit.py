"""The audit log: one JSON object per line, appended by the SSH server and by every console.

Several processes append to the same file at once (the server and one console per session, or
several consoles under plain OpenSSH), so every record is written with one `write()` on a file
opened with `O_APPEND`, under an exclusive `flock` — lines never interleave or tear.

Record shape (keys always present first)::

    {"ts": "2025-01-31T12:00:00.123+00:00", "kind": "call_placed", "operator": "alice",
     "session": "c1a2b3c4-1", "pid": 4242, ...fields}

`operator` and `session` default to the `CALL_CONSOLE_OPERATOR` / `CALL_CONSOLE_SSH_SESSION`
environment variables, which the SSH server sets for each child console, so a console only has
to pass what is specific to the event::

    from console.account.audit import audit_event
    audit_event("call_placed", call_id=placed.id, agent_id=..., to_number=..., from_number=...)
    audit_event("call_ended", call_id=call_id)
    audit_event("call_transferred", call_id=call_id, transfer_to=number)

Never pass the token or other secrets. `audit_event` never raises on I/O errors: it returns
False, so a full disk cannot crash a console (show a toast instead).

Rotation by size: an append that would take the file past `max_bytes()` (10 MiB, or
`CALL_CONSOLE_AUDIT_MAX_BYTES`) first renames it to `audit.jsonl.1` (older ones move to `.2` …
`.5`; the oldest is dropped), under the same lock, then writes to a new file. An appender that
opened the file before it was renamed notices (the inode under the name changed) and opens the
new one, so no line is lost or written into a rotated file after it moved. Readers take no
lock: `read_audit` reads the rotated files oldest first, then the live one, and yields only
complete lines (a line being written is not half-read).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from console import paths

#: Environment variable naming the audit log file (default: `audit.jsonl` in the data dir).
AUDIT_LOG_ENV = "CALL_CONSOLE_AUDIT_LOG"
#: Set by `serve-ssh` for each child console: the operator's name and the SSH session id.
OPERATOR_ENV = "CALL_CONSOLE_OPERATOR"
SESSION_ENV = "CALL_CONSOLE_SSH_SESSION"

#: Kinds written by the console (by convention; any string is accepted).
CALL_PLACED, CALL_ENDED, CALL_TRANSFERRED = "call_placed", "call_ended", "call_transferred"

_RESERVED = ("ts", "kind")


def audit_path() -> Path:
    override = os.environ.get(AUDIT_LOG_ENV)
    if override:
        return Path(override).expanduser()
    return paths.data_dir() / "audit.jsonl"


def format_record(kind: str, fields: dict[str, Any]) -> bytes:
    record: dict[str, Any] = {
        "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
        "kind": str(kind),
    }
    # Defaults from the environment only when the caller did not pass the field at all.
    if "operator" in fields:
        operator = fields.pop("operator")
    else:
        operator = os.environ.get(OPERATOR_ENV) or None
    if "session" in fields:
        session = fields.pop("session")
    else:
        session = os.environ.get(SESSION_ENV) or None
    record["operator"] = operator
    if session:
        record["session"] = session
    record["pid"] = fields.pop("pid", os.getpid())
    for key, value in fields.items():
        if key not in _RESERVED:
            record[key] = value
    # json.dumps escapes control characters, so a record is always exactly one line.
    line = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":"))
    return (line + "\n").encode("utf-8")


#: Size past which the log is rotated, and how many rotated files are kept.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_BYTES_ENV = "CALL_CONSOLE_AUDIT_MAX_BYTES"
KEEP_ROTATED = 5


def max_bytes() -> int:
    """The rotation size: `CALL_CONSOLE_AUDIT_MAX_BYTES` when set to a number (0: never)."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    try:
        return max(0, int(raw)) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


def rotated_path(path: Path, number: int) -> Path:
    return path.with_name(f"{path.name}.{number}")


def _rotate(path: Path, keep: int) -> None:
    """`path` → `path.1`, `path.1` → `path.2`, … (the oldest beyond `keep` is replaced)."""
    for number in range(keep - 1, 0, -1):
        try:
            os.replace(rotated_path(path, number), rotated_path(path, number + 1))
        except FileNotFoundError:
            pass
    os.replace(path, rotated_path(path, 1))


def append_line(path: Path, data: bytes, *, limit: int | None = None,
                keep: int = KEEP_ROTATED) -> None:
    """Append `data` to `path` atomically with respect to other appenders, rotating the file
    first when it would grow past `limit` bytes (default `max_bytes()`). Raises OSError."""
    limit = max_bytes() if limit is None else limit
    paths.ensure_private_dir(path.parent)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not a POSIX system: O_APPEND alone, no rotation
        fcntl = None
    for _ in range(64):  # another process rotated between our open and our lock: again
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                     0o600)
        if os.fstat(fd).st_mode & 0o077:
            paths.tighten_private_file(path)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
                mine = os.fstat(fd)
                try:
                    named = os.stat(path)
                except FileNotFoundError:
                    continue
                if (named.st_ino, named.st_dev) != (mine.st_ino, mine.st_dev):
                    continue  # this file was rotated away while we waited for its lock
                if limit and mine.st_size and mine.st_size + len(data) > limit:
                    _rotate(path, max(1, keep))
                    continue  # write into the new file (under its own lock)
            view = memoryview(data)
            while view:  # one write() in practice; loop only on a (rare) short write
                written = os.write(fd, view)
                view = view[written:]
            return
        finally:
            os.close(fd)  # also releases the lock
    raise OSError(f"{path}: the audit log kept being rotated by other processes")


def audit_event(kind: str, /, **fields: Any) -> bool:
    """Append one audit record; True when written, False when the log could not be written."""
    try:
        append_line(audit_path(), format_record(kind, dict(fields)))
    except OSError:
        return False
    return True


def audit_files(path: Path | None = None, keep: int = KEEP_ROTATED) -> list[Path]:
    """The log's files that exist, oldest first (rotated ones, then the live one)."""
    target = path or audit_path()
    candidates = [rotated_path(target, n) for n in range(keep, 0, -1)] + [target]
    return [p for p in candidates if p.exists()]


def _read_file(target: Path) -> Iterator[dict[str, Any]]:
    try:
        handle = target.open("rb")
    except FileNotFoundError:  # rotated away since it was listed
        return
    with handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                return  # a line still being written: not read half
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def read_audit(path: Path | None = None, *, rotated: bool = True) -> Iterator[dict[str, Any]]:
    """Yield the records of the audit log in order (the rotated files first unless
    `rotated=False`); lines that do not parse, or are not complete yet, are skipped."""
    target = path or audit_path()
    for file in (audit_files(target) if rotated else [target]):
        yield from _read_file(file)


def record_time(record: dict[str, Any]) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(record.get("ts")))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def select_records(records: Iterable[dict[str, Any]], *, operator: str | None = None,
                   actions: Iterable[str] = (), since: datetime | None = None,
                   until: datetime | None = None) -> Iterator[dict[str, Any]]:
    """The records of `operator` (exact name), of one of `actions` (record kinds; a trailing
    `*` matches a prefix, e.g. `call_*`), at or after `since` and before `until`."""
    wanted = [a for a in actions if a]
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=timezone.utc)
    for record in records:
        if operator is not None and record.get("operator") != operator:
            continue
        kind = str(record.get("kind", ""))
        if wanted and not any(kind.startswith(a[:-1]) if a.endswith("*") else kind == a
                              for a in wanted):
            continue
        if since is not None or until is not None:
            when = record_time(record)
            if when is None or (since is not None and when < since) or (
                    until is not None and when >= until):
                continue
        yield record
