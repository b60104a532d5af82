"""Agents the console knows by name (from the `GET /agents` probe now, saved profiles later)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownAgent:
    agent_id: str
    name: str
    caller_ids: tuple[str, ...] = ()
    source: str = "server"  # where it came from: "server" (GET /agents), "profile"
