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
    from console.config.settings import Settings
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
        await tour(sim, agent)
    finally:
        sim.stop()


# -- the tour: help, palette, jump, the other screens, every shipped theme ----------------------


def screen_available(name: str) -> bool:
    """The screen is registered and its module imports (screens land one by one)."""
    import importlib

    from console.tui.screens import SCREENS

    spec = SCREENS.get(name)
    if spec is None:
        return False
    module, _, attr = spec.target.partition(":")
    try:
        return hasattr(importlib.import_module(module), attr)
    except Exception:  # noqa: BLE001
        return False


def skipped(name: str, why: str) -> None:
    print(f"skipped screenshots/{name}: {why}")


async def tour(sim, agent) -> None:
    from console.config.settings import Settings
    from console.tui.app import make_app
    from console.tui.look.themes import shipped_theme_names

    def make(theme: str | None = None):
        settings = Settings(base_url=sim.base_url, token=sim.token, operator="operator")
        return make_app(settings=settings, clock=clock, theme=theme)

    def pressing(*keys, focus: str | None = None, wait: float = 0.3):
        async def steps(pilot) -> None:
            if focus:
                pilot.app.screen.field(focus).focus_input()
                await pilot.pause()
            await pilot.press(*keys)
            await pilot.pause(wait)
        return steps

    async def calls_placed(pilot) -> None:
        """A few calls from the form, so the live table has mixed statuses."""
        screen = pilot.app.screen
        for number in ("+14155550101", "+14155550102", "+14155550103", "+14155550104"):
            screen.set_values({"agent_id": agent.agent_id, "to_number": number})
            await pilot.pause()
            await pilot.press("ctrl+s")
            count = len(pilot.app.tracked_calls)
            await settle(pilot, lambda: len(pilot.app.tracked_calls) >= count)
            await pilot.pause(0.8)
        pilot.app.switch_mode("calls")
        await pilot.pause(1.0)

    async def shown(pilot, name: str) -> None:
        pilot.app.switch_mode(name)
        await pilot.pause(0.5)

    await shoot(make, (120, 40), "help.svg", pressing("f1", focus="to_number"))
    await shoot(make, (120, 40), "palette.svg", pressing("ctrl+p", *"theme:"))
    await shoot(make, (120, 40), "jump.svg", pressing("ctrl+j"))
    await shoot(make, (80, 24), "help-80x24.svg", pressing("f1", focus="dtmf"))

    if screen_available("calls"):
        await shoot(make, (120, 40), "calls-table.svg", calls_placed)

        async def detail(pilot) -> None:
            await calls_placed(pilot)
            await pilot.press("enter")            # open the highlighted call's detail/timeline
            await pilot.pause(0.8)

        await shoot(make, (120, 40), "call-detail.svg", detail)
    else:
        skipped("calls-table.svg, call-detail.svg", "the Calls screen is not registered yet")
    for name in ("profiles", "settings"):
        if screen_available(name):
            await shoot(make, (120, 40), f"{name}.svg",
                        lambda pilot, name=name: shown(pilot, name))
        else:
            skipped(f"{name}.svg", f"the {name.capitalize()} screen is not registered yet")

    themed = calls_placed if screen_available("calls") else pressing(wait=0.1)
    where = "calls table" if screen_available("calls") else "call form (no Calls screen yet)"
    for theme in shipped_theme_names():
        await shoot(lambda theme=theme: make(theme), (120, 40), f"theme-{theme}.svg", themed)
        print(f"  ({theme} on the {where})")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:   # never read the operator's own config
        os.environ["HOME"] = tmp  # paths on screen read ~/.config/call-console/...
        os.environ["CALL_CONSOLE_CONFIG_DIR"] = os.path.join(tmp, ".config", "call-console")
        os.environ["CALL_CONSOLE_DATA_DIR"] = os.path.join(tmp, ".local", "share", "call-console")
        for name in ("CALL_CONSOLE_BASE_URL", "CALL_CONSOLE_TOKEN", "CALL_CONSOLE_OPERATOR"):
            os.environ.pop(name, None)
        sys.exit(asyncio.run(main()))
