"""The campaign journal (SQLite in the data dir, WAL): every campaign, every row, every attempt.

The one promise it keeps: **a row that may have been dialled is never dialled again without an
explicit choice.** Before a campaign POSTs a row it commits "about to dial row N" (`about_to_dial`:
the row becomes `dialling`, an `attempts` line is written with the moment); only after the answer
is its outcome written. A crash or `kill -9` in between leaves the row `dialling`; `resume`
reconciles such rows (and `unknown` ones) against the agent's call list before dialling anything
(`console/campaign/runner.py`), and a row it cannot settle stays `unknown`.

`synchronous=FULL`: a committed "about to dial" survives a power cut too, not only a killed
process. One connection per journal object, guarded by a lock; every write is one
`BEGIN IMMEDIATE` transaction, so two processes never interleave half a change (a campaign is run
by one process at a time: `campaign_lock` is a file lock next to the database).

Row states
    pending    to dial (maybe waiting for its calling hours or a retry time: `waiting`)
    dialling   "about to dial" written, no outcome yet (after a crash: unknown until reconciled)
    unknown    the POST's outcome is unknown and no call was found for it (yet)
    live       a call was placed (`call_id`) and has not ended
    ended      the call ended (`status` ended)
    failed     the call failed (busy, no answer, rejected by the callee's network, ...)
    dnc, invalid, duplicate   never dialled (the planner's verdict, or a 422 from the API)
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console import paths

BUSY_TIMEOUT_MS = 10000

PENDING, DIALLING, UNKNOWN, LIVE = "pending", "dialling", "unknown", "live"
ENDED, FAILED, DNC, INVALID, DUPLICATE = "ended", "failed", "dnc", "invalid", "duplicate"
ROW_STATES = (PENDING, DIALLING, UNKNOWN, LIVE, ENDED, FAILED, DNC, INVALID, DUPLICATE)
#: Rows that may have placed a call whose outcome nobody knows.
UNSURE_STATES = (DIALLING, UNKNOWN)
#: `waiting` values of a pending row.
WAIT_HOURS, WAIT_RETRY = "hours", "retry"

#: Campaign states.
READY, RUNNING, PAUSED, STOPPED, DONE, FAILED_RUN = (
    "ready", "running", "paused", "stopped", "done", "failed")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE campaigns (
            name          TEXT PRIMARY KEY,
            source        TEXT NOT NULL,
            settings_json TEXT NOT NULL,
            state         TEXT NOT NULL,
            note          TEXT,
            environment   TEXT,
            operator      TEXT,
            created_at    TEXT NOT NULL,
            updated_at    TEXT NOT NULL,
            finished_at   TEXT
        )
        """,
        """
        CREATE TABLE rows (
            campaign     TEXT NOT NULL REFERENCES campaigns(name) ON DELETE CASCADE,
            line         INTEGER NOT NULL,
            to_number    TEXT NOT NULL,
            verdict      TEXT NOT NULL,
            reason       TEXT,
            request_json TEXT,
            zones        TEXT NOT NULL DEFAULT '',
            state        TEXT NOT NULL,
            waiting      TEXT,
            not_before   TEXT,
            attempts     INTEGER NOT NULL DEFAULT 0,
            call_id      TEXT,
            status       TEXT,
            disposition  TEXT,
            detail       TEXT,
            sent_at      TEXT,
            gave_up_at   TEXT,
            updated_at   TEXT NOT NULL,
            PRIMARY KEY (campaign, line)
        )
        """,
        "CREATE INDEX rows_state ON rows(campaign, state, line)",
        "CREATE INDEX rows_call ON rows(call_id)",
        """
        CREATE TABLE attempts (
            id        INTEGER PRIMARY KEY,
            campaign  TEXT NOT NULL,
            line      INTEGER NOT NULL,
            about_at  TEXT NOT NULL,
            outcome   TEXT,
            call_id   TEXT,
            detail    TEXT,
            done_at   TEXT
        )
        """,
        "CREATE INDEX attempts_row ON attempts(campaign, line, id)",
    ),
    (
        # A control asked for from another process (`campaign pause|resume|stop NAME` while
        # the campaign runs elsewhere): the running process takes it within a second.
        "ALTER TABLE campaigns ADD COLUMN control TEXT",
        "ALTER TABLE campaigns ADD COLUMN control_by TEXT",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class JournalError(Exception):
    """The journal cannot be used, or a campaign is not what the caller expects."""


def journal_path() -> Path:
    return paths.data_dir() / "campaigns.sqlite3"


def ts(when: datetime | None = None) -> str:
    when = (when or datetime.now(UTC)).astimezone(UTC)
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_ts(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class CampaignRecord:
    name: str
    source: str
    settings: dict[str, Any]
    state: str
    note: str | None
    environment: str | None
    operator: str | None
    created_at: str
    updated_at: str
    finished_at: str | None


@dataclass(frozen=True)
class JournalRow:
    campaign: str
    line: int
    to_number: str
    verdict: str
    reason: str | None
    request: dict[str, Any] | None
    zones: tuple[str, ...]
    state: str
    waiting: str | None
    not_before: datetime | None
    attempts: int
    call_id: str | None
    status: str | None
    disposition: str | None
    detail: str | None
    sent_at: datetime | None
    gave_up_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "to_number": self.to_number, "state": self.state,
                "verdict": self.verdict, "reason": self.reason, "waiting": self.waiting,
                "attempts": self.attempts, "call_id": self.call_id, "status": self.status,
                "disposition": self.disposition, "detail": self.detail,
                "sent_at": ts(self.sent_at) if self.sent_at else None}


@dataclass(frozen=True)
class NewRow:
    """A planned row as the journal first records it."""

    line: int
    to_number: str
    verdict: str
    state: str
    reason: str | None = None
    request: dict[str, Any] | None = None
    zones: tuple[str, ...] = ()
    waiting: str | None = None


class Journal:
    """The campaign journal file. Thread-safe; every write commits before it returns."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else journal_path()
        paths.ensure_private_dir(self.path.parent)
        self._lock = threading.RLock()
        created = not self.path.exists()
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                         timeout=BUSY_TIMEOUT_MS / 1000)
            if created:
                self.path.chmod(paths.PRIVATE_FILE_MODE)
            else:
                paths.tighten_private_file(self.path)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise JournalError(f"{self.path}: could not switch the journal to WAL ({mode})")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._migrate()
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot open the campaign journal ({exc})") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JournalError(f"{self.path}: written by a newer call-console (schema {version}); "
                               "it was not touched")
        for number in range(version, SCHEMA_VERSION):
            with self.transaction() as conn:
                for statement in MIGRATIONS[number]:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- campaigns ------------------------------------------------------------------------------

    def create(self, name: str, *, source: str, settings: dict[str, Any], rows: Iterable[NewRow],
               environment: str | None = None, operator: str | None = None) -> None:
        now = ts()
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO campaigns (name, source, settings_json, state, environment, "
                    "operator, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, source, json.dumps(settings), READY, environment, operator, now, now))
                conn.executemany(
                    "INSERT INTO rows (campaign, line, to_number, verdict, reason, request_json, "
                    "zones, state, waiting, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(name, r.line, r.to_number, r.verdict, r.reason,
                      json.dumps(r.request) if r.request is not None else None,
                      " ".join(r.zones), r.state, r.waiting, now) for r in rows])
        except sqlite3.IntegrityError:
            raise JournalError(f"a campaign named {name!r} exists already: resume it with "
                               f"`call-console campaign resume {name}` or choose another --name") \
                from None

    def get(self, name: str) -> CampaignRecord | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM campaigns WHERE name = ?", (name,)).fetchone()
        return _campaign(row) if row is not None else None

    def campaigns(self) -> list[CampaignRecord]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM campaigns ORDER BY created_at DESC, name").fetchall()
        return [_campaign(r) for r in rows]

    def set_state(self, name: str, state: str, note: str | None = None) -> None:
        now = ts()
        finished = now if state in (DONE, STOPPED, FAILED_RUN) else None
        with self.transaction() as conn:
            conn.execute("UPDATE campaigns SET state = ?, note = ?, updated_at = ?, "
                         "finished_at = ? WHERE name = ?", (state, note, now, finished, name))

    #: The controls another process may ask a running campaign for.
    CONTROLS = ("pause", "resume", "stop")

    def request_control(self, name: str, control: str, *, by: str | None = None) -> None:
        """Ask the process running campaign `name` to pause, resume or stop (the last request
        wins; it is taken within a second by `take_control`)."""
        if control not in self.CONTROLS:
            raise ValueError(f"control must be one of {', '.join(self.CONTROLS)}")
        with self.transaction() as conn:
            conn.execute("UPDATE campaigns SET control = ?, control_by = ? WHERE name = ?",
                         (control, by, name))

    def pending_control(self, name: str) -> str | None:
        """The control asked for and not taken yet (None: none, or it was taken)."""
        with self._lock:
            row = self._conn.execute("SELECT control FROM campaigns WHERE name = ?",
                                     (name,)).fetchone()
        return None if row is None else row["control"]

    def take_control(self, name: str) -> tuple[str, str | None] | None:
        """The control asked for since the last call (and who asked), cleared; None: none.
        Called every second while a campaign runs: a plain read first, a write only when a
        control is there."""
        with self._lock:
            waiting = self._conn.execute("SELECT control FROM campaigns WHERE name = ?",
                                         (name,)).fetchone()
        if waiting is None or waiting["control"] is None:
            return None
        with self.transaction() as conn:
            row = conn.execute("SELECT control, control_by FROM campaigns WHERE name = ?",
                               (name,)).fetchone()
            if row is None or row["control"] is None:
                return None
            conn.execute("UPDATE campaigns SET control = NULL, control_by = NULL "
                         "WHERE name = ?", (name,))
        return row["control"], row["control_by"]

    # -- rows -----------------------------------------------------------------------------------

    def rows(self, name: str, states: Iterable[str] | None = None) -> list[JournalRow]:
        query, args = "SELECT * FROM rows WHERE campaign = ?", [name]
        if states is not None:
            states = list(states)
            query += f" AND state IN ({', '.join('?' for _ in states)})"
            args += states
        with self._lock:
            found = self._conn.execute(query + " ORDER BY line", args).fetchall()
        return [_row(r) for r in found]

    def row(self, name: str, line: int) -> JournalRow | None:
        with self._lock:
            found = self._conn.execute("SELECT * FROM rows WHERE campaign = ? AND line = ?",
                                       (name, line)).fetchone()
        return _row(found) if found is not None else None

    def counts(self, name: str) -> dict[str, int]:
        """Rows per state, and pending rows waiting for their hours as `outside_hours`."""
        with self._lock:
            found = self._conn.execute(
                "SELECT state, waiting, count(*) AS n FROM rows WHERE campaign = ? "
                "GROUP BY state, waiting", (name,)).fetchall()
            placed = self._conn.execute(
                "SELECT count(*) FROM rows WHERE campaign = ? AND call_id IS NOT NULL",
                (name,)).fetchone()[0]
        out = {state: 0 for state in ROW_STATES}
        out["outside_hours"] = 0
        for item in found:
            if item["state"] == PENDING and item["waiting"] == WAIT_HOURS:
                out["outside_hours"] += item["n"]
            else:
                out[item["state"]] += item["n"]
        out["placed"] = placed
        return out

    def about_to_dial(self, name: str, line: int, sent_at: datetime) -> None:
        """Committed before the POST: from here on the row may have been dialled."""
        when = ts(sent_at)
        with self.transaction() as conn:
            conn.execute("UPDATE rows SET state = ?, waiting = NULL, not_before = NULL, "
                         "sent_at = ?, gave_up_at = NULL, updated_at = ? "
                         "WHERE campaign = ? AND line = ?", (DIALLING, when, when, name, line))
            conn.execute("INSERT INTO attempts (campaign, line, about_at) VALUES (?, ?, ?)",
                         (name, line, when))

    def placed(self, name: str, line: int, call_id: str, status: str, *,
               outcome: str = "placed", detail: str | None = None,
               dialled: bool = True) -> None:
        """A call was placed for the row (`dialled` False: its attempt was counted already,
        as an unknown outcome now found in the agent's list)."""
        self._settle(name, line, LIVE, outcome, call_id=call_id, status=status, detail=detail,
                     dialled=dialled)

    def not_placed(self, name: str, line: int, detail: str, *, waiting: str | None = None,
                   not_before: datetime | None = None) -> None:
        """A definite answer that placed nothing (429, 503, 401...): the row may be dialled."""
        self._settle(name, line, PENDING, "not_placed", detail=detail, waiting=waiting,
                     not_before=not_before)

    def rejected(self, name: str, line: int, reason: str) -> None:
        """422: the API refused the request; never dialled, reported as invalid."""
        self._settle(name, line, INVALID, "rejected", detail=reason, reason=reason)

    def unknown(self, name: str, line: int, detail: str,
                gave_up_at: datetime | None = None) -> None:
        self._settle(name, line, UNKNOWN, "unknown", detail=detail, gave_up_at=gave_up_at,
                     dialled=True)

    def finished(self, name: str, line: int, *, state: str, status: str | None,
                 disposition: str | None, detail: str | None = None) -> None:
        """The row's call reached a terminal status (or was lost)."""
        now = ts()
        with self.transaction() as conn:
            conn.execute("UPDATE rows SET state = ?, status = ?, disposition = ?, "
                         "detail = coalesce(?, detail), updated_at = ? "
                         "WHERE campaign = ? AND line = ?",
                         (state, status, disposition, detail, now, name, line))

    def retry_later(self, name: str, line: int, not_before: datetime) -> None:
        """A failed call (busy, no answer) to dial again after `not_before` (--retry)."""
        with self.transaction() as conn:
            conn.execute("UPDATE rows SET state = ?, waiting = ?, not_before = ?, "
                         "updated_at = ? WHERE campaign = ? AND line = ?",
                         (PENDING, WAIT_RETRY, ts(not_before), ts(), name, line))

    def redial(self, name: str, line: int, detail: str) -> None:
        """`--redial-unknown`: the operator accepts that this row may be dialled twice."""
        with self.transaction() as conn:
            conn.execute("UPDATE rows SET state = ?, detail = ?, updated_at = ? "
                         "WHERE campaign = ? AND line = ?", (PENDING, detail, ts(), name, line))

    def set_waiting(self, name: str, line: int, waiting: str | None) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE rows SET waiting = ? WHERE campaign = ? AND line = ? "
                         "AND state = ?", (waiting, name, line, PENDING))

    def attempts(self, name: str, line: int | None = None) -> list[dict[str, Any]]:
        query, args = "SELECT * FROM attempts WHERE campaign = ?", [name]
        if line is not None:
            query += " AND line = ?"
            args.append(line)
        with self._lock:
            return [dict(r) for r in self._conn.execute(query + " ORDER BY id", args)]

    def _settle(self, name: str, line: int, state: str, outcome: str, *,
                call_id: str | None = None, status: str | None = None, detail: str | None = None,
                reason: str | None = None, waiting: str | None = None,
                not_before: datetime | None = None, gave_up_at: datetime | None = None,
                dialled: bool = False) -> None:
        now = ts()
        with self.transaction() as conn:
            conn.execute(
                "UPDATE rows SET state = ?, call_id = coalesce(?, call_id), status = ?, "
                "detail = ?, reason = coalesce(?, reason), waiting = ?, not_before = ?, "
                "gave_up_at = ?, attempts = attempts + ?, updated_at = ? "
                "WHERE campaign = ? AND line = ?",
                (state, call_id, status, detail, reason, waiting,
                 ts(not_before) if not_before else None, ts(gave_up_at) if gave_up_at else None,
                 1 if dialled else 0, now, name, line))
            conn.execute(
                "UPDATE attempts SET outcome = ?, call_id = ?, detail = ?, done_at = ? "
                "WHERE id = (SELECT max(id) FROM attempts WHERE campaign = ? AND line = ?)",
                (outcome, call_id, detail, now, name, line))


def _campaign(row: sqlite3.Row) -> CampaignRecord:
    return CampaignRecord(name=row["name"], source=row["source"],
                          settings=json.loads(row["settings_json"]), state=row["state"],
                          note=row["note"], environment=row["environment"],
                          operator=row["operator"], created_at=row["created_at"],
                          updated_at=row["updated_at"], finished_at=row["finished_at"])


def _row(row: sqlite3.Row) -> JournalRow:
    return JournalRow(
        campaign=row["campaign"], line=row["line"], to_number=row["to_number"],
        verdict=row["verdict"], reason=row["reason"],
        request=json.loads(row["request_json"]) if row["request_json"] else None,
        zones=tuple(row["zones"].split()) if row["zones"] else (), state=row["state"],
        waiting=row["waiting"], not_before=parse_ts(row["not_before"]),
        attempts=row["attempts"], call_id=row["call_id"], status=row["status"],
        disposition=row["disposition"], detail=row["detail"], sent_at=parse_ts(row["sent_at"]),
        gave_up_at=parse_ts(row["gave_up_at"]))


def campaign_lock(name: str):
    """A file lock held while a process runs campaign `name` (released by the OS on kill -9)."""
    import hashlib

    from filelock import FileLock

    folder = paths.ensure_private_dir(paths.data_dir() / "campaign-locks")
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:24]
    return FileLock(str(folder / f"{digest}.lock"))
