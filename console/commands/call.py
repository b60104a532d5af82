"""`call-console call ...`: place, inspect, list, end and transfer calls from scripts.

Server strings reach the terminal only through `visible()` (text lines) or `emit_json` (JSON).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from console.api.models import KNOWN_STATUSES, MEDIA_ENCRYPTION_LEVELS, PRIORITIES, CallStatus
from console.api.safe_text import visible
from console.commands.common import (
    EXIT_INPUT,
    emit_json,
    fail,
    option_for,
    require_api,
    run_api,
    say_wait,
    settings,
)

#: Longest server value printed on a text line (JSON output is never clipped).
VALUE_LIMIT = 200


def shown(value: object) -> str:
    """A server value for a text line: control characters visible, clipped."""
    return "-" if value is None else visible(str(value), VALUE_LIMIT)


@click.group("call")
def call_group() -> None:
    """Place, inspect, list, end and transfer calls."""


def _context_value(raw: str | None) -> str | None:
    """`--context` takes JSON text or `@path` to a JSON file."""
    if raw is None or not raw.startswith("@"):
        return raw
    from console.calls.context_json import read_context_file
    from console.store.input_files import InputFileError

    try:
        return read_context_file(Path(raw[1:]).expanduser())
    except InputFileError as exc:  # unreadable, not UTF-8, or past the size cap
        fail(f"--context: {exc}", EXIT_INPUT)


def _header_rows(headers: tuple[str, ...]) -> list[tuple[str, str]]:
    from console.telephony.sip import parse_header_line

    rows = []
    for line in headers:
        try:
            rows.append(parse_header_line(line))
        except ValueError as exc:
            fail(f"--header {line!r}: {exc}", EXIT_INPUT)
    return rows


@call_group.command("place")
@click.option("--agent", "agent_id", metavar="UUID", help="Agent that places the call.")
@click.option("--to", "to_number", metavar="NUMBER", help="Number to call (E.164 or national).")
@click.option("--from", "from_number", metavar="NUMBER", help="Caller ID (E.164).")
@click.option("--context", metavar="JSON|@FILE", help="JSON object of metadata for the agent.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Call priority [normal].")
@click.option("--no-krisp", is_flag=True, help="Turn Krisp noise cancellation off.")
@click.option("--wait", is_flag=True, help="Return only once the callee answers.")
@click.option("--display-name", metavar="TEXT", help="Caller-ID display name (≤ 128 chars).")
@click.option("--dtmf", metavar="DIGITS", help="Digits sent after connect: 0-9 * # a-d, w = pause.")
@click.option("--dialtone", is_flag=True, help="Play a dial tone while connecting.")
@click.option("--media-encryption", type=click.Choice(MEDIA_ENCRYPTION_LEVELS),
              help="Media encryption [ALLOW].")
@click.option("--ringing-timeout", type=int, metavar="SECONDS", help="1-80 [80].")
@click.option("--max-duration", type=int, metavar="SECONDS", help="60-86400 [3600].")
@click.option("--hide-number", is_flag=True,
              help="Hide the number from LiveKit participant attributes (NOT caller-ID withholding).")
@click.option("--header", "headers", multiple=True, metavar="'X-NAME: VALUE'",
              help="Custom SIP header; repeat for more.")
@click.option("--template", metavar="NAME",
              help="Start from a saved template; options given here override it.")
@click.option("--dry-run", is_flag=True, help="Print the JSON and a curl line; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def place(agent_id, to_number, from_number, context, priority, no_krisp, wait, display_name,
          dtmf, dialtone, media_encryption, ringing_timeout, max_duration, hide_number, headers,
          template, dry_run, as_json) -> None:
    """Place one outbound call. Never retried: an unknown outcome exits 3."""
    from console.calls.draft import check_draft, curl_command, request_json

    current = settings()
    values: dict[str, Any] = {
        "agent_id": agent_id, "to_number": to_number, "from_number": from_number,
        "context": _context_value(context) or "", "priority": priority,
        "krisp_enabled": False if no_krisp else None, "wait_until_answered": wait or None,
        "display_name": display_name, "dtmf": dtmf, "play_dialtone": dialtone or None,
        "media_encryption": media_encryption, "ringing_timeout_seconds": ringing_timeout,
        "max_call_duration_seconds": max_duration, "hide_phone_number": hide_number or None,
        "custom_headers": _header_rows(headers),
    }
    if template:
        from console.commands.profiles import apply_template

        values = apply_template(template, values)
    result = check_draft(values, region=current.default_region)
    if not result.ok:
        for problem in result.problems:
            where = option_for(problem.field)
            if problem.row is not None:
                where = f"--header #{problem.row + 1}"
            click.echo(f"error: {where}: {problem.message}", err=True)
        raise SystemExit(EXIT_INPUT)
    request = result.request
    if dry_run:
        base_url = current.base_url or "https://api.example.com"
        if as_json:
            emit_json({"body": request.to_json_body(), "curl": curl_command(base_url, request)})
        else:
            click.echo(request_json(request))
            click.echo(curl_command(base_url, request))
        return
    require_api(current)
    placed = run_api(lambda client: client.place_call(request))
    if as_json:
        emit_json(placed.model_dump(mode="json"))
    else:
        click.echo(f"placed {shown(placed.call_id)}  {shown(placed.status)}  "
                   f"{shown(placed.from_number)} → {shown(placed.to_number)}")


def status_line(call: CallStatus) -> str:
    parts = [shown(call.call_id), shown(call.status), shown(call.to_number)]
    if call.disposition:
        parts.append(f"disposition={shown(call.disposition)}")
    if call.duration_seconds is not None:
        parts.append(f"duration={call.duration_seconds}s")
    if call.ended_at:
        parts.append(f"ended={shown(call.ended_at)}")
    return "  ".join(parts)


#: Seconds between polls by status while watching; unknown statuses are treated as live.
WATCH_INTERVALS = {"initiated": 1.0, "ringing": 1.0, "answered": 3.0}
#: Follow-up polls after a terminal status, for fields that fill in late.
LATE_FIELD_FOLLOW_UPS = 2


#: Seconds before watching retries a poll that failed without `Retry-After`.
WATCH_RETRY_DELAY = 2.0


async def watch_call(client, call_id: str, on_change, *, follow_up_delay: float = 2.0,
                     on_wait=None, on_error=None):
    """Poll one call until it is terminal and its late fields had a chance to arrive.

    Before waiting after a failed poll, `on_wait(seconds, asked)` is told of a wait the server
    asked for (`Retry-After`, capped by the client), `on_error(seconds, exc)` of any other.
    """
    from console.api import errors

    last: dict[str, Any] | None = None
    follow_ups = 0
    while True:
        try:
            call = await client.get_call(call_id)
        except (errors.NetworkError, errors.ConnectionFailed, errors.ServerError,
                errors.RateLimited) as exc:
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is not None:
                if on_wait is not None:
                    on_wait(retry_after, getattr(exc, "retry_after_asked", None))
            elif on_error is not None:
                on_error(WATCH_RETRY_DELAY, exc)
            await asyncio.sleep(retry_after or WATCH_RETRY_DELAY)
            continue
        snapshot = call.model_dump(mode="json")
        if snapshot != last:
            on_change(call)
            last = snapshot
        if call.is_terminal:
            if follow_ups >= LATE_FIELD_FOLLOW_UPS:
                return call
            follow_ups += 1
            await asyncio.sleep(follow_up_delay)
        else:
            await asyncio.sleep(WATCH_INTERVALS.get(call.status, 1.0))


@call_group.command("status")
@click.argument("call_id")
@click.option("--watch", is_flag=True, help="Follow the call until it ends (one line per change).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (JSON lines with --watch).")
def status(call_id: str, watch: bool, as_json: bool) -> None:
    """Show one call's status."""

    def show(call: CallStatus) -> None:
        if as_json:
            emit_json(call.model_dump(mode="json"), indent=None if watch else 2)
        else:
            click.echo(status_line(call))

    def failed(seconds: float, exc: Exception) -> None:
        click.echo(f"waiting {seconds:g} s: {exc}", err=True)

    if watch:
        run_api(lambda client: watch_call(client, call_id, show, on_wait=say_wait,
                                          on_error=failed))
    else:
        show(run_api(lambda client: client.get_call(call_id)))


