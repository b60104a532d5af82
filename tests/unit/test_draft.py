import json
import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.calls.draft import TOKEN_PLACEHOLDER, check_draft, curl_command, parse_context, request_json

AGENT = "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a01"


def base(**extra):
    return {"agent_id": AGENT, "to_number": "+1 415 555 0000", **extra}


def problems(values, region="US"):
    return {(p.field, p.row): p.message for p in check_draft(values, region=region).problems}


def test_minimal_draft_is_normalised():
    result = check_draft(base())
    assert result.ok
    assert result.request.to_number == "+14155550000"
    assert result.request.priority == "normal"


def test_national_number_uses_region():
    assert check_draft(base(to_number="020 7946 0000"), region="GB").request.to_number == \
        "+442079460000"


@pytest.mark.parametrize("values,field,needle", [
    ({"to_number": ""}, "to_number", "required"),
    ({"agent_id": ""}, "agent_id", "required"),
    ({"agent_id": "abc"}, "agent_id", "UUID"),
    ({"to_number": "12"}, "to_number", ""),
    ({"from_number": "+1415abc"}, "from_number", "character"),
    ({"context": "[1, 2]"}, "context", "not a list"),
    ({"context": '{\n  "a": 1,\n}'}, "context", "line 3"),
    ({"priority": "URGENT"}, "priority", "case-sensitive"),
    ({"media_encryption": "allow"}, "media_encryption", "REQUIRE"),
    ({"display_name": "x" * 129}, "display_name", "128"),
    ({"dtmf": "12A"}, "dtmf", "3"),
    ({"ringing_timeout_seconds": "0"}, "ringing_timeout_seconds", "from 1 to 80"),
    ({"ringing_timeout_seconds": "abc"}, "ringing_timeout_seconds", "whole number"),
    ({"max_call_duration_seconds": 86401}, "max_call_duration_seconds", "86400"),
])
def test_each_field_problem_is_named(values, field, needle):
    values = {**base(), **values}
    found = problems(values)
    assert (field, None) in found, found
    assert needle in found[(field, None)]


def test_header_rows_are_reported_per_row():
    rows = [("X-Ok", "1"), ("Via", "x"), ("x-ok", "2"), ("X-Bad", "a\r\nInjected: 1")]
    found = problems(base(custom_headers=rows))
    assert set(found) == {("custom_headers", 1), ("custom_headers", 2), ("custom_headers", 3)}
    assert "duplicate" in found[("custom_headers", 2)]


def test_context_parse_errors_have_line_and_column():
    value, message = parse_context('{"a": }')
    assert value is None and message.startswith("line 1, column 7")
    assert parse_context("") == ({}, None)
    assert parse_context('{"nested": {"deep": [1]}}') == ({"nested": {"deep": [1]}}, None)


def test_preview_and_curl_match_the_body_and_mask_the_token():
    request = check_draft(base(custom_headers=[("X-Case", "it's")], context='{"n": "José"}')).request
    body = json.loads(request_json(request))
    assert body == request.to_json_body()
    curl = curl_command("http://127.0.0.1:8765", request)
    assert TOKEN_PLACEHOLDER in curl
    data = shlex.split(curl.replace("\\\n", " "))
    assert json.loads(data[data.index("--data") + 1]) == body


@given(st.dictionaries(st.text(min_size=1, max_size=5), st.integers() | st.text(max_size=5),
                       max_size=4))
def test_any_object_context_round_trips(context):
    result = check_draft(base(context=json.dumps(context)))
    assert result.ok and result.request.context == context
