"""The Call form's template bar: pick a saved call template, add a saved SIP header set, save
the form as a template.

Choosing a template fills the form through `ProfilesStore.resolve_template(...).values` and
marks every field it set (◆ before the label, the `-from-template` class on the field); a field
edited afterwards loses its mark. Fields still marked from a previous template that the new one
does not set go back to their API defaults; what the operator typed stays. Header-set
conflicts of the template (two sets giving one header different values) are reported under the
bar. The agent and caller-ID pickers of the form are fed by the store through the app's known
agents (`profiles_link.py`).

Reset to defaults clears the marks and the template choice (no field is from the template
any more); its undo brings them back as they were (`state()` / `restore()`), so a field the
operator had edited stays unmarked.

When the profiles file has errors the bar says so and saving is off; templates read before the
file broke can still be used, and the form works without any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError

from console.tui.css import stylesheet
from console.tui.fields.frame import FieldFrame
from console.tui.keys import CALL_SAVE_TEMPLATE, CALL_TEMPLATE

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore

TEMPLATE_MARK = "◆"


def _comparable(frame: FieldFrame) -> Any:
    """The field's value in a form that does not change while a set value settles."""
    value = frame.value
    if frame.field_name == "context":  # the form's own parser: hostile text is not an error here
        from console.calls.context_json import parse_context

        parsed, problem = parse_context(str(value))
        return value if problem else parsed
    if frame.field_name == "custom_headers":
        return [(n, v) for n, v in value if n.strip() or v.strip()]
    if isinstance(value, str):
        return value.strip()
    return value


@dataclass(frozen=True)
class TemplateState:
    """What the bar knew about where the form's values came from (kept by reset for undo)."""

    applied: str | None = None
    chosen: str | None = None                                   # the template list's value
    marks: dict[str, str] = field(default_factory=dict)         # field name -> source
    expected: dict[str, Any] = field(default_factory=dict)      # field name -> marked value
    conflicts: tuple[str, ...] = ()


