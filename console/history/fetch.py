"""Fetch a date range of calls from the API into the call store ("Fetch from the API").

For each chosen agent, pages through `GET /calls/agent/{id}/calls` with `start_date` /
`end_date` and merges every page into the store in one transaction (`merge_fetched`, idempotent
by call id: fetching the same range twice changes nothing). Calls this console did not place
are stored as placed elsewhere. Each page is committed as it arrives, so a cancelled or failed
fetch keeps what it read; `cancelled()` is asked between pages, and an asyncio cancellation
stops at the request in flight. Only GETs are sent (retrying them is safe).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from console.history.agents import AgentRef

if TYPE_CHECKING:
    from console.api.client import ApiClient
    from console.store.history import CallStore

#: Calls asked for per request (the API's maximum is 500).
PAGE_SIZE = 200


@dataclass(frozen=True)
class FetchProgress:
    """Where a fetch is: the agent being read (1-based of `agents`), the calls read for it and
    the API's total for it (None when the server does not say), and the store's counts so far."""

    agent: AgentRef
    agent_index: int
    agents: int
    read: int
    total: int | None
    new: int
    changed: int


@dataclass
class FetchResult:
    read: int = 0
    new: int = 0
    changed: int = 0
    cancelled: bool = False
    #: (agent, message) for each agent whose list could not be read
    failures: list[tuple[AgentRef, str]] = field(default_factory=list)


async def fetch_history(client: ApiClient, store: CallStore, agents: Sequence[AgentRef], *,
                        since: datetime | None, until: datetime | None,
                        environment: str | None, page_size: int = PAGE_SIZE,
                        on_progress: Callable[[FetchProgress], None] | None = None,
                        cancelled: Callable[[], bool] = lambda: False) -> FetchResult:
    """Read every call of `agents` started in [since, until) into `store`.

    An agent whose list fails (unknown agent, server error...) is noted in `failures` and the
    others are still read; a refused sign-in (`AuthRequired`) ends the fetch (raised)."""
    from console.api import errors

    result = FetchResult()
    for index, agent in enumerate(agents, start=1):
        read, offset, seen = 0, 0, set()
        while True:
            if cancelled():
                result.cancelled = True
                return result
            try:
                page = await client.list_calls(agent.agent_id, limit=page_size, offset=offset,
                                               start_date=since, end_date=until)
            except errors.AuthRequired:
                raise
            except errors.ApiError as exc:
                result.failures.append((agent, str(exc)))
                break
            fresh = [c for c in page.calls if c.call_id not in seen]
            seen.update(c.call_id for c in fresh)
            new, changed = await asyncio.to_thread(store.merge_fetched, page.calls,
                                                   environment=environment)
            read += len(page.calls)
            result.read += len(page.calls)
            result.new += new
            result.changed += changed
            offset += len(page.calls)
            if on_progress is not None:
                on_progress(FetchProgress(agent, index, len(agents), read, page.total,
                                          result.new, result.changed))
            done = (len(page.calls) < page_size or not fresh
                    or (page.total is not None and offset >= page.total))
            if done:
                break
    return result
