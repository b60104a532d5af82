"""`CallService` (console/calls/) against the real simulator on 127.0.0.1: every outcome of
placing a call, exactly one POST per `place()`, reconciling, end/transfer, and the one audit
record each outcome leaves in a temporary `CALL_CONSOLE_AUDIT_LOG`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from console.account.audit import read_audit
from console.api.client import ApiClient
from console.api.errors import AttemptWindow, Conflict
from console.api.models import OutboundCallRequest, TransferRequest
from console.calls.outcomes import NotAnswered, NotPlaced, Placed, Rejected, Unknown
from console.calls.placement import utc_now
from console.calls.service import CallService
from console.sim.state import DEMO_AGENTS

AGENT = DEMO_AGENTS[2]  # an agent the other API test files do not dial

_numbers = iter(range(10, 9999))


def unique_number() -> str:
    """A number no other test dials, so reconciling finds only this test's calls."""
    return f"+1303555{next(_numbers):04d}"


def request(to: str | None = None, **fields) -> OutboundCallRequest:
    return OutboundCallRequest(agent_id=AGENT.agent_id, to_number=to or unique_number(),
                               **fields)


def arm(sim, *rules) -> None:
    with httpx.Client(base_url=sim.base_url, timeout=5) as admin:
        admin.put("/_sim/faults", json=list(rules)).raise_for_status()


def requests_seen(sim, route: str = "POST /calls/outbound") -> int:
    with httpx.Client(base_url=sim.base_url, timeout=5) as admin:
        counts = admin.get("/_sim/stats").json()
    return counts.get("requests", counts).get(route, 0)


def set_time_scale(sim, scale: float) -> None:
    with httpx.Client(base_url=sim.base_url, timeout=5) as admin:
        admin.post("/_sim/config", json={"time_scale": scale}).raise_for_status()


@pytest.fixture
def audit_log(tmp_path, monkeypatch):
    path = tmp_path / "audit" / "audit.jsonl"
    monkeypatch.setenv("CALL_CONSOLE_AUDIT_LOG", str(path))
    return path


def records(path, kind: str | None = None) -> list[dict]:
    return [r for r in read_audit(path) if kind is None or r["kind"] == kind]


@pytest.fixture
async def client(sim_clean):
    async with ApiClient(sim_clean.base_url, auth=sim_clean.token, retries=0) as api:
        yield api


@pytest.fixture
def service(client):
    return CallService(lambda: client, face="test", environment="staging", operator="ada")


async def wait_until(predicate, what: str, seconds: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


# -- placing: every outcome, one POST each ----------------------------------------------------

async def test_placed_is_one_post_and_one_record(service, sim_clean, audit_log):
    sent = request(from_number=AGENT.caller_ids[0])
    outcome = await service.place(sent, redial_of="c-1")
    assert isinstance(outcome, Placed) and outcome.kind == "placed"
    assert outcome.request is sent and outcome.call.to_number == sent.to_number
    assert requests_seen(sim_clean) == 1
    [record] = records(audit_log)
    assert record["kind"] == "call_placed" and record["call_id"] == outcome.call.call_id
    assert (record["face"], record["env"], record["operator"], record["via"]) == (
        "test", "staging", "ada", "send")
    assert (record["agent_id"], record["to_number"], record["from_number"]) == (
        AGENT.agent_id, sent.to_number, AGENT.caller_ids[0])
    assert record["redial_of"] == "c-1"          # the caller's context is in the record


async def test_422_is_rejected_with_the_fields_and_audited(service, sim_clean, audit_log):
    outcome = await service.place(request(from_number="+14155559999"))   # not the agent's
    assert isinstance(outcome, Rejected)
    assert [e.field for e in outcome.error.entries] == ["from_number"]
    assert requests_seen(sim_clean) == 1
    [record] = records(audit_log)
    assert record["kind"] == "call_rejected" and record["status_code"] == 422
    assert "from_number" in record["message"] and "call_id" not in record


@pytest.mark.parametrize("status", [409, 429, 500, 503])
async def test_other_answers_are_not_placed_never_retried_and_audited(
        service, sim_clean, audit_log, status):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "status", "status": status,
                    "retry_after": "1"})
    outcome = await service.place(request())
    assert isinstance(outcome, NotPlaced) and outcome.error.status_code == status
    assert requests_seen(sim_clean) == 1
    [record] = records(audit_log)
    assert (record["kind"], record["status_code"]) == ("call_not_placed", status)


async def test_unreachable_api_is_not_placed(audit_log):
    async with ApiClient("http://127.0.0.1:9", auth="t", retries=0) as api:
        outcome = await CallService(lambda: api, face="test").place(request())
    assert isinstance(outcome, NotPlaced) and outcome.error.status_code is None
    assert "nothing was sent" in outcome.error.message
    assert [r["kind"] for r in records(audit_log)] == ["call_not_placed"]


