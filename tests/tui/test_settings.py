"""The Settings screen on a real simulator: environments added, edited, made default, tested,
switched and removed through the UI (config.toml keeps its hand-written comments), and the
preferences validated, saved and applied."""

from __future__ import annotations

import asyncio

import pytest
from account_helpers import (
    FAKE_BASE,
    LONG_CALL,
    TENANT,
    WIDE,
    app_for,
    config_text,
    idle,
    no_blink,
    place_direct,
    route_api,
    start_sim,
    type_into,
    wait_for,
    write_config,
)

from console.account.sign_in import sign_in
from console.config.settings import Settings
from console.account.environments import load_environments, resolve_target
from console.store.secrets import TokenStore
from console.tui.dialogs.confirm import ConfirmScreen
from console.tui.settings.env_switch import EnvironmentSwitcher
from console.tui.dialogs.login import LoginScreen
from console.tui.settings.editor import EnvironmentEditor
from console.tui.settings.screen import SettingsScreen

COMMENTED = """# call-console settings — hand-written, keep this comment
default_region = "US"   # where I am

[environments.prod]
# the real one
base_url = "https://api.example.com"
auth = "login"
"""


@pytest.fixture
def sim(monkeypatch):
    server = start_sim(max_concurrent_calls=2)
    route_api(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()


async def _settings_ready(pilot) -> SettingsScreen:
    app = pilot.app
    await wait_for(pilot, lambda: app.session_ready and isinstance(app.screen, SettingsScreen)
                   and app.screen.environments is not None
                   and app.screen.preferences_loaded is not None, "the settings screen")
    await pilot.pause()
    return app.screen


async def test_add_edit_default_and_remove_keep_the_files_comments(sim):
    write_config(COMMENTED)
    app = app_for(screen="settings", probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _settings_ready(pilot)
        assert [e.name for e in screen.environments] == ["prod"]

        # Add: a bad URL is refused at its field, nothing is written.
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentEditor), "the editor")
        editor: EnvironmentEditor = app.screen
        await type_into(pilot, "#name", "staging")
        await type_into(pilot, "#base_url", "ftp://nope")
        await pilot.press("enter")
        await pilot.pause()
        assert "http://" in editor.field_error("base_url")
        assert "staging" not in config_text()
        await type_into(pilot, "#base_url", FAKE_BASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, "the editor to close")
        await wait_for(pilot, lambda: screen.environments is not None
                       and "staging" in screen.environments.items, "the new row")
        assert load_environments().get("staging").base_url == FAKE_BASE

        # Edit it (enter on its row): a username.
        screen.select("staging")
        await pilot.pause()
        screen.query_one("#env-table").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentEditor), "the editor")
        await type_into(pilot, "#username", "demo")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen, "saved")
        await wait_for(pilot, lambda: load_environments().get("staging").username == "demo",
                       "the username written")

        # Make it the default.
        screen.select("staging")
        screen.query_one("#env-table").focus()
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: load_environments().active == "staging", "active_env")

        # Remove prod (confirmed); its stored sign-in goes too.
        store = TokenStore()
        await sign_in(resolve_target(Settings(), "staging"), "demo", "demo", store=store)
        screen.select("prod")
        screen.query_one("#env-table").focus()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: "prod" not in load_environments().items, "prod removed")
        await wait_for(pilot, lambda: screen.environments is not None
                       and list(screen.environments.items) == ["staging"], "the table")
        assert store.load("staging") is not None          # only prod's sign-in is forgotten

        text = config_text()
        assert "# call-console settings — hand-written, keep this comment" in text
        assert "# where I am" in text
        assert 'active_env = "staging"' in text


async def test_test_connection_shows_user_tenant_and_quota(sim):
    write_config(COMMENTED + f'\n[environments.staging]\nbase_url = "{FAKE_BASE}"\n'
                 'auth = "login"\n')
    store = TokenStore()
    await sign_in(resolve_target(Settings(), "staging"), "demo", "demo", store=store)
    place_direct(sim, LONG_CALL)                            # 1 of 2 concurrent calls
    app = app_for(screen="settings", env="staging", probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _settings_ready(pilot)
        screen.select("staging")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: screen.test_result.startswith(("✔", "✖")), "the test")
        result = screen.test_result
        assert result.startswith("✔ connected"), result
        assert "user demo (business)" in result
        assert f"tenant {TENANT}" in result
        assert "concurrent calls: 1 of 2 (1 free)" in result
        assert "this month: 1 of 10000 calls" in result
        assert "status: active" in result

        # prod is not the one in use and has no sign-in: it says so (no request to it is made
        # with another environment's tokens).
        screen.select("prod")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: screen.test_result.startswith("✖"), "the second test")
        assert "prod" in screen.test_result


