"""The client's pure response handling: error mapping, Retry-After, list shapes."""

from datetime import UTC, datetime

import httpx
import pytest

from console.api import errors
from console.api.client import (
    describe_body,
    error_for,
    normalise_call_list,
    parse_retry_after,
    place_timeout,
)


def response(status: int, body: bytes | str = b"", content_type="application/json", **headers):
    if isinstance(body, str):
        body = body.encode()
    return httpx.Response(status, content=body, headers={"content-type": content_type, **headers},
                          request=httpx.Request("GET", "http://127.0.0.1/x"))


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0.0


@pytest.mark.parametrize(
    "status,body,kind",
    [
        (401, '{"detail": "Not authenticated"}', errors.AuthRequired),
        (403, '{"detail": "Not authenticated"}', errors.AuthRequired),
        (403, '{"detail": "monthly call quota exceeded"}', errors.Forbidden),
        (404, '{"detail": "call not found"}', errors.NotFound),
        (409, '{"detail": "call already ended"}', errors.Conflict),
        (429, '{"detail": "concurrent call limit reached"}', errors.RateLimited),
        (500, "", errors.ServerError),
        (503, "<html><title>Down</title></html>", errors.ServerError),
        (418, '{"detail": "teapot"}', errors.RequestRejected),
        (422, '{"detail": "not a list"}', errors.RequestRejected),
    ],
)
def test_error_mapping(status, body, kind):
    error = error_for(response(status, body))
    assert type(error) is kind
    assert error.status_code == status
    assert str(status) in str(error)


def test_422_entries_keep_paths():
    body = ('{"detail": [{"type": "string_pattern_mismatch", "loc": ["body", "priority"], '
            '"msg": "String should match pattern", "input": "URGENT"}, '
            '{"type": "value_error", "loc": ["body", "custom_headers", "Via"], "msg": "bad"}]}')
    error = error_for(response(422, body))
    assert isinstance(error, errors.ValidationFailed)
    assert [e.field for e in error.entries] == ["priority", "custom_headers"]
    assert error.entries[1].path == ("custom_headers", "Via")
    assert set(error.by_field()) == {"priority", "custom_headers"}


def test_retry_after_is_carried():
    error = error_for(response(429, '{"detail": "slow down"}', **{"retry-after": "7"}))
    assert error.retry_after == 7.0
    error = error_for(response(503, "", **{"retry-after": "2"}))
    assert isinstance(error, errors.ServerError) and error.retry_after == 2.0


def test_describe_body_variants():
    assert describe_body(response(500, "")) == "empty body"
    assert describe_body(response(502, "<!DOCTYPE html><html><head><title>Bad Gateway</title>",
                                  "text/html")) == "HTML page (Bad Gateway)"
    assert describe_body(response(400, '{"detail": "x"}')) == "x"
    assert len(describe_body(response(400, "y" * 1000, "text/plain"))) <= 200


def test_list_shapes():
    item = {"call_id": "a"}
    assert normalise_call_list([item]) == ([item], None)
    assert normalise_call_list({"calls": [item], "total": 9}) == ([item], 9)
    assert normalise_call_list({"items": [item]}) == ([item], None)
    assert normalise_call_list({"data": [item], "count": 1}) == ([item], 1)
    with pytest.raises(errors.BadResponse):
        normalise_call_list({"results": [item]})
    with pytest.raises(errors.BadResponse):
        normalise_call_list("nope")


def test_place_timeout_covers_waiting():
    assert place_timeout({"wait_until_answered": False}) == 30.0
    assert place_timeout({}, plain=2.0) == 2.0
    assert place_timeout({"wait_until_answered": True, "ringing_timeout_seconds": 20}) == 50.0
    assert place_timeout({"wait_until_answered": True}) == 110.0
