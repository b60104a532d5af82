"""The simulator's own models of the call API (`console.sim` serves them; the console reads
answers with `console.api.models`).

Kept apart from `console.api.models` so the console's commands do not pay for defining them
(a pydantic model class costs about 2 M instructions to create even with its validator
deferred; benchmarks/cli_startup.py). `from console.api.models import ...` still finds them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import ConfigDict, Field

from console.api.models import BODY_CONFIG, ApiModel, OutboundCallRequest


class LenientOutboundCallRequest(OutboundCallRequest):
    """Outbound call request model with full LiveKit SIP support.

    (Simulator.) Unknown fields are ignored, as the seed's server does: api.md does not decide
    to refuse them. Stricter than the seed only where api.md decided it, as each field's
    description says: E.164 after stripping spaces, display_name at most 128 characters, custom
    header names starting with X-.
    """

    model_config = ConfigDict(extra="ignore", title="OutboundCallRequest", **BODY_CONFIG)


class OutboundCallResponse(ApiModel):
    """Call response model."""

    # The seed's 200 answer of `POST /calls/outbound`, exactly: the ids are UUIDs, every field
    # but `recording` is required. The simulator serves it as its response schema; the client
    # reads answers with `read_call_response`, strict only about `call_id`.

    call_id: UUID
    session_id: UUID
    room_name: str
    agent_id: UUID
    direction: str
    from_number: str
    to_number: str
    status: str
    recording: dict[str, Any] = Field(default_factory=dict, title="Recording")
