"""Deterministic call outcomes by destination number (api.md §9).

A call's whole life is decided when it is placed: a `Plan` of sim-time offsets (seconds after
creation) at which it starts ringing, is answered and becomes terminal. The simulator derives a
call's status from the plan and the sim clock, so no task runs per call.

    …0000  answered after ~4 s, talks ~20 s, `ended` / `completed`
    …0001  rings 3 s, `failed` / `busy`
    …0002  rings until `ringing_timeout_seconds`, `failed` / `no-answer`
    …0003  rejected at once, `failed` / `rejected`
    …0004  long call (30 min of talk; capped by `max_call_duration_seconds` → `max-duration`)
    other  a seeded random mix of completed, busy, no-answer, rejected, voicemail, carrier-error
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Sim-time offsets shared by the fixed scenarios.
RING_AFTER = 1.0  # initiated → ringing
ANSWER_AFTER = 4.0  # initiated → answered (3 s of ringing)
BUSY_AFTER_RING = 3.0
REJECT_AFTER = 0.5
STANDARD_TALK = 20.0
LONG_TALK = 30 * 60.0

# Random mix for other numbers: (outcome, weight).
RANDOM_MIX: tuple[tuple[str, float], ...] = (
    ("completed", 0.55),
    ("busy", 0.10),
    ("no-answer", 0.13),
    ("rejected", 0.08),
    ("voicemail", 0.08),
    ("carrier-error", 0.06),
)

FIXED_SCENARIOS: dict[str, str] = {
    "0000": "completed",
    "0001": "busy",
    "0002": "no-answer",
    "0003": "rejected",
    "0004": "long",
}


@dataclass(frozen=True)
class Plan:
    """Offsets in sim seconds after the call was created."""

    ring_at: float | None
    answer_at: float | None
    end_at: float
    final_status: str  # "ended" or "failed"
    disposition: str

    @property
    def answered(self) -> bool:
        return self.answer_at is not None


def scenario_name(to_number: str) -> str:
    """`completed`/`busy`/`no-answer`/`rejected`/`long` for the fixed suffixes, else `random`."""
    return FIXED_SCENARIOS.get(to_number[-4:], "random")


def _talk(answer_at: float, talk: float, max_duration: int, disposition: str) -> Plan:
    if talk >= max_duration:
        return Plan(RING_AFTER, answer_at, answer_at + max_duration, "ended", "max-duration")
    return Plan(RING_AFTER, answer_at, answer_at + talk, "ended", disposition)


def _no_answer(ring_at: float, ringing_timeout: int) -> Plan:
    return Plan(ring_at, None, ring_at + ringing_timeout, "failed", "no-answer")


def plan_call(
    to_number: str,
    *,
    seed: int = 0,
    n: int = 0,
    ringing_timeout_seconds: int = 80,
    max_call_duration_seconds: int = 3600,
) -> Plan:
    """The plan of the `n`-th call (0-based) to `to_number` for a simulator seeded with `seed`.

    The callee's decision (answer, busy, voicemail pickup) must come within the ringing timeout,
    otherwise the call fails as `no-answer` when the timeout runs out.
    """
    timeout = ringing_timeout_seconds
    max_dur = max_call_duration_seconds
    scenario = scenario_name(to_number)
    rng = random.Random(f"{seed}:{to_number}:{n}")

    if scenario == "rejected":
        return Plan(None, None, REJECT_AFTER, "failed", "rejected")
    if scenario == "no-answer":
        return _no_answer(RING_AFTER, timeout)
    if scenario == "busy":
        if BUSY_AFTER_RING > timeout:
            return _no_answer(RING_AFTER, timeout)
        return Plan(RING_AFTER, None, RING_AFTER + BUSY_AFTER_RING, "failed", "busy")
    if scenario in ("completed", "long"):
        if ANSWER_AFTER - RING_AFTER > timeout:
            return _no_answer(RING_AFTER, timeout)
        talk = STANDARD_TALK if scenario == "completed" else LONG_TALK
        return _talk(ANSWER_AFTER, talk, max_dur, "completed")

    # Seeded random mix.
    outcomes = [o for o, _ in RANDOM_MIX]
    weights = [w for _, w in RANDOM_MIX]
    outcome = rng.choices(outcomes, weights)[0]
    ring_at = round(rng.uniform(0.5, 1.5), 3)
    if outcome == "rejected":
        return Plan(None, None, round(rng.uniform(0.3, 1.0), 3), "failed", "rejected")
    if outcome == "carrier-error":
        return Plan(None, None, round(rng.uniform(0.5, 2.0), 3), "failed", "carrier-error")
    if outcome == "no-answer":
        return _no_answer(ring_at, timeout)
    if outcome == "busy":
        after = rng.uniform(2.0, 5.0)
        if after > timeout:
            return _no_answer(ring_at, timeout)
        return Plan(ring_at, None, round(ring_at + after, 3), "failed", "busy")
    if outcome == "voicemail":
        pickup = rng.uniform(15.0, 25.0)
        talk = rng.uniform(10.0, 30.0)
        disposition = "voicemail"
    else:
        pickup = rng.uniform(2.0, 8.0)
        talk = rng.uniform(5.0, 60.0)
        disposition = "completed"
    if pickup > timeout:
        return _no_answer(ring_at, timeout)
    answer_at = round(ring_at + pickup, 3)
    talk = round(talk, 3)
    if talk >= max_dur:
        return Plan(ring_at, answer_at, answer_at + max_dur, "ended", "max-duration")
    return Plan(ring_at, answer_at, answer_at + talk, "ended", disposition)


@dataclass(frozen=True)
class Extras:
    """Post-call analysis attached to answered calls."""

    sentiment_score: float
    language_detected: str


LANGUAGES: tuple[str, ...] = ("en", "en", "en", "es", "fr", "de")


def call_extras(to_number: str, *, seed: int = 0, n: int = 0) -> Extras:
    rng = random.Random(f"{seed}:{to_number}:{n}:extras")
    return Extras(round(rng.uniform(-0.6, 0.95), 2), rng.choice(LANGUAGES))
