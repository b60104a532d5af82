"""The look-and-feel layer of the console app: themes, keymap, F1 help, jump mode, find.

`CallConsoleApp` derives from `LookAndFeelApp`, which brings:

- themes: the files of `themes/` and the user's theme dir are validated and registered (at
  mount when a theme is asked for, so the first frame already has it; otherwise right after
  the first frame); `--theme NAME` (`requested_theme`) wins over config.toml's `theme`; a bad
  file is reported (toast + log) and skipped; `get_theme_variable_defaults` gives every custom
  variable a default, so Textual's built-in themes work too; `choose_theme` saves the choice;
- the `[keymap]` of config.toml applied with `App.update_keymap` at mount (before the first
  frame), then checked (unknown ids, conflicts) in a thread and reported with file and line;
- F1 (`app.help`), jump mode (`app.jump`), find (`app.find`) and their palette commands.

All of it is generic: help, key reference, keymap checks and jump targets are computed from the
live bindings, the screen registry and the focus chain, so new screens get them for free.
Hooks other screens may implement: `show_call(call_id)` (a Calls screen) and
`show_profile(kind, name)` (a Profiles screen), used when a find result is chosen.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from textual.app import App

from console.tui.keys import LOOK_KEYS, bindings
from console.tui.textual_compat import SequentialKeysApp
from console.tui.look.themes import THEME_VARIABLE_DEFAULTS

log = logging.getLogger("console.tui")

MAX_PROBLEMS_IN_TOAST = 6


def _look_commands():
    from console.tui.keys.palette import LookCommands

    return LookCommands


class LookAndFeelApp(SequentialKeysApp):
    BINDINGS = bindings(*LOOK_KEYS)
    COMMANDS = App.COMMANDS | {_look_commands}

    #: `--theme NAME` (make_app sets it); None: config.toml's `theme`, else Textual's default
    requested_theme: str | None = None

    # -- theme variables --------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **THEME_VARIABLE_DEFAULTS}

    # -- start-up ---------------------------------------------------------------------------

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set here, not in on_mount: the first screen mounts before the app's own Mount handler
        # runs, and a screen (Settings) may ask for the themes while it mounts.
        self.theme_sources: dict[str, Path] = {}
        self.theme_problems: list[Any] = []
        self.keymap_problems: list[Any] = []
        self.keymap_file: Path | None = None
        self._themes_loaded = False
        self._configured_theme: str | None = None

    def on_mount(self) -> None:
        self._apply_keymap()
        from console.tui.look.themes import read_configured_theme

        self._configured_theme = read_configured_theme()
        if self.requested_theme or self._configured_theme:
            self._load_themes(apply=True)     # before the first frame: no flash of another theme
        else:
            self.call_after_refresh(self._load_themes)
        self.call_after_refresh(self._start_keymap_check)

    def _load_themes(self, apply: bool = False) -> None:
        from console.tui.look.themes import load_themes

        if self._themes_loaded:
            return
        self._themes_loaded = True
        found = load_themes()
        for theme in found.themes.values():
            self.register_theme(theme)
        self.theme_sources = dict(found.sources)
        self.theme_problems = list(found.problems)
        for note in found.notes:
            log.info("%s", note)
        if apply:
            # --theme first, then config.toml's theme; each unknown name is reported
            for name in dict.fromkeys(n for n in (self.requested_theme, self._configured_theme)
                                      if n):
                if name in self.available_themes:
                    self.theme = name
                    break
                self.theme_problems.append(self._unknown_theme(name))
        if self.theme_problems:
            for problem in self.theme_problems:
                log.warning("theme: %s", problem)
                self.log.warning(f"theme: {problem}")
            self._toast("Theme problems (those files are skipped)", self.theme_problems)

    def _unknown_theme(self, name: str) -> Any:
        from console import paths
        from console.config.settings import key_line
        from console.tui.look.themes import ThemeProblem

        known = ", ".join(sorted(self.available_themes))
        if self.requested_theme == name and self._configured_theme != name:
            return ThemeProblem(Path("--theme"), None, None,
                                f"no theme called {name!r}; known: {known}")
        file = paths.config_file()
        return ThemeProblem(file, key_line(file, "theme"), "theme",
                            f"no theme called {name!r}; known: {known}")

    def _toast(self, title: str, problems: list[Any], severity: str = "warning") -> None:
        lines = [str(p) for p in problems[:MAX_PROBLEMS_IN_TOAST]]
        if len(problems) > MAX_PROBLEMS_IN_TOAST:
            lines.append(f"… and {len(problems) - MAX_PROBLEMS_IN_TOAST} more (see the log)")
        self.notify("\n".join(lines), title=title, severity=severity, timeout=20, markup=False)

    # -- keymap -----------------------------------------------------------------------------

    def _apply_keymap(self) -> None:
        from console.tui.keys.keymap import read_keymap

        keymap = read_keymap()
        self.keymap_file = keymap.file
        self._config_keymap = keymap
        overrides = dict(getattr(self, "_keymap_overrides", {}) or {})
        merged = {**keymap.mapping, **overrides}
        if merged:
            self.update_keymap(merged)

    def _start_keymap_check(self) -> None:
        from console.tui.keys.keymap import needs_check

        if not needs_check(self._config_keymap, getattr(self, "_keymap_overrides", None)):
            return
        self.run_worker(self._check_keymap, thread=True, name="keymap-check", group="look",
                        exit_on_error=False)

    def _check_keymap(self) -> None:
        """Thread: import every screen and widget, then look for unknown ids and conflicts."""
        from console.tui.keys.keymap import binding_contexts, check_keymap

        keymap = self._config_keymap
        overrides = dict(getattr(self, "_keymap_overrides", {}) or {})
        for binding_id, keys in overrides.items():
            keymap.mapping.setdefault(binding_id, keys)
        problems = check_keymap(keymap, binding_contexts(type(self)))
        self.call_from_thread(self._report_keymap, problems)

    def _report_keymap(self, problems: list[Any]) -> None:
        self.keymap_problems = problems
        for problem in problems:
            log.warning("keymap: %s", problem)
            self.log.warning(f"keymap: {problem}")
        shown = [p for p in problems if p.file is not None]  # defaults-only clashes: log only
        if shown:
            self._toast("Keymap problems (the app runs with the other keys)", shown)

    # -- themes -----------------------------------------------------------------------------

    def search_themes(self) -> None:
        """The theme palette (Textual's "Theme" command too), with live preview."""
        from console.tui.keys.palette import ThemePalette

        self._load_themes()
        if not self.palette_open():
            self.push_screen(ThemePalette())

    def choose_theme(self, name: str, *, save: bool = True) -> None:
        """Use theme `name` and save it as `theme = "name"` in config.toml."""
        self._load_themes()
        if name not in self.available_themes:
            self.notify(f"No theme called {name!r}.", severity="error", markup=False)
            return
        self.theme = name
        if save:
            self.run_worker(lambda: self._save_theme(name), thread=True, name="save-theme",
                            group="look", exit_on_error=False)

    def _save_theme(self, name: str) -> None:
        from console import paths
        from console.tui.look.themes import save_theme_choice

        try:
            save_theme_choice(name)
        except Exception as exc:  # noqa: BLE001 - ConfigError, lock timeout, disk full
            self.call_from_thread(self.notify, f"The theme is in use but was not saved: {exc}",
                                  severity="error", markup=False, timeout=20)
            return
        self.call_from_thread(self.notify, f"Theme {name} saved in {paths.config_file()}",
                              markup=False, timeout=4)

    # -- help -------------------------------------------------------------------------------

    def action_help(self, mode: str = "") -> None:
        from console.paths import shown_path
        from console.tui.keys.help import focused_help, key_reference
        from console.tui.dialogs.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        focus = None if mode == "keys" else focused_help(self.screen)
        self.push_screen(HelpScreen(focus, key_reference(self), keys_only=mode == "keys",
                                    keymap_file=shown_path(self.keymap_file) if self.keymap_file
                                    else "config.toml"))

    def action_help_quit(self) -> None:
        """Ctrl+C (when nothing is selected to copy) says how to quit, in dialogs too: Textual's
        looks for the quit key among the top screen's bindings, which a dialog cuts off."""
        for screen in dict.fromkeys((self.screen, self.screen_stack[0])):
            for key, active in screen.active_bindings.items():
                if active.binding.action in ("quit", "app.quit"):
                    shown = self.get_key_display(active.binding)
                    self.notify(f"Press {shown} to quit the app.", title="Do you want to quit?",
                                markup=False)
                    return

    # -- jump mode --------------------------------------------------------------------------

    def action_jump(self) -> None:
        from console.tui.keys.jump import JumpOverlay, jump_targets

        if isinstance(self.screen, JumpOverlay):
            self.screen.dismiss(None)
            return
        targets = jump_targets(self.screen)
        if not targets:
            self.notify("Nothing here can take the focus.", timeout=3)
            return

        def jumped(widget: Any) -> None:
            if widget is not None:
                widget.focus()
                widget.scroll_visible(animate=False)

        self.push_screen(JumpOverlay(targets), jumped)

    # -- find -------------------------------------------------------------------------------

    def action_find(self) -> None:
        from console.tui.keys.palette import FindProvider
        from console.tui.dialogs.modal import ConsolePalette

        if self.palette_open():
            return
        self.push_screen(ConsolePalette(providers=[FindProvider],
                                        placeholder="Find a profile or a call…"))

    def action_command_palette(self) -> None:
        # Textual's own checks only the top screen and reuses one fixed id, so a second Ctrl+P
        # over a dialog (or while the last palette is still being removed) raised DuplicateIds;
        # and its palette could be dismissed twice by a fast second Enter (see modal.py).
        from console.tui.dialogs.modal import ConsolePalette

        if self.use_command_palette and not self.palette_open():
            self.push_screen(ConsolePalette())

    def palette_open(self) -> bool:
        """A command palette (commands, find or themes) is anywhere on the screen stack."""
        from textual.command import CommandPalette

        return any(isinstance(screen, CommandPalette) for screen in self.screen_stack)

    def open_found(self, kind: str, key: str) -> None:
        """A find result was chosen: show it on the screen that owns it, when there is one."""
        from console.tui.screens import SCREENS

        target, hook, args = (("calls", "show_call", (key,)) if kind == "call"
                              else ("profiles", "show_profile", (kind, key)))
        if target in SCREENS:
            if self.current_mode != target:
                self.switch_mode(target)

            def show() -> None:
                method = getattr(self.screen, hook, None)
                if callable(method):
                    method(*args)

            self.call_after_refresh(show)
            return
        what = "Call" if kind == "call" else kind.replace("_", " ").capitalize()
        self.copy_to_clipboard(key)
        self.notify(f"{what} {key} (copied)", markup=False, timeout=6)
