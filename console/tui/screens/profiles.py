"""The Profiles screen: saved agents, caller IDs, SIP header sets and call templates.

One tab per kind. Each is a searchable list beside an editor built from the Call form's own
field widgets (the agent UUID field with its known-agents picker, the phone field, the SIP header
list, the display-name / DTMF / context / choice / number / switch fields for template defaults),
checked as you type with the same rules the store applies. New / duplicate / rename / delete,
with a confirmation that lists whatever still refers to the entry.

Every write goes through `app.profiles` (lock, re-read, merge, atomic replace) in a thread worker;
its error is shown at the field it is about. When the file on disk does not parse or validate
the screen says where (file:line: key: message), disables every change and never writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from console.tui.keys import (
    PROFILES_DELETE,
    PROFILES_DUPLICATE,
    PROFILES_KEYS,
    PROFILES_LIST_KEYS,
    PROFILES_NEW,
    PROFILES_RENAME,
    PROFILES_SAVE,
    bindings,
)
from console.tui.screens.base import ConsoleScreen
from console.tui.widgets.field_frame import FieldFrame

if TYPE_CHECKING:
    from console.store.profiles import ProfilesError, ProfilesStore, Reference
    from console.store.profiles_model import Kind

#: (kind id, section, tab title); the order of the tabs and of the number keys 1-4
KIND_TABS: tuple[tuple[str, str, str], ...] = (
    ("agent", "agents", "Agents"),
    ("caller_id", "caller_ids", "Caller IDs"),
    ("header_set", "header_sets", "Header sets"),
    ("template", "templates", "Templates"),
)

#: below this width the list is narrower (80x24 terminals)
NARROW_WIDTH = 100

READ_ONLY_HELP = (
    "Fix the file in a text editor (`call-console profiles validate` checks it), then reload "
    "with ctrl+r. Nothing is written to it until then. The Call form still works.")


def _a(label: str) -> str:
    return ("an " if label[0] in "aeiou" else "a ") + label


def name_problem(store: ProfilesStore, kind: Kind | str, name: str, *,
                 current: str | None = None) -> str | None:
    """Why `name` cannot be used for a (new or renamed) entry, or None."""
    from console.store.profiles_model import check_name, parse_kind

    kind = kind if not isinstance(kind, str) else parse_kind(kind)
    if message := check_name(name):
        return message
    if current is not None and name == current:
        return "that is its name now"
    taken = next((n for n in store.names(kind) if n.lower() == name.lower()), None)
    if taken is not None and (current is None or taken.lower() != current.lower()):
        return f"{_a(kind.label)} named {taken!r} already exists (names are case-insensitive)"
    return None


def references_text(refs: list[Reference]) -> str:
    return ", ".join(str(ref) for ref in refs)


class Problem:
    """A message for a field (and a header row / part for the header list)."""

    def __init__(self, message: str, row: int | None = None, part: str | None = None) -> None:
        self.message, self.row, self.part = message, row, part

    def __str__(self) -> str:
        return self.message


# -- editors ---------------------------------------------------------------------------------


class EntryEditor(Vertical):
    """The fields of one kind of entry: name first, notes last."""

    kind_id = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.original_name: str | None = None   # None: a new entry

    def compose(self) -> ComposeResult:
        from console.tui.widgets.profile_fields import NotesField, ProfileNameField

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
        from console.tui.widgets.agent_picker import AgentField
        from console.tui.widgets.profile_fields import WatchField

        yield AgentField(label="Agent UUID")
        yield WatchField()

    def load_entry(self, entry: Any) -> None:
        self.field("agent_id").set_value(entry.id)
        self.field("watch").set_value(entry.watch)

    def refresh_choices(self, store: ProfilesStore, app: Any) -> None:
        # The server's agents (GET /agents) to pick from: saving one gives it a name here.
        self.field("agent_id").set_known_agents(getattr(app, "server_agents", []))

    def build_entry(self, store):
        from console.draft import check_agent_id

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
        from console.tui.widgets.profile_fields import CallerAgentsField, CallerNumberField
        from console.tui.widgets.text_field import DisplayNameField

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
        from console.tui.widgets.header_list import HeadersField

        yield HeadersField(help="The SIP headers of this set: X-* names, printable values. "
                                "Templates merge several sets in order.")

    def load_entry(self, entry: Any) -> None:
        self.field("custom_headers").set_value(entry.rows)

    def field_for_key(self, key: str | None) -> str | None:
        if key and ".headers" in key:
            return "custom_headers"
        return super().field_for_key(key)

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
        from console.tui.widgets.choice import MediaEncryptionField, PriorityField
        from console.tui.widgets.context_editor import ContextField
        from console.tui.widgets.dtmf_input import DtmfField
        from console.tui.widgets.number_input import MaxDurationField, RingingTimeoutField
        from console.tui.widgets.profile_fields import (
            TemplateAgentField,
            TemplateCallerIdField,
            TemplateHeaderSetsField,
            TemplateToNumberField,
        )
        from console.tui.widgets.switch_field import (
            DialtoneField,
            HideNumberField,
            KrispField,
            WaitAnsweredField,
        )
        from console.tui.widgets.text_field import DisplayNameField

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
        with Horizontal(classes="pair"):
            yield PriorityField()
            yield MediaEncryptionField()
        with Horizontal(classes="pair"):
            yield RingingTimeoutField(value="")
            yield MaxDurationField(value="")
        with Horizontal(classes="pair"):
            yield KrispField()
            yield WaitAnsweredField()
        with Horizontal(classes="pair"):
            yield DialtoneField()
            yield HideNumberField()

    def blank(self) -> None:
        super().blank()
        self._original_fields = set()
        for name in TEMPLATE_INTS:
            self.field(name).set_value("")

    def load_entry(self, entry: Any) -> None:
        from console.store.profiles_model import FIELD_TYPES

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
        from console.draft import check_int, parse_context
        from console.store.profiles_model import (
            FIELD_TYPES,
            check_international,
            check_template_fields,
        )

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


# -- the list --------------------------------------------------------------------------------


class ProfileList(OptionList):
    """The entries of one kind; n / d / r / delete / slash act on it (see keys.py)."""

    BINDINGS = bindings(*PROFILES_LIST_KEYS)


def summary(kind_id: str, entry: Any) -> str:
    """One line about an entry, also what the search looks through."""
    if kind_id == "agent":
        return entry.agent_id
    if kind_id == "caller_id":
        out = entry.e164
        if entry.display_name:
            out += f" “{entry.display_name}”"
        if entry.agents:
            out += " · only " + ", ".join(entry.agents)
        return out
    if kind_id == "header_set":
        count = len(entry.headers)
        return (f"{count} header{'s' if count != 1 else ''}: "
                + ", ".join(f"{n}: {v}" for n, v in entry.headers.items()))
    parts = []
    if entry.agent:
        parts.append(entry.agent)
    if entry.caller_id:
        parts.append(entry.caller_id)
    if entry.header_sets:
        parts.append("+".join(entry.header_sets))
    if entry.fields:
        parts.append(f"{len(entry.fields)} field{'s' if len(entry.fields) != 1 else ''}")
    return " · ".join(parts) or "empty"


# -- one kind --------------------------------------------------------------------------------


class KindPart(Horizontal):
    """The list and the editor of one kind of entry."""

    def __init__(self, kind_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from console.store.profiles_model import KINDS

        self.kind = KINDS[kind_id]
        self.selected: str | None = None     # the entry in the editor (None: new or nothing)
        self.mode = "empty"                  # "empty" | "edit" | "new"
        self._loaded: dict[str, Any] = {}
        self._touched: set[str] = set()
        self._saving = False
        self._filter = ""

    # -- composition ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        section = self.kind.section
        label = self.kind.label
        with Vertical(classes="part-list"):
            yield Input(placeholder=f"search {label}s", classes="part-search",
                        id=f"search-{section}", compact=True)
            yield ProfileList(id=f"list-{section}")
            yield Static("", classes="part-count", markup=False)
            with Horizontal(classes="part-buttons"):
                yield Button("New", id=f"new-{section}", classes="btn-new", compact=True,
                             tooltip=f"New {label} ({PROFILES_NEW.key})")
                yield Button("Duplicate", classes="btn-duplicate", compact=True,
                             tooltip=f"Duplicate ({PROFILES_DUPLICATE.key})")
                yield Button("Rename", classes="btn-rename", compact=True,
                             tooltip=f"Rename ({PROFILES_RENAME.key})")
                yield Button("Delete", classes="btn-delete", compact=True, variant="error",
                             tooltip=f"Delete ({PROFILES_DELETE.key})")
        with VerticalScroll(classes="part-editor"):
            yield Static("", classes="editor-title", markup=False)
            yield EDITORS[self.kind.id](classes="editor")
            yield Static("", classes="editor-refs", markup=False)
            with Horizontal(classes="editor-actions"):
                yield Button(f"Save {PROFILES_SAVE.key}", classes="btn-save", compact=True,
                             variant="primary")
                yield Static("", classes="editor-status", markup=False)

    @property
    def editor(self) -> EntryEditor:
        return self.query_one(EntryEditor)

    @property
    def entries(self) -> ProfileList:
        return self.query_one(ProfileList)

    @property
    def store(self) -> ProfilesStore | None:
        return self.app.profiles  # type: ignore[attr-defined]

    @property
    def read_only(self) -> bool:
        store = self.store
        return store is None or store.read_only

    @property
    def dirty(self) -> bool:
        return self.mode != "empty" and self.editor.values() != self._loaded

    def on_mount(self) -> None:
        self._show_empty()
        if self.store is not None:
            self.refresh_from(self.store)
        else:
            self._fill_list()

    # -- from the store ---------------------------------------------------------------------

    def refresh_from(self, store: ProfilesStore) -> None:
        """The store changed (a write, a reload): list, choices, editor, buttons."""
        self.editor.refresh_choices(store, self.app)
        self._fill_list()
        if self.mode == "empty" and self._highlighted_name() is not None:
            self._load(self._highlighted_name())
        if self.mode == "edit" and self.selected is not None:
            stored = next((n for n in store.names(self.kind) if n == self.selected), None)
            if stored is None:
                self._show_empty()
            elif not self.dirty:
                self._load(stored)
            else:
                self._show_refs()
        self._apply_read_only()
        self.recheck()

    def _fill_list(self) -> None:
        store = self.store
        listing = self.entries
        highlighted = self._highlighted_name()
        options = []
        if store is not None:
            for name, entry in store.profiles.section(self.kind).items():
                about = summary(self.kind.id, entry)
                if self._filter and self._filter not in f"{name} {about}".lower():
                    continue
                prompt = Text(no_wrap=True, overflow="ellipsis")
                prompt.append(name, style="bold")
                if self.kind.id == "agent" and entry.watch:
                    prompt.append("  ◉ watched", style="italic")
                prompt.append("\n  " + about, style="dim")
                options.append(Option(prompt, id=name))
        with listing.prevent(OptionList.OptionHighlighted):
            listing.clear_options()
            listing.add_options(options)
            wanted = self.selected if self.selected is not None else highlighted
            index = next((i for i, o in enumerate(options) if o.id == wanted), None)
            if index is None and options:
                index = 0
            listing.highlighted = index
        total = len(store.profiles.section(self.kind)) if store is not None else 0
        count = self.query_one(".part-count", Static)
        if store is None:
            count.update("loading profiles…")
        elif self._filter:
            count.update(f"{len(options)} of {total} {self.kind.label}s match")
        else:
            count.update(f"{total} {self.kind.label}{'s' if total != 1 else ''}")

    def _highlighted_name(self) -> str | None:
        listing = self.entries
        if listing.highlighted is None or listing.option_count == 0:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    def _apply_read_only(self) -> None:
        read_only = self.read_only
        has = self._highlighted_name() is not None
        for selector, enabled in ((".btn-new", True), (".btn-duplicate", has),
                                  (".btn-rename", has), (".btn-delete", has)):
            self.query_one(selector, Button).disabled = read_only or not enabled
        self.editor.disabled = read_only or self.mode == "empty"
        self.query_one(".btn-save", Button).disabled = (
            read_only or self.mode == "empty" or self._saving)

    # -- showing an entry -------------------------------------------------------------------

    def _show_empty(self) -> None:
        self.mode, self.selected = "empty", None
        self.editor.blank()
        self._loaded = self.editor.values()
        self._touched.clear()
        self.query_one(".editor-title", Static).update(
            f"No {self.kind.label} selected: pick one from the list, or press "
            f"{PROFILES_NEW.key} for a new one")
        self.query_one(".editor-refs", Static).update("")
        self._status("")
        self._apply_read_only()
        self.recheck()

    def _load(self, name: str) -> None:
        store = self.store
        if store is None:
            return
        entry = store.profiles.section(self.kind)[name]
        self.mode, self.selected = "edit", name
        editor = self.editor
        focused = self.screen.focused
        frame = next((f for f in editor.fields.values()
                      if focused is not None and f in focused.ancestors), None)
        editor.load(name, entry)
        if frame is not None:  # keep the focus in its field (header rows are re-created)
            self.call_after_refresh(self._refocus, frame)
        self._loaded = editor.values()
        self._touched.clear()
        editor.field("name").input.disabled = True  # rename with r: it updates references
        label = self.kind.label
        self.query_one(".editor-title", Static).update(f"{label[0].upper()}{label[1:]} {name!r}")
        self._show_refs()
        self._status("")
        self._apply_read_only()
        self.call_after_refresh(self._settle_loaded)

    def _refocus(self, frame: FieldFrame) -> None:
        focused = self.screen.focused
        if focused is None or not focused.is_attached or frame not in focused.ancestors:
            frame.focus_input()

    def _settle_loaded(self) -> None:
        # Values set programmatically settle after a refresh (header rows mount, selects).
        if self.mode == "edit":
            self._loaded = self.editor.values()
        self.recheck()

    def _show_refs(self) -> None:
        store = self.store
        refs = store.referrers(self.kind, self.selected) if store and self.selected else []
        self.query_one(".editor-refs", Static).update(
            ("Used by: " + references_text(refs)) if refs else
            (f"Nothing refers to this {self.kind.label}." if self.selected else ""))

    def new_entry(self) -> None:
        if self.read_only:
            return
        self.mode, self.selected = "new", None
        editor = self.editor
        editor.blank()
        editor.field("name").input.disabled = False
        self._loaded = {}
        self._touched.clear()
        self.query_one(".editor-title", Static).update(f"New {self.kind.label}")
        self.query_one(".editor-refs", Static).update("")
        self._status("")
        self._apply_read_only()
        self.recheck()
        editor.field("name").focus_input()

    def open_highlighted(self, *, force: bool = False) -> None:
        name = self._highlighted_name()
        if name is None or (name == self.selected and self.mode == "edit" and not force):
            return
        if self.dirty and not force:
            self._status(f"unsaved changes: {PROFILES_SAVE.key} saves them, enter on the list "
                         "discards them", error=True)
            return
        self._load(name)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._apply_read_only()
        self.open_highlighted()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.dirty:
            from console.tui.screens.confirm import ConfirmScreen

            name = event.option.id

            def answered(discard: bool | None) -> None:
                if discard and name is not None:
                    self._load(name)
                    self.editor.focus_first()

            self.app.push_screen(ConfirmScreen(
                "Discard unsaved changes?",
                Text(f"The editor has changes that are not saved. Open {name!r} anyway?"),
                confirm="Discard", cancel="Keep editing"), answered)
            return
        self.open_highlighted(force=True)
        self.editor.focus_first()

    # -- search -----------------------------------------------------------------------------

    @on(Input.Changed, ".part-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter = event.value.strip().lower()
        self._fill_list()
        self._apply_read_only()

    @on(Input.Submitted, ".part-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.entries.focus()

    def focus_search(self) -> None:
        self.query_one(".part-search", Input).focus()

    # -- checks -----------------------------------------------------------------------------

    @on(FieldFrame.Changed)
    def _field_changed(self, event: FieldFrame.Changed) -> None:
        event.stop()
        name = event.frame.field_name
        store = self.store
        if store is not None and isinstance(self.editor, TemplateEditor):
            if name == "agent":
                self.editor.agent_changed(store)
            if name == "header_sets":
                self.editor.show_merge(store)
        if self.mode != "empty" and self.editor.values() != self._loaded:
            self._touched.add(name)
        self.recheck()

    def problems(self) -> tuple[dict[str, Any], dict[str, list[Problem]]]:
        store = self.store
        if store is None or self.mode == "empty":
            return {}, {}
        plain, problems = self.editor.build(store)
        if self.mode == "new":
            message = name_problem(store, self.kind, self.editor.field("name").value)
            if message:
                problems.setdefault("name", []).insert(0, Problem(message))
        return plain, problems

    def recheck(self, *, everything: bool = False) -> dict[str, list[Problem]]:
        """Live checks: problems under the fields touched since the entry was opened."""
        _plain, problems = self.problems()
        if everything:
            self._touched.update(problems)
        for name, frame in self.editor.fields.items():
            frame.set_problems(problems.get(name, []) if name in self._touched else [])
        if isinstance(self.editor, TemplateEditor) and self.store is not None:
            self.editor.show_merge(self.store)
        if self.mode != "empty" and not self._saving:
            dirty = self.dirty
            if problems and self._touched:
                self._status("fix the marked fields to save", error=True)
            elif dirty or self.mode == "new":
                self._status(f"unsaved changes · {PROFILES_SAVE.key} saves")
            elif self.query_one(".editor-status", Static).has_class("-error"):
                self._status("")
        return problems

    def _status(self, text: str, *, error: bool = False, ok: bool = False) -> None:
        status = self.query_one(".editor-status", Static)
        status.update(text)
        status.set_class(error, "-error")
        status.set_class(ok, "-ok")

    # -- writes -----------------------------------------------------------------------------

    def save(self) -> None:
        store = self.store
        if store is None or self.mode == "empty" or self._saving:
            return
        if store.read_only:
            self._status("the profiles file has errors: nothing is written", error=True)
            return
        problems = self.recheck(everything=True)
        if problems:
            first = next(n for n in self.editor.fields if n in problems)
            self.editor.field(first).focus_input()
            self._status(f"not saved: fix {len(problems)} field"
                         f"{'s' if len(problems) != 1 else ''} first", error=True)
            return
        plain, _ = self.problems()
        new = self.mode == "new"
        name = self.editor.field("name").value if new else self.selected
        assert name is not None
        kind = self.kind

        def write() -> Any:
            return store.put(kind, name, plain, replace=not new)

        self._saving = True
        self._apply_read_only()
        self._status("saving…")
        self.run_write(write, lambda _entry: self._saved(name, new), self._save_failed)

    def _saved(self, name: str, new: bool) -> None:
        self._saving = False
        stored = next((n for n in self.store.names(self.kind)
                       if n.lower() == name.lower()), name)
        self.mode, self.selected = "edit", stored
        self._loaded = {}
        self.app.profiles_written()  # lists, pickers and known agents everywhere
        self._load(stored)
        verb = "Added" if new else "Saved"
        self._status(f"{verb} {self.kind.label} {stored!r} to {self.store.path.name}", ok=True)
        self.app.notify(f"{verb} {self.kind.label} {stored!r}", title="Profiles",
                        markup=False, timeout=4)

    def _save_failed(self, exc: ProfilesError) -> None:
        from console.store.profiles import ProfilesReadOnly

        self._saving = False
        self._apply_read_only()
        if isinstance(exc, ProfilesReadOnly):
            self.app.profiles_written()  # shows the read-only state
            self._status("the profiles file has errors: nothing was written", error=True)
            return
        shown = False
        for issue in exc.issues:
            field = self.editor.field_for_key(issue.key)
            if field is not None:
                self._touched.add(field)
                self.editor.field(field).set_problems([issue.message])
                shown = True
        self._status(("not saved: see the marked field" if shown else f"not saved: {exc}"),
                     error=True)

    def run_write(self, write: Callable[[], Any], done: Callable[[Any], None],
                  failed: Callable[[ProfilesError], None]) -> None:
        """Run a store write in a thread (lock + fsync can block); results on this thread."""

        async def run() -> None:
            from console.store.profiles import ProfilesError

            try:
                result = await asyncio.to_thread(write)
            except ProfilesError as exc:
                failed(exc)
                return
            done(result)

        self.run_worker(run(), name=f"profiles-write-{self.kind.id}", group="profiles-write",
                        exit_on_error=False)

    def duplicate(self) -> None:
        store, name = self.store, self._highlighted_name()
        if store is None or name is None or store.read_only:
            return
        from console.tui.screens.profile_name import ProfileNameScreen

        kind = self.kind

        def done(result: tuple[str, Any] | None) -> None:
            if result is not None:
                self._written(result[0], f"Duplicated {kind.label} {name!r} as {result[0]!r}")

        body = Text(f"The copy gets every key of {name!r}. Whatever refers to {name!r} keeps "
                    f"referring to it.")
        self.app.push_screen(ProfileNameScreen(
            f"Duplicate {kind.label} {name!r}", body, initial=self._copy_name(store, name),
            check=lambda new: name_problem(store, kind, new),
            action=lambda new: store.duplicate(kind, name, new), confirm="Duplicate"), done)

    @staticmethod
    def _copy_name(store: ProfilesStore, name: str) -> str:
        taken = {n.lower() for kind in ("agent", "caller_id", "header_set", "template")
                 for n in store.names(kind)}
        for number in range(1, 100):
            candidate = f"{name} copy" + (f" {number}" if number > 1 else "")
            if candidate.lower() not in taken and len(candidate) <= 64:
                return candidate
        return ""

    def rename(self) -> None:
        store, name = self.store, self._highlighted_name()
        if store is None or name is None or store.read_only:
            return
        from console.tui.screens.profile_name import ProfileNameScreen

        kind = self.kind
        refs = store.referrers(kind, name)
        body = Text()
        if refs:
            body.append(f"These references to {name!r} are updated too:\n")
            for ref in refs:
                body.append(f"  • {ref}\n")
        else:
            body.append(f"Nothing refers to {name!r}.")

        def done(result: tuple[str, Any] | None) -> None:
            if result is None:
                return
            new, updated = result
            message = f"Renamed {kind.label} {name!r} to {new!r}"
            if updated:
                message += f"; updated {len(updated)} reference{'s' if len(updated) != 1 else ''}"
            self._written(new, message)

        self.app.push_screen(ProfileNameScreen(
            f"Rename {kind.label} {name!r}", body, initial=name,
            check=lambda new: name_problem(store, kind, new, current=name),
            action=lambda new: store.rename(kind, name, new), confirm="Rename"), done)

    def delete(self) -> None:
        store, name = self.store, self._highlighted_name()
        if store is None or name is None or store.read_only:
            return
        from console.tui.screens.confirm import ConfirmScreen

        kind = self.kind
        refs = store.referrers(kind, name)
        body = Text()
        if refs:
            body.append(f"⚠ {name!r} is still used by:\n", style="bold")
            for ref in refs:
                body.append(f"  • {ref}\n")
            body.append("\nDeleting it also removes these references (the rest of those "
                        "entries stays as it is).")
            confirm = f"Delete and clear {len(refs)} reference{'s' if len(refs) != 1 else ''}"
        else:
            body.append(f"Nothing refers to {name!r}. It is removed from the profiles file "
                        "with the comment lines right above it.")
            confirm = "Delete"

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            self._status(f"deleting {name!r}…")
            self.run_write(lambda: store.remove(kind, name, force=bool(refs)),
                           lambda cleared: self._deleted(name, cleared), self._delete_failed)

        self.app.push_screen(ConfirmScreen(f"Delete {kind.label} {name!r}?", body,
                                           confirm=confirm, cancel="Keep it"), answered)

    def _deleted(self, name: str, cleared: list[Reference]) -> None:
        if self.selected == name:
            self._show_empty()
        message = f"Deleted {self.kind.label} {name!r}"
        if cleared:
            message += f"; cleared {references_text(cleared)}"
        self.app.profiles_written()
        self._status(message, ok=True)
        self.app.notify(message, title="Profiles", markup=False, timeout=5)
        self.entries.focus()

    def _delete_failed(self, exc: ProfilesError) -> None:
        from console.store.profiles import ProfileInUse, ProfilesReadOnly

        if isinstance(exc, ProfilesReadOnly):
            self.app.profiles_written()
        if isinstance(exc, ProfileInUse):
            self._status(f"not deleted: now used by {references_text(exc.references)}",
                         error=True)
        else:
            self._status(f"not deleted: {exc}", error=True)

    def _written(self, name: str, message: str) -> None:
        self.app.profiles_written()
        self.selected, self.mode = None, "empty"
        self._fill_list()
        listing = self.entries
        for index in range(listing.option_count):
            if listing.get_option_at_index(index).id == name:
                listing.highlighted = index
                break
        self._load(name)
        self._status(message, ok=True)
        self.app.notify(message, title="Profiles", markup=False, timeout=5)
        listing.focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one handler for write workers that failed in a way their code did not expect
        (ProfilesError is handled where the write was asked for)."""
        if event.state == WorkerState.ERROR and event.worker.group == "profiles-write":
            self._saving = False
            self._apply_read_only()
            self._status(f"not saved: {event.worker.error}", error=True)
            self.app.notify(f"Profiles: the write failed: {event.worker.error!r}",
                            severity="error", markup=False, timeout=10)

    # -- buttons ----------------------------------------------------------------------------

    @on(Button.Pressed, ".btn-new")
    def _new_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.new_entry()

    @on(Button.Pressed, ".btn-duplicate")
    def _duplicate_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.duplicate()

    @on(Button.Pressed, ".btn-rename")
    def _rename_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.rename()

    @on(Button.Pressed, ".btn-delete")
    def _delete_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.delete()

    @on(Button.Pressed, ".btn-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()


# -- the screen ------------------------------------------------------------------------------


class ProfilesScreen(ConsoleScreen):
    SCREEN_NAME = "profiles"
    BINDINGS = bindings(*PROFILES_KEYS)
    DEFAULT_CSS = Path(__file__).with_name("profiles.tcss").read_text(encoding="utf-8")
    SCOPED_CSS = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="profiles-error", markup=False)
        # A part (list + editor, up to ~200 widgets for templates) is mounted when its tab is
        # first shown: the screen opens fast and stays light.
        with TabbedContent(id="profiles-tabs"):
            for _kind_id, section, title in KIND_TABS:
                yield TabPane(title, id=section)

    async def on_mount(self) -> None:
        super().on_mount()
        self.app.profiles_changed.subscribe(self, self._profiles_changed)
        if self.app.profiles is not None:
            self._profiles_changed(self.app.profiles)
        await self.ensure_part(self.active_section)
        self._focus_list()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW_WIDTH, "-narrow")

    @property
    def parts(self) -> list[KindPart]:
        """The parts mounted so far."""
        return list(self.query(KindPart))

    def part(self, section: str) -> KindPart:
        return self.query_one(f"#part-{section}", KindPart)

    async def ensure_part(self, section: str) -> KindPart:
        """The part of `section`, mounted (and filled from the store) on first use."""
        found = self.query(f"#part-{section}")
        if found:
            return found.first(KindPart)
        kind_id = next(k for k, s, _ in KIND_TABS if s == section)
        part = KindPart(kind_id, id=f"part-{section}")
        await self.query_one(f"TabPane#{section}", TabPane).mount(part)
        return part

    @property
    def active_section(self) -> str:
        return self.query_one(TabbedContent).active or KIND_TABS[0][1]

    @property
    def current(self) -> KindPart | None:
        found = self.query(f"#part-{self.active_section}")
        return found.first(KindPart) if found else None

    def _focus_list(self) -> None:
        if (part := self.current) is not None:
            part.entries.focus()

    @on(TabbedContent.TabActivated)
    async def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            await self.ensure_part(event.pane.id)
        self._focus_list()
        self.refresh_bindings()

    # -- the store --------------------------------------------------------------------------

    def _profiles_changed(self, store: ProfilesStore) -> None:
        self._show_error(store)
        tabs = self.query_one(TabbedContent)
        counts = store.profiles.counts()
        for _kind_id, section, title in KIND_TABS:
            tabs.get_tab(section).label = f"{title} ({counts[section]})"
        for part in self.parts:
            part.refresh_from(store)
        self.refresh_bindings()

    def _show_error(self, store: ProfilesStore) -> None:
        banner = self.query_one("#profiles-error", Static)
        error = store.error
        banner.set_class(error is not None, "-shown")
        if error is None:
            banner.update("")
            return
        text = Text()
        text.append("⚠ Profiles are read-only: the profiles file has errors. It is never "
                    "overwritten.\n", style="bold")
        for issue in error.issues[:6]:
            text.append(f"{issue}\n", style="bold")
        if len(error.issues) > 6:
            text.append(f"… and {len(error.issues) - 6} more\n")
        if any(store.profiles.counts().values()):
            text.append("Showing the profiles as they were last read without errors. ")
        text.append(READ_ONLY_HELP)
        banner.update(text)

    @property
    def read_only(self) -> bool:
        store = self.app.profiles
        return store is None or store.read_only

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_entry", "duplicate_entry", "rename_entry", "delete_entry",
                      "save_entry"):
            if self.read_only:
                return None
            part = self.current if self.is_mounted else None
            if part is None:
                return None
            if action in ("duplicate_entry", "rename_entry", "delete_entry"):
                return True if part._highlighted_name() is not None else None
            if action == "save_entry":
                return True if part.mode != "empty" else None
        if action == "reload":
            return True if self.app.profiles is not None else None
        return True

    def action_new_entry(self) -> None:
        if (part := self.current) is not None:
            part.new_entry()

    def action_duplicate_entry(self) -> None:
        if (part := self.current) is not None:
            part.duplicate()

    def action_rename_entry(self) -> None:
        if (part := self.current) is not None:
            part.rename()

    def action_delete_entry(self) -> None:
        if (part := self.current) is not None:
            part.delete()

    def action_save_entry(self) -> None:
        if (part := self.current) is not None:
            part.save()

    def action_search(self) -> None:
        if (part := self.current) is not None:
            part.focus_search()

    def action_back_to_list(self) -> None:
        self._focus_list()

    def action_reload(self) -> None:
        self.app.reload_profiles()
        self.notify("Re-reading the profiles file…", timeout=2)

    def action_show_kind(self, section: str) -> None:
        self.query_one(TabbedContent).active = section  # TabActivated mounts and focuses

    async def show_new(self, kind_id: str) -> None:
        """From the palette: the kind's tab with a new entry in the editor."""
        section = next(s for k, s, _ in KIND_TABS if k == kind_id)
        self.query_one(TabbedContent).active = section
        part = await self.ensure_part(section)
        part.new_entry()

