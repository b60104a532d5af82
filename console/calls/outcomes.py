"""What placing a call can come to, as values every face shows in its own way.

`place()` (`placement.py`) returns exactly one of these; it never raises for an API answer.
The CLI prints them, the Call form draws them, campaigns journal them, and the service audits
them: one vocabulary, so "outcome unknown" means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from console.api.errors import ApiError, AttemptWindow, ValidationFailed
    from console.api.models import ActionResult, CallResponse, CallStatus, OutboundCallRequest


@dataclass(frozen=True)
class Placed:
    """200: the API placed the call (`call.call_id` identifies it)."""

    request: OutboundCallRequest
    call: CallResponse
    kind: str = field(default="placed", init=False)

    @property
    def odd_fields(self) -> tuple[str, ...]:
        """Fields of the answer that did not match the API's model (the call was placed all
        the same); every face says so."""
        return self.call.odd_fields


@dataclass(frozen=True)
class Rejected:
    """422: the request was refused before dialling; `error.entries` name the fields."""

    request: OutboundCallRequest
    error: ValidationFailed
    kind: str = field(default="rejected", init=False)


@dataclass(frozen=True)
class NotPlaced:
    """Any other definite API answer (401, 403, 404, 409, 429, 5xx, unreachable before
    sending): no call was placed, nothing is retried."""

    request: OutboundCallRequest
    error: ApiError
    kind: str = field(default="not_placed", init=False)


@dataclass(frozen=True)
class NotAnswered:
    """408 on a `wait_until_answered` request: a call was dialled and not answered in time.
    `found` is that call in the agent's list (None when the lookup found nothing or failed),
    so it is tracked, kept in history and audited like any other attempt."""

    request: OutboundCallRequest
    error: ApiError
    window: AttemptWindow
    found: CallStatus | None
    kind: str = field(default="not_answered", init=False)


@dataclass(frozen=True)
class Unknown:
    """The request may have reached the server and no usable answer came back (timeout after
    sending, connection lost, a bug after sending, or the operator stopped waiting). Never
    resent: reconcile `window` from the agent's call list."""

    request: OutboundCallRequest
    window: AttemptWindow
    cause: str
    kind: str = field(default="unknown", init=False)
    #: the client's `OutcomeUnknown` when it raised one (its message is what the CLI prints);
    #: None when the operator stopped waiting or a bug ended the attempt
    error: ApiError | None = None


PlaceOutcome = Union[Placed, Rejected, NotPlaced, NotAnswered, Unknown]


@dataclass(frozen=True)
class Reconciled:
    """The agent's calls that match an unknown attempt's window (closest first). Empty: the
    attempt most likely placed nothing. More than one: the operator chooses. `error` when the
    list could not be read (then nothing is known yet)."""

    window: AttemptWindow
    matches: tuple[CallStatus, ...] = ()
    error: ApiError | None = None

    @property
    def found(self) -> CallStatus | None:
        """The one match, when there is exactly one."""
        return self.matches[0] if len(self.matches) == 1 and self.error is None else None


@dataclass(frozen=True)
class ActionOutcome:
    """The answer to end or transfer: `done` with the server's status word, or `refused`
    (409: the call is no longer live / not answered), or `error` for any other failure."""

    action: str                      # "end" or "transfer"
    call_id: str
    status: str | None = None        # the server's word when done ("ending", "transferring")
    error: ApiError | None = None
    target: str | None = None        # transfer only: tel:/sip: URI
    transfer_type: str | None = None
    result: ActionResult | None = None  # the server's whole answer when done (`--json`)

    @property
    def done(self) -> bool:
        return self.error is None

    @property
    def refused(self) -> bool:
        """409: the API says the call's state does not allow it (not a fault of the console)."""
        return self.error is not None and self.error.status_code == 409


@dataclass
class Attempt:
    """One POST in flight: what was sent and when (the window for a reconcile)."""

    request: OutboundCallRequest
    sent_at: datetime
    started: float                  # time.monotonic() when sent
    status: str | None = None       # while waiting until answered: the ringing call's status
    call_id: str | None = None      # ... and its id, once found in the agent's list

    def window(self, gave_up_at: datetime) -> AttemptWindow:
        from console.api.errors import AttemptWindow

        request = self.request
        return AttemptWindow(agent_id=str(request.agent_id), to_number=request.to_number,
                             from_number=request.from_number, sent_at=self.sent_at,
                             gave_up_at=gave_up_at)
