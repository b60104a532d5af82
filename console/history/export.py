"""Exports of the call history: CSV, JSON or JSON lines of exactly what a filter selects.

The columns are fixed (`EXPORT_COLUMNS`) and none of them can hold a secret: a call's request,
context and last server answer are never exported, only the fields listed. Times are ISO 8601
with their UTC offset, numbers are E.164 when they parse as phone numbers.

CSV cells are neutralised against formula injection: a cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return gets a leading `'` so a spreadsheet shows it as text instead of
running it (a cell that starts with `'` before one of those gets one more `'`), except a cell
that is exactly an E.164 number (`+` and digits, which no spreadsheet
runs as anything but that number). `read_csv` undoes it. JSON and JSON lines are never altered.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from console.store.history import StoredCall

FORMATS = ("csv", "json", "jsonl")

EXPORT_COLUMNS = ("call_id", "started", "ended", "duration_seconds", "to", "from", "agent_name",
                  "agent_id", "status", "disposition", "operator", "campaign", "environment",
                  "placed")

#: Cell starts a spreadsheet may take as a formula (or that hide one after a control char).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"^\+\d{1,15}$")


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text (see the module docstring). A cell that already
    starts with `'` before such a start gets one more, so `unneutralise` is exact."""
    if cell.lstrip("'").startswith(FORMULA_STARTS) and not _E164.match(cell):
        return "'" + cell
    return cell


def unneutralise(cell: str) -> str:
    if cell.startswith("'") and cell[1:].lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def e164(number: str | None) -> str | None:
    """The number in E.164 when it parses as one (as stored otherwise)."""
    if not number:
        return number
    from console.telephony.phone import PhoneError, parse_phone

    try:
        return parse_phone(number, "ZZ" if number.strip().startswith("+") else "US").e164
    except PhoneError:
        return number


def _agent_name(agent_id: str, agent_names: Mapping[str, str] | None) -> str | None:
    """The agent's name from `agent_names` (keyed by id, any case)."""
    if not agent_names:
        return None
    return agent_names.get(agent_id) or agent_names.get(agent_id.lower())


def export_record(call: StoredCall, agent_names: Mapping[str, str] | None = None
                  ) -> dict[str, Any]:
    """One call as the export's columns (JSON types: None, int, str)."""
    return {
        "call_id": call.call_id,
        "started": _iso(call.started_at),
        "ended": _iso(call.ended_at),
        "duration_seconds": call.duration_seconds,
        "to": e164(call.to_number),
        "from": e164(call.from_number),
        "agent_name": _agent_name(call.agent_id, agent_names),
        "agent_id": call.agent_id,
        "status": call.status,
        "disposition": call.disposition,
        "operator": call.placed_by,
        "campaign": call.campaign,
        "environment": call.environment,
        "placed": "here" if call.placed_here else "elsewhere",
    }


def render(calls: Iterable[StoredCall], fmt: str,
           agent_names: Mapping[str, str] | None = None) -> Iterator[str]:
    """The export as chunks of text (write them in order); rows are read lazily."""
    if fmt not in FORMATS:
        raise ValueError(f"format: one of {', '.join(FORMATS)}, not {fmt!r}")
    records = (export_record(call, agent_names) for call in calls)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for record in records:
            writer.writerow(["" if record[c] is None else neutralise(str(record[c]))
                             for c in EXPORT_COLUMNS])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    elif fmt == "jsonl":
        for record in records:
            yield json.dumps(record, ensure_ascii=False) + "\n"
    else:
        yield "["
        for index, record in enumerate(records):
            yield ("," if index else "") + "\n  " + json.dumps(record, ensure_ascii=False)
        yield "\n]\n"


def export_text(calls: Iterable[StoredCall], fmt: str,
                agent_names: Mapping[str, str] | None = None) -> str:
    return "".join(render(calls, fmt, agent_names))


def read_csv(text: str) -> list[dict[str, str | None]]:
    """Rows of a CSV export, cells as exported (neutralising undone; empty cells None)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return [{key: (unneutralise(value) if value != "" else None) for key, value in row.items()}
            for row in reader]
