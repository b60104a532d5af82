"""A text field with a compact list of known values beside it (a combo picker).

The text input stays the source of truth: picking from the list fills it in, and typing a
known value selects it in the list. Used by the agent and caller-ID fields of the Call form,
which sit on different bases (`TextField`, `PhoneField`): this is a mixin placed before that
base, e.g. `class AgentField(ComboPicker, TextField)`.

A subclass says what the list's id and prompts are and how a choice is shown and matched:
`choice_value` (what goes in the input), `choice_label` (what the list shows), `choice_key`
and `typed_key` (the normalised forms compared to find the chosen one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Select

if TYPE_CHECKING:
    from console.tui.fields.text_field import TextField

    _Base = TextField
else:
    _Base = object


class ComboPicker(_Base):
    """Mixin for a `TextField` (or subclass) with a known-values `Select` beside its input."""

    #: the id of the `Select` (also styled by the subclass's CSS)
    select_id: ClassVar[str] = ""
    #: the list's prompt when there are choices, and when there are none
    select_prompt: ClassVar[str] = ""
    empty_prompt: ClassVar[str] = ""

    def __init__(self, value: str = "", *, lazy_select: bool = False, **kwargs: Any) -> None:
        """`lazy_select`: compose a one-node stand-in for the list (a Select is five nodes
        and the costliest widget of a field to style); `mount_select` puts the list in. The
        Call form's first frame uses it: nothing can be picked before the agents are known."""
        super().__init__(value, **kwargs)
        self._choices: list[Any] = []
        self._lazy_select = lazy_select

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        if self._lazy_select:
            from textual.widgets import Static

            yield Static(f"{self.select_prompt:<14}▼", id=f"{self.select_id}-stand-in",
                         classes="select-stand-in", markup=False)
        else:
            yield self._new_select()

    def _new_select(self) -> Select:
        return Select([], prompt=self.select_prompt, compact=True, id=self.select_id,
                      disabled=True)

    async def mount_select(self) -> None:
        """Put the list in place of its stand-in (see `lazy_select`)."""
        stand_in = self.query(f"#{self.select_id}-stand-in")
        if not stand_in:
            return
        await stand_in.first().parent.mount(self._new_select(), after=stand_in.first())
        await stand_in.remove()

    @property
    def _select(self) -> Select | None:
        found = self.query(f"#{self.select_id}")
        return found.first(Select) if found else None

    # -- what a subclass says about its choices ---------------------------------------------

    def choice_value(self, choice: Any) -> str:
        """What picking `choice` puts in the input."""
        return str(choice)

    def choice_label(self, choice: Any) -> str:
        """How `choice` is shown in the list."""
        return self.choice_value(choice)

    def choice_key(self, choice: Any) -> str:
        """`choice` in the form the typed text is compared with."""
        return self.choice_value(choice)

    def typed_key(self) -> str:
        """The typed text in the form it is compared with."""
        return self.value.strip()

    # -- the shared logic -------------------------------------------------------------------

    def set_choices(self, choices: Iterable[Any]) -> None:
        """Offer `choices` in the list (in order) and select the typed one if it is there."""
        self._choices = list(choices)
        select = self._select
        if select is None:  # not mounted yet (lazy_select): mount_select comes first
            return
        with self.prevent(Select.Changed):
            select.set_options([(self.choice_label(c), self.choice_value(c))
                                for c in self._choices])
            select.disabled = not self._choices
            select.prompt = self.select_prompt if self._choices else self.empty_prompt
            self._sync_select()
        self.refresh_note()

    def chosen_choice(self) -> Any | None:
        """The known choice the typed text stands for, if any."""
        typed = self.typed_key()
        for choice in self._choices:
            if self.choice_key(choice) == typed:
                return choice
        return None

    def _sync_select(self) -> None:
        select = self._select
        if select is None:
            return
        choice = self.chosen_choice()
        target = self.choice_value(choice) if choice is not None else Select.NULL
        if select.value != target:
            with self.prevent(Select.Changed):
                if target is Select.NULL:
                    select.clear()
                else:
                    select.value = target

    def on_select_changed(self, event: Select.Changed) -> None:
        # A plain mixin: Textual dispatches `on_*` methods found anywhere in the MRO, but
        # `@on(...)` handlers only from Widget subclasses, so this is not an `@on` handler.
        if event.select.id != self.select_id:
            return
        event.stop()
        if event.value is not Select.NULL and event.value != self.value.strip():
            self.set_value(str(event.value))
            self.input.focus()

    def text_changed(self) -> None:
        self._sync_select()
        super().text_changed()
