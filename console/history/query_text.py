"""The History view's filter line: `status:failed agent:Sales since:7d 415555` → a filter.

Words are `key:value` (several values with commas: `status:failed,ended`) or search text (a
number or a call id, part of one). Keys: status, disposition, agent (a name or a UUID),
operator, campaign, placed (here|elsewhere), since, until; `s:`, `d:`, `a:`, `op:`, `c:`, `p:`
are short forms. The Audit tab's line takes operator, action (`call_*` for a prefix), since
and until. Problems come back as messages naming the word; the rest still applies.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CALL_KEYS = {"status": "statuses", "s": "statuses", "disposition": "dispositions",
             "d": "dispositions", "agent": "agent_ids", "a": "agent_ids",
             "operator": "operators", "op": "operators", "o": "operators",
             "campaign": "campaigns", "c": "campaigns", "placed": "placed", "p": "placed",
             "since": "since", "until": "until"}
AUDIT_KEYS = {"operator": "operator", "op": "operator", "o": "operator", "action": "actions",
              "kind": "actions", "since": "since", "until": "until"}


@dataclass
class Parsed:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unclosed quote: take the words as they are
        return text.split()


def _when(word: str, value: str, now: datetime | None, parsed: Parsed) -> datetime | None:
    from console.history.ranges import parse_when

    try:
        return parse_when(value, now)
    except ValueError as exc:
        parsed.problems.append(f"{word}: {exc}")
        return None


def parse_calls_filter(text: str, agents: Mapping[str, str] | None = None, *,
                       now: datetime | None = None) -> Parsed:
    """HistoryFilter keyword values from a filter line; `agents` maps agent names (saved or
    listed by the API; any case) to agent ids."""
    from uuid import UUID

    names = {name.casefold(): agent_id for name, agent_id in (agents or {}).items()}
    parsed = Parsed()
    search: list[str] = []
    for word in _words(text):
        key, sep, value = word.partition(":")
        target = CALL_KEYS.get(key.lower()) if sep else None
        if target is None:
            search.append(word)
            continue
        if not value:
            parsed.problems.append(f"{word}: give a value after the colon")
            continue
        if target in ("since", "until"):
            when = _when(word, value, now, parsed)
            if when is not None:
                parsed.values[target] = when
            continue
        if target == "placed":
            if value.lower() not in ("here", "elsewhere"):
                parsed.problems.append(f"{word}: placed:here or placed:elsewhere")
            else:
                parsed.values["placed"] = value.lower()
            continue
        items = [v for v in value.split(",") if v]
        if target == "agent_ids":
            ids = []
            for item in items:
                try:
                    ids.append(str(UUID(item)))
                except ValueError:
                    if item.casefold() in names:
                        ids.append(names[item.casefold()])
                    else:
                        known = ", ".join(sorted(agents or {})) or "none known"
                        parsed.problems.append(f"{word}: no agent named {item!r} ({known})")
            items = ids
        if items:
            parsed.values[target] = tuple(parsed.values.get(target, ())) + tuple(items)
    if search:
        parsed.values["search"] = " ".join(search)
    return parsed


def parse_audit_filter(text: str, *, now: datetime | None = None) -> Parsed:
    """select_records keyword values from the Audit tab's filter line (a bare word: action)."""
    parsed = Parsed()
    for word in _words(text):
        key, sep, value = word.partition(":")
        target = AUDIT_KEYS.get(key.lower()) if sep else "actions"
        if target is None:
            parsed.problems.append(f"{word}: use operator:, action:, since: or until:")
            continue
        if not sep:
            value = word
        if not value:
            parsed.problems.append(f"{word}: give a value after the colon")
        elif target in ("since", "until"):
            when = _when(word, value, now, parsed)
            if when is not None:
                parsed.values[target] = when
        elif target == "actions":
            parsed.values["actions"] = [*parsed.values.get("actions", []),
                                        *[v for v in value.split(",") if v]]
        else:
            parsed.values[target] = value
    return parsed
