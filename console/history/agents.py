"""`--agent NAME|UUID`: a saved agent's name (from the profiles file) or an agent UUID."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class AgentRef:
    """An agent by id, with its saved name when it has one."""

    agent_id: str
    name: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.agent_id


def saved_agents(profiles_path=None) -> list[AgentRef]:
    """The agents of the profiles file, in file order (ProfilesError when it is unusable)."""
    from console.store.profiles import ProfilesStore

    store = ProfilesStore(profiles_path)
    profiles = store.load()
    return [AgentRef(agent.agent_id, name) for name, agent in profiles.agents.items()]


def _uuid(text: str) -> str | None:
    try:
        return str(UUID(text.strip()))
    except (ValueError, AttributeError):
        return None


def resolve_agent(text: str, saved: Sequence[AgentRef]) -> AgentRef:
    """The agent `text` names: a UUID (named when saved), else a saved name (any case).
    ValueError says which names exist when neither fits."""
    as_id = _uuid(text)
    if as_id is not None:
        return next((a for a in saved if a.agent_id == as_id), AgentRef(as_id))
    wanted = text.strip().casefold()
    for agent in saved:
        if agent.name is not None and agent.name.casefold() == wanted:
            return agent
    names = ", ".join(a.name for a in saved if a.name) or "none saved"
    raise ValueError(f"{text!r} is neither an agent UUID nor a saved agent's name "
                     f"(saved: {names})")


def agent_names(saved: Iterable[AgentRef]) -> dict[str, str]:
    """agent id → saved name (exports name the agent when it is saved)."""
    return {a.agent_id: a.name for a in saved if a.name}
