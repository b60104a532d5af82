"""How a campaign runs (`--rate`, `--max-concurrent`, hours, retries), parsed once and journalled,
so `resume` runs on with exactly the rules the campaign started with."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from console.campaign.hours import CallingHours, parse_days, parse_hours

DEFAULT_RATE = "30/min"
DEFAULT_MAX_CONCURRENT = 5
DEFAULT_HOURS = "09:00-20:00"
DEFAULT_DAYS = "mon-fri"
#: Dispositions `--retry` may name (and the spellings it takes for them).
RETRYABLE = {"busy": "busy", "no-answer": "no-answer", "no_answer": "no-answer",
             "noanswer": "no-answer"}
MAX_RATE_PER_MINUTE = 6000.0
MAX_CONCURRENT = 1000

_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(min|m|minute|h|hour|s|sec|second))?\s*$", re.I)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$", re.I)


class OptionError(ValueError):
    """A bad option value; str() names what is expected."""


@dataclass(frozen=True)
class CampaignOptions:
    rate_per_minute: float = 30.0
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    hours: str = DEFAULT_HOURS
    days: str = DEFAULT_DAYS
    retry: tuple[str, ...] = ()
    retry_after_seconds: float = 1800.0
    max_attempts: int = 1
    region: str = "US"
    #: False: end when only rows outside their calling hours are left (reported as such)
    #: instead of waiting for their windows to open.
    wait_for_hours: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def calling_hours(self) -> CallingHours:
        return CallingHours.parse(self.hours, self.days)

    @property
    def interval(self) -> float:
        """Seconds between two call starts."""
        return 60.0 / self.rate_per_minute

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["retry"] = list(self.retry)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CampaignOptions:
        data = dict(data)
        data["retry"] = tuple(data.get("retry") or ())
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def parse_rate(text: str) -> float:
    """`30/min`, `600/min`, `2/s`, `120/h` -> calls per minute."""
    match = _RATE.match(text or "")
    if not match:
        raise OptionError(f"{text!r}: expected calls per minute such as 30/min (or 2/s, 120/h)")
    value = float(match.group(1))
    unit = (match.group(2) or "min").lower()
    per_minute = value * 60 if unit.startswith("s") else value / 60 if unit.startswith("h") \
        else value
    if not 0 < per_minute <= MAX_RATE_PER_MINUTE:
        raise OptionError(f"{text!r}: must be more than 0 and at most "
                          f"{MAX_RATE_PER_MINUTE:g}/min")
    return per_minute


def parse_duration(text: str) -> float:
    """`30m`, `90s`, `2h`, `1d`, `45` (seconds) -> seconds."""
    match = _DURATION.match(text or "")
    if not match:
        raise OptionError(f"{text!r}: expected a duration such as 30m, 90s or 2h")
    factor = {"s": 1, "m": 60, "h": 3600, "d": 86400}[(match.group(2) or "s").lower()]
    return float(match.group(1)) * factor


def parse_retry(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    out = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part not in RETRYABLE:
            raise OptionError(f"{part!r}: only busy and no-answer calls are retried")
        out.append(RETRYABLE[part])
    return tuple(dict.fromkeys(out))


def check_window(hours: str, days: str) -> None:
    parse_hours(hours)
    parse_days(days)
