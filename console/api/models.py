"""The call API's schema (api.md), shared by the client, the simulator and the UI.

Request models are strict (they mirror the server's own validation, so the simulator's 422
bodies have the real server's shape). Response models are tolerant: unknown extra fields are
kept, free strings (status, disposition) are never narrowed to an enum, and optional fields may
be missing or null.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from console.api.safe_text import visible
from console.api.statuses import (  # noqa: F401  (defined once there; re-exported here)
    KNOWN_STATUSES,
    TERMINAL_STATUSES,
    is_terminal,
)

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


class OutboundCallRequest(BaseModel):
    """Body of `POST /calls/outbound` — all 15 fields with the API's exact defaults and rules."""

    model_config = ConfigDict(extra="forbid")

    agent_id: UUID
    to_number: str = Field(description="Destination phone number (E.164, spaces auto-stripped)")
    from_number: str | None = Field(default=None, description="Caller ID (E.164)")
    context: dict[str, Any] = Field(default_factory=dict)
    priority: str = Field(default="normal", pattern=r"^(low|normal|high|urgent)$")
    krisp_enabled: bool = True
    wait_until_answered: bool = False
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX)
    dtmf: str | None = None
    play_dialtone: bool = False
    media_encryption: str = Field(default="ALLOW", pattern=r"^(DISABLE|ALLOW|REQUIRE)$")
    ringing_timeout_seconds: int = Field(default=80, ge=1, le=80)
    max_call_duration_seconds: int = Field(default=3600, ge=60, le=86400)
    hide_phone_number: bool = False
    custom_headers: dict[XHeaderName, str] = Field(default_factory=dict)

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


class CallResponse(BaseModel):
    """Response of `POST /calls/outbound`."""

    model_config = ConfigDict(extra="allow")

    call_id: str
    session_id: str
    room_name: str
    agent_id: str
    direction: str
    from_number: str | None = None
    to_number: str
    status: str
    recording: dict[str, Any] = Field(default_factory=dict)


class CallStatus(BaseModel):
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


class CallPage(BaseModel):
    """One page of `GET /calls/agent/{agent_id}/calls`, normalised from any accepted shape."""

    calls: list[CallStatus]
    total: int | None = None
    limit: int | None = None
    offset: int | None = None


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transfer_to: str = Field(pattern=r"^(tel:\+[1-9][0-9]{1,14}|sip:[^@\s]+@[^@\s]+)$")
    transfer_type: str = Field(default="cold", pattern=r"^(cold|warm)$")
    play_dialtone: bool = False


class ActionResult(BaseModel):
    """Untyped responses of end/transfer; `status` and `call_id` when the server sends them."""

    model_config = ConfigDict(extra="allow")

    status: str | None = None
    call_id: str | None = None


class Quota(BaseModel):
    model_config = ConfigDict(extra="allow")

    tenant_id: str
    monthly_call_limit: int | None = None
    calls_used_this_month: int | None = None
    calls_remaining: int | None = None
    calls_usage_percentage: float | None = None
    max_concurrent_calls: int | None = None
    current_active_calls: int | None = None
    concurrent_calls_remaining: int | None = None
    concurrent_usage_percentage: float | None = None
    total_minutes_used: float | None = None
    quota_exceeded: bool = False
    status: str | None = None


class LoginRequest(BaseModel):
    username: str
    password: str


class RefreshRequest(BaseModel):
    refresh_token: str


class TokenPair(BaseModel):
    model_config = ConfigDict(extra="allow")

    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int

    def __repr__(self) -> str:  # never leak tokens through a repr in a log or traceback
        return f"TokenPair(token_type={self.token_type!r}, expires_in={self.expires_in})"

    __str__ = __repr__


#: Longest identity string kept from the server (a user or agent name, a role, a number).
IDENTITY_LIMIT = 200


def _shown_identity(value: str | None) -> str | None:
    return None if value is None else visible(value, IDENTITY_LIMIT)


class Me(BaseModel):
    """`GET /auth/me`. Its strings are shown in the header, toasts, Settings and CLI lines and
    never stored as call data, so their control characters are made visible once, here."""

    model_config = ConfigDict(extra="allow")

    user_id: str
    username: str
    owner_id: str | None = None
    role: str

    @field_validator("user_id", "username", "owner_id", "role")
    @classmethod
    def _shown(cls, value: str | None) -> str | None:
        return _shown_identity(value)


class AgentPhoneNumber(BaseModel):
    model_config = ConfigDict(extra="allow")

    number: str
    outbound_enabled: bool = True

    @field_validator("number")
    @classmethod
    def _shown(cls, value: str) -> str:
        return visible(value, IDENTITY_LIMIT)


class AgentInfo(BaseModel):
    """An item of the optional `GET /agents` probe. Names and numbers are shown in the pickers
    and never stored as call data: their control characters are made visible here, as for
    `Me`."""

    model_config = ConfigDict(extra="allow")

    agent_id: str
    name: str | None = None
    phone_numbers: list[AgentPhoneNumber] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _shown(cls, value: str | None) -> str | None:
        return _shown_identity(value)


class ErrorEntry(BaseModel):
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
