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
any calls (nestable). The schema and its migrations live in `history_schema`, the History
view's filters, sorts and keyset pages in `history_query` (`query()`, `count()`,
`iter_matching()`), exports in `history_export`. `prune()` and `vacuum_if_worth_it()` keep the
file small (`history prune`, the retention setting); `merge_fetched()` takes the calls a
history fetch read from the API.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from console.api.models import TERMINAL_STATUSES, CallResponse, CallStatus, OutboundCallRequest
from console.api.safe_text import clip_strings
from console.store.history_query import (
    NEWEST_FIRST,
    PLACED_HERE_SOURCES,
    Cursor,
    HistoryFilter,
    HistoryPage,
    Sort,
    page_query,
    rank_query,
)
from console.store.history_schema import (  # noqa: F401 - re-exported: the store's public names
    COLUMNS,
    LEGACY_ENVIRONMENT,
    MIGRATIONS,
    SCHEMA_VERSION,
    StoreError,
    StoreVersionError,
    from_ts,
    to_ts,
)

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

#: Keys never written to the store, whatever a caller passes as the request.
_SECRET_KEYS = frozenset({"token", "access_token", "refresh_token", "authorization", "password",
                          "api_key", "secret"})

_COLUMNS = COLUMNS


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
    campaign: str | None = None

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def placed_here(self) -> bool:
        """Placed by a console on this store (not only seen on a watched agent or fetched)."""
        return self.source in PLACED_HERE_SOURCES

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
        dismissed_at=from_ts(r["dismissed_at"]), campaign=r["campaign"])


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
        # Phone numbers are personal data: the file is private to its owner.
        if not self.path.exists():
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            except OSError:
                pass
        else:
            paths.tighten_private_file(self.path)
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

    def data_version(self) -> int:
        """SQLite's data version on this connection: it changes when another connection (the
        tracker's, another console's) commits, so a reader can tell cheaply whether to re-read."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

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
                      at: datetime | None = None, environment: str | None = None,
                      campaign: str | None = None) -> None:
        """A call this console placed: its row (status from the POST answer) and first change.

        `environment` is the API it was placed on (`ConsoleSession.environment`); `campaign`
        the campaign that dialled it, if any."""
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
                    "environment, campaign) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    (placed.call_id, placed.agent_id, placed.to_number, placed.from_number,
                     placed.status, now, request_json, placed_by, source, now, now,
                     environment or LEGACY_ENVIRONMENT, campaign))
                conn.execute("INSERT INTO status_changes (call_id, status, observed_at) "
                             "VALUES (?, ?, ?)", (placed.call_id, placed.status, now))
            else:
                # Already seen (e.g. discovered through a watched agent): keep its server status.
                conn.execute(
                    "UPDATE calls SET request_json = COALESCE(?, request_json), "
                    "placed_by = COALESCE(?, placed_by), source = ?, updated_at = ?, "
                    f"campaign = COALESCE(?, campaign), {_ADOPT_ENVIRONMENT} WHERE call_id = ?",
                    (request_json, placed_by, source, now, campaign, environment,
                     placed.call_id))

    def record_status(self, call: CallStatus, *, observed_at: datetime | None = None,
                      source: str = "watched", placed_by: str | None = None,
                      request: OutboundCallRequest | dict[str, Any] | None = None,
                      done: bool | None = None, environment: str | None = None,
                      campaign: str | None = None) -> bool:
        """Store a polled status. Returns True when the status string changed (or is new).

        A call not in the store yet is inserted (with `source` and `environment`); `placed_by`
        and `request` fill in those columns when given (e.g. a call whose POST outcome was
        unknown, reconciled from the agent's list).
        """
        with self.transaction() as conn:
            changed = self._record(call, to_ts(observed_at or datetime.now(UTC)), source,
                                   placed_by, done, environment)
            body = request_body(request)
            if body is not None or placed_by is not None or campaign is not None:
                conn.execute(
                    "UPDATE calls SET request_json = COALESCE(?, request_json), "
                    "placed_by = COALESCE(?, placed_by), campaign = COALESCE(?, campaign) "
                    "WHERE call_id = ?",
                    (bounded_request_json(body), placed_by, campaign, call.call_id))
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

    def merge_fetched(self, calls: Iterable[CallStatus], *, environment: str | None,
                      observed_at: datetime | None = None) -> tuple[int, int]:
        """Calls read from the API's list (a history fetch), in one transaction; returns
        (new, changed status). A call not stored yet is recorded as placed elsewhere
        (`source` "fetched") and finished (never re-attached or polled); a known one gets the
        list's fields and keeps its source, operator, request and campaign. Idempotent: the
        same calls merged again change nothing but `updated_at`."""
        when = to_ts(observed_at or datetime.now(UTC))
        new = changed = 0
        with self.transaction() as conn:
            for call in calls:
                known = conn.execute("SELECT 1 FROM calls WHERE call_id = ?",
                                     (call.call_id,)).fetchone() is not None
                if self._record(call, when, "fetched", None, None if known else True,
                                environment):
                    if known:
                        changed += 1
                    else:
                        new += 1
        return new, changed

    def prune(self, before: datetime, *, dry_run: bool = False) -> int:
        """Delete the calls that started before `before` and their status changes, in every
        environment; a call still followed live (not finished, not terminal) is kept.
        Returns how many calls were (with `dry_run`: would be) deleted."""
        condition = ("started_at < ? AND NOT (done = 0 AND lost_at IS NULL "
                     "AND status NOT IN ('ended', 'failed'))")
        ts = to_ts(before)
        if dry_run:
            with self._lock:
                return int(self._conn.execute(f"SELECT COUNT(*) FROM calls WHERE {condition}",
                                              (ts,)).fetchone()[0])
        with self.transaction() as conn:
            conn.execute("DELETE FROM status_changes WHERE call_id IN "
                         f"(SELECT call_id FROM calls WHERE {condition})", (ts,))
            return conn.execute(f"DELETE FROM calls WHERE {condition}", (ts,)).rowcount

    #: VACUUM once at least this share of the file's pages is free (after a prune).
    VACUUM_FREE_RATIO = 0.25

    def vacuum_if_worth_it(self, free_ratio: float | None = None) -> bool:
        """Give free pages back to the file system when enough of the file is free; True when
        it ran. Waits for other processes' transactions (busy timeout); StoreError when the
        file stayed busy."""
        ratio = self.VACUUM_FREE_RATIO if free_ratio is None else free_ratio
        with self._lock:
            pages = int(self._conn.execute("PRAGMA page_count").fetchone()[0])
            free = int(self._conn.execute("PRAGMA freelist_count").fetchone()[0])
            if not pages or free / pages < ratio or free == 0:
                return False
            try:
                self._conn.execute("VACUUM")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.path}: not compacted ({exc})") from None
        return True

    def size_bytes(self) -> int:
        """The file's size with its write-ahead log."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.stat(f"{self.path}{suffix}").st_size
            except OSError:
                pass
        return total

    # -- reads ---------------------------------------------------------------------------------

    def get(self, call_id: str) -> StoredCall | None:
        with self._lock:
            r = self._conn.execute(f"SELECT {_COLUMNS} FROM calls WHERE call_id = ?",
                                   (call_id,)).fetchone()
        return _row(r) if r is not None else None

    def calls_since(self, since: datetime, *, environment: str | None = None) -> list[StoredCall]:
        """Calls that started or were first recorded at/after `since`, newest first (only
        those of `environment` when given)."""
        # Two index range scans joined by a UNION of rowids (which also drops a call both find):
        # SQLite uses no index for `started_at >= ? OR created_at >= ?` here and walked every
        # call of the environment (100,000 calls: 210 ms -> 45 ms on a loaded machine). The
        # `+` keeps the second scan on calls_created instead of an environment index.
        ts = to_ts(since)
        env: list[Any] = [environment] if environment is not None else []
        sql = (f"SELECT {_COLUMNS} FROM calls WHERE rowid IN ("
               "SELECT rowid FROM calls WHERE started_at >= ?"
               + (" AND environment = ?" if env else "") + " UNION "
               "SELECT rowid FROM calls WHERE created_at >= ?"
               + (" AND +environment = ?" if env else "") + ") "
               "ORDER BY started_at DESC, call_id DESC")
        with self._lock:
            rows = self._conn.execute(sql, [ts, *env, ts, *env]).fetchall()
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

    # -- the History view ----------------------------------------------------------------------

    def query(self, flt: HistoryFilter = HistoryFilter(), sort: Sort = NEWEST_FIRST, *,
              limit: int = 50, after: Cursor | None = None, before: Cursor | None = None,
              last: bool = False) -> HistoryPage:
        """One keyset page (see `history_query`): the first, the one after/before a cursor, or
        the last one (`last=True`)."""
        q = page_query(_COLUMNS, flt, sort, limit=limit, after=after, before=before, last=last)
        with self._lock:
            raw = self._conn.execute(q.sql, q.params).fetchall()
        more = len(raw) > limit
        raw = raw[:limit]
        if q.reverse:
            raw.reverse()
        cursors = [(r["_key"], r["call_id"]) for r in raw]
        moved_back = before is not None or last
        return HistoryPage(
            rows=[_row(r) for r in raw], first=cursors[0] if cursors else None,
            last=cursors[-1] if cursors else None, cursors=cursors,
            more_before=more if moved_back else after is not None,
            more_after=more if not moved_back else before is not None)

    def count(self, flt: HistoryFilter | None = None, /, **filters: Any) -> int:
        """How many calls `flt` (or a `HistoryFilter(**filters)`) selects."""
        where, params = (flt or HistoryFilter(**filters)).where()
        with self._lock:
            return int(self._conn.execute(f"SELECT COUNT(*) FROM calls{where}",
                                          params).fetchone()[0])

    def rank(self, flt: HistoryFilter, sort: Sort, cursor: Cursor) -> int:
        """The 0-based position of the row at `cursor` in the display order."""
        sql, params = rank_query(flt, sort, cursor)
        with self._lock:
            return int(self._conn.execute(sql, params).fetchone()[0])

    def iter_matching(self, flt: HistoryFilter = HistoryFilter(), sort: Sort = NEWEST_FIRST,
                      *, batch: int = 500) -> Iterator[StoredCall]:
        """Every call `flt` selects, in display order, read a batch at a time (exports)."""
        cursor: Cursor | None = None
        while True:
            page = self.query(flt, sort, limit=batch, after=cursor)
            yield from page.rows
            if not page.more_after or page.last is None:
                return
            cursor = page.last
