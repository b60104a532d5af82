"""Waiting for a condition with a deadline: the one helper every test uses (never a sleep).

- `wait_for(pilot, predicate)`: inside a Textual Pilot run (the app keeps processing).
- `wait_until(check)`: in plain asyncio code (`check` may be a coroutine function); returns
  the first truthy value.
- `poll(check)`: in synchronous code (subprocesses, tmux, sshd); returns the first truthy value.

Each fails with "timed out waiting for WHAT" so a hang names what never happened. The default
deadline (30 s) is far above what any wait takes on an idle machine: it only decides how long
a real hang takes to fail, and a loaded 2-core machine (three workers) started an app in 15 s.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class TimedOut(AssertionError):
    """A condition did not hold within its deadline."""


async def wait_for(pilot, predicate: Callable[[], Any], what: str = "condition",
                   timeout: float = 30.0, *, settle: bool = False) -> None:
    """Let the app run until `predicate()` is truthy; `settle` lets it process one more
    round of messages after that."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out waiting for {what}")
        await pilot.pause(0.02)
    if settle:
        await pilot.pause()


async def wait_until(check: Callable[[], Any], what: str = "condition", timeout: float = 30.0,
                     interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out waiting for {what}")
        await asyncio.sleep(interval)


def poll(check: Callable[[], T], what: str = "condition", timeout: float = 10.0,
         interval: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimedOut(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)
