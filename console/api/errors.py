"""Typed errors of the call API client.

Each class is something the UI or the CLI acts on differently. None of them ever carries the
API token: messages are built from status codes, server `detail` text and field paths only.
Messages and details are display text: server text in them has its control characters made
visible (`safe_text.visible`), so every face can print them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from console.api.safe_text import visible

if TYPE_CHECKING:
    from console.api.models import ErrorEntry

#: Longest message or detail an error keeps (a 422 listing thousands of fields, a huge detail).
MESSAGE_LIMIT = 2000


class ApiError(Exception):
    """Base of every client error. `status_code` is None when no response was received."""

    status_code: int | None = None

    def __init__(self, message: str, *, status_code: int | None = None, detail: str | None = None):
        message = visible(message, MESSAGE_LIMIT)
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        self.detail = visible(detail, MESSAGE_LIMIT) if detail is not None else None

    def __str__(self) -> str:
        return self.message


class ValidationFailed(ApiError):
    """422: the server rejected fields. `entries` keep each field path and message."""

    status_code = 422

    def __init__(self, entries: list[ErrorEntry], *, message: str | None = None):
        self.entries = entries
        summary = "; ".join(
            f"{'.'.join(str(p) for p in e.path) or '(request)'}: {e.msg}" for e in entries
        )
        super().__init__(message or f"422 rejected: {summary}", detail=summary)

    def by_field(self) -> dict[str, list[ErrorEntry]]:
        """Entries grouped by top-level request field (`custom_headers`, `to_number`, ...)."""
        grouped: dict[str, list[ErrorEntry]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.field or "", []).append(entry)
        return grouped


class AuthRequired(ApiError):
    """401, or FastAPI's 403 "Not authenticated": sign in again."""


class Forbidden(ApiError):
    """403 for another reason: monthly quota exhausted, tenant blocked, no permission."""


class NotFound(ApiError):
    """404: unknown call id, or a route this server does not have."""


class Conflict(ApiError):
    """409: the call is not in a state that allows the action (end a terminal call...)."""


class RetryLater(ApiError):
    """An answer that may carry `Retry-After`: `retry_after` is the wait in seconds, capped by
    the client (`client.MAX_RETRY_AFTER`); `retry_after_asked` is what the server asked for."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 retry_after_asked: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.retry_after_asked = retry_after if retry_after_asked is None else retry_after_asked


class RateLimited(RetryLater):
    """429: too many requests or concurrent call limit reached. `retry_after` in seconds."""


class ServerError(RetryLater):
    """5xx. `retry_after` in seconds when the server sent one (503)."""


class RequestRejected(ApiError):
    """Any other 4xx with a detail."""


class ConnectionFailed(ApiError):
    """No connection could be made, so nothing was sent: safe to try again by hand."""


class NetworkError(ApiError):
    """An idempotent request failed in transit (timeout, reset). Safe to repeat."""


class DeadlineExceeded(NetworkError):
    """No complete answer within the request's overall deadline (a server trickling its answer
    byte by byte never trips the per-read timeouts). Not retried: it would wait as long again."""


class BadResponse(ApiError):
    """The server answered with something that is not the expected JSON (HTML, empty, malformed)."""


@dataclass(frozen=True)
class AttemptWindow:
    """When a POST that may have reached the server was in flight (UTC)."""

    agent_id: str
    to_number: str
    from_number: str | None
    sent_at: datetime
    gave_up_at: datetime


class OutcomeUnknown(ApiError):
    """The call request may have reached the server but no usable answer came back.

    Never retried automatically: reconcile from the agent's call list with `window`.
    """

    def __init__(self, message: str, *, window: AttemptWindow, cause: str, **kw):
        super().__init__(message, **kw)
        self.window = window
        self.cause = cause
