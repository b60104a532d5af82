"""`call-console history ...`: the local call history — list, fetch from the API, export, prune.

The history is the SQLite store every console writes each status change to (`locate` prints
where). `list` and `export` read only that file and the current environment's calls (the API
in use: `--env`, CALL_CONSOLE_ENV, active_env or CALL_CONSOLE_BASE_URL; every environment when
none is configured, or with `--all-envs`). `fetch` reads a date range from the API into it.
Server strings reach the terminal through `visible()` (text) or `emit_json` (JSON).
"""

from __future__ import annotations

import base64
import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import click

from console.commands import lazy_completer
from console.commands.common import EXIT_API, EXIT_INPUT, emit_json, fail

SORTS = ("started", "ended", "duration", "to", "from", "agent", "status", "disposition",
         "operator", "campaign", "id")


@click.group("history")
def history_group() -> None:
    """The local call history: list, fetch from the API, export, prune."""


# --- shared ---------------------------------------------------------------------------------

def _when(text: str | None, option: str) -> datetime | None:
    from console.history.ranges import parse_when

    if text is None:
        return None
    try:
        return parse_when(text)
    except ValueError as exc:
        fail(f"{option}: {exc}", EXIT_INPUT)


def _saved_agents():
    from console.history.agents import saved_agents
    from console.store.profiles import ProfilesError

    try:
        return saved_agents()
    except ProfilesError as exc:
        fail(str(exc), EXIT_INPUT)


def agent_refs(typed: tuple[str, ...]) -> list:
    """`--agent` values (saved names or UUIDs) as AgentRefs; exit 2 naming a bad one."""
    from console.history.agents import AgentRef, resolve_agent

    if not typed:
        return []
    if all(_is_uuid(t) for t in typed):  # no need to read the profiles file
        return [AgentRef(str(_is_uuid(t))) for t in typed]
    saved = _saved_agents()
    refs = []
    for text in typed:
        try:
            refs.append(resolve_agent(text, saved))
        except ValueError as exc:
            fail(f"--agent: {exc}", EXIT_INPUT)
    return refs


def _is_uuid(text: str):
    from uuid import UUID

    try:
        return UUID(text.strip())
    except ValueError:
        return None


def current_environment(all_envs: bool) -> str | None:
    """The environment key of the API in use, or None (every environment)."""
    if all_envs:
        return None
    from console.account.environments import resolve_target
    from console.account.session import environment_key
    from console.commands.common import selected_env, settings

    try:
        found = resolve_target(settings(), selected_env())
    except Exception:  # noqa: BLE001 - settings() already exits on a bad config
        found = None
    return environment_key(found.base_url) if found is not None else None


def open_history():
    from console.store.history import CallStore, StoreError

    try:
        return CallStore()
    except StoreError as exc:
        fail(str(exc), EXIT_INPUT)


def filter_options(command: Callable) -> Callable:
    """The options that choose calls (same for list and export)."""
    options = [
        click.option("--since", metavar="WHEN", help="Calls started at or after: 2026-03-02, "
                     "2026-03-02T09:00, today, yesterday, 7d, 12h."),
        click.option("--until", metavar="WHEN", help="Calls started before this."),
        click.option("--status", "statuses", multiple=True, metavar="S",
                     help="Only this status; repeat for more."),
        click.option("--disposition", "dispositions", multiple=True, metavar="D",
                     help="Only this disposition; repeat for more."),
        click.option("--agent", "agents", multiple=True, metavar="NAME|UUID",
                     shell_complete=lazy_completer("complete_agents"),
                     help="Only this agent (a saved agent's name or a UUID); repeat for more."),
        click.option("--operator", "operators", multiple=True, metavar="NAME",
                     help="Only calls placed by this operator; repeat for more."),
        click.option("--campaign", "campaigns", multiple=True, metavar="NAME",
                     help="Only calls of this campaign; repeat for more."),
        click.option("--search", metavar="TEXT", help="A call id or number (part of one)."),
        click.option("--placed", type=click.Choice(("here", "elsewhere")),
                     help="Only calls placed by a console here, or only those seen elsewhere."),
        click.option("--sort", type=click.Choice(SORTS), default="started", show_default=True,
                     help="Sort by this column, newest (largest) first unless --asc."),
        click.option("--asc", is_flag=True, help="Oldest (smallest) first."),
        click.option("--all-envs", is_flag=True,
                     help="Every environment's calls, not only the API in use."),
    ]
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


