"""Fault injection for the simulator: per-route rules applied by a pure ASGI middleware.

A rule targets a route key such as ``"POST /calls/outbound"`` or ``"GET /calls/{call_id}"``
(``"*"`` matches every API route; the ``/_sim/*`` admin routes are never faulted) and has a
``kind``:

==================  ====================================================================  =====
kind                effect                                                                 app?
==================  ====================================================================  =====
``latency``         wait ``seconds`` then handle normally (composes with one other rule)   yes
``status``          answer ``status`` (default 500) ``{"detail": ...}`` (+ ``Retry-After``) no
``drop_before``     abort the TCP connection without reading further or answering          no
``drop_after``      handle the request fully, then abort without sending the response      yes
``malformed_json``  200 ``application/json`` whose body is the real one cut in half         yes
``html``            ``status`` (default 502) with an HTML error page, ``text/html``         no
``empty_body``      ``status`` (default 502) with an empty body                             no
``extra_fields``    the real JSON plus unknown keys (``x_debug``, ``new_field``)            yes
``set_fields``      the real JSON object with ``fields`` set over it (``{"recording":      yes
                    null}``; a ``null`` in ``fields`` stays null; ``unset`` drops keys)
``slow_body``       headers at once, then the real body trickled over ``seconds``           yes
``drip``            headers at once, then the real body one byte every ``seconds``          yes
``huge_body``       the real JSON padded to ``size`` bytes (an ``x_padding`` string field), yes
                    sent chunked without Content-Length, as built on the fly
``gzip_bomb``       the real JSON padded with spaces to ``size`` bytes, gzip-compressed    yes
                    (50 MB become about 50 KB), with Content-Encoding and Content-Length
``escape_strings``  the real JSON with ``text`` (default: ESC/CSI, OSC, C1, BEL, CR,        yes
                    backspace, bidi override) appended to every string but ids and times
==================  ====================================================================  =====

"app?" says whether the simulator itself handles the request (so e.g. a call IS created); a
rule's ``forward`` overrides it for ``status``/``html``/``empty_body``/``malformed_json``.
``count`` arms a rule for the next N matching requests (None = forever); ``probability``
(0..1, seeded) applies it to a fraction of them. A huge ``Retry-After`` is a ``status`` rule
with ``retry_after`` (e.g. ``"3600"``). ``drip`` and ``huge_body`` stop when the client hangs
up, so an abandoned answer costs the simulator nothing.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FaultKind = Literal[
    "latency",
    "status",
    "drop_before",
    "drop_after",
    "malformed_json",
    "html",
    "empty_body",
    "extra_fields",
    "set_fields",
    "slow_body",
    "drip",
    "huge_body",
    "gzip_bomb",
    "escape_strings",
]

FAULT_KINDS: tuple[str, ...] = FaultKind.__args__  # type: ignore[attr-defined]

# Route templates (method, template, regex). Order matters: specific paths before `{call_id}`.
_ROUTES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (method, template, re.compile(regex))
    for method, template, regex in (
        ("POST", "/calls/outbound", r"^/calls/outbound/?$"),
        ("GET", "/calls/agent/{agent_id}/calls", r"^/calls/agent/[^/]+/calls/?$"),
        ("POST", "/calls/{call_id}/transfer", r"^/calls/[^/]+/transfer/?$"),
        ("POST", "/calls/{call_id}/end", r"^/calls/[^/]+/end/?$"),
        ("GET", "/calls/{call_id}", r"^/calls/[^/]+/?$"),
        ("POST", "/auth/token", r"^/auth/token/?$"),
        ("POST", "/auth/refresh", r"^/auth/refresh/?$"),
        ("GET", "/auth/me", r"^/auth/me/?$"),
        ("GET", "/analytics/tenants/{tenant_id}/quota", r"^/analytics/tenants/[^/]+/quota/?$"),
        ("GET", "/agents", r"^/agents/?$"),
    )
)

ROUTE_KEYS: tuple[str, ...] = tuple(f"{m} {t}" for m, t, _ in _ROUTES)
ADMIN_PREFIX = "/_sim"


def route_key(method: str, path: str) -> str:
    """The route key of a request: ``"METHOD /template"``, or ``"METHOD /raw/path"`` if unknown."""
    method = method.upper()
    for m, template, regex in _ROUTES:
        if m == method and regex.match(path):
            return f"{m} {template}"
    return f"{method} {path}"


class FaultRule(BaseModel):
    """One fault rule (also the JSON item of ``PUT /_sim/faults``)."""

    model_config = ConfigDict(extra="forbid")

    route: str = "*"
    kind: FaultKind
    seconds: float = Field(default=1.0, ge=0)
    status: int | None = Field(default=None, ge=100, le=599)
    retry_after: str | int | None = None
    count: int | None = Field(default=None, ge=0)
    probability: float = Field(default=1.0, ge=0, le=1)
    forward: bool | None = None
    #: ``huge_body``, ``gzip_bomb``: size of the padded (decompressed) body in bytes (50 MB by
    #: default).
    size: int = Field(default=50_000_000, ge=0)
    #: ``escape_strings``: what is appended to each string (default `ESCAPES`).
    text: str | None = None
    #: ``set_fields``: keys set over the real answer's top-level object (odd values included).
    fields: dict[str, Any] = Field(default_factory=dict)
    #: ``set_fields``: keys removed from the real answer's top-level object.
    unset: list[str] = Field(default_factory=list)

    def matches(self, key: str) -> bool:
        return self.route == "*" or self.route == key

    @property
    def armed(self) -> bool:
        return self.count is None or self.count > 0


_DEFAULT_FORWARD = {
    "status": False,
    "html": False,
    "empty_body": False,
    "malformed_json": True,
}


class FaultConfig:
    """The live, thread-safe list of fault rules (shared by the middleware and admin routes)."""

    def __init__(self, rules: list[FaultRule | dict[str, Any]] | None = None, seed: int = 0):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._rng = random.Random(f"faults:{seed}")
        if rules:
            self.set(rules)

    def set(self, rules: list[FaultRule | dict[str, Any]]) -> None:
        parsed = [r if isinstance(r, FaultRule) else FaultRule.model_validate(r) for r in rules]
        with self._lock:
            self._rules = [r.model_copy() for r in parsed]

    def add(self, rule: FaultRule | dict[str, Any] | None = None, **fields: Any) -> FaultRule:
        if isinstance(rule, FaultRule):
            parsed = rule.model_copy()
        else:
            parsed = FaultRule.model_validate(rule if rule is not None else fields)
        with self._lock:
            self._rules.append(parsed)
        return parsed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(f"faults:{seed}")

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [r.model_copy() for r in self._rules]

    def to_json(self) -> list[dict[str, Any]]:
        return [r.model_dump(mode="json") for r in self.rules]

    def pick(self, key: str) -> tuple[float, FaultRule | None]:
        """Consume the rules that apply to one request: (latency seconds, other rule or None)."""
        latency = 0.0
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.armed or not rule.matches(key):
                    continue
                if rule.kind != "latency" and chosen is not None:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                if rule.kind == "latency":
                    latency += rule.seconds
                else:
                    chosen = rule.model_copy()
            self._rules = [r for r in self._rules if r.armed]
        return latency, chosen


HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)

EXTRA_FIELDS: dict[str, Any] = {
    "x_debug": {"simulated": True, "node": "sim-1", "trace": ["edge", "api", "db"]},
    "new_field": 1,
}


#: Terminal controls a hostile server could put in its strings: clear screen + red (CSI), set
#: the window title (OSC ... BEL), an 8-bit CSI (C1), carriage return, backspace, and a right-
#: to-left override that reorders what follows.
ESCAPES = "\x1b[2J\x1b[31m\x1b]0;pwned\x07\x9b31m\r\x08\u202eevil"
#: Keys whose string values `escape_strings` leaves alone (the client must still find the call).
_KEEP_KEYS = ("_id", "_at")
_PAD_CHUNK = b"x" * 65536


def _with_escapes(data: Any, text: str) -> Any:
    if isinstance(data, dict):
        return {k: (v + text if isinstance(v, str) and not k.endswith(_KEEP_KEYS)
                    else _with_escapes(v, text)) for k, v in data.items()}
    if isinstance(data, list):
        return [_with_escapes(v, text) for v in data]
    return data


def _abort_transport(receive: Any) -> bool:
    """Abort the client connection under uvicorn (the receive callable is the cycle's method)."""
    owner = getattr(receive, "__self__", None)
    transport = getattr(owner, "transport", None)
    abort = getattr(transport, "abort", None)
    if abort is None:
        return False
    abort()
    return True


class _Captured:
    def __init__(self) -> None:
        self.status = 200
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))

    def header(self, name: bytes) -> bytes | None:
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


