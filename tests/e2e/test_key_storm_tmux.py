"""The key storm once through a real terminal: the installed `call-console --demo` in tmux,
seeded random bursts of operator keys sent by `tmux send-keys` (the terminal's own escape
sequences, parsed by Textual's real driver), at 120x40 and 80x24.

After each burst the console must still be running and answer: Escape closes whatever the
burst opened, F3 and F2 switch screens. It never shows "Unexpected error" (the installed
command survives handler errors and would say so) and its log file records none. A failure
names the seed and the keys.
"""

from __future__ import annotations

import random
import time

import pytest

pytestmark = pytest.mark.e2e

#: tmux key names of the storm's keys (tests/tui/storm.py STORM_KEYS); quit keys left out
TMUX_KEYS: tuple[str, ...] = (
    "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F12",
    *"0123456789", *"abcdefghijklmnopqrstuvwxyz",
    "Tab", "BTab", "Escape", "Enter", "Up", "Down", "Left", "Right", "Home", "End",
    "Space", "BSpace", "DC", "/",
    "C-j", "C-p", "C-b", "C-r", "C-g", "C-n", "C-y", "C-f",
)
#: 3 bursts of 30 keys at each size (90 keys; 5 bursts took 31 s of the suite's budget)
BURSTS = 3
BURST_SIZE = 30


def title(screen: str) -> str:
    """The console header's first line (it names the screen shown)."""
    return screen.splitlines()[0] if screen else ""


def settle_and_probe(console, sent: list[str], seed: int) -> None:
    """Close what the burst opened and switch screens: the console is alive and answering.

    Escape is sent a few times, slowly: a dialog may be stacked on another, the palette's
    first Escape only closes its result list, and an Escape followed at once by a key reads
    as Alt+key in any terminal."""
    what = f"seed {seed}, keys so far: {' '.join(sent[-40:])}"
    for _attempt in range(3):
        for _ in range(3):
            console.keys("Escape")
            time.sleep(0.3)
        console.keys("F3")
        try:
            console.wait_for(lambda s: " Calls " in title(s), "the Calls screen", timeout=5)
            break
        except AssertionError:
            continue
    else:
        screen = console.capture()
        raise AssertionError(f"the console does not answer F3 after a burst ({what}):\n{screen}")
    console.keys("F2")
    console.wait_for(lambda s: " Call " in title(s), f"the Call screen ({what})", timeout=30)
    screen = console.capture()
    assert "EXIT=" not in screen, f"the console exited ({what}):\n{screen}"
    assert "Unexpected error" not in screen, f"an error toast ({what}):\n{screen}"


@pytest.mark.parametrize("width, height, seed", [(120, 40, 1), (80, 24, 2)])
def test_key_storm_on_the_installed_command(console_in_tmux, tmp_path, width, height, seed):
    console = console_in_tmux("--demo", width=width, height=height)
    console.wait_for_text("online", timeout=30)
    rng = random.Random(seed)
    sent: list[str] = []
    for _ in range(BURSTS):
        burst = [rng.choice(TMUX_KEYS) for _ in range(BURST_SIZE)]
        for key in burst:
            # one key per send-keys call: tmux writes each as the terminal would, back to back
            console.keys(key)
        sent.extend(burst)
        settle_and_probe(console, sent, seed)
    console.keys("C-q")
    screen = console.wait_for(lambda s: "EXIT=" in s or "Quit call-console?" in s, "the quit")
    if "Quit call-console?" in screen:  # the storm placed a call that is still live
        console.keys("C-q")
    console.wait_for_text("EXIT=0")
    log = tmp_path / "data" / "logs" / "call-console.log"
    text = log.read_text(encoding="utf-8") if log.exists() else ""
    assert "unexpected error" not in text, text[-4000:]
