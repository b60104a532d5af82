"""The simulator's in-memory world: demo tenant, user and agents, tokens, calls and the sim clock.

Nothing here knows about HTTP: errors are raised as `SimError(status, detail, headers)` and the
app turns them into responses. A call's life is a plan of absolute sim times fixed when it is
placed (see `scenarios.py`); its status and late fields are computed from the sim clock on every
read, so thousands of live calls cost nothing between requests.

Time: sim seconds = real elapsed seconds × `time_scale` (rebased when the scale changes). Call
timestamps are anchored on the real wall clock at creation: `started_at` is the real moment the
call was placed (so a client can reconcile by its own clock at any time scale), and `ended_at` =
`started_at` + the call's sim-time length (so `ended_at - started_at` agrees with the call's
phases and `duration_seconds`). Access/refresh tokens expire on the REAL monotonic clock.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from console.api.models import TERMINAL_STATUSES, OutboundCallRequest, TransferRequest
from console.sim.faults import FaultConfig
from console.sim.scenarios import Extras, Plan, call_extras, plan_call

# ----------------------------------------------------------------------------- demo data

DEMO_TENANT_ID = "5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
DEMO_TENANT_NAME = "Demo Dental Group"
OTHER_TENANT_ID = "9e8d7c6b-5a49-4382-9716-05f4e3d2c1b0"  # exists, but is never the demo user's
DEMO_USER_ID = "1c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f"
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo"


@dataclass(frozen=True)
class DemoAgent:
    agent_id: str
    name: str
    caller_ids: tuple[str, ...]  # registered, outbound-enabled caller IDs; the first is default
    tenant_id: str = DEMO_TENANT_ID

    def to_json(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "phone_numbers": [{"number": n, "outbound_enabled": True} for n in self.caller_ids],
        }


DEMO_AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent(
        "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01", "Reception", ("+14155551000", "+14155551001")
    ),
    DemoAgent("a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02", "Sales", ("+14155551100",)),
    DemoAgent(
        "a1b2c3d4-0003-4e5f-8a9b-0c1d2e3f4a03", "Support", ("+14155551200", "+14155551201")
    ),
)
# An agent of another tenant: invisible to the demo user (404 like an unknown agent).
OTHER_AGENT = DemoAgent(
    "b2c3d4e5-0001-4f60-9b0c-1d2e3f4a5b01", "Elsewhere", ("+14155551300",), OTHER_TENANT_ID
)
TENANTS: tuple[str, ...] = (DEMO_TENANT_ID, OTHER_TENANT_ID)

# Late fields appear this long (sim seconds) after the call becomes terminal.
LATE_DURATION_AFTER = 2.0  # duration_seconds, recording_url
LATE_ANALYSIS_AFTER = 3.0  # sentiment_score, language_detected
TRANSFER_SECONDS = 2.0  # the call shows the unknown status "transferring" this long
WARM_TRANSFER_MIN_TALK = 10.0


# ----------------------------------------------------------------------------- config


@dataclass
class SimConfig:
    token: str | None = None  # a fixed bearer token that is always accepted
    time_scale: float = 1.0
    seed: int = 0
    access_ttl: float = 86400.0  # real seconds
    refresh_ttl: float = 30 * 86400.0  # real seconds
    max_concurrent_calls: int = 10
    monthly_call_limit: int = 10000
    faults: FaultConfig = field(default_factory=FaultConfig)


class SimError(Exception):
    """An API error: the app answers `status` with `{"detail": detail}` and `headers`."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.headers = headers or {}


class CallerIdError(ValueError):
    """`from_number` is not a caller ID of the agent (the app answers a FastAPI-shaped 422)."""

    def __init__(self, number: str):
        super().__init__(f"{number} is not a caller ID registered for this agent")
        self.number = number


# ----------------------------------------------------------------------------- clock


class SimClock:
    """Sim seconds since start = real elapsed × scale; the scale can change at run time."""

    def __init__(self, scale: float = 1.0, real: Callable[[], float] = time.monotonic):
        if scale <= 0:
            raise ValueError("time_scale must be > 0")
        self._real = real
        self._scale = scale
        self._base_real = real()
        self._base_sim = 0.0
        self._lock = threading.Lock()

    @property
    def scale(self) -> float:
        return self._scale

    def now(self) -> float:
        with self._lock:
            return self._base_sim + (self._real() - self._base_real) * self._scale

    def set_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("time_scale must be > 0")
        with self._lock:
            real = self._real()
            self._base_sim += (real - self._base_real) * self._scale
            self._base_real = real
            self._scale = scale

    def real_seconds(self, sim_seconds: float) -> float:
        return max(0.0, sim_seconds) / self._scale


# ----------------------------------------------------------------------------- records


