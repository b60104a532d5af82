"""The agent field: pick a known agent or type its UUID.

Known agents come from the app (the optional `GET /agents` probe now, saved profiles later).
The text input is the source of truth; picking from the list just fills it in.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Select

from console.tui.known_agents import KnownAgent
from console.tui.widgets.text_field import TextField

__all__ = ["AgentField", "KnownAgent"]


class AgentField(TextField):
    field_name = "agent_id"
    label = "Agent"
    required = True
    placeholder = "agent UUID"
    help = ("The voice agent that places the call, by UUID. Pick one of the known agents "
            "(from the server's agent list when it has one; saved profiles later) or paste a UUID.")

    DEFAULT_CSS = """
    AgentField #agent-select {
        width: 17;
        margin-left: 1;
    }
    """

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value, **kwargs)
        self._agents: list[KnownAgent] = []

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Select([], prompt="known agents", compact=True, id="agent-select", disabled=True)

    @property
    def known_agents(self) -> list[KnownAgent]:
        return list(self._agents)

    def set_known_agents(self, agents: Iterable[KnownAgent]) -> None:
        self._agents = list(agents)
        select = self.query_one("#agent-select", Select)
        with self.prevent(Select.Changed):
            select.set_options([(a.name or a.agent_id, a.agent_id) for a in self._agents])
            select.disabled = not self._agents
            select.prompt = "known agents" if self._agents else "no known agents"
            self._sync_select()
        self.refresh_note()

    def chosen(self) -> KnownAgent | None:
        """The known agent whose UUID is typed, if any."""
        typed = self.value.strip().lower()
        for agent in self._agents:
            if agent.agent_id.lower() == typed:
                return agent
        return None

    def _sync_select(self) -> None:
        select = self.query_one("#agent-select", Select)
        agent = self.chosen()
        target = agent.agent_id if agent else Select.NULL
        if select.value != target:
            with self.prevent(Select.Changed):
                if target is Select.NULL:
                    select.clear()
                else:
                    select.value = target

    @on(Select.Changed, "#agent-select")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and event.value != self.value.strip():
            self.set_value(str(event.value))
            self.input.focus()

    def text_changed(self) -> None:
        self._sync_select()
        super().text_changed()

    def note(self) -> Text:
        if not self.value.strip():
            count = len(self._agents)
            return Text(f"{count} known agent{'s' if count != 1 else ''}" if count
                        else "paste the agent's UUID")
        agent = self.chosen()
        if agent is None:
            return Text("typed UUID (not one of the known agents)")
        text = Text.assemble((agent.name or agent.agent_id, "bold"))
        if agent.caller_ids:
            text.append(f" · caller IDs {', '.join(agent.caller_ids)}")
        return text
