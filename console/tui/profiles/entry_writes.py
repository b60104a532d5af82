"""The writes of one Profiles part: save, duplicate, rename, delete.

Every write goes through `app.profiles` (lock, re-read, merge, atomic replace) in a thread
(`run_write`): lock + fsync can block. A `ProfilesError` is shown where the write was asked for
(at its field for a save); anything else by the one worker error handler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.worker import Worker, WorkerState

from console.tui.profiles.checks import (
    name_problem,
    references_body,
    references_count,
    references_text,
)

if TYPE_CHECKING:
    from console.store.profiles import ProfilesError, ProfilesStore, Reference


class EntryWrites:
    """Mixed into `KindPart` (which provides store, kind, editor, entries, mode, _status...)."""

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
        self._audit("added" if new else "updated", stored)
        notes = "".join(f" · {note}" for note in self.editor.save_notes())
        self._status(f"{verb} {self.kind.label} {stored!r} to {self.store.path.name}{notes}",
                     ok=True, about=stored)
        self.app.notify(f"{verb} {self.kind.label} {stored!r}{notes}", title="Profiles",
                        severity="warning" if notes else "information", markup=False,
                        timeout=8 if notes else 4)

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
        store, name = self.store, self.highlighted_name()
        if store is None or name is None or store.read_only:
            return
        from console.tui.profiles.name_dialog import ProfileNameScreen

        kind = self.kind

        def done(result: tuple[str, Any] | None) -> None:
            if result is not None:
                self._audit("copied", name, new_name=result[0])
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
        store, name = self.store, self.highlighted_name()
        if store is None or name is None or store.read_only:
            return
        from console.tui.profiles.name_dialog import ProfileNameScreen

        kind = self.kind
        body = references_body(store.referrers(kind, name),
                               f"These references to {name!r} are updated too:",
                               f"Nothing refers to {name!r}.")

        def done(result: tuple[str, Any] | None) -> None:
            if result is None:
                return
            new, updated = result
            self._audit("renamed", name, new_name=new)
            message = f"Renamed {kind.label} {name!r} to {new!r}"
            if updated:
                message += f"; updated {references_count(len(updated))}"
            self._written(new, message)

        self.app.push_screen(ProfileNameScreen(
            f"Rename {kind.label} {name!r}", body, initial=name,
            check=lambda new: name_problem(store, kind, new, current=name),
            action=lambda new: store.rename(kind, name, new), confirm="Rename"), done)

    def delete(self) -> None:
        store, name = self.store, self.highlighted_name()
        if store is None or name is None or store.read_only:
            return
        from console.tui.dialogs.confirm import ConfirmScreen

        kind = self.kind
        refs = store.referrers(kind, name)
        body = references_body(
            refs, f"⚠ {name!r} is still used by:",
            f"Nothing refers to {name!r}. It is removed from the profiles file with the comment "
            "lines right above it.", heading_style="bold")
        confirm = "Delete"
        if refs:
            body.append("\nDeleting it also removes these references (the rest of those "
                        "entries stays as it is).")
            confirm = f"Delete and clear {references_count(len(refs))}"

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
        self._audit("removed", name, cleared=[str(ref) for ref in cleared])
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

    def _audit(self, change: str, name: str, **fields: Any) -> None:
        """The audit record of a change to the shared profiles file (which entry, how)."""
        self.app.account.audit("profile_changed", face="tui", change=change,
                               entry_kind=self.kind.label, name=name,
                               file=str(self.store.path) if self.store is not None else None,
                               **fields)

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