def build_filter(since, until, statuses, dispositions, agents, operators, campaigns, search,
                 placed, all_envs):
    from console.store.history import HistoryFilter

    return HistoryFilter(environment=current_environment(all_envs),
                         since=_when(since, "--since"), until=_when(until, "--until"),
                         statuses=statuses, dispositions=dispositions,
                         agent_ids=tuple(a.agent_id for a in agent_refs(agents)),
                         operators=operators, campaigns=campaigns, search=search, placed=placed)


def _filter_record(flt) -> dict[str, Any]:
    """The filter as an audit record field (what was selected)."""
    out = {k: v for k, v in vars(flt).items() if v not in (None, (), False)}
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in out.items()}


def _cursor_token(cursor) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(cursor)).encode()).decode().rstrip("=")


def _cursor(token: str | None):
    if token is None:
        return None
    try:
        key, call_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return key, str(call_id)
    except (ValueError, TypeError):
        fail("--after: not a cursor printed by `history list --json` (next)", EXIT_INPUT)


def audit(kind: str, **fields: Any) -> None:
    """An audit record of this command (operator: `--operator`, else the environment)."""
    from console.account.audit import audit_event

    root = click.get_current_context().find_root()
    operator = root.obj.get("operator") if isinstance(root.obj, dict) else None
    if not audit_event(kind, face="cli", **fields, **({"operator": operator} if operator
                                                       else {})):
        click.echo("warning: the audit log could not be written (see `call-console locate`)",
                   err=True)


# --- list -----------------------------------------------------------------------------------

@history_group.command("list")
@filter_options
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="Calls per page.")
@click.option("--after", "after", metavar="CURSOR", help="Continue after this cursor (the "
                                                        "`next` of a `--json` page).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: calls, total, limit, next.")
def list_history(since, until, statuses, dispositions, agents, operators, campaigns, search,
                 placed, sort, asc, all_envs, limit, after, as_json) -> None:
    """Calls in the local history, newest first."""
    from console.api.safe_text import visible
    from console.history.export import export_record
    from console.store.history import Sort

    flt = build_filter(since, until, statuses, dispositions, agents, operators, campaigns,
                       search, placed, all_envs)
    names = _names()
    with open_history() as store:
        page = store.query(flt, Sort(sort, descending=not asc), limit=limit,
                           after=_cursor(after))
        total = store.count(flt)
    records = [export_record(call, names) for call in page.rows]
    if as_json:
        emit_json({"calls": records, "total": total, "limit": limit,
                   "next": _cursor_token(page.last) if page.more_after else None})
        return
    for r in records:
        who = r["agent_name"] or r["agent_id"]
        parts = [r["started"] or "-", r["call_id"], r["status"], r["to"] or "-",
                 r["disposition"] or "", who, r["operator"] or "", r["placed"]]
        click.echo("  ".join(visible(str(p), 120) for p in parts).rstrip())
    more = f"; more: --after {_cursor_token(page.last)}" if page.more_after else ""
    click.echo(f"{len(records)} of {total} call(s){more}", err=True)


def _names() -> dict[str, str]:
    from console.history.agents import agent_names, saved_agents
    from console.store.profiles import ProfilesError

    try:
        return agent_names(saved_agents())
    except ProfilesError:
        return {}  # names are a nicety here: a broken profiles file does not stop a listing


# --- fetch ----------------------------------------------------------------------------------

@history_group.command("fetch")
@click.option("--since", metavar="WHEN", default="7d", show_default=True,
              help="Calls started at or after (2026-03-02, today, 7d, ...).")
@click.option("--until", metavar="WHEN", help="Calls started before this [now].")
@click.option("--agent", "agents", multiple=True, metavar="NAME|UUID",
              shell_complete=lazy_completer("complete_agents"),
              help="This agent (saved name or UUID); repeat for more [every saved agent].")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def fetch(since, until, agents, as_json) -> None:
    """Read a date range of calls from the API into the local history (idempotent)."""
    from console.account.session import environment_key
    from console.commands.common import run_api, settings, target
    from console.history.fetch import fetch_history

    start, end = _when(since, "--since"), _when(until, "--until")
    refs = agent_refs(agents) or _saved_agents()
    if not refs:
        fail("no agent to fetch: name one with --agent UUID, or save agents with "
             "`call-console profiles add agent NAME UUID`", EXIT_INPUT)
    environment = environment_key(target(settings()).base_url)
    store = open_history()

    def progress(p) -> None:
        total = f"/{p.total}" if p.total is not None else ""
        click.echo(f"{p.agent.label}: {p.read}{total} calls "
                   f"({p.new} new, {p.changed} changed so far)", err=True)

    try:
        result = run_api(lambda client: fetch_history(
            client, store, refs, since=start, until=end, environment=environment,
            on_progress=None if as_json else progress))
    finally:
        store.close()
    audit("history_fetched", env=environment, agents=[r.agent_id for r in refs],
          since=start.isoformat() if start else None, until=end.isoformat() if end else None,
          read=result.read, new=result.new, changed=result.changed,
          failed=[r.agent_id for r, _ in result.failures])
    failures = [{"agent": r.label, "error": message} for r, message in result.failures]
    if as_json:
        emit_json({"read": result.read, "new": result.new, "changed": result.changed,
                   "failures": failures})
    else:
        for item in failures:
            click.echo(f"error: {item['agent']}: {item['error']}", err=True)
        click.echo(f"read {result.read} call(s): {result.new} new, {result.changed} changed")
    if result.failures:
        raise SystemExit(EXIT_API)


