"""The call statuses of api.md §2, defined once (no pydantic: the first frame imports this).

Statuses are free strings: these are the ones the API documents; any other string is shown
as it is and treated as live.
"""

from __future__ import annotations

KNOWN_STATUSES: tuple[str, ...] = ("initiated", "ringing", "answered", "ended", "failed")
TERMINAL_STATUSES: frozenset[str] = frozenset({"ended", "failed"})


def is_terminal(status: str | None) -> bool:
    """Only `ended` and `failed` are terminal; any other string (known or not) is live."""
    return status in TERMINAL_STATUSES
