"""How entries name each other, and who refers to an entry.

Names match ignoring case (the file keeps the spelling it was saved with); an agent can be
given by name or by UUID; `referrers` lists the templates and caller IDs that name an entry
(what deleting or renaming it must update).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from console.store.profiles.model import KINDS, Kind, Profiles


@dataclass(frozen=True)
class Reference:
    """`kind` entry `name` refers to something through its key `key`."""

    kind: str   # kind id of the referrer: "template" or "caller_id"
    name: str
    key: str    # "agent", "caller_id", "header_sets" (templates) or "agents" (caller IDs)

    def __str__(self) -> str:
        return f"{KINDS[self.kind].label} {self.name!r} ({self.key})"


def match_name(names: Iterable[str], name: str) -> str | None:
    """The stored name for `name`: exact, else the one equal ignoring case."""
    names = list(names)
    if name in names:
        return name
    folded = name.lower()
    return next((n for n in names if n.lower() == folded), None)


def referrers(profiles: Profiles, kind: Kind, name: str) -> list[Reference]:
    """Who refers to the entry `name` of `kind` (its stored name)."""
    refs = []
    if kind.id == "agent":
        for cname, caller in profiles.caller_ids.items():
            if name in caller.agents:
                refs.append(Reference("caller_id", cname, "agents"))
    for tname, template in profiles.templates.items():
        if kind.id == "agent" and template.agent == name:
            refs.append(Reference("template", tname, "agent"))
        elif kind.id == "caller_id" and template.caller_id == name:
            refs.append(Reference("template", tname, "caller_id"))
        elif kind.id == "header_set" and name in template.header_sets:
            refs.append(Reference("template", tname, "header_sets"))
    return refs


def agent_names(profiles: Profiles, agent: str) -> set[str]:
    """The agents `agent` means: the one of that name, else every agent with that UUID."""
    return profiles.index().agent_names(agent)


def agent_name_for_id(profiles: Profiles, agent_id: str) -> str | None:
    """The first (by name) agent that `agent_id` (a name or UUID) means, or None."""
    names = sorted(agent_names(profiles, agent_id))
    return names[0] if names else None
