"""The app's link to the saved profiles (agents, caller IDs, header sets, templates).

The app owns one `ProfilesStore`, opened in the start-up worker thread (never for the first
frame: the store imports pydantic, tomllib and the phone rules). Everything that shows
profiles (the Profiles screen, the Call form's template picker, the agent picker) reads
`app.profiles` and subscribes to `app.profiles_changed`, which is published after every write
made by this console and whenever the file changes on disk (another operator, a text editor).

Writes block (file lock, fsync), so callers run them in thread workers; see `write_in_thread`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from console.tui.known_agents import KnownAgent

if TYPE_CHECKING:
    from console.store.profiles import ProfilesStore

#: how often (seconds) the app looks at the profiles file's mtime/size for outside edits
WATCH_INTERVAL = 3.0


def open_profiles(region: str) -> ProfilesStore:
    """Thread: the store, read once. A bad file is not an exception here: the store keeps
    the error (`store.error`) and runs read-only."""
    from console.store.profiles import ProfilesStore

    store = ProfilesStore(region=region)
    store.reload()
    return store


def profile_agents(store: ProfilesStore | None) -> list[KnownAgent]:
    """The saved agents as known agents, each with the caller IDs it may use (E.164)."""
    if store is None:
        return []
    return [KnownAgent(agent.agent_id, name, store.numbers_for_agent(name), source="profile")
            for name, agent in store.profiles.agents.items()]


def merge_known_agents(profile: Iterable[KnownAgent], server: Iterable[KnownAgent],
                       store: ProfilesStore | None = None) -> list[KnownAgent]:
    """Saved agents first (file order, their names), then the server's agents that are not
    saved. An agent in both keeps the saved name and gets the numbers of both; a server agent
    that is not saved also gets the saved caller IDs any agent may use."""
    merged: dict[str, KnownAgent] = {}
    for agent in profile:
        merged.setdefault(agent.agent_id.lower(), agent)
    for agent in server:
        key = agent.agent_id.lower()
        saved = merged.get(key)
        if saved is None:
            shared = store.numbers_for_agent(agent.agent_id) if store is not None else ()
            merged[key] = KnownAgent(agent.agent_id, agent.name,
                                     tuple(dict.fromkeys((*agent.caller_ids, *shared))),
                                     source=agent.source)
        else:
            numbers = tuple(dict.fromkeys((*saved.caller_ids, *agent.caller_ids)))
            merged[key] = KnownAgent(saved.agent_id, saved.name, numbers, source="profile")
    return list(merged.values())


# -- command palette ---------------------------------------------------------------------------

#: (kind id, palette words)
NEW_COMMANDS = (("agent", "agent"), ("caller_id", "caller ID"), ("header_set", "header set"),
                ("template", "call template"))


def profile_commands(app, screen):
    """`profile:` commands for the palette: (text, help, callback) for what can run now."""
    from console.tui.keys import CALL_SAVE_TEMPLATE
    from console.tui.screens import SCREENS

    spec = SCREENS.get("profiles")
    key = f" ({spec.key})" if spec else ""
    yield (f"profile: open profiles{key}", "Saved agents, caller IDs, header sets, templates",
           lambda: app.action_show_screen("profiles"))
    store = getattr(app, "profiles", None)
    if store is None:
        return
    if not store.read_only:
        for kind_id, words in NEW_COMMANDS:
            yield (f"profile: new {words}", f"Open the Profiles screen on a new {words}",
                   lambda kind_id=kind_id: app.call_later(_new_entry, app, kind_id))
        from console.tui.keys import PROFILES_EXPORT, PROFILES_IMPORT

        yield ("profile: export profiles to a bundle file…", PROFILES_EXPORT.help,
               lambda: app.call_later(_bundle, app, "export_bundle"))
        yield ("profile: import a profiles bundle file…", PROFILES_IMPORT.help,
               lambda: app.call_later(_bundle, app, "import_bundle"))
    for name in store.names("template"):
        yield (f"profile: use template {name}", "Fill the Call form from this template "
                                                "(its fields are marked ◆)",
               lambda name=name: app.call_later(_use_template, app, name))
    if getattr(screen, "SCREEN_NAME", "") == "call" and not store.read_only:
        yield (f"profile: save form as template ({CALL_SAVE_TEMPLATE.key})",
               CALL_SAVE_TEMPLATE.help, lambda: screen.run_action("save_template"))
    yield ("profile: reload the profiles file", "Re-read the profiles file from disk",
           app.reload_profiles)


async def _on_screen(app, name: str, ready) -> object | None:
    """Show screen `name` and wait (briefly) until `ready(screen)` holds."""
    import asyncio

    if app.current_mode != name:
        await app.switch_mode(name)
    for _ in range(200):
        screen = app.screen
        if getattr(screen, "SCREEN_NAME", "") == name and screen.is_mounted and ready(screen):
            return screen
        await asyncio.sleep(0.01)
    return None


async def _new_entry(app, kind_id: str) -> None:
    screen = await _on_screen(app, "profiles", lambda s: bool(s.query("KindPart")))
    if screen is not None:
        await screen.show_new(kind_id)


async def _bundle(app, action: str) -> None:
    """The Profiles screen, then its export or import dialog."""
    screen = await _on_screen(app, "profiles", lambda s: bool(s.query("KindPart")))
    if screen is not None:
        await screen.run_action(action)


async def _use_template(app, name: str) -> None:
    screen = await _on_screen(app, "call", lambda s: (
        (picker := s.template_picker) is not None and bool(picker.query("#template-select"))))
    if screen is not None:
        screen.use_template(name)
