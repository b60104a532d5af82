"""Calling hours in the callee's local time: `--hours 09:00-20:00 --days mon-fri`.

The window is applied per number in each of its time zones (phonenumbers' timezone data, via
`ParsedNumber.time_zones`); a number whose region spans several zones (+1 area codes shared
by two zones, a whole country of mobiles such as +7 9xx) may be dialled only while the window is
open in *all* of them. Times are compared as the callee's wall clock through `zoneinfo`, so a
DST change moves the window with the callee's clock, never by an hour the wrong way.

No clock is read here: every function takes `now` (aware), so tests drive time by hand.
A window may cross midnight (`22:00-02:00`); then the day named is the day it opens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
#: How far ahead `next_open` looks (a week and a day covers every `--days`).
HORIZON_DAYS = 9

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    """A bad --hours or --days value; str() says what is expected."""


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class CallingHours:
    start: int = 0                                   # minutes after local midnight
    end: int = MINUTES_PER_DAY                       # exclusive; 1440 = 24:00
    days: frozenset[int] = frozenset(range(7))       # 0 = Monday

    @classmethod
    def parse(cls, hours: str | None, days: str | None) -> CallingHours:
        start, end = parse_hours(hours) if hours else (0, MINUTES_PER_DAY)
        return cls(start, end, parse_days(days) if days else frozenset(range(7)))

    @property
    def always(self) -> bool:
        """Open all day every day: no time zone is needed."""
        return self.start == 0 and self.end == MINUTES_PER_DAY and len(self.days) == 7

    @property
    def text(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)} {days_text(self.days)}"

    def open_at(self, local: datetime) -> bool:
        """Is the window open at this local wall-clock time?"""
        minute = local.hour * 60 + local.minute
        weekday = local.weekday()
        if self.start < self.end:
            return weekday in self.days and self.start <= minute < self.end
        # crosses midnight: the evening part belongs to today, the morning to yesterday
        if minute >= self.start:
            return weekday in self.days
        return minute < self.end and (weekday - 1) % 7 in self.days

    def open_for(self, zones: tuple[str, ...], now: datetime) -> bool:
        """Open in every one of `zones` at `now` (an aware datetime)."""
        if self.always:
            return True
        infos = [z for z in (zone(name) for name in zones) if z is not None]
        if not infos:
            return False
        return all(self.open_at(now.astimezone(info)) for info in infos)

    def next_open(self, zones: tuple[str, ...], now: datetime) -> datetime | None:
        """The first moment at or after `now` when the window is open in every zone (UTC), or
        None when it never is within `HORIZON_DAYS` (say no day is allowed, or the zones'
        windows never overlap)."""
        if self.open_for(zones, now):
            return now
        infos = [z for z in (zone(name) for name in zones) if z is not None]
        if not infos:
            return None
        # The all-zones window opens when the last zone opens: at some zone's window start.
        candidates = sorted(c for info in infos for c in self._starts(info, now))
        for candidate in candidates:
            if self.open_for(zones, candidate):
                return candidate
        return None

    def _starts(self, info: ZoneInfo, now: datetime) -> list[datetime]:
        local_today = now.astimezone(info).date()
        out = []
        for offset in range(-1, HORIZON_DAYS):
            day = local_today + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            start = _local(day, self.start, info).astimezone(UTC)
            if start > now:
                out.append(start)
        return out


def _local(day: date, minutes: int, info: ZoneInfo) -> datetime:
    if minutes >= MINUTES_PER_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=info)
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=info)
    # Round-trip through UTC resolves a gap time to the moment after the jump.
    return local.astimezone(UTC).astimezone(info)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hours(text: str) -> tuple[int, int]:
    match = _HOURS.match(text or "")
    if not match:
        raise HoursError(f"{text!r}: expected HH:MM-HH:MM such as 09:00-20:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    for hour, minute in ((h1, m1), (h2, m2)):
        if minute > 59 or hour > 24 or (hour == 24 and minute):
            raise HoursError(f"{text!r}: {hour:02d}:{minute:02d} is not a time of day")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise HoursError(f"{text!r}: the window is empty (use 00:00-24:00 for all day)")
    if start == MINUTES_PER_DAY:
        raise HoursError(f"{text!r}: a window cannot start at 24:00")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `sat,sun`, `fri-mon` (wraps), `all` / `daily`."""
    text = (text or "").strip().lower()
    if text in ("all", "daily", "every day", "*"):
        return frozenset(range(7))
    days: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, dash, last = (s.strip()[:3] for s in part.partition("-"))
        if first not in DAY_NAMES or (dash and last not in DAY_NAMES):
            raise HoursError(f"{text!r}: expected days such as mon-fri, sat,sun or all")
        a = DAY_NAMES.index(first)
        b = DAY_NAMES.index(last) if dash else a
        span = (b - a) % 7
        days.update((a + i) % 7 for i in range(span + 1))
    if not days:
        raise HoursError(f"{text!r}: no day given (e.g. mon-fri)")
    return frozenset(days)


def days_text(days: frozenset[int]) -> str:
    if len(days) == 7:
        return "every day"
    ordered = sorted(days)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{DAY_NAMES[ordered[0]]}-{DAY_NAMES[ordered[-1]]}"
    return ",".join(DAY_NAMES[d] for d in ordered)


def local_text(zones: tuple[str, ...], when: datetime) -> str:
    """'09:00 Mon (America/New_York)': the callee's clock at `when` in its first zone, and how
    many zones there are when there are several."""
    infos = [(name, zone(name)) for name in zones]
    infos = [(name, info) for name, info in infos if info is not None]
    if not infos:
        return f"{when.astimezone(UTC):%H:%M %a} UTC"
    name, info = infos[0]
    local = when.astimezone(info)
    more = f" +{len(infos) - 1} zone{'s' if len(infos) > 2 else ''}" if len(infos) > 1 else ""
    return f"{local:%H:%M %a} ({name}{more})"
