"""Write SVG screenshots of the real console on the built-in simulator into screenshots/.

    python screenshots/generate.py

The simulator runs in this process on 127.0.0.1 (port 8765 when free), the app is the one
`call-console` runs (`make_app`), driven by Textual's Pilot. The callee's local time uses a
fixed clock so the pictures only change when the UI does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)  # 09:00 in San Francisco


def clock() -> datetime:
    return FIXED_NOW


async def settle(pilot, until=lambda: True, timeout: float = 20.0) -> None:
    app = pilot.app
    deadline = time.monotonic() + timeout
    while not (app.session_ready and app.health in ("ok", "error", "warn") and until()
               and not any(w.is_running for w in app.workers)):
        if time.monotonic() > deadline:
            raise TimeoutError("the console did not settle")
        await pilot.pause(0.05)
    await pilot.pause()


def no_blink(app) -> None:
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False


async def shoot(make, size: tuple[int, int], name: str, steps) -> None:
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await steps(pilot)
        await settle(pilot)
        no_blink(app)
        await pilot.pause()
        app.save_screenshot(filename=name, path=str(HERE))
    print(f"wrote screenshots/{name}")


async def main() -> None:
    from console.config import Settings
    from console.sim.runner import start_in_thread
    from console.sim.state import DEMO_AGENTS, SimConfig
    from console.tui.app import make_app

    try:
        sim = start_in_thread(SimConfig(time_scale=10), port=8765)
    except OSError:
        sim = start_in_thread(SimConfig(time_scale=10))
    agent = DEMO_AGENTS[0]

    def make():
        settings = Settings(base_url=sim.base_url, token=sim.token, operator="operator")
        return make_app(settings=settings, clock=clock)

    async def every_field(pilot) -> None:
        screen = pilot.app.screen
        screen.set_values({
            "agent_id": agent.agent_id, "to_number": "+14155550000",
            "from_number": agent.caller_ids[0], "display_name": "Demo Dental Group",
            "dtmf": "1ww2#", "context": '{\n  "patient": "Ada Lovelace",\n  "slot": "Tue 10:00"\n}',
            "priority": "high", "media_encryption": "REQUIRE", "ringing_timeout_seconds": "30",
            "max_call_duration_seconds": "900", "play_dialtone": True,
            "custom_headers": [("X-Case", "42"), ("X-Campaign", "recall")],
        })
        await pilot.pause()
        screen.field("to_number").focus_input()

    async def errors(pilot) -> None:
        screen = pilot.app.screen
        screen.set_values({"agent_id": agent.agent_id, "to_number": "+14155550000",
                           "from_number": "+14155559999"})
        await pilot.pause()
        await pilot.press("ctrl+s")                   # the server answers 422 under From
        await settle(pilot, lambda: screen.outcome.state == "-error")
        screen.set_values({"dtmf": "12A#", "ringing_timeout_seconds": "0",
                           "context": "[1, 2]", "custom_headers": [("Via", "proxy")]})
        await pilot.pause()

    async def small(pilot) -> None:
        screen = pilot.app.screen
        screen.set_values({"agent_id": agent.agent_id, "to_number": "+14155550000"})
        await pilot.pause()

    async def placed(pilot) -> None:
        screen = pilot.app.screen
        screen.set_values({"agent_id": agent.agent_id, "to_number": "+14155550000"})
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, lambda: bool(pilot.app.tracked_calls))

    try:
        await shoot(make, (120, 44), "call-form.svg", every_field)
        await shoot(make, (120, 40), "call-form-errors.svg", errors)
        await shoot(make, (80, 24), "call-form-80x24.svg", small)
        await shoot(make, (120, 40), "call-placed.svg", placed)
    finally:
        sim.stop()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:   # never read the operator's own config
        os.environ["CALL_CONSOLE_CONFIG_DIR"] = os.path.join(tmp, "config")
        os.environ["CALL_CONSOLE_DATA_DIR"] = os.path.join(tmp, "data")
        for name in ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_OPERATOR"):
            os.environ.pop(name, None)
        sys.exit(asyncio.run(main()))
