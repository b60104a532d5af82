"""The agent field: pick a known agent or type its UUID.

Known agents come from the app (the optional `GET /agents` probe now, saved profiles later).
The text input is the source of truth; picking from the list just fills it in.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from console.tui.css import stylesheet
from console.tui.fields.picker import ComboPicker
from console.tui.fields.text_field import TextField
from console.tui.known_agents import KnownAgent

__all__ = ["AgentField", "KnownAgent"]


class AgentField(ComboPicker, TextField):
    field_name = "agent_id"
    label = "Agent"
    required = True
    placeholder = "agent UUID"
    help = ("The voice agent that places the call, by UUID. Pick one of the known agents "
            "(from the server's agent list when it has one; saved profiles later) or paste a UUID.")

    DEFAULT_CSS = stylesheet(__file__)  # the list beside the input, 17 cells wide
    select_id = "agent-select"
    select_prompt = "known agents"
    empty_prompt = "no known agents"

    def choice_value(self, choice: KnownAgent) -> str:
        return choice.agent_id

    def choice_label(self, choice: KnownAgent) -> str:
        return choice.name or choice.agent_id

    def choice_key(self, choice: KnownAgent) -> str:
        return choice.agent_id.lower()

    def typed_key(self) -> str:
        return self.value.strip().lower()

    @property
    def known_agents(self) -> list[KnownAgent]:
        return list(self._choices)

    def set_known_agents(self, agents: Iterable[KnownAgent]) -> None:
        self.set_choices(agents)

    def chosen(self) -> KnownAgent | None:
        """The known agent whose UUID is typed, if any."""
        return self.chosen_choice()

    def note(self) -> Text:
        if not self.value.strip():
            count = len(self._choices)
            return Text(f"{count} known agent{'s' if count != 1 else ''}" if count
                        else "paste the agent's UUID")
        agent = self.chosen()
        if agent is None:
            return Text("typed UUID (not one of the known agents)")
        text = Text.assemble((agent.name or agent.agent_id, "bold"))
        if agent.caller_ids:
            text.append(f" · caller IDs {', '.join(agent.caller_ids)}")
        return text
