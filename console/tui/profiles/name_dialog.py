"""A modal that asks for a profile name and does one write with it: rename, duplicate, save the
Call form as a template.

The name is checked as it is typed (the store's name rules, and whether it is taken); the write
runs in a thread worker (file lock + fsync can block) and its error is shown under the name,
with the modal still open. Dismisses with `(name, result)` after a write, None when cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Static

from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings
from console.tui.fields.frame import FieldFrame
from console.tui.profiles.fields import ProfileNameField


class ProfileNameScreen(ConsoleModal[tuple[str, Any] | None]):
    DEFAULT_CSS = """
    ProfileNameScreen {
        align: center middle;
    }
    ProfileNameScreen > Vertical {
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ProfileNameScreen .name-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ProfileNameScreen .name-body {
        margin-bottom: 1;
    }
    ProfileNameScreen .name-status {
        height: auto;
        color: $text-muted;
    }
    ProfileNameScreen .name-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    ProfileNameScreen .name-buttons Button {
        margin-left: 2;
    }
    """

    # Enter saves from anywhere in the modal (the name input moves focus on enter otherwise);
    # on the Cancel button it cancels.
    BINDINGS = [*bindings(MODAL_CLOSE),
                Binding("enter", "submit", "Save", priority=True, id="modal.submit")]

    def __init__(self, title: str, body: Text | str, *, action: Callable[[str], Any],
                 check: Callable[[str], str | None], initial: str = "",
                 confirm: str = "Save") -> None:
        super().__init__()
        self._title, self._body = title, body
        self._action, self._check = action, check
        self._initial, self._confirm = initial, confirm
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self._title), classes="name-title")
            if self._body:
                yield Static(self._body if isinstance(self._body, Text) else Text(self._body),
                             classes="name-body")
            yield ProfileNameField(self._initial, id="name-field")
            yield Static("", classes="name-status", id="name-status", markup=False)
            with Horizontal(classes="name-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self._confirm, id="confirm", variant="primary")

    @property
    def name_field(self) -> ProfileNameField:
        return self.query_one("#name-field", ProfileNameField)

    def on_mount(self) -> None:
        self.name_field.focus_input()
        self.name_field.input.action_select_all()
        self._recheck()

    def _recheck(self) -> str | None:
        problem = self._check(self.name_field.value)
        self.name_field.set_problems([problem] if problem and self.name_field.value else [])
        self.query_one("#confirm", Button).disabled = bool(problem) or self._busy
        return problem

    @on(FieldFrame.Changed)
    def _changed(self, event: FieldFrame.Changed) -> None:
        event.stop()
        self._recheck()

    def action_submit(self) -> None:
        if self.focused is not None and self.focused.id == "cancel":
            self.dismiss(None)
        else:
            self._submit()

    @on(Button.Pressed, "#confirm")
    def _confirm_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        if not self._busy:
            self.dismiss(None)

    def _submit(self) -> None:
        if self._busy:
            return
        problem = self._recheck()
        if problem:
            self.name_field.set_problems([problem])
            return
        name = self.name_field.value
        self._busy = True
        self.query_one("#confirm", Button).disabled = True
        self.query_one("#name-status", Static).update("saving…")
        self.run_worker(self._write(name), name="profile-write", group="profile-write",
                        exit_on_error=False)

    async def _write(self, name: str) -> None:
        import asyncio

        from console.config.settings import ConfigError

        try:
            result = await asyncio.to_thread(self._action, name)
        except ConfigError as exc:  # ProfilesError and its kinds: shown under the name
            self._busy = False
            self.query_one("#name-status", Static).update("")
            self.name_field.set_problems([str(exc)])
            self._recheck_button()
            return
        except Exception as exc:  # noqa: BLE001 - e.g. an OSError: show it, keep the modal
            self._busy = False
            self.query_one("#name-status", Static).update("")
            self.name_field.set_problems([f"not saved: {exc}"])
            self._recheck_button()
            return
        self.dismiss((name, result))

    def _recheck_button(self) -> None:
        self.query_one("#confirm", Button).disabled = self._busy
