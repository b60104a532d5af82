"""Placing one call: one POST, never retried; its outcome; finding it again when unsure.

These functions take an `ApiClient` and return values (`outcomes.py`); they never raise for
an answer of the API, write nothing and know no face. `CallService` (`service.py`) adds the
audit record and the operator; the faces add the pictures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from console.calls.outcomes import (
    Attempt,
    NotAnswered,
    NotPlaced,
    Placed,
    PlaceOutcome,
    Reconciled,
    Rejected,
    Unknown,
)

if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.api.errors import AttemptWindow
    from console.api.models import OutboundCallRequest

log = logging.getLogger(__name__)

#: Seconds between looks at the agent's list while a `wait_until_answered` POST waits.
RINGING_LOOK_INTERVAL = 1.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def begin(request: OutboundCallRequest) -> Attempt:
    """The attempt about to be sent (its start is the reconcile window's start)."""
    return Attempt(request, sent_at=utc_now(), started=time.monotonic())


async def place(client: ApiClient, request: OutboundCallRequest,
                attempt: Attempt | None = None) -> PlaceOutcome:
    """Send `request` once and say what came of it.

    A cancellation (the operator stopped waiting, the app closing) propagates: the caller
    turns it into `stopped(attempt)`, an `Unknown`, because the request may be at the server.
    """
    from console.api import errors

    attempt = attempt or begin(request)
    try:
        placed = await client.place_call(request)
    except errors.ValidationFailed as exc:
        return Rejected(request, exc)
    except errors.OutcomeUnknown as exc:
        return Unknown(request, exc.window, exc.cause, error=exc)
    except errors.ApiError as exc:
        if exc.status_code == 408:
            window = attempt.window(utc_now())
            return NotAnswered(request, exc, window, await find_not_answered(client, window))
        return NotPlaced(request, exc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug after sending: the call may exist
        log.exception("placing a call failed unexpectedly")
        return Unknown(request, attempt.window(utc_now()), f"unexpected error {exc!r}")
    return Placed(request, placed)


def stopped(attempt: Attempt, cause: str = "stopped waiting") -> Unknown:
    """The outcome of a POST abandoned while in flight (it may have placed the call)."""
    return Unknown(attempt.request, attempt.window(utc_now()), cause)


async def find_not_answered(client: ApiClient, window: AttemptWindow):
    """The call a 408 `wait_until_answered` attempt dialled, from the agent's list (or None)."""
    from console.api.errors import ApiError

    try:
        matches = await client.find_attempt(window)
    except ApiError:
        return None
    return matches[0] if matches else None


async def reconcile(client: ApiClient, window: AttemptWindow) -> Reconciled:
    """Look an unknown attempt up in the agent's call list (never resend it)."""
    from console.api.errors import ApiError

    try:
        matches = await client.find_attempt(window)
    except ApiError as exc:
        return Reconciled(window, error=exc)
    return Reconciled(window, tuple(matches))


async def follow_ringing(client: ApiClient, attempt: Attempt, still_waiting) -> None:
    """While a `wait_until_answered` POST waits, find its call in the agent's list and keep
    `attempt.status` / `attempt.call_id` current (for the progress line). Runs until
    `still_waiting()` is false or it is cancelled; read errors are skipped."""
    from console.api.errors import ApiError

    while still_waiting():
        await asyncio.sleep(RINGING_LOOK_INTERVAL)
        if not still_waiting():
            return
        try:
            matches = await client.find_attempt(attempt.window(utc_now()))
        except ApiError:
            continue
        if len(matches) == 1:
            attempt.status, attempt.call_id = matches[0].status, matches[0].call_id
