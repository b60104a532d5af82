"""The capacity meter: live calls against the tenant's concurrency cap, and monthly usage.

The numbers come from `GET /analytics/tenants/{tenant}/quota` (api.md §6), read by the app's
`AccountController` (console/tui/account.py) every `QUOTA_INTERVAL` seconds and right after each
call placed; every header shows the same `Capacity` through this widget.

States (`capacity_state`), each with a symbol so they read without colour (NO_COLOR, 256 colours):

    unknown   nothing read yet (the meter is hidden)
    normal    "▮ live 3/10 · month 1%"     (below 100 columns, compact: "▮ 3/10")
    near      ≥ 80 % of the concurrency cap (or of the monthly limit): "▲ live 8/10 · month 1%"
    at-cap    active ≥ max: "■ AT CAP 10/10 live" (a send now is refused with 429)
    exceeded  monthly quota used up (`quota_exceeded`): "✖ MONTHLY QUOTA USED UP" (403)
    blocked   tenant status other than active: "✖ TENANT BLOCKED" (403)
    n/a       the quota cannot be read (no tenant, not allowed): "cap n/a"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from console.tui.css import stylesheet

if TYPE_CHECKING:
    from console.api.models import Quota

#: Poll the quota route this often (seconds); it is also read right after each call placed.
QUOTA_INTERVAL = 30.0
#: From this fraction of a limit on, the meter says "near".
NEAR_FRACTION = 0.8

STATES = ("unknown", "normal", "near", "at-cap", "exceeded", "blocked", "n/a")


@dataclass(frozen=True)
class Capacity:
    """What the meter shows: the last quota read (if any) and why the next one failed."""

    quota: Quota | None = None
    error: str | None = None   # the last read failed (the last quota, if any, is kept)
    unavailable: str | None = None  # the route cannot be used for this user (no tenant, 403)

    @property
    def state(self) -> str:
        if self.unavailable and self.quota is None:
            return "n/a"
        return capacity_state(self.quota)

    @property
    def active(self) -> int | None:
        return self.quota.current_active_calls if self.quota else None

    @property
    def maximum(self) -> int | None:
        return self.quota.max_concurrent_calls if self.quota else None

    def would_exceed(self, more: int = 1) -> bool:
        """Placing `more` calls now would go past the concurrency cap (as last read)."""
        if self.quota is None or self.active is None or not self.maximum:
            return False
        return self.active + more > self.maximum

    @property
    def refused(self) -> bool:
        """The tenant cannot place calls at all right now (monthly quota used up, blocked)."""
        return self.state in ("exceeded", "blocked")


def capacity_state(quota: Quota | None) -> str:
    if quota is None:
        return "unknown"
    if quota.quota_exceeded:
        return "exceeded"
    if quota.status and quota.status.lower() != "active":
        return "blocked"
    active, maximum = quota.current_active_calls, quota.max_concurrent_calls
    if active is not None and maximum:
        if active >= maximum:
            return "at-cap"
        if active >= NEAR_FRACTION * maximum:
            return "near"
    limit, used = quota.monthly_call_limit, quota.calls_used_this_month
    if limit and used is not None and used >= NEAR_FRACTION * limit:
        return "near"
    return "normal"


def month_percent(quota: Quota) -> str:
    if quota.calls_usage_percentage is not None:
        value = quota.calls_usage_percentage
    elif quota.monthly_call_limit and quota.calls_used_this_month is not None:
        value = 100.0 * quota.calls_used_this_month / quota.monthly_call_limit
    else:
        return "?"
    return f"{value:.0f}%"


def meter_text(capacity: Capacity, *, compact: bool = False) -> Text:
    """The one-line text of the meter (symbols first, so the state reads without colour).
    `compact` (narrow terminals): live calls only, e.g. "▲ 4/5", "■ CAP 2/2", "✖ QUOTA"."""
    state = capacity.state
    quota = capacity.quota
    if state == "unknown":
        return Text("")
    if state == "n/a":
        return Text("cap n/a", style="dim")
    assert quota is not None
    live = f"{quota.current_active_calls if quota.current_active_calls is not None else '?'}" \
           f"/{quota.max_concurrent_calls if quota.max_concurrent_calls is not None else '?'}"
    if compact:
        text = {"exceeded": Text("✖ QUOTA", style="bold"),
                "blocked": Text("✖ BLOCKED", style="bold"),
                "at-cap": Text(f"■ CAP {live}", style="bold"),
                "near": Text(f"▲ {live}")}.get(state, Text(f"▮ {live}"))
        if capacity.error:
            text.append(" ?", style="dim")
        return text
    if state == "exceeded":
        text = Text("✖ MONTHLY QUOTA USED UP", style="bold")
    elif state == "blocked":
        text = Text(f"✖ TENANT {str(quota.status).upper()}", style="bold")
    elif state == "at-cap":
        text = Text.assemble(("■ AT CAP ", "bold"), (f"{live} live", "bold"))
    else:
        symbol = "▲" if state == "near" else "▮"
        text = Text(f"{symbol} live {live} · month {month_percent(quota)}")
    if capacity.error:
        text.append(" ?", style="dim")
    return text


def capacity_summary(quota: Quota) -> str:
    """Several lines for the Settings screen's connection test (every figure the API gave)."""
    lines = [
        f"concurrent calls: {quota.current_active_calls} of {quota.max_concurrent_calls} "
        f"({quota.concurrent_calls_remaining} free)",
        f"this month: {quota.calls_used_this_month} of {quota.monthly_call_limit} calls "
        f"({month_percent(quota)}, {quota.calls_remaining} left), "
        f"{quota.total_minutes_used} minutes",
        f"status: {quota.status or '?'}" + ("; monthly quota exceeded" if quota.quota_exceeded
                                             else ""),
    ]
    return "\n".join(lines)


class CapacityMeter(Static):
    """Renders a `Capacity`. Hidden while nothing is known. State class: `-<state>`."""

    DEFAULT_CSS = stylesheet(__file__)

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._capacity = Capacity()
        self._shown: tuple[str, str] | None = None
        self._compact = False

    @property
    def capacity(self) -> Capacity:
        return self._capacity

    @property
    def state(self) -> str:
        return self._capacity.state

    @property
    def compact(self) -> bool:
        return self._compact

    @compact.setter
    def compact(self, value: bool) -> None:
        if value != self._compact:
            self._compact = value
            self.show(self._capacity)

    def show(self, capacity: Capacity) -> None:
        self._capacity = capacity
        state = capacity.state
        text = meter_text(capacity, compact=self._compact)
        key = (state, text.plain)
        if key == self._shown:
            return
        self._shown = key
        for name in STATES:
            self.set_class(name == state, "-" + name.replace("/", "-"))
        self.set_class(state != "unknown", "-shown")
        self.update(text)
        if capacity.quota is not None:
            q = capacity.quota
            self.tooltip = (f"{q.current_active_calls} of {q.max_concurrent_calls} concurrent "
                            f"calls; {q.calls_used_this_month} of {q.monthly_call_limit} calls "
                            f"this month; status {q.status}")
        elif capacity.unavailable:
            self.tooltip = capacity.unavailable
