"""`call-console profiles ...`: saved agents, caller IDs, SIP header sets and call templates.

Every command reads the profiles file fresh; every change goes through the store (lock,
re-read, validate, atomic write). A bad file is reported as `FILE:LINE: KEY: message` and exits
2, and nothing is written to it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from console.commands import lazy_completer

T = TypeVar("T")


# console.commands.common is imported when used: it loads the settings, asyncio and the API's
# errors, which `profiles add` does not need (a tenth of a second of its start-up).
def _exit_input() -> int:
    from console.commands.common import EXIT_INPUT

    return EXIT_INPUT


def emit_json(data: Any) -> None:
    from console.commands.common import emit_json as emit

    emit(data)

KIND_WORDS = "agent, caller-id, header-set or template"


class KindType(click.ParamType):
    name = "KIND"

    def convert(self, value, param, ctx):
        from console.store.profiles.model import Kind, parse_kind

        if isinstance(value, Kind):
            return value
        try:
            return parse_kind(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


KIND = KindType()


def _path(ctx: click.Context | None = None) -> Path | None:
    ctx = ctx or click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.obj and isinstance(ctx.obj, dict) and ctx.obj.get("profiles_file"):
            return ctx.obj["profiles_file"]
        ctx = ctx.parent
    return None


def _region() -> str:
    from console.commands.common import settings

    return settings().default_region


def open_store(*, region: str | None = None):
    from console.store.profiles import ProfilesStore

    return ProfilesStore(_path(), region=region or "US")


def _die(exc: Exception) -> NoReturn:
    from console.store.profiles import ProfilesReadOnly

    issues = getattr(exc, "issues", None) or []
    lines = [str(issue) for issue in issues] or [str(exc)]
    if len(lines) == 1:
        lines = [str(exc)]
    for line in lines:
        click.echo(f"error: {line}", err=True)
    if isinstance(exc, ProfilesReadOnly):
        click.echo("error: the profiles file is read-only until it is fixed; nothing was "
                   "written", err=True)
    raise SystemExit(_exit_input())


def _run(work: Callable[[], T]) -> T:
    from console.store.profiles import ProfilesError

    try:
        return work()
    except ProfilesError as exc:
        _die(exc)


def _loaded(region: str | None = None):
    store = open_store(region=region)
    _run(store.load)
    return store


@click.group("profiles")
@click.option("--file", "profiles_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="PATH", help="Profiles file to use [CALL_CONSOLE_PROFILES or the config "
                                   "dir's profiles.toml].")
@click.pass_context
def profiles(ctx: click.Context, profiles_file: Path | None) -> None:
    """Saved agents, caller IDs, SIP header sets and call templates.

    The store is one TOML file you may also edit by hand (comments and order are kept);
    `call-console locate` prints where it is.
    """
    ctx.ensure_object(dict)
    if profiles_file is not None:
        ctx.obj["profiles_file"] = profiles_file


# --- reading --------------------------------------------------------------------------------

def _summary(kind_id: str, entry: Any) -> str:
    if kind_id == "agent":
        parts = [entry.agent_id] + (["watch"] if entry.watch else [])
    elif kind_id == "caller_id":
        parts = [entry.e164]
        if entry.display_name:
            parts.append(json.dumps(entry.display_name, ensure_ascii=False))
        parts.append("agents: " + (", ".join(entry.agents) if entry.agents else "any"))
    elif kind_id == "header_set":
        parts = ["; ".join(f"{n}: {v}" for n, v in entry.headers.items()) or "(no headers)"]
    else:
        parts = []
        for key in ("agent", "caller_id"):
            if getattr(entry, key):
                parts.append(f"{key}={getattr(entry, key)}")
        if entry.header_sets:
            parts.append("header_sets=" + ",".join(entry.header_sets))
        parts += [f"{k}={json.dumps(v)}" for k, v in entry.fields.items()]
        if entry.context:
            parts.append("context=" + json.dumps(entry.context, ensure_ascii=False))
    if entry.notes:
        parts.append(f"# {entry.notes}")
    return "  ".join(parts)


@profiles.command("list")
@click.option("--kind", "kinds", type=KIND, multiple=True, help=f"Only this kind ({KIND_WORDS}).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_(kinds, as_json: bool) -> None:
    """List the saved profiles."""
    from console.store.profiles.model import KINDS

    store = _loaded()
    data = store.profiles
    chosen = list(kinds) or list(KINDS.values())
    if as_json:
        plain = data.to_plain()
        out: dict[str, Any] = {"file": str(store.path), "schema_version": plain["schema_version"]}
        for kind in chosen:
            out[kind.section] = plain[kind.section]
        emit_json(out)
        return
    if not store.exists:
        click.echo(f"no profiles yet ({store.path})")
        return
    for kind in chosen:
        section = data.section(kind)
        click.echo(f"{kind.section} ({len(section)})")
        width = max((len(n) for n in section), default=0)
        for name, entry in section.items():
            click.echo(f"  {name:<{width}}  {_summary(kind.id, entry)}")


@profiles.command("show")
@click.argument("name")
@click.option("--kind", type=KIND, help="When several kinds share the name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show(name: str, kind, as_json: bool) -> None:
    """Show one profile (a template also shows what it resolves to)."""
    from console.store.profiles import entry_plain
    from console.store.profiles.edit import render_entry

    store = _loaded()
    found = [f for f in store.find(name) if kind is None or f[0] == kind]
    if not found:
        what = kind.label if kind else "profile"
        click.echo(f"error: no {what} named {name!r}", err=True)
        raise SystemExit(_exit_input())
    out = []
    for found_kind, stored, entry in found:
        item: dict[str, Any] = {"kind": found_kind.id, "name": stored,
                                "entry": entry.model_dump(mode="json")}
        if found_kind.id == "template":
            item["resolved"] = store.resolve_template(stored).to_dict()
        else:
            item["referenced_by"] = [str(r) for r in store.referrers(found_kind, stored)]
        out.append(item)
        if as_json:
            continue
        click.echo(render_entry(found_kind.section, stored, entry_plain(found_kind, entry)),
                   nl=False)
        if found_kind.id == "template":
            resolved = item["resolved"]
            click.echo("# resolves to:")
            for key, value in resolved["values"].items():
                source = resolved["sources"].get(key, "")
                click.echo(f"#   {key} = {json.dumps(value, ensure_ascii=False)}  ({source})")
            for conflict in resolved["conflicts"]:
                click.echo(f"# conflict: {conflict['message']}")
        else:
            refs = store.referrers(found_kind, stored)
            if refs:
                click.echo("# used by: " + ", ".join(map(str, refs)))
        click.echo("")
    if as_json:
        emit_json(out[0] if len(out) == 1 else out)


@profiles.command("validate")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def validate(as_json: bool) -> None:
    """Check the profiles file; exit 2 with FILE:LINE: KEY: message for each problem."""
    from console.store.profiles import ProfilesError

    store = open_store()
    try:
        data = store.load()
    except ProfilesError as exc:
        if as_json:
            emit_json({"file": str(store.path), "ok": False, "issues": [
                {"file": str(i.file) if i.file else None, "line": i.line, "key": i.key,
                 "message": i.message} for i in exc.issues]})
            raise SystemExit(_exit_input()) from None
        for issue in exc.issues:
            click.echo(f"error: {issue}", err=True)
        raise SystemExit(_exit_input()) from None
    counts = data.counts()
    if as_json:
        emit_json({"file": str(store.path), "ok": True, "exists": store.exists, **counts})
        return
    if not store.exists:
        click.echo(f"ok: no profiles file at {store.path} yet (nothing to check)")
        return
    from console.store.profiles.model import SECTIONS

    click.echo(f"ok: {store.path}: " + ", ".join(
        f"{n} {SECTIONS[s].label}{'' if n == 1 else 's'}" for s, n in counts.items()))


# --- adding ---------------------------------------------------------------------------------

def _done(verb: str, kind_label: str, name: str, replaced: bool = False) -> None:
    click.echo(f"{'updated' if replaced else verb} {kind_label} {name!r}")
    _audit("profile_changed", change="updated" if replaced else verb, entry_kind=kind_label,
           name=name)


def _audit(kind: str, **fields: Any) -> None:
    """The audit record of a change to the shared profiles file (or of an import/export);
    the operator is `--operator`, else CALL_CONSOLE_OPERATOR. A log that cannot be written
    is said on stderr and never fails the command."""
    from console.account.audit import audit_event

    root = click.get_current_context().find_root()
    operator = root.obj.get("operator") if isinstance(root.obj, dict) else None
    path = _path()
    written = audit_event(kind, face="cli", file=str(path) if path else None,
                          **fields, **({"operator": operator} if operator else {}))
    if not written:
        click.echo("warning: the audit log could not be written (see `call-console locate`)",
                   err=True)


def _exists(store, kind: str, name: str) -> bool:
    from console.store.profiles import ProfileNotFound

    try:
        store.get(kind, name)
    except ProfileNotFound:
        return False
    return True


@profiles.group("add")
def add() -> None:
    """Add (or with --replace, update) an agent, caller ID, header set or template."""


_replace_option = click.option("--replace", is_flag=True,
                               help="Update the entry if it exists (comments kept).")
_notes_option = click.option("--notes", metavar="TEXT", default="", help="A note for people.")


@add.command("agent")
@click.argument("name")
@click.argument("agent_id", metavar="UUID")
@click.option("--watch", is_flag=True, help="Track this agent's live calls in the console.")
@_notes_option
@_replace_option
def add_agent(name: str, agent_id: str, watch: bool, notes: str, replace: bool) -> None:
    """Save an agent: NAME and its UUID."""
    store = open_store()  # the write checks the file (a bad one is reported, never written)
    existed = replace and _exists(store, "agent", name)
    _run(lambda: store.add_agent(name, agent_id, watch=watch, notes=notes, replace=replace))
    _done("added", "agent", name, existed)


@add.command("caller-id")
@click.argument("name")
@click.argument("number")
@click.option("--display-name", metavar="TEXT", help="Caller-ID display name (≤ 128 chars).")
@click.option("--agent", "agents", metavar="NAME", multiple=True,
              help="Only this agent may use it; repeat for more [any agent].")
@_notes_option
@_replace_option
def add_caller_id(name: str, number: str, display_name: str | None, agents, notes: str,
                  replace: bool) -> None:
    """Save a caller ID: NAME and its NUMBER (saved as E.164)."""
    store = open_store(region=_region())
    existed = replace and _exists(store, "caller_id", name)
    _run(lambda: store.add_caller_id(name, number, display_name=display_name,
                                     agents=list(agents), notes=notes, replace=replace))
    _done("added", "caller ID", name, existed)


def header_rows(lines) -> list[tuple[str, str]]:
    from console.telephony.sip import parse_header_line

    rows = []
    for line in lines:
        try:
            rows.append(parse_header_line(line))
        except ValueError as exc:
            click.echo(f"error: --header {line!r}: {exc}", err=True)
            raise SystemExit(_exit_input()) from None
    return rows


@add.command("header-set")
@click.argument("name")
@click.option("--header", "headers", multiple=True, metavar="'X-NAME: VALUE'",
              help="A custom SIP header; repeat for more.")
@_notes_option
@_replace_option
def add_header_set(name: str, headers, notes: str, replace: bool) -> None:
    """Save a set of custom SIP headers."""
    rows = header_rows(headers)
    store = open_store()
    existed = replace and _exists(store, "header_set", name)
    _run(lambda: store.add_header_set(name, rows, notes=notes, replace=replace))
    _done("added", "header set", name, existed)


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_set(items) -> dict[str, Any]:
    """`--set field=value` pairs, typed by the request field."""
    from console.store.profiles.model import COMPOSED_FIELDS, FIELD_TYPES

    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            _bad_set(item, "write it as FIELD=VALUE")
        if key in COMPOSED_FIELDS:
            _bad_set(item, f"use --{COMPOSED_FIELDS[key].replace('_', '-')} for {key}")
        kind = FIELD_TYPES.get(key)
        if kind is None:
            _bad_set(item, "not a field a template can set (allowed: "
                           + ", ".join(FIELD_TYPES) + ")")
        if kind is bool:
            word = raw.strip().lower()
            if word not in _TRUE | _FALSE:
                _bad_set(item, "must be true or false")
            out[key] = word in _TRUE
        elif kind is int:
            try:
                out[key] = int(raw.strip())
            except ValueError:
                _bad_set(item, "must be a whole number")
        else:
            out[key] = raw
    return out


def _bad_set(item: str, message: str) -> NoReturn:
    click.echo(f"error: --set {item!r}: {message}", err=True)
    raise SystemExit(_exit_input())


def context_option(raw: str | None) -> dict[str, Any] | None:
    """`--context` JSON text or @FILE -> a dict (exit 2 with line and column when bad)."""
    from console.calls.context_json import read_context_file
    from console.calls.draft import parse_context
    from console.store.input_files import InputFileError

    if raw is None:
        return None
    if raw.startswith("@"):
        try:
            raw = read_context_file(Path(raw[1:]).expanduser())
        except InputFileError as exc:  # unreadable, not UTF-8, or past the size cap
            click.echo(f"error: --context: {exc}", err=True)
            raise SystemExit(_exit_input()) from None
    value, problem = parse_context(raw)
    if problem:
        click.echo(f"error: --context: {problem}", err=True)
        raise SystemExit(_exit_input())
    return value


@add.command("template")
@click.argument("name")
@click.option("--agent", metavar="NAME", help="Saved agent.",
              shell_complete=lazy_completer("complete_agents"))
@click.option("--caller-id", metavar="NAME", help="Saved caller ID.",
              shell_complete=lazy_completer("complete_caller_ids"))
@click.option("--header-set", "header_sets", metavar="NAME", multiple=True,
              help="Saved header set; repeat to merge several (later ones win).")
@click.option("--set", "sets", metavar="FIELD=VALUE", multiple=True,
              help="A request field default, e.g. priority=high, ringing_timeout_seconds=30.")
@click.option("--context", metavar="JSON|@FILE", help="Context object for the agent.")
@_notes_option
@_replace_option
def add_template(name: str, agent, caller_id, header_sets, sets, context, notes: str,
                 replace: bool) -> None:
    """Save a call template: agent + caller ID + header sets + field defaults + context."""
    fields = parse_set(sets)
    context_value = context_option(context)
    store = open_store(region=_region() if "to_number" in fields else None)
    existed = replace and _exists(store, "template", name)
    _run(lambda: store.add_template(name, agent=agent, caller_id=caller_id,
                                    header_sets=list(header_sets), fields=fields,
                                    context=context_value, notes=notes, replace=replace))
    _done("added", "template", name, existed)
    for conflict in store.resolve_template(name).conflicts:
        click.echo(f"warning: {conflict}", err=True)


# --- changing -------------------------------------------------------------------------------

@profiles.command("remove")
@click.argument("kind", type=KIND)
@click.argument("name")
@click.option("--force", is_flag=True, help="Remove it even when templates or caller IDs use "
                                            "it (those references are cleared).")
def remove(kind, name: str, force: bool) -> None:
    """Remove a profile: KIND (agent, caller-id, header-set, template) and NAME."""
    from console.store.profiles import ProfileInUse, ProfilesError

    store = _loaded()
    try:
        cleared = store.remove(kind, name, force=force)
    except ProfileInUse as exc:
        click.echo(f"error: {exc}", err=True)
        click.echo("error: nothing removed; use --force to remove it and clear those "
                   "references", err=True)
        raise SystemExit(_exit_input()) from None
    except ProfilesError as exc:
        _die(exc)
    click.echo(f"removed {kind.label} {name!r}")
    _audit("profile_changed", change="removed", entry_kind=kind.label, name=name,
           cleared=[str(ref) for ref in cleared])
    for ref in cleared:
        click.echo(f"  cleared the reference in {ref}")


@profiles.command("rename")
@click.argument("kind", type=KIND)
@click.argument("old")
@click.argument("new")
def rename(kind, old: str, new: str) -> None:
    """Rename a profile; templates and caller IDs that use it follow."""
    store = _loaded()
    updated = _run(lambda: store.rename(kind, old, new))
    click.echo(f"renamed {kind.label} {old!r} to {new!r}")
    _audit("profile_changed", change="renamed", entry_kind=kind.label, name=old, new_name=new)
    for ref in updated:
        click.echo(f"  updated {ref}")


@profiles.command("duplicate")
@click.argument("kind", type=KIND)
@click.argument("name")
@click.argument("new")
def duplicate(kind, name: str, new: str) -> None:
    """Copy a profile under a new name."""
    store = _loaded()
    _run(lambda: store.duplicate(kind, name, new))
    click.echo(f"copied {kind.label} {name!r} to {new!r}")
    _audit("profile_changed", change="copied", entry_kind=kind.label, name=name, new_name=new)


# --- bundles --------------------------------------------------------------------------------

def named_file(typed: str) -> Path:
    """The file the operator named, through the exchange-folder rule of this session
    (console/store/exchange.py): in an SSH session only paths inside the operator's exchange
    folder are answered; anything else exits 2 saying why."""
    from console.commands.common import settings
    from console.store.exchange import ExchangeFolder, PathRefused

    root = click.get_current_context().find_root()
    operator = root.obj.get("operator") if isinstance(root.obj, dict) else None
    folder = ExchangeFolder.for_settings(settings(), operator=operator)
    try:
        return folder.resolve(typed)
    except PathRefused as exc:
        click.echo(f"error: {exc}", err=True)
        if folder.confined:
            from console.account.audit import audit_event

            audit_event("file_refused", action=click.get_current_context().info_name,
                        path=exc.typed[:512], reason=exc.reason[:512], folder=str(folder.folder),
                        **({"operator": operator} if operator else {}))
            click.echo("error: (standard input and output are not confined: "
                       "`profiles export > FILE`, `profiles import - < FILE`)", err=True)
        raise SystemExit(_exit_input()) from None


@profiles.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", "kinds", type=KIND, multiple=True,
              help="Only this kind; repeat for more [everything, comments included].")
def export(file: Path | None, kinds) -> None:
    """Write a bundle of the profiles to FILE (or standard output).

    FILE must be a regular file or a new name: a symbolic link, FIFO or device is refused (not
    written through, not replaced). A new file is private (0600). In an SSH session FILE must
    be in your exchange folder (relative names are taken from it).
    """
    from console.store.atomic import write_named_file

    store = open_store()
    text = _run(lambda: store.export_bundle(list(kinds) or None))
    kinds_shown = [k.label for k in kinds] or None
    if file is None or str(file) == "-":
        click.echo(text, nl=False)
        _audit("profiles_exported", to="<stdout>", kinds=kinds_shown)
        return
    target = named_file(str(file))
    try:
        write_named_file(target, text.encode("utf-8"))
    except OSError as exc:
        click.echo(f"error: cannot write {target}: {exc.strerror or exc}", err=True)
        raise SystemExit(_exit_input()) from None
    _audit("profiles_exported", to=str(target), kinds=kinds_shown)
    click.echo(f"exported to {target}", err=True)


@profiles.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option("--merge", "mode", flag_value="merge", default=True,
              help="Add new entries; keep the store's version of differing ones [default].")
@click.option("--replace", "mode", flag_value="replace",
              help="Make each kind in the bundle exactly as in the bundle (removes the rest).")
@click.option("--overwrite", is_flag=True, help="With --merge: take the bundle's version of "
                                                "entries that differ.")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_(file: Path, mode: str, overwrite: bool, dry_run: bool, as_json: bool) -> None:
    """Bring in a bundle written by `profiles export` (or by hand)."""
    from console.store.input_files import InputFileError
    from console.store.profiles import read_bundle_file, read_bundle_stream

    try:
        if str(file) == "-":
            text, source = read_bundle_stream(sys.stdin.buffer), Path("<stdin>")
        else:
            file = named_file(str(file))
            text, source = read_bundle_file(file), file
    except InputFileError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(_exit_input()) from None
    store = open_store()
    report = _run(lambda: store.import_bundle(text, mode=mode, overwrite=overwrite,
                                              dry_run=dry_run, source=source))
    if report.written:
        _audit("profiles_imported", source=str(source), mode=mode, overwrite=overwrite,
               **{bucket: len(getattr(report, bucket)) for bucket in report.BUCKETS})
    if as_json:
        emit_json(report.to_dict() | {"dry_run": dry_run})
        return
    for line in report.lines():
        click.echo(line)
    counts = ", ".join(f"{len(getattr(report, b))} {b}" for b in report.BUCKETS)
    state = "dry run, nothing written" if dry_run else (
        "written" if report.written else "nothing to change")
    click.echo(f"{mode}: {counts} ({state})")


# --- for `call place --template` ------------------------------------------------------------

def apply_template(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """The template's request values with the command line's `values` on top (exit 2 on a bad
    store or an unknown template). Header conflicts are reported on stderr."""
    store = _loaded()
    resolution = _run(lambda: store.resolve_template(name))
    for conflict in resolution.conflicts:
        click.echo(f"warning: template {resolution.name!r}: {conflict}", err=True)
    return resolution.merged(values)
