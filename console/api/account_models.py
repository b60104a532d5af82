"""Models of the account routes: sign-in (`/auth/*`), the tenant's quota and the optional
`GET /agents` probe, read by the session, `login` and the TUI's header and pickers.

Kept apart from `console.api.models` so the call commands do not pay for defining them (a
pydantic model class costs about 2 M instructions to create even with its validator deferred;
benchmarks/cli_startup.py). `from console.api.models import ...` still finds them.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator

from console.api.models import BODY_CONFIG, ApiModel
from console.api.safe_text import visible


class Quota(ApiModel):
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


class LoginRequest(ApiModel):
    model_config = BODY_CONFIG

    username: str
    password: str


class RefreshRequest(ApiModel):
    model_config = BODY_CONFIG

    refresh_token: str


class TokenPair(ApiModel):
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


class Me(ApiModel):
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


class AgentPhoneNumber(ApiModel):
    model_config = ConfigDict(extra="allow")

    number: str
    outbound_enabled: bool = True

    @field_validator("number")
    @classmethod
    def _shown(cls, value: str) -> str:
        return visible(value, IDENTITY_LIMIT)


class AgentInfo(ApiModel):
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
