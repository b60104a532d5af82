"""The key storm: seeded random bursts of operator keys on every screen and dialog, at a fast
typist's pace (gaps 0-150 ms), against the simulator, at 120x40 (80x24: test_key_storm_narrow.py,
a file of its own so the two halves run in parallel).

A run fails on any error raised in a handler (the app under test is strict), on a hang (no idle
within the deadline) and on a frozen screen (a screen or the focused widget that no longer
processes messages); the failure names the seed and the last keys. More seeds locally:
`STORM_SEEDS=20 pytest tests/tui/test_key_storm.py` (`STORM_SEED_BASE` moves the window).

The cases that found bugs are kept as fixed key sequences in test_key_storm_regressions.py.
"""

from __future__ import annotations

import os

import pytest

from storm import storm

SIZES = {"wide": (120, 40), "narrow": (80, 24)}
#: bursts of 25 keys per run (50 keys from each of the 18 starting points and 2 sizes in CI: 1,800
#: keys a run; the suite's 10-minute budget. STORM_BURSTS=8 locally for more)
BURSTS = int(os.environ.get("STORM_BURSTS", "2"))

#: (screen, keys that open the starting dialog): every screen, and every dialog reachable by a
#: key from it. The storm itself opens and closes many more on the way.
STARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "call": ("call", ()),
    "calls": ("calls", ()),
    "profiles": ("profiles", ()),
    "settings": ("settings", ()),
    "help": ("call", ("f1",)),
    "palette": ("call", ("ctrl+p",)),
    "find": ("calls", ("f12",)),
    "jump": ("profiles", ("ctrl+j",)),
    "template-picker": ("call", ("ctrl+b",)),
    "sign-in": ("call", ("ctrl+l",)),
    "environments": ("call", ("f9",)),
    "watch-agent": ("calls", ("w",)),
    "new-profile": ("profiles", ("n",)),
    "import": ("profiles", ("i",)),
    "export": ("profiles", ("e",)),
    "environment-editor": ("settings", ("ctrl+n",)),
    "campaign": ("campaign", ()),
    "history": ("history", ()),
}

SEEDS = int(os.environ.get("STORM_SEEDS", "1"))
SEED_BASE = int(os.environ.get("STORM_SEED_BASE", "0"))


def _seed(start: str, size: str, index: int) -> int:
    return SEED_BASE + index * 1000 + sorted(STARTS).index(start) * 10 + (size == "narrow")


async def run_storm(tui, tmp_path, monkeypatch, start: str, size: str, index: int) -> None:
    # Paths typed into the import/export dialogs are relative: keep them in the temp dir.
    monkeypatch.chdir(tmp_path)
    screen, opening = STARTS[start]
    app = tui.app(screen=screen)
    async with app.run_test(size=SIZES[size]) as pilot:
        await tui.wait_for(pilot, lambda: app.session_ready, "session")
        await pilot.pause()
        if opening:
            await pilot.press(*opening)
            await pilot.pause()
        await storm(pilot, _seed(start, size, index), bursts=BURSTS)


@pytest.mark.parametrize("index", range(SEEDS))
@pytest.mark.parametrize("start", STARTS)
async def test_storm(tui, tmp_path, monkeypatch, start, index):
    await run_storm(tui, tmp_path, monkeypatch, start, "wide", index)
