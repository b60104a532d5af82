"""The environment switcher: pick one of `config.toml`'s environments for this console.

The choice applies to this console only (like `--env`); the default for the next start is
`active_env`, changed in Settings. Dismisses with the chosen name, or None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from console.tui.css import stylesheet
from console.tui.dialogs.modal import ConsoleModal
from console.tui.keys import MODAL_CLOSE, bindings

if TYPE_CHECKING:
    from console.account.environments import Environments


class EnvironmentSwitcher(ConsoleModal["str | None"]):
    DEFAULT_CSS = stylesheet(__file__)

    BINDINGS = bindings(MODAL_CLOSE)

    def __init__(self, environments: Environments, current: str | None) -> None:
        super().__init__(id="env-switch")
        self._environments = environments
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Switch environment", classes="switch-title")
            yield Static("Enter uses it in this console; Settings (f5) sets the default.",
                         classes="switch-help", markup=False)
            options = []
            for env in self._environments:
                marks = []
                if env.name == self._current:
                    marks.append("in use")
                if env.name == self._environments.active:
                    marks.append("default")
                text = Text.assemble((f"{env.name:<16}", "bold"), f" {env.base_url}",
                                     f"  ({env.auth})",
                                     (f"  [{', '.join(marks)}]" if marks else "", "italic"))
                options.append(Option(text, id=env.name))
            yield OptionList(*options, id="env-options")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        names = [env.name for env in self._environments]
        if self._current in names:
            options.highlighted = names.index(self._current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)
