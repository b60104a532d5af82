"""What every API subcommand shares: settings, the client, exit codes and one-line errors."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import click

from console.api import errors
from console.config import ConfigError, Settings, load_settings

EXIT_OK, EXIT_API, EXIT_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3

T = TypeVar("T")


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), EXIT_INPUT)


def require_api(current: Settings) -> tuple[str, str | None]:
    if not current.base_url:
        fail("no API configured: set CALL_CONSOLE_BASE_URL (and CALL_CONSOLE_TOKEN), or set "
             "base_url in the config file (see `call-console locate`)", EXIT_INPUT)
    token = current.token.get_secret_value() if current.token else None
    return current.base_url, token


def make_client(current: Settings):
    from console.api.client import ApiClient, Timeouts

    base_url, token = require_api(current)
    return ApiClient(base_url, auth=token,
                     timeouts=Timeouts(connect=current.connect_timeout, read=current.read_timeout))


def run_api(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(client)` and turn every API error into one line and its exit code."""
    current = settings()

    async def runner() -> T:
        async with make_client(current) as client:
            return await work(client)

    try:
        return asyncio.run(runner())
    except errors.OutcomeUnknown as exc:
        fail(str(exc), EXIT_UNKNOWN)
    except errors.ValidationFailed as exc:
        click.echo("error: the server rejected the request (422):", err=True)
        for entry in exc.entries:
            where = ".".join(str(p) for p in entry.path) or "request"
            click.echo(f"  {option_for(where)}: {entry.msg}", err=True)
        raise SystemExit(EXIT_API) from None
    except errors.ApiError as exc:
        fail(str(exc), EXIT_API)
    except KeyboardInterrupt:
        fail("interrupted", 130)


#: Request field → CLI option, so server-side errors name what the user typed.
FIELD_OPTIONS = {
    "agent_id": "--agent", "to_number": "--to", "from_number": "--from", "context": "--context",
    "priority": "--priority", "krisp_enabled": "--no-krisp", "wait_until_answered": "--wait",
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


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def is_tty() -> bool:
    return sys.stdout.isatty()
