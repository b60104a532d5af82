"""One verdict per row before anything is dialled: dial, DNC, invalid, duplicate, outside hours.

A row's request is the template's values (and the command line's options) with the row's
cells on top, checked by `check_draft`: the very rules of the Call form. The order of the
checks says what a row is reported as when several apply: a number on the DNC list is `dnc`
whatever else is wrong with its row (it must never be dialled, and the report should say
why first); then a repeat of a number already planned is `duplicate` (dialled once, on its
first line); then any problem is `invalid` with the field and reason; then the calling hours
in the callee's zone(s) say `dial` (now) or `outside_hours` (opens at local time T).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from console.campaign.dnc import DoNotCall
from console.campaign.hours import CallingHours, local_text
from console.campaign.source import SourceRow
from console.store import journal as j

DIAL, DNC, INVALID, DUPLICATE, OUTSIDE_HOURS = "dial", "dnc", "invalid", "duplicate", "outside_hours"
VERDICTS = (DIAL, DNC, INVALID, DUPLICATE, OUTSIDE_HOURS)


@dataclass(frozen=True)
class RowPlan:
    line: int
    number: str                          # E.164 when it parsed, else the cell as written
    verdict: str
    reason: str = ""                     # why (invalid / duplicate / dnc / outside hours)
    request: dict[str, Any] | None = None  # the JSON body (dial and outside_hours rows)
    zones: tuple[str, ...] = ()
    local: str = ""                      # the callee's clock now, or when the window opens
    opens_at: datetime | None = None

    @property
    def text(self) -> str:
        """The dry run's line for this row."""
        if self.verdict == DIAL:
            return f"would dial at local time {self.local}"
        if self.verdict == OUTSIDE_HOURS:
            return f"outside hours: {self.reason}"
        if self.verdict == INVALID:
            return f"invalid: {self.reason}"
        if self.verdict == DUPLICATE:
            return f"duplicate: {self.reason}"
        return f"DNC: {self.reason}" if self.reason else "DNC"

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "to_number": self.number, "verdict": self.verdict,
                "reason": self.reason or None, "local_time": self.local or None,
                "opens_at": self.opens_at.isoformat() if self.opens_at else None,
                "zones": list(self.zones)}

    def journal_row(self) -> j.NewRow:
        state = {DIAL: j.PENDING, OUTSIDE_HOURS: j.PENDING, DNC: j.DNC, INVALID: j.INVALID,
                 DUPLICATE: j.DUPLICATE}[self.verdict]
        return j.NewRow(line=self.line, to_number=self.number, verdict=self.verdict, state=state,
                        reason=self.reason or None, request=self.request, zones=self.zones,
                        waiting=j.WAIT_HOURS if self.verdict == OUTSIDE_HOURS else None)


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for row in self.rows if row.verdict == verdict)

    def counts(self) -> dict[str, int]:
        return {verdict: self.count(verdict) for verdict in VERDICTS}


def merge_row(base: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """`base` (template + options) with a row's cells on top: headers by name (case-insensitive),
    context key by key; a context cell that is not a JSON object is passed on for check_draft
    to report."""
    from console.calls.draft import parse_context

    out = dict(base)
    for key, value in row.items():
        if key == "custom_headers":
            rows = [tuple(h) for h in (out.get("custom_headers") or [])]
            if isinstance(out.get("custom_headers"), Mapping):
                rows = list(out["custom_headers"].items())
            for name, header_value in value:
                rows = [(n, v) for n, v in rows if n.lower() != name.lower()]
                rows.append((name, header_value))
            out["custom_headers"] = rows
        elif key == "context":
            parsed, problem = parse_context(value) if isinstance(value, str) else (value, None)
            base_context = out.get("context")
            if isinstance(base_context, str):
                base_context, _ = parse_context(base_context)
            if problem or not isinstance(parsed, dict):
                out["context"] = value
            else:
                out["context"] = {**(base_context if isinstance(base_context, dict) else {}),
                                  **parsed}
        else:
            out[key] = value
    return out


def plan_rows(rows: Iterable[SourceRow], base: Mapping[str, Any], *, region: str,
              dnc: DoNotCall, hours: CallingHours, now: datetime) -> Plan:
    """The verdict of every row at `now` (nothing is sent)."""
    from console.calls.draft import check_draft
    from console.telephony.phone import PhoneError, parse_phone

    plan = Plan()
    first_line: dict[str, int] = {}
    for row in rows:
        number_text = row.number_text
        parsed = None
        if number_text:
            try:
                parsed = parse_phone(number_text, region)
            except PhoneError:
                parsed = None
        number = parsed.e164 if parsed else number_text
        zones = parsed.time_zones if parsed else ()
        if parsed and parsed.e164 in dnc:
            plan.rows.append(RowPlan(row.line, number, DNC, "on the do-not-call list",
                                     zones=zones))
            continue
        if parsed and parsed.e164 in first_line:
            plan.rows.append(RowPlan(row.line, number, DUPLICATE,
                                     f"same number as line {first_line[parsed.e164]}",
                                     zones=zones))
            continue
        problems = list(row.problems)
        result = check_draft(merge_row(base, row.values), region=region)
        for problem in result.problems:
            where = problem.field
            if problem.field == "custom_headers" and problem.row is not None:
                headers = merge_row(base, row.values).get("custom_headers") or []
                if problem.row < len(headers):
                    where = f"header {list(headers)[problem.row][0]}"
            problems.append(f"{where}: {problem.message}")
        if problems or result.request is None:
            plan.rows.append(RowPlan(row.line, number, INVALID, "; ".join(problems) or "invalid",
                                     zones=zones))
            continue
        first_line[number] = row.line
        request = result.request.to_json_body()
        if not hours.always and not zones:
            plan.rows.append(RowPlan(row.line, number, INVALID,
                                     "no time zone is known for this number, so its calling "
                                     "hours cannot be checked", zones=zones))
            continue
        opens = hours.next_open(zones, now)
        if opens == now:
            plan.rows.append(RowPlan(row.line, number, DIAL, request=request, zones=zones,
                                     local=local_text(zones, now)))
        elif opens is None:
            plan.rows.append(RowPlan(row.line, number, OUTSIDE_HOURS,
                                     f"the window {hours.text} never opens in all of its "
                                     f"{len(zones)} time zones at once", request=request,
                                     zones=zones))
        else:
            local = local_text(zones, opens)
            plan.rows.append(RowPlan(row.line, number, OUTSIDE_HOURS,
                                     f"opens at local time {local}", request=request,
                                     zones=zones, local=local, opens_at=opens))
    return plan
