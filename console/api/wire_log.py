"""Request-level detail for the log (`--debug` / `CALL_CONSOLE_DEBUG=1`): one record per HTTP
exchange with method, URL, status, time, headers and the start of each body.

Secrets never reach it: the `Authorization` header (and any cookie) is replaced by its scheme
and `***`, the bodies of the `/auth/*` routes (passwords, access and refresh tokens) are not
logged at all, JSON keys that name a secret are replaced by `***` in every other body, and the
log's formatter masks every registered token on top (`console.logs`). Server text is made
visible (`safe_text.visible`), so an escape sequence in an answer cannot drive a `tail -f`.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx

from console.api.safe_text import visible

log = logging.getLogger("console.api.wire")

#: Longest part of a body written to the log, in characters.
BODY_LIMIT = 2000
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
SECRET_KEYS = frozenset({"password", "access_token", "refresh_token", "token", "secret",
                         "api_key", "apikey", "client_secret"})


def enabled() -> bool:
    return log.isEnabledFor(logging.DEBUG)


def _headers(headers: httpx.Headers) -> str:
    shown = []
    for name, value in headers.multi_items():
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            value = f"{scheme} ***".strip()
        shown.append(f"{name}: {value}")
    return visible("; ".join(shown), BODY_LIMIT)


def _redacted(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: "***" if str(k).lower() in SECRET_KEYS else _redacted(v)
                for k, v in data.items()}
    if isinstance(data, list):
        return [_redacted(v) for v in data]
    return data


def _body(path: str, content: bytes) -> str:
    if not content:
        return "(empty)"
    if path.rstrip("/").startswith("/auth/") and not path.rstrip("/").endswith("/me"):
        return f"({len(content)} bytes, not logged: it holds credentials)"
    try:
        text = json.dumps(_redacted(json.loads(content)), ensure_ascii=False)
    except ValueError:
        text = content[:BODY_LIMIT * 4].decode("utf-8", "replace")
    more = f" … ({len(content)} bytes)" if len(text) > BODY_LIMIT else ""
    return visible(text, BODY_LIMIT) + more


def exchange(request: httpx.Request, response: httpx.Response, started: float) -> None:
    """Log one finished exchange (call only when `enabled()`)."""
    path = request.url.path
    log.debug("%s %s -> %s in %.0f ms\n  request headers: %s\n  request body: %s\n"
              "  response headers: %s\n  response body: %s",
              request.method, visible(str(request.url), 500), response.status_code,
              (time.monotonic() - started) * 1000, _headers(request.headers),
              _body(path, request.content), _headers(response.headers),
              _body(path, response.content))
