"""Call templates: what a template puts in the Call form, and the template a form would make.

`resolve_template` composes a template's agent, caller ID, header sets (merged in order, a
later set wins; conflicts are reported), field defaults and context into request values, each
with where it came from. `template_from_values` goes the other way for "save as template": the
saved names that match the form's values, and the values that match none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from console.store.profiles.model import FIELD_TYPES, Profiles
from console.store.profiles.references import agent_name_for_id, match_name


@dataclass(frozen=True)
class HeaderConflict:
    """Two header sets of a template set one header (case-insensitive) to different values."""

    header: str
    first_set: str
    first_value: str
    later_set: str
    later_value: str

    @property
    def message(self) -> str:
        return (f"{self.header}: header set {self.later_set!r} sets {self.later_value!r}, "
                f"overriding {self.first_value!r} from {self.first_set!r}")

    def __str__(self) -> str:
        return self.message


@dataclass
class TemplateResolution:
    """What a template puts in the Call form.

    values: request fields ready for `draft.check_draft` — `agent_id` (UUID), `from_number`
        (E.164), `display_name`, `custom_headers` (merged rows), `context` and field defaults;
        only what the template sets (the API defaults fill the rest).
    sources: field -> where its value came from: "template:NAME", "agent:NAME",
        "caller_id:NAME", or "header_set:A" / "header_set:A+B" for custom_headers.
    header_sources: header name -> "header_set:NAME" that gave its final value.
    conflicts: headers set to different values by two of the template's sets (later wins).
    """

    name: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    header_sources: dict[str, str] = field(default_factory=dict)
    conflicts: list[HeaderConflict] = field(default_factory=list)
    agent: str | None = None
    caller_id: str | None = None
    header_sets: list[str] = field(default_factory=list)

    def merged(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The template's values with `overrides` on top (what the operator typed wins).

        Overrides that are None or "" leave the template's value. `custom_headers` merge by
        name (case-insensitive; an override replaces the template's header of that name),
        `context` merges key by key (a context that is not an object is passed on as is, so
        check_draft reports it).
        """
        from console.calls.draft import parse_context

        out = dict(self.values)
        for key, value in overrides.items():
            if key == "custom_headers":
                rows = list(out.get("custom_headers", []))
                extra = list(value.items()) if isinstance(value, Mapping) else list(value or [])
                for name, header_value in extra:
                    for index, (existing, _) in enumerate(rows):
                        if existing.lower() == str(name).lower():
                            rows[index] = (name, header_value)
                            break
                    else:
                        rows.append((name, header_value))
                out["custom_headers"] = rows
            elif key == "context":
                parsed, problem = (parse_context(value) if isinstance(value, str)
                                   else (value, None))
                if problem or not isinstance(parsed, dict):
                    out["context"] = value
                elif parsed:
                    out["context"] = {**out.get("context", {}), **parsed}
            elif value is not None and value != "":
                out[key] = value
        return out

    def check(self, overrides: Mapping[str, Any] | None = None, *, region: str = "US"):
        """`check_draft` of the merged values: a DraftResult."""
        from console.calls.draft import check_draft

        return check_draft(self.merged(overrides or {}), region=region)

    def to_dict(self) -> dict[str, Any]:
        values = dict(self.values)
        if "custom_headers" in values:
            values["custom_headers"] = dict(values["custom_headers"])
        return {
            "template": self.name, "agent": self.agent, "caller_id": self.caller_id,
            "header_sets": list(self.header_sets), "values": values,
            "sources": dict(self.sources), "header_sources": dict(self.header_sources),
            "conflicts": [c.__dict__ | {"message": c.message} for c in self.conflicts],
        }


