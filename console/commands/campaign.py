"""`call-console campaign run|resume|pause|stop|status|list|export`: dial a CSV by the rules.

Exit codes: 0 the campaign ran to its end; 1 an API error stopped it; 2 bad input (options, the
CSV, the DNC list, an unknown template or campaign); 3 rows are left with an unknown outcome
(`resume` reconciles them; `--redial-unknown` dials them again); 130 stopped by Ctrl+C.

Ctrl+C (or SIGTERM) stops: no more calls start and the live ones are followed to their end; a
second Ctrl+C leaves at once (the live calls stay in the journal and `resume` follows them).
From another terminal, `pause NAME`, `resume NAME` and `stop NAME` control a running campaign
(through its journal; the running process takes the request within half a second).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click

from console.api.safe_text import visible
from console.commands import lazy_completer
from console.commands.common import (
    EXIT_API,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_UNKNOWN,
    emit_json,
    fail,
    make_client,
    require_api,
    settings,
)

EXIT_INTERRUPTED = 130
#: Progress bar refreshes per second on a terminal.
BAR_HZ = 4.0


@click.group("campaign")
def campaign_group() -> None:
    """Dial a CSV with pacing, a concurrency cap, calling hours, a DNC list; never twice."""


def _journal():
    from console.store.journal import Journal, JournalError

    try:
        return Journal()
    except JournalError as exc:
        fail(str(exc), EXIT_INPUT)


def _named(path: str) -> Path:
    from console.commands.profiles import named_file

    return named_file(path)


def _options(rate, max_concurrent, hours, days, retry, retry_after, max_attempts, region,
             wait_for_hours):
    from console.campaign.hours import HoursError
    from console.campaign.options import (
        MAX_CONCURRENT,
        CampaignOptions,
        OptionError,
        check_window,
        parse_duration,
        parse_rate,
        parse_retry,
    )

    try:
        per_minute = parse_rate(rate)
    except OptionError as exc:
        fail(f"--rate: {exc}", EXIT_INPUT)
    if not 1 <= max_concurrent <= MAX_CONCURRENT:
        fail(f"--max-concurrent: must be from 1 to {MAX_CONCURRENT}", EXIT_INPUT)
    try:
        check_window(hours, "all")
    except HoursError as exc:
        fail(f"--hours: {exc}", EXIT_INPUT)
    try:
        check_window("00:00-24:00", days)
    except HoursError as exc:
        fail(f"--days: {exc}", EXIT_INPUT)
    try:
        retries = parse_retry(retry)
    except OptionError as exc:
        fail(f"--retry: {exc}", EXIT_INPUT)
    try:
        retry_seconds = parse_duration(retry_after)
    except OptionError as exc:
        fail(f"--retry-after: {exc}", EXIT_INPUT)
    attempts = max_attempts if max_attempts is not None else (3 if retries else 1)
    if attempts < 1 or (attempts > 1 and not retries):
        fail("--max-attempts: give --retry busy,no-answer too (only failed calls of those "
             "kinds are dialled again)" if attempts > 1 else "--max-attempts: at least 1",
             EXIT_INPUT)
    return CampaignOptions(rate_per_minute=per_minute, max_concurrent=max_concurrent,
                           hours=hours, days=days, retry=retries,
                           retry_after_seconds=retry_seconds, max_attempts=attempts,
                           region=region, wait_for_hours=wait_for_hours)


def _base_values(template: str | None, agent: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if agent:
        values["agent_id"] = _agent_id(agent)
    if template:
        from console.commands.profiles import apply_template

        values = apply_template(template, values)
    return values


def _agent_id(agent: str) -> str:
    from console.calls.draft import check_agent_id

    if check_agent_id(agent) is None:
        return agent.strip()
    from console.commands.profiles import _loaded

    found = _loaded().profiles.agents.get(agent)
    if found is None:
        fail(f"--agent: no saved agent named {agent!r} and not an agent UUID "
             "(`call-console profiles list agents` lists them)", EXIT_INPUT)
    return found.agent_id


@campaign_group.command("run")
@click.argument("file", metavar="FILE.csv")
@click.option("--template", metavar="NAME", help="Saved template giving the call's fields.",
              shell_complete=lazy_completer("complete_templates"))
@click.option("--agent", metavar="NAME|UUID", shell_complete=lazy_completer("complete_agents"),
              help="Agent placing the calls (saved name or UUID).")
@click.option("--name", metavar="NAME", help="Campaign name [the CSV's file name].")
@click.option("--rate", default="30/min", show_default=True, metavar="N/min",
              help="Calls started per minute, evenly spaced.")
@click.option("--max-concurrent", default=5, show_default=True, type=int, metavar="N",
              help="Live calls of this campaign at once (the tenant's cap applies on top).")
@click.option("--hours", default="09:00-20:00", show_default=True, metavar="HH:MM-HH:MM",
              help="Calling hours in each callee's local time (00:00-24:00: any time).")
@click.option("--days", default="mon-fri", show_default=True, metavar="DAYS",
              help="Days of the callee's week: mon-fri, sat,sun, all.")
@click.option("--dnc", "dnc_files", multiple=True, metavar="FILE",
              help="Do-not-call list (one number a line, # comments); adds to the dnc_file "
                   "setting; repeat for more.")
@click.option("--retry", metavar="busy,no-answer", help="Dial failed calls of these kinds again.")
@click.option("--retry-after", default="30m", show_default=True, metavar="DURATION",
              help="Wait before dialling a failed call again (90s, 30m, 2h).")
@click.option("--max-attempts", type=int, metavar="N",
              help="Calls per row at most, retries included [3 with --retry, else 1].")
@click.option("--no-wait-for-hours", is_flag=True,
              help="End when only rows outside their hours are left (reported), instead of "
                   "waiting for their windows to open.")
@click.option("--dry-run", is_flag=True, help="Print each row's verdict; dial nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary at the end.")
@click.option("--progress", "progress", type=click.Choice(["auto", "json", "none"]),
              default="auto", show_default=True,
              help="json: one JSON line per event on stdout; auto: a bar on a terminal.")
def run(file, template, agent, name, rate, max_concurrent, hours, days, dnc_files, retry,
        retry_after, max_attempts, no_wait_for_hours, dry_run, as_json, progress) -> None:
    """Plan every row of FILE.csv, then dial the ones that may be dialled."""
    from console.campaign import setup
    from console.campaign.dnc import DncError
    from console.campaign.source import SourceError

    if not template and not agent:
        fail("give --template NAME or --agent NAME|UUID (who places the calls)", EXIT_INPUT)
    current = settings()
    options = _options(rate, max_concurrent, hours, days, retry, retry_after, max_attempts,
                       current.default_region, not no_wait_for_hours)
    csv_path = _named(file)
    dnc_paths = [Path(current.dnc_file).expanduser()] if current.dnc_file else []
    dnc_paths += [_named(path) for path in dnc_files]
    base = _base_values(template, agent)
    try:
        prepared = setup.prepare(csv_path, base, options, dnc_files=dnc_paths, shown=file)
    except (SourceError, DncError) as exc:
        fail(str(exc), EXIT_INPUT)
    if prepared.source.ignored_columns:
        click.echo("note: columns not used: " + ", ".join(
            visible(c, 60) for c in prepared.source.ignored_columns), err=True)
    if dry_run:
        _print_dry_run(prepared, file, as_json)
        return
    for row in prepared.plan.rows:
        if row.verdict in ("invalid", "duplicate"):
            click.echo(f"{file}:{row.line}: {visible(row.text, 300)}", err=True)
    journal = _journal()
    if name is None:
        name = setup.default_name(csv_path, journal)
    elif message := setup.check_name(name):
        fail(f"--name: {message}", EXIT_INPUT)
    base_url, _ = require_api(current)
    from console.account.session import environment_key
    from console.store.journal import JournalError

    try:
        setup.record(journal, name, prepared, environment=environment_key(base_url),
                     operator=_operator(current))
    except JournalError as exc:
        fail(str(exc), EXIT_INPUT)
    _run_campaign(journal, name, current, as_json=as_json, progress=progress)


@campaign_group.command("resume")
@click.argument("name")
@click.option("--redial-unknown", is_flag=True,
              help="Dial rows whose outcome stayed unknown again (they MAY have been dialled).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary at the end.")
@click.option("--progress", "progress", type=click.Choice(["auto", "json", "none"]),
              default="auto", show_default=True,
              help="json: one JSON line per event on stdout; auto: a bar on a terminal.")
def resume(name, redial_unknown, as_json, progress) -> None:
    """Go on with a stopped or crashed campaign: unknown outcomes are reconciled first. A
    campaign paused in another process (`campaign pause NAME`) goes on there."""
    from console.store.journal import PAUSED

    journal = _journal()
    record = journal.get(name)
    if record is None:
        fail(f"no campaign named {name!r} (`call-console campaign list` lists them)", EXIT_INPUT)
    if _running_elsewhere(name):
        if record.state != PAUSED:
            fail(f"campaign {name!r} is running in another process (`campaign pause {name}` "
                 f"or `campaign stop {name}` control it from here)", EXIT_INPUT)
        _ask(journal, name, "resume")
        return
    current = settings()
    require_api(current)
    _run_campaign(journal, name, current, as_json=as_json, progress=progress, resume=True,
                  redial_unknown=redial_unknown)


@campaign_group.command("pause")
@click.argument("name")
def pause(name) -> None:
    """Pause a campaign running in another process (a terminal, the console's Campaign
    screen): no more calls start, live ones go on. `campaign resume NAME` goes on."""
    _control_running(name, "pause")


@campaign_group.command("stop")
@click.argument("name")
def stop(name) -> None:
    """Stop a campaign running in another process: no more calls start, the live ones are
    followed to their end, then it exits. `campaign resume NAME` goes on later."""
    _control_running(name, "stop")


#: How long `pause`/`stop`/`resume` wait for the running process to take the control.
CONTROL_WAIT = 5.0


def _running_elsewhere(name: str) -> bool:
    from filelock import Timeout

    from console.store.journal import campaign_lock

    lock = campaign_lock(name)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def _control_running(name: str, control: str) -> None:
    journal = _journal()
    record = journal.get(name)
    if record is None:
        fail(f"no campaign named {name!r} (`call-console campaign list` lists them)", EXIT_INPUT)
    if not _running_elsewhere(name):
        fail(f"campaign {name!r} is not running (it is {record.state}); "
             f"`call-console campaign resume {name}` runs it", EXIT_INPUT)
    _ask(journal, name, control)


def _ask(journal, name: str, control: str) -> None:
    """Leave the control for the running process and wait until it took it and, for a
    pause or a resume, wrote the state it leads to (taking the request and writing the state
    are two steps there: a `status` right after must already say it)."""
    from console.store.journal import PAUSED, RUNNING

    journal.request_control(name, control, by=_operator(settings()))
    expected = {"pause": PAUSED, "resume": RUNNING}.get(control)
    deadline = time.monotonic() + CONTROL_WAIT

    def applied() -> bool:
        if journal.pending_control(name) is not None:
            return False
        record = journal.get(name)
        return expected is None or record is None or record.state == expected \
            or not _running_elsewhere(name)

    while not applied():
        if time.monotonic() > deadline:
            fail(f"asked campaign {name!r} to {control}; the process running it has not taken "
                 "the request yet (it will when it looks again)", EXIT_API)
        time.sleep(0.1)
    done = {"pause": "paused (live calls go on; `campaign resume` goes on)",
            "resume": "running again", "stop": "stopping (no more calls start; the live ones "
                                              "are followed to their end)"}[control]
    click.echo(f"campaign {name}: {done}")


def _operator(current) -> str | None:
    root = click.get_current_context().find_root()
    if isinstance(root.obj, dict) and root.obj.get("operator"):
        return root.obj["operator"]
    return current.operator_name()


def _run_campaign(journal, name: str, current, *, as_json: bool, progress: str,
                  resume: bool = False, redial_unknown: bool = False) -> None:
    from filelock import Timeout

    from console.api import errors
    from console.store.journal import campaign_lock

    lock = campaign_lock(name)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        fail(f"campaign {name!r} is running in another process", EXIT_INPUT)
    try:
        outcome = _drive(journal, name, current, as_json=as_json, progress=progress,
                         resume=resume, redial_unknown=redial_unknown)
    except errors.ApiError as exc:
        fail(f"{exc} (nothing more was dialled; the journal keeps every row)", EXIT_API)
    finally:
        lock.release()
    summary, runner, interrupted = outcome
    if as_json:
        emit_json(summary.to_json())
    elif progress != "json":
        click.echo(summary.text)
    if runner.error:
        click.echo(f"error: {visible(runner.error, 300)}", err=True)
        raise SystemExit(EXIT_API)
    if summary.unknown:
        click.echo(f"{summary.unknown} row(s) have an unknown outcome: `call-console campaign "
                   f"resume {name}` reconciles them; they are never dialled again unless you "
                   "add --redial-unknown", err=True)
        raise SystemExit(EXIT_UNKNOWN)
    if interrupted:
        raise SystemExit(EXIT_INTERRUPTED)
    raise SystemExit(EXIT_OK)


def _drive(journal, name, current, *, as_json, progress, resume, redial_unknown):
    from console.account.session import environment_key
    from console.calls.service import CallService
    from console.campaign.runner import CampaignRunner
    from console.campaign.setup import clock_now

    client = make_client(current)
    service = CallService(lambda: client, face="campaign",
                          environment=environment_key(client.base_url),
                          operator=_operator(current))
    reporter = _Reporter(progress, journal, name)
    interrupted = False

    async def go():
        nonlocal interrupted
        store = _history_store()
        runner = CampaignRunner(journal, name, service=service, client=lambda: client,
                                now=clock_now, on_event=reporter.event, store=store,
                                placed_by=_operator(current))
        reporter.runner = runner
        loop = asyncio.get_running_loop()
        presses = 0

        def on_signal() -> None:
            nonlocal presses, interrupted
            presses += 1
            interrupted = True
            if presses == 1:
                click.echo("\nstopping: no more calls start; waiting for the live ones "
                           "(Ctrl+C again to leave now)", err=True)
            runner.stop(abandon=presses > 1)

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - not POSIX
                pass
        ticker = asyncio.create_task(reporter.tick())
        try:
            if resume:
                await runner.prepare(redial_unknown=redial_unknown)
            summary = await runner.run()
        finally:
            ticker.cancel()
            reporter.close()
            await client.aclose()
            if store is not None:
                store.close()
        return summary, runner

    summary, runner = asyncio.run(go())
    return summary, runner, interrupted


def _history_store():
    """Campaign calls go to the call history like any other (None if it cannot be opened)."""
    try:
        from console.store.history import CallStore

        return CallStore()
    except Exception:  # noqa: BLE001 - the history is a convenience; the journal is the record
        return None


class _Reporter:
    """JSON lines (`--progress json`), a bar on a terminal (stderr), or nothing."""

    def __init__(self, mode: str, journal, name: str) -> None:
        self.mode = mode
        self.journal = journal
        self.name = name
        self.runner = None
        self.bar = mode == "auto" and sys.stderr.isatty()
        self._drawn = False

    def event(self, event: dict[str, Any]) -> None:
        if self.mode == "json":
            emit_json(event, indent=None)
        elif event.get("event") == "wait" and not self.bar:
            click.echo(f"waiting {event['seconds']:g} s: {visible(str(event['reason']), 200)}",
                       err=True)
        elif event.get("event") == "notice":
            self._line(f"note: {visible(str(event['message']), 300)}")

    def _line(self, text: str) -> None:
        """A line on stderr that the progress bar does not overwrite."""
        if self.bar and self._drawn:
            sys.stderr.write("\r\x1b[2K")
        click.echo(text, err=True)

    async def tick(self) -> None:
        if not self.bar:
            return
        while True:
            self.draw()
            await asyncio.sleep(1 / BAR_HZ)

    def draw(self) -> None:
        from console.campaign.progress import Progress
        from console.campaign.summary import Summary

        runner = self.runner
        if runner is None:
            return
        summary = Summary.of(self.journal, self.name)
        first, last = runner.started_at_monotonic, runner.last_start_monotonic
        elapsed = (last - first) if first is not None and last is not None else None
        figures = Progress.of(summary, started=runner.started, elapsed=elapsed,
                              set_rate=runner.options.rate_per_minute)
        state = "paused" if runner.paused else "stopping" if runner.stopping else "running"
        line = f"{figures.bar()} {figures.text} · {state}"
        sys.stderr.write("\r\x1b[2K" + line)
        sys.stderr.flush()
        self._drawn = True

    def close(self) -> None:
        if self.bar and self._drawn:
            self.draw()
            sys.stderr.write("\n")
            sys.stderr.flush()


def _print_dry_run(prepared, file: str, as_json: bool) -> None:
    plan = prepared.plan
    if as_json:
        emit_json({"dry_run": True, "file": file, "counts": {"rows": len(plan.rows),
                                                             **plan.counts()},
                   "rows": [row.to_json() for row in plan.rows]})
        return
    for row in plan.rows:
        click.echo(f"line {row.line:>5}  {visible(row.number, 40):<16}  {visible(row.text, 300)}")
    counts = plan.counts()
    click.echo(f"{len(plan.rows)} rows: would dial {counts['dial']} now, "
               f"{counts['outside_hours']} outside hours, {counts['dnc']} DNC, "
               f"{counts['invalid']} invalid, {counts['duplicate']} duplicate; nothing was "
               "dialled (dry run)", err=True)


@campaign_group.command("status")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(name, as_json) -> None:
    """A campaign's counts and state (from the journal; no API call)."""
    from console.campaign.summary import Summary

    journal = _journal()
    record = journal.get(name)
    if record is None:
        fail(f"no campaign named {name!r} (`call-console campaign list` lists them)", EXIT_INPUT)
    summary = Summary.of(journal, name)
    if as_json:
        emit_json({**summary.to_json(), "source": record.source, "settings": record.settings,
                   "created_at": record.created_at, "finished_at": record.finished_at})
        return
    click.echo(summary.text)
    if record.note:
        click.echo(f"note: {visible(record.note, 300)}")


