"""One kind of the Profiles screen: the searchable list of its entries beside its editor.

The list shows a summary line per entry (also what the search looks through); the editor is
loaded from the highlighted entry and checked as you type. The writes (save, duplicate, rename,
delete) are in `entry_writes.EntryWrites`.

The list is mounted and shown first; the editor (two thirds of the part's widgets) is mounted
into its column right after the list's first frame, so F4 shows the list without waiting for
it. What needs the editor before then (a key, a button, the palette's "new") waits for it:
`when_editor_ready`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Static

from console.tui.keys import (
    PROFILES_DELETE,
    PROFILES_DUPLICATE,
    PROFILES_EXPORT,
    PROFILES_IMPORT,
    PROFILES_LIST_KEYS,
    PROFILES_NEW,
    PROFILES_RENAME,
    PROFILES_SAVE,
    bindings,
)
from console.tui.profiles.checks import Problem, name_problem, references_text
from console.tui.profiles.editors import EDITORS, EntryEditor, TemplateEditor
from console.tui.profiles.entry_writes import EntryWrites
from console.tui.fields.frame import FieldFrame
from console.tui.widgets.virtual_list import VirtualList, VirtualOption

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore


# -- the list --------------------------------------------------------------------------------


class ProfileList(VirtualList):
    """The entries of one kind, two lines each (name, summary); n / d / r / delete / slash /
    i / e act on it (see keys.py). Only the rows on screen are drawn: 5,000 entries fill it at
    once."""

    BINDINGS = bindings(*PROFILES_LIST_KEYS)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(option_height=2, **kwargs)


def entry_prompt(kind_id: str, name: str, entry: Any, about: str) -> Text:
    """The two lines of an entry in the list: its name (bold), then its summary (dim)."""
    prompt = Text(no_wrap=True, overflow="ellipsis")
    prompt.append(name, style="bold")
    if kind_id == "agent" and entry.watch:
        prompt.append("  ◉ watched", style="italic")
    prompt.append("\n  " + about, style="dim")
    return prompt


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


class EditorColumn(VerticalScroll):
    """The editor of a kind with its title, references, Save button and status line."""

    def __init__(self, kind_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kind_id = kind_id

    def compose(self) -> ComposeResult:
        yield Static("", classes="editor-title", markup=False)
        yield EDITORS[self.kind_id](classes="editor")
        yield Static("", classes="editor-refs", markup=False)
        with Horizontal(classes="editor-actions"):
            yield Button(f"Save {PROFILES_SAVE.key}", classes="btn-save", compact=True,
                         variant="primary")
            yield Static("", classes="editor-status", markup=False)

    def on_mount(self) -> None:  # (after the widgets composed above are mounted)
        part = self.parent
        if isinstance(part, KindPart):
            part._editor_mounted()


class KindPart(EntryWrites, Horizontal):
    """The list and the editor of one kind of entry."""

    def __init__(self, kind_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from console.store.profiles.model import KINDS

        self.kind = KINDS[kind_id]
        self.selected: str | None = None     # the entry in the editor (None: new or nothing)
        self.mode = "empty"                  # "empty" | "edit" | "new"
        self._loaded: dict[str, Any] = {}
        self._touched: set[str] = set()
        #: set once mounted (the list composed and filled): two tabs activated at once both
        #: ask for a part, and the second must wait for the first one's mount
        self.ready = asyncio.Event()
        #: set once the editor is mounted too (right after the list's first frame)
        self.editor_ready = asyncio.Event()
        self._after_editor: list[Callable[[], Any]] = []
        self._saving = False
        self._filter = ""
        self._status_about: str | None = None

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
                yield Button("Import…", classes="btn-import", compact=True,
                             tooltip=f"Import a profiles bundle ({PROFILES_IMPORT.key})")
                yield Button("Export…", classes="btn-export", compact=True,
                             tooltip=f"Export the profiles to a bundle ({PROFILES_EXPORT.key})")
        # the editor column: mounted by `_mount_editor`, after the list is on screen

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

    #: how often (s) the part looks whether its list is on screen yet, and for how long at most
    EDITOR_POLL, EDITOR_WAIT = 0.02, 0.5

    def on_mount(self) -> None:
        self._fill_list()
        self._apply_read_only()
        self.ready.set()
        # Not call_after_refresh: while the screen switch holds the updates back, callbacks
        # run before any frame. The list's own "drawn" flag says when it is on screen.
        self._editor_polls = 0
        self._editor_timer = self.set_interval(self.EDITOR_POLL, self._editor_when_listed)

    def _editor_when_listed(self) -> None:
        self._editor_polls += 1
        if self.entries.painted or self._editor_polls * self.EDITOR_POLL >= self.EDITOR_WAIT:
            self._editor_timer.stop()
            self.call_later(self._mount_editor)

    async def _mount_editor(self) -> None:
        """The editor, after the list is on screen (`EditorColumn` calls `_editor_mounted`)."""
        if self.is_attached and not self.query(EditorColumn):
            await self.mount(EditorColumn(self.kind.id, classes="part-editor"))

    def _editor_mounted(self) -> None:
        """The editor column and everything in it are mounted: fill it, then run what waited
        for it."""
        if self.editor_ready.is_set():
            return
        self.editor_ready.set()
        store, name = self.store, self.highlighted_name()
        if store is not None:
            self.editor.refresh_choices(store, self.app)
        if store is not None and name is not None:
            self._load(name)  # straight in: no blank editor disabled and enabled again first
            self.recheck()
        else:
            self._show_empty()
        self.screen.refresh_bindings()  # the key bar's Save, Duplicate... follow the editor
        waiting, self._after_editor = self._after_editor, []
        for action in waiting:
            action()

    def when_editor_ready(self, action: Callable[[], Any]) -> None:
        """Run `action` now, or as soon as the editor is mounted (a key pressed as the part
        appears is not lost)."""
        if self.editor_ready.is_set():
            action()
        else:
            self._after_editor.append(action)

    # -- from the store ---------------------------------------------------------------------

    def refresh_from(self, store: ProfilesStore) -> None:
        """The store changed (a write, a reload): list, choices, editor, buttons."""
        if not self.editor_ready.is_set():  # the editor is loaded from the store when mounted
            self._fill_list()
            self._apply_read_only()
            return
        self.editor.refresh_choices(store, self.app)
        self._fill_list()
        if self.mode == "empty" and self.highlighted_name() is not None:
            self._load(self.highlighted_name())
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
        highlighted = self.highlighted_name()
        options = []
        if store is not None:
            kind_id, wanted_text = self.kind.id, self._filter
            for name, entry in store.profiles.section(self.kind).items():
                # (a summary is worked out for the search, else when its row is drawn)
                if wanted_text and wanted_text not in f"{name} {summary(kind_id, entry)}".lower():
                    continue
                options.append(VirtualOption(name, lambda n=name, e=entry:
                                             entry_prompt(kind_id, n, e, summary(kind_id, e))))
        with listing.prevent(VirtualList.OptionHighlighted):
            listing.set_options(options)
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

    def highlighted_name(self) -> str | None:
        listing = self.entries
        if listing.highlighted is None or listing.option_count == 0:
            return None
        return listing.get_option_at_index(listing.highlighted).id

    def _apply_read_only(self) -> None:
        read_only = self.read_only
        has = self.highlighted_name() is not None
        for selector, enabled in ((".btn-new", True), (".btn-duplicate", has),
                                  (".btn-rename", has), (".btn-delete", has),
                                  (".btn-import", True), (".btn-export", True)):
            self.query_one(selector, Button).disabled = read_only or not enabled
        if not self.editor_ready.is_set():
            return
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
        if name != self._status_about:  # (re-loading what was just saved keeps "Saved …")
            self._status("")
        self._apply_read_only()
        self.call_after_refresh(self._settle_loaded)

    def _refocus(self, frame: FieldFrame) -> None:
        """Put the focus back in `frame` if reloading took it away (not if the user moved it)."""
        focused = self.screen.focused
        lost = focused is None or not focused.is_attached
        moved_by_reload = (not lost and self.editor in focused.ancestors
                           and frame not in focused.ancestors)
        if (lost or moved_by_reload) and getattr(self.screen, "current", None) is self:
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
        name = self.highlighted_name()
        if name is None or (name == self.selected and self.mode == "edit" and not force):
            return
        if self.dirty and not force:
            self._status(f"unsaved changes: {PROFILES_SAVE.key} saves them, enter on the list "
                         "discards them", error=True)
            return
        self._load(name)

    @on(VirtualList.OptionHighlighted)
    def _highlighted(self, event: VirtualList.OptionHighlighted) -> None:
        event.stop()
        self._apply_read_only()
        if self.editor_ready.is_set():  # (else the editor opens the highlighted one as it mounts)
            self.open_highlighted()

    @on(VirtualList.OptionSelected)
    def _selected(self, event: VirtualList.OptionSelected) -> None:
        event.stop()
        self.when_editor_ready(lambda: self._open_chosen(event.option.id))

    def _open_chosen(self, name: str | None) -> None:
        """Enter or a click on the list: the entry in the editor, the focus in its first field
        (asking first when the editor has unsaved changes)."""
        if self.dirty:
            from console.tui.dialogs.confirm import ConfirmScreen

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
        if not self.editor_ready.is_set():
            return {}
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

    def _status(self, text: str, *, error: bool = False, ok: bool = False,
                about: str | None = None) -> None:
        """The line beside Save; `about`: the entry it tells of (a reload of it keeps it)."""
        self._status_about = about
        status = self.query_one(".editor-status", Static)
        status.update(text)
        status.set_class(error, "-error")
        status.set_class(ok, "-ok")

    # -- buttons ----------------------------------------------------------------------------

    #: button class -> the method it runs (Import / Export are the screen's: they bubble on)
    BUTTONS: dict[str, str] = {"btn-new": "new_entry", "btn-duplicate": "duplicate",
                               "btn-rename": "rename", "btn-delete": "delete",
                               "btn-save": "save"}

    @on(Button.Pressed)
    def _button_pressed(self, event: Button.Pressed) -> None:
        method = next((m for c, m in self.BUTTONS.items() if event.button.has_class(c)), None)
        if method is not None:
            event.stop()
            self.when_editor_ready(getattr(self, method))
