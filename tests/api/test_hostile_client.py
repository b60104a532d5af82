"""A hostile or broken server against the API client, over loopback HTTP to the simulator:
huge answers are refused at a size cap with memory bounded, every request has an overall
deadline, `Retry-After` is capped (the asked value kept), and server text in errors is safe.

Nothing here asserts how long anything took: a request that would hang is bounded by a
`wait_for` deadline, so old code fails instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import unicodedata

import httpx
import pytest
from memory import peak_growth
from test_client import arm, posts_seen, request, stats, unique_number

from console.api import errors
from console.api.client import MAX_RETRY_AFTER, ApiClient, Timeouts
from console.api.models import TransferRequest
from console.sim.faults import ESCAPES
from console.sim.state import DEMO_AGENTS, DEMO_TENANT_ID
from console.tracker import CallTracker, PollPolicy

AGENT = DEMO_AGENTS[0]
NO_SUCH_CALL = "00000000-0000-4000-8000-00000000dead"
FIFTY_MB = 50_000_000
#: Growth of the process's peak memory allowed while a 50 MB answer is refused (a few MB
#: here). Reading it whole grew it by about 150 MB (bytes, text, parsed dict, model).
RSS_BOUND_MB = 100
#: Generous bound on a request that must end by itself (the client's deadline is 1 s here).
GUARD = 30.0


def controls(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]


@pytest.fixture
async def client(sim_clean):
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token, retries=2, backoff=0.01,
                         timeouts=Timeouts(request=1.0)) as api:
        yield api


# -- the simulator's hostile faults ---------------------------------------------------------------

def test_huge_body_is_the_real_json_padded_and_sent_chunked(sim_clean, sim_client):
    placed = sim_client.post("/calls/outbound", json={"agent_id": AGENT.agent_id,
                                                      "to_number": "+14155550004"}).json()
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "huge_body", "size": 3_000_000,
                    "count": 1})
    response = sim_client.get(f"/calls/{placed['call_id']}")
    assert "content-length" not in response.headers
    assert len(response.content) == 3_000_000
    body = response.json()
    assert body["call_id"] == placed["call_id"] and len(body["x_padding"]) > 2_999_000


def test_escape_strings_spares_ids_and_times(sim_clean, sim_client):
    placed = sim_client.post("/calls/outbound", json={"agent_id": AGENT.agent_id,
                                                      "to_number": "+14155550004"}).json()
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "escape_strings",
                    "text": "\x1b[5m"})
    body = sim_client.get(f"/calls/{placed['call_id']}").json()
    assert body["call_id"] == placed["call_id"] and not body["started_at"].endswith("m")
    assert body["status"].endswith("\x1b[5m") and body["direction"] == "outbound\x1b[5m"


# -- huge answers ---------------------------------------------------------------------------------

async def test_a_50_mb_call_is_refused_at_the_cap_and_memory_stays_bounded(client, sim_clean):
    placed = await client.place_call(request(to="+14155550004"))
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "huge_body", "size": FIFTY_MB})
    with peak_growth() as growth, pytest.raises(errors.BadResponse) as err:
        await asyncio.wait_for(client.get_call(placed.call_id), GUARD)
    assert "answer larger than 1 MiB" in str(err.value)
    assert f"GET /calls/{placed.call_id}" in str(err.value)
    assert growth["mb"] < RSS_BOUND_MB, growth


async def test_a_gzip_bomb_is_decompressed_only_up_to_the_cap(sim_clean):
    """200 MB of JSON in a 200 KB gzip body: httpx inflated each 64 KiB network chunk whole
    before any cap on the decoded size acted (+130 MB here). The deadline is long: the
    simulator spends about a second compressing the bomb."""
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token, retries=0,
                         timeouts=Timeouts(request=30.0)) as client:
        placed = await client.place_call(request(to="+14155550004"))
        arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "gzip_bomb",
                        "size": 200_000_000})
        with peak_growth() as growth, pytest.raises(errors.BadResponse) as err:
            await asyncio.wait_for(client.get_call(placed.call_id), 60)
    assert "answer larger than 1 MiB" in str(err.value)
    assert growth["mb"] < RSS_BOUND_MB, growth


async def test_a_gzipped_answer_under_the_cap_is_read_whole(client, sim_clean):
    placed = await client.place_call(request(to="+14155550004"))
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "gzip_bomb", "size": 900_000,
                    "count": 1})
    call = await asyncio.wait_for(client.get_call(placed.call_id), GUARD)
    assert call.call_id == placed.call_id


async def test_a_body_that_does_not_decompress_is_a_transport_error():
    """A gzip header over bytes that are not gzip (a fault the simulator's real gzip cannot
    make): the POST's outcome is unknown (never resent), a GET a network error."""
    sent: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(f"{req.method} {req.url.path}")
        return httpx.Response(200, headers={"content-encoding": "gzip"},
                              stream=httpx.ByteStream(b"not gzip at all"))

    async with ApiClient("http://127.0.0.1:9", auth="t", retries=0,
                         transport=httpx.MockTransport(handler)) as api:
        with pytest.raises(errors.OutcomeUnknown) as unknown:
            await api.place_call(request(to="+14155550004"))
        with pytest.raises(errors.NetworkError) as network:
            await api.get_call("3c90c3cc-0d44-4b50-8888-8dd25736052a")
    assert "gzip body does not decode" in str(unknown.value)
    assert "gzip body does not decode" in str(network.value)
    assert sent.count("POST /calls/outbound") == 1


