"""The Profiles screen: saved agents, caller IDs, SIP header sets and call templates.

One tab per kind (`KindPart`: a searchable list beside an editor), mounted when first shown.
New / duplicate / rename / delete, with a confirmation that lists whatever still refers to the
entry; export to and import from bundle files (export_bundle.py, import_bundle.py). When the
file on disk does not parse or validate the screen says where (file:line: key: message),
disables every change and never writes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.widgets import Button, Static, TabbedContent, TabPane

from console.tui.css import stylesheet
from console.tui.keys import PROFILES_KEYS, bindings
from console.tui.mounted import query_usable, usable
from console.tui.profiles.kind_part import KindPart
from console.tui.screens.base import ConsoleScreen

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore

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


class KindTabs(TabbedContent):
    """Tabs whose pane is chosen by keys, clicks and the screen, never by where focus lands.

    TabbedContent shows the pane of any widget focused inside it, from a message that arrives
    after the focus moved. A focus asked for just before a tab switch then pulls the tabs back;
    with each switch focusing its own list, two such messages flipped the tabs between two
    panes for ever. Here focus follows the tab, not the other way round: hidden panes have
    nothing focusable by key or mouse, and the screen switches the tab itself before it
    focuses something in another pane.
    """

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()


class ProfilesScreen(ConsoleScreen):
    SCREEN_NAME = "profiles"
    BINDINGS = bindings(*PROFILES_KEYS)
    DEFAULT_CSS = stylesheet(__file__, "screen.tcss")
    SCOPED_CSS = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="profiles-error", markup=False)
        # A part (list + editor, up to ~200 widgets for templates) is mounted when its tab is
        # first shown: the screen opens fast and stays light.
        with KindTabs(id="profiles-tabs"):
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
        """The parts composed so far (one still mounting is left out: it fills itself from
        the store when its mount ends)."""
        return [part for part in self.query(KindPart) if usable(part)]

    def part(self, section: str) -> KindPart:
        return self.query_one(f"#part-{section}", KindPart)

    async def ensure_part(self, section: str) -> KindPart:
        """The part of `section`, mounted (and filled from the store) on first use."""
        found = self.query(f"#part-{section}")
        if found:
            part = found.first(KindPart)
            await part.ready.wait()  # it may still be mounting for another caller
            return part
        kind_id = next(k for k, s, _ in KIND_TABS if s == section)
        part = KindPart(kind_id, id=f"part-{section}")
        await self.query_one(f"TabPane#{section}", TabPane).mount(part)
        return part

    @property
    def active_section(self) -> str:
        return self.query_one(TabbedContent).active or KIND_TABS[0][1]

    @property
    def current(self) -> KindPart | None:
        """The shown tab's part, once composed (None while it mounts: the key bar, a signal or
        a key may ask before then)."""
        return query_usable(self, f"#part-{self.active_section}", KindPart)

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

    #: screen action -> the method of the shown kind's part it runs (see `_on_part`)
    PART_ACTIONS: dict[str, str] = {
        "new_entry": "new_entry", "duplicate_entry": "duplicate", "rename_entry": "rename",
        "delete_entry": "delete", "save_entry": "save", "search": "focus_search"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new_entry", "duplicate_entry", "rename_entry", "delete_entry",
                      "save_entry"):
            if self.read_only:
                return None
            part = self.current
            if part is None:
                return None
            if action in ("duplicate_entry", "rename_entry", "delete_entry"):
                return True if part.highlighted_name() is not None else None
            if action == "save_entry":
                return True if part.mode != "empty" else None
        if action in ("import_bundle", "export_bundle"):
            return None if self.read_only else True
        if action == "reload":
            return True if self.app.profiles is not None else None
        return True

    def _on_part(self, action: str) -> None:
        """Run an action on the part of the shown tab (the list keys and buttons act there)."""
        if (part := self.current) is not None:
            method = getattr(part, self.PART_ACTIONS[action])
            if action == "search":  # the list's own: no editor needed
                method()
            else:
                part.when_editor_ready(method)

    def action_new_entry(self) -> None:
        self._on_part("new_entry")

    def action_duplicate_entry(self) -> None:
        self._on_part("duplicate_entry")

    def action_rename_entry(self) -> None:
        self._on_part("rename_entry")

    def action_delete_entry(self) -> None:
        self._on_part("delete_entry")

    def action_save_entry(self) -> None:
        self._on_part("save_entry")

    def action_search(self) -> None:
        self._on_part("search")

    # -- bundles (the modals do the file I/O, in thread workers) ---------------------------

    def action_export_bundle(self) -> None:
        store = self.app.profiles
        if store is None or store.read_only:
            return
        from console.tui.profiles.export_bundle import ExportBundleScreen

        self.app.push_screen(ExportBundleScreen(store, now=self.app.clock()), self._bundle_done)

    def action_import_bundle(self) -> None:
        store = self.app.profiles
        if store is None or store.read_only:
            return
        from console.tui.profiles.import_bundle import ImportBundleScreen

        self.app.push_screen(ImportBundleScreen(store), self._bundle_done)

    def _bundle_done(self, done: Any) -> None:
        """An export or import finished: lists everywhere, and a toast naming the file."""
        if done is None:
            return
        self.app.profiles_written()
        self.notify(done.message, title="Profiles", markup=False, timeout=8)

    @on(Button.Pressed, ".btn-import")
    def _import_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_import_bundle()

    @on(Button.Pressed, ".btn-export")
    def _export_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_export_bundle()

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
        part.when_editor_ready(part.new_entry)
