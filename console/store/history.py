"""The local call store: every tracked call, its request, each observed status change (SQLite).

One file (`paths.history_db()` by default) shared by every console process of an operator (and
possibly by several operators on one jump host), so:

- WAL journal, `synchronous=NORMAL`, `busy_timeout=5000`: readers never block the writer, and
  two processes writing at once both succeed (the second waits for the first's transaction).
- Every write transaction starts with `BEGIN IMMEDIATE` (takes the write lock up front), so a
  read-then-write never fails with SQLITE_BUSY halfway and "append a status change only when the
  status string changed" is atomic across processes.
- The schema is versioned with `PRAGMA user_version` and an ordered list of migrations; each
  runs in its own transaction. A file written by a newer call-console is refused with a clear
  error (`StoreVersionError`) and never touched.
- Requests are stored as their JSON body only (it never holds a token; keys that look like
  credentials are dropped anyway). Timestamps are ISO 8601 UTC text with a fixed format, so
  they sort and compare as text and use the indexes.

`record_statuses()` writes one poll cycle's changes in one transaction; `transaction()` groups
any calls (nestable).

Environments (schema 2): every call row names the API it was placed on (`environment`: the key
`ConsoleSession.environment` gives, e.g. the base URL, or `demo:<run>` for one `--demo` run), so
a console re-attaches only the calls of the API it talks to. Rows written before schema 2 say
`unknown` (nobody knows which API they came from): they stay in the history and are never
re-attached or polled again. A call the API answered 404 for several polls in a row is *lost*
(`lost_at`; its last known fields are kept), and one the operator dismissed from the live
table has `dismissed_at` (it stays in the history, it is only not re-attached).

What is stored per call is bounded, whatever a server sends (`bounded_status_json`,
`bounded_request_json`): strings are kept as received (escape codes included: they are made
visible when shown), but in the last status JSON each string longer than
`STORED_STRING_LIMIT` is clipped, and past `STORED_STATUS_LIMIT` the unknown extra fields are
dropped (their count is kept). A request longer than `STORED_REQUEST_LIMIT` is not stored at
all: a clipped request would redial a different call.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from console.api.models import TERMINAL_STATUSES, CallResponse, CallStatus, OutboundCallRequest
from console.api.safe_text import clip_strings

log = logging.getLogger("console.store")

BUSY_TIMEOUT_MS = 5000

#: Longest string kept in a stored status JSON (then "… (N more characters)").
STORED_STRING_LIMIT = 4096
#: Longest stored status JSON: past it the unknown extra fields are dropped.
STORED_STATUS_LIMIT = 64 * 1024
#: Longest stored request JSON: past it the request is not stored.
STORED_REQUEST_LIMIT = 256 * 1024
#: Key of the note that says how many extra fields were dropped from a stored status.
DROPPED_FIELDS_KEY = "x_console_dropped_fields"

#: Migration N (1-based) brings the schema from version N-1 to N. Append only; never edit one
#: that has shipped. Statements only (no `executescript`: it would commit our transaction).
MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "calls, status changes and their indexes",
        (
            """
            CREATE TABLE calls (
                call_id          TEXT PRIMARY KEY,
                agent_id         TEXT NOT NULL,
                to_number        TEXT NOT NULL,
                from_number      TEXT,
                status           TEXT NOT NULL,
                disposition      TEXT,
                started_at       TEXT NOT NULL,  -- server's started_at; our placing time until known
                ended_at         TEXT,
                duration_seconds INTEGER,
                last_json        TEXT,           -- the last CallStatus seen, as JSON
                request_json     TEXT,           -- the token-free request body
                placed_by        TEXT,
                source           TEXT NOT NULL DEFAULT 'console',
                created_at       TEXT NOT NULL,
                updated_at       TEXT NOT NULL,
                done             INTEGER NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE status_changes (
                id          INTEGER PRIMARY KEY,
                call_id     TEXT NOT NULL REFERENCES calls(call_id) ON DELETE CASCADE,
                status      TEXT NOT NULL,
                observed_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX status_changes_call ON status_changes(call_id, observed_at)",
            "CREATE INDEX calls_started ON calls(started_at, call_id)",
            "CREATE INDEX calls_created ON calls(created_at)",
            "CREATE INDEX calls_agent_started ON calls(agent_id, started_at, call_id)",
            "CREATE INDEX calls_status_started ON calls(status, started_at, call_id)",
            "CREATE INDEX calls_not_done ON calls(started_at) WHERE done = 0",
        ),
    ),
    (
        "the environment each call belongs to; lost and dismissed calls",
        (
            # Older rows: the API they came from was never recorded (see LEGACY_ENVIRONMENT).
            "ALTER TABLE calls ADD COLUMN environment TEXT NOT NULL DEFAULT 'unknown'",
            "ALTER TABLE calls ADD COLUMN lost_at TEXT",
            "ALTER TABLE calls ADD COLUMN dismissed_at TEXT",
            "CREATE INDEX calls_environment_started ON calls(environment, started_at, call_id)",
        ),
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

#: The environment of rows recorded before calls were tied to one (schema 1), and of rows
#: written without one: never matches a real environment key, so they are never re-attached.
LEGACY_ENVIRONMENT = "unknown"

#: Keys never written to the store, whatever a caller passes as the request.
_SECRET_KEYS = frozenset({"token", "access_token", "refresh_token", "authorization", "password",
                          "api_key", "secret"})

_COLUMNS = ("call_id, agent_id, to_number, from_number, status, disposition, started_at, "
            "ended_at, duration_seconds, last_json, request_json, placed_by, source, created_at, "
            "updated_at, done, environment, lost_at, dismissed_at")


class StoreError(Exception):
    """The call history file cannot be used (corrupt, unreadable, locked too long...)."""


class StoreVersionError(StoreError):
    """The file's schema is newer than this build knows: refuse rather than damage it."""


def to_ts(value: datetime) -> str:
    """Fixed-format ISO 8601 UTC text (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def request_body(request: OutboundCallRequest | dict[str, Any] | None) -> dict[str, Any] | None:
    """The token-free JSON body of a request (credential-looking keys dropped, at any depth)."""
    if request is None:
        return None
    if isinstance(request, OutboundCallRequest):
        body: Any = request.to_json_body()
    else:
        body = json.loads(json.dumps(dict(request), default=str))
    return _scrub(body)


def bounded_status_json(call: CallStatus) -> str:
    """The JSON stored as a call's last status, bounded (see the module docstring)."""
    text = call.model_dump_json()
    if len(text) <= STORED_STRING_LIMIT:
        return text
    data = clip_strings(call.model_dump(mode="json"), STORED_STRING_LIMIT)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(text) > STORED_STATUS_LIMIT:
        known = set(CallStatus.model_fields)
        dropped = sum(1 for key in data if key not in known)
        data = {key: value for key, value in data.items() if key in known}
        data[DROPPED_FIELDS_KEY] = dropped
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text


def bounded_request_json(body: dict[str, Any] | None) -> str | None:
    """The JSON stored as a call's request; None (not stored) past `STORED_REQUEST_LIMIT`."""
    if body is None:
        return None
    text = json.dumps(body, separators=(",", ":"))
    if len(text) > STORED_REQUEST_LIMIT:
        log.warning("a request of %d characters was not stored (the limit is %d)",
                    len(text), STORED_REQUEST_LIMIT)
        return None
    return text


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()
                if not (isinstance(k, str) and k.lower() in _SECRET_KEYS)}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


