"""Key storms: seeded random bursts of the keys operators type, at a fast typist's pace.

`Pilot.press` waits for the app to be idle after every key, so it never finds the races a fast
typist finds (a second key before an overlay has closed, a key while a part is mounting).
`send_key` posts the key event the way the terminal driver does and returns at once; `storm`
sends bursts of them with random gaps (0 to `max_gap` seconds) and then checks the app is
alive: no error raised in any handler, idle within a deadline, and every screen on the stack
(and the focused widget) still processing messages.
"""

from __future__ import annotations

import asyncio
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from textual import events
from textual.app import App
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

#: What operators press, by the issue's list (F1-F6, digits, letters, Tab/Shift+Tab, Esc,
#: Enter, arrows, Home/End, Ctrl+J/P/B/R/G/N/Y/F, F6-F8, F10-F12). Quit keys are left out: the app
#: is meant to exit on them.
STORM_KEYS: tuple[str, ...] = (
    "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f10", "f11", "f12",
    *"0123456789", *"abcdefghijklmnopqrstuvwxyz",
    "tab", "shift+tab", "escape", "enter", "up", "down", "left", "right", "home", "end",
    "space", "backspace", "delete", "slash",
    "ctrl+j", "ctrl+p", "ctrl+b", "ctrl+r", "ctrl+g", "ctrl+n", "ctrl+y", "ctrl+f",
)

#: How long the app may take to settle after a burst before it counts as hung (seconds). Far
#: above any real settling time (a hang never settles), so load on the machine cannot trip it.
IDLE_DEADLINE = 30.0


def key_event(key: str) -> events.Key:
    """The `Key` event a terminal would deliver for `key` (as `App._press_keys` builds it)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


def send_key(app: App, key: str) -> None:
    """Deliver `key` like the driver does, without waiting for it to be handled."""
    event = key_event(key)
    event.set_sender(app)
    app.post_message(event)


async def pace(gap: float) -> None:
    """Wait `gap` seconds before the next key. No gap means no wait at all, not even one turn
    of the loop: keys that arrive in one read of the terminal are posted back to back."""
    if gap > 0:
        await asyncio.sleep(gap)


@dataclass
class StormReport:
    seed: int
    keys: list[tuple[str, float]] = field(default_factory=list)
    quits: int = 0          # Quit chosen (in the palette) and not carried out

    def describe(self, last: int = 40) -> str:
        shown = " ".join(f"{k}+{gap * 1000:.0f}ms" for k, gap in self.keys[-last:])
        return f"seed={self.seed}, {len(self.keys)} keys; last: {shown}"


async def storm(pilot, seed: int, *, bursts: int = 6, burst_size: int = 25,
                max_gap: float = 0.150, keys: Sequence[str] = STORM_KEYS) -> StormReport:
    """Type `bursts` bursts of random keys, checking after each that the app is alive."""
    app = pilot.app
    rng = random.Random(seed)
    report = StormReport(seed)
    # Quitting is an operator's choice, not a crash: the quit keys are not typed, and a Quit
    # picked in the command palette by the random letters (it happened: ctrl+p, "i", enter)
    # is noted instead of ending the storm early.
    async def quit_noted() -> None:
        report.quits += 1

    app.action_quit = quit_noted
    for _ in range(bursts):
        for _ in range(burst_size):
            key = rng.choice(keys)
            gap = rng.choice((0.0, 0.0, rng.uniform(0, max_gap)))
            report.keys.append((key, gap))
            send_key(app, key)
            await pace(gap)
        await assert_alive(pilot, report)
    return report


async def keys_handled(pilot) -> None:
    """Every key sent so far has been handled (the app delivers them one at a time), and the
    app is idle."""
    app = pilot.app
    await pilot.pause()
    while getattr(app, "keys_pending", False):
        await asyncio.sleep(0.01)
        await pilot.pause()


async def assert_alive(pilot, report: StormReport) -> None:
    """The app did not exit, settles within the deadline, and every screen still answers."""
    app = pilot.app
    if not app.is_running or app.return_code is not None or app._exception is not None:
        stack = [type(s).__name__ for s in app.screen_stack] if app.is_running else []
        raise AssertionError(f"the app died: {app._exception!r} (running {app.is_running}, "
                             f"return code {app.return_code}, screens {stack}); "
                             f"{report.describe()}")
    try:
        await asyncio.wait_for(keys_handled(pilot), IDLE_DEADLINE)
    except TimeoutError:
        raise AssertionError(f"no idle within {IDLE_DEADLINE:g} s; {report.describe()}") from None
    pumps = [*app.screen_stack]
    if app.focused is not None:
        pumps.append(app.focused)
    for pump in pumps:
        answered = asyncio.Event()
        pump.call_next(answered.set)
        try:
            await asyncio.wait_for(answered.wait(), IDLE_DEADLINE)
        except TimeoutError:
            raise AssertionError(
                f"{pump!r} stopped processing messages (frozen); {report.describe()}") from None
    if app._exception is not None:
        raise AssertionError(f"error in a handler: {app._exception!r}; {report.describe()}")
