"""The fixed facts every TUI test shares (the fake API address, the suite's clock, the demo
agent). A module of its own, not conftest: `from conftest import ...` finds whichever
conftest.py was imported first when a worker collects several test folders."""

from __future__ import annotations

from datetime import UTC, datetime

from console.sim.state import DEMO_AGENTS

FAKE_BASE = "http://sim.test:8000"
#: 17:00 UTC: 09:00 in San Francisco, so the callee's local time on screen never moves
FIXED_NOW = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
AGENT = DEMO_AGENTS[0]            # Reception: +14155551000, +14155551001
