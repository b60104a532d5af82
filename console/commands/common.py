"""What every API subcommand shares: settings, the client, exit codes and one-line errors.

Server text is display text here: error lines go through `safe_text.visible` (the API errors
already are), JSON goes through `safe_text.json_dumps`, and waits on `Retry-After` are said on
stderr, so a hostile server can neither drive the terminal nor stall a script silently.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

from console.api import errors
from console.api.safe_text import json_dumps, visible
from console.config.settings import ConfigError, Settings, load_settings
from console.account.environments import Target, resolve_target
from console.store.secrets import TokenStoreError

EXIT_OK, EXIT_API, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3
#: `call status --watch`: the watched call failed (ended is EXIT_OK).
EXIT_CALL_FAILED = 4

T = TypeVar("T")


def fail(message: str, code: int) -> NoReturn:
    """One error line and exit `code`; with `--json`, `{"error": ..., "code": ...}` instead."""
    if wants_json():
        click.echo(json_dumps({"error": message, "code": code}), err=True)
    else:
        click.echo(f"error: {visible(message, multiline=True)}", err=True)
    raise SystemExit(code)


def is_loopback(host: str) -> bool:
    """True for `localhost` and a loopback IP address (127.0.0.0/8, ::1): the servers the
    console starts (`sim`, `serve-ssh`) bind only these unless told `--allow-remote`."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def wants_json() -> bool:
    """The running command was given `--json` (its errors are JSON on stderr too)."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("as_json"):
            return True
        ctx = ctx.parent
    return False


def say_wait(seconds: float, asked: float | None = None) -> None:
    """One stderr line while a command waits on the server's `Retry-After`."""
    from console.api.client import describe_wait

    click.echo(describe_wait(seconds, asked), err=True)


def selected_env(explicit: str | None = None) -> str | None:
    """The environment named on the command line: a subcommand's `--env`, else the global one."""
    if explicit:
        return explicit
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        if isinstance(root.obj, dict) and root.obj.get("env"):
            return root.obj["env"]
    return None


def settings(env: str | None = None) -> Settings:
    """Settings with `base_url` set to the API in use (`--env`, CALL_CONSOLE_ENV, ...).

    Validates the environments of the config file too: any problem exits 2 naming file,
    line and key.
    """
    try:
        current = load_settings()
        found = resolve_target(current, selected_env(env))
    except ConfigError as exc:
        fail(str(exc), EXIT_INPUT)
    if found is not None and found.base_url != current.base_url:
        current = current.model_copy(update={"base_url": found.base_url})
    return current


def target(current: Settings, env: str | None = None) -> Target:
    """The API in use; exits 2 when none is configured."""
    try:
        found = resolve_target(current, selected_env(env))
    except ConfigError as exc:
        fail(str(exc), EXIT_INPUT)
    if found is None:
        fail("no API configured: set CALL_CONSOLE_BASE_URL (and CALL_CONSOLE_TOKEN), or add an "
             "environment with `call-console env add NAME URL` and `call-console login` (see "
             "`call-console locate` for the config file)", EXIT_INPUT)
    return found


def require_api(current: Settings, env: str | None = None) -> tuple[str, str | None]:
    """(base URL, fixed token or None) of the API in use; exits 2 when none is configured."""
    found = target(current, env)
    token = os.environ.get("CALL_CONSOLE_TOKEN") or None
    if token is None and found.environment is None and current.token is not None:
        token = current.token.get_secret_value()
    return found.base_url, token


def make_client(current: Settings, env: str | None = None):
    """The API client for the API in use, with its auth (a refreshing login where signed in).

    Raises `errors.AuthRequired` (exit 1 through `run_api`) when nothing is signed in.
    """
    from console.api.client import ApiClient, Timeouts
    from console.account.sign_in import auth_for

    found = target(current, env)
    timeouts = Timeouts(connect=current.connect_timeout, read=current.read_timeout)
    try:
        auth = auth_for(found, current, timeouts=timeouts)
    except TokenStoreError as exc:
        fail(str(exc), EXIT_INPUT)
    return ApiClient(found.base_url, auth=auth, timeouts=timeouts, on_wait=say_wait)


def run_api(work: Callable[[Any], Awaitable[T]], *, env: str | None = None) -> T:
    """Run `work(client)` and turn every API error into one line and its exit code."""
    current = settings(env)

    async def runner() -> T:
        async with make_client(current, env) as client:
            return await work(client)

    try:
        return asyncio.run(runner())
    except errors.OutcomeUnknown as exc:
        fail(str(exc), EXIT_UNKNOWN)
    except errors.ValidationFailed as exc:
        if wants_json():
            click.echo(json_dumps({"error": "the server rejected the request (422)",
                                   "code": EXIT_API, "fields": [
                                       {"field": option_for(".".join(map(str, e.path))
                                                            or "request"), "message": e.msg}
                                       for e in exc.entries]}), err=True)
            raise SystemExit(EXIT_API) from None
        click.echo("error: the server rejected the request (422):", err=True)
        for entry in exc.entries:
            where = ".".join(str(p) for p in entry.path) or "request"
            click.echo(f"  {visible(option_for(where))}: {visible(entry.msg)}", err=True)
        raise SystemExit(EXIT_API) from None
    except errors.RetryLater as exc:
        fail(str(exc) + retry_hint(exc), EXIT_API)
    except errors.ApiError as exc:
        fail(str(exc), EXIT_API)
    except TokenStoreError as exc:
        fail(str(exc), EXIT_INPUT)
    except KeyboardInterrupt:
        fail("interrupted", 130)


def retry_hint(exc: errors.RetryLater) -> str:
    """` (retry after 60 s; the server asked for 3600 s)` when the answer had `Retry-After`."""
    if exc.retry_after is None:
        return ""
    hint = f" (retry after {exc.retry_after:g} s"
    if exc.retry_after_asked is not None and exc.retry_after_asked > exc.retry_after:
        hint += f"; the server asked for {exc.retry_after_asked:g} s"
    return hint + ")"


#: Request field → CLI option, so server-side errors name what the user typed.
FIELD_OPTIONS = {
    "agent_id": "--agent", "to_number": "--to", "from_number": "--from", "context": "--context",
    "priority": "--priority", "krisp_enabled": "--krisp", "wait_until_answered": "--wait",
    "display_name": "--display-name", "dtmf": "--dtmf", "play_dialtone": "--dialtone",
    "media_encryption": "--media-encryption", "ringing_timeout_seconds": "--ringing-timeout",
    "max_call_duration_seconds": "--max-duration", "hide_phone_number": "--hide-number",
    "custom_headers": "--header",
}


def option_for(path: str) -> str:
    head, _, rest = path.partition(".")
    option = FIELD_OPTIONS.get(head)
    if not option:
        return path
    return f"{option} ({rest})" if rest else option


def emit_json(data: Any, *, indent: int | None = 2) -> None:
    """JSON on stdout: valid, readable non-ASCII, and no raw control or bidi character."""
    click.echo(json_dumps(data, indent=indent, default=str))


def is_tty() -> bool:
    return sys.stdout.isatty()