@dataclass
class TemplateDraft:
    """What "save as template" would store for a filled-in Call form (see
    `ProfilesStore.template_from_values`). `unsaved` holds the values that match no saved
    profile (`agent_id`, `from_number`, `custom_headers`, or a `context` text that is not an
    object), so the UI can offer to save those first."""

    agent: str | None = None
    caller_id: str | None = None
    header_sets: list[str] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    unsaved: dict[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `ProfilesStore.add_template(name, **kwargs)`."""
        return {"agent": self.agent, "caller_id": self.caller_id,
                "header_sets": list(self.header_sets), "fields": dict(self.fields),
                "context": dict(self.context)}


def merge_header_sets(sets: Sequence[tuple[str, Mapping[str, str]]]) -> tuple[
        list[tuple[str, str]], dict[str, str], list[HeaderConflict]]:
    """Merge header sets in order: (rows, header -> source, conflicts). A later set wins; a
    header set twice to different values (names compared case-insensitively) is a conflict."""
    rows: list[tuple[str, str]] = []
    where: dict[str, int] = {}
    origin: dict[str, str] = {}
    conflicts: list[HeaderConflict] = []
    for set_name, headers in sets:
        for name, value in headers.items():
            folded = name.lower()
            if folded in where:
                index = where[folded]
                old_name, old_value = rows[index]
                if old_value != value:
                    conflicts.append(HeaderConflict(name, origin[folded], old_value, set_name,
                                                    value))
                rows[index] = (name, value)
            else:
                where[folded] = len(rows)
                rows.append((name, value))
            origin[folded] = set_name
    sources = {rows[index][0]: f"header_set:{origin[folded]}" for folded, index in where.items()}
    return rows, sources, conflicts


def resolve_template(profiles: Profiles, stored: str) -> TemplateResolution:
    """What the template `stored` (its stored name) puts in the Call form."""
    template = profiles.templates[stored]
    origin = f"template:{stored}"
    out = TemplateResolution(stored, agent=template.agent, caller_id=template.caller_id,
                             header_sets=list(template.header_sets))
    if template.agent:
        out.values["agent_id"] = profiles.agents[template.agent].agent_id
        out.sources["agent_id"] = f"agent:{template.agent}"
    if template.caller_id:
        caller = profiles.caller_ids[template.caller_id]
        out.values["from_number"] = caller.e164
        out.sources["from_number"] = f"caller_id:{template.caller_id}"
        if caller.display_name:
            out.values["display_name"] = caller.display_name
            out.sources["display_name"] = f"caller_id:{template.caller_id}"
    if template.header_sets:
        rows, header_sources, conflicts = merge_header_sets(
            [(s, profiles.header_sets[s].headers) for s in template.header_sets])
        out.values["custom_headers"] = rows
        out.sources["custom_headers"] = "header_set:" + "+".join(template.header_sets)
        out.header_sources, out.conflicts = header_sources, conflicts
    for key, value in template.fields.items():
        out.values[key] = value
        out.sources[key] = origin
    if template.context:
        out.values["context"] = dict(template.context)
        out.sources["context"] = origin
    return out


def template_from_values(profiles: Profiles, values: Mapping[str, Any], *, region: str,
                         based_on: str | None = None,
                         include_to_number: bool = False) -> TemplateDraft:
    """A template for the Call form's current values (request field names, as for
    check_draft): saved agent / caller ID / header set names where the values match one,
    the fields that differ from the API defaults, and the context. `based_on`: the
    template that filled the form, whose header sets are reused when the headers still
    are what they merge to."""
    from console.api.models import OutboundCallRequest
    from console.calls.draft import parse_context
    from console.telephony.phone import PhoneError, parse_phone

    draft = TemplateDraft()
    agent_id = str(values.get("agent_id") or "").strip()
    if agent_id:
        name = agent_name_for_id(profiles, agent_id)
        if name:
            draft.agent = name
        else:
            draft.unsaved["agent_id"] = agent_id
    from_number = str(values.get("from_number") or "").strip()
    if from_number:
        try:
            e164 = parse_phone(from_number, region).e164
        except PhoneError:
            e164 = from_number
        names = [n for n, c in profiles.caller_ids.items()
                 if c.e164 == e164 and (draft.agent is None or c.allows(draft.agent))]
        if names:
            draft.caller_id = names[0]
        else:
            draft.unsaved["from_number"] = e164
    headers = values.get("custom_headers") or []
    rows = [(str(n), str(v)) for n, v in
            (headers.items() if isinstance(headers, Mapping) else headers)
            if str(n).strip() or str(v).strip()]
    if rows:
        wanted = {n.lower(): v for n, v in rows}
        base = profiles.templates.get(match_name(profiles.templates, based_on) or "") \
            if based_on else None
        merged = merge_header_sets([(n, profiles.header_sets[n].headers)
                                    for n in base.header_sets])[0] if base else []
        match = next((n for n, h in profiles.header_sets.items()
                      if {k.lower(): v for k, v in h.headers.items()} == wanted), None)
        if base and base.header_sets and {n.lower(): v for n, v in merged} == wanted:
            draft.header_sets = list(base.header_sets)
        elif match:
            draft.header_sets = [match]
        else:
            draft.unsaved["custom_headers"] = rows
    defaults = OutboundCallRequest.defaults()
    for key, kind in FIELD_TYPES.items():
        value = values.get(key)
        if value is None or value == "" or (key == "to_number" and not include_to_number):
            continue
        if kind is int:
            try:
                value = int(value)
            except (TypeError, ValueError):
                continue
        elif kind is bool:
            value = bool(value)
        if key != "to_number" and value == defaults.get(key):
            continue
        draft.fields[key] = value
    caller = profiles.caller_ids.get(draft.caller_id or "")
    if caller is not None and draft.fields.get("display_name") == caller.display_name:
        del draft.fields["display_name"]  # it comes with the caller ID
    context = values.get("context")
    if isinstance(context, str):
        parsed, problem = parse_context(context)
        if problem or not isinstance(parsed, dict):
            draft.unsaved["context"] = context
            parsed = {}
        context = parsed
    if isinstance(context, Mapping) and context:
        draft.context = dict(context)
    return draft
