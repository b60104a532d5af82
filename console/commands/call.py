"""`call-console call ...`: place, inspect, list, end and transfer calls from scripts.

Server strings reach the terminal only through `visible()` (text lines) or `emit_json` (JSON).
`place`, `end` and `transfer` go through a `CallService(face="cli")` (console/calls/), like the
TUI: one POST, never retried, and one audit record per outcome (failed, 408 and unknown
attempts too). Its outcomes are turned back into the client's errors, so `run_api` prints the
same line and exit code for each.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from console.api import errors
from console.api.models import KNOWN_STATUSES, MEDIA_ENCRYPTION_LEVELS, PRIORITIES, CallStatus
from console.api.safe_text import visible
from console.commands import lazy_completer
from console.commands.common import (
    EXIT_CALL_FAILED,
    EXIT_INPUT,
    emit_json,
    fail,
    option_for,
    require_api,
    run_api,
    say_wait,
    settings,
    target,
)

#: Longest server value printed on a text line (JSON output is never clipped).
VALUE_LIMIT = 200


def shown(value: object) -> str:
    """A server value for a text line: control characters visible, clipped."""
    return "-" if value is None else visible(str(value), VALUE_LIMIT)


@click.group("call")
def call_group() -> None:
    """Place, inspect, list, end and transfer calls."""


def call_service(client, current):
    """The CLI's call service on `client`: audited with the face "cli", the environment in
    use and the operator's name (`CALL_CONSOLE_OPERATOR`, else the login name)."""
    from console.calls.service import CallService

    found = target(current)

    def audit_failed(kind: str) -> None:
        click.echo("warning: the audit log could not be written (see `call-console locate`)",
                   err=True)

    return CallService(lambda: client, face="cli",
                       environment=found.name if found.is_named else None,
                       operator=current.operator_name(), on_audit_failed=audit_failed)


def outcome_error(outcome) -> Exception:
    """The client's error for an outcome that is not a placed call (`run_api` prints it)."""
    from console.api import errors

    error = getattr(outcome, "error", None)
    if error is not None:
        return error
    return errors.OutcomeUnknown(  # the attempt was abandoned: say it like the client does
        f"outcome unknown: the request may have reached the server ({outcome.cause}). "
        "It was not sent again; look the call up in the agent's call list.",
        window=outcome.window, cause=outcome.cause)


def _is_uuid(text: str):
    from uuid import UUID

    try:
        return UUID(text.strip())
    except ValueError:
        return None


def _context_value(raw: str | None) -> str | None:
    """`--context` takes JSON text, `@path` to a JSON file, or `@-` for standard input."""
    if raw is None or not raw.startswith("@"):
        return raw
    if raw == "@-":
        from console.limits import CONTEXT_MAX_TEXT
        from console.store.input_files import InputFileError, decode_utf8, read_stream_limited

        try:  # the same cap as @FILE (so `yes | call-console ... --context @-` ends)
            raw = read_stream_limited(sys.stdin.buffer, 4 * CONTEXT_MAX_TEXT, file="<stdin>",
                                      what="context file", shown="standard input")
            return decode_utf8(raw, file="<stdin>", shown="standard input")
        except InputFileError as exc:
            fail(f"--context: {exc}", EXIT_INPUT)
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
@click.option("--agent", "agent_id", metavar="NAME|UUID",
              shell_complete=lazy_completer("complete_agents"),
              help="Agent that places the call: a saved agent's name or its UUID.")
@click.option("--to", "to_number", metavar="NUMBER", help="Number to call (E.164 or national).")
@click.option("--from", "from_number", metavar="NUMBER", help="Caller ID (E.164).")
@click.option("--context", metavar="JSON|@FILE|@-",
              help="JSON object of metadata for the agent: the JSON text, @FILE to read a "
                   "file, or @- to read standard input.")
@click.option("--priority", type=click.Choice(PRIORITIES), help="Call priority [normal].")
@click.option("--krisp/--no-krisp", "krisp", default=None,
              help="Krisp noise cancellation on or off [on].")
@click.option("--wait/--no-wait", "wait", default=None,
              help="Return only once the callee answers, or at once [--no-wait].")
@click.option("--display-name", metavar="TEXT", help="Caller-ID display name (≤ 128 chars).")
@click.option("--dtmf", metavar="DIGITS", help="Digits sent after connect: 0-9 * # a-d, w = pause.")
@click.option("--dialtone/--no-dialtone", "dialtone", default=None,
              help="Play a dial tone while connecting, or not [--no-dialtone].")
@click.option("--media-encryption", type=click.Choice(MEDIA_ENCRYPTION_LEVELS),
              help="Media encryption [ALLOW].")
@click.option("--ringing-timeout", type=int, metavar="SECONDS", help="1-80 [80].")
@click.option("--max-duration", type=int, metavar="SECONDS", help="60-86400 [3600].")
@click.option("--hide-number/--show-number", "hide_number", default=None,
              help="Hide the number from LiveKit participant attributes (NOT caller-ID "
                   "withholding), or show it [--show-number].")
@click.option("--header", "headers", multiple=True, metavar="'X-NAME: VALUE'",
              help="Custom SIP header; repeat for more.")
@click.option("--template", metavar="NAME", shell_complete=lazy_completer("complete_templates"),
              help="Start from a saved template; options given here override it (each on/off "
                   "pair both ways).")
@click.option("--dry-run", is_flag=True, help="Print the JSON and a curl line; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def place(agent_id, to_number, from_number, context, priority, krisp, wait, display_name,
          dtmf, dialtone, media_encryption, ringing_timeout, max_duration, hide_number, headers,
          template, dry_run, as_json) -> None:
    """Place one outbound call. Never retried: an unknown outcome exits 3.

    Each on/off pair left out keeps the template's value (or the API default); given, it
    overrides the template either way.
    """
    from console.calls.draft import check_draft, curl_command, request_json

    current = settings()
    if agent_id and _is_uuid(agent_id) is None:  # a saved agent's name
        from console.commands.history import agent_refs

        agent_id = agent_refs((agent_id,))[0].agent_id
    values: dict[str, Any] = {
        "agent_id": agent_id, "to_number": to_number, "from_number": from_number,
        "context": _context_value(context) or "", "priority": priority,
        "krisp_enabled": krisp, "wait_until_answered": wait,
        "display_name": display_name, "dtmf": dtmf, "play_dialtone": dialtone,
        "media_encryption": media_encryption, "ringing_timeout_seconds": ringing_timeout,
        "max_call_duration_seconds": max_duration, "hide_phone_number": hide_number,
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

    async def send(client):
        from console.calls.outcomes import Placed

        outcome = await call_service(client, current).place(request)
        if isinstance(outcome, Placed):
            return outcome.call
        raise outcome_error(outcome)

    placed = run_api(send)
    for odd in placed.odd_fields:  # placed all the same: say what was odd, never exit 3
        click.echo(f"warning: the call was placed; odd field in the answer: {shown(odd)}",
                   err=True)
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


#: Watching one call: its first read again after a failure comes 2 s later (as the CLI always
#: did), then the tracker's exponential backoff; no jitter (it spreads the retries of many
#: calls apart, and a watch has one).
WATCH_ERROR_DELAY = 2.0
#: Failed reads a watch waits out (the tracker backs the call off, or pauses on Retry-After).
#: Any other error (404, sign in again, 403, a bad answer) ends the watch with its message and
#: exit code, as it ends a single `call status`.
WAITED_ERRORS = (errors.NetworkError, errors.ConnectionFailed, errors.ServerError,
                 errors.RateLimited)


async def follow_call(client, call_id: str, on_change: Callable[[CallStatus], None]) -> CallStatus:
    """Track one call with a headless `CallTracker` until it is done (terminal, and its late
    fields arrived or the tracker's follow-up reads were made); `on_change` gets each read
    that differs from the last one shown. Waits are said on stderr; see `WAITED_ERRORS`."""
    from console.tracker import CallTracker, PollPolicy, TrackedCall, Wait

    finished: asyncio.Future[CallStatus] = asyncio.get_running_loop().create_future()
    shown_last: CallStatus | None = None

    def changed(call: TrackedCall) -> None:
        nonlocal shown_last
        if finished.done():
            return
        try:
            if call.last is not None and call.last != shown_last:
                shown_last = call.last
                on_change(call.last)
        except Exception as exc:  # noqa: BLE001 - e.g. stdout closed: the tracker would only log it
            finished.set_exception(exc)
            return
        if call.done and call.last is not None:
            finished.set_result(call.last)

    def waiting(wait: Wait) -> None:
        if finished.done():
            return
        if not isinstance(wait.error, WAITED_ERRORS):
            finished.set_exception(wait.error)
        elif wait.call_id is None and getattr(wait.error, "retry_after", None) is not None:
            say_wait(wait.seconds, wait.error.retry_after_asked)
        else:
            # API errors hold server text already made visible (`safe_text.visible`)
            click.echo(f"waiting {wait.seconds:g} s: {wait.error}", err=True)

    policy = PollPolicy(error_base=WATCH_ERROR_DELAY, error_jitter=0.0)
    tracker = CallTracker(lambda: client, policy=policy, on_update=changed, on_wait=waiting)
    tracker.track_id(call_id)
    async with tracker:
        return await finished


@call_group.command("status")
@click.argument("call_id")
@click.option("--watch", is_flag=True,
              help="Follow the call until it ends (one line per change) and exit with its "
                   "outcome: 0 ended, 4 failed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (JSON lines with --watch).")
def status(call_id: str, watch: bool, as_json: bool) -> None:
    """Show one call's status.

    With --watch the exit code is the call's outcome, for scripts: 0 when it ended, 4 when it
    failed (busy, no answer, rejected), 1 on an API error, 3 never (nothing is placed here).
    """

    def show(call: CallStatus) -> None:
        if as_json:
            emit_json(call.model_dump(mode="json"), indent=None if watch else 2)
        else:
            click.echo(status_line(call))

    if watch:
        final = run_api(lambda client: follow_call(client, call_id, show))
        if final.status == "failed":
            raise SystemExit(EXIT_CALL_FAILED)
    else:
        show(run_api(lambda client: client.get_call(call_id)))


@call_group.command("end")
@click.argument("call_id")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def end(call_id: str, as_json: bool) -> None:
    """Hang up a live call (409 if it already ended)."""
    current = settings()

    async def hang_up(client):
        outcome = await call_service(client, current).end(call_id)
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    result = run_api(hang_up)
    if as_json:
        emit_json(result.model_dump(mode="json"))
    else:
        click.echo(f"{shown(call_id)}  {shown(result.status or 'end requested')}")


@call_group.command("transfer")
@click.argument("call_id")
@click.option("--to", "to", required=True, metavar="URI",
              help="tel:+E164, sip:user@host, or a phone number.")
@click.option("--warm/--cold", "warm", default=False,
              help="Warm transfer (the agent briefs the target first) or cold [--cold].")
@click.option("--dialtone/--no-dialtone", "dialtone", default=False,
              help="Play a dial tone while transferring, or not [--no-dialtone].")
@click.option("--json", "as_json", is_flag=True, help="Print the response as JSON.")
def transfer(call_id: str, to: str, warm: bool, dialtone: bool, as_json: bool) -> None:
    """Transfer an answered call."""
    from console.api.models import TransferRequest
    from console.calls.transfer_target import transfer_target

    current = settings()
    try:
        uri = transfer_target(to, current.default_region)
    except ValueError as exc:
        fail(f"--to: {exc}", EXIT_INPUT)
    request = TransferRequest(transfer_to=uri, transfer_type="warm" if warm else "cold",
                              play_dialtone=dialtone)

    async def hand_over(client):
        outcome = await call_service(client, current).transfer(call_id, request)
        if outcome.error is not None:
            raise outcome.error
        return outcome.result

    result = run_api(hand_over)
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
              shell_complete=lazy_completer("complete_agents"),
              help="Agent whose calls to list: a saved agent's name or its UUID.")
@click.option("--status", "status_filter", type=click.Choice(KNOWN_STATUSES), help="Only this status.")
@click.option("--direction", type=click.Choice(("inbound", "outbound")),
              help="Only calls in this direction.")
@click.option("--since", metavar="ISO", help="Calls started at or after this date-time.")
@click.option("--until", metavar="ISO", help="Calls started before this date-time.")
@click.option("--limit", type=click.IntRange(1, 500), default=100, show_default=True,
              help="Calls per page (the API allows 1-500).")
@click.option("--offset", type=click.IntRange(0), default=0, show_default=True,
              help="Skip this many calls first (ignored with --all).")
@click.option("--all", "fetch_all", is_flag=True, help="Follow pages until the end.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON: {calls, total, limit, offset} like the API.")
def list_calls(agent_id, status_filter, direction, since, until, limit, offset, fetch_all,
               as_json) -> None:
    """List an agent's calls, newest first."""
    as_uuid = _is_uuid(agent_id)
    if as_uuid is not None:  # the same canonical form agent_refs gives, without its imports
        agent_id = str(as_uuid)
    else:  # a saved agent's name
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
