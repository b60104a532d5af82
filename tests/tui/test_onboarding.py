"""First run with nothing configured: the onboarding view, "Try the demo" (the in-process
simulator, as --demo) and "Connect" (base URL + login or token → a new environment, signed in)."""

from __future__ import annotations

import pytest
from account_helpers import (
    AGENT,
    FAKE_BASE,
    WIDE,
    config_text,
    fixed_clock,
    idle,
    no_blink,
    route_api,
    start_sim,
    type_into,
    wait_for,
    write_config,
)

from console import paths
from console.config.settings import Settings
from console.account.environments import load_environments
from console.sim.state import SimConfig
from console.store.secrets import TokenStore
from console.tui.app import make_app
from console.tui.call.screen import CallScreen
from console.tui.settings.env_switch import EnvironmentSwitcher
from console.tui.dialogs.onboarding import OnboardingScreen


def first_run_app(**kwargs):
    """The console as the CLI starts it on a machine with nothing configured."""
    kwargs.setdefault("sim_config", SimConfig(time_scale=20, max_concurrent_calls=50))
    return make_app(settings=Settings(operator="tester"), clock=fixed_clock, onboarding=True,
                    account_checks=True, **kwargs)


async def onboarding_shown(pilot) -> None:
    """The onboarding view is on screen with its widgets (focus goes to "Try the demo")."""
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, OnboardingScreen)
                   and app.focused is not None, "onboarding")


@pytest.fixture
def sim(monkeypatch):
    server = start_sim()
    route_api(monkeypatch, server)
    try:
        yield server
    finally:
        server.stop()


async def test_try_the_demo_leads_to_the_call_screen_on_the_simulator():
    assert not paths.config_file().exists()
    app = first_run_app()
    async with app.run_test(size=WIDE) as pilot:
        await onboarding_shown(pilot)
        assert app.focused.id == "demo"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, CallScreen), "the call screen")
        await wait_for(pilot, lambda: app.health == "ok" and app.sim is not None, "the demo sim")
        screen: CallScreen = app.screen
        header = screen.query_one("ConsoleHeader")
        assert header.demo and app.demo
        assert app.session.base_url == app.sim.base_url
        # the demo agent is filled in, as with --demo; a number is all it takes
        await wait_for(pilot, lambda: screen.form_ready
                       and screen.field("agent_id").value == AGENT.agent_id, "the demo agent")
        screen.set_values({"to_number": "+14155550000"})
        await wait_for(pilot, lambda: screen.can_send, "ready to send")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.outcome.state == "-ok", "the call placed")
        # who is signed in and the capacity meter, from the simulator
        await wait_for(pilot, lambda: app.account.capacity.quota is not None
                       and app.account.capacity.active == 1, "the quota after the call")
        await pilot.pause()
        assert str(header.query_one("#user").render()) == "demo@5f0c1d2e"
        assert "live 1/50" in str(header.query_one("#capacity").render())
    assert not paths.config_file().exists()               # the demo writes no config


async def test_connect_signs_in_then_writes_the_environment(sim):
    app = first_run_app()
    async with app.run_test(size=WIDE) as pilot:
        await onboarding_shown(pilot)
        onboarding: OnboardingScreen = app.screen
        # Nothing filled in: errors at the fields.
        await pilot.click("#connect")
        await wait_for(pilot, lambda: onboarding.field_error("base-url"), "the errors")
        assert "base URL" in onboarding.field_error("base-url")
        assert onboarding.field_error("username") and onboarding.field_error("password")

        await type_into(pilot, "#env-name", "staging")
        await type_into(pilot, "#base-url", FAKE_BASE)
        await type_into(pilot, "#username", "demo")
        await type_into(pilot, "#password", "nope")
        await pilot.press("enter")
        await wait_for(pilot, lambda: onboarding.field_error("password"), "refused")
        assert "Incorrect username or password" in onboarding.field_error("password")
        assert not paths.config_file().exists()           # nothing written for a bad login
        assert TokenStore().load("staging") is None

        await type_into(pilot, "#password", "demo")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, OnboardingScreen), "connected")
        await wait_for(pilot, lambda: app.health == "ok", "online")
        environments = load_environments()
        assert environments.active == "staging"
        staging = environments.get("staging")
        assert (staging.base_url, staging.auth, staging.username) == (FAKE_BASE, "login", "demo")
        assert TokenStore().load("staging").refreshable
        assert app.session.env_name == "staging"
        await idle(pilot)
        header = app.screen.query_one("ConsoleHeader")
        assert str(header.query_one("#env").render()) == "staging"
        assert str(header.query_one("#user").render()) == "demo@5f0c1d2e"
        assert "password" not in config_text() and "demo\"" in config_text()


async def test_connect_with_a_token(sim):
    app = first_run_app()
    async with app.run_test(size=WIDE) as pilot:
        await onboarding_shown(pilot)
        await type_into(pilot, "#base-url", FAKE_BASE)
        await type_into(pilot, "#token", sim.token)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, OnboardingScreen), "connected")
        await wait_for(pilot, lambda: app.health == "ok", "online")
        assert load_environments().get("main").auth == "token"
        assert sim.token not in config_text()               # the token is in the token store only
        assert not TokenStore().load("main").refreshable


async def test_configured_consoles_skip_onboarding(sim):
    write_config(f'active_env = "staging"\n[environments.staging]\nbase_url = "{FAKE_BASE}"\n')
    app = first_run_app(probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.session_ready, "the session")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, OnboardingScreen)


async def test_environments_without_a_default_open_the_switcher():
    write_config(f'[environments.staging]\nbase_url = "{FAKE_BASE}"\n')
    app = first_run_app(probe_agents=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, EnvironmentSwitcher), "switcher")


def _onboarding_before(_size):
    async def run_before(pilot) -> None:
        app = pilot.app
        await onboarding_shown(pilot)
        await idle(pilot)
        app.clear_notifications()
        no_blink(app)
        await pilot.pause()

    return run_before


def test_onboarding_snapshot(snap_compare):
    # Over the Settings screen: the picture is the onboarding view's, not the Call form's.
    assert snap_compare(first_run_app(screen="settings"), terminal_size=WIDE,
                        run_before=_onboarding_before(WIDE))


def test_onboarding_snapshot_80x24(snap_compare):
    assert snap_compare(first_run_app(screen="settings"), terminal_size=(80, 24),
                        run_before=_onboarding_before((80, 24)))
