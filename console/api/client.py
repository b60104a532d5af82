"""The call API client: one long-lived `httpx.AsyncClient` per base URL, typed results and errors.

`place_call` is never retried: a request that may have reached the server without a usable
answer raises `OutcomeUnknown`, and `find_attempt` reconciles it from the agent's call list.
Idempotent GETs may retry with backoff (callers that schedule their own retries pass
`retries=0`).

A hostile or broken server cannot hold or flood the console: every request has an overall
deadline (`Timeouts.total`; httpx's own timeouts are per read), every answer is read streamed
and abandoned past a size cap (`MAX_BODY_BYTES`, `MAX_LIST_BODY_BYTES`), and `Retry-After` is
capped (`MAX_RETRY_AFTER`) with the server's asked value kept on the error.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from console import __version__
from console.api import errors
from console.api.models import (
    ActionResult,
    CallPage,
    CallResponse,
    CallStatus,
    ErrorEntry,
    OutboundCallRequest,
    TransferRequest,
    read_call_response,
)
from console.api.body import ACCEPT_ENCODING, UndecodableBody, read_capped
from console.api.safe_text import visible

if TYPE_CHECKING:  # account models: imported where used (call commands never need them)
    from console.api.account_models import AgentInfo, Me, Quota, TokenPair

log = logging.getLogger("console.api")

#: Extra seconds on top of the ringing timeout while the server waits for an answer.
WAIT_MARGIN_SECONDS = 30.0
#: How far around the attempt window a reconciled call may have started (clock skew).
RECONCILE_SLACK = timedelta(seconds=10)

#: Largest answer read for one request (a call, an action, auth, quota), in bytes. A call
#: status is about 1 KB; 1 MiB leaves room for servers that add fields, and stops a broken or
#: hostile server from filling memory: past it the rest is not read and the connection closed.
MAX_BODY_BYTES = 1 << 20
#: Largest answer read for a page of a list (the agent's calls, the agents probe): a page holds
#: up to 500 calls of 1-2 KB each.
MAX_LIST_BODY_BYTES = 16 << 20
#: Longest wait obeyed from a `Retry-After` header, in seconds. A server asking for an hour is
#: obeyed for a minute, then asked again; the asked value stays on the error.
MAX_RETRY_AFTER = 60.0
#: Longest `Retry-After` the client's own GET retries wait for; a longer one is returned to the
#: caller as the error (the CLI says so, the tracker pauses every request).
MAX_RETRY_WAIT = 30.0
#: Extra headers no answer needs once its body is read (the body is kept decoded).
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 15.0
    write: float = 10.0
    pool: float = 5.0
    #: Whole-request deadline of a plain (not waiting) place call. httpx timeouts are per
    #: read, so a server trickling its answer would otherwise hold the POST forever.
    place: float = 30.0
    #: Whole-request deadline of every other request (GETs, list pages, end, transfer, auth,
    #: quota, probe). None: the connect timeout plus twice the read timeout (35 s with the
    #: defaults), so an honest slow answer keeps a full read timeout of slack.
    request: float | None = None

    def httpx(self, read: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=read or self.read, write=self.write,
                             pool=self.pool)

    @property
    def total(self) -> float:
        """The overall deadline of one request other than the place call, in seconds."""
        return self.request if self.request is not None else self.connect + 2 * self.read


class BearerToken(httpx.Auth):
    """A fixed bearer token. Its repr never shows the token."""

    def __init__(self, token: str):
        from console.logs import register_secret

        register_secret(token)  # masked in the log from now on
        self._token = token

    def auth_flow(self, request: httpx.Request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerToken(***)"


def place_timeout(body: Mapping[str, Any], plain: float = 30.0) -> float:
    """Deadline of the POST: it must outlast `wait_until_answered` (ringing timeout + margin)."""
    if body.get("wait_until_answered"):
        ringing = body.get("ringing_timeout_seconds") or 80
        try:
            ringing = float(ringing)
        except (TypeError, ValueError):
            ringing = 80.0
        return ringing + WAIT_MARGIN_SECONDS
    return plain


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def capped_retry_after(asked: float | None) -> float | None:
    """The wait obeyed for a `Retry-After` of `asked` seconds (at most `MAX_RETRY_AFTER`)."""
    return None if asked is None else min(asked, MAX_RETRY_AFTER)


def describe_wait(seconds: float, asked: float | None = None) -> str:
    """The line a face shows while it waits on `Retry-After` (CLI: on stderr)."""
    line = f"waiting {seconds:g} s: the server asked to retry later (Retry-After)"
    if asked is not None and asked > seconds:
        line += f"; it asked for {asked:g} s, the console waits at most {MAX_RETRY_AFTER:g} s"
    return line


def size_text(size: int) -> str:
    """`1 MiB`, `64 KiB`, `512 bytes`."""
    for unit, shift in (("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} bytes"


def describe_body(response: httpx.Response) -> str:
    """A short human text for an error body: its `detail`, an HTML page's title, or 'empty body'."""
    text = response.text.strip() if response.content else ""
    if not text:
        return "empty body"
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict) and "detail" in payload:
        detail = payload["detail"]
        return _clip_logged(detail if isinstance(detail, str) else json.dumps(detail), response)
    if payload is not None:
        return _clip_logged(json.dumps(payload), response)
    if "<html" in text[:500].lower() or "<!doctype" in text[:100].lower():
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        return "HTML page" + (f" ({_clip(title.group(1).strip(), 80)})" if title else "")
    return _clip_logged(text, response)


