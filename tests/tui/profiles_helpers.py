"""Shared by the Profiles screen and Call-form template tests: a profiles file with one entry of
each kind (and a header conflict), a corrupt file, and waiting helpers.

Every test works on the real profiles file of its own temp config dir (tests/conftest.py sets
CALL_CONSOLE_CONFIG_DIR); nothing is mocked between the TUI and `ProfilesStore`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from console.store.profiles import ProfilesStore
import waiting

SALES = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
SUPPORT = "4d1b2f0e-1a2b-4c3d-9e8f-0123456789ab"

#: parses as TOML but line 6 fails validation (the id is not a UUID)
CORRUPT = """\
# shared by the night shift
schema_version = 1

[agents.sales]
notes = "front desk"
id = "not-a-uuid"
"""


def seed(store: ProfilesStore | None = None) -> ProfilesStore:
    """Two agents, two caller IDs (one only for sales), two header sets that both set X-Team,
    and a template using all of it."""
    store = store or ProfilesStore()
    store.add_agent("sales", SALES, watch=True, notes="front desk")
    store.add_agent("support", SUPPORT)
    store.add_caller_id("main", "+14155550100", display_name="ACME Sales", agents=["sales"])
    store.add_caller_id("any", "+14155550199")
    store.add_header_set("crm", {"X-Campaign": "fall", "X-Team": "a"})
    store.add_header_set("qa", {"X-Team": "b"})
    store.add_template("recall", agent="sales", caller_id="main", header_sets=["crm", "qa"],
                       fields={"priority": "high", "ringing_timeout_seconds": 30},
                       context={"campaign": "fall"})
    return store


def fresh() -> ProfilesStore:
    """A new store reading the file now (what another process would see)."""
    store = ProfilesStore()
    store.load()
    return store


async def wait_for(pilot, predicate, what: str = "condition", timeout: float = 30.0) -> None:
    await waiting.wait_for(pilot, predicate, what, timeout, settle=True)


async def profiles_ready(pilot) -> Any:
    """The Profiles screen with the store loaded, its lists filled and the editor mounted."""
    app = pilot.app
    await wait_for(pilot, lambda: app.profiles is not None
                   and getattr(app.screen, "SCREEN_NAME", "") == "profiles"
                   and app.screen.current is not None
                   and app.screen.current.editor_ready.is_set(), "profiles")
    await pilot.pause()
    return app.screen


async def form_ready(pilot) -> Any:
    """The Call form mounted, checks running, the template bar filled from the store."""
    app = pilot.app
    await wait_for(pilot, lambda: app.profiles is not None
                   and getattr(app.screen, "SCREEN_NAME", "") == "call"
                   and app.screen.form_ready and app.screen.checks_ready
                   and app.screen.template_picker is not None
                   and app.screen.template_picker.query("#template-select"), "form")
    await pilot.pause()
    return app.screen


async def writes_done(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: not any(
        w.is_running for w in app.workers
        if w.group in ("profiles-write", "profile-write", "profiles-reload",
                       "profiles-bundle")), "writes")


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press(char)
    await pilot.pause()


def profiles_path() -> Path:
    return ProfilesStore().path


async def paste_text(pilot, text: str) -> None:
    """What a terminal sends for a paste: one Paste event, to the app as the driver does."""
    from textual import events

    pilot.app.post_message(events.Paste(text))
    await pilot.pause()
