"""`call-console login / logout / whoami / env ...`: sign in and choose the API in use.

Tokens are kept in the OS keyring when one is usable, else in a 0600 file in a 0700 directory
of the data dir (`CALL_CONSOLE_KEYRING=0` forces the file). They are never printed.
"""

from __future__ import annotations

import asyncio
import sys

import click

from console.api import errors
from console.commands import lazy_completer
from console.commands.common import (
    EXIT_API,
    EXIT_INPUT,
    emit_json,
    fail,
    run_api,
    settings,
    target,
)
from console.config.settings import ConfigError
from console.store.secrets import TokenStoreError

ENV_OPTION_HELP = "Environment to use (default: the global --env, $CALL_CONSOLE_ENV, active_env)."


def _store():
    from console.store.secrets import TokenStore

    try:
        return TokenStore()
    except TokenStoreError as exc:
        fail(str(exc), EXIT_INPUT)


def _read_stdin_secret(what: str) -> str:
    value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        fail(f"no {what} on standard input", EXIT_INPUT)
    return value


def _loopback(host: str) -> bool:
    import ipaddress

    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or host.startswith("[") \
        else host
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- login / logout


@click.command()
@click.option("--env", "env_name", metavar="NAME", help=ENV_OPTION_HELP,
              shell_complete=lazy_completer("complete_environments"))
@click.option("--username", "-u", metavar="USER",
              help="Username (default: the environment's `username`, else asked).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@click.option("--token-stdin", is_flag=True,
              help="Store a pre-issued bearer token read from standard input instead "
                   "(never refreshed; for auth = \"token\" environments).")
@click.option("--json", "as_json", is_flag=True, help="Print the signed-in user as JSON.")
def login(env_name, username, password_stdin, token_stdin, as_json) -> None:
    """Sign in to an environment and keep its tokens safe.

    The password is asked without echo unless --password-stdin is given. The access token is
    refreshed automatically before it expires; the rotating refresh token is stored at once.
    Tokens go to the OS keyring when one is usable, else to a private 0600 file.
    """
    from console.account.sign_in import LoginRefused, describe_target, me_json, save_token, sign_in

    current = settings(env_name)
    found = target(current, env_name)
    store = _store()
    environment = found.environment
    if environment is not None and environment.auth == "token" and not token_stdin:
        if password_stdin or username:
            fail(f"environment {found.name!r} uses auth = \"token\": use --token-stdin "
                 "(or set its token_env variable)", EXIT_INPUT)
    if environment is not None and environment.auth == "login" and token_stdin:
        fail(f"environment {found.name!r} uses auth = \"login\": sign in with a username "
             "and password, or change it with `call-console env add --replace --auth token`",
             EXIT_INPUT)
    use_token = token_stdin or (environment is not None and environment.auth == "token")
    import os

    if os.environ.get("CALL_CONSOLE_TOKEN"):
        click.echo("warning: CALL_CONSOLE_TOKEN is set and overrides any sign-in while it is",
                   err=True)
    if found.base_url.startswith("http://") and not _loopback(found.host):
        click.echo(f"warning: {found.base_url} is not HTTPS: credentials and tokens travel "
                   "unencrypted", err=True)
    from console.api.client import Timeouts

    timeouts = Timeouts(connect=current.connect_timeout, read=current.read_timeout)
    if use_token:
        token = (_read_stdin_secret("token") if token_stdin
                 else click.prompt("Token", hide_input=True, err=True).strip())
        work = save_token(found, token, store=store, timeouts=timeouts)
    else:
        user = username or (environment.username if environment else None)
        if not user:
            if password_stdin:
                fail("--username is required with --password-stdin", EXIT_INPUT)
            user = click.prompt("Username", err=True).strip()
        password = (_read_stdin_secret("password") if password_stdin
                    else click.prompt(f"Password for {user} at {found.host}", hide_input=True,
                                      err=True))
        work = sign_in(found, user, password, store=store, timeouts=timeouts)
    try:
        _, me = asyncio.run(work)
    except LoginRefused as exc:
        fail(str(exc), EXIT_API)
    except errors.ApiError as exc:
        fail(str(exc), EXIT_API)
    except TokenStoreError as exc:
        fail(str(exc), EXIT_INPUT)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    if as_json:
        emit_json({**me_json(me, found, "saved token" if use_token else "login"),
                   "store": store.backend})
        return
    click.echo(f"signed in to {describe_target(found)} as {me.username} "
               f"({me.role}, tenant {me.owner_id or '-'}); tokens kept in {store.describe()}")


@click.command()
@click.option("--env", "env_name", metavar="NAME", help=ENV_OPTION_HELP,
              shell_complete=lazy_completer("complete_environments"))