#: The most of one server message written to the log (an error shows its first 200 characters).
LOGGED_MESSAGE_LIMIT = 16_384


def _clip_logged(text: str, response: httpx.Response) -> str:
    """The message cut to 200 characters for the error; a longer one is written whole (made
    visible, up to `LOGGED_MESSAGE_LIMIT`) to the log, so the rest is never lost."""
    clipped = _clip(text)
    if clipped.endswith("…"):
        whole = visible(" ".join(text.split()))
        try:
            where = f"{response.request.method} {response.request.url.path}"
        except RuntimeError:  # a response built without its request (tests, transports)
            where = "a request"
        log.warning("%s answered %d; the whole message (%d characters, the error shows the "
                    "first 200): %s", where, response.status_code, len(whole),
                    whole[:LOGGED_MESSAGE_LIMIT])
    return clipped


def _clip(text: str, limit: int = 200) -> str:
    text = visible(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_for(response: httpx.Response, *, detail: str | None = None) -> errors.ApiError:
    """The typed error for a non-2xx response (`detail` replaces the body's description)."""
    code = response.status_code
    detail = describe_body(response) if detail is None else detail
    message = f"{code} {response.reason_phrase or ''}".strip() + f": {detail}"
    if code == 422:
        entries = _validation_entries(response)
        if entries:
            return errors.ValidationFailed(entries)
        return errors.RequestRejected(message, status_code=code, detail=detail)
    if code == 401 or (code == 403 and detail.lower() == "not authenticated"):
        return errors.AuthRequired(f"{code}: sign in again ({detail})", status_code=code,
                                   detail=detail)
    if code == 403:
        return errors.Forbidden(message, status_code=code, detail=detail)
    if code == 404:
        return errors.NotFound(message, status_code=code, detail=detail)
    if code == 409:
        return errors.Conflict(message, status_code=code, detail=detail)
    asked = parse_retry_after(response.headers.get("retry-after"))
    retry_after = capped_retry_after(asked)
    if code == 429:
        return errors.RateLimited(message, status_code=code, detail=detail,
                                  retry_after=retry_after, retry_after_asked=asked)
    if code >= 500:
        return errors.ServerError(message, status_code=code, detail=detail,
                                  retry_after=retry_after, retry_after_asked=asked)
    return errors.RequestRejected(message, status_code=code, detail=detail)


#: A 422 lists one entry per field problem: a request has 15 fields and a few dozen headers.
MAX_VALIDATION_ENTRIES = 100
#: Longest message or field path part kept from one 422 entry.
ENTRY_TEXT_LIMIT = 500


def _validation_entries(response: httpx.Response) -> list[ErrorEntry]:
    try:
        payload = response.json()
    except ValueError:
        return []
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if not isinstance(detail, list):
        return []
    entries = []
    for item in detail[:MAX_VALIDATION_ENTRIES]:
        if isinstance(item, dict):
            try:
                entry = ErrorEntry.model_validate(item)
            except ValidationError:
                entry = ErrorEntry(msg=str(item.get("msg", item)))
            # Shown under form fields and on CLI lines: display text, made safe once here.
            entry.msg = visible(entry.msg, ENTRY_TEXT_LIMIT)
            entry.loc = [visible(p, ENTRY_TEXT_LIMIT) if isinstance(p, str) else p
                         for p in entry.loc]
            entries.append(entry)
    return entries


def _json(response: httpx.Response) -> Any:
    if not response.content.strip():
        raise errors.BadResponse(f"{response.status_code}: empty body where JSON was expected",
                                 status_code=response.status_code)
    try:
        return response.json()
    except ValueError:
        raise errors.BadResponse(
            f"{response.status_code}: not JSON ({describe_body(response)})",
            status_code=response.status_code) from None


def _model(model, payload: Any, response: httpx.Response):
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise errors.BadResponse(
            f"{response.status_code}: unexpected response ({where}: {first['msg']})",
            status_code=response.status_code) from None


def _call_page(response: httpx.Response, limit: int, offset: int) -> CallPage:
    """A list page's body parsed and each call validated (run in a worker thread)."""
    items, total = normalise_call_list(_json(response))
    calls = []
    for index, item in enumerate(items):
        try:
            calls.append(CallStatus.model_validate(item))
        except ValidationError as exc:
            raise errors.BadResponse(
                f"call list item {index}: {exc.errors()[0]['msg']}",
                status_code=response.status_code) from None
    return CallPage(calls=calls, total=total, limit=limit, offset=offset)


def normalise_call_list(payload: Any) -> tuple[list[Any], int | None]:
    """Accept a bare list, or an object with the list under `calls`, `items` or `data`."""
    if isinstance(payload, list):
        return payload, None
    if isinstance(payload, dict):
        for key in ("calls", "items", "data"):
            if isinstance(payload.get(key), list):
                total = payload.get("total", payload.get("count"))
                return payload[key], total if isinstance(total, int) else None
    raise errors.BadResponse("call list: expected a JSON list or an object with calls/items/data")


def tls_verify(base_url: str) -> bool:
    """httpx's `verify` for a client of `base_url`: True (certificates checked against the CA
    bundle) for https, and for anything else too, except a plain http:// URL. An http client
    never speaks TLS (its paths are relative to the base URL and redirects are not followed),
    so it skips loading the CA bundle into a TLS context nobody uses (~70 ms of CPU at every
    CLI start, benchmarks/cli_startup.py)."""
    return not base_url.lower().startswith("http://")


class ApiClient:
    """Async client of the call API. Use as an async context manager or call `aclose()`."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | str | None = None,
        timeouts: Timeouts | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retries: int = 2,
        backoff: float = 0.5,
        on_wait: Callable[[float, float | None], None] | None = None,
    ):
        if isinstance(auth, str):
            auth = BearerToken(auth)
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retries = retries
        self.backoff = backoff
        #: Told (seconds, seconds the server asked for) before a retry waits on `Retry-After`,
        #: so a face can say why nothing happens (the CLI prints `describe_wait`).
        self.on_wait = on_wait
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            verify=tls_verify(self.base_url),
            timeout=self.timeouts.httpx(),
            transport=transport,
            headers={"User-Agent": f"call-console/{__version__}", "Accept": "application/json",
                     "Accept-Encoding": ACCEPT_ENCODING},
            follow_redirects=False,
        )

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def host(self) -> str:
        return httpx.URL(self.base_url).host or self.base_url

    # -- the one POST that is never retried ---------------------------------------------------

    async def place_call(self, request: OutboundCallRequest | Mapping[str, Any]) -> CallResponse:
        """Place a call. Raises `OutcomeUnknown` when the request may have reached the server."""
        body = request.to_json_body() if isinstance(request, OutboundCallRequest) else dict(request)
        sent_at = datetime.now(UTC)
        deadline = place_timeout(body, self.timeouts.place)
        try:
            async with asyncio.timeout(deadline):
                response, overflow = await self._exchange(
                    "POST", "/calls/outbound", max_bytes=MAX_BODY_BYTES, json=body,
                    timeout=self.timeouts.httpx(read=deadline))
        except TimeoutError:
            raise self._unknown(body, sent_at, f"no complete answer within {deadline:g} s") from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise errors.ConnectionFailed(
                f"could not connect to {self.host} ({_transport_reason(exc)}); "
                "nothing was sent, so it is safe to try again") from None
        except httpx.TransportError as exc:
            raise self._unknown(body, sent_at, _transport_reason(exc)) from None
        log.info("POST /calls/outbound -> %s", response.status_code)
        if response.is_success:
            try:
                if overflow:
                    raise _too_large("POST", "/calls/outbound", response, MAX_BODY_BYTES)
                payload = _json(response)
                try:
                    placed = read_call_response(payload, body)
                except ValueError as exc:
                    raise errors.BadResponse(
                        f"{response.status_code}: unexpected response ({exc})",
                        status_code=response.status_code) from None
                if placed.odd_fields:
                    log.info("POST /calls/outbound placed %s; odd fields in the answer: %s",
                                placed.call_id, "; ".join(placed.odd_fields))
                return placed
            except errors.BadResponse as exc:
                # Accepted, but we cannot tell which call it is: reconcile, never resend.
                raise self._unknown(body, sent_at, f"unreadable response: {exc}") from None
        raise _error(response, overflow, MAX_BODY_BYTES)

    def _unknown(self, body: Mapping[str, Any], sent_at: datetime, cause: str) -> errors.OutcomeUnknown:
        from_number = body.get("from_number")
        window = errors.AttemptWindow(
            agent_id=str(body.get("agent_id", "")),
            to_number=str(body.get("to_number", "")).replace(" ", ""),
            from_number=str(from_number).replace(" ", "") if from_number else None,
            sent_at=sent_at, gave_up_at=datetime.now(UTC))
        return errors.OutcomeUnknown(
            f"outcome unknown: the request may have reached the server ({cause}). "
            "It was not sent again; look the call up in the agent's call list.",
            window=window, cause=cause)

    async def find_attempt(self, window: errors.AttemptWindow, *,
                           slack: timedelta = RECONCILE_SLACK) -> list[CallStatus]:
        """Calls of the attempt's agent to the same number that started inside its window.

        Closest to the moment the request was sent first. More than one match means the same
        number was dialled again within seconds: the operator must choose.
        """
        earliest, latest = window.sent_at - slack, window.gave_up_at + slack
        matches: list[tuple[float, CallStatus]] = []
        async for call in self.iter_calls(window.agent_id, start_date=earliest, max_items=500):
            started = call.started
            if call.to_number.replace(" ", "") != window.to_number or started is None:
                continue
            if window.from_number and (call.from_number or "").replace(" ", "") != window.from_number:
                continue
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if earliest <= started <= latest:
                matches.append((abs((started - window.sent_at).total_seconds()), call))
        return [call for _, call in sorted(matches, key=lambda pair: pair[0])]

    # -- idempotent requests ------------------------------------------------------------------

    async def _exchange(self, method: str, path: str, *, max_bytes: int,
                        **kwargs: Any) -> tuple[httpx.Response, bool]:
        """One HTTP exchange, its body read streamed up to `max_bytes` (decoded, see
        `console.api.body`).

        Returns the response with its body in memory, and True when the body was longer than
        `max_bytes`: then only the part read is kept and the connection is closed unread.
        """
        from console.api import wire_log

        started = time.monotonic()
        async with self._http.stream(method, path, **kwargs) as streamed:
            body, overflow = await read_capped(streamed, max_bytes)
            headers = [(k, v) for k, v in streamed.headers.multi_items()
                       if k.lower() not in _BODY_HEADERS]
            response = httpx.Response(streamed.status_code, headers=headers, content=body,
                                      request=streamed.request, extensions=streamed.extensions)
        if wire_log.enabled():
            wire_log.exchange(streamed.request, response, started)
        return response, overflow

    async def _send(self, method: str, path: str, *, retries: int | None = None,
                    idempotent: bool = True, max_bytes: int = MAX_BODY_BYTES,
                    **kwargs: Any) -> httpx.Response:
        """One request, with its overall deadline (`Timeouts.total`, never retried) and its
        answer capped at `max_bytes`. Idempotent requests retry 429/5xx and network errors;
        a `Retry-After` up to `MAX_RETRY_WAIT` is waited for (and announced through
        `on_wait`), a longer one is raised at once for the caller to handle."""
        attempts = 1 + (self.retries if retries is None else retries) if idempotent else 1
        deadline = self.timeouts.total
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                async with asyncio.timeout(deadline):
                    response, overflow = await self._exchange(method, path, max_bytes=max_bytes,
                                                              **kwargs)
            except TimeoutError:
                raise errors.DeadlineExceeded(
                    f"{method} {path}: no complete answer within {deadline:g} s (the overall "
                    "deadline of a request)") from None
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure: errors.ApiError = errors.ConnectionFailed(
                    f"could not connect to {self.host} ({_transport_reason(exc)})")
            except httpx.TransportError as exc:
                failure = errors.NetworkError(
                    f"{method} {path}: {_transport_reason(exc)}")
            else:
                log.debug("%s %s -> %s", method, path, response.status_code)
                if response.is_success:
                    if overflow:
                        raise _too_large(method, path, response, max_bytes)
                    return response
                failure = _error(response, overflow, max_bytes)
                if not isinstance(failure, errors.RateLimited | errors.ServerError):
                    raise failure
            retry_after = getattr(failure, "retry_after", None)
            if last or (retry_after is not None and retry_after > MAX_RETRY_WAIT):
                raise failure
            delay = self._delay(attempt, retry_after)
            if retry_after is not None:
                self._waiting(delay, getattr(failure, "retry_after_asked", None))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    def _waiting(self, seconds: float, asked: float | None) -> None:
        log.info(describe_wait(seconds, asked))
        if self.on_wait is not None:
            self.on_wait(seconds, asked)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_WAIT)
        base = self.backoff * (2 ** attempt)
        return base + random.uniform(0, base / 2)

    async def _get_json(self, path: str, *, retries: int | None = None, **kwargs: Any) -> Any:
        response = await self._send("GET", path, retries=retries, **kwargs)
        return _json(response), response

    async def get_call(self, call_id: str, *, retries: int | None = None) -> CallStatus:
        payload, response = await self._get_json(f"/calls/{call_id}", retries=retries)
        return _model(CallStatus, payload, response)

    async def list_calls(
        self,
        agent_id: str,
        *,
        limit: int = 100,
        offset: int = 0,
        direction: str | None = None,
        status_filter: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        retries: int | None = None,
    ) -> CallPage:
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if direction:
            params["direction"] = direction
        if status_filter:
            params["status_filter"] = status_filter
        if start_date:
            params["start_date"] = start_date.isoformat()
        if end_date:
            params["end_date"] = end_date.isoformat()
        response = await self._send("GET", f"/calls/agent/{agent_id}/calls", params=params,
                                    retries=retries, max_bytes=MAX_LIST_BODY_BYTES)
        # JSON and one validation per call (3.4 ms of CPU for a 334-call page here, and the
        # garbage collections its allocations trigger): off the event loop, the UI's in the
        # TUI, in a thread, which lets the loop in between two items.
        return await asyncio.to_thread(_call_page, response, limit, offset)

    async def iter_calls(self, agent_id: str, *, page_size: int = 100,
                         max_items: int | None = None, **filters: Any) -> AsyncIterator[CallStatus]:
        """Every call of an agent, page by page, whatever list shape the server uses."""
        offset, seen = 0, 0
        while True:
            page = await self.list_calls(agent_id, limit=page_size, offset=offset, **filters)
            for call in page.calls:
                yield call
                seen += 1
                if max_items is not None and seen >= max_items:
                    return
            offset += len(page.calls)
            if len(page.calls) < page_size or (page.total is not None and offset >= page.total):
                return

    async def end_call(self, call_id: str) -> ActionResult:
        # Ending twice is harmless (409), but never repeat it blindly: no retries.
        response = await self._send("POST", f"/calls/{call_id}/end", idempotent=False)
        return _model(ActionResult, _json(response), response) if response.content else ActionResult()

    async def transfer_call(self, call_id: str, transfer: TransferRequest) -> ActionResult:
        response = await self._send("POST", f"/calls/{call_id}/transfer", idempotent=False,
                                    json=transfer.model_dump(mode="json"))
        return _model(ActionResult, _json(response), response) if response.content else ActionResult()

    async def get_quota(self, tenant_id: str, *, retries: int | None = None) -> Quota:
        payload, response = await self._get_json(f"/analytics/tenants/{tenant_id}/quota",
                                                  retries=retries)
        from console.api.account_models import Quota

        return _model(Quota, payload, response)

    async def me(self) -> Me:
        payload, response = await self._get_json("/auth/me")
        from console.api.account_models import Me

        return _model(Me, payload, response)

    async def login(self, username: str, password: str) -> TokenPair:
        response = await self._send("POST", "/auth/token", idempotent=False,
                                    json={"username": username, "password": password})
        from console.api.account_models import TokenPair

        return _model(TokenPair, _json(response), response)

    async def refresh(self, refresh_token: str) -> TokenPair:
        response = await self._send("POST", "/auth/refresh", idempotent=False,
                                    json={"refresh_token": refresh_token})
        from console.api.account_models import TokenPair

        return _model(TokenPair, _json(response), response)

    async def probe_agents(self) -> list[AgentInfo] | None:
        """`GET /agents` where the server has it; None (quietly) where it does not."""
        try:
            payload, _ = await self._get_json("/agents", retries=0,
                                              max_bytes=MAX_LIST_BODY_BYTES)
        except (errors.NotFound, errors.RequestRejected, errors.BadResponse):
            return None
        items = payload.get("agents") if isinstance(payload, dict) else payload
        if isinstance(payload, dict) and items is None:
            items = payload.get("items", payload.get("data"))
        if not isinstance(items, list):
            return None
        from console.api.account_models import AgentInfo

        agents = []
        for item in items:
            if isinstance(item, dict):
                if "agent_id" not in item and "id" in item:
                    item = {**item, "agent_id": item["id"]}
                try:
                    agents.append(AgentInfo.model_validate(item))
                except ValidationError:
                    continue
        return agents


def _too_large(method: str, path: str, response: httpx.Response,
               max_bytes: int) -> errors.BadResponse:
    return errors.BadResponse(
        f"{method} {path}: {response.status_code} answer larger than {size_text(max_bytes)}, "
        "the most the console reads for it (the rest was not read)",
        status_code=response.status_code)


def _error(response: httpx.Response, overflow: bool, max_bytes: int) -> errors.ApiError:
    """The typed error of a non-2xx answer; a body past the cap is described, not parsed."""
    if overflow:
        return error_for(response, detail=f"an error body larger than {size_text(max_bytes)} "
                                          "(not read)")
    return error_for(response)


def _transport_reason(exc: httpx.TransportError) -> str:
    names = {
        httpx.ConnectTimeout: "connect timed out",
        httpx.ConnectError: "connection refused or unreachable",
        httpx.PoolTimeout: "no free connection",
        httpx.ReadTimeout: "no answer before the read timeout",
        httpx.WriteTimeout: "timed out while sending",
        httpx.ReadError: "connection lost while reading the answer",
        httpx.WriteError: "connection lost while sending",
        httpx.RemoteProtocolError: "connection closed by the server before a complete answer",
    }
    if isinstance(exc, UndecodableBody):
        return str(exc)
    for kind, text in names.items():
        if isinstance(exc, kind):
            return text
    return type(exc).__name__