@dataclass(frozen=True)
class StoredCall:
    """One row of the `calls` table."""

    call_id: str
    agent_id: str
    to_number: str
    from_number: str | None
    status: str
    disposition: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    placed_by: str | None
    source: str
    created_at: datetime | None
    updated_at: datetime | None
    done: bool
    last_json: str | None = field(default=None, repr=False)
    request_json: str | None = field(default=None, repr=False)
    environment: str = LEGACY_ENVIRONMENT
    lost_at: datetime | None = None
    dismissed_at: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def lost(self) -> bool:
        """The API answered 404 for it several polls in a row (a local final state)."""
        return self.lost_at is not None

    @cached_property
    def last(self) -> CallStatus | None:
        """The last CallStatus seen (parsed on first access)."""
        if not self.last_json:
            return None
        try:
            return CallStatus.model_validate_json(self.last_json)
        except ValueError:
            return None

    @cached_property
    def request(self) -> dict[str, Any] | None:
        if not self.request_json:
            return None
        try:
            value = json.loads(self.request_json)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def as_status(self) -> CallStatus:
        """The last CallStatus, or one rebuilt from the columns when none was seen yet."""
        if self.last is not None:
            return self.last
        return CallStatus(
            call_id=self.call_id, agent_id=self.agent_id, to_number=self.to_number,
            from_number=self.from_number, status=self.status, disposition=self.disposition,
            started_at=to_ts(self.started_at) if self.started_at else None,
            ended_at=to_ts(self.ended_at) if self.ended_at else None,
            duration_seconds=self.duration_seconds)


