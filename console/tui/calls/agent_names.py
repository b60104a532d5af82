"""Agent ids as the operator knows them on the Calls screen: the saved profile's name, else the
name the API listed, else the id's first 8 characters. Labels are cached (the table asks for
one per row and redraw); `forget()` drops the cache when profiles or agents change."""

from __future__ import annotations

from typing import Any


class AgentNames:
    def __init__(self, owner: Any) -> None:
        """`owner` is the screen: its `app` holds the profiles and the known agents."""
        self._owner = owner
        self._labels: dict[str, str] = {}

    @property
    def _app(self) -> Any:
        return self._owner.app

    def label(self, agent_id: str) -> str:
        label = self._labels.get(agent_id)
        if label is None:
            label = self._lookup(agent_id) or agent_id[:8]
            self._labels[agent_id] = label
        return label

    def _lookup(self, agent_id: str) -> str | None:
        profiles = getattr(self._app, "profiles", None)
        if profiles is not None:
            try:
                name = profiles.agent_name_for_id(agent_id)
            except Exception:  # noqa: BLE001 - a bad profiles file names nothing
                name = None
            if name:
                return name
        for agent in getattr(self._app, "known_agents", ()):
            if agent.agent_id.lower() == agent_id.lower() and agent.name:
                return agent.name
        return None

    def forget(self) -> bool:
        """Look every label up again; True when one already shown reads differently now."""
        old = dict(self._labels)
        self._labels.clear()
        return any(self.label(aid) != label for aid, label in old.items())

    def agent_id_for(self, name: str) -> str | None:
        """The agent a typed name means (saved profile, listed agent, or a label shown)."""
        profiles = getattr(self._app, "profiles", None)
        if profiles is not None:
            try:
                agent = profiles.profiles.agents.get(name)
            except Exception:  # noqa: BLE001
                agent = None
            if agent is not None:
                return agent.agent_id
        wanted = name.strip().lower()
        for agent in getattr(self._app, "known_agents", ()):
            if agent.name and agent.name.lower() == wanted:
                return agent.agent_id
        for aid, label in self._labels.items():
            if label.lower() == wanted:
                return aid
        return None
