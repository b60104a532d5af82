"""The Calls screen's summary line: calls per status (and lost ones), the polling cost, the
last good poll and any back-off the API asked for. Fed a `TrackerStats` snapshot
(`tracker.stats()`, which holds the current environment's calls only)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from console.tui.calls.status_style import LOST_STYLE, STATUS_STYLES, status_style
from console.tui.css import stylesheet

if TYPE_CHECKING:
    from console.tracker import TrackerStats


def _clock(value: datetime) -> str:
    return value.astimezone().strftime("%H:%M:%S")


def summary_text(stats: TrackerStats | None, *, shown: int | None = None,
                 polling: bool = True) -> Text:
    text = Text(overflow="ellipsis")
    if stats is None:
        text.append("call tracking starts once the API is configured", style="dim")
        return text
    text.append(f"{stats.tracked} call{'' if stats.tracked == 1 else 's'}", style="bold")
    if shown is not None and shown != stats.tracked:
        text.append(f" ({shown} shown)")
    counts = dict(stats.counts)
    parts: list[tuple[str, int]] = [(s, counts.pop(s)) for s in STATUS_STYLES if s in counts]
    parts += sorted(counts.items())
    styled = [(status_style(status), count) for status, count in parts]
    if stats.lost:  # the console's own final state, never a server status string
        styled.append((LOST_STYLE, stats.lost))
    for style, count in styled:
        text.append("  ")
        text.append(f"{style.symbol}{count} {style.label}", style=style.style)
    text.append("  │  ", style="dim")
    if not polling:
        text.append("not polling", style="yellow")
    else:
        text.append(f"{stats.requests_per_second:.1f} req/s")
        per_call = stats.requests_per_live_call_second()
        if per_call is not None:
            text.append(f" ({per_call:.3f}/live call)", style="dim")
    text.append("  │  ", style="dim")
    if stats.last_ok is not None:
        text.append(f"last poll {_clock(stats.last_ok)}")
    else:
        text.append("no poll yet", style="dim")
    if stats.backoff_until is not None and stats.paused_for_sign_in:
        text.append("  ")
        text.append("⏸ paused: sign in again (polling resumes after the sign-in)",
                    style="bold yellow")
    elif stats.backoff_until is not None:
        text.append("  ")
        text.append(f"⏸ API asked to back off: paused until {_clock(stats.backoff_until)}",
                    style="bold yellow")
    elif stats.last_error and stats.errors:
        text.append("  ")
        errors = f"{stats.errors} error{'' if stats.errors == 1 else 's'}"
        text.append(f"⚠ {errors}, last: {stats.last_error[:60]}", style="yellow")
    if stats.watched_agents:
        count = len(stats.watched_agents)
        text.append(f"  │  {count} watched agent{'s' if count != 1 else ''}", style="dim")
    return text


class CallsSummary(Static):
    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self._last: Text | None = None

    def show(self, stats: TrackerStats | None, *, shown: int | None = None,
             polling: bool = True) -> None:
        text = summary_text(stats, shown=shown, polling=polling)
        if self._last is None or text.plain != self._last.plain:
            self._last = text
            # A fixed height: no layout pass for a new line of figures (it comes several
            # times a second with 1,000 calls).
            self.update(text, layout=False)

    @property
    def text(self) -> str:
        return self._last.plain if self._last is not None else ""
