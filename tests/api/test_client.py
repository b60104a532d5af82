"""The API client against the real simulator over loopback HTTP."""

from __future__ import annotations

import socket

import httpx
import pytest

from console.api import errors
from console.api.client import ApiClient
from console.api.models import OutboundCallRequest, TransferRequest
from console.sim.state import DEMO_AGENTS, DEMO_TENANT_ID
from waiting import wait_until

AGENT = DEMO_AGENTS[0]


def arm(sim, *rules):
    with httpx.Client(base_url=sim.base_url) as admin:
        admin.put("/_sim/faults", json=list(rules)).raise_for_status()


def stats(sim) -> dict:
    with httpx.Client(base_url=sim.base_url) as admin:
        return admin.get("/_sim/stats").json()


def posts_seen(sim) -> int:
    counts = stats(sim)
    counts = counts.get("requests", counts)
    return counts.get("POST /calls/outbound", 0)


_numbers = iter(range(10, 9999))


def unique_number() -> str:
    """A number no other test dials, so reconciling finds only this test's call."""
    return f"+1202555{next(_numbers):04d}"


def request(to="+14155550000", **fields) -> OutboundCallRequest:
    return OutboundCallRequest(agent_id=AGENT.agent_id, to_number=to, **fields)


@pytest.fixture
async def client(sim_clean):
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token, retries=0) as api:
        yield api


async def wait_for(client, call_id, predicate, *, seconds=20.0):
    """The call, once `predicate(call)` holds (read from the API every 0.1 s)."""
    async def check():
        call = await client.get_call(call_id)
        return call if predicate(call) else None

    return await wait_until(check, f"call {call_id} to change", seconds, interval=0.1)


async def test_place_get_and_finish_with_late_fields(client):
    placed = await client.place_call(request())
    assert placed.status == "initiated" and placed.direction == "outbound"
    assert placed.from_number == AGENT.caller_ids[0]
    call = await wait_for(client, placed.call_id,
                          lambda c: c.is_terminal and c.duration_seconds is not None)
    assert call.status == "ended" and call.disposition == "completed"
    assert call.recording_url and call.tenant_id == DEMO_TENANT_ID


async def test_list_routes_and_pagination(client):
    placed = [await client.place_call(request(to=f"+1415555{n:04d}")) for n in (0, 3, 4)]
    page = await client.list_calls(AGENT.agent_id, limit=2)
    assert len(page.calls) == 2 and page.total is not None and page.total >= 3
    ids = [c.call_id async for c in client.iter_calls(AGENT.agent_id, page_size=2)]
    assert {p.call_id for p in placed} <= set(ids)
    assert len(ids) == len(set(ids))


async def test_422_for_each_constrained_field_maps_to_its_path(client):
    bad = {
        "priority": "URGENT", "media_encryption": "none", "ringing_timeout_seconds": 81,
        "max_call_duration_seconds": 59, "display_name": "x" * 129, "to_number": "12",
        "from_number": "+14155559999",  # valid E.164 but not registered for the agent
    }
    for field, value in bad.items():
        body = request().to_json_body() | {field: value}
        with pytest.raises(errors.ValidationFailed) as err:
            await client.place_call(body)
        assert [e.field for e in err.value.entries] == [field], field
    body = request().to_json_body() | {"custom_headers": {"X-Ok": "1", "Via": "x"}}
    with pytest.raises(errors.ValidationFailed) as err:
        await client.place_call(body)
    assert err.value.entries[0].path[:2] == ("custom_headers", "Via")
    with pytest.raises(errors.ValidationFailed) as err:
        await client.place_call(request().to_json_body() | {"agent_id": "nope"})
    assert err.value.entries[0].field == "agent_id"


async def test_end_transfer_and_conflicts(client):
    placed = await client.place_call(request(to="+14155550004"))
    with pytest.raises(errors.Conflict):
        await client.transfer_call(placed.call_id, TransferRequest(transfer_to="tel:+14155550123"))
    await wait_for(client, placed.call_id, lambda c: c.status == "answered")
    result = await client.transfer_call(
        placed.call_id, TransferRequest(transfer_to="sip:desk@pbx.example.com", transfer_type="warm"))
    assert result.status == "transferring"
    seen = await client.get_call(placed.call_id)
    assert seen.status in ("transferring", "answered")  # an unknown status string, kept verbatim
    ended = await client.end_call(placed.call_id)
    assert ended.status == "ended"
    with pytest.raises(errors.Conflict):
        await client.end_call(placed.call_id)


async def test_not_found_and_malformed_ids(client):
    with pytest.raises(errors.NotFound):
        await client.get_call("00000000-0000-4000-8000-000000000000")
    with pytest.raises(errors.ValidationFailed):
        await client.get_call("not-a-uuid")


async def test_auth_me_quota_and_agents(sim_clean):
    async with ApiClient(sim_clean.base_url, retries=0) as anonymous:
        with pytest.raises(errors.AuthRequired):
            await anonymous.get_quota(DEMO_TENANT_ID)
        with pytest.raises(errors.AuthRequired):
            await anonymous.login("demo", "wrong")
        tokens = await anonymous.login("demo", "demo")
        rotated = await anonymous.refresh(tokens.refresh_token)
        assert rotated.refresh_token != tokens.refresh_token
        with pytest.raises(errors.AuthRequired):
            await anonymous.refresh(tokens.refresh_token)  # rotation: the old one is spent
    async with ApiClient(sim_clean.base_url, auth=rotated.access_token) as api:
        me = await api.me()
        assert me.username == "demo" and me.owner_id == DEMO_TENANT_ID
        quota = await api.get_quota(me.owner_id)
        assert quota.max_concurrent_calls and quota.tenant_id == DEMO_TENANT_ID
        agents = await api.probe_agents()
        assert [a.agent_id for a in agents] == [a.agent_id for a in DEMO_AGENTS]


