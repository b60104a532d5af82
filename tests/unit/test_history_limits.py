"""What the call history stores per call is bounded, whatever the server sent; server strings
are stored as received (escape codes included)."""

from __future__ import annotations

import json

from console.api.models import CallResponse, CallStatus
from console.store.history import (
    DROPPED_FIELDS_KEY,
    STORED_REQUEST_LIMIT,
    STORED_STATUS_LIMIT,
    STORED_STRING_LIMIT,
    CallStore,
)

AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"
HOSTILE = "ringing\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e"


def status(call_id: str = "c1", **extra) -> CallStatus:
    return CallStatus(call_id=call_id, agent_id=AGENT, to_number="+14155550000",
                      status=extra.pop("state", "ringing"), started_at="2026-11-25T17:00:00Z",
                      **extra)


def stored_json(store: CallStore, call_id: str = "c1") -> str:
    stored = store.get(call_id)
    assert stored is not None and stored.last_json is not None
    return stored.last_json


def test_server_strings_are_stored_as_received(tmp_path):
    with CallStore(tmp_path / "h.db") as store:
        store.record_status(status(state=HOSTILE, disposition="busy\x1b[31m"))
        stored = store.get("c1")
        assert stored.status == HOSTILE
        assert stored.last.status == HOSTILE and stored.last.disposition == "busy\x1b[31m"
        assert [s for _, s in store.timeline("c1")] == [HOSTILE]


def test_a_huge_field_is_clipped_in_the_stored_status(tmp_path):
    with CallStore(tmp_path / "h.db") as store:
        store.record_status(status(x_padding="x" * 5_000_000, note="short"))
        text = stored_json(store)
        assert len(text) < STORED_STATUS_LIMIT
        data = json.loads(text)
        assert data["x_padding"] == "x" * STORED_STRING_LIMIT + "… (4995904 more characters)"
        assert data["note"] == "short" and data["status"] == "ringing"
        assert store.get("c1").last.status == "ringing"  # still a readable status


def test_thousands_of_extra_fields_are_dropped_past_the_total(tmp_path):
    many = {f"x_field_{n}": "v" * 100 for n in range(5000)}
    with CallStore(tmp_path / "h.db") as store:
        store.record_status(status(disposition="busy", state="failed", **many))
        text = stored_json(store)
        assert len(text) <= STORED_STATUS_LIMIT
        data = json.loads(text)
        assert data[DROPPED_FIELDS_KEY] == 5000
        assert data["status"] == "failed" and data["disposition"] == "busy"
        assert store.get("c1").is_terminal


def test_a_small_status_is_stored_exactly(tmp_path):
    call = status(x_debug={"node": "sim-1"})
    with CallStore(tmp_path / "h.db") as store:
        store.record_status(call)
        assert stored_json(store) == call.model_dump_json()


def test_a_request_past_the_limit_is_not_stored(tmp_path):
    placed = CallResponse(call_id="c2", session_id="s", room_name="r", agent_id=AGENT,
                          direction="outbound", to_number="+14155550000", status="initiated")
    huge = {"agent_id": AGENT, "to_number": "+14155550000",
            "context": {"notes": "n" * STORED_REQUEST_LIMIT}}
    small = {"agent_id": AGENT, "to_number": "+14155550000", "context": {"case": 42}}
    with CallStore(tmp_path / "h.db") as store:
        store.record_placed(placed, huge, placed_by="tester")
        assert store.get("c2").request is None
        store.record_status(status("c3"), request=small)
        assert store.get("c3").request == small
