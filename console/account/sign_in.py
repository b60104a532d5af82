"""Authentication: signing in, refreshing rotating tokens, and choosing the bearer for a request.

- `RefreshingAuth` (an `httpx.Auth` for the one `httpx.AsyncClient`) puts the access token on
  every request, refreshes it shortly *before* it expires and once after a 401, saves the
  rotated refresh token at once (atomically, through `TokenStore`), and raises
  `errors.AuthRequired` ("sign in again") when the refresh token is refused.
- `auth_for(target, settings)` picks the bearer for a `Target`: `CALL_CONSOLE_TOKEN`, a
  pre-issued token (`token_env`, or one saved with `login --token-stdin`), or the stored login.
- `sign_in`, `save_token`, `sign_out`: what `call-console login/logout` and the TUI's login
  modal do.

Tokens never appear in a repr, a log line or an error message. Headless (no Textual).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from console.api import errors
from console.account.environments import Target
from console.store.secrets import StoredTokens, TokenStore

if TYPE_CHECKING:
    from console.api.client import Timeouts
    from console.api.models import Me, TokenPair
    from console.config.settings import Settings

log = logging.getLogger("console.account.sign_in")

#: Refresh when less than this fraction of the token's lifetime remains...
REFRESH_FRACTION = 0.1
#: ...or less than this many seconds, whichever is smaller (24 h tokens: the last minute).
REFRESH_MARGIN_MAX = 60.0
#: How long to wait for another process that is refreshing the same environment.
CROSS_PROCESS_WAIT = 30.0


def refresh_margin(lifetime: float | None) -> float:
    """Seconds before expiry at which a token is refreshed ahead of time."""
    if not lifetime or lifetime <= 0:
        return REFRESH_MARGIN_MAX
    return min(REFRESH_MARGIN_MAX, REFRESH_FRACTION * lifetime)


class NotSignedIn(errors.AuthRequired):
    """No usable credentials are stored for the target: run `call-console login`."""


class LoginRefused(errors.AuthRequired):
    """The server refused the username/password or the token at sign-in."""


def login_hint(target: Target) -> str:
    if target.is_named:
        return f"call-console login --env {target.name}"
    return "call-console login"


def describe_target(target: Target) -> str:
    if target.is_named:
        return f"environment {target.name!r} ({target.host})"
    return target.host


def _auth_failure(response: httpx.Response) -> bool:
    """401, or the 403 "Not authenticated" some FastAPI versions send (body already read)."""
    if response.status_code == 401:
        return True
    if response.status_code == 403:
        try:
            detail = response.json().get("detail")
        except (ValueError, AttributeError):
            return False
        return isinstance(detail, str) and detail.strip().lower() == "not authenticated"
    return False


Refresher = Callable[[str], Awaitable["TokenPair"]]


class RefreshingAuth(httpx.Auth):
    """Bearer auth with a rotating refresh token, for `httpx.AsyncClient` only.

    `clock` returns wall-clock epoch seconds (injectable for tests). `refresher` posts a refresh
    token and returns the new `TokenPair`; by default a short-lived client on `base_url` does it
    (`transport` lets tests pass a mock). One `asyncio.Lock` makes concurrent requests refresh
    once; a file lock per environment does the same across processes sharing the store.
    """

    requires_request_body = True  # the request is sent again after a 401

    def __init__(self, target: Target, store: TokenStore, tokens: StoredTokens, *,
                 clock: Callable[[], float] = time.time, refresher: Refresher | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeouts: Timeouts | None = None,
                 cross_process_wait: float = CROSS_PROCESS_WAIT):
        self.target = target
        self.store = store
        self._use(tokens)
        self._clock = clock
        self._refresher = refresher
        self._transport = transport
        self._timeouts = timeouts
        self._lock = asyncio.Lock()
        self._cross_process_wait = cross_process_wait
        #: Successful refreshes by this object (for tests and the Settings screen).
        self.refresh_count = 0

    def __repr__(self) -> str:
        left = self.seconds_left()
        expiry = "unknown" if left is None else f"{left:.0f}s"
        return f"RefreshingAuth(target={self.target.name!r}, host={self.target.host!r}, expires_in={expiry})"

    __str__ = __repr__

    # -- state ----------------------------------------------------------------------------

    @property
    def username(self) -> str | None:
        return self._tokens.username

    @property
    def expires_at(self) -> float | None:
        return self._tokens.expires_at

    def seconds_left(self) -> float | None:
        if self._tokens.expires_at is None:
            return None
        return self._tokens.expires_at - self._clock()

    def needs_refresh(self, tokens: StoredTokens | None = None) -> bool:
        tokens = tokens or self._tokens
        if not tokens.refreshable or tokens.expires_at is None:
            return False
        return self._clock() >= tokens.expires_at - refresh_margin(tokens.lifetime)

    def _use(self, tokens: StoredTokens) -> None:
        """Make `tokens` current; from now on the log masks them (console.logs)."""
        from console.logs import register_secret

        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        self._tokens = tokens

    def set_tokens(self, tokens: StoredTokens) -> None:
        """Adopt a new sign-in (the login modal): requests in flight resume with it."""
        self._use(tokens)

    # -- the flow ---------------------------------------------------------------------------

    def sync_auth_flow(self, request: httpx.Request):
        raise RuntimeError("RefreshingAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
            self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        tokens = self._tokens
        if self.needs_refresh(tokens):
            tokens = await self._refresh(tokens)
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code in (401, 403):
            # Read here (for a 403's detail) and by httpx before a retry: a hostile server's
            # 50 MB refusal (or gzip bomb) is cut at the cap the client applies to every body.
            from console.api.body import cap_body
            from console.api.client import MAX_BODY_BYTES

            cap_body(response, MAX_BODY_BYTES)
        if response.status_code == 403:
            await response.aread()
        if not _auth_failure(response) or not (tokens.refreshable or self._tokens is not tokens):
            return
        # The server refused the token, so it did not act on the request: sending it again
        # with a fresh token is safe, even for POST /calls/outbound (a 401 comes from the auth
        # check before the handler runs, so no call was placed). Only once per request.
        await response.aread()
        tokens = await self._refresh(tokens, after_401=True)
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        yield request

    async def _refresh(self, stale: StoredTokens, *, after_401: bool = False) -> StoredTokens:
        async with self._lock:
            if self._tokens is not stale and self._tokens.access_token != stale.access_token:
                return self._tokens  # another request refreshed while this one waited
            lock = self.store.lock(self.target.name)
            locked = await self._acquire(lock)
            try:
                latest = await asyncio.to_thread(self.store.load, self.target.name)
                if latest is not None and latest.base_url not in (None, self.target.base_url):
                    latest = None  # never adopt tokens issued by another API
                if latest is not None and latest.access_token != stale.access_token \
                        and not self.needs_refresh(latest):
                    log.info("%s: using the token another process refreshed", self.target.name)
                    self._use(latest)
                    return latest
                refresh_token = (latest.refresh_token if latest is not None
                                 and latest.refresh_token else stale.refresh_token)
                if not refresh_token:
                    raise self._sign_in_again("no refresh token is stored")
                pair = await self._call_refresh(refresh_token)
                fresh = StoredTokens.from_pair(pair, username=stale.username,
                                               base_url=self.target.base_url, now=self._clock())
                # Keep working in memory even if saving fails; the next process would need
                # to sign in again, so say so.
                self._use(fresh)
                self.refresh_count += 1
                try:
                    await asyncio.to_thread(self.store.save, self.target.name, fresh)
                except Exception as exc:  # noqa: BLE001
                    log.warning("%s: could not save the rotated refresh token (%s); the next "
                                "start will ask you to sign in again", self.target.name,
                                type(exc).__name__)
                log.info("%s: access token refreshed%s (valid %ss)", self.target.name,
                         " after a 401" if after_401 else " before expiry", pair.expires_in)
                return fresh
            finally:
                if locked:
                    lock.release()

    async def _acquire(self, lock) -> bool:
        from filelock import Timeout

        deadline = time.monotonic() + self._cross_process_wait
        while True:
            try:
                lock.acquire(timeout=0)
                return True
            except Timeout:
                if time.monotonic() >= deadline:
                    log.warning("%s: another process holds the refresh lock; refreshing anyway",
                                self.target.name)
                    return False
                await asyncio.sleep(0.05)

    async def _call_refresh(self, refresh_token: str) -> TokenPair:
        try:
            if self._refresher is not None:
                return await self._refresher(refresh_token)
            from console.api.client import ApiClient

            async with ApiClient(self.target.base_url, auth=None, transport=self._transport,
                                 timeouts=self._timeouts, retries=0) as client:
                return await client.refresh(refresh_token)
        except (errors.AuthRequired, errors.Forbidden, errors.RequestRejected,
                errors.ValidationFailed, errors.NotFound) as exc:
            raise self._sign_in_again(exc.detail or str(exc)) from None

    def _sign_in_again(self, reason: str) -> errors.AuthRequired:
        return errors.AuthRequired(
            f"the sign-in to {describe_target(self.target)} has expired or was revoked "
            f"({reason}): sign in again with `{login_hint(self.target)}`",
            status_code=401, detail=reason)


# --------------------------------------------------------------------------- choosing auth


def _static(token: str) -> httpx.Auth:
    from console.api.client import BearerToken

    return BearerToken(token)


def auth_for(target: Target, settings: Settings | None = None, *,
             store: TokenStore | None = None, clock: Callable[[], float] = time.time,
             transport: httpx.AsyncBaseTransport | None = None,
             timeouts: Timeouts | None = None) -> httpx.Auth:
    """The `httpx.Auth` for `target`; raises `NotSignedIn` when there is nothing to use.

    Order: `CALL_CONSOLE_TOKEN`; for `auth = "token"` the `token_env` variable, then (plain
    base URL only) the config file's `token`; then what the token store holds for the target
    (a login → `RefreshingAuth`, a saved pre-issued token → fixed bearer).
    """
    env_token = os.environ.get("CALL_CONSOLE_TOKEN")
    if env_token:
        return _static(env_token)
    environment = target.environment
    if environment is not None and environment.token_env:
        value = os.environ.get(environment.token_env)
        if value:
            return _static(value)
    if environment is None and settings is not None and settings.token is not None:
        return _static(settings.token.get_secret_value())
    store = store or TokenStore()
    stored = store.load(target.name)
    if stored is not None and stored.base_url not in (None, target.base_url):
        raise NotSignedIn(
            f"the stored sign-in for {target.name!r} was made for another URL "
            f"({stored.base_url}); sign in again with `{login_hint(target)}`")
    if stored is None:
        if target.auth == "token":
            where = (f"set ${environment.token_env} or " if environment and environment.token_env
                     else "set CALL_CONSOLE_TOKEN or ")
            raise NotSignedIn(f"no token for {describe_target(target)}: {where}save one with "
                              f"`{login_hint(target)} --token-stdin`")
        raise NotSignedIn(f"not signed in to {describe_target(target)}: run `{login_hint(target)}`")
    if not stored.refreshable:
        return _static(stored.access_token)
    return RefreshingAuth(target, store, stored, clock=clock, transport=transport,
                          timeouts=timeouts)


def token_source(target: Target, settings: Settings | None = None,
                 store: TokenStore | None = None) -> str:
    """A short description of where the bearer comes from (never the token)."""
    if os.environ.get("CALL_CONSOLE_TOKEN"):
        return "CALL_CONSOLE_TOKEN"
    environment = target.environment
    if environment is not None and environment.token_env and os.environ.get(environment.token_env):
        return f"${environment.token_env}"
    if environment is None and settings is not None and settings.token is not None:
        return "config token"
    stored = (store or TokenStore()).load(target.name)
    if stored is None:
        return "none"
    return "login" if stored.refreshable else "saved token"


# --------------------------------------------------------------------------- sign in / out


async def sign_in(target: Target, username: str, password: str, *,
                  store: TokenStore | None = None,
                  transport: httpx.AsyncBaseTransport | None = None,
                  timeouts: Timeouts | None = None,
                  clock: Callable[[], float] = time.time) -> tuple[StoredTokens, Me]:
    """`POST /auth/token`, store the pair at once, then `GET /auth/me` with it."""
    from console.api.client import ApiClient

    store = store or TokenStore()
    async with ApiClient(target.base_url, auth=None, transport=transport, timeouts=timeouts,
                         retries=0) as client:
        try:
            pair = await client.login(username, password)
        except errors.AuthRequired as exc:
            await _audit("sign_in_refused", target, username=username, method="password",
                         status_code=exc.status_code)
            raise LoginRefused(f"sign-in to {describe_target(target)} refused: "
                               f"{exc.detail or 'wrong username or password'}",
                               status_code=exc.status_code, detail=exc.detail) from None
    tokens = StoredTokens.from_pair(pair, username=username, base_url=target.base_url,
                                    now=clock())
    await asyncio.to_thread(store.save, target.name, tokens)
    async with ApiClient(target.base_url, auth=_static(tokens.access_token), transport=transport,
                         timeouts=timeouts) as client:
        me = await client.me()
    await _audit("sign_in", target, username=me.username, method="password")
    return tokens, me


async def save_token(target: Target, token: str, *, store: TokenStore | None = None,
                     transport: httpx.AsyncBaseTransport | None = None,
                     timeouts: Timeouts | None = None) -> tuple[StoredTokens, Me]:
    """Check a pre-issued token with `GET /auth/me`, then store it (never refreshed)."""
    from console.api.client import ApiClient

    store = store or TokenStore()
    async with ApiClient(target.base_url, auth=_static(token), transport=transport,
                         timeouts=timeouts) as client:
        try:
            me = await client.me()
        except errors.AuthRequired as exc:
            await _audit("sign_in_refused", target, method="token",
                         status_code=exc.status_code)
            raise LoginRefused(f"{describe_target(target)} refused the token "
                               f"({exc.detail or exc.status_code})",
                               status_code=exc.status_code, detail=exc.detail) from None
    tokens = StoredTokens(access_token=token, username=me.username, base_url=target.base_url,
                          saved_at=time.time())
    await asyncio.to_thread(store.save, target.name, tokens)
    await _audit("sign_in", target, username=me.username, method="token")
    return tokens, me


def sign_out(target: Target, *, store: TokenStore | None = None) -> bool:
    """Forget the stored tokens (the API has no revoke route; they lapse on their own)."""
    forgotten = (store or TokenStore()).clear(target.name)
    _audit_now("sign_out", target, forgotten=forgotten)
    return forgotten


def _audit_now(kind: str, target: Target, **fields: Any) -> None:
    """The audit record of a sign-in or sign-out (never a password or token; a log that cannot
    be written never fails the sign-in)."""
    from console.account.audit import audit_event

    if not audit_event(kind, env=target.name if target.is_named else None,
                       base_url=target.base_url, **fields):
        log.warning("audit record %s not written", kind)


async def _audit(kind: str, target: Target, **fields: Any) -> None:
    await asyncio.to_thread(_audit_now, kind, target, **fields)


def me_json(me: Me, target: Target, source: str) -> dict[str, Any]:
    return {"env": target.name if target.is_named else None, "base_url": target.base_url,
            "username": me.username, "user_id": me.user_id, "role": me.role,
            "tenant_id": me.owner_id, "auth": source}
