"""Helpers shared by the look-and-feel tests (themes, help, keymap, jump)."""

from __future__ import annotations

from pathlib import Path

from console import paths


def config_file(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def user_theme(name: str, text: str) -> Path:
    folder = paths.user_themes_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def toasts(app) -> list[str]:
    return [f"{n.title or ''}: {n.message}" for n in app.notices]


async def started(pilot, tui) -> None:
    """The form is up and the look-and-feel checks (themes, keymap) have run."""
    app = pilot.app
    await tui.wait_for(pilot, lambda: app.session_ready and getattr(app.screen, "_checks_ready",
                                                                     True), "session")
    await tui.wait_for(pilot, lambda: app._themes_loaded and not any(
        w.is_running for w in app.workers if w.group == "look"), "look-and-feel checks")
    await pilot.pause()
