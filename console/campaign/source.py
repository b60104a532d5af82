"""The campaign's CSV: one `SourceRow` per data row, with its line number and request values.

UTF-8 with or without a BOM, comma or semicolon (guessed from the header row), header row
required. Columns map to request fields by name:

- the number: `to_number` (also `phone` or `number`; exactly one of them);
- any request field by its name (`display_name`, `dtmf`, `from_number`, `priority`, ...);
  booleans as true/false, yes/no, 1/0; an empty cell leaves the template's value;
- `context.KEY` columns build the context object (values are strings), or one `context`
  column holds a JSON object;
- `X-...` columns become SIP headers (an empty cell sends no such header).

Any other column is ignored and listed (`ignored_columns`), so a CRM export with a `name`
column works and the operator sees what was left out. A problem with the file as a whole
(not UTF-8, no header, a repeated column, no number column, too big) raises `SourceError`
naming the file and line; a problem with one row stays on that row (`problems`) and the
planner reports it as invalid with the line.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.store.input_files import InputFileError, decode_utf8, read_limited

#: Largest CSV read (a million short rows fit).
MAX_CSV_BYTES = 64 * 1024 * 1024
#: Most data rows in one campaign.
MAX_ROWS = 500_000
#: Longest cell kept (longer ones are a row problem, not a memory problem).
MAX_CELL = 64 * 1024

NUMBER_COLUMNS = ("to_number", "phone", "number")
REQUEST_COLUMNS = ("agent_id", "from_number", "priority", "krisp_enabled", "wait_until_answered",
                   "display_name", "dtmf", "play_dialtone", "media_encryption",
                   "ringing_timeout_seconds", "max_call_duration_seconds", "hide_phone_number")
BOOLEAN_COLUMNS = frozenset({"krisp_enabled", "wait_until_answered", "play_dialtone",
                             "hide_phone_number"})
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


class SourceError(InputFileError):
    """The CSV cannot be used at all; str() is `FILE:LINE: message` (or `cannot read FILE`)."""


@dataclass(frozen=True)
class SourceRow:
    line: int                                  # 1-based line where the row starts in the file
    values: dict[str, Any]                     # request field -> value (as check_draft takes)
    problems: tuple[str, ...] = ()             # what is wrong with this row's cells

    @property
    def number_text(self) -> str:
        return str(self.values.get("to_number") or "")


@dataclass
class CampaignSource:
    path: str
    columns: list[str]
    rows: list[SourceRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    delimiter: str = ","


def read_csv(path: os.PathLike[str] | str, *, shown: str | None = None) -> CampaignSource:
    """Read and map a campaign CSV (see the module docstring)."""
    try:
        raw = read_limited(path, MAX_CSV_BYTES, what="campaign CSV", shown=shown)
        text = decode_utf8(raw, file=path, shown=shown)
    except InputFileError as exc:
        raise SourceError(exc.message, file=exc.file, shown=shown, line=exc.line,
                          unreadable=exc.unreadable, missing=exc.missing) from None
    return parse_csv(text, path=os.fspath(path), shown=shown)


def parse_csv(text: str, *, path: str = "<csv>", shown: str | None = None) -> CampaignSource:
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise SourceError("no header row: the first line must name the columns (to_number, ...)",
                          file=path, shown=shown, line=1)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise SourceError(f"cannot read the header row ({exc})", file=path, shown=shown,
                          line=1) from None
    columns = [name.strip() for name in header]
    plan = _column_plan(columns, path, shown)
    source = CampaignSource(path=path, columns=columns, delimiter=delimiter,
                            ignored_columns=[c for c, (kind, _) in zip(columns, plan)
                                             if kind == "ignored"])
    previous_end = reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SourceError(f"not valid CSV ({exc})", file=path, shown=shown,
                              line=reader.line_num) from None
        line, previous_end = previous_end + 1, reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue  # blank lines (a trailing newline, a spacer) are not rows
        if len(source.rows) >= MAX_ROWS:
            raise SourceError(f"more than {MAX_ROWS:,} rows; split the list into several "
                              "campaigns", file=path, shown=shown, line=line)
        source.rows.append(_row(line, cells, columns, plan))
    return source


def _column_plan(columns: list[str], path: str, shown: str | None) -> list[tuple[str, str]]:
    """(kind, target) per column: number, field, bool, context_key, context, header, ignored."""
    seen: dict[str, str] = {}
    plan: list[tuple[str, str]] = []
    numbers = []
    for name in columns:
        key = name.lower()
        if not name:
            plan.append(("ignored", ""))
            continue
        if key in seen:
            raise SourceError(f"column {name!r} appears twice (as {seen[key]!r} too)",
                              file=path, shown=shown, line=1)
        seen[key] = name
        if key in NUMBER_COLUMNS:
            numbers.append(name)
            plan.append(("number", "to_number"))
        elif key in REQUEST_COLUMNS:
            plan.append(("bool" if key in BOOLEAN_COLUMNS else "field", key))
        elif key == "context":
            plan.append(("context", "context"))
        elif key.startswith("context.") and len(name) > len("context."):
            plan.append(("context_key", name[len("context."):]))
        elif key.startswith("x-"):
            plan.append(("header", name))
        else:
            plan.append(("ignored", name))
    if not numbers:
        raise SourceError("no number column: name one column to_number (or phone, or number)",
                          file=path, shown=shown, line=1)
    if len(numbers) > 1:
        raise SourceError(f"several number columns ({', '.join(numbers)}): keep one of "
                          "to_number, phone, number", file=path, shown=shown, line=1)
    if "context" in seen and any(kind == "context_key" for kind, _ in plan):
        raise SourceError("both a context column and context.KEY columns: use one or the other",
                          file=path, shown=shown, line=1)
    return plan


def _row(line: int, cells: list[str], columns: list[str],
         plan: list[tuple[str, str]]) -> SourceRow:
    problems: list[str] = []
    if len(cells) != len(columns):
        problems.append(f"has {len(cells)} fields, the header has {len(columns)}")
    values: dict[str, Any] = {}
    context: dict[str, str] = {}
    headers: list[tuple[str, str]] = []
    for (kind, target), column, cell in zip(plan, columns, cells):
        if kind == "ignored":
            continue
        if len(cell) > MAX_CELL:
            problems.append(f"{column}: longer than {MAX_CELL:,} characters")
            continue
        value = cell.strip()
        if kind == "header":
            if value:
                headers.append((target, value))
            continue
        if not value:
            continue
        if kind == "bool":
            lowered = value.lower()
            if lowered in _TRUE:
                values[target] = True
            elif lowered in _FALSE:
                values[target] = False
            else:
                problems.append(f"{column}: {value!r} is not true/false (or yes/no, 1/0)")
        elif kind == "context_key":
            context[target] = value
        else:  # number, field, context (JSON text; check_draft parses it with line/column)
            values[target] = value
    if context:
        values["context"] = context
    if headers:
        values["custom_headers"] = headers
    return SourceRow(line=line, values=values, problems=tuple(problems))


def shown_source(path: os.PathLike[str] | str) -> str:
    from console.paths import shown_path

    return shown_path(Path(path))
