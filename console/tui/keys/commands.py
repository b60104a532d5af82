"""Command palette provider: `view:` commands for every registered screen and `call:` commands
for the Call screen's actions, built from the same key specs as the bindings (same actions,
same enabled/disabled rules through the screen's `check_action`), then the look-and-feel
layer's `view:` and `theme:` commands. One provider yields them all, so commands with equal
scores always list in the same order (hits from several providers interleave by timing)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from console.tui.keys import CALL_KEYS
from console.tui.keys.palette import Entry, LookCommands
from console.tui.screens import SCREENS


class ConsoleCommands(LookCommands):
    def _commands(self) -> Iterator[Entry]:
        """(text, help, callback) for every command that can run right now."""
        app = self.app
        for spec in SCREENS.values():
            yield (f"view: {spec.title} screen ({spec.key})", spec.description,
                   partial(app.run_action, f"app.show_screen('{spec.name}')"))
        screen = self.screen
        if getattr(screen, "SCREEN_NAME", "") == "call":
            for key in CALL_KEYS:
                if not key.command:
                    continue
                if not screen.check_action(key.action, ()):
                    continue  # disabled (None) or hidden (False) right now
                yield (f"call: {key.command} ({key.key})", key.help,
                       partial(screen.run_action, key.action))
        if getattr(screen, "SCREEN_NAME", "") == "calls":
            from console.tui.keys import CALLS_KEYS

            for key in CALLS_KEYS:
                if key.command and screen.check_action(key.action, ()):
                    yield (f"calls: {key.command} ({key.key})", key.help,
                           partial(screen.run_action, key.action))
        if getattr(screen, "SCREEN_NAME", "") == "campaign":
            from console.tui.campaign.keys import CAMPAIGN_KEYS

            for key in CAMPAIGN_KEYS:
                if key.command and screen.check_action(key.action, ()):
                    yield (f"campaign: {key.command} ({key.key})", key.help,
                           partial(screen.run_action, key.action))

        from console.tui.history.keys import history_commands

        yield from history_commands(app, screen)  # history:

        from console.tui.profiles.link import profile_commands

        yield from profile_commands(app, screen)  # profile:
        from console.tui.account import palette_commands

        yield from palette_commands(app, screen)  # auth:, env:, settings:
        yield from super()._commands()  # view: help, jump, find, keys; theme:
