"""The simulator's FastAPI app: the routes of api.md §1–6 over `SimState`, plus `/_sim/*` admin.

Admin routes (simulator only, no auth, never faulted or counted):

    GET    /_sim/faults   the armed fault rules (JSON list of FaultRule)
    PUT    /_sim/faults   replace the rules with the JSON list in the body
    POST   /_sim/faults   append one rule
    DELETE /_sim/faults   remove every rule
    GET    /_sim/stats    requests seen per route key, e.g. {"POST /calls/outbound": 1}
    DELETE /_sim/stats    reset the counters
    GET    /_sim/config   max_concurrent_calls, monthly_call_limit, time_scale, seed, sim_now
    POST   /_sim/config   change max_concurrent_calls / monthly_call_limit / time_scale
    POST   /_sim/reset    forget every call, fault rule and counter (tokens survive)
    GET    /_sim/calls    every call's real start and end (`?since=ISO`), to measure a
                          campaign's pacing and peak concurrency from the server's side
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from console.api.models import (
    KNOWN_STATUSES,
    TERMINAL_STATUSES,
    LenientOutboundCallRequest,
    LoginRequest,
    OutboundCallResponse,
    RefreshRequest,
    TransferRequest,
)
from console.sim.faults import FaultMiddleware, FaultRule
from console.sim.state import (
    CallerIdError,
    SimConfig,
    SimError,
    SimState,
    User,
)

StatusName = Literal["initiated", "ringing", "answered", "ended", "failed"]
assert set(StatusName.__args__) == set(KNOWN_STATUSES)  # type: ignore[attr-defined]

WAIT_POLL_MAX = 0.25  # real seconds between checks while a POST waits for the answer


class ConfigPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_concurrent_calls: int | None = Field(default=None, ge=0, le=100000)
    monthly_call_limit: int | None = Field(default=None, ge=0)
    time_scale: float | None = Field(default=None, gt=0)


def _state(request: Request) -> SimState:
    return request.app.state.sim


#: The seed's security scheme (`Authorization: Bearer <token>`), declared for the OpenAPI
#: document; `current_user` reads the header itself so a missing token is a 401 (not 403).
BEARER = HTTPBearer(
    auto_error=False,
    description="Bearer authentication header of the form Bearer <token>, where <token> is "
                "your auth token.")


def current_user(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None,
) -> User:
    header = request.headers.get("authorization") or ""
    scheme, _, credentials = header.partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else None
    user = _state(request).user_for_token(token)
    if user is None:
        raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return user


AuthUser = Annotated[User, Depends(current_user)]


def create_app(config: SimConfig | None = None, *, state: SimState | None = None) -> FastAPI:
    """The simulator app. Pass `state` to inject a `SimState` built with a fake clock."""
    sim = state if state is not None else SimState(config or SimConfig())
    config = sim.config
    stats: Counter[str] = Counter()

    app = FastAPI(title="MrAssistant call API (simulator)", version="sim")
    app.state.sim = sim
    app.state.config = config
    app.state.stats = stats
    app.state.faults = config.faults
    app.add_middleware(FaultMiddleware, faults=config.faults, stats=stats)

    @app.exception_handler(SimError)
    async def _sim_error(request: Request, exc: SimError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)

    # ------------------------------------------------------------------ calls

    @app.post("/calls/outbound", response_model=OutboundCallResponse,
              summary="Initiate Outbound Call")
    async def place_call(body: LenientOutboundCallRequest, user: AuthUser) -> dict[str, Any]:
        try:
            call = sim.place_call(user, body)
        except CallerIdError as exc:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("body", "from_number"),
                        "msg": f"Value error, {exc}",
                        "input": exc.number,
                        "ctx": {"error": {}},  # what FastAPI renders for a ValueError
                    }
                ]
            ) from None
        if not body.wait_until_answered:
            return sim.placed_response(call)
        while True:
            s = sim.sim_now()
            status = call.status_at(s)
            if status in TERMINAL_STATUSES:
                raise SimError(408, f"call not answered: {call.disposition}")
            if status == "answered":
                return sim.placed_response(call, "answered")
            wait = sim.clock.real_seconds(call.next_event(s) - s)
            await asyncio.sleep(min(max(wait, 0.005), WAIT_POLL_MAX))

    @app.get("/calls/agent/{agent_id}/calls")
    async def list_calls(
        agent_id: UUID,
        user: AuthUser,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
        direction: Literal["inbound", "outbound"] | None = None,
        status_filter: StatusName | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> dict[str, Any]:
        return sim.list_calls(
            user,
            str(agent_id),
            limit=limit,
            offset=offset,
            direction=direction,
            status_filter=status_filter,
            start_date=start_date,
            end_date=end_date,
        )

    @app.get("/calls/{call_id}")
    async def get_call(call_id: UUID, user: AuthUser) -> dict[str, Any]:
        return sim.call_view(sim.get_call(user, str(call_id)))

    @app.post("/calls/{call_id}/transfer")
    async def transfer_call(
        call_id: UUID, body: TransferRequest, user: AuthUser
    ) -> dict[str, Any]:
        return sim.transfer_call(user, str(call_id), body)

    @app.post("/calls/{call_id}/end")
    async def end_call(call_id: UUID, user: AuthUser) -> dict[str, Any]:
        return sim.end_call(user, str(call_id))

    # ------------------------------------------------------------------ auth

    @app.post("/auth/token")
    async def login(body: LoginRequest) -> dict[str, Any]:
        return sim.login(body.username, body.password)

    @app.post("/auth/refresh")
    async def refresh(body: RefreshRequest) -> dict[str, Any]:
        return sim.refresh(body.refresh_token)

    @app.get("/auth/me")
    async def me(user: AuthUser) -> dict[str, Any]:
        return user.me()

    # ------------------------------------------------------------------ capacity, agents

    @app.get("/analytics/tenants/{tenant_id}/quota")
    async def quota(tenant_id: UUID, user: AuthUser) -> dict[str, Any]:
        return sim.quota(user, str(tenant_id))

    @app.get("/agents")
    async def agents(user: AuthUser) -> dict[str, Any]:
        return {"agents": [a.to_json() for a in sim.agents_of(user.owner_id)]}

    # ------------------------------------------------------------------ admin (/_sim)

    @app.get("/_sim/faults", include_in_schema=False)
    async def get_faults() -> list[dict[str, Any]]:
        return config.faults.to_json()

    @app.put("/_sim/faults", include_in_schema=False)
    async def put_faults(rules: list[FaultRule]) -> list[dict[str, Any]]:
        config.faults.set(rules)
        return config.faults.to_json()

    @app.post("/_sim/faults", include_in_schema=False)
    async def add_fault(rule: FaultRule) -> list[dict[str, Any]]:
        config.faults.add(rule)
        return config.faults.to_json()

    @app.delete("/_sim/faults", include_in_schema=False)
    async def clear_faults() -> list[dict[str, Any]]:
        config.faults.clear()
        return []

    @app.get("/_sim/stats", include_in_schema=False)
    async def get_stats() -> dict[str, int]:
        return dict(stats)

    @app.delete("/_sim/stats", include_in_schema=False)
    async def clear_stats() -> dict[str, int]:
        stats.clear()
        return {}

    def _config_json() -> dict[str, Any]:
        return {
            "max_concurrent_calls": config.max_concurrent_calls,
            "monthly_call_limit": config.monthly_call_limit,
            "time_scale": sim.clock.scale,
            "seed": config.seed,
            "sim_now": sim.sim_now(),
        }

    @app.get("/_sim/config", include_in_schema=False)
    async def get_config() -> dict[str, Any]:
        return _config_json()

    @app.post("/_sim/config", include_in_schema=False)
    async def set_config(patch: ConfigPatch) -> dict[str, Any]:
        if patch.max_concurrent_calls is not None:
            config.max_concurrent_calls = patch.max_concurrent_calls
        if patch.monthly_call_limit is not None:
            config.monthly_call_limit = patch.monthly_call_limit
        if patch.time_scale is not None:
            sim.set_time_scale(patch.time_scale)
        return _config_json()

    @app.get("/_sim/calls", include_in_schema=False)
    async def timeline(since: datetime | None = None) -> list[dict[str, Any]]:
        return sim.timeline(since)

    @app.post("/_sim/reset", include_in_schema=False)
    async def reset() -> dict[str, Any]:
        sim.reset_calls()
        config.faults.clear()
        stats.clear()
        return {"status": "reset"}

    return app