#: SET clause: a row recorded without an environment takes the one this write knows (a call of
#: the old schema seen again is on the API that just answered for it). One `?`: the environment.
_ADOPT_ENVIRONMENT = (f"environment = CASE WHEN environment = '{LEGACY_ENVIRONMENT}' "
                      "THEN COALESCE(?, environment) ELSE environment END")


def _row(r: sqlite3.Row) -> StoredCall:
    return StoredCall(
        call_id=r["call_id"], agent_id=r["agent_id"], to_number=r["to_number"],
        from_number=r["from_number"], status=r["status"], disposition=r["disposition"],
        started_at=from_ts(r["started_at"]), ended_at=from_ts(r["ended_at"]),
        duration_seconds=r["duration_seconds"], placed_by=r["placed_by"], source=r["source"],
        created_at=from_ts(r["created_at"]), updated_at=from_ts(r["updated_at"]),
        done=bool(r["done"]), last_json=r["last_json"], request_json=r["request_json"],
        environment=r["environment"], lost_at=from_ts(r["lost_at"]),
        dismissed_at=from_ts(r["dismissed_at"]))


class CallStore:
    """The SQLite call history. Thread-safe (one connection behind a lock); close() when done."""

    def __init__(self, path: Path | str | None = None, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS):
        from console import paths

        if path is None:
            path = paths.history_db()
        self.path = Path(path)
        self._lock = threading.RLock()
        self._depth = 0
        paths.ensure_private_dir(self.path.parent)  # 0700 where it creates the data dir
        if not self.path.exists():
            # Phone numbers are personal data: the file is private to its owner.
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError:
                pass
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                         timeout=busy_timeout_ms / 1000)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the call history ({exc})") from None
        self._conn.row_factory = sqlite3.Row
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"{self.path}: could not switch the call history to WAL ({mode})")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a usable call history database ({exc})") from None
        except StoreError:
            self._conn.close()
            raise

    # -- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> CallStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CallStore({str(self.path)!r})"

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path}: the call history has schema version {version}, newer than this "
                f"call-console understands (up to {SCHEMA_VERSION}). Upgrade call-console, or "
                "move the file aside to start a new history; it was not modified.")
        if version == SCHEMA_VERSION:
            return
        for number in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                # Another process may have migrated while we waited for the write lock.
                current = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
                if current >= number:
                    continue
                _, statements = MIGRATIONS[number - 1]
                for statement in statements:
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE); nested uses join the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._depth = 0
                self._conn.execute("ROLLBACK")
                raise
            self._depth = 0
            self._conn.execute("COMMIT")

    # -- writes --------------------------------------------------------------------------------

    def record_placed(self, placed: CallResponse,
                      request: OutboundCallRequest | dict[str, Any] | None = None,
                      placed_by: str | None = None, *, source: str = "console",
                      at: datetime | None = None, environment: str | None = None) -> None:
        """A call this console placed: its row (status from the POST answer) and first change.

        `environment` is the API it was placed on (`ConsoleSession.environment`)."""
        now = to_ts(at or datetime.now(UTC))
        body = request_body(request)
        request_json = bounded_request_json(body)
        with self.transaction() as conn:
            exists = conn.execute("SELECT 1 FROM calls WHERE call_id = ?",
                                  (placed.call_id,)).fetchone()
            if exists is None:
                conn.execute(
                    "INSERT INTO calls (call_id, agent_id, to_number, from_number, status, "
                    "started_at, request_json, placed_by, source, created_at, updated_at, done, "
                    "environment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                    (placed.call_id, placed.agent_id, placed.to_number, placed.from_number,
                     placed.status, now, request_json, placed_by, source, now, now,
                     environment or LEGACY_ENVIRONMENT))
                conn.execute("INSERT INTO status_changes (call_id, status, observed_at) "
                             "VALUES (?, ?, ?)", (placed.call_id, placed.status, now))
            else:
                # Already seen (e.g. discovered through a watched agent): keep its server status.
                conn.execute(
                    "UPDATE calls SET request_json = COALESCE(?, request_json), "
                    "placed_by = COALESCE(?, placed_by), source = ?, updated_at = ?, "
                    f"{_ADOPT_ENVIRONMENT} WHERE call_id = ?",
                    (request_json, placed_by, source, now, environment, placed.call_id))

    def record_status(self, call: CallStatus, *, observed_at: datetime | None = None,
                      source: str = "watched", placed_by: str | None = None,
                      request: OutboundCallRequest | dict[str, Any] | None = None,
                      done: bool | None = None, environment: str | None = None) -> bool:
        """Store a polled status. Returns True when the status string changed (or is new).

        A call not in the store yet is inserted (with `source` and `environment`); `placed_by`
        and `request` fill in those columns when given (e.g. a call whose POST outcome was
        unknown, reconciled from the agent's list).
        """
        with self.transaction() as conn:
            changed = self._record(call, to_ts(observed_at or datetime.now(UTC)), source,
                                   placed_by, done, environment)
            body = request_body(request)
            if body is not None or placed_by is not None:
                conn.execute(
                    "UPDATE calls SET request_json = COALESCE(?, request_json), "
                    "placed_by = COALESCE(?, placed_by) WHERE call_id = ?",
                    (bounded_request_json(body), placed_by, call.call_id))
            return changed

    def record_statuses(self, calls: Iterable[CallStatus], *,
                        observed_at: datetime | None = None, source: str = "watched",
                        done_ids: Iterable[str] = (), environment: str | None = None) -> int:
        """One poll cycle's statuses in one transaction; returns how many changed status."""
        when = to_ts(observed_at or datetime.now(UTC))
        calls = list(calls)
        done = set(done_ids)
        changed = 0
        with self.transaction():
            for call in calls:
                changed += self._record(call, when, source, None,
                                        True if call.call_id in done else None, environment)
            rest = done.difference(c.call_id for c in calls) if done else set()
            if rest:
                self.mark_done(rest)
        return changed

    def _record(self, call: CallStatus, when: str, source: str, placed_by: str | None,
                done: bool | None, environment: str | None = None) -> bool:
        conn = self._conn
        row = conn.execute("SELECT status FROM calls WHERE call_id = ?", (call.call_id,)).fetchone()
        started = to_ts(call.started) if call.started else None
        ended = to_ts(call.ended) if call.ended else None
        last_json = bounded_status_json(call)
        done_value = None if done is None else int(done)
        if row is None:
            conn.execute(
                "INSERT INTO calls (call_id, agent_id, to_number, from_number, status, "
                "disposition, started_at, ended_at, duration_seconds, last_json, placed_by, "
                "source, created_at, updated_at, done, environment) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (call.call_id, call.agent_id, call.to_number, call.from_number, call.status,
                 call.disposition, started or when, ended, call.duration_seconds, last_json,
                 placed_by, source, when, when, done_value or 0,
                 environment or LEGACY_ENVIRONMENT))
            changed = True
        else:
            conn.execute(
                "UPDATE calls SET agent_id = ?, to_number = ?, from_number = ?, status = ?, "
                "disposition = ?, started_at = COALESCE(?, started_at), ended_at = ?, "
                "duration_seconds = ?, last_json = ?, updated_at = ?, "
                f"done = COALESCE(?, done), {_ADOPT_ENVIRONMENT} WHERE call_id = ?",
                (call.agent_id, call.to_number, call.from_number, call.status, call.disposition,
                 started, ended, call.duration_seconds, last_json, when, done_value,
                 environment, call.call_id))
            changed = row["status"] != call.status
        if changed:
            conn.execute("INSERT INTO status_changes (call_id, status, observed_at) "
                         "VALUES (?, ?, ?)", (call.call_id, call.status, when))
        return changed

    def mark_done(self, call_ids: Iterable[str], done: bool = True) -> None:
        """The tracker finished these calls (terminal and follow-ups made)."""
        ids = list(call_ids)
        if not ids:
            return
        with self.transaction() as conn:
            conn.executemany("UPDATE calls SET done = ? WHERE call_id = ?",
                             [(int(done), cid) for cid in ids])

    def mark_lost(self, call_ids: Iterable[str], *, at: datetime | None = None) -> None:
        """The API answered 404 for these calls several polls in a row: a local final state.
        Their last known fields stay as they are; they are finished (never polled again)."""
        ids = list(call_ids)
        if not ids:
            return
        when = to_ts(at or datetime.now(UTC))
        with self.transaction() as conn:
            conn.executemany("UPDATE calls SET lost_at = COALESCE(lost_at, ?), done = 1, "
                             "updated_at = ? WHERE call_id = ?",
                             [(when, when, cid) for cid in ids])

    def mark_dismissed(self, call_ids: Iterable[str], *, at: datetime | None = None) -> None:
        """The operator took these calls off the live table: kept here, never re-attached."""
        ids = list(call_ids)
        if not ids:
            return
        when = to_ts(at or datetime.now(UTC))
        with self.transaction() as conn:
            conn.executemany("UPDATE calls SET dismissed_at = COALESCE(dismissed_at, ?) "
                             "WHERE call_id = ?", [(when, cid) for cid in ids])

    # -- reads ---------------------------------------------------------------------------------

    def get(self, call_id: str) -> StoredCall | None:
        with self._lock:
            r = self._conn.execute(f"SELECT {_COLUMNS} FROM calls WHERE call_id = ?",
                                   (call_id,)).fetchone()
        return _row(r) if r is not None else None

    def calls_since(self, since: datetime, *, environment: str | None = None) -> list[StoredCall]:
        """Calls that started or were first recorded at/after `since`, newest first (only
        those of `environment` when given)."""
        ts = to_ts(since)
        sql = f"SELECT {_COLUMNS} FROM calls WHERE (started_at >= ? OR created_at >= ?)"
        params: list[Any] = [ts, ts]
        if environment is not None:
            sql += " AND environment = ?"
            params.append(environment)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY started_at DESC, call_id DESC",
                                      params).fetchall()
        return [_row(r) for r in rows]

    def live_calls(self, since: datetime | None = None, *,
                   environment: str | None = None) -> list[StoredCall]:
        """Calls whose last stored status is not terminal (and not finished), oldest first
        (only those of `environment` when given)."""
        sql = (f"SELECT {_COLUMNS} FROM calls WHERE done = 0 "
               "AND status NOT IN ('ended', 'failed')")
        params: list[Any] = []
        if environment is not None:
            sql += " AND environment = ?"
            params.append(environment)
        if since is not None:
            sql += " AND started_at >= ?"
            params.append(to_ts(since))
        sql += " ORDER BY started_at, call_id"
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_row(r) for r in rows]

    def timeline(self, call_id: str) -> list[tuple[datetime, str]]:
        """Each observed status change of a call, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT observed_at, status FROM status_changes WHERE call_id = ? "
                "ORDER BY observed_at, id", (call_id,)).fetchall()
        out = []
        for r in rows:
            when = from_ts(r["observed_at"])
            if when is not None:
                out.append((when, r["status"]))
        return out

    def _filters(self, *, status: str | Sequence[str] | None, agent_id: str | None,
                 search: str | None, live_only: bool, since: datetime | None,
                 until: datetime | None, placed_by: str | None,
                 environment: str | None = None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if environment is not None:
            clauses.append("environment = ?")
            params.append(environment)
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            clauses.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        if agent_id:
            clauses.append("agent_id = ?")
            params.append(agent_id)
        if live_only:  # a lost call is final, whatever its last server status
            clauses.append("status NOT IN ('ended', 'failed') AND lost_at IS NULL")
        if since is not None:
            clauses.append("started_at >= ?")
            params.append(to_ts(since))
        if until is not None:
            clauses.append("started_at < ?")
            params.append(to_ts(until))
        if placed_by:
            clauses.append("placed_by = ?")
            params.append(placed_by)
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append("(" + " OR ".join(
                f"{col} LIKE ? ESCAPE '\\'" for col in
                ("to_number", "from_number", "call_id", "disposition", "placed_by")) + ")")
            params.extend([pattern] * 5)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return where, params

    def page(self, offset: int = 0, limit: int = 50, *, status: str | Sequence[str] | None = None,
             agent_id: str | None = None, search: str | None = None, live_only: bool = False,
             since: datetime | None = None, until: datetime | None = None,
             placed_by: str | None = None, environment: str | None = None) -> list[StoredCall]:
        """One page of the history, newest first (by started_at, then call id)."""
        where, params = self._filters(status=status, agent_id=agent_id, search=search,
                                      live_only=live_only, since=since, until=until,
                                      placed_by=placed_by, environment=environment)
        sql = (f"SELECT {_COLUMNS} FROM calls{where} "
               "ORDER BY started_at DESC, call_id DESC LIMIT ? OFFSET ?")
        with self._lock:
            rows = self._conn.execute(sql, [*params, max(0, int(limit)),
                                            max(0, int(offset))]).fetchall()
        return [_row(r) for r in rows]

    def count(self, *, status: str | Sequence[str] | None = None, agent_id: str | None = None,
              search: str | None = None, live_only: bool = False, since: datetime | None = None,
              until: datetime | None = None, placed_by: str | None = None,
              environment: str | None = None) -> int:
        where, params = self._filters(status=status, agent_id=agent_id, search=search,
                                      live_only=live_only, since=since, until=until,
                                      placed_by=placed_by, environment=environment)
        with self._lock:
            return int(self._conn.execute(f"SELECT COUNT(*) FROM calls{where}",
                                          params).fetchone()[0])
