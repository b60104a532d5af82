"""The counts every face prints: rows, dialled, ended, failed, unknown, dnc, invalid, duplicate,
outside_hours, pending (issue 14's names, in that order)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from console.store import journal as j

FIELDS = ("rows", "dialled", "ended", "failed", "unknown", "dnc", "invalid", "duplicate",
          "outside_hours", "pending")


@dataclass(frozen=True)
class Summary:
    name: str
    state: str
    rows: int = 0
    dialled: int = 0        # rows whose call was placed (it may still be live)
    ended: int = 0
    failed: int = 0
    unknown: int = 0        # may have been dialled; never redialled without --redial-unknown
    dnc: int = 0
    invalid: int = 0
    duplicate: int = 0
    outside_hours: int = 0  # waiting for their calling hours
    pending: int = 0
    live: int = 0
    note: str | None = None

    @classmethod
    def of(cls, journal: j.Journal, name: str) -> Summary:
        record = journal.get(name)
        counts = journal.counts(name)
        return cls(name=name, state=record.state if record else "unknown",
                   rows=sum(counts[s] for s in j.ROW_STATES) + counts["outside_hours"],
                   dialled=counts["placed"], ended=counts[j.ENDED], failed=counts[j.FAILED],
                   unknown=counts[j.UNKNOWN] + counts[j.DIALLING], dnc=counts[j.DNC],
                   invalid=counts[j.INVALID], duplicate=counts[j.DUPLICATE],
                   outside_hours=counts["outside_hours"], pending=counts[j.PENDING],
                   live=counts[j.LIVE], note=record.note if record else None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {"name": data.pop("name"), "state": data.pop("state"),
                **{k: data[k] for k in FIELDS}, "live": self.live, "note": self.note}

    @property
    def text(self) -> str:
        parts = [f"{k.replace('_', ' ')} {getattr(self, k)}" for k in FIELDS]
        line = f"campaign {self.name}: {self.state}; " + ", ".join(parts)
        if self.live:
            line += f", live {self.live}"
        return line
