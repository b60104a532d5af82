"""Lookups over one `Profiles`, built once in a single pass so no query walks the whole file.

Who may use which caller ID is asked once per agent when the console lists its known agents;
answering each by walking every caller ID made that agents x caller IDs (2,000 x 1,500 on a
big file: a 30 s freeze). Here the caller IDs are filed once: those any agent may use, and
those limited to each agent. An agent's numbers are then its own caller IDs merged (in file
order) into the shared ones, and an agent with none of its own gets the one shared tuple.
"""

from __future__ import annotations

import bisect
import itertools
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    from console.store.profiles.model import CallerId, Profiles

#: how many indexes were built (tests count the work done on the UI thread with it)
builds = 0
#: id(profiles) -> its index, dropped when those profiles are
_indexes: dict[int, ProfilesIndex] = {}


def index_of(profiles: Profiles) -> ProfilesIndex:
    """The index of `profiles`, built on first use. Profiles are not changed once validated
    (every write makes new ones), so an index stays true for the profiles it was built for."""
    key = id(profiles)
    found = _indexes.get(key)
    if found is None or found.profiles is not profiles:
        found = _indexes[key] = ProfilesIndex(profiles)
        weakref.finalize(profiles, _indexes.pop, key, None)
    return found


def canonical_uuid(text: str) -> str | None:
    try:
        return str(UUID(text.strip()))
    except (ValueError, AttributeError):
        return None


class ProfilesIndex:
    """Folded names per section, agents by UUID, caller IDs per agent (all in file order)."""

    def __init__(self, profiles: Profiles):
        global builds
        builds += 1
        self._ref = weakref.ref(profiles)  # the registry keeps indexes; they must not keep
        #                                    their profiles alive
        self._folded: dict[str, dict[str, str]] = {}
        for section in ("agents", "caller_ids", "header_sets", "templates"):
            folded: dict[str, str] = {}
            for name in getattr(profiles, section):
                folded.setdefault(name.lower(), name)  # the first one wins, as match_name
            self._folded[section] = folded
        self._by_id: dict[str, list[str]] = {}
        for name, agent in profiles.agents.items():
            self._by_id.setdefault(agent.agent_id, []).append(name)
        self._position: dict[str, int] = {}
        self._numbers: dict[str, str] = {}
        shared: list[str] = []
        self._limited: dict[str, list[str]] = {}
        for position, (name, caller) in enumerate(profiles.caller_ids.items()):
            self._position[name] = position
            self._numbers[name] = caller.e164
            if not caller.agents:
                shared.append(name)
            for agent in dict.fromkeys(caller.agents):
                self._limited.setdefault(agent, []).append(name)
        self._shared = tuple(shared)
        self._shared_positions = [self._position[n] for n in shared]
        self._shared_numbers = tuple(self._numbers[n] for n in shared)
        #: every saved agent's numbers, worked out here (in the thread that read the file)
        self._agent_numbers: dict[str, tuple[str, ...]] = {
            name: self._merged(self._shared_numbers, self._own((name,)),
                               self._numbers.__getitem__) for name in profiles.agents}

    @property
    def profiles(self) -> Profiles | None:
        return self._ref()

    def match(self, section: str, name: str) -> str | None:
        """The stored name for `name` in `section`: exact, else the one equal ignoring case."""
        names = getattr(self._ref(), section)
        if name in names:
            return name
        return self._folded[section].get(name.lower())

    def agent_names(self, agent: str) -> set[str]:
        """The agents `agent` means: the one of that name, else every agent with that UUID."""
        stored = self.match("agents", agent)
        if stored is not None:
            return {stored}
        wanted = canonical_uuid(agent)
        return set(self._by_id.get(wanted, ())) if wanted else set()

    def _own(self, agent_names: Iterable[str]) -> list[str]:
        """The caller IDs limited to (any of) these agents, in file order."""
        own = {name for agent in agent_names for name in self._limited.get(agent, ())}
        return sorted(own, key=self._position.__getitem__)

    def _merged(self, shared: tuple, own: list[str], value) -> tuple:
        """`shared` (one item per shared caller ID) with `value(name)` of each own caller ID
        put in its file position: slices of the shared tuple, so the copying is done in C."""
        if not own:
            return shared
        parts, start = [], 0
        for name in own:
            cut = bisect.bisect_left(self._shared_positions, self._position[name])
            parts += (shared[start:cut], (value(name),))
            start = cut
        parts.append(shared[start:])
        return tuple(itertools.chain.from_iterable(parts))

    def caller_names_for(self, agent_names: Iterable[str]) -> tuple[str, ...]:
        """The caller IDs these agents may use, in file order: the shared ones and theirs."""
        return self._merged(self._shared, self._own(agent_names), str)

    def caller_ids_for(self, agent: str | None) -> dict[str, CallerId]:
        callers = self._ref().caller_ids
        names = self.agent_names(agent) if agent else set()
        return {name: callers[name] for name in self.caller_names_for(names)}

    def numbers_for(self, agent: str) -> tuple[str, ...]:
        """E.164 numbers of the caller IDs `agent` (a name or UUID) may use, in file order;
        the same tuple object for every agent that has no caller IDs of its own."""
        found = self._agent_numbers.get(agent)
        if found is None:
            own = self._own(self.agent_names(agent))
            found = self._merged(self._shared_numbers, own, self._numbers.__getitem__)
            self._agent_numbers[agent] = found
        return found
