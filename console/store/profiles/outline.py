"""What adding one entry needs to know about a profiles file that was checked whole: its outline.

`profiles add agent` on a 5,000-entry file used to parse the whole file twice (before and after
the edit), validate every entry and scan every statement to find where the new one goes: ~2 s
per process. An add only needs to know that the file on disk is the one that was checked (the
SHA-256 of its bytes), the names of each kind (a new name must not clash, ignoring case), the
agents each caller ID is limited to (a template's caller ID must allow its agent), and the line
a new entry of each kind goes on. That is the outline: made once from a file that parsed and
validated, kept beside the store in memory and, for the next process, in a private cache file
(`outline_cache.py`); after an append it is brought up to date without reading the file again.

The append is made only where it is plain text work: the kind's entries are all written as
`[section.NAME]` tables (no inline table, dotted keys or arrays of tables for that section),
the file has `schema_version`, and its lines are split by newlines only. Then a new
`[section.NAME]` block inserted after the section's last statement is the old file plus that
entry, exactly what `ProfilesEditor.add_entry` writes; anything else takes the full path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from console.store.profiles.model import SECTIONS
from console.store.profiles.edit import append_position
from console.store.profiles.scan import scan

#: the cache file's format; a change to what an outline means changes it
FORMAT = 1
#: `append_at` of a section with no statements yet: new entries go at the end of the file
AT_END = -1
_NOTHING: Mapping[str, Any] = MappingProxyType({})  # an entry whose keys do not matter


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def text_lines(text: str) -> list[str]:
    """The text's lines as the editor splits them (the last one given its newline)."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _blank(line: str) -> bool:
    return not line.strip()