async def test_preferences_are_checked_saved_with_comments_and_applied(sim):
    write_config(COMMENTED)
    app = app_for(screen="settings", probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _settings_ready(pilot)
        assert screen.query_one("#pref-default_region").value == "US"
        assert screen.query_one("#pref-operator").value == "tester"

        await type_into(pilot, "#pref-default_region", "ZZ")
        await type_into(pilot, "#pref-poll_concurrency", "0")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "ZZ" in screen.pref_error("default_region")
        assert "greater than or equal to 1" in screen.pref_error("poll_concurrency")
        assert "Not saved" in screen.prefs_status
        assert 'default_region = "US"' in config_text()

        await type_into(pilot, "#pref-default_region", "gb")
        await type_into(pilot, "#pref-poll_concurrency", "4")
        await type_into(pilot, "#pref-operator", "alice")
        screen.query_one("#pref-theme").value = "textual-light"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Saved" in screen.prefs_status, "saved")
        text = config_text()
        assert "# call-console settings — hand-written, keep this comment" in text
        assert "# the real one" in text
        assert 'default_region = "GB"' in text and "poll_concurrency = 4" in text
        assert 'operator = "alice"' in text
        assert app.default_region == "GB"                 # applied at once
        assert app.session.operator == "alice"
        assert app.theme == "textual-light" and 'theme = "textual-light"' in text
        assert not screen.pref_error("default_region")

        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.prefs_status == "Nothing changed."


async def test_an_operator_given_on_the_command_line_cannot_be_changed_here(sim):
    write_config(COMMENTED)
    app = app_for(screen="settings", probe_agents=False)
    app.operator = "bob"                                   # as `--operator bob` sets it
    async with app.run_test(size=WIDE) as pilot:
        screen = await _settings_ready(pilot)
        operator = screen.query_one("#pref-operator")
        assert operator.disabled
        assert "--operator" in str(screen.query_one("#pref-operator-note").render())


async def test_the_switcher_changes_environment_and_asks_to_sign_in(sim):
    write_config(COMMENTED + f'\n[environments.staging]\nbase_url = "{FAKE_BASE}"\n'
                 'auth = "login"\n')
    await sign_in(resolve_target(Settings(), "staging"), "demo", "demo", store=TokenStore())
    app = app_for(env="staging")
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.health == "ok", "online on staging")
        header = app.screen.query_one("ConsoleHeader")
        assert str(header.query_one("#env").render()) == "staging"
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentSwitcher), "switcher")
        await pilot.press("up")                           # prod comes first
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.env_name == "prod", "switched")
        # prod has no sign-in: the login modal opens for it.
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen), "the login modal")
        assert "api.example.com" in str(app.screen.query_one("#login-target").render())
        await pilot.press("escape")
        await pilot.pause()
        assert str(app.screen.query_one("ConsoleHeader").query_one("#env").render()) == "prod"


def test_settings_snapshot(snap_compare, sim):
    write_config(COMMENTED + f'\n[environments.staging]\nbase_url = "{FAKE_BASE}"\n'
                 'auth = "login"\nusername = "demo"\n')

    # Signed in before the app starts: signing in from run_before raced the app's own start,
    # which (when it won, under load) found no token and opened the sign-in dialog.
    asyncio.run(sign_in(resolve_target(Settings(), "staging"), "demo", "demo",
                        store=TokenStore()))

    async def run_before(pilot) -> None:
        screen = await _settings_ready(pilot)
        screen.reload()
        await idle(pilot)
        screen.select("staging")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: screen.test_result.startswith(("✔", "✖")), "the test")
        await idle(pilot)
        pilot.app.clear_notifications()
        no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(app_for(screen="settings", env="staging", probe_agents=False),
                        terminal_size=WIDE, run_before=run_before)


async def test_after_adding_an_environment_its_row_has_the_cursor_and_the_arrows_move(sim):
    write_config(COMMENTED)
    app = app_for(screen="settings", probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        screen = await _settings_ready(pilot)
        table = screen.query_one("#env-table")
        assert app.focused is table                      # the arrows act on the environments
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentEditor), "the editor")
        await type_into(pilot, "#name", "staging")
        await type_into(pilot, "#base_url", FAKE_BASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.selected_name == "staging", "the new row selected")
        assert app.focused is table
        await pilot.press("up")
        assert screen.selected_name == "prod"
        await pilot.press("down")
        assert screen.selected_name == "staging"
