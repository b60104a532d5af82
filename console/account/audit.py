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
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
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


def append_line(path: Path, data: bytes) -> None:
    """Append `data` to `path` atomically with respect to other appenders (raises OSError)."""
    paths.ensure_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0),
                 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not a POSIX system: O_APPEND alone
            fcntl = None
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(data)
        while view:  # one write() in practice; loop only on a (rare) short write
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)  # also releases the lock


def audit_event(kind: str, /, **fields: Any) -> bool:
    """Append one audit record; True when written, False when the log could not be written."""
    try:
        append_line(audit_path(), format_record(kind, dict(fields)))
    except OSError:
        return False
    return True


def read_audit(path: Path | None = None) -> Iterator[dict[str, Any]]:
    """Yield the records of the audit log in order; lines that do not parse are skipped."""
    target = path or audit_path()
    try:
        handle = target.open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record