@call_group.command("end")
@click.argument("call_id")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def end(call_id: str, as_json: bool) -> None:
    """Hang up a live call (409 if it already ended)."""
    result = run_api(lambda client: client.end_call(call_id))
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        click.echo(f"{shown(call_id)}  {shown(result.status or 'end requested')}")


def transfer_target(raw: str, region: str) -> str:
    """`tel:+E164`, `sip:user@host`, or a plain number turned into `tel:`."""
    from console.telephony.phone import PhoneError, parse_phone

    raw = raw.strip()
    if raw.startswith("sip:"):
        user, at, host = raw[4:].partition("@")
        if not (user and at and host) or any(c.isspace() for c in raw):
            raise ValueError("a SIP target looks like sip:user@host")
        return raw
    number = raw[4:] if raw.startswith("tel:") else raw
    try:
        return "tel:" + parse_phone(number, region).e164
    except PhoneError as exc:
        raise ValueError(f"{exc} (use tel:+E164 or sip:user@host)") from None


@call_group.command("transfer")
@click.argument("call_id")
@click.option("--to", "target", required=True, metavar="URI",
              help="tel:+E164, sip:user@host, or a phone number.")
@click.option("--warm", is_flag=True, help="Warm transfer: the agent briefs the target first.")
@click.option("--dialtone", is_flag=True, help="Play a dial tone while transferring.")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def transfer(call_id: str, target: str, warm: bool, dialtone: bool, as_json: bool) -> None:
    """Transfer an answered call."""
    from console.api.models import TransferRequest

    try:
        uri = transfer_target(target, settings().default_region)
    except ValueError as exc:
        fail(f"--to: {exc}", EXIT_INPUT)
    request = TransferRequest(transfer_to=uri, transfer_type="warm" if warm else "cold",
                              play_dialtone=dialtone)
    result = run_api(lambda client: client.transfer_call(call_id, request))
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        click.echo(f"{shown(call_id)}  {shown(result.status or 'transfer requested')} → {uri}")


