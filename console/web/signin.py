"""Browser sign-in state of `serve-web`: session cookies and the failed-attempt limiter.

A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie (Secure under TLS
or behind a TLS proxy), kept in this process's memory only: a restart signs everyone out. It
ends at sign-out, after `max_age` seconds, or after `idle` seconds with no request and no
open console. No Textual, no aiohttp: plain state with an injectable clock.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

COOKIE_NAME = "call_console_session"


@dataclass
class WebSession:
    token: str
    operator: str
    client: str
    created: float
    last_seen: float
    number: str = field(default_factory=lambda: secrets.token_hex(4))  # for the audit log
    consoles: int = 0  # browser tabs with a running console
    tabs_opened: int = 0


class Sessions:
    def __init__(self, *, max_age: float = 12 * 3600, idle: float = 1800,
                 clock: Callable[[], float] = time.monotonic):
        self.max_age, self.idle, self.clock = max_age, idle, clock
        self._by_token: dict[str, WebSession] = {}

    def create(self, operator: str, client: str) -> WebSession:
        now = self.clock()
        session = WebSession(secrets.token_urlsafe(32), operator, client, now, now)
        self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> WebSession | None:
        """The live session of a cookie value, touched; None for unknown or expired ones."""
        if not token:
            return None
        session = self._by_token.get(token)
        if session is None:
            return None
        if self.expired(session):
            del self._by_token[token]
            return None
        session.last_seen = self.clock()
        return session

    def expired(self, session: WebSession) -> bool:
        now = self.clock()
        if now - session.created > self.max_age:
            return True
        return bool(self.idle) and session.consoles == 0 and now - session.last_seen > self.idle

    def end(self, token: str | None) -> WebSession | None:
        return self._by_token.pop(token, None) if token else None

    def sweep(self) -> list[WebSession]:
        """Drop expired sessions; returns them (for the audit log)."""
        gone = [s for s in self._by_token.values() if self.expired(s)]
        for session in gone:
            del self._by_token[session.token]
        return gone


class FailureLimiter:
    """At most `limit` failed sign-ins per `window` seconds for one key (a client address, a
    name); past that the key is refused, even with the right password, until the oldest
    failure is `window` old."""

    def __init__(self, limit: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10000):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds until every key may try again (0: allowed now)."""
        wait = 0.0
        for key in keys:
            times = self._recent(key)
            if len(times) >= self.limit:
                wait = max(wait, times[0] + self.window - self.clock())
        return max(wait, 0.0)

    def failed(self, *keys: str) -> None:
        if len(self._failures) >= self.max_keys:  # bounded memory under a spray of names
            for key in list(self._failures):
                self._recent(key)
        now = self.clock()
        for key in keys:
            if key in self._failures or len(self._failures) < self.max_keys:
                self._failures.setdefault(key, deque(maxlen=self.limit)).append(now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)
