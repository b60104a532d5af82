"""The caller-ID field: the chosen agent's numbers to pick from, or any typed number."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from console.tui.css import stylesheet
from console.tui.fields.phone_input import PhoneField
from console.tui.fields.picker import ComboPicker


class CallerIdField(ComboPicker, PhoneField):
    field_name = "from_number"
    label = "From"
    placeholder = "caller ID (E.164)"
    empty_note = "default: none (the agent's default caller ID)"
    help = ("Caller ID (E.164) the callee sees. It must be a number registered for the agent "
            "with outbound calls enabled: the server rejects any other (422 under this field). "
            "Empty sends null and the agent's default number is used.")

    DEFAULT_CSS = stylesheet(__file__)  # the list beside the input, 17 cells wide
    select_id = "from-select"
    select_prompt = "caller IDs"
    empty_prompt = "none known"

    def typed_key(self) -> str:
        return self.value.strip().replace(" ", "")

    @property
    def known_numbers(self) -> list[str]:
        return list(self._choices)

    def set_known_numbers(self, numbers: Iterable[str]) -> None:
        self.set_choices(dict.fromkeys(numbers))

    def note(self) -> Text:
        text = super().note()
        if self.typed_key() and self._choices and self.chosen_choice() is None:
            text.append(" · not one of the agent's known numbers", style="italic")
        return text
