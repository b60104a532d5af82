"""The simulator over real loopback HTTP (plus a few clock-driven unit checks of its state).

Timing is never asserted: lifecycles run at time_scale 50 and tests poll with a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import phonenumbers
import pytest

from console.api.models import CallPage, CallResponse, CallStatus, OutboundCallRequest, Quota
from console.sim.faults import FaultConfig, route_key
from console.sim.runner import SimServer
from console.sim.scenarios import RANDOM_MIX, plan_call
from console.sim.state import (
    DEMO_AGENTS,
    DEMO_TENANT_ID,
    DEMO_USER,
    DEMO_USER_ID,
    OTHER_AGENT,
    OTHER_TENANT_ID,
    SimConfig,
    SimError,
    SimState,
)

RECEPTION, SALES, SUPPORT = DEMO_AGENTS
DEADLINE = 10.0  # real seconds any polled state must be reached within


@pytest.fixture(autouse=True)
def _clean(sim_clean: SimServer) -> SimServer:
    return sim_clean


# ----------------------------------------------------------------------------- helpers


def place(client: httpx.Client, to: str, agent: str = RECEPTION.agent_id, **fields: Any) -> dict:
    resp = client.post("/calls/outbound", json={"agent_id": agent, "to_number": to, **fields})
    assert resp.status_code == 200, resp.text
    return resp.json()


def poll(
    client: httpx.Client, call_id: str, until: Callable[[dict], bool], timeout: float = DEADLINE
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(f"/calls/{call_id}")
        assert resp.status_code == 200, resp.text
        body = resp.json()
        if until(body):
            return body
        assert time.monotonic() < deadline, f"call never reached the state; last: {body}"
        time.sleep(0.01)


def settled(body: dict) -> bool:
    """Terminal with every late field that will ever come."""
    if body["status"] not in ("ended", "failed"):
        return False
    if body["duration_seconds"] is None:
        return False
    return body["duration_seconds"] == 0 or body["language_detected"] is not None


def post_raw(client: httpx.Client, body: dict) -> httpx.Response:
    return client.post("/calls/outbound", json=body)


def loc_of(resp: httpx.Response) -> list[list]:
    assert resp.status_code == 422, resp.text
    return [entry["loc"] for entry in resp.json()["detail"]]


def set_config(sim: SimServer, **fields: Any) -> None:
    httpx.post(f"{sim.base_url}/_sim/config", json=fields).raise_for_status()


def stats(sim: SimServer) -> dict[str, int]:
    return httpx.get(f"{sim.base_url}/_sim/stats").json()


def put_faults(sim: SimServer, *rules: dict) -> list[dict]:
    resp = httpx.put(f"{sim.base_url}/_sim/faults", json=list(rules))
    assert resp.status_code == 200, resp.text
    return resp.json()


def since(client: httpx.Client, agent: str, start: datetime, **params: Any) -> dict:
    resp = client.get(
        f"/calls/agent/{agent}/calls", params={"start_date": start.isoformat(), **params}
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def just_before() -> datetime:
    return datetime.now(UTC) - timedelta(milliseconds=1)


# ----------------------------------------------------------------------------- demo data, agents


def test_demo_agents_have_valid_caller_ids():
    assert [a.name for a in DEMO_AGENTS] == ["Reception", "Sales", "Support"]
    assert len({a.agent_id for a in DEMO_AGENTS}) == 3
    for agent in DEMO_AGENTS:
        assert 1 <= len(agent.caller_ids) <= 2
        for number in agent.caller_ids:
            assert phonenumbers.is_valid_number(phonenumbers.parse(number))


def test_get_agents(sim_client):
    resp = sim_client.get("/agents")
    assert resp.status_code == 200
    agents = resp.json()["agents"]
    assert [a["agent_id"] for a in agents] == [a.agent_id for a in DEMO_AGENTS]
    assert agents[0] == {
        "agent_id": RECEPTION.agent_id,
        "name": "Reception",
        "phone_numbers": [{"number": n, "outbound_enabled": True} for n in RECEPTION.caller_ids],
    }
    assert OTHER_AGENT.agent_id not in {a["agent_id"] for a in agents}


# ----------------------------------------------------------------------------- auth


PROTECTED = [
    ("POST", "/calls/outbound"),
    ("GET", f"/calls/{RECEPTION.agent_id}"),
    ("GET", f"/calls/agent/{RECEPTION.agent_id}/calls"),
    ("POST", f"/calls/{RECEPTION.agent_id}/transfer"),
    ("POST", f"/calls/{RECEPTION.agent_id}/end"),
    ("GET", "/auth/me"),
    ("GET", f"/analytics/tenants/{DEMO_TENANT_ID}/quota"),
    ("GET", "/agents"),
]


@pytest.mark.parametrize("method,path", PROTECTED)
@pytest.mark.parametrize("auth", [None, "Bearer nope", "Basic ZGVtbzpkZW1v", "Bearer"])
def test_protected_routes_need_a_token(sim, method, path, auth):
    headers = {"Authorization": auth} if auth else {}
    resp = httpx.request(method, sim.base_url + path, headers=headers, json={})
    assert resp.status_code == 401
    assert resp.json() == {"detail": "Not authenticated"}
    assert resp.headers["www-authenticate"] == "Bearer"


def test_login_me_and_refresh_rotation(sim):
    url = sim.base_url
    wrong = httpx.post(f"{url}/auth/token", json={"username": "demo", "password": "x"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert httpx.post(f"{url}/auth/token", json={"username": "demo"}).status_code == 422

    pair = httpx.post(f"{url}/auth/token", json={"username": "demo", "password": "demo"}).json()
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 86400
    me = httpx.get(f"{url}/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert me.json() == {
        "user_id": DEMO_USER_ID,
        "username": "demo",
        "owner_id": DEMO_TENANT_ID,
        "role": "business",
    }

    new = httpx.post(f"{url}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert new.status_code == 200
    new_pair = new.json()
    assert new_pair["refresh_token"] != pair["refresh_token"]
    assert new_pair["access_token"] != pair["access_token"]
    # rotation: the old refresh token is spent
    again = httpx.post(f"{url}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    bogus = httpx.post(f"{url}/auth/refresh", json={"refresh_token": "bogus"})
    assert bogus.status_code == 401 and "detail" in bogus.json()
    # the rotated one works once
    third = httpx.post(f"{url}/auth/refresh", json={"refresh_token": new_pair["refresh_token"]})
    assert third.status_code == 200
    headers = {"Authorization": f"Bearer {third.json()['access_token']}"}
    assert httpx.get(f"{url}/auth/me", headers=headers).status_code == 200


def test_fixed_token_is_accepted(sim_client):
    assert sim_client.get("/auth/me").json()["username"] == "demo"


def test_access_token_expires(make_sim):
    short = make_sim(access_ttl=1.0)
    url = short.base_url
    pair = httpx.post(f"{url}/auth/token", json={"username": "demo", "password": "demo"}).json()
    assert pair["expires_in"] == 1
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    assert httpx.get(f"{url}/auth/me", headers=headers).status_code == 200
    deadline = time.monotonic() + 5
    while (resp := httpx.get(f"{url}/auth/me", headers=headers)).status_code == 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"
    # the refresh token still works after the access token died
    new = httpx.post(f"{url}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert new.status_code == 200
    headers = {"Authorization": f"Bearer {new.json()['access_token']}"}
    assert httpx.get(f"{url}/auth/me", headers=headers).status_code == 200


# ----------------------------------------------------------------------------- placing calls


def test_place_call_response(sim_client):
    body = place(sim_client, "+1 415 555 7000", priority="high", custom_headers={"X-Ref": "1"})
    assert set(body) >= {
        "call_id", "session_id", "room_name", "agent_id", "direction",
        "from_number", "to_number", "status", "recording",
    }
    CallResponse.model_validate(body)
    assert body["status"] == "initiated"
    assert body["direction"] == "outbound"
    assert body["agent_id"] == RECEPTION.agent_id
    assert body["from_number"] == RECEPTION.caller_ids[0]  # null from_number → first caller ID
    assert body["to_number"] == "+14155557000"  # spaces stripped
    assert body["room_name"].startswith("call-")
    assert isinstance(body["recording"], dict)


def test_place_call_with_explicit_caller_id_and_every_field(sim_client):
    req = OutboundCallRequest(
        agent_id=SUPPORT.agent_id,
        to_number="+14155557001",
        from_number=SUPPORT.caller_ids[1],
        context={"a": [1, {"b": None}]},
        priority="urgent",
        krisp_enabled=False,
        display_name="D" * 128,
        dtmf="*123#ww456",
        play_dialtone=True,
        media_encryption="REQUIRE",
        ringing_timeout_seconds=80,
        max_call_duration_seconds=86400,
        hide_phone_number=True,
        custom_headers={"X-A": "b", "x-lower": ""},
    )
    resp = sim_client.post("/calls/outbound", json=req.to_json_body())
    assert resp.status_code == 200, resp.text
    assert resp.json()["from_number"] == SUPPORT.caller_ids[1]


def test_unknown_agent_is_404(sim_client):
    resp = post_raw(sim_client, {"agent_id": OTHER_AGENT.agent_id, "to_number": "+14155550000"})
    assert resp.status_code == 404 and resp.json() == {"detail": "agent not found"}
    resp = post_raw(
        sim_client,
        {"agent_id": "00000000-0000-4000-8000-000000000000", "to_number": "+14155550000"},
    )
    assert resp.status_code == 404 and resp.json() == {"detail": "agent not found"}


GOOD = {"agent_id": RECEPTION.agent_id, "to_number": "+14155550000"}


@pytest.mark.parametrize(
    "patch,loc",
    [
        ({"priority": "URGENT"}, ["body", "priority"]),
        ({"priority": "asap"}, ["body", "priority"]),
        ({"media_encryption": "allow"}, ["body", "media_encryption"]),
        ({"ringing_timeout_seconds": 0}, ["body", "ringing_timeout_seconds"]),
        ({"ringing_timeout_seconds": 81}, ["body", "ringing_timeout_seconds"]),
        ({"max_call_duration_seconds": 59}, ["body", "max_call_duration_seconds"]),
        ({"max_call_duration_seconds": 86401}, ["body", "max_call_duration_seconds"]),
        ({"display_name": "x" * 129}, ["body", "display_name"]),
        ({"agent_id": "not-a-uuid"}, ["body", "agent_id"]),
        ({"to_number": "4155550000"}, ["body", "to_number"]),
        ({"to_number": "+1-415-555-0000"}, ["body", "to_number"]),
        ({"from_number": "+0415"}, ["body", "from_number"]),
        ({"from_number": "+14155550009"}, ["body", "from_number"]),  # not registered
        ({"custom_headers": {"Call-ID": "x"}}, ["body", "custom_headers"]),
        ({"context": [1, 2]}, ["body", "context"]),
        ({"krisp_enabled": "maybe"}, ["body", "krisp_enabled"]),
    ],
)
def test_field_validation_422(sim_client, patch, loc):
    resp = post_raw(sim_client, {**GOOD, **patch})
    locs = loc_of(resp)
    assert len(locs) == 1
    assert locs[0][: len(loc)] == loc
    entry = resp.json()["detail"][0]
    assert {"type", "loc", "msg", "input"} <= set(entry)


def test_missing_required_fields_422(sim_client):
    locs = loc_of(post_raw(sim_client, {}))
    assert sorted(locs) == [["body", "agent_id"], ["body", "to_number"]]


def test_unregistered_caller_id_message(sim_client):
    resp = post_raw(sim_client, {**GOOD, "from_number": "+14155550009"})
    [entry] = resp.json()["detail"]
    assert entry["type"] == "value_error"
    assert entry["input"] == "+14155550009"
    assert "+14155550009 is not a caller ID registered for this agent" in entry["msg"]
    # Sales's caller ID is not Reception's
    resp = post_raw(sim_client, {**GOOD, "from_number": SALES.caller_ids[0]})
    assert loc_of(resp) == [["body", "from_number"]]


# ----------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize(
    "to,fields,status,disposition,duration",
    [
        ("+14155550000", {}, "ended", "completed", 20),
        ("+14155550001", {}, "failed", "busy", 0),
        ("+14155550002", {"ringing_timeout_seconds": 3}, "failed", "no-answer", 0),
        ("+14155550003", {}, "failed", "rejected", 0),
        ("+14155550004", {"max_call_duration_seconds": 60}, "ended", "max-duration", 60),
    ],
)
def test_scenarios_reach_their_final_state(sim_client, to, fields, status, disposition, duration):
    call_id = place(sim_client, to, **fields)["call_id"]
    seen: set[str] = set()

    def done(body: dict) -> bool:
        seen.add(body["status"])
        return settled(body)

    final = poll(sim_client, call_id, done)
    CallStatus.model_validate(final)
    assert final["status"] == status
    assert final["disposition"] == disposition
    assert final["duration_seconds"] == duration
    assert final["ended_at"] is not None
    assert seen <= {"initiated", "ringing", "answered", "ended", "failed"}
    parsed = CallStatus.model_validate(final)
    started, ended = parsed.started, parsed.ended
    assert started.tzinfo is not None and ended >= started
    if status == "ended":
        assert final["recording_url"].startswith("https://")
        assert -1 <= final["sentiment_score"] <= 1
        assert final["language_detected"]
    else:
        assert final["recording_url"] is None
        assert final["sentiment_score"] is None


def test_random_numbers_reach_terminal_states(sim_client):
    numbers = [f"+1415555{7100 + i:04d}" for i in range(16)]
    ids = [place(sim_client, n)["call_id"] for n in numbers]
    allowed = {d for d, _ in RANDOM_MIX} | {"max-duration"}
    for call_id in ids:
        final = poll(sim_client, call_id, lambda b: b["status"] in ("ended", "failed"))
        assert final["disposition"] in allowed
        if final["disposition"] in ("completed", "voicemail"):
            assert final["status"] == "ended"
        else:
            assert final["status"] == "failed"


def test_late_fields_come_after_the_end(sim_client):
    call_id = place(sim_client, "+14155550000")["call_id"]
    first_end = poll(sim_client, call_id, lambda b: b["status"] == "ended")
    assert first_end["ended_at"] and first_end["disposition"] == "completed"
    final = poll(sim_client, call_id, settled)
    assert final["ended_at"] == first_end["ended_at"]
    assert final["duration_seconds"] == 20 and final["recording_url"]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_state_late_fields_by_clock():
    clock = FakeClock()
    state = SimState(SimConfig(), clock=clock, token_clock=clock)
    user = DEMO_USER
    req = OutboundCallRequest(agent_id=RECEPTION.agent_id, to_number="+14155550000")
    call = state.place_call(user, req)

    def at(dt: float) -> dict:
        clock.t = 1000.0 + dt
        return state.call_view(call)

    assert at(0)["status"] == "initiated"
    assert at(1.0)["status"] == "ringing"
    assert at(4.0)["status"] == "answered"
    v = at(24.0)
    assert v["status"] == "ended" and v["disposition"] == "completed" and v["ended_at"]
    assert v["duration_seconds"] is None and v["recording_url"] is None
    v = at(26.0)
    assert v["duration_seconds"] == 20 and v["recording_url"] and v["sentiment_score"] is None
    v = at(27.0)
    assert v["sentiment_score"] is not None and v["language_detected"]
    # ended_at - started_at equals the call's sim length
    started = CallStatus.model_validate(v).started
    assert CallStatus.model_validate(v).ended - started == timedelta(seconds=24)


def test_state_time_scale_and_many_live_calls():
    clock = FakeClock()
    config = SimConfig(time_scale=10, max_concurrent_calls=5000)
    state = SimState(config, clock=clock)
    user = DEMO_USER
    req = OutboundCallRequest(agent_id=SALES.agent_id, to_number="+14155550004")
    for _ in range(2000):
        state.place_call(user, req)
    assert state.live_calls(DEMO_TENANT_ID) == 2000
    page = state.list_calls(user, SALES.agent_id, limit=500)
    assert page["total"] == 2000 and len(page["calls"]) == 500
    clock.t += 0.5  # 5 sim seconds at scale 10: answered
    assert {c["status"] for c in state.list_calls(user, SALES.agent_id, limit=500)["calls"]} == {
        "answered"
    }
    state.set_time_scale(1000)
    clock.t += 3.7  # 3700 sim s: past the 3600 s max duration
    assert state.live_calls(DEMO_TENANT_ID) == 0
    assert state.quota(user, DEMO_TENANT_ID)["total_minutes_used"] == 2000 * 30.0


def test_seeded_mix_is_deterministic_and_varied():
    assert plan_call("+14155557777", seed=1, n=0) == plan_call("+14155557777", seed=1, n=0)
    dispositions = {plan_call(f"+1415555{i:04d}", seed=3).disposition for i in range(5000, 5400)}
    assert dispositions >= {d for d, _ in RANDOM_MIX}
    # the n-th call to one number can differ from the first
    plans = {plan_call("+14155557777", seed=1, n=n) for n in range(20)}
    assert len(plans) > 1


# ----------------------------------------------------------------------------- wait_until_answered


def test_wait_until_answered_success(sim_client):
    resp = sim_client.post(
        "/calls/outbound",
        json={**GOOD, "to_number": "+14155550000", "wait_until_answered": True},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "answered"
    status = sim_client.get(f"/calls/{resp.json()['call_id']}").json()["status"]
    assert status in ("answered", "ended")


def test_wait_until_answered_no_answer_is_408(sim_client):
    start = just_before()
    resp = sim_client.post(
        "/calls/outbound",
        json={
            **GOOD,
            "agent_id": SALES.agent_id,
            "to_number": "+14155550002",
            "wait_until_answered": True,
            "ringing_timeout_seconds": 2,
        },
    )
    assert resp.status_code == 408
    assert resp.json() == {"detail": "call not answered: no-answer"}
    calls = since(sim_client, SALES.agent_id, start, status_filter="failed")["calls"]
    assert [c["to_number"] for c in calls] == ["+14155550002"]
    assert calls[0]["disposition"] == "no-answer"


def test_wait_until_answered_busy_is_408(sim_client):
    resp = sim_client.post("/calls/outbound", json={**GOOD, "to_number": "+14155550001",
                                                     "wait_until_answered": True})
    assert resp.status_code == 408 and resp.json()["detail"] == "call not answered: busy"


# ----------------------------------------------------------------------------- end / transfer


def test_get_unknown_and_malformed_call(sim_client):
    resp = sim_client.get("/calls/00000000-0000-4000-8000-000000000000")
    assert resp.status_code == 404 and isinstance(resp.json()["detail"], str)
    assert loc_of(sim_client.get("/calls/not-a-uuid")) == [["path", "call_id"]]
    assert sim_client.post("/calls/00000000-0000-4000-8000-000000000000/end").status_code == 404
    assert loc_of(sim_client.post("/calls/xyz/end")) == [["path", "call_id"]]


def test_end_call_and_end_twice(sim_client):
    call_id = place(sim_client, "+14155550004")["call_id"]
    resp = sim_client.post(f"/calls/{call_id}/end")
    assert resp.status_code == 200 and resp.json() == {"status": "ended", "call_id": call_id}
    body = sim_client.get(f"/calls/{call_id}").json()
    assert body["status"] == "ended" and body["disposition"] == "ended-by-api"
    assert body["ended_at"] is not None
    again = sim_client.post(f"/calls/{call_id}/end")
    assert again.status_code == 409 and isinstance(again.json()["detail"], str)


def test_end_failed_call_is_409(sim_client):
    call_id = place(sim_client, "+14155550003")["call_id"]
    poll(sim_client, call_id, lambda b: b["status"] == "failed")
    assert sim_client.post(f"/calls/{call_id}/end").status_code == 409


def test_transfer_requires_answered(sim_client):
    call_id = place(sim_client, "+14155550002")["call_id"]  # rings for 80 sim s
    resp = sim_client.post(f"/calls/{call_id}/transfer", json={"transfer_to": "tel:+14155559999"})
    assert resp.status_code == 409 and isinstance(resp.json()["detail"], str)
    sim_client.post(f"/calls/{call_id}/end")
    resp = sim_client.post(f"/calls/{call_id}/transfer", json={"transfer_to": "tel:+14155559999"})
    assert resp.status_code == 409


@pytest.mark.parametrize(
    "body,loc",
    [
        ({"transfer_to": "+14155559999"}, ["body", "transfer_to"]),
        ({"transfer_to": "sip:nohost"}, ["body", "transfer_to"]),
        ({"transfer_to": "tel:+14155559999", "transfer_type": "hot"}, ["body", "transfer_type"]),
        ({}, ["body", "transfer_to"]),
    ],
)
def test_transfer_validation(sim_client, body, loc):
    call_id = place(sim_client, "+14155557002")["call_id"]
    assert loc_of(sim_client.post(f"/calls/{call_id}/transfer", json=body)) == [loc]


@pytest.mark.parametrize("kind", ["cold", "warm"])
def test_transfer_flow(sim, sim_client, kind):
    call_id = place(sim_client, "+14155550004")["call_id"]
    poll(sim_client, call_id, lambda b: b["status"] == "answered")
    set_config(sim, time_scale=1.0)  # make the 2 s "transferring" window observable
    target = "tel:+14155559999" if kind == "cold" else "sip:desk@example.com"
    resp = sim_client.post(
        f"/calls/{call_id}/transfer", json={"transfer_to": target, "transfer_type": kind}
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "transferring" and resp.json()["call_id"] == call_id
    body = sim_client.get(f"/calls/{call_id}").json()
    assert body["status"] == "transferring"  # an unknown, live status
    CallStatus.model_validate(body)
    # a second transfer while transferring is refused
    again = sim_client.post(f"/calls/{call_id}/transfer", json={"transfer_to": target})
    assert again.status_code == 409
    set_config(sim, time_scale=50.0)
    if kind == "cold":
        final = poll(sim_client, call_id, lambda b: b["status"] != "transferring")
        assert final["status"] == "ended" and final["disposition"] == "transferred"
    else:
        after = poll(sim_client, call_id, lambda b: b["status"] != "transferring")
        assert after["status"] == "answered"
        sim_client.post(f"/calls/{call_id}/end").raise_for_status()


# ----------------------------------------------------------------------------- list


def test_list_pagination_and_filters(sim_client):
    start = just_before()
    ids = [place(sim_client, "+14155550003", agent=SUPPORT.agent_id)["call_id"] for _ in range(5)]
    live_id = place(sim_client, "+14155550004", agent=SUPPORT.agent_id)["call_id"]
    ids.append(live_id)
    newest_first = list(reversed(ids))

    page = since(sim_client, SUPPORT.agent_id, start)
    CallPage.model_validate(page)
    assert page["total"] == 6 and page["limit"] == 100 and page["offset"] == 0
    assert [c["call_id"] for c in page["calls"]] == newest_first

    p1 = since(sim_client, SUPPORT.agent_id, start, limit=4)
    p2 = since(sim_client, SUPPORT.agent_id, start, limit=4, offset=4)
    assert [c["call_id"] for c in p1["calls"] + p2["calls"]] == newest_first
    assert p2["total"] == 6 and len(p2["calls"]) == 2 and p2["offset"] == 4 and p2["limit"] == 4
    assert since(sim_client, SUPPORT.agent_id, start, offset=50)["calls"] == []

    for call_id in ids[:5]:
        poll(sim_client, call_id, lambda b: b["status"] == "failed")
    failed = since(sim_client, SUPPORT.agent_id, start, status_filter="failed")
    assert failed["total"] == 5 and {c["call_id"] for c in failed["calls"]} == set(ids[:5])
    live = since(sim_client, SUPPORT.agent_id, start, status_filter="initiated")["calls"]
    live += since(sim_client, SUPPORT.agent_id, start, status_filter="ringing")["calls"]
    live += since(sim_client, SUPPORT.agent_id, start, status_filter="answered")["calls"]
    # (the live call may move on between two of these reads and show up in both)
    assert {c["call_id"] for c in live} == {live_id}
    assert since(sim_client, SUPPORT.agent_id, start, direction="inbound")["total"] == 0
    assert since(sim_client, SUPPORT.agent_id, start, direction="outbound")["total"] == 6
    assert since(sim_client, SUPPORT.agent_id, start, end_date=start.isoformat())["total"] == 0
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert since(sim_client, SUPPORT.agent_id, later)["total"] == 0
    sim_client.post(f"/calls/{live_id}/end").raise_for_status()


@pytest.mark.parametrize(
    "params,loc",
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 501}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"status_filter": "transferring"}, ["query", "status_filter"]),
        ({"direction": "sideways"}, ["query", "direction"]),
        ({"start_date": "yesterday"}, ["query", "start_date"]),
    ],
)
def test_list_query_validation(sim_client, params, loc):
    resp = sim_client.get(f"/calls/agent/{RECEPTION.agent_id}/calls", params=params)
    assert loc_of(resp) == [loc]


def test_list_unknown_and_malformed_agent(sim_client):
    resp = sim_client.get(f"/calls/agent/{OTHER_AGENT.agent_id}/calls")
    assert resp.status_code == 404 and resp.json() == {"detail": "agent not found"}
    assert loc_of(sim_client.get("/calls/agent/nope/calls")) == [["path", "agent_id"]]


# ----------------------------------------------------------------------------- capacity


QUOTA_FIELDS = {
    "tenant_id", "monthly_call_limit", "calls_used_this_month", "calls_remaining",
    "calls_usage_percentage", "max_concurrent_calls", "current_active_calls",
    "concurrent_calls_remaining", "concurrent_usage_percentage", "total_minutes_used",
    "quota_exceeded", "status",
}


def test_quota(sim_client):
    url = f"/analytics/tenants/{DEMO_TENANT_ID}/quota"
    before = sim_client.get(url).json()
    assert set(before) >= QUOTA_FIELDS
    Quota.model_validate(before)
    assert before["tenant_id"] == DEMO_TENANT_ID
    assert before["status"] == "active" and before["quota_exceeded"] is False
    call_id = place(sim_client, "+14155550004")["call_id"]
    after = sim_client.get(url).json()
    assert after["calls_used_this_month"] == before["calls_used_this_month"] + 1
    assert after["calls_remaining"] == after["monthly_call_limit"] - after["calls_used_this_month"]
    assert after["current_active_calls"] >= 1
    assert after["concurrent_calls_remaining"] == (
        after["max_concurrent_calls"] - after["current_active_calls"]
    )
    sim_client.post(f"/calls/{call_id}/end").raise_for_status()
    other = sim_client.get(f"/analytics/tenants/{OTHER_TENANT_ID}/quota")
    assert other.status_code == 403 and isinstance(other.json()["detail"], str)
    unknown = sim_client.get("/analytics/tenants/00000000-0000-4000-8000-000000000000/quota")
    assert unknown.status_code == 404
    assert loc_of(sim_client.get("/analytics/tenants/nope/quota")) == [["path", "tenant_id"]]


def test_monthly_quota_exhausted_is_403(sim, sim_client):
    url = f"/analytics/tenants/{DEMO_TENANT_ID}/quota"
    used = sim_client.get(url).json()["calls_used_this_month"]
    set_config(sim, monthly_call_limit=used)
    resp = post_raw(sim_client, GOOD)
    assert resp.status_code == 403 and resp.json() == {"detail": "monthly call quota exceeded"}
    quota = sim_client.get(url).json()
    assert quota["quota_exceeded"] is True and quota["status"] == "blocked"
    assert quota["calls_remaining"] == 0


def test_concurrency_cap_429(sim, sim_client):
    httpx.post(f"{sim.base_url}/_sim/reset").raise_for_status()
    set_config(sim, max_concurrent_calls=2)
    first = place(sim_client, "+14155550004")["call_id"]
    place(sim_client, "+14155550004", agent=SALES.agent_id)
    resp = post_raw(sim_client, {**GOOD, "to_number": "+14155550004"})
    assert resp.status_code == 429
    assert resp.json() == {"detail": "concurrent call limit reached"}
    assert resp.headers["retry-after"] == "5"
    quota = sim_client.get(f"/analytics/tenants/{DEMO_TENANT_ID}/quota").json()
    assert quota["current_active_calls"] == 2 and quota["concurrent_calls_remaining"] == 0
    assert quota["concurrent_usage_percentage"] == 100.0
    sim_client.post(f"/calls/{first}/end").raise_for_status()
    place(sim_client, "+14155550004")
    httpx.post(f"{sim.base_url}/_sim/reset").raise_for_status()


# ----------------------------------------------------------------------------- faults


def test_route_keys():
    assert route_key("POST", "/calls/outbound") == "POST /calls/outbound"
    assert route_key("GET", "/calls/abc") == "GET /calls/{call_id}"
    assert route_key("GET", "/calls/agent/x/calls") == "GET /calls/agent/{agent_id}/calls"
    assert route_key("POST", "/calls/x/end") == "POST /calls/{call_id}/end"
    assert route_key("POST", "/calls/x/transfer") == "POST /calls/{call_id}/transfer"
    quota = route_key("GET", "/analytics/tenants/t/quota")
    assert quota == "GET /analytics/tenants/{tenant_id}/quota"
    assert route_key("GET", "/nowhere") == "GET /nowhere"


def test_fault_admin_routes(sim):
    url = f"{sim.base_url}/_sim/faults"
    assert httpx.get(url).json() == []
    rules = put_faults(sim, {"route": "GET /auth/me", "kind": "status", "status": 503, "count": 2})
    assert rules[0]["kind"] == "status" and rules[0]["count"] == 2
    assert httpx.get(url).json() == rules
    assert httpx.put(url, json=[{"kind": "explode"}]).status_code == 422
    assert httpx.put(url, json=[{"kind": "status", "probability": 2}]).status_code == 422
    assert httpx.post(url, json={"kind": "latency", "seconds": 0.01}).status_code == 200
    assert len(httpx.get(url).json()) == 2
    assert httpx.delete(url).json() == []
    assert httpx.get(url).json() == []


def test_stats_count_requests_per_route(sim, sim_client):
    sim_client.get("/auth/me")
    sim_client.get("/auth/me")
    sim_client.get(f"/calls/{RECEPTION.agent_id}")
    httpx.get(f"{sim.base_url}/agents")  # 401 still counts
    assert stats(sim) == {"GET /auth/me": 2, "GET /calls/{call_id}": 1, "GET /agents": 1}


def test_fault_status_with_retry_after_and_count(sim, sim_client):
    put_faults(sim, {"route": "GET /auth/me", "kind": "status", "status": 503,
                     "retry_after": 7, "count": 1})
    resp = sim_client.get("/auth/me")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "7"
    assert isinstance(resp.json()["detail"], str)
    assert sim_client.get("/auth/me").status_code == 200  # disarmed after one
    assert httpx.get(f"{sim.base_url}/_sim/faults").json() == []


@pytest.mark.parametrize("status", [429, 500])
def test_fault_status_on_post_creates_nothing(sim, sim_client, status):
    start = just_before()
    put_faults(sim, {"route": "POST /calls/outbound", "kind": "status", "status": status,
                     "retry_after": "2"})
    resp = post_raw(sim_client, {**GOOD, "agent_id": SALES.agent_id})
    assert resp.status_code == status
    assert since(sim_client, SALES.agent_id, start)["total"] == 0


def test_fault_wildcard_and_probability(sim, sim_client):
    put_faults(sim, {"route": "*", "kind": "status", "status": 500, "count": 1})
    assert sim_client.get("/agents").status_code == 500
    assert sim_client.get("/agents").status_code == 200
    put_faults(sim, {"route": "GET /agents", "kind": "status", "status": 500, "probability": 0.5})
    codes = [sim_client.get("/agents").status_code for _ in range(30)]
    assert 0 < codes.count(500) < 30 and set(codes) == {200, 500}
    put_faults(sim, {"route": "GET /agents", "kind": "status", "probability": 0.0})
    assert all(sim_client.get("/agents").status_code == 200 for _ in range(5))


def test_fault_latency(sim, sim_client):
    put_faults(sim, {"route": "GET /auth/me", "kind": "latency", "seconds": 0.5, "count": 1})
    with pytest.raises(httpx.ReadTimeout):
        sim_client.get("/auth/me", timeout=httpx.Timeout(5.0, read=0.1))
    assert sim_client.get("/auth/me").status_code == 200


def test_fault_latency_composes_with_another(sim, sim_client):
    put_faults(
        sim,
        {"route": "GET /auth/me", "kind": "latency", "seconds": 0.3, "count": 1},
        {"route": "GET /auth/me", "kind": "status", "status": 500, "count": 1},
    )
    with pytest.raises(httpx.ReadTimeout):
        sim_client.get("/auth/me", timeout=httpx.Timeout(5.0, read=0.05))
    assert httpx.get(f"{sim.base_url}/_sim/faults").json() == []


DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def test_drop_before_creates_no_call(sim, sim_client):
    start = just_before()
    put_faults(sim, {"route": "POST /calls/outbound", "kind": "drop_before", "count": 1})
    with pytest.raises(DROPPED):
        post_raw(sim_client, {**GOOD, "agent_id": SALES.agent_id, "to_number": "+14155557300"})
    assert stats(sim) == {"POST /calls/outbound": 1}
    assert since(sim_client, SALES.agent_id, start)["total"] == 0


def test_drop_after_creates_the_call(sim, sim_client):
    start = just_before()
    put_faults(sim, {"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
    with pytest.raises(DROPPED):
        post_raw(sim_client, {**GOOD, "agent_id": SALES.agent_id, "to_number": "+14155557301"})
    assert stats(sim) == {"POST /calls/outbound": 1}  # exactly one POST: no retry happened
    calls = since(sim_client, SALES.agent_id, start)["calls"]
    assert [c["to_number"] for c in calls] == ["+14155557301"]
    # the connection pool recovers
    assert sim_client.get("/auth/me").status_code == 200


def test_drop_on_get(sim, sim_client):
    put_faults(sim, {"route": "GET /calls/{call_id}", "kind": "drop_before", "count": 1})
    with pytest.raises(DROPPED):
        sim_client.get(f"/calls/{RECEPTION.agent_id}")
    assert sim_client.get(f"/calls/{RECEPTION.agent_id}").status_code == 404


def test_malformed_json(sim, sim_client):
    start = just_before()
    put_faults(sim, {"route": "POST /calls/outbound", "kind": "malformed_json", "count": 1})
    resp = post_raw(sim_client, {**GOOD, "agent_id": SALES.agent_id, "to_number": "+14155557302"})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    assert resp.content.startswith(b'{"call_id":')
    with pytest.raises(ValueError):
        resp.json()
    # the server did place the call
    assert since(sim_client, SALES.agent_id, start)["total"] == 1


@pytest.mark.parametrize("status", [None, 200])
def test_html_body(sim, sim_client, status):
    put_faults(sim, {"route": "GET /auth/me", "kind": "html", "status": status, "count": 1})
    resp = sim_client.get("/auth/me")
    assert resp.status_code == (status or 502)
    assert resp.headers["content-type"].startswith("text/html")
    assert b"<html>" in resp.content


def test_empty_body(sim, sim_client):
    put_faults(sim, {"route": "GET /auth/me", "kind": "empty_body", "status": 503, "count": 1})
    resp = sim_client.get("/auth/me")
    assert resp.status_code == 503 and resp.content == b""


def test_extra_fields(sim, sim_client):
    call_id = place(sim_client, "+14155557303")["call_id"]
    put_faults(sim, {"route": "*", "kind": "extra_fields"})
    body = sim_client.get(f"/calls/{call_id}").json()
    assert body["x_debug"] and body["new_field"] == 1 and body["call_id"] == call_id
    assert CallStatus.model_validate(body).call_id == call_id
    page = sim_client.get(f"/calls/agent/{RECEPTION.agent_id}/calls", params={"limit": 2}).json()
    assert page["new_field"] == 1 and all(c["new_field"] == 1 for c in page["calls"])
    CallPage.model_validate(page)
    placed = place(sim_client, "+14155557304")
    assert placed["new_field"] == 1 and CallResponse.model_validate(placed).status == "initiated"


def test_slow_body(sim, sim_client):
    start = just_before()
    put_faults(sim, {"route": "POST /calls/outbound", "kind": "slow_body", "seconds": 1.5,
                     "count": 1})
    impatient = httpx.Client(base_url=sim.base_url, headers=sim_client.headers,
                             timeout=httpx.Timeout(5.0, read=0.1))
    with impatient, pytest.raises(httpx.ReadTimeout):
        post_raw(impatient, {**GOOD, "agent_id": SALES.agent_id, "to_number": "+14155557305"})
    # the read timed out, yet the server had already placed the call
    assert since(sim_client, SALES.agent_id, start)["total"] == 1
    # without a tight timeout the whole body arrives intact
    put_faults(sim, {"route": "GET /auth/me", "kind": "slow_body", "seconds": 0.3, "count": 1})
    resp = sim_client.get("/auth/me")
    assert resp.json()["username"] == "demo"


def test_admin_routes_are_never_faulted(sim):
    put_faults(sim, {"route": "*", "kind": "status", "status": 500})
    assert httpx.get(f"{sim.base_url}/_sim/stats").status_code == 200
    assert httpx.get(f"{sim.base_url}/_sim/config").json()["time_scale"] == 50.0


def test_fault_config_object():
    faults = FaultConfig([{"route": "GET /agents", "kind": "status", "count": 2}], seed=1)
    assert faults.pick("GET /auth/me") == (0.0, None)
    latency, rule = faults.pick("GET /agents")
    assert latency == 0.0 and rule is not None and rule.kind == "status"
    faults.pick("GET /agents")
    assert faults.pick("GET /agents") == (0.0, None)
    assert faults.rules == []


def test_faults_from_sim_config(make_sim):
    config = SimConfig(faults=FaultConfig([{"route": "GET /agents", "kind": "status",
                                            "status": 503, "count": 1}]))
    server = make_sim(config)
    headers = {"Authorization": f"Bearer {server.token}"}
    assert httpx.get(f"{server.base_url}/agents", headers=headers).status_code == 503
    assert httpx.get(f"{server.base_url}/agents", headers=headers).status_code == 200


def test_state_errors_are_plain():
    state = SimState(SimConfig())
    with pytest.raises(SimError) as err:
        state.login("demo", "wrong")
    assert err.value.status == 401
