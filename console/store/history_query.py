"""What the History view, `history list` and exports ask the call store: filters, sort, keyset pages.

A page is read after (or before) a *cursor*, the sort key and call id of the row it continues
from, never with OFFSET: the 2,000th page costs what the first one does, because SQLite seeks
the index to the cursor instead of stepping over every row in front of it. The default order
(newest first) of one environment walks `calls_environment_started` without a sort step, and a
single status, agent, operator or campaign filter walks its own `calls_env_*_started` index.

Sort keys of columns that may be NULL are coalesced to a value below every real one, so a
cursor is always a comparable pair `(key, call_id)` (call ids are unique: no row is skipped or
repeated at a page boundary, even among equal keys).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from console.store.history_schema import to_ts

#: Sort column name → SQL expression of its key (never NULL). `started` is the default.
SORT_KEYS: dict[str, str] = {
    "started": "started_at",
    "ended": "COALESCE(ended_at, '')",
    "duration": "COALESCE(duration_seconds, -1)",
    "to": "to_number",
    "from": "COALESCE(from_number, '')",
    "agent": "agent_id",
    "status": "status",
    "disposition": "COALESCE(disposition, '')",
    "operator": "COALESCE(placed_by, '')",
    "campaign": "COALESCE(campaign, '')",
    "id": "call_id",
}

#: `source` values of calls this console placed (the rest were seen or fetched: "elsewhere").
PLACED_HERE_SOURCES = ("console", "campaign", "cli")

#: A page boundary: (sort key, call id) of a row.
Cursor = tuple[Any, str]

_PHONE_CHARS = re.compile(r"^[\d\s+().\-/]+$")


def _many(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(v for v in value if v)


@dataclass(frozen=True)
class HistoryFilter:
    """Which calls: every field narrows; empty fields select everything.

    `since` is inclusive and `until` exclusive, on the call's start time. `search` finds a call
    id, or a number typed with or without spaces and punctuation (a substring of either
    number). `placed` is "here" (this console placed it) or "elsewhere".
    """

    environment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = ()
    dispositions: tuple[str, ...] = ()
    agent_ids: tuple[str, ...] = ()
    operators: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    search: str | None = None
    live_only: bool = False
    placed: str | None = None

    def __post_init__(self) -> None:
        for name in ("statuses", "dispositions", "agent_ids", "operators", "campaigns"):
            object.__setattr__(self, name, _many(getattr(self, name)))
        if self.placed not in (None, "here", "elsewhere"):
            raise ValueError(f"placed: 'here' or 'elsewhere', not {self.placed!r}")

    def with_(self, **changes: Any) -> HistoryFilter:
        return replace(self, **changes)

    def where(self) -> tuple[str, list[Any]]:
        """(`WHERE ...` or "", parameters)."""
        clauses: list[str] = []
        params: list[Any] = []

        def one_of(column: str, values: tuple[str, ...]) -> None:
            if len(values) == 1:
                clauses.append(f"{column} = ?")
            elif values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)

        if self.environment is not None:
            clauses.append("environment = ?")
            params.append(self.environment)
        one_of("status", self.statuses)
        one_of("disposition", self.dispositions)
        one_of("agent_id", self.agent_ids)
        one_of("placed_by", self.operators)
        one_of("campaign", self.campaigns)
        if self.live_only:  # a lost call is final, whatever its last server status
            clauses.append("status NOT IN ('ended', 'failed') AND lost_at IS NULL")
        if self.since is not None:
            clauses.append("started_at >= ?")
            params.append(to_ts(self.since))
        if self.until is not None:
            clauses.append("started_at < ?")
            params.append(to_ts(self.until))
        if self.placed is not None:
            marks = ", ".join("?" * len(PLACED_HERE_SOURCES))
            clauses.append(f"source {'IN' if self.placed == 'here' else 'NOT IN'} ({marks})")
            params.extend(PLACED_HERE_SOURCES)
        if self.search and self.search.strip():
            text = self.search.strip()
            columns = [("call_id", text)]
            digits = re.sub(r"\D", "", text)
            if _PHONE_CHARS.match(text) and digits:
                columns += [("to_number", digits), ("from_number", digits)]
            else:
                columns += [("to_number", text), ("from_number", text)]
            clauses.append("(" + " OR ".join(f"{col} LIKE ? ESCAPE '\\'" for col, _ in columns)
                           + ")")
            params.extend(_like(value) for _, value in columns)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        return where, params


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Sort:
    """Column (a key of `SORT_KEYS`) and direction; ties broken by call id, same direction."""

    column: str = "started"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.column not in SORT_KEYS:
            raise ValueError(f"sort: one of {', '.join(SORT_KEYS)}, not {self.column!r}")

    @property
    def key(self) -> str:
        return SORT_KEYS[self.column]


NEWEST_FIRST = Sort()


@dataclass(frozen=True)
class PageQuery:
    """The SQL of one keyset page. `reverse`: rows come back in reverse display order."""

    sql: str
    params: list[Any]
    reverse: bool


def page_query(columns: str, flt: HistoryFilter, sort: Sort, *, limit: int,
               after: Cursor | None = None, before: Cursor | None = None,
               last: bool = False) -> PageQuery:
    """SELECT `columns` + the sort key (as `_key`) of up to `limit` rows in display order after
    `after`, or the `limit` rows just before `before`, or the last `limit` rows (`last`)."""
    if after is not None and (before is not None or last):
        raise ValueError("a page is read after a cursor, before one, or at the end")
    where, params = flt.where()
    reverse = before is not None or last
    descending = sort.descending != reverse  # reading backwards flips the order
    cursor = after if after is not None else before
    if cursor is not None:
        op = "<" if descending else ">"
        where += (" AND " if where else " WHERE ") + f"({sort.key}, call_id) {op} (?, ?)"
        params = [*params, cursor[0], cursor[1]]
    direction = "DESC" if descending else "ASC"
    sql = (f"SELECT {columns}, {sort.key} AS _key FROM calls{where} "
           f"ORDER BY {sort.key} {direction}, call_id {direction} LIMIT ?")
    return PageQuery(sql, [*params, max(0, int(limit)) + 1], reverse)


def rank_query(flt: HistoryFilter, sort: Sort, cursor: Cursor) -> tuple[str, list[Any]]:
    """SQL counting the rows in front of `cursor` in display order (the row's 0-based index)."""
    where, params = flt.where()
    op = ">" if sort.descending else "<"
    where += (" AND " if where else " WHERE ") + f"({sort.key}, call_id) {op} (?, ?)"
    return f"SELECT COUNT(*) FROM calls{where}", [*params, cursor[0], cursor[1]]


@dataclass(frozen=True)
class HistoryPage:
    """Rows in display order, the cursors of the first and last, and whether rows exist past
    each end (in display order) under the same filter."""

    rows: list[Any]
    first: Cursor | None = None
    last: Cursor | None = None
    more_before: bool = False
    more_after: bool = False
    cursors: list[Cursor] = field(default_factory=list, repr=False)
