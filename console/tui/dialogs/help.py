"""The F1 help screen: help for the focused widget, then the full key reference.

Everything shown is generated (`console.tui.keys.help`): the field's own `help` text and rules, the
keys active where the focus is, and every binding of the console with the key the keymap gives
it. Nothing here is a hand-kept list.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings
from console.tui.keys.help import FocusHelp, KeyRow, KeySection


class HelpScreen(ConsoleModal[None]):
    """Help for the focused field and the key reference."""

    #: the first focus (not a query in on_mount: a dialog closed while it mounts has no
    #: children left when its Mount is handled)
    AUTO_FOCUS = "#help-scroll"

    DEFAULT_CSS = stylesheet(__file__)


    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, focus: FocusHelp | None, sections: list[KeySection], *,
                 keys_only: bool = False, keymap_file: str | None = None) -> None:
        super().__init__()
        self.focus_help = focus
        self.sections = sections
        self.keys_only = keys_only
        self.keymap_file = keymap_file

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box") as box:
            box.border_title = "Key reference" if self.keys_only else "Help"
            box.border_subtitle = "esc close · ↑↓ pgup pgdn scroll"
            with VerticalScroll(id="help-scroll"):
                if self.focus_help is not None and not self.keys_only:
                    yield Static(self._focus_text(self.focus_help), id="help-focus")
                yield Static(self._intro(), classes="help-section", id="help-keys-intro")
                for section in self.sections:
                    yield Static(self._section_table(section), classes="help-section")

    # -- rendering --------------------------------------------------------------------------

    def _key_style(self) -> str:
        colour = self.app.theme_variables.get("help-key") or "cyan"
        return f"bold {colour}"

    def _focus_text(self, help: FocusHelp) -> Text:
        text = Text()
        kind = {"field": "Field", "widget": "Focused", "screen": "Screen"}.get(help.kind, "")
        text.append(f"{kind}: " if kind else "", style="dim")
        text.append(help.title, style="bold")
        text.append("\n")
        if help.text:
            text.append(help.text)
            text.append("\n")
        for rule in help.rules:
            text.append("\n• ")
            text.append(rule, style="bold" if rule.startswith("Now:") else "")
        if help.rules:
            text.append("\n")
        if help.keys:
            text.append("\nKeys here:", style="dim")
            for row in help.keys:
                text.append("\n  ")
                text.append(f"{row.keys:<12}", style=self._key_style())
                text.append(f" {row.description}")
                if row.help:
                    text.append(f" — {row.help}", style="dim")
        return text

    def _intro(self) -> Text:
        text = Text()
        text.append("Every key of the console", style="bold")
        text.append(" (generated from the bindings in use). Remap any of them by id in the ")
        text.append("[keymap]", style="bold")
        text.append(" section of ")
        text.append(self.keymap_file or "config.toml", style="bold")
        text.append(", e.g. ")
        text.append('"call.send" = "ctrl+y"', style=self._key_style())
        text.append("; ")
        text.append("*", style="bold")
        text.append(" marks a key that comes from your keymap.")
        return text

    def _section_table(self, section: KeySection) -> Table:
        table = Table(title=section.title, title_justify="left", title_style="bold",
                      show_header=False, box=None, expand=True, padding=(0, 1))
        table.add_column("key", width=14, no_wrap=True)
        table.add_column("what", ratio=3)
        table.add_column("id", ratio=1, style="dim", overflow="fold")
        for row in section.rows:
            table.add_row(self._key_cell(row), self._what_cell(row), row.id)
        return table

    def _key_cell(self, row: KeyRow) -> Text:
        text = Text(row.keys, style=self._key_style())
        if row.remapped:
            text.append(" *", style="bold")
        return text

    @staticmethod
    def _what_cell(row: KeyRow) -> Text:
        text = Text(row.description)
        if row.help and row.help != row.description:
            text.append(f" — {row.help}", style="dim")
        return text

    # -- actions ----------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def rendered_text(self) -> str:
        """Plain text of what the screen shows (tests)."""
        parts: list[Any] = []
        if self.focus_help is not None and not self.keys_only:
            parts.append(self._focus_text(self.focus_help).plain)
        for section in self.sections:
            parts.append(section.title)
            for row in section.rows:
                parts.append(f"{row.keys}{' *' if row.remapped else ''} {row.description} {row.id}")
        return "\n".join(parts)
