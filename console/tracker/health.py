"""The API's health as the tracker's requests see it, for the console header (pure, no I/O).

Every poll, list page and heartbeat goes through the tracker's one request gate, which notes
whether the API answered and, if not, how the request failed. `assess()` turns that into what
the header shows, so the header never says "online" while requests fail:

=====================================================  =====  ==============================
what the last requests saw                              level  header text
=====================================================  =====  ==============================
nothing sent yet (since start or the last switch)       —      no opinion: the connect probe's
                                                                word stands
a 401/403 "sign in again" pause                          error  sign-in needed
a 429 / 503 Retry-After pause                            warn   paused 30 s (server asked)
≥ `OFFLINE_AFTER` in a row with no connection/answer     error  offline (unreachable)
otherwise a failure since the last answer (a timeout,    warn   degraded (server errors)
  a 5xx without Retry-After, an unreadable body)
an answer: any status the API chose to send (200, 404,   ok     online
  409, 422 — the API is up)
=====================================================  =====  ==============================

The pause text gives the length the server asked for (not a countdown: the Calls summary says
until when), so while a state holds nothing changes and the header is redrawn only when the
health really moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Failures in a row (no answer in between) without a connection before saying "offline".
OFFLINE_AFTER = 2

# Failure kinds, as the tracker's gate records them.
UNREACHABLE = "unreachable"  # no connection could be made
NO_ANSWER = "no answer"  # timeouts, connection cut while waiting for the answer
SERVER_ERRORS = "server errors"  # 5xx without Retry-After
BAD_ANSWERS = "bad answers"  # HTML, empty or malformed bodies
NETWORK_KINDS = frozenset({UNREACHABLE, NO_ANSWER})


@dataclass(frozen=True)
class Health:
    """One header state: `level` is a key of the header's styles (ok / warn / error)."""

    level: str
    text: str


ONLINE = Health("ok", "online")
SIGN_IN_NEEDED = Health("error", "sign-in needed")


def assess(*, requests: int, failures_in_row: int, last_failure: str | None,
           server_pause: float | None = None, sign_in_pause: bool = False) -> Health | None:
    """The header state for these facts (see the module docstring); None: no opinion yet.

    `server_pause`: seconds the API asked to wait (429/503 Retry-After) while that pause runs;
    `sign_in_pause`: a "sign in again" pause runs (it wins: nothing works until then)."""
    if sign_in_pause:
        return SIGN_IN_NEEDED
    if server_pause is not None:
        return Health("warn", f"paused {math.ceil(server_pause)} s (server asked)")
    if failures_in_row > 0:
        kind = last_failure or "errors"
        if kind in NETWORK_KINDS and failures_in_row >= OFFLINE_AFTER:
            return Health("error", f"offline ({kind})")
        return Health("warn", f"degraded ({kind})")
    if requests == 0:
        return None
    return ONLINE