async def test_408_not_answered_finds_the_dialled_call(service, sim_clean, audit_log):
    sent = request(to="+13035550002", wait_until_answered=True, ringing_timeout_seconds=2)
    outcome = await service.place(sent)
    assert isinstance(outcome, NotAnswered) and outcome.error.status_code == 408
    assert "no-answer" in outcome.error.message
    assert outcome.found is not None and outcome.found.to_number == sent.to_number
    assert requests_seen(sim_clean) == 1
    [record] = records(audit_log)
    # a dialled call: audited as placed, saying how it ended
    assert (record["kind"], record["via"], record["status_code"], record["call_id"]) == (
        "call_placed", "not-answered", 408, outcome.found.call_id)


async def test_408_whose_call_is_not_in_the_list(service, sim_clean, audit_log):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "status", "status": 408,
                    "count": 1})              # answered by the fault: no call was created
    outcome = await service.place(request(wait_until_answered=True))
    assert isinstance(outcome, NotAnswered) and outcome.found is None
    [record] = records(audit_log)
    assert (record["kind"], record["found"]) == ("call_not_answered", False)


async def test_answer_lost_after_sending_is_unknown_never_resent_and_reconciled(
        service, sim_clean, audit_log):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
    sent = request()
    outcome = await service.place(sent)
    assert isinstance(outcome, Unknown) and outcome.kind == "unknown"
    assert outcome.error is not None and "not sent again" in str(outcome.error)
    assert outcome.window.to_number == sent.to_number
    assert requests_seen(sim_clean) == 1
    [unknown] = records(audit_log)
    assert unknown["kind"] == "call_outcome_unknown" and unknown["cause"]
    assert unknown["sent_at"] <= unknown["gave_up_at"]

    found = await service.reconcile(outcome.window)
    assert found.error is None and found.found is not None
    assert found.found.to_number == sent.to_number
    assert requests_seen(sim_clean) == 1                 # reconciling never resends
    reconciled = records(audit_log, "call_reconciled")
    assert [(r["matches"], r["call_id"]) for r in reconciled] == [(1, found.found.call_id)]


async def test_request_lost_before_processing_reconciles_to_nothing(service, sim_clean,
                                                                    audit_log):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "drop_before", "count": 1})
    outcome = await service.place(request())
    assert isinstance(outcome, Unknown)
    found = await service.reconcile(outcome.window)
    assert found.matches == () and found.found is None and found.error is None
    assert [(r["kind"], r.get("matches")) for r in records(audit_log)] == [
        ("call_outcome_unknown", None), ("call_reconciled", 0)]


async def test_two_matches_are_left_to_the_operator(service, client, sim_clean, audit_log):
    number = unique_number()
    sent_at = utc_now() - timedelta(seconds=1)
    first = await client.place_call(request(to=number))
    second = await client.place_call(request(to=number))
    window = AttemptWindow(agent_id=AGENT.agent_id, to_number=number, from_number=None,
                           sent_at=sent_at, gave_up_at=utc_now())
    found = await service.reconcile(window)
    assert {c.call_id for c in found.matches} == {first.call_id, second.call_id}
    assert found.found is None                             # more than one: nobody guesses
    await service.chosen(window, found.matches[1])
    assert [(r.get("matches"), r["call_id"], r.get("chosen")) for r in records(audit_log)] == [
        (2, None, None), (None, found.matches[1].call_id, True)]


async def test_a_list_that_cannot_be_read_leaves_it_unknown(service, sim_clean, audit_log):
    arm(sim_clean, {"route": "GET /calls/agent/{agent_id}/calls", "kind": "status",
                    "status": 500})
    window = AttemptWindow(agent_id=AGENT.agent_id, to_number=unique_number(),
                           from_number=None, sent_at=utc_now(), gave_up_at=utc_now())
    found = await service.reconcile(window)
    assert found.error is not None and found.error.status_code == 500
    assert found.found is None and records(audit_log) == []   # nothing learnt, nothing said


async def test_cancelled_place_is_audited_as_unknown(service, sim_clean, audit_log):
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "latency", "seconds": 30})
    task = asyncio.create_task(service.place(request()))
    await wait_until(lambda: requests_seen(sim_clean) == 1, "the POST to arrive")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: records(audit_log), "the audit record")
    [record] = records(audit_log)
    assert (record["kind"], record["cause"]) == ("call_outcome_unknown", "stopped waiting")
    assert requests_seen(sim_clean) == 1


