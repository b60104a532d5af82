"""F1 help, generated — never a hand-kept list.

- `focused_help(screen)`: what the focused widget is (the nearest node up the focus chain with a
  `help` string — every form field has one), its rules (required, request name, API default,
  the problems shown right now) and the keys that work there (the screen's active bindings
  whose node is that widget or one of its containers).
- `key_reference(app)`: every binding of the console, by context (everywhere, each registered
  screen, dialogs, widgets), with the key the active keymap gives it, its id and its text.

Both read the live objects, so a new screen or field is documented by its own `help` and
binding `tooltip`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.binding import Binding
    from textual.dom import DOMNode
    from textual.screen import Screen
    from textual.widget import Widget


@dataclass
class KeyRow:
    keys: str          # as displayed, e.g. "^s" or "f1, ^y"
    id: str            # binding id ("" when the binding has none)
    description: str   # footer text, or the action
    help: str = ""     # the binding's tooltip
    remapped: bool = False


@dataclass
class FocusHelp:
    title: str
    kind: str                      # "field", "widget", "screen"
    text: str
    rules: list[str] = field(default_factory=list)
    keys: list[KeyRow] = field(default_factory=list)
    widget: Widget | None = None


@dataclass
class KeySection:
    title: str
    rows: list[KeyRow]


def key_display(app: App[Any], binding: Binding, keys: list[str]) -> str:
    shown = []
    for key in keys:
        try:
            shown.append(app.get_key_display(binding.with_key(key, key_display=None)))
        except Exception:  # noqa: BLE001 - an odd key name still shows as written
            shown.append(key)
    return ", ".join(dict.fromkeys(shown))


def _row(app: App[Any], binding: Binding, keys: list[str]) -> KeyRow:
    keymap = getattr(app, "_keymap", {}) or {}
    return KeyRow(keys=key_display(app, binding, keys), id=binding.id or "",
                  description=binding.description or binding.action,
                  help=binding.tooltip or "", remapped=bool(binding.id and binding.id in keymap))


def _help_text(node: DOMNode) -> str:
    text = getattr(node, "help", None)
    return text if isinstance(text, str) else ""


def _title(node: DOMNode) -> str:
    label = getattr(node, "label", None)
    if isinstance(label, str) and label.strip():
        return label.strip()
    if node.id:
        return node.id.replace("-", " ").replace("_", " ")
    return type(node).__name__


def _rules(node: DOMNode) -> list[str]:
    rules: list[str] = []
    name = getattr(node, "field_name", "")
    if isinstance(name, str) and name:
        rules.append(f"Request field: {name}")
    if getattr(node, "required", False) is True:
        rules.append("Required: the call cannot be sent without it.")
    elif name and hasattr(node, "default"):
        default = getattr(node, "default")
        if default not in (None, "", [], {}):
            rules.append(f"Left empty, the API default applies: {default!r}")
        else:
            rules.append("Optional: left empty, it is not sent.")
    problems = getattr(node, "problems", None)
    if isinstance(problems, list) and problems:
        rules.extend(f"Now: ✗ {problem}" for problem in problems)
    return rules


def focused_help(screen: Screen[Any]) -> FocusHelp:
    """Help for what has the focus on `screen` (or for the screen itself)."""
    from textual.screen import Screen as ScreenClass

    app = screen.app
    focused = screen.focused
    subject: DOMNode | None = None
    chain: list[DOMNode] = []
    node: DOMNode | None = focused
    while node is not None and not isinstance(node, ScreenClass):
        chain.append(node)
        if subject is None and _help_text(node):
            subject = node
        node = node.parent
    # The keys that work here: bindings of the focused widget and its containers.
    chain_ids = {id(n) for n in chain}
    rows: list[KeyRow] = []
    try:
        active = screen.active_bindings
    except Exception:  # noqa: BLE001
        active = {}
    for key, active_binding in active.items():
        node, binding = active_binding.node, active_binding.binding
        # Ours (an id, or a console widget's); Textual's editing keys are the usual ones.
        if id(node) in chain_ids and (binding.id or type(node).__module__.startswith("console.")):
            rows.append(_row(app, binding, [key]))
    rows = _merge_rows(rows)
    if subject is not None:
        return FocusHelp(_title(subject), "field" if getattr(subject, "field_name", "")
                         else "widget", _help_text(subject), _rules(subject), rows, subject)
    if focused is not None:
        text = focused.tooltip if isinstance(focused.tooltip, str) else ""
        if not text:
            doc = (type(focused).__doc__ or "").strip().splitlines()
            text = doc[0] if doc else ""
        return FocusHelp(_title(focused), "widget", text, [], rows, focused)
    title = getattr(screen, "TITLE", None) or type(screen).__name__
    doc = (type(screen).__doc__ or "").strip().splitlines()
    return FocusHelp(str(title), "screen", doc[0] if doc else "", [], rows, None)


def _merge_rows(rows: list[KeyRow]) -> list[KeyRow]:
    """One row per binding id (several keys joined)."""
    merged: dict[tuple[str, str], KeyRow] = {}
    for row in rows:
        marker = (row.id or row.description, row.description)
        if marker in merged:
            existing = merged[marker]
            if row.keys not in existing.keys.split(", "):
                existing.keys = f"{existing.keys}, {row.keys}"
        else:
            merged[marker] = KeyRow(row.keys, row.id, row.description, row.help, row.remapped)
    return list(merged.values())


def active_rows(screen: Screen[Any]) -> list[KeyRow]:
    """What can be pressed right now on `screen` (its active bindings, keymap applied)."""
    app = screen.app
    rows = [_row(app, ab.binding, [key]) for key, ab in screen.active_bindings.items()]
    return _merge_rows(rows)


def key_reference(app: App[Any]) -> list[KeySection]:
    """Every binding by context, with the active keymap's keys."""
    from console.tui.keys.keymap import binding_contexts, effective_keys

    keymap = getattr(app, "_keymap", {}) or {}
    sections: list[KeySection] = []
    app_ids: set[str] = set()
    for index, context in enumerate(binding_contexts(app)):
        rows: list[KeyRow] = []
        for binding in context.bindings:
            if index > 0 and binding.id in app_ids:
                continue  # the app's own keys are listed once, under "Everywhere"
            if not binding.id and not binding.description:
                continue  # Textual internals without a name (e.g. ctrl+c's quit hint)
            keys = effective_keys(binding, keymap)
            rows.append(_row(app, binding, keys))
        if index == 0:
            app_ids = {b.id for b in context.bindings if b.id}
        rows = _merge_rows(rows)
        if rows:
            sections.append(KeySection(context.name, rows))
    return sections