def _iso(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not an ISO date-time such as 2026-11-25T09:00:00", EXIT_INPUT)


@call_group.command("list")
@click.option("--agent", "agent_id", required=True, metavar="NAME|UUID",
              help="Agent whose calls to list: a saved agent's name or its UUID.")
@click.option("--status", "status_filter", type=click.Choice(KNOWN_STATUSES), help="Only this status.")
@click.option("--direction", type=click.Choice(("inbound", "outbound")))
@click.option("--since", metavar="ISO", help="Calls started at or after this date-time.")
@click.option("--until", metavar="ISO", help="Calls started before this date-time.")
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True)
@click.option("--all", "fetch_all", is_flag=True, help="Follow pages until the end.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: {calls, total, limit, offset} like the API.")
def list_calls(agent_id, status_filter, direction, since, until, limit, offset, fetch_all,
               as_json) -> None:
    """List an agent's calls, newest first."""
    from console.commands.history import agent_refs

    agent_id = agent_refs((agent_id,))[0].agent_id
    filters = {"status_filter": status_filter, "direction": direction,
               "start_date": _iso(since, "--since"), "end_date": _iso(until, "--until")}

    async def fetch(client) -> tuple[list[CallStatus], int | None]:
        if fetch_all:  # every page from the first (--offset does not apply)
            return [c async for c in client.iter_calls(agent_id, page_size=limit,
                                                       **filters)], None
        page = await client.list_calls(agent_id, limit=limit, offset=offset, **filters)
        return page.calls, page.total

    calls, total = run_api(fetch)
    if as_json:
        emit_json({"calls": [c.model_dump(mode="json") for c in calls],
                   "total": len(calls) if fetch_all else total,
                   "limit": limit, "offset": 0 if fetch_all else offset})
        return
    for call in calls:
        click.echo(f"{shown(call.started_at):<27} {status_line(call)}")
    click.echo(f"{len(calls)} call(s)", err=True)
