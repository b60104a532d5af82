"""Progress figures every face shows: rows done of total, live calls, the rate, the ETA."""

from __future__ import annotations

from dataclasses import dataclass

from console.campaign.summary import Summary


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    live: int
    rate_per_minute: float | None   # measured starts per minute (None before two starts)
    eta_seconds: float | None

    @classmethod
    def of(cls, summary: Summary, *, started: int, elapsed: float | None,
           set_rate: float) -> Progress:
        """`started`: calls started by this run, over `elapsed` seconds since its first."""
        to_dial = summary.pending + summary.outside_hours
        total = summary.rows
        done = total - to_dial - summary.live
        rate = None
        if elapsed and elapsed > 0 and started > 1:
            rate = (started - 1) / elapsed * 60.0
        pace = min(rate or set_rate, set_rate) if rate else set_rate
        eta = to_dial / pace * 60.0 if pace > 0 else None
        return cls(done=done, total=total, live=summary.live, rate_per_minute=rate,
                   eta_seconds=eta)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def bar(self, width: int = 24) -> str:
        filled = int(round(self.fraction * width))
        return "[" + "#" * filled + "-" * (width - filled) + "]"

    @property
    def text(self) -> str:
        rate = f"{self.rate_per_minute:.1f}/min" if self.rate_per_minute is not None else "-/min"
        return (f"{self.done}/{self.total} done · live {self.live} · {rate} · "
                f"ETA {duration_text(self.eta_seconds)}")


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"