class TemplatePicker(Vertical):
    """Template and header-set pickers and "save as template", above the Call form's fields."""

    SCOPED_CSS = False  # the marks are styled on the form's fields
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.applied: str | None = None           # the template that filled the form last
        self.marks: dict[str, str] = {}           # field name -> "template 'x'" / "header set 'y'"
        self._expected: dict[str, Any] = {}       # field name -> value the mark stands for
        self._conflicts: list[str] = []
        self._note = ""

    def compose(self) -> ComposeResult:
        with Horizontal(id="template-bar"):
            yield Label(f"{TEMPLATE_MARK} Template", classes="template-label")
            yield Select([], prompt="loading profiles…", id="template-select", compact=True,
                         disabled=True, tooltip=CALL_TEMPLATE.help)
            yield Select([], prompt="+ header set", id="header-set-select", compact=True,
                         disabled=True,
                         tooltip="Add a saved SIP header set to the form's headers.")
            yield Button("Save as template", id="save-template",
                         compact=True, disabled=True, tooltip=CALL_SAVE_TEMPLATE.help)
        yield Static("", id="template-legend", markup=False)

    @property
    def store(self) -> ProfilesStore | None:
        return getattr(self.app, "profiles", None)

    @property
    def form(self) -> Any:
        return self.screen

    def on_mount(self) -> None:
        self.app.profiles_changed.subscribe(self, self._profiles_changed)
        if self.store is not None:
            self._profiles_changed(self.store)

    # -- from the store ---------------------------------------------------------------------

    def _profiles_changed(self, store: ProfilesStore) -> None:
        templates = store.names("template")
        select = self.query_one("#template-select", Select)
        current = select.value if select.value is not Select.NULL else None
        with self.prevent(Select.Changed):
            select.set_options([(n, n) for n in templates])
            select.prompt = "choose a template" if templates else "no saved templates"
            select.disabled = not templates
            if current in templates:
                select.value = current
        sets = store.names("header_set")
        header_select = self.query_one("#header-set-select", Select)
        with self.prevent(Select.Changed):
            header_select.set_options([(n, n) for n in sets])
            header_select.disabled = not sets
        self.query_one("#save-template", Button).disabled = store.read_only
        if store.error is not None:
            from console.tui.screens import SCREENS

            error = store.error
            where = f"{store.path.name}" + (f" line {error.line}" if error.line else "")
            spec = SCREENS.get("profiles")
            self._note = (f"⚠ {where} has an error: profiles are read-only "
                          f"(details on Profiles{', ' + spec.key if spec else ''})")
        else:
            self._note = ""
        self._show_legend()

    # -- choosing a template ----------------------------------------------------------------

    @on(Select.Changed, "#template-select")
    def _template_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is not Select.NULL:
            self.apply(str(event.value))

    def apply(self, name: str) -> bool:
        """Fill the form from template `name`; False (and a message) when it cannot."""
        from console.store.profiles import ProfilesError

        store = self.store
        if store is None:
            return False
        try:
            resolution = store.resolve_template(name)
        except ProfilesError as exc:
            self.app.notify(str(exc), title="Template", severity="error", markup=False)
            return False
        form = self.form
        fields = form.fields
        values = dict(resolution.values)
        # Fields the previous template set (still unedited) go back to their defaults.
        for field_name, source in list(self.marks.items()):
            if field_name not in values and field_name in fields:
                frame = fields[field_name]
                frame.set_value(frame.default if frame.default is not None else "")
            self._unmark(field_name)
        form.set_values(values)
        label = f"template {resolution.name!r}"
        for field_name in values:
            if field_name in fields:
                self._mark(field_name, label)
        self.applied = resolution.name
        self._conflicts = [c.message for c in resolution.conflicts]
        select = self.query_one("#template-select", Select)
        if select.value != resolution.name:
            with self.prevent(Select.Changed):
                select.value = resolution.name
        self._show_legend()
        self.app.notify(f"{len(values)} field{'s' if len(values) != 1 else ''} from template "
                        f"{resolution.name!r}" + (f"; {len(self._conflicts)} header conflict"
                                                  f"{'s' if len(self._conflicts) != 1 else ''}"
                                                  if self._conflicts else ""),
                        title="Template", markup=False, timeout=4,
                        severity="warning" if self._conflicts else "information")
        return True

    # -- adding a header set ----------------------------------------------------------------

    @on(Select.Changed, "#header-set-select")
    def _header_set_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        self.add_header_set(str(event.value))
        with self.prevent(Select.Changed):
            event.select.clear()

    def add_header_set(self, name: str) -> None:
        """Merge a saved header set into the form's headers (its values win; what it
        replaces is reported like a template's conflicts)."""
        store = self.store
        if store is None or name not in store.profiles.header_sets:
            return
        frame = self.form.field("custom_headers")
        rows = [(n, v) for n, v in frame.value if n.strip() or v.strip()]
        conflicts = []
        for header, value in store.profiles.header_sets[name].headers.items():
            for index, (existing, old) in enumerate(rows):
                if existing.lower() == header.lower():
                    if old != value:
                        conflicts.append(f"{header}: header set {name!r} sets {value!r}, "
                                         f"replacing {old!r}")
                    rows[index] = (header, value)
                    break
            else:
                rows.append((header, value))
        frame.set_value(rows)
        self._unmark("custom_headers")
        self._mark("custom_headers", f"header set {name!r}")
        self._conflicts = conflicts
        self._show_legend()

    # -- marks ------------------------------------------------------------------------------

    def _mark(self, field_name: str, source: str) -> None:
        frame = self.form.fields[field_name]
        if not frame.query(".template-mark"):
            rows = frame.query(".field-row")
            if rows:
                rows.first().mount(Static(TEMPLATE_MARK, classes="template-mark"), before=0)
        frame.add_class("-from-template")
        self.marks[field_name] = source
        self._expected[field_name] = _comparable(frame)

    def _unmark(self, field_name: str) -> None:
        self.marks.pop(field_name, None)
        self._expected.pop(field_name, None)
        frame = self.form.fields.get(field_name)
        if frame is not None:
            frame.remove_class("-from-template")

    def state(self) -> TemplateState:
        """The template choice and the marks of fields that still hold their marked value."""
        fields = self.form.fields
        kept = [name for name in self.marks
                if name in fields and _comparable(fields[name]) == self._expected.get(name)]
        select = self.query_one("#template-select", Select)
        return TemplateState(
            applied=self.applied,
            chosen=None if select.value is Select.NULL else str(select.value),
            marks={name: self.marks[name] for name in kept},
            expected={name: self._expected[name] for name in kept},
            conflicts=tuple(self._conflicts))

    def restore(self, state: TemplateState) -> None:
        """Put back a `state()`: the form's values must already be the ones it was taken with
        (what the marks stand for is restored too, not re-read from the fields)."""
        for name in list(self.marks):
            self._unmark(name)
        fields = self.form.fields
        for name, source in state.marks.items():
            if name in fields:
                self._mark(name, source)
                self._expected[name] = state.expected[name]
        self.applied = state.applied
        self._conflicts = list(state.conflicts)
        select = self.query_one("#template-select", Select)
        with self.prevent(Select.Changed):
            try:
                if state.chosen is None:
                    select.clear()
                else:
                    select.value = state.chosen
            except InvalidSelectValueError:   # the template was deleted since
                select.clear()
        self._show_legend()

    def clear(self) -> None:
        """No field is from a template any more (the form was reset to the API defaults)."""
        self.restore(TemplateState())

    def field_changed(self, frame: FieldFrame) -> None:
        """A form field changed: it keeps its mark only while it holds the template's value."""
        name = frame.field_name
        if name in self.marks and _comparable(frame) != self._expected.get(name):
            self._unmark(name)
            if name == "custom_headers":
                self._conflicts = []
            self._show_legend()

    def _show_legend(self) -> None:
        legend = self.query_one("#template-legend", Static)
        text = Text()
        if self.marks:
            labels = {n: f.label for n, f in self.form.fields.items()}
            by_source: dict[str, list[str]] = {}
            for field_name, source in self.marks.items():
                by_source.setdefault(source, []).append(labels.get(field_name, field_name))
            for index, (source, names) in enumerate(by_source.items()):
                if index:
                    text.append(" · ")
                text.append(f"{TEMPLATE_MARK} from {source}: ", style="bold")
                text.append(", ".join(names))
        for conflict in self._conflicts:
            text.append(("\n" if text else "") + f"⚠ header conflict: {conflict}")
        if self._note:
            text.append(("\n" if text else "") + self._note)
        legend.update(text)
        legend.set_class(bool(text), "-shown")

    # -- actions ----------------------------------------------------------------------------

    def open(self) -> None:
        """Focus the template picker and open its list."""
        select = self.query_one("#template-select", Select)
        if select.disabled:
            store = self.store
            self.app.notify("No saved templates yet: fill in the form and save it as one "
                            f"({CALL_SAVE_TEMPLATE.key}), or add one on the Profiles screen."
                            if store is not None else "The profiles are still loading.",
                            title="Templates", timeout=5)
            return
        select.focus()
        select.action_show_overlay()

    @on(Button.Pressed, "#save-template")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save_as_template()

    def save_as_template(self) -> None:
        """Ask a name and save the form's current values as a template (in a worker)."""
        store = self.store
        if store is None:
            return
        if store.read_only:
            self.app.notify(f"The profiles file has errors, nothing is written to it: "
                            f"{store.error}", title="Save as template", severity="error",
                            markup=False, timeout=8)
            return
        from console.tui.profiles import name_problem
        from console.tui.profiles.name_dialog import ProfileNameScreen

        values = self.form.values()
        draft = store.template_from_values(values, based_on=self.applied)
        body = describe_draft(draft, self.form)

        def save(name: str) -> Any:
            return store.add_template(name, **draft.kwargs())

        def done(result: tuple[str, Any] | None) -> None:
            if result is None:
                return
            name = result[0]
            self.app.profiles_written()
            self._profiles_changed(store)  # now: the signal reaches subscribers a bit later
            self.applied = name
            select = self.query_one("#template-select", Select)
            with self.prevent(Select.Changed):
                select.value = name
            unsaved = ", ".join(unsaved_labels(draft, self.form))
            self.app.notify(f"Saved template {name!r}"
                            + (f"; not in it: {unsaved}" if unsaved else ""),
                            title="Profiles", markup=False, timeout=6,
                            severity="warning" if unsaved else "information")

        self.app.push_screen(ProfileNameScreen(
            "Save the form as a call template", body,
            initial="" if self.applied is None else f"{self.applied} copy",
            check=lambda name: name_problem(store, "template", name),
            action=save, confirm="Save template"), done)


