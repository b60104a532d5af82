"""Palette providers of the look-and-feel layer.

- `LookCommands`: `view:` commands for help, jump mode and find, built from the same KeySpecs
  as their bindings (same action, and the key shown is the one the keymap gives), and `theme:`
  commands: one per registered theme, and `theme: choose with live preview…`.
- `ThemePalette`: a command palette over the themes that previews the highlighted theme live,
  restores the previous one on escape, and saves the chosen one in config.toml.
- `FindProvider`: the second palette mode (its own key): profiles (agents, caller IDs, header
  sets, templates) and this session's calls, by name, number or id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from textual import on
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from textual.markup import escape
from textual.widgets import OptionList

from console.tui.keys import LOOK_KEYS, KeySpec
from console.tui.dialogs.modal import ConsolePalette


def _key_for(app: Any, spec: KeySpec) -> str:
    keymap = getattr(app, "_keymap", {}) or {}
    return keymap.get(spec.id, spec.key)


Entry = tuple[str, str, Callable[[], object]]
"""(text, help, callback) of one palette command."""


def _highlighted(matcher: Matcher, text: str) -> Content:
    """`Matcher.highlight` without its markup parse (which would shift the offsets)."""
    content = Content(text)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, text)
    for offset in offsets:
        if not text[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class ListProvider(Provider):
    """A provider over a fixed list of entries, discovered and searched in list order.

    Equal scores keep that order: the palette sorts hits by score alone, stably, so the order
    stays the same from one search to the next as long as one provider yields them.
    Text and help show as typed: a profile called `[vip]`, or help that mentions the `[keymap]`
    table, is never read as markup (Textual parses str prompts and help)."""

    def _commands(self) -> Iterator[Entry]:  # pragma: no cover
        raise NotImplementedError

    async def discover(self) -> Hits:
        for text, help_text, callback in self._commands():
            yield DiscoveryHit(Content(text), callback, text=text, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, help_text, callback in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, _highlighted(matcher, text), callback, text=text,
                          help=escape(help_text))


class LookCommands(ListProvider):
    def _commands(self) -> Iterator[Entry]:
        app = self.app
        for spec in LOOK_KEYS:
            if spec.command:
                yield (f"view: {spec.command} ({_key_for(app, spec)})", spec.help,
                       partial(app.run_action, f"app.{spec.action}"))
        yield ("view: Key reference (every key, from the bindings)",
               "The key reference alone: every binding and the key your keymap gives it.",
               partial(app.run_action, "app.help('keys')"))
        yield ("theme: Choose a theme with live preview…",
               "Move through the themes to preview them; enter keeps one (saved in config.toml), "
               "escape goes back.", app.search_themes)
        current = getattr(app, "theme", "")
        for name in sorted(app.available_themes):
            mark = " (current)" if name == current else ""
            yield (f"theme: {name}{mark}", _theme_help(app, name),
                   partial(app.choose_theme, name))


def _theme_help(app: Any, name: str) -> str:
    source = getattr(app, "theme_sources", {}).get(name)
    theme = app.available_themes.get(name)
    kind = "dark" if theme is not None and theme.dark else "light"
    where = f"from {source}" if source is not None else "built into Textual"
    return f"Use the {kind} theme {name} ({where}); saved in config.toml."


class ThemeProvider(ListProvider):
    def _commands(self) -> Iterator[Entry]:
        app = self.app
        for name in sorted(app.available_themes):
            yield (name, _theme_help(app, name), partial(app.choose_theme, name))


class ThemePalette(ConsolePalette):
    """The themes, previewed live as the highlight moves."""

    def __init__(self) -> None:
        super().__init__(providers=[ThemeProvider], placeholder="Theme… (preview as you move)")
        self._original_theme: str | None = None

    def on_mount(self) -> None:
        self._original_theme = self.app.theme

    @on(OptionList.OptionHighlighted)
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        hit = getattr(event.option, "hit", None)
        name = getattr(hit, "text", None)
        if name and name in self.app.available_themes and name != self.app.theme:
            self.app.theme = name

    def on_unmount(self) -> None:
        if self._selected_command is None and self._original_theme:
            self.app.theme = self._original_theme  # escape: back to what it was


class FindProvider(ListProvider):
    """Profiles and calls, for the find palette."""

    async def startup(self) -> None:
        self._entries: list[Entry] = []
        app = self.app
        for call in reversed(getattr(app, "tracked_calls", [])):
            text = f"call: {call.to_number} · {call.status} · {call.call_id}"
            self._entries.append((text, f"agent {call.agent_id}, from {call.from_number or '—'}",
                                  partial(app.open_found, "call", call.call_id)))
        try:
            profiles = await asyncio.to_thread(_load_profiles)
        except Exception:  # noqa: BLE001 - an unreadable file is reported by its own screen
            profiles = None
        if profiles is None:
            return
        for kind, section, label in (("agent", "agents", "agent"),
                                     ("caller_id", "caller_ids", "caller ID"),
                                     ("header_set", "header_sets", "header set"),
                                     ("template", "templates", "template")):
            for name, entry in getattr(profiles, section, {}).items():
                detail = _entry_detail(kind, entry)
                self._entries.append((f"profile: {label} {name}" + (f" · {detail}" if detail else ""),
                                      getattr(entry, "notes", "") or f"saved {label}",
                                      partial(app.open_found, kind, name)))

    def _commands(self) -> Iterator[Entry]:
        return iter(self._entries)


def _load_profiles() -> Any:
    from console.store.profiles import ProfilesStore

    store = ProfilesStore()
    return store.profiles


def _entry_detail(kind: str, entry: Any) -> str:
    if kind == "agent":
        return str(getattr(entry, "id", ""))
    if kind == "caller_id":
        return str(getattr(entry, "number", ""))
    if kind == "header_set":
        return ", ".join(getattr(entry, "headers", {}) or {})
    if kind == "template":
        return " ".join(p for p in (getattr(entry, "agent", None) or "",
                                    getattr(entry, "caller_id", None) or "") if p)
    return ""