@dataclass
class User:
    user_id: str
    username: str
    password: str
    role: str
    owner_id: str

    def me(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "owner_id": self.owner_id,
            "role": self.role,
        }


DEMO_USER = User(DEMO_USER_ID, DEMO_USERNAME, DEMO_PASSWORD, "business", DEMO_TENANT_ID)


@dataclass
class Call:
    call_id: str
    session_id: str
    room_name: str
    agent_id: str
    tenant_id: str
    from_number: str
    to_number: str
    created: float  # sim time
    started_at: datetime  # real wall time at creation
    seq: int
    ring_at: float | None  # absolute sim times
    answer_at: float | None
    end_at: float
    final_status: str
    disposition: str
    extras: Extras
    request: dict[str, Any]
    transfer: tuple[float, float] | None = None  # sim window of the "transferring" status

    # -- derived, at sim time `s`
    def status_at(self, s: float) -> str:
        if s >= self.end_at:
            return self.final_status
        if self.transfer is not None and self.transfer[0] <= s < self.transfer[1]:
            return "transferring"
        if self.answer_at is not None and s >= self.answer_at:
            return "answered"
        if self.ring_at is not None and s >= self.ring_at:
            return "ringing"
        return "initiated"

    def is_live_at(self, s: float) -> bool:
        return s < self.end_at

    @property
    def was_answered(self) -> bool:
        return self.answer_at is not None and self.answer_at <= self.end_at

    def talk_seconds(self) -> int:
        if not self.was_answered:
            return 0
        return int(round(self.end_at - self.answer_at))  # type: ignore[operator]

    def wall(self, sim_t: float) -> datetime:
        return self.started_at + timedelta(seconds=sim_t - self.created)

    def next_event(self, s: float) -> float:
        """The next sim time at which the status may change (or `end_at` if none sooner)."""
        points = [self.ring_at, self.answer_at, self.end_at]
        if self.transfer:
            points.extend(self.transfer)
        future = [p for p in points if p is not None and p > s]
        return min(future) if future else s

    def view(self, s: float) -> dict[str, Any]:
        status = self.status_at(s)
        terminal = status in TERMINAL_STATUSES
        out: dict[str, Any] = {
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "tenant_id": self.tenant_id,
            "direction": "outbound",
            "from_number": self.from_number,
            "to_number": self.to_number,
            "status": status,
            "started_at": _iso(self.started_at),
            "disposition": None,
            "duration_seconds": None,
            "recording_url": None,
            "sentiment_score": None,
            "language_detected": None,
            "ended_at": None,
            # extra fields (allowed by the API; clients must tolerate them)
            "session_id": self.session_id,
            "room_name": self.room_name,
        }
        if terminal:
            out["disposition"] = self.disposition
            out["ended_at"] = _iso(self.wall(self.end_at))
            if not self.was_answered:
                out["duration_seconds"] = 0
            else:
                if s >= self.end_at + LATE_DURATION_AFTER:
                    out["duration_seconds"] = self.talk_seconds()
                    out["recording_url"] = (
                        f"https://recordings.sim.invalid/{self.tenant_id}/{self.call_id}.ogg"
                    )
                if s >= self.end_at + LATE_ANALYSIS_AFTER:
                    out["sentiment_score"] = self.extras.sentiment_score
                    out["language_detected"] = self.extras.language_detected
        return out


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_micro(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


# ----------------------------------------------------------------------------- the world


class SimState:
    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        token_clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config or SimConfig()
        self.clock = SimClock(self.config.time_scale, clock)
        self._token_clock = token_clock
        self._wall = wall
        self._lock = threading.RLock()
        self.users: dict[str, User] = {DEMO_USER.username: DEMO_USER}
        self._users_by_id: dict[str, User] = {DEMO_USER.user_id: DEMO_USER}
        self.agents: dict[str, DemoAgent] = {a.agent_id: a for a in (*DEMO_AGENTS, OTHER_AGENT)}
        self._access: dict[str, tuple[str, float]] = {}  # token -> (user_id, real expiry)
        self._refresh: dict[str, tuple[str, float]] = {}
        self.reset_calls()

    # -- clock
    def sim_now(self) -> float:
        return self.clock.now()

    def set_time_scale(self, scale: float) -> None:
        self.clock.set_scale(scale)
        self.config.time_scale = scale

    # -- auth
    def _issue(self, user: User) -> dict[str, Any]:
        now = self._token_clock()
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._prune_tokens(now)
            self._access[access] = (user.user_id, now + self.config.access_ttl)
            self._refresh[refresh] = (user.user_id, now + self.config.refresh_ttl)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": int(self.config.access_ttl),
        }

    def _prune_tokens(self, now: float) -> None:
        for table in (self._access, self._refresh):
            if len(table) > 1000:
                for tok in [t for t, (_, exp) in table.items() if exp <= now]:
                    del table[tok]

    def login(self, username: str, password: str) -> dict[str, Any]:
        user = self.users.get(username)
        if user is None or not secrets.compare_digest(user.password, password):
            raise SimError(401, "Incorrect username or password", {"WWW-Authenticate": "Bearer"})
        return self._issue(user)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        now = self._token_clock()
        with self._lock:
            entry = self._refresh.pop(refresh_token, None)  # rotation: single use
        if entry is None or entry[1] <= now:
            raise SimError(401, "Invalid or expired refresh token", {"WWW-Authenticate": "Bearer"})
        return self._issue(self._users_by_id[entry[0]])

    def user_for_token(self, token: str | None) -> User | None:
        if not token:
            return None
        if self.config.token and secrets.compare_digest(token, self.config.token):
            return DEMO_USER
        entry = self._access.get(token)
        if entry is None or entry[1] <= self._token_clock():
            return None
        return self._users_by_id.get(entry[0])

    # -- agents
    def agents_of(self, tenant_id: str) -> list[DemoAgent]:
        return [a for a in self.agents.values() if a.tenant_id == tenant_id]

    def agent_for(self, user: User, agent_id: str) -> DemoAgent:
        agent = self.agents.get(str(agent_id))
        if agent is None or agent.tenant_id != user.owner_id:
            raise SimError(404, "agent not found")
        return agent

    # -- calls
    def reset_calls(self) -> None:
        with self._lock:
            self.calls: dict[str, Call] = {}
            self._by_agent: dict[str, list[Call]] = defaultdict(list)
            self._live: dict[str, Call] = {}
            self._placed: dict[str, int] = defaultdict(int)  # calls per to_number (for seeding)
            self._used: dict[str, int] = defaultdict(int)  # calls placed per tenant
            self._seq = 0

    def live_calls(self, tenant_id: str, s: float | None = None) -> int:
        s = self.sim_now() if s is None else s
        with self._lock:
            for cid in [cid for cid, c in self._live.items() if not c.is_live_at(s)]:
                del self._live[cid]
            return sum(1 for c in self._live.values() if c.tenant_id == tenant_id)

    def place_call(self, user: User, req: OutboundCallRequest) -> Call:
        agent = self.agent_for(user, str(req.agent_id))
        from_number = req.from_number or agent.caller_ids[0]
        if from_number not in agent.caller_ids:
            raise CallerIdError(from_number)
        tenant = agent.tenant_id
        with self._lock:
            s = self.sim_now()
            if self._used[tenant] >= self.config.monthly_call_limit:
                raise SimError(403, "monthly call quota exceeded")
            if self.live_calls(tenant, s) >= self.config.max_concurrent_calls:
                raise SimError(429, "concurrent call limit reached", {"Retry-After": "5"})
            n = self._placed[req.to_number]
            self._placed[req.to_number] = n + 1
            self._used[tenant] += 1
            self._seq += 1
            plan: Plan = plan_call(
                req.to_number,
                seed=self.config.seed,
                n=n,
                ringing_timeout_seconds=req.ringing_timeout_seconds,
                max_call_duration_seconds=req.max_call_duration_seconds,
            )
            call_id = str(uuid.uuid4())
            call = Call(
                call_id=call_id,
                session_id=str(uuid.uuid4()),
                room_name=f"call-{call_id[:8]}",
                agent_id=agent.agent_id,
                tenant_id=tenant,
                from_number=from_number,
                to_number=req.to_number,
                created=s,
                started_at=self._wall(),
                seq=self._seq,
                ring_at=None if plan.ring_at is None else s + plan.ring_at,
                answer_at=None if plan.answer_at is None else s + plan.answer_at,
                end_at=s + plan.end_at,
                final_status=plan.final_status,
                disposition=plan.disposition,
                extras=call_extras(req.to_number, seed=self.config.seed, n=n),
                request=req.model_dump(mode="json"),
            )
            self.calls[call_id] = call
            self._by_agent[call.agent_id].append(call)
            self._live[call_id] = call
            return call

    def timeline(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Every call's real start and real end (wall clock), oldest first, for measuring a
        campaign's pacing and concurrency (`GET /_sim/calls`). `started_at` is the real moment
        the POST was handled; `ends_at` the real moment the call is (or will be) terminal at the
        current time scale (exact when the scale did not change during the call)."""
        scale = self.clock.scale
        with self._lock:
            calls = sorted(self.calls.values(), key=lambda c: c.seq)
        if since is not None:
            since = _as_utc(since)
            calls = [c for c in calls if c.started_at >= since]
        return [{"call_id": c.call_id, "seq": c.seq, "agent_id": c.agent_id,
                 "to_number": c.to_number, "started_at": _iso_micro(c.started_at),
                 "ends_at": _iso_micro(c.started_at
                                       + timedelta(seconds=(c.end_at - c.created) / scale))}
                for c in calls]

    def placed_response(self, call: Call, status: str = "initiated") -> dict[str, Any]:
        return {
            "call_id": call.call_id,
            "session_id": call.session_id,
            "room_name": call.room_name,
            "agent_id": call.agent_id,
            "direction": "outbound",
            "from_number": call.from_number,
            "to_number": call.to_number,
            "status": status,
            "recording": {"enabled": True},
        }

    def get_call(self, user: User, call_id: str) -> Call:
        call = self.calls.get(str(call_id))
        if call is None or call.tenant_id != user.owner_id:
            raise SimError(404, "call not found")
        return call

    def call_view(self, call: Call, s: float | None = None) -> dict[str, Any]:
        return call.view(self.sim_now() if s is None else s)

    def list_calls(
        self,
        user: User,
        agent_id: str,
        *,
        limit: int = 100,
        offset: int = 0,
        direction: str | None = None,
        status_filter: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> dict[str, Any]:
        agent = self.agent_for(user, agent_id)
        s = self.sim_now()
        with self._lock:
            calls = list(self._by_agent.get(agent.agent_id, ()))
        if direction is not None and direction != "outbound":
            calls = []
        if start_date is not None:
            start = _as_utc(start_date)
            calls = [c for c in calls if c.started_at >= start]
        if end_date is not None:
            end = _as_utc(end_date)
            calls = [c for c in calls if c.started_at <= end]
        if status_filter is not None:
            calls = [c for c in calls if c.status_at(s) == status_filter]
        calls.reverse()  # kept in creation order: newest first
        page = calls[offset : offset + limit]
        return {
            "calls": [c.view(s) for c in page],
            "total": len(calls),
            "limit": limit,
            "offset": offset,
        }

    def end_call(self, user: User, call_id: str) -> dict[str, Any]:
        call = self.get_call(user, call_id)
        with self._lock:
            s = self.sim_now()
            status = call.status_at(s)
            if status in TERMINAL_STATUSES:
                raise SimError(409, f"call already {status}")
            call.end_at = s
            call.final_status = "ended"
            call.disposition = "ended-by-api"
            if call.answer_at is not None and call.answer_at > s:
                call.answer_at = None
            if call.ring_at is not None and call.ring_at > s:
                call.ring_at = None
            if call.transfer is not None:
                call.transfer = (call.transfer[0], min(call.transfer[1], s))
        return {"status": "ended", "call_id": call.call_id}

    def transfer_call(self, user: User, call_id: str, req: TransferRequest) -> dict[str, Any]:
        call = self.get_call(user, call_id)
        with self._lock:
            s = self.sim_now()
            status = call.status_at(s)
            if status != "answered":
                raise SimError(409, f"call is not answered (status: {status})")
            call.transfer = (s, s + TRANSFER_SECONDS)
            if req.transfer_type == "cold":
                call.end_at = s + TRANSFER_SECONDS
                call.final_status = "ended"
                call.disposition = "transferred"
            else:
                call.end_at = max(call.end_at, s + TRANSFER_SECONDS + WARM_TRANSFER_MIN_TALK)
        return {
            "status": "transferring",
            "call_id": call.call_id,
            "transfer_to": req.transfer_to,
            "transfer_type": req.transfer_type,
        }

    # -- capacity
    def quota(self, user: User, tenant_id: str) -> dict[str, Any]:
        tenant_id = str(tenant_id)
        if tenant_id not in TENANTS:
            raise SimError(404, "tenant not found")
        if tenant_id != user.owner_id and user.role != "admin":
            raise SimError(403, "not allowed to read this tenant's quota")
        s = self.sim_now()
        with self._lock:
            used = self._used[tenant_id]
            tenant_calls = [c for c in self.calls.values() if c.tenant_id == tenant_id]
        limit = self.config.monthly_call_limit
        max_conc = self.config.max_concurrent_calls
        active = self.live_calls(tenant_id, s)
        talk = 0.0
        for c in tenant_calls:
            if c.answer_at is None or c.answer_at > s:
                continue
            talk += min(s, c.end_at) - c.answer_at
        exceeded = used >= limit
        return {
            "tenant_id": tenant_id,
            "monthly_call_limit": limit,
            "calls_used_this_month": used,
            "calls_remaining": max(0, limit - used),
            "calls_usage_percentage": round(100.0 * used / limit, 2) if limit else 100.0,
            "max_concurrent_calls": max_conc,
            "current_active_calls": active,
            "concurrent_calls_remaining": max(0, max_conc - active),
            "concurrent_usage_percentage": round(100.0 * active / max_conc, 2)
            if max_conc
            else 100.0,
            "total_minutes_used": round(talk / 60.0, 2),
            "quota_exceeded": exceeded,
            "status": "blocked" if exceeded else "active",
        }
