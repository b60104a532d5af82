"""The custom SIP header editor: a list of name/value rows with per-row errors.

Rules come from `console.telephony.sip` through `check_draft` (X- prefix, SIP token, printable
ASCII value, no CR/LF, case-insensitive duplicates); the editor only shows each problem on the
row (and the part, name or value) it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from console.tui.css import stylesheet
from console.tui.fields.frame import FieldFrame
from console.tui.keys import HEADERS_ADD, HEADERS_REMOVE, bindings


class HeaderRow(Widget):
    """One `X-Name: value` row. Keeps its own values until its inputs are mounted."""

    DEFAULT_CSS = stylesheet(__file__, "header_row.tcss")

    #: under a named row whose value is empty: allowed by the API, but never without saying so
    EMPTY_VALUE_NOTE = "⚠ empty value: the header is sent with nothing after the colon"

    def __init__(self, name: str = "", value: str = "", *, number: int = 1) -> None:
        super().__init__()
        self._name, self._value, self._number = name, value, number

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(f"{self._number}.", classes="row-number")
            yield Input(self._name, placeholder="X-Name", compact=True, classes="header-name",
                        select_on_focus=False)
            yield Input(self._value, placeholder="value", compact=True, classes="header-value",
                        select_on_focus=False)
            yield Button("✕", compact=True, classes="remove-row", tooltip="Remove this header")
        yield Static("", classes="row-error", markup=False)
        yield Static(self.EMPTY_VALUE_NOTE, classes="row-note", markup=False)

    def on_mount(self) -> None:
        self._show_empty_value()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._show_empty_value()  # (the event goes on to the field: not stopped)

    def _show_empty_value(self) -> None:
        name, value = self.pair
        self.set_class(bool(name.strip()) and value == "", "-empty-value")

    @property
    def empty_value(self) -> bool:
        """A named header with an empty value (shown under the row)."""
        return self.has_class("-empty-value")

    @property
    def pair(self) -> tuple[str, str]:
        if not self.is_mounted or not self.query(".header-name"):
            return self._name, self._value
        return (self.query_one(".header-name", Input).value,
                self.query_one(".header-value", Input).value)

    def set_number(self, number: int) -> None:
        self._number = number
        if self.is_mounted and self.query(".row-number"):
            self.query_one(".row-number", Label).update(f"{number}.")

    def set_problems(self, problems: Sequence[Any]) -> None:
        messages = [str(getattr(p, "message", p)) for p in problems]
        parts = {getattr(p, "part", None) for p in problems}
        self.set_class(bool(messages), "-error")
        name, value, error = (self.query(selector) for selector in
                              (".header-name", ".header-value", ".row-error"))
        if not (self.is_mounted and name and value and error):
            # still composing (try after the next refresh), or being removed (nothing to show)
            if self.is_attached:
                self.call_after_refresh(self.set_problems, problems)
            return
        name.first(Input).set_class("name" in parts, "-invalid")
        value.first(Input).set_class("value" in parts, "-invalid")
        error.first(Static).update(Text("\n".join(f"✗ {m}" for m in messages)))

    @property
    def error_text(self) -> str:
        if not self.is_mounted or not self.query(".row-error"):
            return ""
        return str(self.query_one(".row-error", Static).render())

    def focus_name(self) -> None:
        """Focus the name now (mounted rows only). `Widget.focus` applies a moment later, after
        the keys already waiting: they would go to the old focus."""
        found = self.query(".header-name")
        if found:
            self.screen.set_focus(found.first(Input))

    def focus_part(self, part: str | None) -> None:
        selector = ".header-value" if part == "value" else ".header-name"
        if self.query(selector):
            self.query_one(selector, Input).focus()
        elif self.is_attached:
            self.call_after_refresh(self.focus_part, part)


class HeadersField(FieldFrame):
    field_name = "custom_headers"
    label = "SIP headers"
    default: list[tuple[str, str]] = []
    help = ("Custom SIP headers sent with the INVITE. Names must start with X- (the API takes "
            "only X-* headers, which keeps out the headers the SIP stack owns such as Call-ID, "
            "From, To, Via) and be SIP tokens of up to 255 characters; names are "
            "case-insensitive, so X-A and x-a are duplicates. Values: printable ASCII (tab "
            "allowed), no line breaks, up to 1024 characters; empty is allowed.")

    BINDINGS = bindings(HEADERS_ADD, HEADERS_REMOVE)

    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, rows: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows: list[HeaderRow] = [HeaderRow(n, v, number=i + 1)
                                       for i, (n, v) in enumerate(rows)]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="header-rows"):
            yield from self._rows
            yield Button("+ Add header", compact=True, id="add-header",
                         tooltip=f"Add a header row ({HEADERS_ADD.key})")

    @property
    def rows(self) -> list[HeaderRow]:
        return list(self._rows)

    @property
    def value(self) -> list[tuple[str, str]]:
        return [row.pair for row in self._rows]

    def is_default(self) -> bool:
        return not any(n.strip() or v.strip() for n, v in self.value)

    def set_value(self, value: Any) -> None:
        pairs = list(value.items()) if isinstance(value, dict) else list(value or [])
        for row in self._rows:
            row.remove()
        self._rows = [HeaderRow(n, v, number=i + 1) for i, (n, v) in enumerate(pairs)]
        if self.is_mounted and self._rows:
            self.query_one("#header-rows").mount_all(self._rows, before="#add-header")
        self.emit_changed()

    async def add_row(self, name: str = "", value: str = "", *, focus: bool = True) -> HeaderRow:
        """Add a row and (by default) focus its name once it is mounted.

        Awaited by the key and the button: the keys typed right after Ctrl+N wait for the new
        row, so they land in its name, and a Tab among them moves on from there. (Focusing it
        a frame later pulled the focus back after such a Tab.)"""
        row = HeaderRow(name, value, number=len(self._rows) + 1)
        self._rows.append(row)
        await self.query_one("#header-rows").mount(row, before="#add-header")
        if focus:
            row.focus_name()
        self.emit_changed()
        return row

    def remove_row(self, row: HeaderRow) -> None:
        if row not in self._rows:
            return
        index = self._rows.index(row)
        self._rows.remove(row)
        row.remove()
        for number, other in enumerate(self._rows, start=1):
            other.set_number(number)
        if self._rows:
            self._rows[min(index, len(self._rows) - 1)].focus_name()
        else:
            self.query_one("#add-header", Button).focus()
        self.emit_changed()

    def _focused_row(self) -> HeaderRow | None:
        focused = self.screen.focused
        for row in self._rows:
            if focused is not None and (focused is row or row in focused.ancestors):
                return row
        return None

    async def action_add_row(self) -> None:
        await self.add_row()

    def action_remove_row(self) -> None:
        row = self._focused_row()
        if row is not None:
            self.remove_row(row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove_row":
            return self._focused_row() is not None
        return True

    def focus_input(self) -> None:
        if self._rows:
            self._rows[0].focus_name()
        else:
            self.query_one("#add-header", Button).focus()

    def focus_row(self, index: int, part: str | None = None) -> None:
        if 0 <= index < len(self._rows):
            self._rows[index].focus_part(part)
        else:
            self.focus_input()

    def set_problems(self, problems: Iterable[Any]) -> None:
        """Row problems go under their row; problems without a row under the whole list."""
        problems = list(problems)
        by_row: dict[int, list[Any]] = {}
        general = []
        for problem in problems:
            row = getattr(problem, "row", None)
            if row is not None and 0 <= row < len(self._rows):
                by_row.setdefault(row, []).append(problem)
            else:
                general.append(problem)
        for index, row in enumerate(self._rows):
            row.set_problems(by_row.get(index, []))
        super().set_problems(general)
        self.set_class(bool(problems), "-error")
        for error in self.query_children(".field-error"):  # mounted with the first problem
            error.display = bool(general)

    def note(self) -> Text:
        count = sum(1 for n, v in self.value if n.strip() or v.strip())
        if not count:
            return Text("X-* headers only · default: none")
        return Text(f"{count} header{'s' if count != 1 else ''} · X-* only, names case-insensitive")

    def empty_value_names(self) -> list[str]:
        """The names of the headers whose value is empty (allowed, but worth saying)."""
        return [name.strip() for name, value in self.value if name.strip() and value == ""]

    @on(Input.Changed)
    def _row_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.emit_changed()

    @on(Input.Submitted)
    def _row_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    @on(Button.Pressed, "#add-header")
    async def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        await self.add_row()

    @on(Button.Pressed, ".remove-row")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for row in self._rows:
            if event.button in row.query(Button):
                self.remove_row(row)
                return
