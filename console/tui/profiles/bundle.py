"""What the Profiles screen's bundle modals share (export_bundle.py, import_bundle.py): the
dialog frame and its CSS (bundle.tcss), file I/O in thread workers with one place that
receives results and errors, paths named the way a user finds them again (~/...), and counts.

Every path typed into them goes through the session's `ExchangeFolder` (console/store/
exchange.py), in the worker: in an SSH session only the operator's exchange folder can be read
or written, relative names start there, and the dialogs say so (`confinement_notice`).

The modals never write the profiles file themselves: `ProfilesStore.import_bundle` does (lock,
re-read, validate the whole result, atomic replace), so it is never left half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from console.paths import shown_path
from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

if TYPE_CHECKING:
    from console.store.exchange import ExchangeFolder
    from console.store.profiles import ProfilesStore

T = TypeVar("T")

#: the worker group of the modals' file I/O (tests wait for it)
BUNDLE_GROUP = "profiles-bundle"
#: at most this many problems are listed for a bad bundle (then "… and N more")
MAX_ISSUES = 8


class BundleFileError(Exception):
    """The bundle file cannot be used (its message names the file)."""


def counted(number: int, label: str, plural: str = "") -> str:
    """`1 agent`, `2 caller IDs`, `3 entries` (with plural="entries")."""
    return f"{number} {label if number == 1 else plural or label + 's'}"


def describe_error(exc: BaseException) -> list[str]:
    """The lines that explain a failed read, check or write (file and line when known)."""
    from console.store.profiles import ProfilesError, ProfilesReadOnly

    if isinstance(exc, ProfilesReadOnly):
        return ["the profiles file has errors, so nothing is written to it:",
                *(str(issue) for issue in exc.issues[:MAX_ISSUES])]
    if isinstance(exc, ProfilesError):
        lines = [str(issue) for issue in exc.issues[:MAX_ISSUES]]
        if len(exc.issues) > MAX_ISSUES:
            lines.append(f"… and {len(exc.issues) - MAX_ISSUES} more")
        if exc.file is None and any(issue.key for issue in exc.issues):
            # the profiles with the bundle in would not validate (keys are known, lines not)
            lines.insert(0, "the profiles would not be valid after this:")
        return lines
    from console.store.exchange import PathRefused

    if isinstance(exc, (BundleFileError, PathRefused)):
        return [str(exc)]
    if isinstance(exc, OSError):
        where = shown_path(exc.filename) + ": " if exc.filename else ""
        return [f"{where}{exc.strerror or exc}"]
    return [f"failed: {exc!r}"]


class BundleModal(ConsoleModal[T]):
    """A dialog whose file I/O runs in thread workers; escape closes it unless one is running."""

    DEFAULT_CSS = stylesheet(__file__)
    SCOPED_CSS = False
    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, store: ProfilesStore) -> None:
        super().__init__()
        self.store = store
        self.busy = False
        self._then: dict[str, Callable[[Any], None]] = {}
        self._exchange: ExchangeFolder | None = None

    @property
    def exchange(self) -> ExchangeFolder:
        """Where typed paths may go: the session's settings and the operator it was started
        for (`--operator`; the SSH server passes it)."""
        if self._exchange is None:
            from console.store.exchange import ExchangeFolder

            self._exchange = ExchangeFolder.for_settings(
                self.app.session.settings, operator=getattr(self.app, "operator", None))
        return self._exchange

    def confinement_notice(self) -> Static | None:
        """The line that says paths are confined, and to which folder (None when they are
        not: the dialogs look as before)."""
        notice = self.exchange.notice
        if notice is None:
            return None
        return Static(notice, id="bundle-confined", classes="bundle-note", markup=False)

    def run_io(self, name: str, job: Callable[[], Any], then: Callable[[Any], None],
               status: str) -> None:
        """Run `job` in a thread; `then(result)` here when it returns, `io_failed` if it raises."""
        self.busy = True
        self._then[name] = then
        self.set_status(status)
        self.run_worker(job, thread=True, name=name, group=BUNDLE_GROUP, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != BUNDLE_GROUP or not worker.is_finished:
            return
        event.stop()
        self.busy = False
        then = self._then.pop(worker.name, None)
        if event.state == WorkerState.SUCCESS and then is not None:
            then(worker.result)
        elif event.state == WorkerState.ERROR and worker.error is not None:
            self._audit_refusal(worker.name, worker.error)
            self.io_failed(worker.error)

    def _audit_refusal(self, job: str, exc: BaseException) -> None:
        """A path refused by the exchange-folder rule is an audit record (`file_refused`, with
        the operator and SSH session), so an admin sees who tried to reach which server file."""
        from console.store.exchange import PathRefused

        if not isinstance(exc, PathRefused) or not self.exchange.confined:
            return
        self.app.account.audit("file_refused", action={"check": "import"}.get(job, job),
                               path=exc.typed[:512], reason=exc.reason[:512],
                               folder=str(self.exchange.folder))

    def io_failed(self, exc: BaseException) -> None:
        from console.store.profiles import ProfilesError

        self.set_status("\n".join(describe_error(exc)), error=True)
        if isinstance(exc, ProfilesError) and self.store.read_only:
            self.app.profiles_written()  # the screen below shows the read-only state

    def set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#bundle-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")
        status.set_class(bool(text), "-shown")

    @property
    def status_text(self) -> str:
        return str(self.query_one("#bundle-status", Static).render())

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(None)