async def test_concurrency_cap_is_rate_limited_with_retry_after(make_sim):
    from console.sim.state import SimConfig

    private = make_sim(SimConfig(max_concurrent_calls=1))
    async with ApiClient(private.base_url, auth=private.token) as api:
        await api.place_call(request(to="+14155550004"))
        with pytest.raises(errors.RateLimited) as err:
            await api.place_call(request(to="+14155550004"))
    assert err.value.retry_after == 5.0


@pytest.mark.parametrize("rule,kind", [
    ({"kind": "status", "status": 500}, errors.ServerError),
    ({"kind": "status", "status": 503, "retry_after": "3"}, errors.ServerError),
    ({"kind": "status", "status": 429, "retry_after": "4"}, errors.RateLimited),
    ({"kind": "html", "status": 502}, errors.ServerError),
    ({"kind": "empty_body", "status": 500}, errors.ServerError),
    ({"kind": "malformed_json"}, errors.BadResponse),
    ({"kind": "html", "status": 200}, errors.BadResponse),
    ({"kind": "drop_before"}, errors.NetworkError),
    ({"kind": "drop_after"}, errors.NetworkError),
])
async def test_get_faults_become_typed_errors(client, sim_clean, rule, kind):
    placed = await client.place_call(request(to="+14155550004"))
    arm(sim_clean, {"route": "GET /calls/{call_id}", **rule})
    with pytest.raises(kind) as err:
        await client.get_call(placed.call_id)
    if rule.get("retry_after"):
        assert err.value.retry_after == float(rule["retry_after"])
    arm(sim_clean)
    assert (await client.get_call(placed.call_id)).call_id == placed.call_id  # still answering


async def test_extra_fields_never_break_parsing(client, sim_clean):
    placed = await client.place_call(request(to="+14155550004"))
    arm(sim_clean, {"route": "*", "kind": "extra_fields"})
    call = await client.get_call(placed.call_id)
    assert call.model_extra
    page = await client.list_calls(AGENT.agent_id, limit=5)
    assert page.calls


async def test_get_retries_with_backoff_then_succeeds(sim_clean):
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token, retries=2, backoff=0.01) as api:
        placed = await api.place_call(request(to="+14155550004"))
        arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 500, "count": 2})
        assert (await api.get_call(placed.call_id)).call_id == placed.call_id


async def test_post_is_never_retried_on_server_errors(client, sim_clean):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "status", "status": 503,
                    "retry_after": "1"})
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token, retries=5) as api:
        with pytest.raises(errors.ServerError):
            await api.place_call(request())
    assert posts_seen(sim_clean) == 1


async def test_dropped_after_sending_is_outcome_unknown_and_reconciled(client, sim_clean):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
    number = unique_number()
    with pytest.raises(errors.OutcomeUnknown) as err:
        await client.place_call(request(to=number))
    assert posts_seen(sim_clean) == 1
    window = err.value.window
    assert window.to_number == number and window.agent_id == AGENT.agent_id
    matches = await client.find_attempt(window)
    assert [m.to_number for m in matches] == [number]


async def test_dropped_before_processing_reconciles_to_nothing(client, sim_clean):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "drop_before", "count": 1})
    with pytest.raises(errors.OutcomeUnknown) as err:
        await client.place_call(request(to=unique_number()))
    assert posts_seen(sim_clean) == 1
    assert await client.find_attempt(err.value.window) == []


async def test_malformed_success_body_is_outcome_unknown(client, sim_clean):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "malformed_json", "count": 1})
    with pytest.raises(errors.OutcomeUnknown) as err:
        await client.place_call(request(to=unique_number()))
    assert "unreadable" in err.value.cause
    assert len(await client.find_attempt(err.value.window)) == 1


async def test_trickling_answer_hits_the_deadline_and_is_outcome_unknown(sim_clean):
    from console.api.client import Timeouts

    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "slow_body", "seconds": 3, "count": 1})
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token,
                         timeouts=Timeouts(place=0.5)) as api:
        with pytest.raises(errors.OutcomeUnknown) as err:
            await api.place_call(request(to=unique_number()))
    assert "0.5 s" in err.value.cause
    assert posts_seen(sim_clean) == 1


async def test_refused_connection_is_safe_to_retry():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nothing listens there
    async with ApiClient(f"http://127.0.0.1:{port}", auth="t") as api:
        with pytest.raises(errors.ConnectionFailed) as err:
            await api.place_call(request())
    assert "nothing was sent" in str(err.value)


async def test_wait_until_answered(client, sim_clean):
    answered = await client.place_call(request(wait_until_answered=True))
    assert answered.status == "answered"
    with pytest.raises(errors.ApiError) as err:
        await client.place_call(request(to="+14155550002", wait_until_answered=True,
                                        ringing_timeout_seconds=2))
    assert err.value.status_code == 408 and "no-answer" in str(err.value)


@pytest.mark.parametrize("shape", ["list", "items", "data"])
async def test_other_list_shapes(shape):
    call = {"call_id": "c1", "agent_id": "a", "to_number": "+1", "status": "ringing"}
    payload = {"list": [call], "items": {"items": [call]}, "data": {"data": [call], "count": 1}}
    transport = httpx.MockTransport(lambda req: httpx.Response(200, json=payload[shape]))
    async with ApiClient("http://127.0.0.1:1", auth="t", transport=transport) as api:
        page = await api.list_calls("a")
    assert [c.call_id for c in page.calls] == ["c1"]