async def test_a_50_mb_list_page_is_refused_at_the_list_cap(client, sim_clean):
    arm(sim_clean, {"route": "GET /calls/agent/{agent_id}/calls", "kind": "huge_body",
                    "size": FIFTY_MB})
    with peak_growth() as growth, pytest.raises(errors.BadResponse) as err:
        await asyncio.wait_for(client.list_calls(AGENT.agent_id), GUARD)
    assert "answer larger than 16 MiB" in str(err.value)
    assert growth["mb"] < RSS_BOUND_MB, growth


async def test_a_huge_answer_to_the_post_is_an_unknown_outcome_never_resent(client, sim_clean):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "huge_body", "size": 5_000_000,
                    "count": 1})
    number = unique_number()
    with pytest.raises(errors.OutcomeUnknown) as err:
        await asyncio.wait_for(client.place_call(request(to=number)), GUARD)
    assert "larger than 1 MiB" in err.value.cause
    assert posts_seen(sim_clean) == 1
    assert [c.to_number for c in await client.find_attempt(err.value.window)] == [number]


async def test_a_huge_error_body_keeps_its_status(client, sim_clean):
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "huge_body", "size": 5_000_000})
    with pytest.raises(errors.NotFound) as err:
        await asyncio.wait_for(client.get_call(NO_SUCH_CALL), GUARD)
    assert err.value.detail == "an error body larger than 1 MiB (not read)"


# -- deadlines ------------------------------------------------------------------------------------

REQUESTS = {
    "GET /calls/{call_id}": lambda api: api.get_call(NO_SUCH_CALL),
    "GET /calls/agent/{agent_id}/calls": lambda api: api.list_calls(AGENT.agent_id),
    "POST /calls/{call_id}/end": lambda api: api.end_call(NO_SUCH_CALL),
    "POST /calls/{call_id}/transfer": lambda api: api.transfer_call(
        NO_SUCH_CALL, TransferRequest(transfer_to="tel:+14155550000")),
    "GET /analytics/tenants/{tenant_id}/quota": lambda api: api.get_quota(DEMO_TENANT_ID),
    "GET /auth/me": lambda api: api.me(),
    "GET /agents": lambda api: api.probe_agents(),
    "POST /auth/token": lambda api: api.login("nobody", "wrong"),
    "POST /auth/refresh": lambda api: api.refresh("not-a-refresh-token"),
}


@pytest.mark.parametrize("route", list(REQUESTS))
async def test_a_dripping_server_hits_the_overall_deadline_of_every_request(
        client, sim_clean, route):
    # One byte every half second: the read timeout (15 s) never fires, the answer never ends.
    arm(sim_clean, {"route": route, "kind": "drip", "seconds": 0.5})
    with pytest.raises(errors.DeadlineExceeded) as err:
        await asyncio.wait_for(REQUESTS[route](client), GUARD)
    assert "no complete answer within 1 s" in str(err.value)
    method = route.split()[0]
    assert str(err.value).startswith(method + " /")
    counts = stats(sim_clean)
    assert counts.get("requests", counts)[route] == 1  # a deadline is not retried


def test_the_default_deadline_leaves_a_full_read_timeout_of_slack():
    assert Timeouts().total == 35.0
    assert Timeouts(connect=1, read=1).total == 3.0
    assert Timeouts(request=2.5).total == 2.5


# -- Retry-After ----------------------------------------------------------------------------------

async def test_a_retry_after_of_an_hour_is_capped_and_not_waited_by_get_retries(
        client, sim_clean):
    waits: list[tuple[float, float | None]] = []
    client.on_wait = lambda seconds, asked: waits.append((seconds, asked))
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 429,
                    "retry_after": "3600"})
    with pytest.raises(errors.RateLimited) as err:
        await asyncio.wait_for(client.get_call(NO_SUCH_CALL), GUARD)
    assert err.value.retry_after == MAX_RETRY_AFTER == 60.0
    assert err.value.retry_after_asked == 3600.0
    assert waits == []
    counts = stats(sim_clean)
    assert counts.get("requests", counts)["GET /calls/{call_id}"] == 1


