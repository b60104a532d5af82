"""Import a profiles bundle (the Profiles screen's Import…, `i` on its list).

Two steps in one dialog. First a file path and how to bring it in (merge keeping this file's
version of differing entries, merge taking the bundle's, or replace), then a dry run: the report
of what would be added, changed and removed, and the conflicts, with nothing written yet.
Import applies exactly the text that was checked (the file is read once). The store writes it
(lock, re-read, whole result validated, atomic replace); a bad bundle is reported with its file
and line and nothing is written. Dismisses with an `Imported` (for the toast), None when
cancelled. In an SSH session the file must be in the operator's exchange folder (relative names
start there; the dialog says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from console.paths import shown_path
from console.tui.profiles.bundle import BundleFileError, BundleModal, counted

if TYPE_CHECKING:
    from console.store.profiles import ImportReport, ProfilesStore

#: (mode, overwrite, radio label, what it does)
MODES = (
    ("merge", False, "Merge, keep ours",
     "Adds the bundle's new entries; an entry that differs here keeps this file's version."),
    ("merge", True, "Merge, take theirs",
     "Adds the bundle's new entries; an entry that differs takes the bundle's version."),
    ("replace", False, "Replace",
     "Each kind in the bundle becomes exactly as in the bundle: entries of that kind that it "
     "lacks are removed. Kinds it does not hold are left alone."),
)

#: report bucket -> (word in the report, style)
BUCKETS = {"added": ("add", "green"), "changed": ("change", "yellow"),
           "removed": ("remove", "red"), "conflicting": ("conflict", "yellow")}


@dataclass(frozen=True)
class Checked:
    """A bundle read and dry-run: what Import applies."""

    path: str      # as shown (absolute, ~ for home); also what errors name
    text: str
    mode: str
    overwrite: bool
    report: ImportReport

    @property
    def changes(self) -> int:
        report = self.report
        return len(report.added) + len(report.changed) + len(report.removed)


@dataclass(frozen=True)
class Imported:
    path: str
    report: ImportReport

    @property
    def message(self) -> str:
        report = self.report
        text = (f"Imported {self.path} ({report.mode}): {len(report.added)} added, "
                f"{len(report.changed)} changed, {len(report.removed)} removed")
        if report.conflicting:
            text += ("; kept this file's version of "
                     + counted(len(report.conflicting), "differing entry", "differing entries"))
        return text


def read_bundle(path: Path) -> tuple[str, str]:
    """Thread: (the path as shown, the file's text); BundleFileError names file (and line)."""
    from console.store.input_files import InputFileError
    from console.store.profiles import read_bundle_file

    shown = shown_path(path)
    try:
        return shown, read_bundle_file(path, shown=shown)
    except InputFileError as exc:  # also: a FIFO or device, a file past the size cap
        raise BundleFileError(str(exc)) from None


def check_bundle(store: ProfilesStore, path: Path, mode: str, overwrite: bool) -> Checked:
    """Thread: read the bundle and dry-run it against the profiles file (nothing written)."""
    shown, text = read_bundle(path)
    report = store.import_bundle(text, mode=mode, overwrite=overwrite, dry_run=True,
                                 source=shown)
    return Checked(shown, text, mode, overwrite, report)


def report_text(checked: Checked) -> Text:
    """The dry run's entries, one a line: what would be added, changed, removed; conflicts."""
    from console.store.profiles.model import KINDS

    report = checked.report
    text = Text(no_wrap=False)
    for bucket, (word, style) in BUCKETS.items():
        for kind, name in getattr(report, bucket):
            text.append(f"{word:<9}", style=f"bold {style}")
            text.append(f"{KINDS[kind].label} ")
            text.append(name, style="bold")
            if bucket == "conflicting":
                text.append("  differs: kept as it is here", style="dim")
            text.append("\n")
    if report.unchanged:
        text.append(f"{counted(len(report.unchanged), 'entry', 'entries')} already the same\n",
                    style="dim")
    if not text.plain:
        text.append("The bundle holds no profiles.\n", style="dim")
    text.rstrip()
    return text


def summary_text(checked: Checked) -> Text:
    """The file, the mode, and the counts of the dry run."""
    report = checked.report
    label = next(m[2] for m in MODES if m[:2] == (checked.mode, checked.overwrite))
    text = Text()
    text.append(checked.path, style="bold")
    text.append(f"\n{label} · dry run: nothing is written until Import\n")
    parts = [f"{len(report.added)} to add", f"{len(report.changed)} to change",
             f"{len(report.removed)} to remove"]
    if report.conflicting:
        parts.append(f"{counted(len(report.conflicting), 'conflict')} (this file's kept)")
    text.append(" · ".join(parts))
    if report.removed:
        text.append(f"\n⚠ {counted(len(report.removed), 'entry', 'entries')} of the profiles "
                    "file would be removed", style="bold")
    return text


class ImportBundleScreen(BundleModal["Imported | None"]):
    def __init__(self, store: ProfilesStore) -> None:
        super().__init__(store)
        self.checked: Checked | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="bundle-box"):
            yield Label("Import a profiles bundle", classes="bundle-title")
            with Vertical(id="bundle-choose"):
                yield Static("A bundle is a profiles TOML file (Export on this screen, "
                             "`call-console profiles export`, or written by hand).",
                             classes="bundle-about", markup=False)
                notice = self.confinement_notice()
                if notice is not None:
                    yield notice
                with Horizontal(classes="bundle-row"):
                    yield Label("File")
                    yield Input(id="bundle-path", compact=True, placeholder=(
                        "name of the bundle file in your exchange folder (.toml)"
                        if self.exchange.confined else "path of the bundle file (.toml)"))
                with Horizontal(classes="bundle-row"):
                    yield Label("How")
                    with RadioSet(id="bundle-mode", compact=True):
                        for index, (_mode, _overwrite, label, _about) in enumerate(MODES):
                            yield RadioButton(label, value=index == 0, compact=True)
                yield Static("", id="bundle-mode-about", classes="bundle-note", markup=False)
            with Vertical(id="bundle-report"):
                yield Static("", id="bundle-summary", markup=False)
                with VerticalScroll(id="bundle-report-list"):
                    yield Static("", id="bundle-report-text", markup=False)
            yield Static("", id="bundle-status", markup=False)
            with Horizontal(classes="bundle-buttons"):
                yield Button("Back", id="back", compact=True)
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Check", id="check", variant="primary", compact=True)
                yield Button("Import", id="confirm", variant="warning", compact=True)

    def on_mount(self) -> None:
        self._show_step()
        self._mode_changed()
        self.query_one("#bundle-path", Input).focus()

    # -- step 1: file and mode --------------------------------------------------------------

    @property
    def mode(self) -> tuple[str, bool]:
        index = max(self.query_one("#bundle-mode", RadioSet).pressed_index, 0)
        return MODES[index][0], MODES[index][1]

    @on(RadioSet.Changed)
    def _mode_changed(self) -> None:
        index = max(self.query_one("#bundle-mode", RadioSet).pressed_index, 0)
        self.query_one("#bundle-mode-about", Static).update(Text(MODES[index][3]))

    @on(Input.Submitted, "#bundle-path")
    @on(Button.Pressed, "#check")
    def _check_pressed(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.check()

    def check(self) -> None:
        """Read the bundle and dry-run it (thread); the report replaces the choices."""
        if self.busy:
            return
        text = self.query_one("#bundle-path", Input).value.strip()
        if not text:
            self.set_status("give the path of a bundle file", error=True)
            return
        mode, overwrite = self.mode
        exchange = self.exchange

        def job() -> Checked:
            path = exchange.resolve(text)  # PathRefused outside the exchange folder (SSH)
            return check_bundle(self.store, path, mode, overwrite)

        self.run_io("check", job, self._checked, f"reading {exchange.preview(text)}…")

    def _checked(self, checked: Checked) -> None:
        self.checked = checked
        self.query_one("#bundle-summary", Static).update(summary_text(checked))
        self.query_one("#bundle-report-text", Static).update(report_text(checked))
        changes = checked.changes
        if changes:
            self.set_status("")
        elif checked.report.conflicting:
            self.set_status("Nothing to import this way: the entries that differ keep this "
                            "file's version (Back, then Merge, take theirs).")
        else:
            self.set_status("Nothing to import: every entry of the bundle is here already.")
        self._show_step()
        confirm = self.query_one("#confirm", Button)
        confirm.label = f"Import {counted(changes, 'change')}" if changes else "Import"
        confirm.disabled = not changes
        # Only additions: Import is the next key. Anything that changes or removes an entry
        # of this file: Cancel first, as every confirmation of this console does.
        report = checked.report
        only_adds = changes and not (report.changed or report.removed)
        self.query_one("#confirm" if only_adds else "#cancel", Button).focus()

    # -- step 2: the report -----------------------------------------------------------------

    def _show_step(self) -> None:
        report = self.checked is not None
        self.set_class(report, "-report")
        self.query_one("#back", Button).display = report
        self.query_one("#check", Button).display = not report
        self.query_one("#confirm", Button).display = report

    @on(Button.Pressed, "#back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        if self.busy:
            return
        self.checked = None
        self.set_status("")
        self._show_step()
        self.query_one("#bundle-path", Input).focus()

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    @on(Button.Pressed, "#confirm")
    def _confirm(self, event: Button.Pressed) -> None:
        event.stop()
        self.apply()

    def apply(self) -> None:
        """Write the checked bundle into the profiles file (thread, through the store)."""
        checked = self.checked
        if self.busy or checked is None or not checked.changes:
            return
        self.query_one("#confirm", Button).disabled = True

        def write() -> Imported:
            report = self.store.import_bundle(checked.text, mode=checked.mode,
                                              overwrite=checked.overwrite, source=checked.path)
            return Imported(checked.path, report)

        self.run_io("apply", write, self.dismiss, "importing…")

    def io_failed(self, exc: BaseException) -> None:
        super().io_failed(exc)
        if self.checked is not None:
            self.query_one("#confirm", Button).disabled = True
            self.query_one("#back", Button).focus()
