"""`call-console audit list|export`: read the audit log (who did what, when, where).

The log is append-only JSON lines, rotated by size (`console/account/audit.py`); these commands
read the rotated files and the live one without locking it, so they work while consoles write.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from console.commands.common import emit_json

#: Columns of a CSV export; every other field of a record goes to `details` as JSON.
CSV_COLUMNS = ("ts", "kind", "operator", "session", "face", "env", "call_id", "details")


@click.group("audit")
def audit_group() -> None:
    """Read the audit log: calls placed and acted on, sign-ins, profile changes, exports, SSH."""


def _options(command):
    for option in reversed([
        click.option("--operator", metavar="NAME", help="Only this operator's records."),
        click.option("--action", "actions", multiple=True, metavar="A",
                     help="Only this kind of record (call_placed, sign_in, ...; `call_*` for "
                          "a prefix); repeat for more."),
        click.option("--since", metavar="WHEN", help="Records at or after (2026-03-02, today, "
                                                      "7d, 12h, ...)."),
        click.option("--until", metavar="WHEN", help="Records before this."),
    ]):
        command = option(command)
    return command


def _selected(operator, actions, since, until):
    from console.account.audit import read_audit, select_records
    from console.commands.history import _when

    return select_records(read_audit(), operator=operator, actions=actions,
                          since=_when(since, "--since"), until=_when(until, "--until"))


@audit_group.command("list")
@_options
@click.option("--limit", type=click.IntRange(1), help="Only the last N records.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: records and total.")
def list_audit(operator, actions, since, until, limit, as_json) -> None:
    """Audit records, oldest first."""
    from collections import deque

    from console.api.safe_text import visible

    records = list(deque(_selected(operator, actions, since, until), maxlen=limit))
    if as_json:
        emit_json({"records": records, "total": len(records)})
        return
    for record in records:
        rest = {k: v for k, v in record.items() if k not in ("ts", "kind", "operator", "pid")}
        details = " ".join(f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
                           for k, v in rest.items() if v is not None)
        click.echo(visible(f"{record.get('ts', '-')}  {record.get('kind', '-')}  "
                           f"{record.get('operator') or '-'}  {details}", 400))
    click.echo(f"{len(records)} record(s)", err=True)


def csv_row(record: dict[str, Any]) -> list[str]:
    from console.history.export import neutralise

    details = {k: v for k, v in record.items() if k not in CSV_COLUMNS}
    cells = [record.get(c) for c in CSV_COLUMNS[:-1]]
    cells.append(json.dumps(details, ensure_ascii=False, default=str) if details else None)
    return ["" if v is None else neutralise(v if isinstance(v, str) else json.dumps(v))
            for v in cells]


@audit_group.command("export")
@_options
@click.option("--format", "fmt", type=click.Choice(("csv", "jsonl")),
              help="[the file's suffix, else jsonl]")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE [standard output].")
@click.option("--json", "as_json", is_flag=True, help="Errors as JSON on stderr.")
def export_audit(operator, actions, since, until, fmt, output, as_json) -> None:
    """Export the selected records as JSON lines (unchanged) or CSV (formula-safe)."""
    import csv
    import io

    from console.account.audit import audit_event
    from console.commands.history import write_file

    if fmt is None:
        fmt = "csv" if output and output.lower().endswith(".csv") else "jsonl"
    records = list(_selected(operator, actions, since, until))
    if fmt == "jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_row(r) for r in records)
        text = buffer.getvalue()
    if output is None or output == "-":
        sys.stdout.write(text)
        destination = "<stdout>"
    else:
        destination = str(write_file(output, text))
        click.echo(f"exported {len(records)} record(s) to {destination}", err=True)
    root = click.get_current_context().find_root()
    who = root.obj.get("operator") if isinstance(root.obj, dict) else None
    if not audit_event("audit_exported", face="cli", format=fmt, rows=len(records),
                       to=destination, filter={"operator": operator, "actions": list(actions),
                                               "since": since, "until": until},
                       **({"operator": who} if who else {})):
        click.echo("warning: the audit log could not be written", err=True)
    if not records and fmt == "jsonl" and destination == "<stdout>":
        click.echo("0 records", err=True)


