"""The registry of top-level screens: `--screen NAME`, the switching keys and `view:` commands.

Each screen is a Textual mode (its own stack, its state kept while another is shown), imported
only when first shown. To add one (e.g. the Calls screen of the live-calls issue):

    register_screen(ScreenSpec("calls", "Calls", "f3", "console.tui.calls.screen:CallsScreen",
                               "The live calls table"))

in this module, next to the Call screen's entry. Binding id: `app.screen.<name>`. A screen's
CSS is a .tcss file beside it, attached with `DEFAULT_CSS = stylesheet(__file__, ...)`
(console/tui/css.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.screen import Screen


@dataclass(frozen=True)
class ScreenSpec:
    name: str       # --screen NAME, the mode name, the binding id suffix
    title: str      # shown in the header and the footer
    key: str        # default key that switches to it
    target: str     # "module:Class", imported on first show
    description: str = ""
    #: in the key bar's Views group (False: only its key, the palette and help show it)
    in_footer: bool = True

    @property
    def binding_id(self) -> str:
        return f"app.screen.{self.name}"

    def load(self) -> Screen:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)()


SCREENS: dict[str, ScreenSpec] = {}


def register_screen(spec: ScreenSpec) -> None:
    if spec.name in SCREENS:
        raise ValueError(f"screen {spec.name!r} is already registered")
    SCREENS[spec.name] = spec


register_screen(ScreenSpec("call", "Call", "f2", "console.tui.call.screen:CallScreen",
                           "The call form: fill in every field, preview, send"))
register_screen(ScreenSpec("calls", "Calls", "f3", "console.tui.calls.screen:CallsScreen",
                           "Live calls: status, timeline, end, transfer, redial, clone"))
register_screen(ScreenSpec("profiles", "Profiles", "f4", "console.tui.profiles:ProfilesScreen",
                           "Saved agents, caller IDs, SIP header sets and call templates"))
register_screen(ScreenSpec("settings", "Settings", "f5", "console.tui.settings.screen:SettingsScreen",
                           "Environments (add, edit, remove, test, default) and preferences"))
register_screen(ScreenSpec("campaign", "Campaign", "f10", "console.tui.campaign.screen:CampaignScreen",
                           "Campaigns: plan a CSV, dial it by the rules, follow it, past runs",
                           in_footer=False))
register_screen(ScreenSpec("history", "History", "f11", "console.tui.history.screen:HistoryScreen",
                           "Every stored call: filters, export, fetch from the API; the audit log",
                           in_footer=False))
