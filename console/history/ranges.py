"""Date ranges of the History view and `history ...`: presets and what an operator may type.

Days are the operator's local days (the machine's time zone): "today" is local midnight to the
next local midnight. A range is [since, until): `until` is exclusive.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

PRESETS = ("today", "yesterday", "7d", "all")
PRESET_LABELS = {"today": "Today", "yesterday": "Yesterday", "7d": "7 days", "all": "All"}
_RELATIVE = re.compile(r"^(\d{1,5})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def local_now() -> datetime:
    return datetime.now().astimezone()


def midnight(day: datetime) -> datetime:
    local = day.astimezone()
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo).astimezone()


def preset_range(name: str, now: datetime | None = None) -> tuple[datetime | None,
                                                                   datetime | None]:
    """(since, until) of a preset: today, yesterday, 7d (today and the 6 days before), all."""
    now = now or local_now()
    today = midnight(now)
    if name == "today":
        return today, midnight(today + timedelta(days=1, hours=2))
    if name == "yesterday":
        return midnight(today - timedelta(hours=12)), today
    if name == "7d":
        return midnight(today - timedelta(days=6, hours=-2)), None
    if name == "all":
        return None, None
    raise ValueError(f"range: one of {', '.join(PRESETS)}, not {name!r}")


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time typed by an operator: an ISO date-time (local time when it has no
    offset), a date (its local midnight), `today`, `yesterday`, `now`, or an age such as
    `30m`, `12h`, `7d`, `2w` (that long before now). ValueError says what is accepted."""
    now = now or local_now()
    raw = text.strip().lower()
    if raw == "now":
        return now
    if raw in ("today", "yesterday"):
        return preset_range(raw, now)[0]  # type: ignore[return-value]
    match = _RELATIVE.match(raw)
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r}: not a date or time (use 2026-03-02, 2026-03-02T09:00, "
                         "2026-03-02T09:00+01:00, today, yesterday, or an age such as 7d, "
                         "12h)") from None
    return value if value.tzinfo else value.astimezone()
