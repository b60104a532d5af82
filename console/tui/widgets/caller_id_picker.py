"""The caller-ID field: the chosen agent's numbers to pick from, or any typed number."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Select

from console.tui.widgets.phone_input import PhoneField


class CallerIdField(PhoneField):
    field_name = "from_number"
    label = "From"
    placeholder = "caller ID (E.164)"
    empty_note = "default: none (the agent's default caller ID)"
    help = ("Caller ID (E.164) the callee sees. It must be a number registered for the agent "
            "with outbound calls enabled: the server rejects any other (422 under this field). "
            "Empty sends null and the agent's default number is used.")

    DEFAULT_CSS = """
    CallerIdField #from-select {
        width: 17;
        margin-left: 1;
    }
    """

    def __init__(self, value: str = "", **kwargs) -> None:
        super().__init__(value, **kwargs)
        self._numbers: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Select([], prompt="caller IDs", compact=True, id="from-select", disabled=True)

    @property
    def known_numbers(self) -> list[str]:
        return list(self._numbers)

    def set_known_numbers(self, numbers: Iterable[str]) -> None:
        self._numbers = list(dict.fromkeys(numbers))
        select = self.query_one("#from-select", Select)
        with self.prevent(Select.Changed):
            select.set_options([(n, n) for n in self._numbers])
            select.disabled = not self._numbers
            select.prompt = "caller IDs" if self._numbers else "none known"
            self._sync_select()

    def _sync_select(self) -> None:
        select = self.query_one("#from-select", Select)
        typed = self.value.strip().replace(" ", "")
        target = typed if typed in self._numbers else Select.NULL
        if select.value != target:
            with self.prevent(Select.Changed):
                if target is Select.NULL:
                    select.clear()
                else:
                    select.value = target

    @on(Select.Changed, "#from-select")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL and event.value != self.value.strip():
            self.set_value(str(event.value))
            self.input.focus()

    def text_changed(self) -> None:
        self._sync_select()
        super().text_changed()

    def note(self) -> Text:
        text = super().note()
        typed = self.value.strip().replace(" ", "")
        if typed and self._numbers and typed not in self._numbers:
            text.append(" · not one of the agent's known numbers", style="italic")
        return text