def _headers_with(
    headers: list[tuple[bytes, bytes]], content_type: bytes | None, length: int
) -> list[tuple[bytes, bytes]]:
    out = [
        (k, v)
        for k, v in headers
        if k.lower() not in (b"content-length", b"content-type" if content_type else b"")
    ]
    if content_type:
        out.append((b"content-type", content_type))
    out.append((b"content-length", str(length).encode()))
    return out


def _add_extra_fields(data: Any) -> Any:
    if isinstance(data, dict):
        out = dict(data)
        for list_key in ("calls", "agents"):
            if isinstance(out.get(list_key), list):
                out[list_key] = [_add_extra_fields(i) for i in out[list_key]]
        out.update(EXTRA_FIELDS)
        return out
    if isinstance(data, list):
        return [_add_extra_fields(i) if isinstance(i, dict) else i for i in data]
    return data


async def _wait_hang_up(receive: Any, hung_up: asyncio.Event) -> None:
    """Set `hung_up` when the client disconnects (the request body was read already)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            hung_up.set()
            return


class FaultMiddleware:
    """Pure ASGI middleware: counts requests per route key and applies the armed fault rules."""

    def __init__(self, app: Any, faults: FaultConfig, stats: Counter[str]) -> None:
        self.app = app
        self.faults = faults
        self.stats = stats

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        key = route_key(scope["method"], scope["path"])
        self.stats[key] += 1
        latency, rule = self.faults.pick(key)
        if latency > 0:
            await asyncio.sleep(latency)
        if rule is None:
            await self.app(scope, receive, send)
            return
        await self._apply(rule, scope, receive, send)

    async def _abort(self, receive: Any, send: Any) -> None:
        if _abort_transport(receive):
            # Let the protocol see connection_lost so the server does not try a 500 on it.
            for _ in range(3):
                await asyncio.sleep(0)
            return
        # Fallback (not under uvicorn): promise a body that never comes, then fail mid-response.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise ConnectionAbortedError("simulated connection drop")

    async def _send_simple(
        self,
        send: Any,
        status: int,
        body: bytes,
        content_type: bytes | None,
        extra_headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        headers = list(extra_headers or [])
        if content_type:
            headers.append((b"content-type", content_type))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _drip(self, send: Any, captured: _Captured, seconds: float,
                    hung_up: asyncio.Event) -> None:
        body = bytes(captured.body)
        await send({"type": "http.response.start", "status": captured.status,
                    "headers": _headers_with(captured.headers, None, len(body))})
        for index in range(len(body)):
            try:
                await asyncio.wait_for(hung_up.wait(), seconds)
                return  # the client gave up
            except TimeoutError:
                pass
            more = index < len(body) - 1
            await send({"type": "http.response.body", "body": body[index:index + 1],
                        "more_body": more})
        if not body:
            await send({"type": "http.response.body", "body": b""})

    async def _huge(self, send: Any, captured: _Captured, size: int,
                    hung_up: asyncio.Event) -> None:
        real = bytes(captured.body).strip()
        if real.startswith(b"{") and real.endswith(b"}"):
            head = real[:-1] + (b"," if real != b"{}" else b"") + b'"x_padding":"'
            tail = b'"}'
        else:  # not an object: JSON allows trailing whitespace
            head, tail = real, b""
        headers = [(k, v) for k, v in captured.headers if k.lower() != b"content-length"]
        await send({"type": "http.response.start", "status": captured.status,
                    "headers": headers})
        await send({"type": "http.response.body", "body": head, "more_body": True})
        pad = b" " * len(_PAD_CHUNK) if not tail else _PAD_CHUNK
        left = max(0, size - len(head) - len(tail))
        while left > 0 and not hung_up.is_set():
            chunk = pad[:left]
            left -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": tail})

    async def _apply(
        self, rule: FaultRule, scope: dict[str, Any], receive: Any, send: Any
    ) -> None:
        kind = rule.kind
        forward = rule.forward if rule.forward is not None else _DEFAULT_FORWARD.get(kind, True)

        if kind == "drop_before":
            await self._abort(receive, send)
            return

        captured = _Captured()
        if forward:
            await self.app(scope, receive, captured.send)

        if kind == "drop_after":
            await self._abort(receive, send)
            return

        if kind in ("status", "html", "empty_body"):
            status = rule.status or (500 if kind == "status" else 502)
            extra: list[tuple[bytes, bytes]] = []
            if rule.retry_after is not None:
                extra.append((b"retry-after", str(rule.retry_after).encode()))
            if kind == "status":
                body = json.dumps({"detail": f"simulated {status} fault"}).encode()
                await self._send_simple(send, status, body, b"application/json", extra)
            elif kind == "html":
                html_type = b"text/html; charset=utf-8"
                await self._send_simple(send, status, HTML_PAGE, html_type, extra)
            else:
                await self._send_simple(send, status, b"", None, extra)
            return

        if kind == "malformed_json":
            real = bytes(captured.body)
            body = real[: len(real) // 2] if len(real) >= 4 else b'{"call_id": '
            await self._send_simple(send, rule.status or 200, body, b"application/json")
            return

        if kind == "extra_fields":
            body = bytes(captured.body)
            ctype = captured.header(b"content-type") or b""
            if b"json" in ctype and body:
                try:
                    body = json.dumps(_add_extra_fields(json.loads(body))).encode()
                except ValueError:
                    pass
            await send(
                {
                    "type": "http.response.start",
                    "status": captured.status,
                    "headers": _headers_with(captured.headers, None, len(body)),
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        if kind == "set_fields":
            body = bytes(captured.body)
            try:
                data = json.loads(body) if body else None
            except ValueError:
                data = None
            if isinstance(data, dict):
                data = {k: v for k, v in data.items() if k not in rule.unset}
                data.update(rule.fields)
                body = json.dumps(data).encode()
            await send({"type": "http.response.start", "status": captured.status,
                        "headers": _headers_with(captured.headers, None, len(body))})
            await send({"type": "http.response.body", "body": body})
            return

        if kind == "escape_strings":
            body = bytes(captured.body)
            ctype = captured.header(b"content-type") or b""
            if b"json" in ctype and body:
                try:
                    data = _with_escapes(json.loads(body), rule.text or ESCAPES)
                    body = json.dumps(data, ensure_ascii=False).encode()
                except ValueError:
                    pass
            await send({"type": "http.response.start", "status": captured.status,
                        "headers": _headers_with(captured.headers, None, len(body))})
            await send({"type": "http.response.body", "body": body})
            return

        if kind == "gzip_bomb":
            body = _gzipped_padding(bytes(captured.body).strip(), rule.size)
            headers = [(k, v) for k, v in captured.headers
                       if k.lower() not in (b"content-length", b"content-encoding")]
            headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": captured.status,
                        "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        if kind in ("drip", "huge_body"):
            hung_up = asyncio.Event()
            watcher = asyncio.ensure_future(_wait_hang_up(receive, hung_up))
            try:
                if kind == "drip":
                    await self._drip(send, captured, rule.seconds, hung_up)
                else:
                    await self._huge(send, captured, rule.size, hung_up)
            finally:
                watcher.cancel()
            return

        if kind == "slow_body":
            body = bytes(captured.body)
            await send(
                {
                    "type": "http.response.start",
                    "status": captured.status,
                    "headers": _headers_with(captured.headers, None, len(body)),
                }
            )
            pieces = max(1, min(10, len(body)))
            step = -(-len(body) // pieces) if body else 0
            delay = rule.seconds / pieces
            for i in range(pieces):
                await asyncio.sleep(delay)
                chunk = body[i * step : (i + 1) * step]
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": i < pieces - 1}
                )
            return

        # latency-only rules never reach here; anything else: pass the real response through.
        start = {"status": captured.status, "headers": captured.headers}
        await send({"type": "http.response.start", **start})
        await send({"type": "http.response.body", "body": bytes(captured.body)})


def _gzipped_padding(real: bytes, size: int) -> bytes:
    """`real` followed by spaces up to `size` bytes (still the same JSON), gzip-compressed."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    parts = [packer.compress(real)]
    spaces = b" " * (1 << 20)
    left = max(0, size - len(real))
    while left > 0:
        piece = spaces[:left]
        left -= len(piece)
        parts.append(packer.compress(piece))
    parts.append(packer.flush())
    return b"".join(parts)
