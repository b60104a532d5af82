"""The console's session: settings, the API connection and the stores, owned by the app.

Headless (no Textual), so the TUI, the CLI, the SSH server and tests share it. The HTTP client
is created on first use, so nothing network-related is imported before the first frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from console.config import Settings

if TYPE_CHECKING:
    from console.api.client import ApiClient


class ConsoleSession:
    def __init__(self, settings: Settings, *, demo: bool = False, operator: str | None = None):
        self.settings = settings
        self.demo = demo
        self.operator = operator or settings.operator_name()
        self.base_url: str | None = settings.base_url
        self._token: str | None = settings.token.get_secret_value() if settings.token else None
        self._client: ApiClient | None = None
        self._listeners: list[Callable[[ConsoleSession], None]] = []

    def __repr__(self) -> str:
        return f"ConsoleSession(base_url={self.base_url!r}, demo={self.demo})"

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

    def connect(self, base_url: str, token: str | None) -> None:
        """Point the session at an API (the demo simulator once it is up, or a new env)."""
        old = self._client
        self.base_url, self._token, self._client = base_url.rstrip("/"), token, None
        if old is not None:
            import asyncio

            try:
                asyncio.get_running_loop().create_task(old.aclose())
            except RuntimeError:
                pass
        for listener in list(self._listeners):
            listener(self)

    def on_connect(self, listener: Callable[[ConsoleSession], None]) -> None:
        self._listeners.append(listener)

    @property
    def client(self) -> ApiClient:
        """The one long-lived client for the current base URL (created on first use)."""
        if self.base_url is None:
            raise RuntimeError("no API configured")
        if self._client is None:
            from console.api.client import ApiClient, Timeouts

            self._client = ApiClient(
                self.base_url, auth=self._token,
                timeouts=Timeouts(connect=self.settings.connect_timeout,
                                  read=self.settings.read_timeout))
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
