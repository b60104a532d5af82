"""Checks of a parsed profiles file with the Call form's own rules, each naming its key.

`validate_data(plain_dict)` turns the parsed TOML into `Profiles` or a list of `Issue`s, each
naming the key it is about (`caller_ids.sales.number`); `scan.find_line` then finds that key's
line, so an error reads `profiles.toml:14: caller_ids.sales.number: ...`. `validate_entry`
checks one entry on its own (the store's writes and bundle imports use it).

The rules are not written here twice: numbers go through `telephony.phone`, headers and DTMF
through `telephony.sip`, ranges and choices through `draft.check_draft`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from console.store.profiles.model import (
    COMPOSED_FIELDS,
    ENTRY_MODELS,
    FIELD_TYPES,
    SCHEMA_VERSION,
    SECTIONS,
    HeaderSet,
    Issue,
    Kind,
    Profiles,
    Template,
    check_international,
    check_name,
    format_key,
    parse_kind,
)

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
    times have no JSON form), within the context limits (`console.calls.context_json`)."""
    from console.calls.context_json import context_problem

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
    from console.calls.draft import check_draft

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


def reference_issues(data: Mapping[str, Any]) -> list[Issue]:
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


#: (parsed data, the Profiles validated from it) of an earlier version of a file
Previous = tuple[Mapping[str, Any], Profiles]


def _previous_section(previous: Previous | None, section: str
                      ) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(raw entries, validated models) of `section` in `previous`, empty when there is none."""
    if previous is None:
        return {}, {}
    raw = previous[0].get(section, {})
    return (raw if isinstance(raw, Mapping) else {}), previous[1].section(section)


def validate_entry(kind: str | Kind, name: str, raw: Any) -> tuple[Any, list[Issue]]:
    """One entry on its own (no cross references): (model or None, issues)."""
    global entry_validations
    entry_validations += 1
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


#: validate_entry calls so far (tests count the work a write or the UI thread does with it)
entry_validations = 0


def validate_data(data: Mapping[str, Any], previous: Previous | None = None
                  ) -> tuple[Profiles | None, list[Issue]]:
    """Check a parsed profiles file (plain dicts): the model, or every issue found.

    `previous`: the parsed data and validated profiles of an earlier version of the file (the
    one a write re-read). An entry written exactly as it was there keeps its validated model,
    so a write checks the entries it changed, not all 5,000 again. Names, sections and cross
    references are always checked as a whole (plain dict work, no phone parses)."""
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
        before, models = _previous_section(previous, section)
        for name, entry_raw in raw.items():
            if name in models and before.get(name) == entry_raw:
                entries[name] = models[name]
                continue
            entry, entry_issues = validate_entry(kind, name, entry_raw)
            issues += entry_issues
            if entry is not None:
                entries[name] = entry
        sections[section] = entries
    issues += reference_issues(data)
    if issues:
        return None, issues
    return Profiles(schema_version=SCHEMA_VERSION, **sections), []
