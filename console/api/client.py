"""The call API client: one long-lived `httpx.AsyncClient` per base URL, typed results and errors.

`place_call` is never retried: a request that may have reached the server without a usable
answer raises `OutcomeUnknown`, and `find_attempt` reconciles it from the agent's call list.
Idempotent GETs may retry with backoff (callers that schedule their own retries pass
`retries=0`).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from console import __version__
from console.api import errors
from console.api.models import (
    ActionResult,
    AgentInfo,
    CallPage,
    CallResponse,
    CallStatus,
    ErrorEntry,
    Me,
    OutboundCallRequest,
    Quota,
    TokenPair,
    TransferRequest,
)

log = logging.getLogger("console.api")

#: Extra seconds on top of the ringing timeout while the server waits for an answer.
WAIT_MARGIN_SECONDS = 30.0
#: How far around the attempt window a reconciled call may have started (clock skew).
RECONCILE_SLACK = timedelta(seconds=10)


@dataclass(frozen=True)
class Timeouts:
    connect: float = 5.0
    read: float = 15.0
    write: float = 10.0
    pool: float = 5.0
    #: Whole-request deadline of a plain (not waiting) place call. httpx timeouts are per
    #: read, so a server trickling its answer would otherwise hold the POST forever.
    place: float = 30.0

    def httpx(self, read: float | None = None) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=read or self.read, write=self.write,
                             pool=self.pool)


class BearerToken(httpx.Auth):
    """A fixed bearer token. Its repr never shows the token."""

    def __init__(self, token: str):
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
        return _clip(detail if isinstance(detail, str) else json.dumps(detail))
    if payload is not None:
        return _clip(json.dumps(payload))
    if "<html" in text[:500].lower() or "<!doctype" in text[:100].lower():
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        return "HTML page" + (f" ({_clip(title.group(1).strip(), 80)})" if title else "")
    return _clip(text)


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_for(response: httpx.Response) -> errors.ApiError:
    """The typed error for a non-2xx response."""
    code = response.status_code
    detail = describe_body(response)
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
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if code == 429:
        return errors.RateLimited(message, status_code=code, detail=detail, retry_after=retry_after)
    if code >= 500:
        return errors.ServerError(message, status_code=code, detail=detail, retry_after=retry_after)
    return errors.RequestRejected(message, status_code=code, detail=detail)


def _validation_entries(response: httpx.Response) -> list[ErrorEntry]:
    try:
        payload = response.json()
    except ValueError:
        return []
    detail = payload.get("detail") if isinstance(payload, dict) else None
    if not isinstance(detail, list):
        return []
    entries = []
    for item in detail:
        if isinstance(item, dict):
            try:
                entries.append(ErrorEntry.model_validate(item))
            except ValidationError:
                entries.append(ErrorEntry(msg=str(item.get("msg", item))))
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
    ):
        if isinstance(auth, str):
            auth = BearerToken(auth)
        self.base_url = base_url.rstrip("/")
        self.timeouts = timeouts or Timeouts()
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            timeout=self.timeouts.httpx(),
            transport=transport,
            headers={"User-Agent": f"call-console/{__version__}", "Accept": "application/json"},
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
                response = await self._http.post(
                    "/calls/outbound", json=body, timeout=self.timeouts.httpx(read=deadline))
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
                return _model(CallResponse, _json(response), response)
            except errors.BadResponse as exc:
                # Accepted, but we cannot tell which call it is: reconcile, never resend.
                raise self._unknown(body, sent_at, f"unreadable response: {exc}") from None
        raise error_for(response)

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

    async def _send(self, method: str, path: str, *, retries: int | None = None,
                    idempotent: bool = True, **kwargs: Any) -> httpx.Response:
        attempts = 1 + (self.retries if retries is None else retries) if idempotent else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure: errors.ApiError = errors.ConnectionFailed(
                    f"could not connect to {self.host} ({_transport_reason(exc)})")
            except httpx.TransportError as exc:
                failure = errors.NetworkError(
                    f"{method} {path}: {_transport_reason(exc)}")
            else:
                log.debug("%s %s -> %s", method, path, response.status_code)
                if response.is_success:
                    return response
                failure = error_for(response)
                if not isinstance(failure, errors.RateLimited | errors.ServerError):
                    raise failure
            if last:
                raise failure
            await asyncio.sleep(self._delay(attempt, getattr(failure, "retry_after", None)))
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, 30.0)
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
        payload, response = await self._get_json(f"/calls/agent/{agent_id}/calls",
                                                  params=params, retries=retries)
        items, total = normalise_call_list(payload)
        calls = []
        for index, item in enumerate(items):
            try:
                calls.append(CallStatus.model_validate(item))
            except ValidationError as exc:
                raise errors.BadResponse(
                    f"call list item {index}: {exc.errors()[0]['msg']}",
                    status_code=response.status_code) from None
        return CallPage(calls=calls, total=total, limit=limit, offset=offset)

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
        return _model(Quota, payload, response)

    async def me(self) -> Me:
        payload, response = await self._get_json("/auth/me")
        return _model(Me, payload, response)

    async def login(self, username: str, password: str) -> TokenPair:
        response = await self._send("POST", "/auth/token", idempotent=False,
                                    json={"username": username, "password": password})
        return _model(TokenPair, _json(response), response)

    async def refresh(self, refresh_token: str) -> TokenPair:
        response = await self._send("POST", "/auth/refresh", idempotent=False,
                                    json={"refresh_token": refresh_token})
        return _model(TokenPair, _json(response), response)

    async def probe_agents(self) -> list[AgentInfo] | None:
        """`GET /agents` where the server has it; None (quietly) where it does not."""
        try:
            payload, _ = await self._get_json("/agents", retries=0)
        except (errors.NotFound, errors.RequestRejected, errors.BadResponse):
            return None
        items = payload.get("agents") if isinstance(payload, dict) else payload
        if isinstance(payload, dict) and items is None:
            items = payload.get("items", payload.get("data"))
        if not isinstance(items, list):
            return None
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
    for kind, text in names.items():
        if isinstance(exc, kind):
            return text
    return type(exc).__name__