async def test_a_get_retry_says_it_waits_on_retry_after(client, sim_clean):
    placed = await client.place_call(request(to="+14155550004"))
    waits: list[tuple[float, float | None]] = []
    client.on_wait = lambda seconds, asked: waits.append((seconds, asked))
    arm(sim_clean, {"route": "GET /calls/{call_id}", "kind": "status", "status": 503,
                    "retry_after": "1", "count": 1})
    call = await asyncio.wait_for(client.get_call(placed.call_id), GUARD)
    assert call.call_id == placed.call_id
    assert waits == [(1.0, 1.0)]


async def test_the_tracker_pauses_for_the_capped_retry_after(sim_clean):
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token) as api:
        placed = await api.place_call(request(to="+14155550004"))
        tracker = CallTracker(lambda: api, policy=PollPolicy().scaled(0.25))
        tracker.track(placed, request(to="+14155550004"), "ann")
        arm(sim_clean,
            {"route": "GET /calls/{call_id}", "kind": "status", "status": 429,
             "retry_after": "3600"},
            {"route": "GET /calls/agent/{agent_id}/calls", "kind": "status", "status": 429,
             "retry_after": "3600"})
        await tracker.start()
        try:
            deadline = asyncio.get_running_loop().time() + GUARD
            while tracker.backoff_until is None:
                assert asyncio.get_running_loop().time() < deadline, "no pause"
                await asyncio.sleep(0.05)
            pause = tracker.backoff_until - tracker.clock.now()
            assert 30.0 < pause <= MAX_RETRY_AFTER
        finally:
            await tracker.stop()


# -- server text ----------------------------------------------------------------------------------

async def test_server_strings_arrive_as_sent_and_error_text_is_made_visible(client, sim_clean):
    placed = await client.place_call(request(to="+14155550004"))
    arm(sim_clean, {"route": "*", "kind": "escape_strings"})
    call = await client.get_call(placed.call_id)
    assert call.status.endswith(ESCAPES) and call.to_number.endswith(ESCAPES)  # as received
    assert call.call_id == placed.call_id                                       # ids untouched
    with pytest.raises(errors.NotFound) as err:
        await client.get_call(NO_SUCH_CALL)
    assert "\\x1b[2J" in err.value.message and "\\u202e" in err.value.detail
    assert controls(err.value.message) == [] and controls(str(err.value)) == []
    assert controls(err.value.detail) == []


def test_422_entries_from_a_hostile_server_are_display_safe():
    from console.api.client import error_for

    body = {"detail": [{"loc": ["body", "to_number\x1b[2J"], "msg": "bad\x1b]0;x\x07\u202e",
                        "type": "value_error"}] * 500}
    error = error_for(httpx.Response(422, json=body))
    assert isinstance(error, errors.ValidationFailed)
    assert len(error.entries) == 100
    entry = error.entries[0]
    assert entry.msg == "bad\\x1b]0;x\\x07\\u202e" and entry.path == ("to_number\\x1b[2J",)
    assert controls(error.message) == [] and len(error.message) < 2100


async def test_identity_and_agent_names_are_display_safe(client, sim_clean):
    arm(sim_clean, {"route": "GET /auth/me", "kind": "escape_strings"},
        {"route": "GET /agents", "kind": "escape_strings"})
    me = await client.me()
    agents = await client.probe_agents()
    assert me.username.endswith("\\u202eevil") and controls(me.username + me.role) == []
    assert agents and all(controls(a.name or "") == [] for a in agents)
    assert all(controls(n.number) == [] for a in agents for n in a.phone_numbers)
    assert {a.agent_id for a in agents} == {a.agent_id for a in DEMO_AGENTS}  # ids untouched


async def test_a_7_kb_server_message_is_cut_in_the_error_and_whole_in_the_log(caplog):
    """The error (CLI line, TUI toast) shows 200 characters; the rest of a long message is in
    the log, made visible, never lost. (A mock transport: the simulator's messages are short.)"""
    words = " ".join(f"word{i}" for i in range(1200))  # ~7.9 KB
    message = words + " \x1b[2Jthe end"

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"detail": message})

    async with ApiClient("http://api.test", auth="tok",
                         transport=httpx.MockTransport(handler)) as api:
        with caplog.at_level("WARNING", logger="console.api"), \
                pytest.raises(errors.ServerError) as err:
            await api.get_call(NO_SUCH_CALL, retries=0)
    assert len(err.value.detail) <= 200 and err.value.detail.startswith("word0 word1")
    logged = [r.getMessage() for r in caplog.records if "whole message" in r.getMessage()]
    assert len(logged) == 1 and "word1199" in logged[0] and logged[0].endswith("the end")
    assert "\x1b" not in logged[0]
