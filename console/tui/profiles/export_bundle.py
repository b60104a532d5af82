"""Export profiles to a bundle file (the Profiles screen's Export…, `e` on its list).

A file path (by default a dated name in the current directory, or in an SSH session in the
operator's exchange folder, the only place it may go) and the kinds to export (all of them: the
profiles file as written, comments included). The bundle is written atomically in a thread
worker, only to a regular file (a symlink, FIFO or device is refused, never written through); an
existing file is only replaced after a confirmation. Dismisses with an `Exported` (file and
counts, for the toast), None when cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, SelectionList, Static
from textual.widgets.selection_list import Selection

from console.paths import shown_path
from console.tui.profiles.bundle import BundleFileError, BundleModal, counted
from console.tui.profiles.screen import KIND_TABS as KINDS  # (kind id, section, title)
from console.tui.widgets.checklist import Checklist

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore


def default_bundle_name(now: datetime) -> str:
    """`profiles-bundle-2026-11-25.toml` (the local date of `now`)."""
    return f"profiles-bundle-{now.astimezone():%Y-%m-%d}.toml"


@dataclass(frozen=True)
class Exported:
    path: str                  # as shown (absolute, ~ for home)
    counts: dict[str, int]     # kind id -> entries written

    @property
    def message(self) -> str:
        from console.store.profiles.model import KINDS as STORE_KINDS

        what = ", ".join(counted(n, STORE_KINDS[k].label) for k, n in self.counts.items())
        return f"Exported {what} to {self.path}"


#: what `write_bundle` answers when the file exists and replacing it was not confirmed yet
EXISTS = "exists"


def write_bundle(store: ProfilesStore, path: Path, kinds: list[str], *,
                 replace: bool) -> Exported | str:
    """Thread: the bundle of `kinds` written to `path` (atomically), or EXISTS.

    Raises `NotARegularFile` (an OSError naming the path) for a symlink, FIFO, device or
    socket at `path`: before asking to replace it, and again when writing."""
    from console.store.atomic import check_named_target, write_named_file

    shown = shown_path(path)
    if path.is_dir() and not path.is_symlink():
        raise BundleFileError(f"{shown} is a directory: give a file name")
    if not path.parent.is_dir():
        raise BundleFileError(f"{shown}: there is no directory {shown_path(path.parent)}")
    if check_named_target(path) and not replace:
        return EXISTS
    everything = set(kinds) == {k for k, _, _ in KINDS}
    text = store.export_bundle(None if everything else kinds)  # reads the profiles file
    write_named_file(path, text.encode("utf-8"))
    return Exported(shown, {k: len(store.profiles.section(k)) for k in kinds})


class ExportBundleScreen(BundleModal["Exported | None"]):
    def __init__(self, store: ProfilesStore, *, now: datetime) -> None:
        super().__init__(store)
        self._default = default_bundle_name(now)

    def compose(self) -> ComposeResult:
        counts = self.store.profiles.counts()
        with Vertical(id="bundle-box"):
            yield Label("Export profiles to a bundle file", classes="bundle-title")
            yield Static("A bundle is a profiles TOML file. Import on this screen, or "
                         "`call-console profiles import FILE`, brings it in.",
                         classes="bundle-about", markup=False)
            notice = self.confinement_notice()
            if notice is not None:
                yield notice
            with Horizontal(classes="bundle-row"):
                yield Label("File")
                yield Input(self._default, id="bundle-path", compact=True,
                            placeholder="file name or path")
            yield Static("", id="bundle-where", classes="bundle-note", markup=False)
            with Horizontal(classes="bundle-row"):
                yield Label("Kinds")
                yield Checklist(
                    *(Selection(f"{title} ({counts[section]})", kind_id, True)
                      for kind_id, section, title in KINDS),
                    id="bundle-kinds", compact=True)
            yield Static("", id="bundle-status", markup=False)
            with Horizontal(classes="bundle-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Export", id="confirm", variant="primary", compact=True)

    def on_mount(self) -> None:
        self._show_where()
        self.path_input.focus()

    @property
    def path_input(self) -> Input:
        return self.query_one("#bundle-path", Input)

    @property
    def kinds(self) -> list[str]:
        chosen = set(self.query_one(SelectionList).selected)
        return [kind_id for kind_id, _, _ in KINDS if kind_id in chosen]

    @on(Input.Changed, "#bundle-path")
    def _show_where(self) -> None:
        text = self.path_input.value.strip()
        self.query_one("#bundle-where", Static).update(
            Text(f"→ {self.exchange.preview(text)}" if text else "type a file name"))

    @on(Input.Submitted, "#bundle-path")
    @on(Button.Pressed, "#confirm")
    def _submit(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.export()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def export(self, *, replace: bool = False) -> None:
        if self.busy:
            return
        text, kinds = self.path_input.value.strip(), self.kinds
        if not text:
            self.set_status("give the bundle file a name", error=True)
            return
        if not kinds:
            self.set_status("tick at least one kind to export", error=True)
            return
        exchange = self.exchange

        def job() -> tuple[Exported | str, Path]:
            path = exchange.resolve(text)  # PathRefused outside the exchange folder (SSH)
            return write_bundle(self.store, path, kinds, replace=replace), path

        self.run_io("export", job, lambda done: self._written(*done), "writing…")

    def _written(self, result: Exported | str, path: Path) -> None:
        if isinstance(result, Exported):
            self.dismiss(result)
            return
        from console.tui.dialogs.confirm import ConfirmScreen

        shown = shown_path(path)
        self.set_status(f"{shown} already exists")

        def answered(replace: bool | None) -> None:
            if replace:
                self.export(replace=True)
            else:
                self.set_status(f"{shown} already exists: not replaced; give another name")
                self.path_input.focus()

        self.app.push_screen(ConfirmScreen(
            "Replace the existing file?",
            Text(f"{shown} already exists. Replace it with this bundle? (It is replaced in "
                 "one step: never left half-written.)"),
            confirm="Replace", cancel="Keep it"), answered)
