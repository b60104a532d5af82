"""The editors of the Profiles screen: one per kind, built from the Call form's own field widgets
(the agent UUID field with its known-agents picker, the phone field, the SIP header list, the
display-name / DTMF / context / choice / number / switch fields for template defaults), checked
as you type with the same rules the store applies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from console.tui.profiles.checks import Problem
from console.tui.fields.frame import FieldFrame

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore


class EntryEditor(Vertical):
    """The fields of one kind of entry: name first, notes last."""

    kind_id = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.original_name: str | None = None   # None: a new entry

    def compose(self) -> ComposeResult:
        from console.tui.profiles.fields import NotesField, ProfileNameField

        yield ProfileNameField()
        yield from self.compose_fields()
        yield NotesField()

    def compose_fields(self) -> ComposeResult:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def fields(self) -> dict[str, FieldFrame]:
        return {frame.field_name: frame for frame in self.query(FieldFrame)}

    def field(self, name: str) -> FieldFrame:
        return self.fields[name]

    def values(self) -> dict[str, Any]:
        return {name: frame.value for name, frame in self.fields.items()}

    def focus_first(self) -> None:
        """The first field that can be edited (the name only for a new entry)."""
        for frame in self.fields.values():
            if frame.field_name == "name" and self.original_name is not None:
                continue
            frame.focus_input()
            return

    def save_notes(self) -> list[str]:
        """What the operator should hear about a saved entry beyond "saved" (none here)."""
        return []

    def blank(self) -> None:
        self.original_name = None
        for frame in self.fields.values():
            frame.set_value(frame.default if frame.default is not None else "")

    def load(self, name: str, entry: Any) -> None:
        self.original_name = name
        self.field("name").set_value(name)
        self.field("notes").set_value(entry.notes)
        self.load_entry(entry)

    def load_entry(self, entry: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def refresh_choices(self, store: ProfilesStore, app: Any) -> None:
        """Names of other entries this kind refers to (agents, caller IDs, header sets)."""

    def build(self, store: ProfilesStore) -> tuple[dict[str, Any], dict[str, list[Problem]]]:
        """(the entry's plain keys for `store.put`, problems by field name)."""
        problems: dict[str, list[Problem]] = {}
        notes = self.field("notes").value.strip()
        plain, more = self.build_entry(store)
        plain["notes"] = notes or None
        for name, items in more.items():
            problems.setdefault(name, []).extend(items)
        return plain, problems

    def build_entry(self, store: ProfilesStore) -> tuple[dict[str, Any],
                                                         dict[str, list[Problem]]]:
        raise NotImplementedError  # pragma: no cover - abstract

    def field_for_key(self, key: str | None) -> str | None:
        """The field a store error's key (`agents.sales.id`) is about."""
        if not key:
            return None
        parts = key.split(".")
        for part in reversed(parts[2:]):
            part = part.strip('"')
            mapped = self.KEY_FIELDS.get(part, part)
            if mapped in self.fields:
                return mapped
        return "name" if len(parts) <= 2 else None

    KEY_FIELDS: dict[str, str] = {}


class AgentEditor(EntryEditor):
    kind_id = "agent"
    KEY_FIELDS = {"id": "agent_id"}

    def compose_fields(self) -> ComposeResult:
        from console.tui.fields.agent_picker import AgentField
        from console.tui.profiles.fields import WatchField

        yield AgentField(label="Agent UUID")
        yield WatchField()

    def load_entry(self, entry: Any) -> None:
        self.field("agent_id").set_value(entry.id)
        self.field("watch").set_value(entry.watch)

    def refresh_choices(self, store: ProfilesStore, app: Any) -> None:
        # The server's agents (GET /agents) to pick from: saving one gives it a name here.
        self.field("agent_id").set_known_agents(getattr(app, "server_agents", []))

    def build_entry(self, store):
        from console.calls.draft import check_agent_id

        problems: dict[str, list[Problem]] = {}
        uuid = self.field("agent_id").value.strip()
        if not uuid:
            problems["agent_id"] = [Problem("required: the agent's UUID")]
        elif message := check_agent_id(uuid):
            problems["agent_id"] = [Problem(message)]
        return {"id": uuid, "watch": True if self.field("watch").value else None}, problems


class CallerIdEditor(EntryEditor):
    kind_id = "caller_id"

    def compose_fields(self) -> ComposeResult:
        from console.tui.profiles.fields import CallerAgentsField, CallerNumberField
        from console.tui.fields.text_field import DisplayNameField

        yield CallerNumberField()
        yield DisplayNameField()
        yield CallerAgentsField()

    def load_entry(self, entry: Any) -> None:
        self.field("number").set_value(entry.number)
        self.field("display_name").set_value(entry.display_name or "")
        self.field("agents").set_value(list(entry.agents))

    def refresh_choices(self, store: ProfilesStore, app: Any) -> None:
        self.field("agents").set_names(store.names("agent"))

    def build_entry(self, store):
        from console.api.models import DISPLAY_NAME_MAX
        from console.telephony.phone import PhoneError, parse_phone
        from console.telephony.sip import check_display_name

        problems: dict[str, list[Problem]] = {}
        text = self.field("number").value.strip()
        number = text
        if not text:
            problems["number"] = [Problem("required: the number to call from")]
        else:
            try:
                number = parse_phone(text, store.region).e164
            except PhoneError as exc:
                problems["number"] = [Problem(str(exc))]
        display = self.field("display_name").value
        if len(display) > DISPLAY_NAME_MAX:
            problems["display_name"] = [Problem(
                f"at most {DISPLAY_NAME_MAX} characters (has {len(display)})")]
        elif message := check_display_name(display):  # CR/LF, control characters
            problems["display_name"] = [Problem(message)]
        agents = self.field("agents").value
        saved = set(store.names("agent"))
        missing = [a for a in agents if a not in saved]
        if missing:
            problems["agents"] = [Problem(f"no agent named {', '.join(map(repr, missing))}")]
        return {"number": number, "display_name": display or None,
                "agents": agents or None}, problems


class HeaderSetEditor(EntryEditor):
    kind_id = "header_set"
    KEY_FIELDS = {"headers": "custom_headers"}

    def compose_fields(self) -> ComposeResult:
        from console.tui.fields.header_list import HeadersField

        yield HeadersField(help="The SIP headers of this set: X-* names, printable values. "
                                "Templates merge several sets in order.")

    def load_entry(self, entry: Any) -> None:
        self.field("custom_headers").set_value(entry.rows)

    def field_for_key(self, key: str | None) -> str | None:
        if key and ".headers" in key:
            return "custom_headers"
        return super().field_for_key(key)

    def save_notes(self) -> list[str]:
        empty = self.field("custom_headers").empty_value_names()  # type: ignore[attr-defined]
        return [f"{name} has an empty value" for name in empty]

    def build_entry(self, store):
        from console.telephony.sip import check_headers, headers_to_dict

        rows = self.field("custom_headers").value
        problems = [Problem(i.message, i.row, i.field) for i in check_headers(rows)]
        return ({"headers": headers_to_dict(rows) or None},
                {"custom_headers": problems} if problems else {})


#: template field defaults: request field -> whether it is a whole number
TEMPLATE_INTS = ("ringing_timeout_seconds", "max_call_duration_seconds")


class TemplateEditor(EntryEditor):
    kind_id = "template"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._original_fields: set[str] = set()

    def compose_fields(self) -> ComposeResult:
        from console.tui.fields.context_editor import ContextField
        from console.tui.fields.dtmf_input import DtmfField
        from console.tui.fields.option_fields import compose_option_pairs
        from console.tui.profiles.fields import (
            TemplateAgentField,
            TemplateCallerIdField,
            TemplateHeaderSetsField,
            TemplateToNumberField,
        )
        from console.tui.fields.text_field import DisplayNameField

        yield TemplateAgentField()
        yield TemplateCallerIdField()
        yield TemplateHeaderSetsField()
        yield Static("", classes="merge-preview", markup=False)
        yield Static("Field defaults (left at the API default: not part of the template)",
                     classes="editor-section")
        yield TemplateToNumberField()
        yield DisplayNameField()
        yield DtmfField()
        yield ContextField()
        yield from compose_option_pairs(blank_timeouts=True)

    def blank(self) -> None:
        super().blank()
        self._original_fields = set()
        for name in TEMPLATE_INTS:
            self.field(name).set_value("")

    def load_entry(self, entry: Any) -> None:
        from console.store.profiles.model import FIELD_TYPES

        self._original_fields = set(entry.fields)
        self.field("agent").set_value(entry.agent or "")
        self.field("caller_id").set_value(entry.caller_id or "")
        self.field("header_sets").set_value(list(entry.header_sets))
        fields = self.fields
        for name in FIELD_TYPES:
            frame = fields[name]
            if name in entry.fields:
                frame.set_value(entry.fields[name])
            elif name in TEMPLATE_INTS:
                frame.set_value("")
            else:
                frame.set_value(frame.default if frame.default is not None else "")
        self.field("context").set_value(dict(entry.context))

    def refresh_choices(self, store: ProfilesStore, app: Any) -> None:
        self.field("agent").set_names(store.names("agent"))
        self.field("header_sets").set_names(store.names("header_set"))
        self.agent_changed(store)

    def agent_changed(self, store: ProfilesStore) -> None:
        """Offer the caller IDs the chosen agent may use (all of them without an agent)."""
        agent = self.field("agent").value
        if agent and agent in store.profiles.agents:
            names = list(store.caller_ids_for_agent(agent))
            extra = f"{len(names)} usable by {agent!r}"
        else:
            names = store.names("caller_id")
            extra = ""
        caller = self.field("caller_id")
        caller.set_names(names)
        caller.set_extra_note(extra)

    def show_merge(self, store: ProfilesStore) -> None:
        """What the ticked header sets merge to, and their conflicts."""
        from console.store.profiles import merge_header_sets

        sets = [(n, store.profiles.header_sets[n].headers)
                for n in self.field("header_sets").value if n in store.profiles.header_sets]
        preview = self.query_one(".merge-preview", Static)
        if not sets:
            preview.update("")
            preview.set_class(False, "-conflict")
            return
        rows, _sources, conflicts = merge_header_sets(sets)
        text = Text("merged: " + (", ".join(f"{n}: {v}" for n, v in rows) or "no headers"))
        for conflict in conflicts:
            text.append(f"\n⚠ {conflict.message} (the later set wins)")
        preview.update(text)
        preview.set_class(bool(conflicts), "-conflict")

    def build_entry(self, store):
        from console.calls.draft import check_int, parse_context
        from console.store.profiles.model import FIELD_TYPES, check_international
        from console.store.profiles.validation import check_template_fields

        problems: dict[str, list[Problem]] = {}
        fields: dict[str, Any] = {}
        frames = self.fields
        for name, kind in FIELD_TYPES.items():
            frame = frames[name]
            raw = frame.value
            if name in TEMPLATE_INTS:
                text = str(raw).strip()
                if not text:
                    continue
                number, message = check_int(text, frame.lo, frame.hi)  # type: ignore[attr-defined]
                if message:
                    problems[name] = [Problem(message)]
                    continue
                if number == frame.default and name not in self._original_fields:
                    continue
                fields[name] = number
            elif kind is bool:
                if bool(raw) != frame.default or name in self._original_fields:
                    fields[name] = bool(raw)
            elif name in ("priority", "media_encryption"):
                if raw != frame.default or name in self._original_fields:
                    fields[name] = raw
            else:
                text = str(raw).strip() if name == "to_number" else str(raw)
                if not text:
                    continue
                if name == "to_number":
                    from console.telephony.phone import PhoneError, parse_phone

                    try:
                        text = parse_phone(text, store.region).e164
                    except PhoneError as exc:
                        problems[name] = [Problem(str(exc))]
                        continue
                    _, message = check_international(text)
                    if message:
                        problems[name] = [Problem(message)]
                        continue
                fields[name] = text
        for issue in check_template_fields(("templates", "x", "fields"), fields):
            problems.setdefault(issue.path[-1], []).append(Problem(issue.message))
        context, message = parse_context(frames["context"].value)
        if message:
            problems["context"] = [Problem(message)]
            context = {}
        agent = frames["agent"].value
        caller_id = frames["caller_id"].value
        header_sets = frames["header_sets"].value
        profiles = store.profiles
        if agent and agent not in profiles.agents:
            problems["agent"] = [Problem(f"no agent named {agent!r}")]
        if caller_id:
            caller = profiles.caller_ids.get(caller_id)
            if caller is None:
                problems["caller_id"] = [Problem(f"no caller ID named {caller_id!r}")]
            elif agent and caller.agents and agent not in caller.agents:
                problems["caller_id"] = [Problem(
                    f"caller ID {caller_id!r} is only for agent(s) {', '.join(caller.agents)}, "
                    f"not {agent!r}")]
        missing = [s for s in header_sets if s not in profiles.header_sets]
        if missing:
            problems["header_sets"] = [Problem(f"no header set named "
                                               f"{', '.join(map(repr, missing))}")]
        plain = {"agent": agent or None, "caller_id": caller_id or None,
                 "header_sets": header_sets or None, "fields": fields or None,
                 "context": context or None}
        return plain, problems

    def field_for_key(self, key: str | None) -> str | None:
        if key and ".context" in key:
            return "context"
        return super().field_for_key(key)


EDITORS: dict[str, type[EntryEditor]] = {
    "agent": AgentEditor, "caller_id": CallerIdEditor, "header_set": HeaderSetEditor,
    "template": TemplateEditor,
}
