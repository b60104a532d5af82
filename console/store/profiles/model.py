"""The saved-profiles schema: typed entries, names, and checks with the Call form's own rules.

`validate_data(plain_dict)` turns the parsed TOML into `Profiles` or a list of `Issue`s, each
naming the key it is about (`caller_ids.sales.number`); `edit.find_line` then finds that
key's line, so an error reads `profiles.toml:14: caller_ids.sales.number: ...`.

The rules are not written here twice: numbers go through `telephony.phone`, headers and DTMF
through `telephony.sip`, ranges and choices through `draft.check_draft`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from console.api.models import DISPLAY_NAME_MAX

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


def check_international(text: str) -> tuple[str | None, str | None]:
    """(E.164, None) for a number written in international form, else (None, message).

    Profiles are shared by operators with different default regions, so a saved number must
    carry its country code.
    """
    from console.telephony.phone import PhoneError, parse_phone

    if not text.strip().startswith(("+", "00")):
        return None, ("write it in international form: '+', the country code and the number "
                      "(e.g. +14155550123)")
    try:
        return parse_phone(text, "ZZ").e164, None
    except PhoneError as exc:
        return None, str(exc)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    notes: str = ""


class Agent(_Entry):
    """`[agents.NAME]`: an agent of the API, by UUID."""

    id: str
    watch: bool = False

    @field_validator("id")
    @classmethod
    def _uuid(cls, value: str) -> str:
        from console.draft import check_agent_id

        if message := check_agent_id(value):
            raise ValueError(message)
        return value

    @property
    def agent_id(self) -> str:
        """The UUID in canonical form, as the request sends it."""
        return str(UUID(self.id.strip()))


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


class Profiles(BaseModel):
    """The whole store, validated. Dicts keep the file's order."""

    schema_version: int = SCHEMA_VERSION
    agents: dict[str, Agent] = Field(default_factory=dict)
    caller_ids: dict[str, CallerId] = Field(default_factory=dict)
    header_sets: dict[str, HeaderSet] = Field(default_factory=dict)
    templates: dict[str, Template] = Field(default_factory=dict)

    def section(self, kind: str | Kind) -> dict[str, Any]:
        kind = kind if isinstance(kind, Kind) else parse_kind(kind)
        return getattr(self, kind.section)

    def counts(self) -> dict[str, int]:
        return {kind.section: len(self.section(kind)) for kind in KINDS.values()}

    def to_plain(self) -> dict[str, Any]:
        """JSON-ready dict of everything, defaults left out of nothing."""
        return self.model_dump(mode="json")


# --- validation ---------------------------------------------------------------------------

_TYPE_WORDS = {
    "string_type": "must be text in quotes",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "list_type": 'must be a list such as ["a", "b"]',
    "dict_type": "must be a table",
}


def _pydantic_issues(prefix: tuple[str, ...], model: type[BaseModel],
                     exc: ValidationError) -> list[Issue]:
    issues = []
    allowed = ", ".join(model.model_fields)
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        items = [p for p in err["loc"] if isinstance(p, int)]
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown key (allowed here: {allowed})"
        elif kind == "missing":
            message = f"missing: add {loc[-1]} = ..." if loc else "missing"
        elif kind in _TYPE_WORDS:
            message = _TYPE_WORDS[kind]
        else:
            message = err["msg"].removeprefix("Value error, ")
        if items:
            message = f"item {items[0] + 1}: {message}"
        issues.append(Issue(prefix + tuple(loc), message))
    return issues


def _json_issues(path: tuple[str, ...], value: Any) -> list[Issue]:
    """A template's context must be what the Call form may send: plain JSON (TOML dates and
    times have no JSON form), within the context limits (`console.context_json`)."""
    from console.context_json import context_problem

    found = context_problem(value)
    return [] if found is None else [Issue(path + found[0], found[1])]


def check_header_rows(path: tuple[str, ...], rows: Sequence[tuple[str, str]]) -> list[Issue]:
    """A header set's rows, checked with the form's SIP rules; an issue names its header."""
    from console.telephony import sip

    issues = []
    for name, value in rows:
        if not name.strip() and not value.strip():  # the form skips such rows; a file can't
            issues.append(Issue(path + (name,), "header name is empty"))
    for problem in sip.check_headers(rows):
        name = rows[problem.row][0] if problem.row is not None else ""
        message = problem.message
        if problem.field == "name" and not sip.check_header_name(name):
            first = next(n for n, _ in rows if n.lower() == name.lower())
            message = f"same header as {first!r} (header names are case-insensitive)"
        issues.append(Issue(path + ((name,) if name else ()), message))
    return issues


def check_template_fields(path: tuple[str, ...], fields: Mapping[str, Any]) -> list[Issue]:
    """Field defaults of a template: known fields, right types, and the form's rules."""
    from console.draft import check_draft

    issues = []
    good: dict[str, Any] = {}
    for name, value in fields.items():
        where = path + (name,)
        if name in COMPOSED_FIELDS:
            issues.append(Issue(where, f"set this with the template's "
                                       f"{COMPOSED_FIELDS[name]} key, not under fields"))
            continue
        expected = FIELD_TYPES.get(name)
        if expected is None:
            issues.append(Issue(where, "not a request field a template can set (allowed: "
                                       + ", ".join(FIELD_TYPES) + ")"))
            continue
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            issues.append(Issue(where, "must be a whole number (no quotes)"))
        elif expected is bool and not isinstance(value, bool):
            issues.append(Issue(where, "must be true or false (no quotes)"))
        elif expected is str and not isinstance(value, str):
            issues.append(Issue(where, "must be text in quotes"))
        elif name == "to_number":
            _, message = check_international(value)
            if message:
                issues.append(Issue(where, message))
        else:
            good[name] = value
    if good:
        result = check_draft(good)
        for problem in result.problems:
            if problem.field in good:
                issues.append(Issue(path + (problem.field,), problem.message))
    return issues


