"""What the Call screen says after a send, as `rich.text.Text` (server text is never markup).

Pure functions of the API results, so the wording is tested without a terminal. Server values
(ids, statuses, numbers, 422 messages) go through `shown()`: control characters visible,
clipped. Error messages already are (`errors.ApiError`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.text import Text

from console.api import errors
from console.api.safe_text import visible
from console.tui.keys import CALL_RECONCILE, CALL_SEND, CALL_STOP_WAITING

#: Longest server value quoted in the outcome panel.
VALUE_LIMIT = 120


def shown(value: Any) -> str:
    """A server value for the panel: control characters made visible, clipped."""
    return visible(str(value), VALUE_LIMIT)


def _hhmmss(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")


def placed(call: Any) -> Text:
    text = Text.assemble(("✔ Call placed", "bold"))
    text.append("  call id ")
    text.append(shown(call.call_id), style="bold")
    text.append(f"\n  status {shown(call.status)} · to {shown(call.to_number)} · from "
                f"{shown(call.from_number or 'the agent default')} · room "
                f"{shown(call.room_name)}")
    for odd in getattr(call, "odd_fields", ()):  # placed all the same; the answer was odd here
        text.append(f"\n  note: odd field in the answer, {shown(odd)}", style="italic")
    return text


def sending(request: Any) -> Text:
    return Text(f"◌ Sending the call to {request.to_number}… (POST /calls/outbound, never "
                f"retried automatically)")


def waiting(request: Any, elapsed: float, status: str | None, call_id: str | None) -> Text:
    text = Text.assemble(("◌ Waiting for the answer", "bold"))
    text.append(f"  {elapsed:.0f} s elapsed / ringing timeout "
                f"{request.ringing_timeout_seconds} s")
    if status:
        text.append(f" · status {shown(status)}")
    if call_id:
        text.append(f" · call {shown(call_id)}")
    text.append(f"\n  {CALL_STOP_WAITING.key} stops waiting. That does NOT hang up the call.")
    return text


def validation_failed(exc: errors.ValidationFailed, labels: dict[str, str],
                      unplaced: Sequence[str]) -> Text:
    count = len(exc.entries)
    text = Text(f"✖ 422: the server rejected {count} field{'s' if count != 1 else ''}",
                style="bold")
    text.append(" (shown under each field; every value is kept)")
    for entry in exc.entries:
        field = entry.field or ""
        label = labels.get(field, ".".join(str(p) for p in entry.path) or "request")
        if field == "custom_headers" and len(entry.path) > 1:
            label = f"{label} {entry.path[1]}"
        text.append(f"\n  {shown(label)}: {shown(entry.msg or entry.type)}")
    for message in unplaced:
        message = visible(message, VALUE_LIMIT)
        if message not in text.plain:
            text.append(f"\n  {message}")
    return text


def api_error(exc: errors.ApiError) -> Text:
    """Status + the server's detail, what it means, and that the values are kept."""
    text = Text.assemble(("✖ Not placed: ", "bold"))
    text.append(exc.message)
    hint = ""
    if isinstance(exc, errors.ConnectionFailed):
        hint = "Nothing was sent."
    elif isinstance(exc, errors.RateLimited):
        hint = "The server refused the call (too many calls)." + _retry_after(exc)
    elif isinstance(exc, errors.AuthRequired):
        hint = "Check the token (CALL_CONSOLE_TOKEN) or sign in again."
    elif isinstance(exc, errors.Forbidden):
        hint = "The tenant may be out of quota or blocked."
    elif isinstance(exc, errors.NotFound):
        hint = "Is the agent UUID right?"
    elif isinstance(exc, errors.ServerError):
        hint = "The server failed to handle it." + _retry_after(exc)
    elif exc.status_code == 408:
        from console.calls.dispositions import outcome_named_in

        outcome = outcome_named_in(exc.detail)
        hint = (f"The call did not connect: {outcome.title.lower()}. {outcome.meaning}"
                if outcome is not None else
                "The call did not connect before the server stopped waiting for an answer.")
    text.append(f"\n  {hint + ' ' if hint else ''}Every value is kept; send again with "
                f"{CALL_SEND.key} when ready.")
    return text


def _retry_after(exc: errors.RetryLater) -> str:
    """` Retry after 60 s (the server asked for 3600 s).` when the answer had Retry-After."""
    if exc.retry_after is None:
        return ""
    hint = f" Retry after {exc.retry_after:g} s"
    asked = exc.retry_after_asked
    if asked is not None and asked > exc.retry_after:
        hint += f" (the server asked for {asked:g} s)"
    return hint + "."


def unknown(cause: str, *, stopped: bool = False) -> Text:
    text = Text.assemble(("⚠ OUTCOME UNKNOWN", "bold reverse"))
    text.append(" — the call may or may not have been placed.", style="bold")
    if stopped:
        text.append("\n  You stopped waiting for the answer. That did NOT hang up the call: it "
                    "may still be ringing or be answered.")
    else:
        text.append(f"\n  The request may have reached the server ({shown(cause)}).")
    text.append(" It was NOT sent again.")
    text.append(f"\n  Reconcile ({CALL_RECONCILE.key}) looks the attempt up in the agent's call "
                "list. Send again only once you know it was not placed.")
    return text


def reconcile_none(window: errors.AttemptWindow) -> Text:
    text = Text.assemble(("⚠ OUTCOME STILL UNKNOWN", "bold reverse"))
    text.append(f" — no call to {shown(window.to_number)} by this agent started between "
                f"{_hhmmss(window.sent_at)} and {_hhmmss(window.gave_up_at)} "
                "(±10 s) in the agent's call list.")
    text.append("\n  It was most likely not placed, but the list can lag behind: reconcile "
                f"again in a moment ({CALL_RECONCILE.key}), or send it again yourself "
                f"({CALL_SEND.key}) if you are sure.")
    return text


def reconcile_found(call: Any) -> Text:
    text = Text.assemble(("✔ Reconciled: the attempt placed call ", "bold"))
    text.append(shown(call.call_id), style="bold")
    text.append(f"\n  status {shown(call.status)} · to {shown(call.to_number)} · started "
                f"{shown(call.started_at or '?')} · now tracked. Nothing was resent.")
    return text


def reconcile_many(count: int) -> Text:
    return Text.assemble((f"⚠ OUTCOME UNKNOWN — {count} calls in the agent's list match this "
                          f"attempt; pick one to track ({CALL_RECONCILE.key} to choose again).",
                          "bold"))


def reconcile_failed(exc: errors.ApiError) -> Text:
    text = Text.assemble(("⚠ OUTCOME UNKNOWN", "bold reverse"))
    text.append(" — reconciling failed: ")
    text.append(exc.message)
    text.append(f"\n  Nothing was sent. Try again with {CALL_RECONCILE.key}.")
    return text


def tracked_line(tracked: Any) -> Text:
    text = Text(shown(tracked.call_id))
    text.append(f" → {shown(tracked.to_number)} ({shown(tracked.status)}"
                f"{', reconciled' if tracked.via == 'reconcile' else ''})")
    return text
