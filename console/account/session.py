"""The console's session: settings, the API connection and the stores, owned by the app.

Headless (no Textual), so the TUI, the CLI, the SSH server and tests share it. The HTTP client
is created on first use, so nothing network-related is imported before the first frame.

The API in use is a `Target` resolved like the CLI does (`env=` / CALL_CONSOLE_ENV /
CALL_CONSOLE_BASE_URL / active_env / base_url). Its auth comes from `console.account.sign_in.auth_for`:
a `RefreshingAuth` for a stored login, so the TUI refreshes and rotates tokens exactly like
the CLI. When nothing is signed in, `needs_login` is True and requests answer `AuthRequired`;
`await session.login(user, password)` (the login modal) signs in and the same client resumes.

`environment` names the API calls placed now belong to (stored with every call, so a console
re-attaches and polls only the calls of the API it talks to; `tenant` narrows it once `/auth/me`
answered). See `demo_identity` for what one `--demo` run is.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from console.config.settings import Settings
from console.account.environments import Target

if TYPE_CHECKING:
    import httpx

    from console.api.client import ApiClient
    from console.api.models import Me, Quota
    from console.store.secrets import TokenStore


def environment_key(base_url: str) -> str:
    """The environment of an API given by its base URL: scheme and host in lower case, no
    trailing slash (`HTTPS://Api.Example.com/` and `https://api.example.com` are one API)."""
    import urllib.parse

    parts = urllib.parse.urlsplit(base_url.strip())
    if not parts.scheme or not parts.netloc:
        return base_url.strip().rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def demo_identity() -> str:
    """A fresh environment for one `--demo` simulator run (`demo:20261125T170000-1a2b3c4d`).

    The simulator keeps its calls in memory only, so a new run knows none of the previous
    run's calls: were they re-attached, they would show as live for ever and every poll would
    be a 404. Each run is therefore its own environment — its calls stay in the history, tied
    to the run that placed them, and the next run starts with an empty table. (The other way,
    the simulator keeping its state in the data dir, would make demos depend on what earlier
    demos left behind, and the deterministic outcomes by number would no longer start afresh.)
    """
    return f"demo:{datetime.now(UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


class ConsoleSession:
    def __init__(self, settings: Settings, *, demo: bool = False, operator: str | None = None,
                 env: str | None = None, auth: httpx.Auth | None = None,
                 store: TokenStore | None = None):
        """`env` selects `[environments.NAME]` like `--env` (raises `ConfigError` when unknown);
        `auth` forces an `httpx.Auth` (tests); `store` is the token store (default: chosen)."""
        self.settings = settings
        self.demo = demo
        self.operator = operator or settings.operator_name()
        self.target: Target | None = None
        if not demo:
            from console.account.environments import resolve_target

            self.target = resolve_target(settings, env)
        self.base_url: str | None = self.target.base_url if self.target else settings.base_url
        self._token: str | None = settings.token.get_secret_value() if settings.token else None
        self._auth: httpx.Auth | None = auth
        self._store = store
        self._client: ApiClient | None = None
        #: an environment given by `connect()` (one demo run); None: the base URL's
        self._identity: str | None = None
        self._listeners: list[Callable[[ConsoleSession], None]] = []
        #: Who the API says we are (set by `whoami()` and `login()`; None after a switch).
        self.me: Me | None = None

    def __repr__(self) -> str:
        name = self.target.name if self.target else None
        return f"ConsoleSession(base_url={self.base_url!r}, env={name!r}, demo={self.demo})"

    @property
    def env_name(self) -> str | None:
        """The named environment in use (None for a plain base URL or the demo)."""
        return self.target.name if self.target is not None and self.target.is_named else None

    @property
    def environment(self) -> str | None:
        """Which API calls placed now belong to: the base URL's key (`environment_key`), or
        the identity `connect()` was given (`demo:…` for one demo run). None while nothing is
        connected — and in the demo until its simulator is up."""
        if self._identity is not None:
            return self._identity
        if self.base_url is None or (self.demo and self.target is None):
            return None  # the demo's simulator is not up yet (a config base_url is not it)
        return environment_key(self.base_url)

    @property
    def tenant(self) -> str | None:
        """The signed-in user's tenant, once `/auth/me` answered (None until then)."""
        return self.me.owner_id if self.me is not None else None

    @property
    def store(self) -> TokenStore:
        if self._store is None:
            from console.store.secrets import TokenStore

            self._store = TokenStore()
        return self._store

    @property
    def connected(self) -> bool:
        """An API is configured (not a health check)."""
        return self.base_url is not None

    @property
    def host(self) -> str:
        if not self.base_url:
            return "not connected"
        import urllib.parse

        parsed = urllib.parse.urlsplit(self.base_url)
        return parsed.netloc or self.base_url

    def connect(self, base_url: str, token: str | None, *, identity: str | None = None) -> None:
        """Point the session at an API given directly (the demo simulator, a typed URL).

        `identity` names its environment when the base URL does not (`demo_identity()` for
        a demo run: its port may be reused by the next run)."""
        from console.account.environments import adhoc_target

        self.target = adhoc_target(base_url, token=token is not None)
        self._auth = None
        self._identity = identity
        self._switch(base_url.rstrip("/"), token)

    def use_environment(self, name: str | None) -> None:
        """Switch to `[environments.NAME]` (None: resolve as at start). Raises `ConfigError`."""
        from console.account.environments import resolve_target

        self.target = resolve_target(self.settings, name)
        self._auth = None
        self._identity = None
        self._switch(self.target.base_url if self.target else self.settings.base_url,
                     self._token)

    def _switch(self, base_url: str | None, token: str | None) -> None:
        old = self._client
        self.base_url, self._token, self._client = base_url, token, None
        self.me = None
        if old is not None:
            import asyncio

            try:
                asyncio.get_running_loop().create_task(old.aclose())
            except RuntimeError:
                pass
        self._notify()

    async def whoami(self) -> Me:
        """`GET /auth/me` (user, role, tenant id for the header); cached in `self.me`."""
        self.me = await self.client.me()
        return self.me

    async def quota(self) -> Quota:
        """The tenant's capacity (`GET /analytics/tenants/{tenant}/quota`) for the meter."""
        me = self.me or await self.whoami()
        if not me.owner_id:
            from console.api import errors

            raise errors.RequestRejected(f"user {me.username!r} has no tenant (role {me.role})")
        return await self.client.get_quota(me.owner_id, retries=0)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    def on_connect(self, listener: Callable[[ConsoleSession], None]) -> None:
        self._listeners.append(listener)

    # -- auth -----------------------------------------------------------------------------

    def _timeouts(self):
        from console.api.client import Timeouts

        return Timeouts(connect=self.settings.connect_timeout, read=self.settings.read_timeout)

    def _resolve_auth(self) -> httpx.Auth | str | None:
        """The auth of the current target; None when nothing is signed in (requests → 401)."""
        if self._auth is not None:
            return self._auth
        if self.target is None or self.target.source == "connect":
            return self._token
        from console.account.sign_in import NotSignedIn, auth_for

        try:
            self._auth = auth_for(self.target, self.settings, store=self.store,
                                  timeouts=self._timeouts())
        except NotSignedIn:
            return None
        return self._auth

    @property
    def auth(self) -> httpx.Auth | str | None:
        return self._resolve_auth()

    @property
    def needs_login(self) -> bool:
        """Connected to an API but holding nothing to authenticate with: show the login modal."""
        return self.base_url is not None and self._resolve_auth() is None

    async def login(self, username: str, password: str) -> Me:
        """Sign in to the current target, store the tokens and use them from now on.

        Raises `console.account.sign_in.LoginRefused` (wrong password) or another `ApiError`. Requests in
        flight and pollers keep the same client: only its tokens change.
        """
        from console.account.sign_in import sign_in

        target = self._require_target()
        tokens, me = await sign_in(target, username, password, store=self.store,
                                   timeouts=self._timeouts())
        self._adopt(tokens)
        self.me = me
        return me

    async def login_with_token(self, token: str) -> Me:
        """Check a pre-issued token with /auth/me, store it and use it (never refreshed)."""
        from console.account.sign_in import save_token

        target = self._require_target()
        tokens, me = await save_token(target, token, store=self.store, timeouts=self._timeouts())
        self._adopt(tokens)
        self.me = me
        return me

    def logout(self) -> bool:
        """Forget the stored tokens of the current target; requests answer 401 from now on."""
        from console.account.sign_in import sign_out

        removed = sign_out(self._require_target(), store=self.store)
        self._auth = None
        self._switch(self.base_url, self._token if self.target and
                     self.target.source == "connect" else None)
        return removed

    def _require_target(self) -> Target:
        if self.target is None:
            if self.base_url is None:
                raise RuntimeError("no API configured")
            from console.account.environments import adhoc_target

            self.target = adhoc_target(self.base_url, token=False)
        return self.target

    def _adopt(self, tokens) -> None:
        from console.account.sign_in import RefreshingAuth

        if isinstance(self._auth, RefreshingAuth) and tokens.refreshable \
                and self._auth.target == self.target:
            self._auth.set_tokens(tokens)  # the client and its pollers carry on
            self._notify()
            return
        if tokens.refreshable:
            self._auth = RefreshingAuth(self._require_target(), self.store, tokens,
                                        timeouts=self._timeouts())
        else:
            from console.api.client import BearerToken

            self._auth = BearerToken(tokens.access_token)
        if self.target is not None and self.target.source == "connect":
            # A login on an ad-hoc URL: keep using the stored login, not the old fixed token.
            self.target = Target(name=self.target.name, base_url=self.target.base_url,
                                 auth="login", source="login")
        self._switch(self.base_url, None)

    @property
    def client(self) -> ApiClient:
        """The one long-lived client for the current base URL (created on first use)."""
        if self.base_url is None:
            raise RuntimeError("no API configured")
        if self._client is None:
            from console.api.client import ApiClient

            self._client = ApiClient(self.base_url, auth=self._resolve_auth(),
                                     timeouts=self._timeouts())
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
