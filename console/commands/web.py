"""`call-console serve-web` (the console in a browser, behind a sign-in) and
`call-console web-users` (its operator accounts).

aiohttp and textual-serve (the `[web]` extra) are imported only when `serve-web` runs; a
missing extra is one line naming it. `web-users` is standard library only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from console.commands.common import EXIT_INPUT, fail, is_loopback, settings
from console.commands.remote_options import (
    bound_text, child_command, console_options, forwarded_options, log_to_stderr)

WEB_EXTRA_HINT = "pip install 'call-console[web]'"

_users_option = click.option(
    "--users", "users_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The accounts file (mode 0600).  [default: web_users in the config dir]")


def _users_path(users_file: Path | None) -> Path:
    from console.web.accounts import default_users_path

    return (users_file or default_users_path()).absolute()


@click.command("serve-web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8022, show_default=True,
              help="Port (0 picks a free one; the start line shows it).")
@_users_option
@click.option("--tls-cert", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="Serve HTTPS with this certificate chain (PEM).")
@click.option("--tls-key", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="The certificate's private key (PEM).")
@click.option("--behind-proxy", is_flag=True,
              help="A TLS reverse proxy (nginx, Caddy) is in front: cookies are Secure, the "
                   "client address is the last X-Forwarded-For entry.")
@console_options("browser tab")
@click.option("--quit-grace", type=click.FloatRange(0), default=5.0, hidden=True,
              help="Seconds a console has to quit before SIGTERM.")
@click.option("--login-limit", type=click.IntRange(1), default=5, hidden=True,
              help="Failed sign-ins per client address and per name within --login-window.")
@click.option("--login-window", type=click.FloatRange(1), default=300.0, hidden=True,
              help="Seconds the failed sign-ins are counted over.")
@click.pass_context
def serve_web(ctx: click.Context, host: str, port: int, users_file: Path | None,
              tls_cert: Path | None, tls_key: Path | None, behind_proxy: bool,
              max_sessions: int, idle_timeout: float, command: str | None, quit_grace: float,
              term_grace: float, login_limit: int, login_window: float) -> None:
    """Serve the console to browsers: operators sign in, each tab runs its own console.

    Accounts come from the accounts file (`call-console web-users add NAME`; re-read at every
    sign-in). Binds 127.0.0.1; another address needs --tls-cert/--tls-key, or --behind-proxy
    with a TLS proxy in front (docs/web.md has nginx and Caddy recipes). Each tab's console
    runs as its own process under the operator's name, with the rules of serve-ssh: files
    only in the operator's exchange folder, an idle timeout, a cap on consoles, and audit
    records in audit.jsonl. Console options given before the command are passed on:
    `call-console --demo serve-web` serves the demo console.
    """
    if (tls_cert is None) != (tls_key is None):
        fail("--tls-cert and --tls-key go together", EXIT_INPUT)
    if not is_loopback(host) and tls_cert is None and not behind_proxy:
        fail(f"--host: {host} is not a loopback address; serving it needs TLS "
             "(--tls-cert/--tls-key) or a TLS proxy in front (--behind-proxy)", EXIT_INPUT)
    argv = child_command(command)
    try:
        from console.web.server import WebConfig, serve_forever
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] in ("aiohttp", "textual_serve", "jinja2",
                                                    "aiohttp_jinja2", "multidict", "yarl"):
            fail(f"serve-web needs the web extra: {WEB_EXTRA_HINT}", EXIT_INPUT)
        raise
    import ssl

    from console.account import audit
    from console.store.exchange import ExchangeFolder
    from console.web import accounts

    users_path = _users_path(users_file)
    try:
        listed = accounts.load(users_path)
    except accounts.AccountsError as exc:
        fail(str(exc), EXIT_INPUT)
    problem = accounts.file_problem(users_path)
    if problem:
        fail(f"--users: {problem}", EXIT_INPUT)
    if not listed:
        click.echo(f"warning: {users_path} has no account yet; nobody can sign in until one is "
                   "added with `call-console web-users add NAME` (no restart needed)", err=True)
    exchange = ExchangeFolder.for_settings(settings(), operator="NAME",
                                           environ={audit.SESSION_ENV: "serve-web"})

    log_to_stderr("console.web")

    config = WebConfig(host=host, port=port, users_file=users_path, max_sessions=max_sessions,
                       idle_timeout=idle_timeout, command=argv,
                       child_args=forwarded_options(ctx), quit_grace=quit_grace,
                       term_grace=term_grace, tls_cert=tls_cert, tls_key=tls_key,
                       behind_proxy=behind_proxy, login_limit=login_limit,
                       login_window=login_window)
    scheme = "https" if tls_cert is not None else "http"

    def ready(running) -> None:
        bound = bound_text(running.addresses, host, running.port)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"call-console serve-web listening on {bound}")
        click.echo(f"accounts: {users_path} ({len(listed)} "
                   f"account{'s' if len(listed) != 1 else ''}; re-read at every sign-in)")
        click.echo(f"audit log: {audit.audit_path()}")
        click.echo(f"exchange folders: {exchange.folder} (each operator's files, NAME = the "
                   "operator)")
        click.echo(f"open: {scheme}://{shown}:{running.port}/"
                   + ("  (through your TLS proxy)" if behind_proxy else ""))
        sys.stdout.flush()

    try:
        serve_forever(config, ready)
    except ssl.SSLError as exc:
        fail(f"--tls-cert/--tls-key: {exc.reason or exc}", EXIT_INPUT)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_INPUT)
    except KeyboardInterrupt:
        pass


@click.group("web-users")
def web_users() -> None:
    """Operator accounts of serve-web: names and salted scrypt hashes in a 0600 file."""


@web_users.command("add")
@click.argument("name")
@_users_option
def web_users_add(name: str, users_file: Path | None) -> None:
    """Add an operator NAME, or set a new password for it (asked twice, not shown)."""
    from console.web import accounts

    try:
        accounts.check_name(name)
    except accounts.AccountsError as exc:
        fail(str(exc), EXIT_INPUT)
    path = _users_path(users_file)
    password = click.prompt(f"Password for {name}", hide_input=True,
                            confirmation_prompt="Again", err=True)
    try:
        created = accounts.set_password(path, name, password)
    except accounts.AccountsError as exc:
        fail(str(exc), EXIT_INPUT)
    finally:
        del password
    click.echo(f"{'added' if created else 'new password for'} {name} in {path}")


@web_users.command("remove")
@click.argument("name")
@_users_option
def web_users_remove(name: str, users_file: Path | None) -> None:
    """Remove the operator NAME: no new sign-in or console (open ones run on until closed)."""
    from console.web import accounts

    path = _users_path(users_file)
    try:
        accounts.remove(path, name)
    except accounts.AccountsError as exc:
        fail(str(exc), EXIT_INPUT)
    click.echo(f"removed {name} from {path}")


@web_users.command("list")
@_users_option
def web_users_list(users_file: Path | None) -> None:
    """The operators who can sign in, one name a line."""
    from console.web import accounts

    path = _users_path(users_file)
    try:
        names = sorted(accounts.load(path))
    except accounts.AccountsError as exc:
        fail(str(exc), EXIT_INPUT)
    for name in names:
        click.echo(name)
    if not names:
        click.echo(f"no accounts in {path}", err=True)
