"""Fields of the profile editors that the Call form has no widget for.

They are `FieldFrame`s like the form's own fields (label, note, error line, `Changed`), built on
the form's widgets where there is one: the name and notes are `TextField`s, a caller ID's
number is a `PhoneField`, "watch" is a `SwitchField`. The pickers of saved names (a template's
agent, caller ID and header sets; a caller ID's agents) are a `Select` / `SelectionList` of the
names the store holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Select, SelectionList

from console.tui.widgets.checklist import Checklist
from console.tui.fields.frame import FieldFrame
from console.tui.fields.phone_input import PhoneField, ToNumberField
from console.tui.fields.switch_field import SwitchField
from console.tui.fields.text_field import TextField


class ProfileNameField(TextField):
    field_name = "name"
    label = "Name"
    required = True
    placeholder = "letters, digits, space, - _ ."
    help = ("The entry's name: ASCII letters, digits, space and - _ . (1 to 64 characters). "
            "Names are case-insensitive: 'Sales' and 'sales' are the same entry.")

    def note(self) -> Text:
        return Text(f"{len(self.value)}/64 · letters, digits, space and - _ .")


class NotesField(TextField):
    field_name = "notes"
    label = "Notes"
    placeholder = "optional"
    help = "Free text for people reading the profiles (kept in the file)."


class WatchField(SwitchField):
    field_name = "watch"
    label = "Watch live"
    default = False
    help = ("Watch this agent's calls live: the Calls screen tracks every call of a watched "
            "agent, also those placed by other operators or by scripts.")

    def note(self) -> Text:
        return Text("the Calls screen tracks all its calls · default off")


class CallerNumberField(PhoneField):
    """A caller ID's number: typed in any form, saved as E.164 (profiles are shared by
    operators with other default regions)."""

    field_name = "number"
    label = "Number"
    required = True
    placeholder = "+14155550100, or a national number"
    empty_note = "saved in international form (E.164)"
    help = ("The caller ID (E.164). A national number is read with your default region and "
            "saved in international form, because other operators may have another region.")


class TemplateToNumberField(ToNumberField):
    """The number to call, as an optional template default."""

    required = False
    placeholder = "none (the operator types it)"
    empty_note = "not set: the operator types the number"
    help = ("A number the template always calls (saved in international form). Usually left "
            "empty so the operator types the callee's number.")


class NameChoiceField(FieldFrame):
    """One saved name (or none) from a `Select`: a template's agent or caller ID."""

    default = ""
    none_label = "none"
    kind_label = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._names: list[str] = []
        self._initial = ""
        self._extra_note = ""

    def compose_body(self) -> ComposeResult:
        yield Select([], prompt=self.none_label, compact=True, id=f"{self.field_name}-input")

    @property
    def select(self) -> Select:
        return self.query_one(Select)

    def set_names(self, names: Sequence[str]) -> None:
        """The names to offer. A value that is no longer offered stays the value (shown as
        not saved) so nothing is dropped silently."""
        self._names = list(names)
        if self.is_mounted:
            self._show(self.value)

    def _show(self, value: str) -> None:
        options = self._names + ([value] if value and value not in self._names else [])
        with self.prevent(Select.Changed):
            self.select.set_options([(n, n) for n in options])
            if value:
                self.select.value = value
        self.refresh_note()

    @property
    def value(self) -> str:
        if not self.is_mounted:
            return self._initial
        value = self.select.value
        return "" if value is Select.NULL else str(value)

    def set_value(self, value: Any) -> None:
        value = "" if value is None else str(value)
        if not self.is_mounted:
            self._initial = value
            return
        if value == self.value:
            return
        if value and value not in self._names:
            self._show(value)
            self.emit_changed()
        elif value:
            self.select.value = value
        else:
            self.select.clear()
        self.refresh_note()

    def on_mount(self) -> None:
        self._show(self._initial)

    def focus_input(self) -> None:
        self.select.focus()

    def set_extra_note(self, text: str) -> None:
        self._extra_note = text
        self.refresh_note()

    def note(self) -> Text:
        value = self.value
        if not value:
            text = Text(f"{self.none_label} · {len(self._names)} saved {self.kind_label}"
                        f"{'s' if len(self._names) != 1 else ''}")
        elif value not in self._names:
            text = Text(f"no saved {self.kind_label} named {value!r}", style="bold")
        else:
            text = Text(value)
        if self._extra_note:
            text.append(" · " + self._extra_note)
        return text

    @on(Select.Changed)
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        self.emit_changed()


