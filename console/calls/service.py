"""`CallService`: everything a call does, once, headless, with its audit record.

Every face (the CLI, the TUI's Call form and Calls screen, campaigns, SSH and web sessions)
places, reconciles, ends and transfers calls through one of these, so each action has the same
rules (one POST, never retried; "outcome unknown" reconciled from the list API, never resent)
and leaves the same audit record, whoever did it and from wherever.

The audit log is a shared file under a lock: records are written in a thread, and a record
that cannot be written never fails the action (`on_audit_failed` is told, to show it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from console.calls import actions, placement
from console.calls.outcomes import (
    ActionOutcome,
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
    from console.api.models import CallStatus, OutboundCallRequest, TransferRequest

log = logging.getLogger(__name__)

#: Audit kinds written by the service (one per outcome; `docs/security.md` lists them).
CALL_PLACED = "call_placed"
CALL_REJECTED = "call_rejected"
CALL_NOT_PLACED = "call_not_placed"
CALL_NOT_ANSWERED = "call_not_answered"
CALL_OUTCOME_UNKNOWN = "call_outcome_unknown"
CALL_RECONCILED = "call_reconciled"
CALL_ENDED = "call_ended"
CALL_TRANSFERRED = "call_transferred"
#: An end or transfer the API refused (409: no longer live / not answered) or failed: who
#: tried what on which call is worth a line even when nothing changed.
CALL_END_FAILED = "call_end_failed"
CALL_TRANSFER_FAILED = "call_transfer_failed"

#: Longest error message copied into an audit record.
AUDIT_MESSAGE_LIMIT = 200

AuditWriter = Callable[..., bool]


def default_audit_writer() -> AuditWriter:
    from console.account.audit import audit_event

    return audit_event


class CallService:
    """Calls placed and acted on by one operator in one environment, through one client.

    `client` is a callable returning the current `ApiClient` (a session that signs in again or
    switches environment is picked up on the next action). `face` says where an action came
    from in the audit log ("tui", "cli", "campaign", ...). `environment` is the environment's
    name, or a callable returning it at each record (a console that switches environments).
    `operator` None lets the audit log take it from `CALL_CONSOLE_OPERATOR` (set by the SSH
    and web servers per session).
    """

    def __init__(self, client: Callable[[], ApiClient], *, face: str,
                 environment: str | Callable[[], str | None] | None = None,
                 operator: str | None = None,
                 audit: AuditWriter | None = None,
                 on_audit_failed: Callable[[str], None] | None = None) -> None:
        self._client = client
        self.face = face
        self.environment = environment
        self.operator = operator
        self._audit_writer = audit
        self.on_audit_failed = on_audit_failed

    # -- placing ----------------------------------------------------------------------------

    def begin(self, request: OutboundCallRequest) -> Attempt:
        return placement.begin(request)

    async def place(self, request: OutboundCallRequest, attempt: Attempt | None = None,
                    **context: Any) -> PlaceOutcome:
        """Send once; audit what came of it. `context` goes into the audit record (for
        example `redial_of=CALL_ID`, `campaign=NAME, row=N`)."""
        attempt = attempt or self.begin(request)
        try:
            outcome = await placement.place(self._client(), request, attempt)
        except asyncio.CancelledError:
            await asyncio.shield(self._record_outcome(placement.stopped(attempt), context))
            raise
        await self._record_outcome(outcome, context)
        return outcome

    async def stopped(self, attempt: Attempt, **context: Any) -> Unknown:
        """The operator stopped waiting for a POST in flight: its outcome is unknown."""
        outcome = placement.stopped(attempt)
        await self._record_outcome(outcome, context)
        return outcome

    async def follow_ringing(self, attempt: Attempt, still_waiting: Callable[[], bool]) -> None:
        await placement.follow_ringing(self._client(), attempt, still_waiting)

    async def reconcile(self, window: AttemptWindow) -> Reconciled:
        """Look an unknown attempt up; a single match is audited as reconciled."""
        result = await placement.reconcile(self._client(), window)
        if result.error is None:
            found = result.found
            await self._audit(CALL_RECONCILED, to_number=window.to_number,
                              agent_id=window.agent_id, matches=len(result.matches),
                              call_id=found.call_id if found else None)
        return result

    async def chosen(self, window: AttemptWindow, call: CallStatus) -> None:
        """The operator picked `call` among several matches of an unknown attempt."""
        await self._audit(CALL_RECONCILED, to_number=window.to_number, agent_id=window.agent_id,
                          call_id=call.call_id, chosen=True)

    # -- acting on a call -------------------------------------------------------------------

    async def end(self, call_id: str) -> ActionOutcome:
        outcome = await actions.end(self._client(), call_id)
        if outcome.done:
            await self._audit(CALL_ENDED, call_id=call_id, status=outcome.status)
        else:
            await self._audit(CALL_END_FAILED, call_id=call_id, **_failure(outcome))
        return outcome

    async def transfer(self, call_id: str, request: TransferRequest) -> ActionOutcome:
        outcome = await actions.transfer(self._client(), call_id, request)
        if outcome.done:
            await self._audit(CALL_TRANSFERRED, call_id=call_id, transfer_to=outcome.target,
                              transfer_type=outcome.transfer_type, status=outcome.status)
        else:
            await self._audit(CALL_TRANSFER_FAILED, call_id=call_id, transfer_to=outcome.target,
                              transfer_type=outcome.transfer_type, **_failure(outcome))
        return outcome

    # -- audit ------------------------------------------------------------------------------

    async def _record_outcome(self, outcome: PlaceOutcome, context: dict[str, Any]) -> None:
        request = outcome.request
        fields: dict[str, Any] = {"agent_id": str(request.agent_id),
                                  "to_number": request.to_number,
                                  "from_number": request.from_number, **context}
        if isinstance(outcome, Placed):
            await self._audit(CALL_PLACED, call_id=outcome.call.call_id,
                              **{"via": "send", **fields})
        elif isinstance(outcome, Rejected):
            await self._audit(CALL_REJECTED, status_code=422,
                              message=_short(outcome.error.message), **fields)
        elif isinstance(outcome, NotAnswered):
            # A 408 whose call is in the agent's list was dialled: a call placed like any
            # other (`via` says how it ended). Not found: only the attempt is known.
            if outcome.found is not None:
                await self._audit(CALL_PLACED, call_id=outcome.found.call_id, status_code=408,
                                  **{"via": "not-answered", **fields})
            else:
                await self._audit(CALL_NOT_ANSWERED, status_code=408, found=False, **fields)
        elif isinstance(outcome, NotPlaced):
            await self._audit(CALL_NOT_PLACED, status_code=outcome.error.status_code,
                              message=_short(outcome.error.message), **fields)
        elif isinstance(outcome, Unknown):
            await self._audit(CALL_OUTCOME_UNKNOWN, cause=_short(outcome.cause),
                              sent_at=outcome.window.sent_at.isoformat(),
                              gave_up_at=outcome.window.gave_up_at.isoformat(), **fields)

    async def _audit(self, kind: str, **fields: Any) -> None:
        environment = self.environment() if callable(self.environment) else self.environment
        fields = {"face": self.face, "env": environment, **fields}
        if self.operator is not None:
            fields["operator"] = self.operator
        writer = self._audit_writer or default_audit_writer()
        try:
            written = await asyncio.to_thread(writer, kind, **fields)
        except Exception:  # noqa: BLE001 - auditing never breaks an action
            log.exception("audit record %s failed", kind)
            written = False
        if not written:
            log.warning("audit record %s not written", kind)
            if self.on_audit_failed is not None:
                self.on_audit_failed(kind)


def _failure(outcome: ActionOutcome) -> dict[str, Any]:
    error = outcome.error
    return {"status_code": getattr(error, "status_code", None),
            "message": _short(getattr(error, "message", None) or str(error))}


def _short(text: str | None) -> str | None:
    from console.api.safe_text import visible

    return None if text is None else visible(str(text), AUDIT_MESSAGE_LIMIT)
