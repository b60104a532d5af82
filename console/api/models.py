"""The call API's schema (api.md), shared by the client, the simulator and the UI.

Request models are strict (they mirror the server's own validation, so the simulator's 422
bodies have the real server's shape). Response models are tolerant: unknown extra fields are
kept, free strings (status, disposition) are never narrowed to an enum, and optional fields may
be missing or null.

The models of the account routes (sign-in, identity, quota, the agents probe) live in
`console.api.account_models` and the simulator's own in `console.api.sim_models`, so a call
command does not pay for defining them; importing them from here still works (`__getattr__`
loads their module on first use).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
)

from console.api.safe_text import visible
from console.api.statuses import (  # noqa: F401  (defined once there; re-exported here)
    KNOWN_STATUSES,
    TERMINAL_STATUSES,
    is_terminal,
)

if TYPE_CHECKING:
    from console.api.account_models import (  # noqa: F401
        IDENTITY_LIMIT,
        AgentInfo,
        AgentPhoneNumber,
        LoginRequest,
        Me,
        Quota,
        RefreshRequest,
        TokenPair,
    )
    from console.api.sim_models import LenientOutboundCallRequest, OutboundCallResponse  # noqa: F401

#: Names defined in a module of their own (see the module's docstring) -> that module.
_ELSEWHERE = {
    **dict.fromkeys(("IDENTITY_LIMIT", "AgentInfo", "AgentPhoneNumber", "LoginRequest", "Me",
                     "Quota", "RefreshRequest", "TokenPair"), "console.api.account_models"),
    **dict.fromkeys(("LenientOutboundCallRequest", "OutboundCallResponse"),
                    "console.api.sim_models"),
}


def __getattr__(name: str) -> Any:
    """`from console.api.models import Me` (and the other moved names) keeps working."""
    module = _ELSEWHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")
MEDIA_ENCRYPTION_LEVELS: tuple[str, ...] = ("DISABLE", "ALLOW", "REQUIRE")
TRANSFER_TYPES: tuple[str, ...] = ("cold", "warm")


E164_RE = re.compile(r"^\+[1-9][0-9]{1,14}$")
DISPLAY_NAME_MAX = 128
RINGING_TIMEOUT_RANGE = (1, 80)
MAX_DURATION_RANGE = (60, 86400)


def _x_header_name(name: str) -> str:
    if not name.lower().startswith("x-"):
        raise ValueError(f"custom SIP header {name!r} must start with 'X-'")
    return name


#: A custom SIP header name. Validated as the dict key, so a 422 names the header in its `loc`
#: (`["body", "custom_headers", "Via", "[key]"]`) and the form can mark that row.
XHeaderName = Annotated[str, AfterValidator(_x_header_name)]


class ApiModel(BaseModel):
    """Base of the API's models: validators are built on first use (`defer_build`), so a
    command that reads one kind of answer does not pay for building all of them at import.

    The request bodies the simulator takes are built at once (`BODY_CONFIG`): FastAPI warns
    about a deferred model used as a request body."""

    model_config = ConfigDict(defer_build=True)


#: The config of a model FastAPI takes as a request body (the simulator's routes).
BODY_CONFIG = ConfigDict(defer_build=False)


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp from the server; None for missing or unparseable values."""
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


