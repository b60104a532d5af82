"""The saved-profiles schema: the kinds of entry, names, key paths and the typed entries.

Each kind of entry is a pydantic model checked with the Call form's own rules as it is built
(numbers through `telephony.phone`, display names through `telephony.sip`, agent UUIDs through
`draft`); `validation.py` checks a whole parsed file with them and reports every `Issue`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

SCHEMA_VERSION = 1

# --- kinds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    id: str        # "caller_id"
    section: str   # "caller_ids": the TOML table that holds them
    label: str     # "caller ID": for messages
    cli: str       # "caller-id": for the command line


KINDS: dict[str, Kind] = {
    "agent": Kind("agent", "agents", "agent", "agent"),
    "caller_id": Kind("caller_id", "caller_ids", "caller ID", "caller-id"),
    "header_set": Kind("header_set", "header_sets", "header set", "header-set"),
    "template": Kind("template", "templates", "template", "template"),
}
SECTIONS: dict[str, Kind] = {kind.section: kind for kind in KINDS.values()}
KIND_IDS: tuple[str, ...] = tuple(KINDS)


def parse_kind(text: str) -> Kind:
    """'agent', 'agents', 'caller-id', 'caller_ids', 'Header-Set', ... -> the Kind."""
    word = str(text).strip().lower().replace("-", "_").replace(" ", "_")
    if word in KINDS:
        return KINDS[word]
    if word in SECTIONS:
        return SECTIONS[word]
    if word in ("callerid", "callerids"):
        return KINDS["caller_id"]
    raise ValueError(f"unknown kind {text!r}: use one of "
                     + ", ".join(kind.cli for kind in KINDS.values()))


# --- names ------------------------------------------------------------------------------

NAME_MAX = 64
NAME_CHARS = "letters, digits, space and - _ ."
_NAME_RE = re.compile(r"[A-Za-z0-9 _.\-]{1,64}")


def check_name(name: Any) -> str | None:
    """A message when `name` is not a valid profile name, else None.

    Names: ASCII letters, digits, space, '-', '_' and '.', 1 to 64 characters, no space at
    either end (so what a person types and what the file holds can't differ invisibly).
    """
    if not isinstance(name, str):
        return "a name must be text"
    if not name:
        return "a name cannot be empty"
    if len(name) > NAME_MAX:
        return f"a name has at most {NAME_MAX} characters (this one has {len(name)})"
    if not _NAME_RE.fullmatch(name):
        bad = next(ch for ch in name if not _NAME_RE.fullmatch(ch))
        shown = repr(bad) if bad.isprintable() else f"U+{ord(bad):04X}"
        return f"character {name.index(bad) + 1} {shown} is not allowed in a name: use {NAME_CHARS}"
    if name != name.strip():
        return "a name cannot start or end with a space"
    return None


# --- keys and lines -----------------------------------------------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def format_key(path: Iterable[Any]) -> str:
    """('caller_ids', 'sales team', 'number') -> 'caller_ids."sales team".number' (TOML syntax)."""
    parts = []
    for part in path:
        part = str(part)
        parts.append(part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False))
    return ".".join(parts)


@dataclass(frozen=True)
class Issue:
    path: tuple[str, ...]   # ('caller_ids', 'sales', 'number')
    message: str

    @property
    def key(self) -> str:
        return format_key(self.path)

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.path else self.message


# --- typed entries --------------------------------------------------------------------------

#: Request fields a template may set under `fields`; the rest are composed from other keys.
FIELD_TYPES: dict[str, type] = {
    "to_number": str,
    "priority": str,
    "krisp_enabled": bool,
    "wait_until_answered": bool,
    "display_name": str,
    "dtmf": str,
    "play_dialtone": bool,
    "media_encryption": str,
    "ringing_timeout_seconds": int,
    "max_call_duration_seconds": int,
    "hide_phone_number": bool,
}
#: Request fields a template composes from its own keys (not allowed under `fields`).
COMPOSED_FIELDS: dict[str, str] = {
    "agent_id": "agent", "from_number": "caller_id", "custom_headers": "header_sets",
    "context": "context",
}


@functools.lru_cache(maxsize=65536)
def check_international(text: str) -> tuple[str | None, str | None]:
    """(E.164, None) for a number written in international form, else (None, message).

    Profiles are shared by operators with different default regions, so a saved number must
    carry its country code. Cached: a phone parse is the dearest check of a profiles file
    (a caller ID's number is checked as it is validated and again for its E.164 form, and a
    write checks the file it re-read), and its answer depends on the text alone.
    """
    from console.telephony.phone import PhoneError, to_e164

    if not text.strip().startswith(("+", "00")):
        return None, ("write it in international form: '+', the country code and the number "
                      "(e.g. +14155550123)")
    try:
        return to_e164(text, "ZZ"), None
    except PhoneError as exc:
        return None, str(exc)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    notes: str = ""


class Agent(_Entry):
    """`[agents.NAME]`: an agent of the API, by UUID."""

    id: str
    watch: bool = False
    _agent_id: str = PrivateAttr(default="")

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        from console.calls.draft import check_agent_id

        if message := check_agent_id(value):
            raise ValueError(message)
        return value

    def model_post_init(self, context: Any) -> None:
        # Worked out once, as the file is read (in the store's thread): the UI lists and
        # indexes every agent by it.
        self._agent_id = str(UUID(self.id.strip()))

    @property
    def agent_id(self) -> str:
        """The UUID in canonical form, as the request sends it."""
        return self._agent_id


class CallerId(_Entry):
    """`[caller_ids.NAME]`: a number to call from, for any agent or only the listed ones."""

    number: str
    display_name: str | None = None
    agents: list[str] = Field(default_factory=list)
    _e164: str = PrivateAttr(default="")

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        _, message = check_international(value)
        if message:
            raise ValueError(message)
        return value

    @field_validator("display_name")
    @classmethod
    def _display(cls, value: str | None) -> str | None:
        from console.api.models import DISPLAY_NAME_MAX  # (lazy: the API's models are big)
        from console.telephony.sip import check_display_name

        if value is not None and len(value) > DISPLAY_NAME_MAX:
            raise ValueError(f"at most {DISPLAY_NAME_MAX} characters (has {len(value)})")
        if value is not None and (message := check_display_name(value)):
            raise ValueError(message)
        return value

    def model_post_init(self, context: Any) -> None:
        self._e164 = check_international(self.number)[0] or self.number

    @property
    def e164(self) -> str:
        return self._e164

    def allows(self, agent_name: str) -> bool:
        return not self.agents or agent_name in self.agents


class HeaderSet(_Entry):
    """`[header_sets.NAME]`: custom SIP headers, name -> value."""

    headers: dict[str, str] = Field(default_factory=dict)

    @property
    def rows(self) -> list[tuple[str, str]]:
        return list(self.headers.items())


class Template(_Entry):
    """`[templates.NAME]`: an agent, a caller ID, header sets, field defaults and context."""

    agent: str | None = None
    caller_id: str | None = None
    header_sets: list[str] = Field(default_factory=list)
    fields: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)


ENTRY_MODELS: dict[str, type[_Entry]] = {
    "agent": Agent, "caller_id": CallerId, "header_set": HeaderSet, "template": Template,
}


def entry_plain(kind: str | Kind, entry: Any) -> dict[str, Any]:
    """An entry as the plain dict written to the file, key order fixed, defaults as None."""
    kind = kind if isinstance(kind, Kind) else parse_kind(kind)
    notes = entry.notes or None
    if kind.id == "agent":
        return {"id": entry.id, "watch": True if entry.watch else None, "notes": notes}
    if kind.id == "caller_id":
        return {"number": entry.number, "display_name": entry.display_name,
                "agents": list(entry.agents) or None, "notes": notes}
    if kind.id == "header_set":
        return {"notes": notes, "headers": dict(entry.headers) or None}
    return {"agent": entry.agent, "caller_id": entry.caller_id,
            "header_sets": list(entry.header_sets) or None, "notes": notes,
            "fields": dict(entry.fields) or None, "context": dict(entry.context) or None}


class Profiles(BaseModel):
    """The whole store, validated. Dicts keep the file's order."""

    schema_version: int = SCHEMA_VERSION
    agents: dict[str, Agent] = Field(default_factory=dict)
    caller_ids: dict[str, CallerId] = Field(default_factory=dict)
    header_sets: dict[str, HeaderSet] = Field(default_factory=dict)
    templates: dict[str, Template] = Field(default_factory=dict)

    def index(self) -> Any:
        """Lookups by folded name, by agent UUID and caller IDs per agent (`index.py`),
        built once for these profiles (the store builds it in the thread that read them).
        Kept beside the model, not in it, so it never makes two equal profiles differ."""
        from console.store.profiles.index import index_of

        return index_of(self)

    def section(self, kind: str | Kind) -> dict[str, Any]:
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        return getattr(self, kind.section)

    def counts(self) -> dict[str, int]:
        return {kind.section: len(self.section(kind)) for kind in KINDS.values()}

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready dict of everything, defaults left out of nothing."""
        return self.model_dump(mode="json")
