"""Shared by the History screen's Pilot and snapshot tests: a store and an audit log with fixed
contents (fixed ids, numbers and times), written before the app starts."""

from __future__ import annotations

import json
from datetime import timedelta

from tui_facts import AGENT, FAKE_BASE, FIXED_NOW
from waiting import wait_for

from console.account import audit
from console.account.session import environment_key
from console.api.models import CallStatus
from console.store.history import CallStore

ENV = environment_key(FAKE_BASE)
SALES = "a1b2c3d4-0002-4e5f-8a9b-0c1d2e3f4a02"


def call_id(i: int) -> str:
    return f"7e3f0c2a-0000-4000-8000-{i:012d}"


def seed(count: int = 250, *, environment: str = ENV) -> None:
    """`count` finished calls of today, one a minute back from 16:59 UTC (FIXED_NOW is 17:00),
    in `environment`; every third failed (busy), every fifth by 'ann' in campaign 'spring'."""
    calls = []
    for i in range(count):
        started = FIXED_NOW - timedelta(minutes=i + 1)
        failed = i % 3 == 0
        calls.append(CallStatus(
            call_id=call_id(i), agent_id=AGENT.agent_id if i % 2 else SALES,
            tenant_id="3f9b7c1e-0000-4000-8000-000000000001", direction="outbound",
            to_number=f"+1415555{i:04d}", from_number="+14155551000",
            status="failed" if failed else "ended",
            disposition="busy" if failed else "completed", started_at=started.isoformat(),
            ended_at=(started + timedelta(seconds=30 + i)).isoformat(),
            duration_seconds=None if failed else 30 + i))
    with CallStore() as store:
        store.record_statuses(calls, observed_at=FIXED_NOW - timedelta(minutes=count + 1),
                              environment=environment, done_ids=[c.call_id for c in calls])
        for i in range(0, count, 5):
            store.record_status(calls[i], observed_at=FIXED_NOW - timedelta(minutes=count + 1),
                                placed_by="ann", campaign="spring", environment=environment)


def seed_audit() -> None:
    """Audit records with fixed times (written as the log's lines are)."""
    rows = [("call_placed", "ann", {"call_id": call_id(0), "face": "tui", "env": ENV}),
            ("call_ended", "ann", {"call_id": call_id(0), "face": "tui", "env": ENV}),
            ("sign_in", "bob", {"env": "prod", "username": "bob", "method": "password"}),
            ("profile_changed", "bob", {"change": "added", "entry_kind": "agent",
                                        "name": "sales", "face": "cli"}),
            ("call_placed", "bob", {"call_id": call_id(1), "face": "cli", "env": ENV})]
    path = audit.audit_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for n, (kind, operator, fields) in enumerate(rows):
            ts = (FIXED_NOW - timedelta(minutes=10 - n)).isoformat(timespec="milliseconds")
            handle.write(json.dumps({"ts": ts, "kind": kind, "operator": operator,
                                     "pid": 4242, **fields}) + "\n")


async def history_ready(pilot, loads: int = 1) -> None:
    """The History screen is shown and has read `loads` pages."""
    app = pilot.app
    await wait_for(pilot, lambda: getattr(app.screen, "SCREEN_NAME", "") == "history"
                   and app.screen.calls.counted >= loads, f"history page {loads}")
    await pilot.pause()
