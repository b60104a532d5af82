"""Put the server's 422 entries on the form: each under its field, header entries on their row.

FastAPI's `loc` is ["body", field, ...]; for custom headers it may name the header
(["body", "custom_headers", "X-Name"]) or give a row index. Entries for no known field are
returned apart, for the result area. Headless: no Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from console.api.models import ErrorEntry, OutboundCallRequest
from console.calls.draft import FieldProblem

FIELD_NAMES: tuple[str, ...] = tuple(OutboundCallRequest.model_fields)


def _header_row(key: str | int, rows: Sequence[tuple[str, str]]) -> int | None:
    if isinstance(key, int):
        return key if 0 <= key < len(rows) else None
    wanted = str(key).strip().lower()
    for index, (name, _value) in enumerate(rows):
        if name.strip().lower() == wanted:
            return index
    return None


def map_entries(entries: Iterable[ErrorEntry], header_rows: Sequence[tuple[str, str]] = ()
                ) -> tuple[dict[str, list[FieldProblem]], list[str]]:
    """(problems by request field, messages that belong to no field)."""
    by_field: dict[str, list[FieldProblem]] = {}
    unplaced: list[str] = []
    for entry in entries:
        path = entry.path
        field = str(path[0]) if path else ""
        message = f"server: {entry.msg or entry.type}"
        if field not in FIELD_NAMES:
            where = ".".join(str(p) for p in path) or "request"
            unplaced.append(f"{where}: {entry.msg or entry.type}")
            continue
        row = part = None
        if field == "custom_headers" and len(path) > 1:
            row = _header_row(path[1], header_rows)
            if row is not None:
                # pydantic puts "[key]" after the name when the name itself is wrong
                part = "name" if len(path) > 2 and path[2] == "[key]" else None
            else:
                message = f"server: {path[1]}: {entry.msg or entry.type}"
        by_field.setdefault(field, []).append(FieldProblem(field, message, row=row, part=part))
    return by_field, unplaced
