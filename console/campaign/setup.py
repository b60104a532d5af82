"""From a CSV, a template (or agent) and options to a planned, journalled campaign.

Shared by `call-console campaign run` and the Campaign screen: read the CSV and the DNC
list(s), plan every row at `now`, and (unless it is a dry run) record the campaign in the
journal with each row's request, so `resume` needs neither the CSV nor the template again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.campaign.dnc import DoNotCall, read_dnc
from console.campaign.options import CampaignOptions
from console.campaign.planner import Plan, plan_rows
from console.campaign.source import CampaignSource, read_csv
from console.store import journal as j

#: Test hook: a fixed "now" (ISO 8601) for planning and calling hours, so a subprocess run
#: of the CLI sees the clock a test chose. Never set in production.
NOW_VARIABLE = "CALL_CONSOLE_CAMPAIGN_NOW"


def clock_now() -> datetime:
    fixed = os.environ.get(NOW_VARIABLE)
    if fixed:
        when = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.now(UTC)


@dataclass
class Prepared:
    source: CampaignSource
    dnc: DoNotCall
    plan: Plan
    options: CampaignOptions


def prepare(csv_path: os.PathLike[str] | str, base: Mapping[str, Any], options: CampaignOptions,
            *, dnc_files: Sequence[os.PathLike[str] | str] = (), now: datetime | None = None,
            shown: str | None = None) -> Prepared:
    """Read and plan (raises `SourceError` / `DncError` naming file and line)."""
    source = read_csv(csv_path, shown=shown)
    dnc = read_dnc(list(dnc_files), region=options.region)
    plan = plan_rows(source.rows, base, region=options.region, dnc=dnc,
                     hours=options.calling_hours, now=now or clock_now())
    return Prepared(source, dnc, plan, options)


def default_name(csv_path: os.PathLike[str] | str, journal: j.Journal) -> str:
    """The CSV's stem, made unique in the journal (`leads`, `leads-2`, ...)."""
    stem = re.sub(r"[^\w.-]+", "-", Path(csv_path).stem).strip("-") or "campaign"
    name, n = stem, 1
    while journal.get(name) is not None:
        n += 1
        name = f"{stem}-{n}"
    return name


def check_name(name: str) -> str | None:
    if not name or len(name) > 100 or not re.fullmatch(r"[\w][\w .:@+-]*", name):
        return ("a campaign name has 1-100 letters, digits, spaces or . _ - : @ + and starts "
                "with a letter or digit")
    return None


def record(journal: j.Journal, name: str, prepared: Prepared, *, environment: str | None,
           operator: str | None) -> None:
    journal.create(name, source=prepared.source.path, settings=prepared.options.to_json(),
                   rows=[row.journal_row() for row in prepared.plan.rows],
                   environment=environment, operator=operator)
