import pytest
from pydantic import ValidationError

from console.api.models import (
    CallStatus,
    ErrorEntry,
    OutboundCallRequest,
    TokenPair,
    TransferRequest,
    is_terminal,
    parse_timestamp,
)

AGENT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def test_request_defaults_match_the_api():
    body = OutboundCallRequest(agent_id=AGENT, to_number="+14155550000").to_json_body()
    assert body == {
        "agent_id": AGENT, "to_number": "+14155550000", "from_number": None, "context": {},
        "priority": "normal", "krisp_enabled": True, "wait_until_answered": False,
        "display_name": None, "dtmf": None, "play_dialtone": False, "media_encryption": "ALLOW",
        "ringing_timeout_seconds": 80, "max_call_duration_seconds": 3600,
        "hide_phone_number": False, "custom_headers": {},
    }
    assert len(OutboundCallRequest.model_fields) == 15
    assert OutboundCallRequest.defaults()["priority"] == "normal"


def test_spaces_are_stripped_like_the_server_does():
    request = OutboundCallRequest(agent_id=AGENT, to_number="+1 415 555 0000")
    assert request.to_number == "+14155550000"


@pytest.mark.parametrize("field,value", [
    ("priority", "URGENT"), ("media_encryption", "allow"), ("ringing_timeout_seconds", 0),
    ("ringing_timeout_seconds", 81), ("max_call_duration_seconds", 59),
    ("max_call_duration_seconds", 86401), ("display_name", "x" * 129), ("to_number", "0044"),
    ("custom_headers", {"Via": "x"}), ("agent_id", "not-a-uuid"),
])
def test_each_rule_is_enforced(field, value):
    values = {"agent_id": AGENT, "to_number": "+14155550000", field: value}
    with pytest.raises(ValidationError) as err:
        OutboundCallRequest(**values)
    assert err.value.errors()[0]["loc"][0] == field


def test_status_tolerates_unknown_fields_and_statuses():
    call = CallStatus.model_validate({
        "call_id": "c", "agent_id": "a", "tenant_id": "t", "direction": "outbound",
        "from_number": "+1", "to_number": "+2", "status": "transferring",
        "started_at": "2026-11-25T10:00:00Z", "brand_new_field": {"x": 1},
    })
    assert call.status == "transferring"
    assert not call.is_terminal
    assert call.model_extra == {"brand_new_field": {"x": 1}}
    assert call.started.isoformat() == "2026-11-25T10:00:00+00:00"


def test_terminal_statuses():
    assert is_terminal("ended") and is_terminal("failed")
    assert not any(map(is_terminal, ["initiated", "ringing", "answered", "Ended", "weird", None]))


def test_timestamps_tolerated():
    assert parse_timestamp("garbage") is None
    assert parse_timestamp(None) is None
    assert parse_timestamp("2026-11-25T10:00:00.123456+00:00").microsecond == 123456


def test_transfer_targets():
    assert TransferRequest(transfer_to="tel:+14155550123").transfer_type == "cold"
    TransferRequest(transfer_to="sip:agent@pbx.example.com", transfer_type="warm")
    for bad in ("+14155550123", "tel:4155550123", "sip:nohost", "sip:a@b c"):
        with pytest.raises(ValidationError):
            TransferRequest(transfer_to=bad)


def test_tokens_never_in_repr():
    pair = TokenPair(access_token="acc-secret", refresh_token="ref-secret", expires_in=60)
    assert "secret" not in repr(pair) and "secret" not in str(pair)


def test_error_entry_paths():
    entry = ErrorEntry(loc=["body", "custom_headers", "X-A"], msg="bad")
    assert entry.field == "custom_headers" and entry.path == ("custom_headers", "X-A")
    assert ErrorEntry(loc=["query", "limit"]).field == "limit"