async def test_follow_ringing_finds_the_call_a_waiting_post_dialled(service, sim_clean,
                                                                     audit_log):
    set_time_scale(sim_clean, 1.0)                          # rings for 80 real seconds
    # …0002 never answers; its own area code, so no other test's call matches it
    sent = request(to="+17205550002", wait_until_answered=True)
    attempt = service.begin(sent)
    task = asyncio.create_task(service.place(sent, attempt))
    follow = asyncio.create_task(service.follow_ringing(attempt, lambda: not task.done()))
    try:
        await wait_until(lambda: attempt.call_id is not None, "the ringing call")
        assert attempt.status in ("initiated", "ringing")
    finally:
        task.cancel()
        await asyncio.gather(task, follow, return_exceptions=True)
    assert follow.done() and requests_seen(sim_clean) == 1
    assert [r["kind"] for r in records(audit_log)] == ["call_outcome_unknown"]
    await service.end(attempt.call_id)                      # the test hangs up


async def test_an_audit_log_that_cannot_be_written_never_fails_the_call(client, sim_clean,
                                                                       tmp_path, monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_AUDIT_LOG", str(tmp_path))   # a directory: not writable
    failed: list[str] = []
    service = CallService(lambda: client, face="test", on_audit_failed=failed.append)
    outcome = await service.place(request())
    assert isinstance(outcome, Placed)
    assert failed == ["call_placed"]


# -- acting on a call ---------------------------------------------------------------------------

async def test_end_done_then_refused(service, sim_clean, audit_log):
    placed = await service.place(request(to="+13035550004"))     # a long call
    ended = await service.end(placed.call.call_id)
    assert ended.done and not ended.refused and ended.status == "ended"
    again = await service.end(placed.call.call_id)
    assert not again.done and again.refused and isinstance(again.error, Conflict)
    assert requests_seen(sim_clean, "POST /calls/{call_id}/end") == 2
    assert [(r["kind"], r["call_id"], r.get("status"), r.get("status_code"))
            for r in records(audit_log)][1:] == [
        ("call_ended", placed.call.call_id, "ended", None),
        ("call_end_failed", placed.call.call_id, None, 409)]   # who tried, even when refused


async def test_transfer_done_then_refused(service, sim_clean, audit_log):
    placed = await service.place(request(to="+13035550004", wait_until_answered=True))
    assert placed.call.status == "answered"
    target = TransferRequest(transfer_to="tel:+14155550123", transfer_type="warm")
    moved = await service.transfer(placed.call.call_id, target)
    assert moved.done and moved.status == "transferring"
    assert (moved.target, moved.transfer_type) == ("tel:+14155550123", "warm")
    await service.end(placed.call.call_id)
    refused = await service.transfer(placed.call.call_id, target)
    assert refused.refused and refused.target == "tel:+14155550123"
    kinds = [(r["kind"], r.get("transfer_to"), r.get("transfer_type"))
             for r in records(audit_log)]
    assert kinds == [("call_placed", None, None), ("call_transferred", "tel:+14155550123", "warm"),
                     ("call_ended", None, None),
                     ("call_transfer_failed", "tel:+14155550123", "warm")]


# -- the CLI places, ends and transfers through the service -------------------------------------

def test_cli_attempts_are_audited_with_the_cli_face(sim_clean, audit_log):
    from test_cli import cli

    env = {"CALL_CONSOLE_AUDIT_LOG": str(audit_log), "CALL_CONSOLE_OPERATOR": "cron"}
    agent = ("--agent", AGENT.agent_id)
    arm(sim_clean, {"route": "POST /calls/outbound", "kind": "drop_after", "count": 1})
    lost = cli(sim_clean, "call", "place", *agent, "--to", unique_number(), env=env)
    assert lost.returncode == 3 and "not sent again" in lost.stderr
    refused = cli(sim_clean, "call", "place", *agent, "--to", unique_number(),
                  "--from", "+14155559999", env=env)
    assert refused.returncode == 1 and "--from: " in refused.stderr
    placed = cli(sim_clean, "call", "place", *agent, "--to", "+13035550004", "--json", env=env)
    assert placed.returncode == 0, placed.stderr
    call_id = json.loads(placed.stdout)["call_id"]
    ended = cli(sim_clean, "call", "end", call_id, "--json", env=env)
    assert ended.returncode == 0 and json.loads(ended.stdout)["status"] == "ended"
    again = cli(sim_clean, "call", "transfer", call_id, "--to", "+14155550123", env=env)
    assert again.returncode == 1 and "409" in again.stderr
    assert requests_seen(sim_clean) == 3
    assert [(r["kind"], r["face"], r["operator"]) for r in records(audit_log)] == [
        ("call_outcome_unknown", "cli", "cron"), ("call_rejected", "cli", "cron"),
        ("call_placed", "cli", "cron"), ("call_ended", "cli", "cron"),
        ("call_transfer_failed", "cli", "cron")]
    assert records(audit_log, "call_ended")[0]["call_id"] == call_id