def unsaved_labels(draft: Any, form: Any) -> list[str]:
    labels = {n: f.label for n, f in form.fields.items()}
    return [labels.get(key, key) for key in draft.unsaved]


def describe_draft(draft: Any, form: Any) -> Text:
    """What the template will hold, and which of the form's values it cannot keep."""
    labels = {n: f.label for n, f in form.fields.items()}
    text = Text()
    text.append("The template will hold:\n", style="bold")
    rows = []
    if draft.agent:
        rows.append(f"agent {draft.agent!r}")
    if draft.caller_id:
        rows.append(f"caller ID {draft.caller_id!r}")
    if draft.header_sets:
        rows.append("header sets " + " + ".join(repr(n) for n in draft.header_sets))
    for key, value in draft.fields.items():
        rows.append(f"{labels.get(key, key)} = {value!r}")
    if draft.context:
        rows.append(f"context {json.dumps(draft.context)}")
    for row in rows or ["nothing but the API defaults"]:
        text.append(f"  • {row}\n")
    if draft.unsaved:
        text.append("\nNot saved (no saved profile matches; add one on the Profiles screen "
                    "first to keep it):\n", style="bold")
        reasons = {
            "agent_id": "the agent UUID is not a saved agent",
            "from_number": "the caller ID is not a saved caller ID",
            "custom_headers": "the SIP headers are not a saved header set",
            "context": "the context is not a JSON object",
        }
        for key, value in draft.unsaved.items():
            shown = value if not isinstance(value, list) else ", ".join(f"{n}: {v}"
                                                                        for n, v in value)
            text.append(f"  • {labels.get(key, key)}: {reasons.get(key, 'not saved')} "
                        f"({shown})\n")
    return text