def logout(env_name) -> None:
    """Forget the stored tokens of an environment.

    The API has no revoke route: a copied token stays valid until it expires.
    """
    from console.account.sign_in import describe_target, sign_out

    found = target(settings(env_name), env_name)
    try:
        removed = sign_out(found, store=_store())
    except TokenStoreError as exc:
        fail(str(exc), EXIT_INPUT)
    click.echo(f"signed out of {describe_target(found)}" if removed
               else f"not signed in to {describe_target(found)}")


@click.command()
@click.option("--env", "env_name", metavar="NAME", help=ENV_OPTION_HELP,
              shell_complete=lazy_completer("complete_environments"))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def whoami(env_name, as_json) -> None:
    """Show who the API says you are: user, role and tenant id (from /auth/me)."""
    from console.account.sign_in import describe_target, me_json, token_source

    current = settings(env_name)
    found = target(current, env_name)
    me = run_api(lambda client: client.me(), env=env_name)
    try:
        source = token_source(found, current)
    except TokenStoreError:
        source = "unknown"
    if as_json:
        emit_json(me_json(me, found, source))
        return
    click.echo(f"{me.username}  role={me.role}  tenant={me.owner_id or '-'}  "
               f"user_id={me.user_id}")
    click.echo(f"{describe_target(found)}  {found.base_url}  auth={source}", err=True)


# --------------------------------------------------------------------------- env


@click.group("env")
def env_group() -> None:
    """List, add, remove and choose API environments (`[environments.NAME]` in config.toml).

    \b
      call-console env list [--json]
      call-console env add NAME URL [--auth login|token] [--username U]
                           [--token-env VAR] [--use] [--replace]
      call-console env use NAME | --none
      call-console env remove NAME

    Edits keep the file's comments and are written atomically.
    """


def _environments():
    from console.account.environments import load_environments

    try:
        return load_environments()
    except ConfigError as exc:
        fail(str(exc), EXIT_INPUT)


@env_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def env_list(as_json) -> None:
    """The environments, which one is active, and whether you are signed in."""
    import os

    envs = _environments()
    store = _store()
    selected = os.environ.get("CALL_CONSOLE_ENV") or envs.active
    rows = []
    for environment in envs:
        try:
            stored = store.load(environment.name)
        except TokenStoreError:
            stored = None
        signed = ("signed in" if stored is not None and stored.refreshable
                  else "token saved" if stored is not None
                  else f"${environment.token_env}" if environment.token_env
                  else "not signed in")
        rows.append({"name": environment.name, "base_url": environment.base_url,
                     "auth": environment.auth, "username": environment.username,
                     "token_env": environment.token_env,
                     "active": environment.name == envs.active,
                     "selected": environment.name == selected,
                     "signed_in": stored is not None, "status": signed})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(f"no environments in {envs.file}; add one with `call-console env add NAME URL`",
                   err=True)
        return
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        mark = "*" if row["selected"] else " "
        click.echo(f"{mark} {row['name']:<{width}}  {row['base_url']}  auth={row['auth']}  "
                   f"{row['status']}")


@env_group.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--auth", type=click.Choice(("login", "token")), default="login", show_default=True,
              help="Sign in with username/password (tokens refreshed) or use a pre-issued token.")
@click.option("--username", metavar="USER", help="Default username for `login`.")
@click.option("--token-env", metavar="VAR",
              help="Environment variable holding the pre-issued token (with --auth token).")
@click.option("--use", "make_active", is_flag=True, help="Also make it the active environment.")
@click.option("--replace", is_flag=True, help="Overwrite an existing environment of that name.")
def env_add(name, url, auth, username, token_env, make_active, replace) -> None:
    """Add an environment NAME at base URL URL."""
    from console.account.environments import Environment, add_environment

    try:
        add_environment(Environment(name=name, base_url=url, auth=auth, username=username,
                                    token_env=token_env),
                        replace=replace, make_active=make_active)
    except ConfigError as exc:
        fail(str(exc), EXIT_INPUT)
    click.echo(f"added environment {name!r}" + (" (active)" if make_active else ""))


@env_group.command("remove")
@click.argument("name", shell_complete=lazy_completer("complete_environments"))
def env_remove(name) -> None:
    """Remove an environment and forget its stored tokens."""
    from console.account.environments import remove_environment

    try:
        remove_environment(name)
    except (ConfigError, TokenStoreError) as exc:
        fail(str(exc), EXIT_INPUT)
    click.echo(f"removed environment {name!r}")


@env_group.command("use")
@click.argument("name", required=False, shell_complete=lazy_completer("complete_environments"))
@click.option("--none", "clear", is_flag=True, help="No active environment.")
def env_use(name, clear) -> None:
    """Make NAME the active environment (the default when --env is not given)."""
    from console.account.environments import set_active_environment

    if bool(name) == bool(clear):
        fail("give an environment NAME or --none", EXIT_INPUT)
    try:
        set_active_environment(None if clear else name)
    except ConfigError as exc:
        fail(str(exc), EXIT_INPUT)
    click.echo("no active environment" if clear else f"active environment: {name}")
