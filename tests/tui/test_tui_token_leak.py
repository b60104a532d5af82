"""No token leaks from the TUI: run the main flows against a simulator with a known token (and
real rotating login tokens), then grep every file written under the config and data dirs (except
the token store), the screenshots taken on the way, every log record, the toasts and the
clipboard for any of them. Also: the audit log has the placed call with the operator's name,
and the call store records who placed it."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest
from account_helpers import (
    AGENT,
    FAKE_BASE,
    WIDE,
    fixed_clock,
    idle,
    login_shown,
    route_api,
    start_sim,
    type_into,
    wait_for,
)

from console import paths
from console.config.settings import Settings
from console.account.audit import read_audit
from console.store.secrets import TokenStore
from console.tui.app import make_app
from console.tui.dialogs.login import LoginScreen
from console.tui.dialogs.onboarding import OnboardingScreen
from console.tui.settings.screen import SettingsScreen

KNOWN_TOKEN = "tok-LEAKCHECK-7f3a9c2e51d84b6a"
REPO = Path(__file__).resolve().parents[2]
BEARER = re.compile(r"Bearer\s+(?!\$CALL_CONSOLE_TOKEN)[A-Za-z0-9._~+/=-]{12,}")


@pytest.fixture
def sim(monkeypatch):
    server = start_sim(token=KNOWN_TOKEN, access_ttl=3.0)
    route_api(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def all_logs(tmp_path):
    """Every log record of every logger, at DEBUG, into a file under the data dir."""
    log_file = paths.data_dir() / "logs" / "test-debug.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


async def test_main_flows_leak_no_token(sim, all_logs, tmp_path):
    shots = paths.data_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    app = make_app(settings=Settings(operator="leak-tester"), clock=fixed_clock,
                   onboarding=True, account_checks=True)
    seen_tokens = {KNOWN_TOKEN}
    toasts: list[str] = []

    def shot(name: str) -> None:
        app.save_screenshot(filename=f"{name}.svg", path=str(shots))
        toasts.extend(f"{n.title} {n.message}" for n in app.notices)

    async with app.run_test(size=WIDE) as pilot:
        # 1. Onboarding: connect with the pre-issued token (pasted).
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen)
                       and app.focused is not None, "onboarding")
        await type_into(pilot, "#env-name", "ci")
        await type_into(pilot, "#base-url", FAKE_BASE)
        await type_into(pilot, "#token", KNOWN_TOKEN)
        shot("onboarding-token-typed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, OnboardingScreen), "connected")
        await wait_for(pilot, lambda: app.health == "ok", "online")

        # 2. The Call form: preview (curl, masked), copy it, send, a 422, a placed call.
        screen = app.screen
        await wait_for(pilot, lambda: getattr(screen, "form_ready", False)
                       and screen.checks_ready, "the form")
        screen.set_values({"agent_id": AGENT.agent_id, "to_number": "+14155550000",
                           "from_number": "+14155559999"})
        await wait_for(pilot, lambda: screen.can_send, "ready")
        screen.action_copy_curl()
        await pilot.pause()
        assert "$CALL_CONSOLE_TOKEN" in app.clipboard
        shot("call-preview")
        await pilot.press("ctrl+s")                       # 422: not a caller ID of the agent
        await wait_for(pilot, lambda: screen.outcome.state == "-error", "the 422")
        shot("call-422")
        screen.set_values({"from_number": AGENT.caller_ids[0]})
        await wait_for(pilot, lambda: screen.can_send and screen.draft.request.from_number
                       == AGENT.caller_ids[0], "ready again")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.outcome.state == "-ok", "placed")
        call_id = screen.outcome.text.split("call id", 1)[1].split()[0].strip(":")
        shot("call-placed")

        # 3. Settings: test the connection, save a preference.
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, SettingsScreen)
                       and app.screen.environments is not None
                       and app.screen.preferences_loaded is not None, "settings")
        settings: SettingsScreen = app.screen
        settings.select("ci")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: settings.test_result.startswith(("✔", "✖")), "tested")
        assert settings.test_result.startswith("✔")
        await type_into(pilot, "#pref-default_region", "GB")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Saved" in settings.prefs_status, "saved")
        shot("settings")

        # 4. Sign out, then sign in with a password (rotating tokens); a wrong token first.
        app.account.logout()
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: login_shown(app) and app.focused is not None, "login")
        login: LoginScreen = app.screen
        await type_into(pilot, "#token", KNOWN_TOKEN + "x")
        await pilot.press("enter")
        await wait_for(pilot, lambda: login.field_error("token"), "refused")
        await type_into(pilot, "#token", "")
        await type_into(pilot, "#username", "demo")
        await type_into(pilot, "#password", "demo")
        shot("login-typed")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, LoginScreen), "signed in")
        stored = TokenStore().load("ci")
        seen_tokens |= {stored.access_token, stored.refresh_token}
        # a refresh on the way (access tokens live 3 s here)
        await pilot.pause(3.2)
        await app.account.fresh_capacity()
        stored = TokenStore().load("ci")
        seen_tokens |= {stored.access_token, stored.refresh_token}
        await idle(pilot)
        shot("after-login")
        toasts.extend(f"{n.title} {n.message}" for n in app.notices)
        clipboard = app.clipboard
    # the app has exited: the store is flushed and closed, the logs written

    seen_tokens.discard(None)
    assert len(seen_tokens) >= 4
    secret_files = {TokenStore().file.resolve()}
    checked = 0
    for root in (paths.config_dir(), paths.data_dir()):
        for file in root.rglob("*"):
            if not file.is_file() or file.resolve() in secret_files:
                continue
            if file.name.startswith(TokenStore().file.name):   # its lock / temp files
                continue
            data = file.read_bytes()
            checked += 1
            for token in seen_tokens:
                assert token.encode() not in data, f"a token is in {file}"
            assert not BEARER.search(data.decode("utf-8", "replace")), f"a bearer in {file}"
    assert checked >= 8                   # config, history db (+wal), audit, log, screenshots
    names = {f.name for f in paths.data_dir().rglob("*")}
    assert {"audit.jsonl", "calls.sqlite3", "test-debug.log"} <= names
    assert (paths.config_dir() / "config.toml").exists()
    for text in (*toasts, clipboard, all_logs.read_text(encoding="utf-8")):
        for token in seen_tokens:
            assert token not in text

    # The audit log and the call store name the operator.
    placed = [r for r in read_audit() if r["kind"] == "call_placed"]
    assert [(r["call_id"], r["operator"], r["to_number"]) for r in placed] == [
        (call_id, "leak-tester", "+14155550000")]
    with sqlite3.connect(paths.history_db()) as db:
        row = db.execute("SELECT placed_by FROM calls WHERE call_id = ?", (call_id,)).fetchone()
    assert row == ("leak-tester",)


def test_no_bearer_token_in_any_saved_snapshot_or_screenshot():
    svgs = [*(REPO / "tests").rglob("*.svg"), *(REPO / "screenshots").rglob("*.svg")]
    assert svgs
    for svg in svgs:
        text = svg.read_text(encoding="utf-8", errors="replace").replace("&#160;", " ")
        assert not BEARER.search(text), svg
