"""The base of every console dialog: a modal screen that is dismissed once, and only itself.

Textual's `Screen.dismiss` pops whichever screen is on top. A fast typist sends a second key
(or a second Enter on a button or a palette entry) before the first dismissal has been
processed; the dialog's queue still holds that key, so a plain dismiss runs twice: the second
pops the screen *below* the dialog (the console's own screen: `ScreenStackError`; or another
dialog, silently). With `DismissOnce` the first dismissal wins, later ones do nothing, a dialog
that is no longer on top never pops anything, and input that reaches a dialog after its
dismissal is dropped. `ConsoleModal` is the console's dialogs' base; `ConsolePalette` the
command palettes' (commands, find, themes).
"""

from __future__ import annotations

from typing import Any, TypeVar

from textual import events
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.screen import ModalScreen

from console.tui.textual_compat import PaletteSearchGuard

ResultType = TypeVar("ResultType")


async def _nothing() -> None:
    return None


class DismissOnce:
    """Mixed into a modal screen class, before it: `dismiss` is idempotent and never pops
    another screen. (Not a Screen itself: Textual inherits CSS and type selectors through
    the first DOMNode base only, which must stay the real screen class.)"""

    _dismissed = False

    @property
    def dismissed(self) -> bool:
        """The dialog has been dismissed (it may still be on screen for a frame)."""
        return self._dismissed

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._dismissed or not self.is_active:  # type: ignore[attr-defined]
            return AwaitComplete(_nothing())
        self._dismissed = True
        if not self.is_mounted:  # type: ignore[attr-defined]
            # Still composing (F1 twice, quickly): popping now would take its children away
            # from under its own Mount handler. Pop it right after its mount instead.
            self.call_later(self._dismiss_mounted, result)  # type: ignore[attr-defined]
            return AwaitComplete(_nothing())
        return super().dismiss(result)  # type: ignore[misc]

    def _dismiss_mounted(self, result: Any) -> None:
        if self.is_active:  # type: ignore[attr-defined]
            super().dismiss(result)  # type: ignore[misc]

    async def on_event(self, event: events.Event) -> None:
        # Input queued before the dismissal was processed is not for a dialog that is closing:
        # drop it before any handler of the dialog sees it.
        if self._dismissed and isinstance(event, events.InputEvent):
            event.stop()
            event.prevent_default()
            return
        await super().on_event(event)  # type: ignore[misc]


class ConsoleModal(DismissOnce, ModalScreen[ResultType]):
    """A console dialog."""

    # A dialog cuts the app's own bindings off, Textual's "press ctrl+q to quit" on Ctrl+C
    # among them: say it here too (when nothing is selected to copy).
    BINDINGS = [Binding("ctrl+c", "app.help_quit", show=False, id="modal.help_quit")]


class ConsolePalette(DismissOnce, PaletteSearchGuard):
    """A command palette (Textual's, or one of the console's: find, themes)."""