@campaign_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_campaigns(as_json) -> None:
    """Every campaign in the journal, newest first, with its counts."""
    from console.campaign.summary import Summary

    journal = _journal()
    summaries = [(record, Summary.of(journal, record.name)) for record in journal.campaigns()]
    if as_json:
        emit_json([{**s.to_json(), "created_at": r.created_at} for r, s in summaries])
        return
    for record, summary in summaries:
        click.echo(f"{record.created_at[:19]}  {summary.text}")
    click.echo(f"{len(summaries)} campaign(s)", err=True)


EXPORT_COLUMNS = ("line", "to_number", "state", "verdict", "reason", "waiting", "attempts",
                  "call_id", "status", "disposition", "detail", "sent_at")


@campaign_group.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="CSV (one row per campaign row) or JSON.")
@click.option("-o", "--output", metavar="FILE", help="Write here (a new file is 0600) [stdout].")
def export(name, fmt, output) -> None:
    """Every row of a campaign with its state, attempts, call and outcome."""
    import csv
    import io

    from console.store.atomic import write_named_file

    journal = _journal()
    if journal.get(name) is None:
        fail(f"no campaign named {name!r} (`call-console campaign list` lists them)", EXIT_INPUT)
    rows = [row.to_json() for row in journal.rows(name)]
    if fmt == "json":
        from console.api.safe_text import json_dumps

        text = json_dumps(rows, indent=2) + "\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else _csv_safe(row[k]))
                             for k in EXPORT_COLUMNS})
        text = buffer.getvalue()
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    target = _named(output)
    try:
        write_named_file(target, text.encode("utf-8"))
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}", EXIT_INPUT)
    click.echo(f"exported {len(rows)} row(s) to {target}", err=True)


def _csv_safe(value: Any) -> Any:
    """No spreadsheet formula from a server string (=, +, -, @ lead a cell)."""
    if isinstance(value, str) and value[:1] in ("=", "@"):
        return "'" + value
    return value
