"""Signing in for real against the simulator: refresh before expiry and after a 401, rotation
stored, failed refresh → "sign in again", a private token file, and no token in any output.

The simulator's access tokens live 1 real second here, so a few short sleeps cross several
expiries; nothing asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from console import paths
from console.api import errors
from console.api.client import ApiClient
from console.api.models import TokenPair
from console.account.sign_in import NotSignedIn, RefreshingAuth, auth_for, refresh_margin, sign_in
from console.config.settings import load_settings
from console.account.environments import Environment, Target, add_environment, load_environments
from console.account.session import ConsoleSession
from console.sim.state import DEMO_AGENTS
from console.store.secrets import StoredTokens, TokenStore

AGENT = DEMO_AGENTS[1].agent_id
COMMAND = str(Path(sys.executable).with_name("call-console"))
TTL = 1.0
PAST_EXPIRY = TTL + 0.3

#: Runs the CLI with every logger at DEBUG into a file (the first argument).
DEBUG_WRAPPER = (
    "import logging, sys\n"
    "logging.basicConfig(filename=sys.argv.pop(1), level=logging.DEBUG,\n"
    "                    format='%(asctime)s %(name)s %(levelname)s %(message)s')\n"
    "from console.cli import main\n"
    "main(prog_name='call-console')\n"
)

OUTPUTS: list[str] = []


@pytest.fixture(autouse=True)
def file_backend(monkeypatch):
    monkeypatch.setenv("CALL_CONSOLE_KEYRING", "0")
    for name in ("CALL_CONSOLE_ENV", "CI_CALL_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def cli(*args: str, stdin: str | None = None, env: dict | None = None,
        log: Path | None = None) -> subprocess.CompletedProcess:
    command = ([sys.executable, "-c", DEBUG_WRAPPER, str(log)] if log else [COMMAND])
    result = subprocess.run([*command, *args], input=stdin, capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=60)
    OUTPUTS.append(result.stdout + result.stderr)
    return result


def stats(sim) -> dict[str, int]:
    data = httpx.get(f"{sim.base_url}/_sim/stats").json()
    return data.get("requests", data)


def clear_stats(sim) -> None:
    httpx.delete(f"{sim.base_url}/_sim/stats").raise_for_status()


@pytest.fixture
def short_sim(make_sim):
    return make_sim(access_ttl=TTL, time_scale=50.0, seed=3)


@pytest.fixture
def signed_in(short_sim):
    """`env add sim URL --use` then `login --password-stdin` through the installed command."""
    added = cli("env", "add", "sim", short_sim.base_url, "--username", "demo", "--use")
    assert added.returncode == 0, added.stderr
    login = cli("login", "--password-stdin", stdin="demo\n")
    assert login.returncode == 0, login.stderr
    assert "signed in to environment 'sim'" in login.stdout and "demo" in login.stdout
    return short_sim


def stored(name: str = "sim") -> StoredTokens:
    tokens = TokenStore().load(name)
    assert tokens is not None
    return tokens


def target_of(sim, name: str = "sim") -> Target:
    add_environment(Environment(name, sim.base_url), replace=True)
    env = load_environments().get(name)
    return Target(name=name, base_url=env.base_url, auth="login", source="--env", environment=env)


# --------------------------------------------------------------------------- the CLI


def test_cli_keeps_working_across_expiries_and_stores_each_rotation(signed_in):
    seen = {stored().refresh_token}
    for _ in range(3):
        time.sleep(PAST_EXPIRY)  # the access token has expired on the server
        who = cli("whoami", "--json")
        assert who.returncode == 0, who.stderr
        me = json.loads(who.stdout)
        assert (me["username"], me["role"], me["env"], me["auth"]) == (
            "demo", "business", "sim", "login")
        assert me["tenant_id"] == DEMO_AGENTS[1].tenant_id
        listed = cli("call", "list", "--agent", AGENT, "--limit", "3", "--json")
        assert listed.returncode == 0, listed.stderr
        rotated = stored().refresh_token
        assert rotated not in seen  # the new refresh token was saved by that command
        seen.add(rotated)
    assert stats(signed_in).get("POST /auth/refresh", 0) >= 3


def test_cli_refreshes_once_after_a_401(signed_in):
    # The client believes its token is good for an hour; the server let it expire.
    before = stored()
    TokenStore().save("sim", replace(before, expires_at=time.time() + 3600))
    time.sleep(PAST_EXPIRY)
    clear_stats(signed_in)
    who = cli("whoami", "--json")
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["username"] == "demo"
    counts = stats(signed_in)
    assert counts.get("GET /auth/me") == 2  # refused, then sent again with the new token
    assert counts.get("POST /auth/refresh") == 1
    after = stored()
    assert after.refresh_token != before.refresh_token
    assert after.access_token != before.access_token


def test_spent_refresh_token_asks_to_sign_in_again(signed_in):
    # Someone else used the refresh token (it rotates: single use), then the access expires.
    spent = httpx.post(f"{signed_in.base_url}/auth/refresh",
                       json={"refresh_token": stored().refresh_token})
    assert spent.status_code == 200
    time.sleep(PAST_EXPIRY)
    for args in (["whoami"], ["call", "list", "--agent", AGENT]):
        result = cli(*args)
        assert result.returncode == 1
        assert "sign in again" in result.stderr
        assert "call-console login --env sim" in result.stderr
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    again = cli("login", "--password-stdin", stdin="demo\n")
    assert again.returncode == 0, again.stderr
    assert cli("whoami").returncode == 0


def test_processes_sharing_the_store_refresh_once(sim_clean):
    """Several commands at once with a token due for refresh: one refreshes, the others adopt
    what it stored (the refresh token is single use: without the shared lock they would fail)."""
    assert cli("env", "add", "long", sim_clean.base_url, "--use").returncode == 0
    assert cli("login", "-u", "demo", "--password-stdin", stdin="demo\n").returncode == 0
    # Due for refresh on the client's clock; still valid (24 h) on the server's.
    TokenStore().save("long", replace(stored("long"), expires_at=time.time() - 1))
    clear_stats(sim_clean)
    runs = [subprocess.Popen([COMMAND, "whoami", "--json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ})
            for _ in range(4)]
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert json.loads(out)["username"] == "demo"
    assert stats(sim_clean).get("POST /auth/refresh") == 1


def test_token_file_is_private_without_a_keyring(signed_in):
    store = TokenStore()
    assert store.backend == "file"
    assert stat.S_IMODE(os.stat(store.file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.file.parent).st_mode) == 0o700
    assert store.file.is_relative_to(paths.data_dir())


def test_wrong_password_and_logout(short_sim):
    assert cli("env", "add", "sim", short_sim.base_url, "--use").returncode == 0
    refused = cli("login", "--username", "demo", "--password-stdin", stdin="nope\n")
    assert refused.returncode == 1 and "refused" in refused.stderr
    assert TokenStore().load("sim") is None
    assert cli("login", "-u", "demo", "--password-stdin", stdin="demo\n").returncode == 0
    out = cli("logout")
    assert out.returncode == 0 and "signed out" in out.stdout
    assert TokenStore().load("sim") is None
    result = cli("whoami")
    assert result.returncode == 1 and "not signed in" in result.stderr


def test_fixed_tokens_never_refresh(short_sim):
    # CALL_CONSOLE_TOKEN overrides, and an auth = "token" environment reads its token_env.
    assert cli("env", "add", "ci", short_sim.base_url, "--auth", "token",
               "--token-env", "CI_CALL_TOKEN").returncode == 0
    clear_stats(short_sim)
    who = cli("--env", "ci", "whoami", "--json", env={"CI_CALL_TOKEN": short_sim.token})
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["auth"] == "$CI_CALL_TOKEN"
    plain = cli("whoami", "--json", env={"CALL_CONSOLE_BASE_URL": short_sim.base_url,
                                         "CALL_CONSOLE_TOKEN": short_sim.token})
    assert plain.returncode == 0 and json.loads(plain.stdout)["auth"] == "CALL_CONSOLE_TOKEN"
    saved = cli("--env", "ci", "login", "--token-stdin", stdin=short_sim.token + "\n")
    assert saved.returncode == 0, saved.stderr
    assert TokenStore().load("ci").refresh_token is None
    assert cli("--env", "ci", "whoami").returncode == 0
    assert stats(short_sim).get("POST /auth/refresh", 0) == 0


def test_no_token_in_any_output_log_or_file(short_sim):
    """Main flows with DEBUG logging to a file; the tokens are only ever in the token store."""
    log = paths.data_dir() / "logs" / "debug.log"
    log.parent.mkdir(parents=True)
    OUTPUTS.clear()
    tokens: set[str] = {short_sim.token}

    def run(*args, stdin=None, code=0):
        result = cli(*args, stdin=stdin, log=log)
        assert result.returncode == code, (args, result.stderr)
        current = TokenStore().load("sim")
        if current is not None:
            tokens.update({current.access_token, current.refresh_token})
        return result

    run("env", "add", "sim", short_sim.base_url, "--username", "demo", "--use")
    run("login", "--password-stdin", stdin="demo\n")
    run("whoami")
    run("whoami", "--json")
    placed = json.loads(run("call", "place", "--agent", AGENT, "--to", "+14155550004",
                            "--json").stdout)
    run("call", "place", "--agent", AGENT, "--to", "+14155550000", "--dry-run")
    run("call", "list", "--agent", AGENT, "--limit", "5")
    time.sleep(PAST_EXPIRY)
    run("call", "status", placed["call_id"])  # refreshes first
    run("call", "end", placed["call_id"])
    run("call", "end", placed["call_id"], code=1)  # 409
    run("call", "status", "00000000-0000-4000-8000-000000000000", code=1)  # 404
    run("login", "--password-stdin", stdin="wrong\n", code=1)
    run("env", "list")
    TokenStore().save("sim", replace(TokenStore().load("sim"), expires_at=time.time() + 3600))
    time.sleep(PAST_EXPIRY)
    run("call", "list", "--agent", AGENT, "--limit", "1")  # 401, refresh, sent again
    tokens.discard(None)
    assert len(tokens) >= 7  # the sim's own, the login's pair and two rotations

    logged = log.read_text()
    assert "HTTP Request" in logged and "access token refreshed" in logged
    for output in OUTPUTS:
        for token in tokens:
            assert token not in output
    store_file = TokenStore().file
    checked = 0
    for root in (paths.config_dir(), paths.data_dir()):
        for path in root.rglob("*"):
            if path.is_file() and path != store_file:
                data = path.read_bytes()
                checked += 1
                for token in tokens:
                    assert token.encode() not in data, f"token found in {path}"
    assert checked >= 2  # config.toml and the debug log at least
    final = TokenStore().load("sim")
    assert final.access_token in store_file.read_text()


# --------------------------------------------------------------------------- in process


async def test_concurrent_requests_refresh_once_before_expiry(sim_clean):
    target = target_of(sim_clean)
    store = TokenStore()
    tokens, _ = await sign_in(target, "demo", "demo", store=store)
    # A clock 30 s before the (24 h) token's expiry: inside the refresh margin.
    offset = tokens.lifetime - 30
    auth = RefreshingAuth(target, store, tokens, clock=lambda: time.time() + offset)
    assert auth.needs_refresh() and refresh_margin(tokens.lifetime) == 60
    clear_stats(sim_clean)
    async with ApiClient(sim_clean.base_url, auth=auth) as client:
        users = await asyncio.gather(*(client.me() for _ in range(8)))
    assert {u.username for u in users} == {"demo"}
    assert auth.refresh_count == 1
    assert stats(sim_clean).get("POST /auth/refresh") == 1
    assert store.load("sim").refresh_token not in (None, tokens.refresh_token)
    assert tokens.access_token not in repr(auth) and tokens.refresh_token not in repr(auth)


async def test_place_call_after_a_401_is_sent_again_and_dials_once(short_sim):
    target = target_of(short_sim)
    store = TokenStore()
    tokens, _ = await sign_in(target, "demo", "demo", store=store)
    wrong = replace(tokens, expires_at=time.time() + 3600)
    await asyncio.sleep(PAST_EXPIRY)
    clear_stats(short_sim)
    auth = RefreshingAuth(target, store, wrong)
    async with ApiClient(short_sim.base_url, auth=auth) as client:
        placed = await client.place_call({"agent_id": AGENT, "to_number": "+14155550004"})
        calls = (await client.list_calls(AGENT)).calls
    assert stats(short_sim).get("POST /calls/outbound") == 2  # refused by auth, then placed
    assert [c.call_id for c in calls if c.to_number == "+14155550004"] == [placed.call_id]
    assert auth.refresh_count >= 1


async def test_failed_refresh_raises_auth_required(sim_clean):
    target = target_of(sim_clean)
    store = TokenStore()
    tokens, _ = await sign_in(target, "demo", "demo", store=store)
    httpx.post(f"{sim_clean.base_url}/auth/refresh", json={"refresh_token": tokens.refresh_token})
    auth = RefreshingAuth(target, store, tokens, clock=lambda: time.time() + 86400)
    async with ApiClient(sim_clean.base_url, auth=auth) as client:
        with pytest.raises(errors.AuthRequired) as caught:
            await client.me()
    message = str(caught.value)
    assert "sign in again" in message and "call-console login --env sim" in message
    assert tokens.access_token not in message and tokens.refresh_token not in message


async def test_403_not_authenticated_also_refreshes_once():
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer old":
            return httpx.Response(403, json={"detail": "Not authenticated"})
        if request.url.path == "/quota":
            return httpx.Response(403, json={"detail": "tenant blocked"})
        return httpx.Response(200, json={"user_id": "u", "username": "x", "role": "admin"})

    refreshed: list[str] = []

    async def refresher(token: str) -> TokenPair:
        refreshed.append(token)
        return TokenPair(access_token="new", refresh_token="r2", expires_in=60)

    target = Target(name="mock", base_url="http://api.test", auth="login", source="--env")
    auth = RefreshingAuth(target, TokenStore(), StoredTokens("old", "r1", time.time() + 60, 60.0),
                          refresher=refresher)
    async with httpx.AsyncClient(base_url="http://api.test", auth=auth,
                                 transport=httpx.MockTransport(handler)) as client:
        assert (await client.get("/auth/me")).status_code == 200
        assert (await client.get("/quota")).status_code == 403  # another 403: no refresh
    assert sent == ["Bearer old", "Bearer new", "Bearer new"]
    assert refreshed == ["r1"]
    assert TokenStore().load("mock").refresh_token == "r2"


def test_auth_for_picks_the_right_source(short_sim, monkeypatch):
    target = target_of(short_sim)
    with pytest.raises(NotSignedIn, match="call-console login --env sim"):
        auth_for(target)
    TokenStore().save("sim", StoredTokens("a", "r", time.time() + 60, 60.0,
                                          base_url="https://elsewhere.example"))
    with pytest.raises(NotSignedIn, match="another URL"):
        auth_for(target)  # never sends tokens to an API they were not issued by
    TokenStore().save("sim", StoredTokens("a", "r", time.time() + 60, 60.0,
                                          base_url=target.base_url))
    assert isinstance(auth_for(target), RefreshingAuth)
    monkeypatch.setenv("CALL_CONSOLE_TOKEN", "fixed")
    assert not isinstance(auth_for(target), RefreshingAuth)


async def test_console_session_signs_in_refreshes_and_resumes(short_sim):
    add_environment(Environment("sim", short_sim.base_url), make_active=True)
    session = ConsoleSession(load_settings())
    assert session.env_name == "sim" and session.host == short_sim.base_url.split("//")[1]
    assert session.needs_login
    client = session.client
    with pytest.raises(errors.AuthRequired):
        await client.me()
    me = await session.login("demo", "demo")
    assert me.username == "demo" and not session.needs_login
    client = session.client
    await asyncio.sleep(PAST_EXPIRY)
    assert (await client.me()).username == "demo"  # refreshed before sending
    assert isinstance(session.auth, RefreshingAuth) and session.auth.refresh_count == 1
    # The refresh token is spent elsewhere: requests ask to sign in again...
    httpx.post(f"{short_sim.base_url}/auth/refresh",
               json={"refresh_token": stored().refresh_token})
    await asyncio.sleep(PAST_EXPIRY)
    with pytest.raises(errors.AuthRequired, match="sign in again"):
        await client.me()
    # ...and after the login modal the same client (and whatever polls with it) carries on.
    await session.login("demo", "demo")
    assert session.client is client
    assert (await client.me()).username == "demo"
    assert session.me.owner_id == DEMO_AGENTS[1].tenant_id
    quota = await session.quota()
    assert quota.tenant_id == session.me.owner_id and quota.max_concurrent_calls is not None
    await session.aclose()


def test_console_session_old_constructor_still_works(sim):
    from console.config.settings import Settings

    session = ConsoleSession(Settings(base_url=sim.base_url, token=sim.token))
    assert session.connected and not session.needs_login
    session.connect("http://127.0.0.1:1", "t")
    assert session.base_url == "http://127.0.0.1:1" and session.auth == "t"


@pytest.mark.parametrize("kind,size", [("huge_body", 50_000_000), ("gzip_bomb", 200_000_000)])
async def test_a_50_mb_refusal_of_the_token_is_cut_at_the_cap_before_the_refresh(
        short_sim, kind, size):
    """The 401 before a refresh is read by the sign-in flow (and by httpx before the retry):
    a hostile server's 50 MB refusal, or 200 MB of it gzipped into 200 KB, must not be read or
    inflated whole (the client caps every other body at 1 MiB)."""
    from memory import peak_growth
    from test_client import arm

    target = target_of(short_sim)
    store = TokenStore()
    tokens, _ = await sign_in(target, "demo", "demo", store=store)
    stale = replace(tokens, expires_at=time.time() + 3600)
    await asyncio.sleep(PAST_EXPIRY)
    arm(short_sim, {"route": "GET /auth/me", "kind": kind, "size": size, "count": 1})
    auth = RefreshingAuth(target, store, stale)
    async with ApiClient(short_sim.base_url, auth=auth) as client:
        with peak_growth() as growth:
            me = await client.me()
    assert me.username == "demo" and auth.refresh_count == 1
    assert growth["mb"] < 30, f"peak memory grew {growth['mb']} MB"
