"""A big profiles file (5,000 entries) never makes the UI thread do per-entry² or file-sized
checking work: the console starts on it, publishes its known agents and shows the F4 list,
while the work done on the UI thread is counted (no timings): caller-ID lookups per agent,
entry validations, phone parses, and list rows measured.

Before the fix the app asked `caller_ids_for_agent` once per agent on the UI thread, each a
walk over every caller ID (2,500 x 2,500 here): a freeze of many seconds at start-up.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from profiles_helpers import wait_for

from textual.content import Content

from console.store.profiles import ProfilesStore, validation
from console.store.profiles.model import CallerId
from console.telephony import phone

AGENTS = 2500
CALLERS = 2500
ENTRIES = AGENTS + CALLERS


def big_file(agents: int = AGENTS, callers: int = CALLERS) -> str:
    """Agents, then caller IDs: one in three limited to an agent, the rest for any agent.
    Numbers repeat (40 distinct) so the file is quick to check; lookups are what is counted."""
    out = ["schema_version = 1", ""]
    for i in range(agents):
        out += [f"[agents.agent-{i}]", f'id = "3c90c3cc-0d44-4b50-8888-{i:012d}"', ""]
    for i in range(callers):
        out += [f"[caller_ids.caller-{i}]", f'number = "+1415555{i % 40:04d}"']
        if i % 3 == 0:
            out.append(f'agents = ["agent-{i % agents}"]')
        out.append("")
    return "\n".join(out)


class UiThreadCounter:
    """Counts calls of wrapped functions made on the thread that runs the app (this one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.monkeypatch = monkeypatch
        self.ui_thread = threading.get_ident()
        self.counts: Counter[str] = Counter()

    def count(self, owner: Any, name: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == self.ui_thread:
                self.counts[label] += 1
            return original(*args, **kwargs)

        self.monkeypatch.setattr(owner, name, counted)

    def count_property(self, owner: type, name: str, label: str) -> None:
        getter = getattr(owner, name).fget

        def counted(instance: Any) -> Any:
            if threading.get_ident() == self.ui_thread:
                self.counts[label] += 1
            return getter(instance)

        self.monkeypatch.setattr(owner, name, property(counted))


async def test_a_5000_entry_file_costs_the_ui_thread_no_per_entry_work(
        tui_offline, monkeypatch):
    path = ProfilesStore().path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(big_file(), encoding="utf-8")
    counter = UiThreadCounter(monkeypatch)
    counter.count(ProfilesStore, "caller_ids_for_agent", "caller-ID lookups")
    counter.count(validation, "validate_entry", "entry validations")
    counter.count(phone, "_checked", "phone parses")  # under parse_phone and to_e164
    counter.count_property(CallerId, "e164", "caller-ID numbers read")
    counter.count(Content, "get_height", "text heights measured")

    app = tui_offline.app(connected=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.profiles is not None
                       and len(app.known_agents) == AGENTS, "known agents", timeout=60)
        # Each agent may use the shared caller IDs and its own, in file order.
        shared = [f"+1415555{i % 40:04d}" for i in range(CALLERS) if i % 3]
        agent = app.known_agents[3]  # agent-3 has caller-3, between caller-2 and caller-4
        assert agent.name == "agent-3"
        assert list(agent.caller_ids) == shared[:2] + ["+14155550003"] + shared[2:]
        assert list(app.known_agents[1].caller_ids) == shared
        await pilot.press("f4")
        await wait_for(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "profiles"
                       and app.screen.query("#part-agents")
                       and app.screen.query_one("#part-agents").entries.option_count == AGENTS,
                       "the F4 list", timeout=60)

    # The file was read and checked in a worker thread: none of it on the UI thread.
    assert counter.counts["entry validations"] == 0
    assert counter.counts["phone parses"] == 0
    # No per-agent walk over the caller IDs (2,500 x 2,500 reads before the fix).
    assert counter.counts["caller-ID lookups"] <= 2
    assert counter.counts["caller-ID numbers read"] <= CALLERS
    # The F4 list draws the rows on screen: it does not measure every entry's two lines
    # (an OptionList measured all 2,500 prompts as it was filled).
    assert counter.counts["text heights measured"] < AGENTS // 10, counter.counts
