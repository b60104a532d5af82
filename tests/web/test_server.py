"""serve-web's sign-in, over real HTTP and WebSocket on 127.0.0.1: what is refused before any
console starts, the cookie, the rate limit, and the rules each tab's console runs under."""

# ruff: noqa: F811  (pytest fixtures imported from web_helpers, used as arguments)
from __future__ import annotations

import asyncio
import secrets

import pytest

WEB_EXTRA = "serve-web needs the web extra: pip install 'call-console[web]'"
pytest.importorskip("textual_serve", reason=WEB_EXTRA)
aiohttp = pytest.importorskip("aiohttp", reason=WEB_EXTRA)

from waiting import poll
from web_helpers import PASSWORDS, audit_records, parse_standin, pid_alive, wait_for_record
from web_helpers import web_lab, web_server  # noqa: F401  (fixtures)

from console.store.exchange import ExchangeFolder


async def open_tab(server, cookie: str | None, *, origin: str | None = None,
                   width: int = 100, height: int = 30, extra_headers: dict | None = None):
    """(client session, WebSocket) of one console tab; the caller closes the session."""
    headers = {"Origin": origin or server.url, **(extra_headers or {})}
    if cookie is not None:
        headers["Cookie"] = f"call_console_session={cookie}"
    http = aiohttp.ClientSession()
    try:
        ws = await http.ws_connect(f"{server.url.replace('http', 'ws', 1)}/ws?width={width}"
                                   f"&height={height}", headers=headers, ssl=False)
    except BaseException:
        await http.close()
        raise
    return http, ws


async def read_until(ws, marker: bytes, timeout: float = 15.0) -> bytes:
    """Binary frames until `marker` is in them (or the socket closes: then what came)."""
    seen = b""

    async def loop():
        nonlocal seen
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                seen += message.data
                if marker in seen:
                    return

    await asyncio.wait_for(loop(), timeout)
    return seen


async def refused_status(server, cookie: str | None, **options) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        http, _ = await open_tab(server, cookie, **options)
        await http.close()
    return refused.value.status


def kinds_for(data, **match) -> list[str]:
    return [r["kind"] for r in audit_records(data)
            if all(r.get(k) == v for k, v in match.items())]


# -- binding --------------------------------------------------------------------------------


def test_binds_loopback_by_default(web_server):
    assert web_server.lines[0] == f"call-console serve-web listening on 127.0.0.1:{web_server.port}"
    assert any(line.startswith("accounts: ") and "2 accounts" in line
               for line in web_server.lines)