# --- export ---------------------------------------------------------------------------------

@history_group.command("export")
@filter_options
@click.option("--format", "fmt", type=click.Choice(("csv", "json", "jsonl")),
              help="[the file's suffix, else csv]")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (a new or regular file; in "
                                                     "an SSH session inside your exchange "
                                                     "folder) [standard output].")
@click.option("--json", "as_json", is_flag=True, help="Errors as JSON on stderr.")
def export(since, until, statuses, dispositions, agents, operators, campaigns, search, placed,
           sort, asc, all_envs, fmt, output, as_json) -> None:
    """Export exactly the calls the filters select: CSV, JSON or JSON lines."""
    from console.history.export import render
    from console.store.history import Sort

    flt = build_filter(since, until, statuses, dispositions, agents, operators, campaigns,
                       search, placed, all_envs)
    fmt = fmt or _format_of(output)
    names = _names()
    counted = _Counting()
    with open_history() as store:
        chunks = render(counted.wrap(store.iter_matching(flt, Sort(sort, descending=not asc))),
                        fmt, names)
        if output is None or output == "-":
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            destination = "<stdout>"
        else:
            destination = str(write_file(output, "".join(chunks)))
    audit("history_exported", format=fmt, rows=counted.n, to=destination,
          filter=_filter_record(flt))
    if destination != "<stdout>":
        click.echo(f"exported {counted.n} call(s) to {destination}", err=True)


class _Counting:
    def __init__(self) -> None:
        self.n = 0

    def wrap(self, rows):
        for row in rows:
            self.n += 1
            yield row


def _format_of(output: str | None) -> str:
    if output:
        suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
        if suffix in ("csv", "json", "jsonl"):
            return suffix
    return "csv"


def write_file(typed: str, text: str):
    """Write an export to the file the operator named (exchange-folder rule, no links)."""
    from console.commands.profiles import named_file
    from console.store.atomic import write_named_file

    target = named_file(typed)
    try:
        write_named_file(target, text.encode("utf-8"))
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}", EXIT_INPUT)
    return target


# --- prune ----------------------------------------------------------------------------------

@history_group.command("prune")
@click.option("--before", metavar="WHEN", help="Delete calls started before this (2026-01-01, "
                                               "90d, ...) [the history_retention_days setting].")
@click.option("--dry-run", is_flag=True, help="Say how many calls would go; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def prune(before, dry_run, as_json) -> None:
    """Delete old calls from the local history (every environment) and compact the file."""
    from console.commands.common import settings
    from console.history.ranges import local_now
    from console.store.history import StoreError

    cutoff = _when(before, "--before")
    if cutoff is None:
        days = settings().history_retention_days
        if days is None:
            fail("--before: say which calls to delete (e.g. --before 90d), or set "
                 "history_retention_days in config.toml", EXIT_INPUT)
        cutoff = local_now() - timedelta(days=days)
    with open_history() as store:
        size_before = store.size_bytes()
        if dry_run:
            deleted, compacted = store.prune(cutoff, dry_run=True), False
        else:
            deleted = store.prune(cutoff)
            try:
                compacted = store.vacuum_if_worth_it()
            except StoreError as exc:
                click.echo(f"warning: {exc}", err=True)
                compacted = False
        size_after = store.size_bytes()
    if not dry_run:
        audit("history_pruned", before=cutoff.isoformat(), deleted=deleted,
              compacted=compacted)
    if as_json:
        emit_json({"before": cutoff.isoformat(), "deleted": deleted, "dry_run": dry_run,
                   "compacted": compacted, "bytes_before": size_before,
                   "bytes_after": size_after})
        return
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {deleted} call(s) started before {cutoff.isoformat()}"
               + (f"; file {size_before // 1024} KiB → {size_after // 1024} KiB"
                  if compacted else ""))
