"""The login modal against a real simulator with short-lived (1 s) tokens: the console keeps working
across expiries (refresh before expiry, rotation stored), and when the refresh token is spent it
asks to sign in again with the Call form's values and the session untouched."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from account_helpers import (
    AGENT,
    FAKE_BASE,
    LONG_CALL,
    WIDE,
    app_for,
    env_config,
    idle,
    login_shown,
    no_blink,
    posts_seen,
    route_api,
    start_sim,
    type_into,
    wait_for,
    write_config,
)

from console.account.sign_in import RefreshingAuth, sign_in
from console.config.settings import Settings
from console.account.environments import resolve_target
from console.store.secrets import TokenStore
from console.tracker.schedule import PollPolicy
from console.tui.dialogs.login import LoginScreen

ACCESS_TTL = 1.0


@pytest.fixture
def short_sim(monkeypatch):
    sim = start_sim(access_ttl=ACCESS_TTL)
    route_api(monkeypatch, sim)
    try:
        yield sim
    finally:
        sim.stop()


async def _call_screen_ready(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.session_ready and getattr(app.screen, "form_ready", False)
                   and app.screen.checks_ready, "the call form")


async def _send_and_wait(pilot, screen) -> str:
    await wait_for(pilot, lambda: screen.can_send, "send enabled")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not screen.sending.in_flight and screen.outcome.state != "-busy",
                   "the send to finish")
    return screen.outcome.state


async def test_relogin_keeps_the_form_and_the_session_across_expiries(short_sim):
    write_config(env_config("staging"))
    target = resolve_target(Settings(), None)
    store = TokenStore()
    await sign_in(target, "demo", "demo", store=store)     # as `call-console login` does
    app = app_for()
    # This test is about Send meeting the spent refresh token: the call tracker's own polls of
    # the placed calls would race it to the login modal, so they are off here.
    app.live.polling = False
    async with app.run_test(size=WIDE) as pilot:
        await _call_screen_ready(pilot)
        await wait_for(pilot, lambda: app.health == "ok", "the probe")
        call_screen = app.screen
        values = {"agent_id": AGENT.agent_id, "to_number": "+14155550000",
                  "display_name": "Relogin check"}
        call_screen.set_values(values)
        await pilot.pause()
        auth = app.session.auth
        assert isinstance(auth, RefreshingAuth)
        first_refresh = store.load("staging").refresh_token

        # Several expiries: each send after the access token lapsed refreshes it first.
        for _ in range(3):
            assert await _send_and_wait(pilot, call_screen) == "-ok"
            await asyncio.sleep(ACCESS_TTL + 0.2)
        assert auth.refresh_count >= 2
        rotated = store.load("staging")
        assert rotated.refresh_token != first_refresh          # each rotation was stored

        # Someone else spends the stored refresh token (single use): the next refresh fails.
        with httpx.Client(base_url=short_sim.base_url, timeout=5) as other:
            other.post("/auth/refresh",
                       json={"refresh_token": rotated.refresh_token}).raise_for_status()
        await asyncio.sleep(ACCESS_TTL + 0.2)
        before = posts_seen(short_sim)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: login_shown(app), "the login modal")
        login: LoginScreen = app.screen
        assert posts_seen(short_sim) == before                  # nothing was placed
        assert call_screen.outcome.state == "-error"
        assert {k: call_screen.values()[k] for k in values} == values
        assert app.session.auth is auth                         # the same session carries on

        # A wrong password: the error is at the password field, the modal stays.
        assert app.screen.query_one("#username").value == "demo"
        await type_into(pilot, "#password", "wrong")
        await pilot.press("enter")
        await wait_for(pilot, lambda: login.field_error("password"), "the password error")
        assert "Incorrect username or password" in login.field_error("password")
        assert isinstance(app.screen, LoginScreen)

        await type_into(pilot, "#password", "demo")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is call_screen, "the modal to close")
        assert {k: call_screen.values()[k] for k in values} == values
        assert app.session.auth is auth                         # new tokens, same auth/client
        assert await _send_and_wait(pilot, call_screen) == "-ok"
        assert posts_seen(short_sim) == before + 1
        # ...and it keeps refreshing on its own after the new sign-in.
        refreshes = auth.refresh_count
        await asyncio.sleep(ACCESS_TTL + 0.2)
        assert await _send_and_wait(pilot, call_screen) == "-ok"
        assert auth.refresh_count == refreshes + 1


async def test_polling_that_needs_a_sign_in_opens_the_modal_and_resumes_after_it(short_sim):
    """No key pressed: the tracker's polls answer "sign in again", the modal opens; after the
    sign-in the live call is read again at once (not when the 30 s pause would have ended)."""
    write_config(env_config("staging"))
    store = TokenStore()
    await sign_in(resolve_target(Settings(), None), "demo", "demo", store=store)
    app = app_for()
    assert app.live.policy is None and PollPolicy().auth_pause >= 30  # the default 30 s pause
    async with app.run_test(size=WIDE) as pilot:
        await _call_screen_ready(pilot)
        await wait_for(pilot, lambda: app.health == "ok", "the probe")
        call_screen = app.screen
        call_screen.set_values({"agent_id": AGENT.agent_id, "to_number": LONG_CALL})
        assert await _send_and_wait(pilot, call_screen) == "-ok"
        tracker = app.tracker
        await wait_for(pilot, lambda: tracker.stats().last_ok is not None, "a first poll")

        spent = store.load("staging").refresh_token
        with httpx.Client(base_url=short_sim.base_url, timeout=5) as other:
            other.post("/auth/refresh", json={"refresh_token": spent}).raise_for_status()
        await wait_for(pilot, lambda: login_shown(app), "the login modal",
                       timeout=20)
        assert "sign in again" in (tracker.stats().last_error or "").lower()
        assert tracker.stats().backoff_until is not None        # polling is paused meanwhile
        before = tracker.stats().last_ok
        await type_into(pilot, "#password", "demo")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is call_screen, "signed in")
        assert tracker.stats().backoff_until is None             # resumed by the sign-in
        await wait_for(pilot, lambda: tracker.stats().last_ok > before, "polling again",
                       timeout=8)
        assert LONG_CALL in [c.to_number for c in tracker.calls()]


async def test_not_signed_in_opens_the_modal_and_a_pasted_token_signs_in(short_sim):
    write_config(env_config("staging"))                   # an environment, nothing stored
    app = app_for()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: login_shown(app), "the login modal")
        login: LoginScreen = app.screen
        assert "staging" in str(login.query_one("#login-target").render())

        # Nothing typed: errors at the fields, nothing sent.
        await type_into(pilot, "#username", "")
        await pilot.click("#sign-in")
        await wait_for(pilot, lambda: login.field_error("username"), "the errors")
        assert "username" in login.field_error("username")
        assert "password" in login.field_error("password")

        # A token the API refuses: the error is at the token field, which is cleared.
        await type_into(pilot, "#token", "not-a-real-token")
        await pilot.press("enter")
        await wait_for(pilot, lambda: login.field_error("token"), "the token error")
        assert "refused" in login.field_error("token")
        assert login.query_one("#token").value == ""
        assert "not-a-real-token" not in _screen_text(app)

        await type_into(pilot, "#token", short_sim.token)
        await pilot.press("enter")      # (a click right after the last one would be ignored:
        #                                 a Button ignores clicks while it shows as pressed)
        await wait_for(pilot, lambda: not isinstance(app.screen, LoginScreen), "signed in")
        await wait_for(pilot, lambda: app.health == "ok", "the probe after signing in")
        assert app.session.me is not None and app.session.me.username == "demo"
        stored = TokenStore().load("staging")
        assert stored is not None and not stored.refreshable   # a pre-issued token, kept as is
        await idle(pilot)
        header = app.screen.query_one("ConsoleHeader")
        assert "demo@5f0c1d2e" in str(header.query_one("#user").render())
        assert short_sim.token not in _screen_text(app)


async def test_escape_closes_the_modal_and_ctrl_l_opens_it_again(short_sim):
    write_config(env_config("staging"))
    app = app_for()
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: login_shown(app), "the login modal")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LoginScreen), "closed")
        assert app.health_text == "sign-in needed"
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: login_shown(app), "opened again")


def _screen_text(app) -> str:
    import re

    svg = app.export_screenshot()
    return re.sub(r"<[^>]+>", "", svg).replace("&#160;", " ")


def test_login_modal_snapshot(snap_compare, short_sim):
    write_config(env_config("staging"))

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: login_shown(app), "the login modal")
        await type_into(pilot, "#password", "wrong")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.field_error("password"), "the error")
        await idle(pilot)
        app.clear_notifications()
        no_blink(app)
        await pilot.pause()

    assert FAKE_BASE.startswith("http://sim.test")
    # Over the Settings screen: the picture is the modal's, not the Call form's (which has its
    # own snapshots and changes on its own).
    assert snap_compare(app_for(probe_agents=False, screen="settings"), terminal_size=WIDE,
                        run_before=run_before)


async def test_the_caret_starts_where_typing_is_needed(tui):
    app = tui.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.session_ready, "session")
        for username, caret in (("", "username"), ("ann", "password")):
            screen = LoginScreen(username=username or None)
            app.push_screen(screen)
            await wait_for(pilot, lambda: app.screen is screen and screen.focused is not None,
                           "the dialog")
            assert screen.focused.id == caret
            app.pop_screen()
            await wait_for(pilot, lambda: not screen.is_attached, "the dialog gone")


async def test_a_sign_in_dialog_closed_while_it_mounts_is_no_error(tui):
    """The app quitting while the sign-in dialog mounts (an --env start-up that asks to sign in,
    then the end of the run) removed its children before its Mount was handled: the focus
    lookup raised NoMatches and the app ended with a traceback (seen in a loaded suite run)."""
    app = tui.app(connected=False)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.session_ready, "session")
        closing = LoginScreen()
        app.push_screen(closing)
        closing.remove_children()        # what the app's shutdown does to a screen mid-mount