@pytest.mark.parametrize("args, message", [
    (("--host", "0.0.0.0"), "needs TLS (--tls-cert/--tls-key) or a TLS proxy in front"),
    (("--host", "192.0.2.10"), "is not a loopback address"),
    (("--host", "0.0.0.0", "--tls-cert", "FILE"), "--tls-cert and --tls-key go together"),
])
def test_a_public_host_needs_tls_or_a_proxy(web_lab, args, message):
    from click.testing import CliRunner

    from console.cli import main

    args = [str(web_lab.users) if arg == "FILE" else arg for arg in args]
    result = CliRunner().invoke(main, ["serve-web", "--port", "0", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- before sign-in -------------------------------------------------------------------------


def test_without_a_cookie_every_page_sends_to_the_sign_in(web_server):
    with web_server.client() as http:
        response = http.get("/")
        assert response.status_code == 303 and response.headers["location"] == "/login"
        form = http.get("/login")
        assert form.status_code == 200 and 'name="password"' in form.text
        assert form.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in form.headers["content-security-policy"]


async def test_websocket_without_a_session_is_refused_and_starts_nothing(web_lab, web_server):
    before = len(kinds_for(web_lab.data, kind="session_start"))
    assert await refused_status(web_server, None) == 401
    assert await refused_status(web_server, secrets.token_urlsafe(32)) == 401  # a made-up one
    refusals = [r for r in audit_records(web_lab.data)
                if r["kind"] == "session_refused" and r["reason"] == "not-signed-in"]
    assert len(refusals) >= 2 and refusals[-1]["face"] == "web"
    assert len(kinds_for(web_lab.data, kind="session_start")) == before


def test_a_bad_cookie_is_not_a_session(web_server):
    with web_server.client() as http:
        http.cookies.set("call_console_session", "forged-" + secrets.token_urlsafe(32))
        assert http.get("/").status_code == 303


def test_wrong_password_is_refused_and_audited_without_the_password(web_lab, web_server):
    typed = "not-alices-password-" + secrets.token_hex(4)
    response = web_server.sign_in("alice", typed)
    assert response.status_code == 401
    assert "Wrong name or password." in response.text
    assert "set-cookie" not in response.headers
    assert 'value="alice"' in response.text  # the typed name is kept
    record = wait_for_record(web_lab.data, lambda r: r["kind"] == "auth_refused"
                             and r.get("username") == "alice", "auth_refused for alice")
    assert record["method"] == "password" and record["operator"] is None
    unknown = web_server.sign_in("nobody", typed)
    assert unknown.status_code == 401 and "Wrong name or password." in unknown.text
    for text in ((web_lab.data / "audit.jsonl").read_text(), web_server.stderr()):
        assert typed not in text


def test_a_cross_site_form_cannot_sign_in(web_server):
    response = web_server.sign_in("alice", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and "set-cookie" not in response.headers


# -- the cookie -----------------------------------------------------------------------------


def test_sign_in_sets_an_httponly_strict_cookie(web_lab, web_server):
    response = web_server.sign_in("alice")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age", "samesite"} <= flags
    assert "SameSite=Strict" in cookie
    assert "secure" not in flags  # plain HTTP on loopback: a Secure cookie would not come back
    value = response.cookies["call_console_session"]
    assert len(value) >= 40
    with web_server.client() as http:
        http.cookies.set("call_console_session", value)
        page = http.get("/")
    assert page.status_code == 200 and "signed in as <b>alice</b>" in page.text
    assert f'data-session-websocket-url="ws://127.0.0.1:{web_server.port}/ws"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_under_tls_the_cookie_is_secure(web_lab, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    server = web_lab.server("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert server.lines[-1] == f"open: https://127.0.0.1:{server.port}/"
        response = server.sign_in("bob")
        assert response.status_code == 303
        assert "; Secure" in response.headers["set-cookie"] or \
            "secure" in response.headers["set-cookie"].lower().split("; ")
        with server.client(verify=False) as http:
            http.cookies.set("call_console_session", response.cookies["call_console_session"])
            page = http.get("/")
        assert f"wss://127.0.0.1:{server.port}/ws" in page.text
    finally:
        server.stop()


def self_signed_certificate(directory):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


# -- the rate limit -------------------------------------------------------------------------


def test_failed_sign_ins_are_rate_limited_per_client_and_per_name(web_lab):
    # Behind a proxy the client is the last X-Forwarded-For entry: two clients on one socket.
    server = web_lab.server("--behind-proxy", "--login-limit", "3")
    try:
        first = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(3):
            assert server.sign_in("bob", "wrong password!", headers=first).status_code == 401
        limited = server.sign_in("bob", headers=first)  # the right password, too late
        assert limited.status_code == 429
        assert 0 < int(limited.headers["retry-after"]) <= 300
        assert "Too many failed sign-ins" in limited.text and "set-cookie" not in limited.headers
        # bob's name is limited from another client too; alice from there is not.
        other = {"X-Forwarded-For": "198.51.100.9, 203.0.113.8"}
        assert server.sign_in("bob", headers=other).status_code == 429
        assert server.sign_in("alice", headers=other).status_code == 303
        # The first client stays limited for every name.
        assert server.sign_in("alice", headers=first).status_code == 429
        limited_records = [r for r in audit_records(web_lab.data)
                           if r["kind"] == "auth_refused" and r["reason"] == "rate-limited"]
        assert {r["client"] for r in limited_records} >= {"203.0.113.7", "203.0.113.8"}
    finally:
        server.stop()


# -- a console tab --------------------------------------------------------------------------


async def test_a_tab_runs_its_own_console_as_the_operator(web_lab, web_server):
    cookie = web_server.cookie("alice")
    http, ws = await open_tab(web_server, cookie, width=9999, height=9999)
    try:
        report = parse_standin(await read_until(ws, b" END"))
    finally:
        await ws.close()
        await http.close()
    env = report["env"]
    assert env["CALL_CONSOLE_OPERATOR"] == "alice"
    session = env["CALL_CONSOLE_SSH_SESSION"]
    assert session.startswith("web-") and env["CALL_CONSOLE_WEB_SESSION"] == session
    assert (env["COLUMNS"], env["ROWS"]) == ("500", "200")  # clamped like serve-ssh
    assert env["TEXTUAL_DRIVER"] == "textual.drivers.web_driver:WebDriver"
    assert report["pgid"] == report["pid"] == report["sid"]  # its own session and group
    # File dialogs are confined to alice's exchange folder, as in an SSH session.
    folder = ExchangeFolder.current(environ=env)
    assert folder.confined and folder.folder.name == "alice"
    # No password or cookie reaches the child.
    everything = " ".join(report["argv"]) + " ".join(f"{k}={v}" for k, v in env.items())
    for secret in (*PASSWORDS.values(), cookie):
        assert secret not in everything
    end = wait_for_record(web_lab.data, lambda r: r["kind"] == "session_end"
                          and r.get("session") == session, "session_end")
    assert end["reason"] == "disconnect" and end["exit_status"] == 0
    start = next(r for r in audit_records(web_lab.data)
                 if r["kind"] == "session_start" and r.get("session") == session)
    assert start["operator"] == "alice" and start["size"] == "500x200"
    poll(lambda: not pid_alive(report["pid"]), "the child to exit", 10, 0.05)


async def test_keys_reach_the_console_and_its_own_exit_closes_the_tab(web_lab, web_server):
    http, ws = await open_tab(web_server, web_server.cookie("bob"))
    try:
        report = parse_standin(await read_until(ws, b" END"))
        await ws.send_json(["stdin", "+1415"])
        assert b"ECHO +1415" in await read_until(ws, b"ECHO +1415")
        await ws.send_json(["stdin", "EXIT"])
        message = await asyncio.wait_for(ws.receive(), 15)
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    finally:
        await http.close()
    session = report["env"]["CALL_CONSOLE_SSH_SESSION"]
    end = wait_for_record(web_lab.data, lambda r: r["kind"] == "session_end"
                          and r.get("session") == session, "session_end")
    assert end["reason"] == "exit" and end["exit_status"] == 3


async def test_a_cross_site_websocket_is_refused(web_server):
    cookie = web_server.cookie("alice")
    assert await refused_status(web_server, cookie, origin="https://evil.example") == 403


async def test_one_console_over_the_cap_is_told_and_closed(web_lab, web_server):
    cookie = web_server.cookie("bob")
    tabs = [await open_tab(web_server, cookie) for _ in range(2)]
    try:
        for _, ws in tabs:
            await read_until(ws, b" END")
        http, ws = await open_tab(web_server, cookie)
        try:
            said = await read_until(ws, b"try again later.")
            assert b"too many sessions (the limit is 2)" in said
            assert ws.closed or (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE,
                                                               aiohttp.WSMsgType.CLOSED)
        finally:
            await http.close()
    finally:
        for http, ws in tabs:
            await ws.close()
            await http.close()
    assert any(r["kind"] == "session_refused" and r["reason"] == "max-sessions"
               and r["operator"] == "bob" for r in audit_records(web_lab.data))


async def test_sign_out_ends_the_tabs_and_the_cookie(web_lab, web_server):
    cookie = web_server.cookie("alice")
    http, ws = await open_tab(web_server, cookie)
    try:
        report = parse_standin(await read_until(ws, b" END"))
        with web_server.client() as client:
            client.cookies.set("call_console_session", cookie)
            out = client.post("/logout", headers={"Origin": web_server.url})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert "Max-Age=0" in out.headers["set-cookie"]
        assert b"signed out: session closed" in await read_until(ws, b"session closed")
    finally:
        await http.close()
    session = report["env"]["CALL_CONSOLE_SSH_SESSION"]
    end = wait_for_record(web_lab.data, lambda r: r["kind"] == "session_end"
                          and r.get("session") == session, "session_end")
    assert end["reason"] == "signed-out"
    assert any(r["kind"] == "disconnect" and r["reason"] == "sign-out"
               for r in audit_records(web_lab.data))
    assert await refused_status(web_server, cookie) == 401


async def test_idle_timeout_closes_the_tab_and_ends_the_console(web_lab):
    server = web_lab.server("--idle-timeout", "1")
    try:
        cookie = server.cookie("bob")
        http, ws = await open_tab(server, cookie)
        try:
            report = parse_standin(await read_until(ws, b" END"))
            said = await read_until(ws, b"session closed")
            assert b"idle timeout: session closed" in said
        finally:
            await http.close()
        session = report["env"]["CALL_CONSOLE_SSH_SESSION"]
        end = wait_for_record(web_lab.data, lambda r: r["kind"] == "session_end"
                              and r.get("session") == session, "session_end")
        assert end["reason"] == "idle-timeout"
        poll(lambda: not pid_alive(report["pid"]), "the child to exit", 10, 0.05)
    finally:
        server.stop()


async def test_server_shutdown_ends_every_console(web_lab):
    server = web_lab.server()
    try:
        http, ws = await open_tab(server, server.cookie("alice"))
        try:
            report = parse_standin(await read_until(ws, b" END"))
            await asyncio.get_running_loop().run_in_executor(None, server.stop)
            said = await read_until(ws, b"session closed")
            assert b"server shutting down: session closed" in said
        finally:
            await http.close()
    finally:
        server.stop()
    session = report["env"]["CALL_CONSOLE_SSH_SESSION"]
    end = wait_for_record(web_lab.data, lambda r: r["kind"] == "session_end"
                          and r.get("session") == session, "session_end")
    assert end["reason"] == "server-shutdown" and end["exit_status"] == 0
    assert not pid_alive(report["pid"])


async def test_a_removed_account_opens_no_new_console(web_lab, web_server):
    from console.web import accounts

    accounts.set_password(web_lab.users, "carol", "carol's password")
    cookie = web_server.cookie("carol", password="carol's password")
    accounts.remove(web_lab.users, "carol")  # `web-users remove carol`, no restart
    assert await refused_status(web_server, cookie) == 401
    assert web_server.sign_in("carol", "carol's password").status_code == 401
    assert any(r["kind"] == "session_refused" and r["reason"] == "account-removed"
               and r["operator"] == "carol" for r in audit_records(web_lab.data))