@dataclass
class Outline:
    """A checked profiles text, as far as adding an entry is concerned."""

    sha256: str
    has_schema_version: bool
    #: section -> its names in file order
    names: dict[str, list[str]]
    #: caller ID name -> the agents it is limited to (only those limited to some)
    caller_agents: dict[str, list[str]]
    #: section -> the 0-based line a new entry goes on (`AT_END`: after the last line), or
    #: None when the section is not written as plain `[section.NAME]` tables
    append_at: dict[str, int | None]
    _folded: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    # -- questions ---------------------------------------------------------------------------
    def match(self, section: str, name: str) -> str | None:
        """The stored name equal to `name`, exactly or ignoring case (as `match_name`)."""
        names = self.names[section]
        folded = self._folded.get(section)
        if folded is None:
            folded = {}
            for stored in names:
                folded.setdefault(stored.lower(), stored)
            self._folded[section] = folded
        return name if name in names else folded.get(name.lower())

    def can_append(self, section: str) -> bool:
        return self.has_schema_version and self.append_at.get(section) is not None

    def reference_data(self, section: str, name: str, raw: Mapping[str, Any]
                       ) -> dict[str, dict[str, Any]]:
        """The file's names with `raw` added as `section.name`: what `reference_issues`
        needs to check the new entry's references (and nothing else of the file)."""
        data: dict[str, dict[str, Any]] = {
            "agents": dict.fromkeys(self.names["agents"], _NOTHING),
            "caller_ids": {n: ({"agents": self.caller_agents[n]} if n in self.caller_agents
                               else _NOTHING) for n in self.names["caller_ids"]},
            "header_sets": dict.fromkeys(self.names["header_sets"], _NOTHING),
            "templates": {},
        }
        data[section][name] = raw
        return data

    # -- after an append ---------------------------------------------------------------------
    def appended(self, sha256: str, section: str, name: str, raw: Mapping[str, Any],
                 position: int, inserted: int, next_at: int) -> Outline:
        """The outline of the text after `inserted` lines went in at line `position`, the
        section's next entry going on line `next_at`. Another section whose entries go on
        line `position` keeps it: the new lines went in after its own (at the end of the file,
        after its trailing comments, with a blank line between)."""
        append_at = {}
        for other, at in self.append_at.items():
            if other == section:
                append_at[other] = next_at
            elif at is not None and at != AT_END and at > position:
                append_at[other] = at + inserted
            else:
                append_at[other] = at
        names = {s: (n + [name] if s == section else n) for s, n in self.names.items()}
        caller_agents = dict(self.caller_agents)
        agents = raw.get("agents") if section == "caller_ids" else None
        if agents:
            caller_agents[name] = list(agents)
        return Outline(sha256, self.has_schema_version, names, caller_agents, append_at)

    # -- the cache file ----------------------------------------------------------------------
    def to_plain(self) -> dict[str, Any]:
        return {"format": FORMAT, "sha256": self.sha256,
                "has_schema_version": self.has_schema_version, "names": self.names,
                "caller_agents": self.caller_agents, "append_at": self.append_at}

    @classmethod
    def from_plain(cls, plain: Any) -> Outline | None:
        """The outline in `plain` (a cache file's JSON), or None when it is not one."""
        try:
            if plain["format"] != FORMAT:
                return None
            names = {s: [str(n) for n in plain["names"][s]] for s in SECTIONS}
            append_at = {s: (None if plain["append_at"][s] is None
                             else int(plain["append_at"][s])) for s in SECTIONS}
            caller_agents = {str(k): [str(a) for a in v]
                             for k, v in plain["caller_agents"].items()}
            return cls(str(plain["sha256"]), bool(plain["has_schema_version"]), names,
                       caller_agents, append_at)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def outline_of(text: str, data: Mapping[str, Any], sha256: str) -> Outline:
    """The outline of `text`, which parsed to `data` and validated (the caller checked it)."""
    names = {section: list(data.get(section, {})) for section in SECTIONS}
    caller_agents = {name: list(entry["agents"])
                     for name, entry in data.get("caller_ids", {}).items()
                     if entry.get("agents")}
    lines = text_lines(text)
    statements = scan(text)
    # The scanner counts lines by "\n"; str.splitlines also splits at \r, \f, \x1c, U+2028...
    # When the two differ, no line number is trusted: every add takes the full path.
    same_lines = len(lines) == text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    append_at: dict[str, int | None] = {}
    for section in SECTIONS:
        mine = [s for s in statements if s.path[:1] == (section,)]
        plain = same_lines and all(_plain_table(s, section) for s in mine)
        append_at[section] = _append_line(mine, lines) if plain else None
    has_version = any(s.path == ("schema_version",) for s in statements)
    return Outline(sha256, has_version, names, caller_agents, append_at)


def _plain_table(statement: Any, section: str) -> bool:
    """A statement of `section` that a new `[section.NAME]` table cannot conflict with: a
    `[section]` or `[section.NAME...]` header, or a key inside a `[section.NAME...]` table."""
    if statement.kind == "table":
        return True
    if statement.kind == "key":
        return len(statement.table) >= 2 and statement.table[0] == section
    return False  # an array of tables


def _append_line(statements: list[Any], lines: list[str]) -> int:
    """Where `ProfilesEditor.add_entry` puts a new entry of the section (the same function)."""
    position = append_position(statements, lines)
    return AT_END if position is None else position


def insert_entry(text: str, position: int, entry_text: str) -> tuple[str, int, int, int]:
    """`entry_text` put into `text` at line `position` (`AT_END`: at the end) with one blank
    line either side, as `ProfilesEditor.add_entry` does. Returns the new text, the line it
    went in at, how many lines went in, and the line the section's next entry goes on: right
    after the new entry's last non-blank line (what an outline of the new text finds, as a
    blank line or the end of the file follows it)."""
    lines = text_lines(text)
    if position == AT_END:
        position = len(lines)
    entry = entry_text.splitlines(keepends=True)
    before = [] if position == 0 or _blank(lines[position - 1]) else ["\n"]
    after = ["\n"] if position < len(lines) and not _blank(lines[position]) else []
    new_text = "".join(lines[:position] + before + entry + after + lines[position:])
    last = max((i for i, line in enumerate(entry) if line.strip()), default=-1)
    return (new_text, position, len(before) + len(entry) + len(after),
            position + len(before) + last + 1)