class OutboundCallRequest(ApiModel):
    """Outbound call request model with full LiveKit SIP support.

    Body of `POST /calls/outbound`: all 15 fields with the API's exact defaults and rules and the
    seed page's descriptions. Stricter than the seed only where api.md decided it (each such
    rule says so in its description): `display_name` at most 128 characters, E.164 after
    stripping spaces, custom header names starting with `X-`. Extra fields are refused here
    (the console's own drafts never carry any); the simulator's copy ignores them as the
    seed's server does (`LenientOutboundCallRequest`).
    """

    model_config = ConfigDict(extra="forbid")

    agent_id: UUID = Field(description="The agent that places the call")
    to_number: str = Field(
        description="Destination phone number (E.164 format, spaces auto-stripped). "
                    "api.md decided: after stripping spaces it must match ^\\+[1-9][0-9]{1,14}$")
    from_number: str | None = Field(
        default=None,
        description="Caller ID (E.164 format, spaces auto-stripped). api.md decided: the same "
                    "E.164 rule as to_number")
    context: dict[str, Any] = Field(default_factory=dict,
                                    description="Additional call context/metadata")
    priority: str = Field(default="normal", pattern=r"^(low|normal|high|urgent)$",
                          description="Call priority level")
    krisp_enabled: bool = Field(default=True,
                                description="Enable Krisp noise cancellation for this call")
    wait_until_answered: bool = Field(
        default=False, description="Wait for call to be answered before returning")
    display_name: str | None = Field(
        default=None, max_length=DISPLAY_NAME_MAX,
        description="Custom caller ID display name. api.md decided: at most 128 characters "
                    "(LiveKit's limit)")
    dtmf: str | None = Field(
        default=None,
        description="DTMF tones to send after call connects (e.g., '*123#ww456')")
    play_dialtone: bool = Field(default=False,
                                description="Play dial tone while call is connecting")
    media_encryption: str = Field(default="ALLOW", pattern=r"^(DISABLE|ALLOW|REQUIRE)$",
                                  description="Media encryption level")
    ringing_timeout_seconds: int = Field(
        default=80, ge=1, le=80, description="Max time to wait for answer (1-80 seconds)")
    max_call_duration_seconds: int = Field(default=3600, ge=60, le=86400,
                                           description="Maximum call duration")
    hide_phone_number: bool = Field(
        default=False, description="Hide phone number from participant attributes")
    custom_headers: dict[XHeaderName, str] = Field(
        default_factory=dict,
        description="Custom SIP X-* headers. api.md decided: every name must start with 'X-' "
                    "(case-insensitive)")

    @field_validator("to_number", "from_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        # The server strips spaces only, then wants E.164.
        if value is None:
            return None
        stripped = value.replace(" ", "")
        if not E164_RE.match(stripped):
            raise ValueError("must be an E.164 number: '+' then 2 to 15 digits")
        return stripped

    def to_json_body(self) -> dict[str, Any]:
        """The exact JSON object sent on the wire (every field, defaults included)."""
        return self.model_dump(mode="json")

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """API defaults of every optional field, as JSON values."""
        out: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            if field.is_required():
                continue
            out[name] = field.get_default(call_default_factory=True)
        return out


class CallResponse(ApiModel):
    """The console's reading of a `POST /calls/outbound` answer (`read_call_response`).

    `call_id` identifies the call and is checked strictly (a UUID, as the seed types it); every
    other field is read leniently: a missing or ill-typed value is replaced by what was sent
    (agent, numbers) or a neutral default, and named in `odd_fields`, so a placed call is never
    taken for an unknown outcome because of, say, `recording: null`."""

    model_config = ConfigDict(extra="allow")

    call_id: str
    session_id: str | None = None
    room_name: str | None = None
    agent_id: str
    direction: str = "outbound"
    from_number: str | None = None
    to_number: str
    status: str
    recording: dict[str, Any] | None = None
    _odd_fields: tuple[str, ...] = PrivateAttr(default=())

    @property
    def odd_fields(self) -> tuple[str, ...]:
        """What was odd in the answer, one short phrase per field ("recording: null, expected
        an object"); empty when the answer matched the seed's model."""
        return self._odd_fields


#: The seed's JSON type of each answer field but `call_id` (read strictly on its own).
_ANSWER_TYPES: dict[str, tuple[str, bool]] = {  # field -> (kind, required)
    "session_id": ("uuid", True),
    "room_name": ("string", True),
    "agent_id": ("uuid", True),
    "direction": ("string", True),
    "from_number": ("string", True),
    "to_number": ("string", True),
    "status": ("string", True),
    "recording": ("object", False),
}


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def read_call_response(payload: Any, sent: Mapping[str, Any] | None = None) -> CallResponse:
    """Read a 200 answer of `POST /calls/outbound`: strict about what identifies the call,
    lenient about the rest.

    Raises ValueError only when the answer does not say which call was placed (not an object,
    no `call_id`, or one that is not a UUID): only then is the outcome unknown. Any other odd
    field is replaced (by the value `sent` in the request where there is one) and listed in
    `odd_fields`."""
    if not isinstance(payload, dict):
        raise ValueError(f"expected a JSON object, got {_json_kind(payload)}")
    call_id = payload.get("call_id")
    if not _is_uuid(call_id):
        shown = "missing" if "call_id" not in payload else f"{_json_kind(call_id)}, not a UUID"
        raise ValueError(f"call_id: {shown}")
    sent = sent or {}
    fallbacks: dict[str, Any] = {
        "agent_id": str(sent.get("agent_id") or ""),
        "to_number": str(sent.get("to_number") or "").replace(" ", ""),
        "from_number": (str(sent["from_number"]).replace(" ", "")
                        if sent.get("from_number") else None),
        "status": "answered" if sent.get("wait_until_answered") else "initiated",
        "direction": "outbound",
    }
    data = dict(payload)
    odd: list[str] = []
    for name, (kind, required) in _ANSWER_TYPES.items():
        if name not in data:
            if required:
                odd.append(f"{name}: missing")
                data[name] = fallbacks.get(name)
            continue
        value = data[name]
        if kind == "object":
            fits = isinstance(value, dict)
        else:
            fits = isinstance(value, str)
        if not fits:
            expected = "an object" if kind == "object" else "a string"
            odd.append(f"{name}: {_json_kind(value)}, expected {expected}")
            data[name] = fallbacks.get(name)
        elif kind == "uuid" and not _is_uuid(value):
            odd.append(f"{name}: not a UUID")
    if data.get("status") is None:
        data["status"] = fallbacks["status"]
    result = CallResponse.model_validate(data)
    result._odd_fields = tuple(visible(item, 120) for item in odd)
    return result


class CallStatus(ApiModel):
    """One call's status (`GET /calls/{id}` and the items of the agent call list)."""

    model_config = ConfigDict(extra="allow")

    call_id: str
    agent_id: str
    tenant_id: str | None = None
    direction: str = "outbound"
    from_number: str | None = None
    to_number: str
    status: str
    started_at: str | None = None
    disposition: str | None = None
    duration_seconds: int | None = None
    recording_url: str | None = None
    sentiment_score: float | None = None
    language_detected: str | None = None
    ended_at: str | None = None

    @property
    def is_terminal(self) -> bool:
        return is_terminal(self.status)

    @property
    def started(self) -> datetime | None:
        return parse_timestamp(self.started_at)

    @property
    def ended(self) -> datetime | None:
        return parse_timestamp(self.ended_at)


class CallPage(ApiModel):
    """One page of `GET /calls/agent/{agent_id}/calls`, normalised from any accepted shape."""

    calls: list[CallStatus]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None


class TransferRequest(ApiModel):
    model_config = ConfigDict(extra="forbid", **BODY_CONFIG)

    transfer_to: str = Field(pattern=r"^(tel:\+[1-9][0-9]{1,14}|sip:[^@\s]+@[^@\s]+)$")
    transfer_type: str = Field(default="cold", pattern=r"^(cold|warm)$")
    play_dialtone: bool = False


class ActionResult(ApiModel):
    """Untyped responses of end/transfer; `status` and `call_id` when the server sends them."""

    model_config = ConfigDict(extra="allow")

    status: str | None = None
    call_id: str | None = None


class ErrorEntry(ApiModel):
    """One entry of a FastAPI 422 body."""

    model_config = ConfigDict(extra="allow")

    type: str = "value_error"
    loc: list[str | int] = Field(default_factory=list)
    msg: str = ""
    input: Any = None
    ctx: dict[str, Any] | None = None

    @property
    def field(self) -> str | None:
        """The request field the entry is about (`loc` without its body/query/path prefix)."""
        rest = self.path
        return str(rest[0]) if rest else None

    @property
    def path(self) -> tuple[str | int, ...]:
        loc = tuple(self.loc)
        if loc and loc[0] in ("body", "query", "path", "header"):
            return loc[1:]
        return loc
