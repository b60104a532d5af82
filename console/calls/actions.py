"""End and transfer: one POST each, never repeated blindly (a 409 says the call's state did
not allow it). Return `ActionOutcome` values; never raise for an API answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.calls.outcomes import ActionOutcome

if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.api.models import TransferRequest


async def end(client: ApiClient, call_id: str) -> ActionOutcome:
    from console.api.errors import ApiError

    try:
        result = await client.end_call(call_id)
    except ApiError as exc:
        return ActionOutcome("end", call_id, error=exc)
    return ActionOutcome("end", call_id, status=result.status, result=result)


async def transfer(client: ApiClient, call_id: str, request: TransferRequest) -> ActionOutcome:
    from console.api.errors import ApiError

    target = dict(target=request.transfer_to, transfer_type=request.transfer_type)
    try:
        result = await client.transfer_call(call_id, request)
    except ApiError as exc:
        return ActionOutcome("transfer", call_id, error=exc, **target)
    return ActionOutcome("transfer", call_id, status=result.status, result=result, **target)