def _names_issues(section: str, names: Iterable[str]) -> list[Issue]:
    issues = []
    seen: dict[str, str] = {}
    for name in names:
        if message := check_name(name):
            issues.append(Issue((section, name), message))
            continue
        folded = name.lower()
        if folded in seen:
            issues.append(Issue((section, name), f"same name as {seen[folded]!r} "
                                                 "(names are case-insensitive)"))
        else:
            seen[folded] = name
    return issues


def _known(names: Iterable[str]) -> str:
    names = list(names)
    if not names:
        return "none are defined"
    shown = ", ".join(repr(n) for n in names[:8])
    return "known: " + shown + (", ..." if len(names) > 8 else "")


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _reference_issues(data: Mapping[str, Any]) -> list[Issue]:
    """Cross references, read from the raw sections so that an entry with errors of its own
    still has its references checked (and is not reported missing where it is used)."""
    def section(name: str) -> Mapping[str, Any]:
        raw = data.get(name, {})
        return raw if isinstance(raw, Mapping) else {}

    def table(value: Any) -> Mapping[str, Any]:
        return value if isinstance(value, Mapping) else {}

    agents, callers, sets = section("agents"), section("caller_ids"), section("header_sets")
    issues = []
    for name, caller in section("caller_ids").items():
        for agent in _strings(table(caller).get("agents")):
            if agent not in agents:
                issues.append(Issue(("caller_ids", name, "agents"),
                                    f"no agent named {agent!r} ({_known(agents)})"))
    for name, raw in section("templates").items():
        template = table(raw)
        base = ("templates", name)
        agent = template.get("agent")
        agent = agent if isinstance(agent, str) else None
        if agent is not None and agent not in agents:
            issues.append(Issue(base + ("agent",), f"no agent named {agent!r} "
                                                   f"({_known(agents)})"))
        caller_id = template.get("caller_id")
        if isinstance(caller_id, str):
            if caller_id not in callers:
                issues.append(Issue(base + ("caller_id",),
                                    f"no caller ID named {caller_id!r} ({_known(callers)})"))
            else:
                allowed = _strings(table(callers[caller_id]).get("agents"))
                if agent in agents and allowed and agent not in allowed:
                    issues.append(Issue(base + ("caller_id",),
                                        f"caller ID {caller_id!r} is only for agent(s) "
                                        f"{', '.join(allowed)}, not {agent!r}"))
        seen = set()
        for set_name in _strings(template.get("header_sets")):
            if set_name not in sets:
                issues.append(Issue(base + ("header_sets",),
                                    f"no header set named {set_name!r} ({_known(sets)})"))
            elif set_name in seen:
                issues.append(Issue(base + ("header_sets",), f"lists {set_name!r} twice"))
            seen.add(set_name)
    return issues


def validate_entry(kind: str | Kind, name: str, raw: Any) -> tuple[Any, list[Issue]]:
    """One entry on its own (no cross references): (model or None, issues)."""
    kind = kind if isinstance(kind, Kind) else parse_kind(kind)
    base = (kind.section, name)
    if not isinstance(raw, Mapping):
        return None, [Issue(base, f"must be a table, e.g. [{format_key(base)}]")]
    model = ENTRY_MODELS[kind.id]
    try:
        entry = model.model_validate(dict(raw))
    except ValidationError as exc:
        return None, _pydantic_issues(base, model, exc)
    issues: list[Issue] = []
    if isinstance(entry, HeaderSet):
        issues += check_header_rows(base + ("headers",), entry.rows)
    elif isinstance(entry, Template):
        issues += check_template_fields(base + ("fields",), entry.fields)
        issues += _json_issues(base + ("context",), entry.context)
    return (None if issues else entry), issues


def validate_data(data: Mapping[str, Any]) -> tuple[Profiles | None, list[Issue]]:
    """Check a parsed profiles file (plain dicts): the model, or every issue found."""
    issues: list[Issue] = []
    version = data.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        issues.append(Issue(("schema_version",), f"must be the number {SCHEMA_VERSION}"))
    elif version > SCHEMA_VERSION:
        issues.append(Issue(("schema_version",),
                            f"this file is schema version {version}, written by a newer "
                            f"call-console; this one reads version {SCHEMA_VERSION}"))
    elif version < SCHEMA_VERSION:
        issues.append(Issue(("schema_version",), f"must be {SCHEMA_VERSION}"))
    for key in data:
        if key != "schema_version" and key not in SECTIONS:
            issues.append(Issue((key,), "unknown section (expected schema_version, "
                                        + ", ".join(SECTIONS) + ")"))
    sections: dict[str, dict[str, Any]] = {}
    for section, kind in SECTIONS.items():
        raw = data.get(section, {})
        if not isinstance(raw, Mapping):
            issues.append(Issue((section,), f"must be a table of {kind.label}s, e.g. "
                                            f"[{section}.NAME]"))
            continue
        issues += _names_issues(section, raw)
        entries = {}
        for name, entry_raw in raw.items():
            entry, entry_issues = validate_entry(kind, name, entry_raw)
            issues += entry_issues
            if entry is not None:
                entries[name] = entry
        sections[section] = entries
    issues += _reference_issues(data)
    if issues:
        return None, issues
    return Profiles(schema_version=SCHEMA_VERSION, **sections), []
