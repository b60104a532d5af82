"""The call history's schema: versioned migrations, timestamps as text, the store's errors.

The schema is versioned with `PRAGMA user_version` and an ordered list of migrations; each runs
in its own transaction (`CallStore._migrate`). A file written by a newer call-console is refused
with `StoreVersionError` and never touched. Timestamps are ISO 8601 UTC text with a fixed
format, so they sort and compare as text and use the indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
    (
        "the History view at scale: campaign column, per-environment filter indexes",
        (
            # The campaign a call was dialled by (None: placed by hand, or not known).
            "ALTER TABLE calls ADD COLUMN campaign TEXT",
            # The History view always reads one environment, newest first, with at most one
            # equality filter walking its index in order (keyset paging, no sort step).
            "CREATE INDEX calls_env_status_started "
            "ON calls(environment, status, started_at, call_id)",
            "CREATE INDEX calls_env_agent_started "
            "ON calls(environment, agent_id, started_at, call_id)",
            "CREATE INDEX calls_env_operator_started "
            "ON calls(environment, placed_by, started_at, call_id)",
            "CREATE INDEX calls_env_campaign_started "
            "ON calls(environment, campaign, started_at, call_id)",
            # Superseded by the per-environment ones (every read names its environment); each
            # cost ~17 MB and a write per call at 100,000 calls.
            "DROP INDEX IF EXISTS calls_agent_started",
            "DROP INDEX IF EXISTS calls_status_started",
        ),
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

#: The environment of rows recorded before calls were tied to one (schema 1), and of rows
#: written without one: never matches a real environment key, so they are never re-attached.
LEGACY_ENVIRONMENT = "unknown"

#: The columns of `calls` read into a `StoredCall`, in order.
COLUMNS = ("call_id, agent_id, to_number, from_number, status, disposition, started_at, "
           "ended_at, duration_seconds, last_json, request_json, placed_by, source, created_at, "
           "updated_at, done, environment, lost_at, dismissed_at, campaign")


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
