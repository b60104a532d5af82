"""The Calls screen's filter bar: text search (number, id, disposition, agent), status, agent,
"live only". Posts `CallsFilterBar.Changed` with a `CallFilter` when the filter changes (typing
is debounced), so the table is rebuilt on a filter change only, never on a poll.

A lost call (the API answers 404 for it: the console's own final state) is not live, and
matches only the "lost" status choice, whatever its last server status was."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Select

from console.tui.calls.status_style import KNOWN_STATUSES, TERMINAL_STATUSES
from console.tui.css import stylesheet

if TYPE_CHECKING:
    from console.tracker import TrackedCall

ALL = "*"
OTHER = "?other"
LOST = "!lost"  # not a server status: the console's own state (no server string starts so)
SEARCH_DEBOUNCE = 0.15
_NUMBERISH = re.compile(r"^[+\d][\d\s().\-]*$")


class MarkCheckbox(Checkbox):
    """A checkbox that reads without colour: `X` when on, blank when off."""

    @property
    def _button(self):  # type: ignore[override]
        self.BUTTON_INNER = "X" if self.value else " "
        return super()._button


@dataclass(frozen=True)
class CallFilter:
    status: str | None = None     # a known status, OTHER (unknown strings), LOST, None (all)
    agent_id: str | None = None
    text: str = ""
    live_only: bool = False

    @property
    def active(self) -> bool:
        return bool(self.status or self.agent_id or self.text.strip() or self.live_only)

    def describe(self) -> str:
        parts = []
        if self.status:
            parts.append({OTHER: "other statuses", LOST: "lost"}.get(self.status, self.status))
        if self.agent_id:
            parts.append(f"agent {self.agent_id[:8]}")
        if self.text.strip():
            parts.append(f"“{self.text.strip()}”")
        if self.live_only:
            parts.append("live only")
        return ", ".join(parts) or "all calls"

    def matcher(self, agent_label: Callable[[str], str]) -> Callable[[TrackedCall], bool]:
        status, agent, live_only = self.status, self.agent_id, self.live_only
        needle = self.text.strip().lower()
        digits = re.sub(r"[^\d+]", "", needle) if needle and _NUMBERISH.match(needle) else ""

        def matches(call: TrackedCall) -> bool:
            lost = call.lost
            if live_only and (lost or call.status in TERMINAL_STATUSES):
                return False
            if status is not None:
                if status == LOST or lost:
                    if not (status == LOST and lost):
                        return False
                elif status == OTHER:
                    if call.status in KNOWN_STATUSES:
                        return False
                elif call.status != status:
                    return False
            if agent is not None and call.agent_id != agent:
                return False
            if needle:
                if digits:
                    bare = digits.lstrip("+")
                    if bare in (call.to_number or "") or bare in (call.from_number or ""):
                        return True
                haystack = " ".join((call.call_id, call.to_number or "", call.from_number or "",
                                     call.disposition or "", call.status,
                                     agent_label(call.agent_id))).lower()
                return needle in haystack
            return True

        return matches


class CallsFilterBar(Horizontal):
    DEFAULT_CSS = stylesheet(__file__)

    class Changed(Message):
        def __init__(self, filter: CallFilter) -> None:
            super().__init__()
            self.filter = filter

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filter = CallFilter()
        self._debounce: Timer | None = None
        self._agents: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search number, id, disposition, agent  (/)", id="filter-text",
                    compact=True)
        statuses = [("all statuses", ALL)] + [(s, s) for s in KNOWN_STATUSES] + [
            ("other statuses", OTHER), ("lost", LOST)]
        yield Select(statuses, value=ALL, allow_blank=False, id="filter-status", compact=True)
        yield Select([("all agents", ALL)], value=ALL, allow_blank=False, id="filter-agent",
                     compact=True)
        yield MarkCheckbox("live only", id="filter-live", compact=True)

    # -- agents ----------------------------------------------------------------------------------

    def set_agents(self, agents: Sequence[tuple[str, str]]) -> None:
        """(label, agent_id) pairs for the agent choice; keeps the current choice."""
        agents = sorted(set(agents), key=lambda pair: (pair[0].lower(), pair[1]))
        if agents == self._agents:
            return
        self._agents = list(agents)
        select = self.query_one("#filter-agent", Select)
        current = select.value
        with select.prevent(Select.Changed):
            select.set_options([("all agents", ALL)] + [(label, aid) for label, aid in agents])
            ids = {aid for _, aid in agents}
            select.value = current if current in ids else ALL

    # -- changes ---------------------------------------------------------------------------------

    def _read(self) -> CallFilter:
        status = self.query_one("#filter-status", Select).value
        agent = self.query_one("#filter-agent", Select).value
        return CallFilter(
            status=None if status in (ALL, Select.BLANK) else str(status),
            agent_id=None if agent in (ALL, Select.BLANK) else str(agent),
            text=self.query_one("#filter-text", Input).value,
            live_only=self.query_one("#filter-live", Checkbox).value)

    def _emit(self) -> None:
        self._debounce = None
        new = self._read()
        if new != self.filter:
            self.filter = new
            self.post_message(self.Changed(new))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, self._emit)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._emit()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._emit()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._emit()

    # -- set from keys -----------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.query_one("#filter-text", Input).focus()

    def toggle_live_only(self) -> None:
        box = self.query_one("#filter-live", Checkbox)
        box.value = not box.value

    def cycle_status(self) -> None:
        select = self.query_one("#filter-status", Select)
        values = [ALL, *KNOWN_STATUSES, OTHER, LOST]
        current = select.value if select.value in values else ALL
        select.value = values[(values.index(current) + 1) % len(values)]

    def cycle_agent(self) -> None:
        select = self.query_one("#filter-agent", Select)
        values = [ALL] + [aid for _, aid in self._agents]
        current = select.value if select.value in values else ALL
        select.value = values[(values.index(current) + 1) % len(values)]

    def set_filter(self, filter: CallFilter) -> None:
        """Put the widgets to `filter` (posts Changed when it differs)."""
        self.query_one("#filter-text", Input).value = filter.text
        self.query_one("#filter-status", Select).value = filter.status or ALL
        if filter.agent_id and filter.agent_id not in {a for _, a in self._agents}:
            self.set_agents([*self._agents, (filter.agent_id[:8], filter.agent_id)])
        self.query_one("#filter-agent", Select).value = filter.agent_id or ALL
        self.query_one("#filter-live", Checkbox).value = filter.live_only
        self._emit()

    def clear(self) -> None:
        self.set_filter(CallFilter())