class TemplateAgentField(NameChoiceField):
    field_name = "agent"
    label = "Agent"
    kind_label = "agent"
    none_label = "no agent (the operator picks one)"
    help = "The saved agent the template calls with."


class TemplateCallerIdField(NameChoiceField):
    field_name = "caller_id"
    label = "Caller ID"
    kind_label = "caller ID"
    none_label = "no caller ID (the agent's default)"
    help = ("The saved caller ID the template calls from. Only caller IDs the chosen agent may "
            "use are offered.")


class NamesField(FieldFrame):
    """Several saved names, ticked in a `SelectionList` (ticking order is kept)."""

    default: list[str] = []
    kind_label = ""
    empty_note = ""

    DEFAULT_CSS = """
    NamesField SelectionList {
        height: auto;
        max-height: 6;
        width: 1fr;
        background: $boost;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._names: list[str] = []
        self._initial: list[str] = []
        self._order: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield Checklist(compact=True, id=f"{self.field_name}-input")

    @property
    def selection(self) -> SelectionList[str]:
        return self.query_one(SelectionList)

    def set_names(self, names: Iterable[str]) -> None:
        chosen = self.value
        self._names = list(names)
        if not self.is_mounted:
            return
        offered = self._names + [n for n in chosen if n not in self._names]
        with self.prevent(SelectionList.SelectedChanged):
            self.selection.clear_options()
            self.selection.add_options([(n, n, n in chosen) for n in offered])
        self._order = [n for n in chosen if n in offered]
        self.refresh_note()

    @property
    def value(self) -> list[str]:
        if not self.is_mounted:
            return list(self._initial)
        selected = set(self.selection.selected)
        order = [n for n in self._order if n in selected]
        return order + [n for n in self.selection.selected if n not in order]

    def set_value(self, value: Any) -> None:
        names = [str(v) for v in (value or [])]
        if not self.is_mounted:
            self._initial = names
            return
        self._order = list(names)
        self.set_names(self._names)
        with self.prevent(SelectionList.SelectedChanged):
            self.selection.deselect_all()
            for name in names:
                self.selection.select(name)
        self._order = list(names)
        self.refresh_note()

    def is_default(self) -> bool:
        return not self.value

    def on_mount(self) -> None:
        self.set_value(self._initial)

    def focus_input(self) -> None:
        selection = self.selection
        if selection.highlighted is None and selection.option_count:
            selection.highlighted = 0
        selection.focus()

    def note(self) -> Text:
        value = self.value
        if not value:
            return Text(self.empty_note)
        missing = [n for n in value if n not in self._names]
        text = Text(" → ".join(value) if self.ordered else ", ".join(value))
        if missing:
            text.append(f" · not saved: {', '.join(missing)}", style="bold")
        return text

    ordered = False

    @on(SelectionList.SelectedChanged)
    def _changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        selected = list(self.selection.selected)
        self._order = [n for n in self._order if n in selected] + [
            n for n in selected if n not in self._order]
        self.emit_changed()


class CallerAgentsField(NamesField):
    field_name = "agents"
    label = "Only for agents"
    kind_label = "agent"
    empty_note = "none ticked: any agent may use this caller ID"
    help = ("The saved agents that may call from this number. None ticked: any agent. The "
            "Call form offers a caller ID only with the agents it allows.")


class TemplateHeaderSetsField(NamesField):
    field_name = "header_sets"
    label = "Header sets"
    kind_label = "header set"
    empty_note = "none: no SIP headers from the template"
    ordered = True
    help = ("SIP header sets merged in the order ticked: a later set wins when two set the "
            "same header (the conflict is shown).")
