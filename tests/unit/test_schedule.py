"""The pure polling policy: intervals, follow-ups, backoff, stale and watchdogs (plain numbers)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.api.models import CallStatus
from console.tracker import schedule
from console.tracker.schedule import PollPolicy
from console.tracker.tracker import TrackedCall

P = PollPolicy()
NOW = 500.0


def call(status: str = "ringing", **kw) -> TrackedCall:
    fields = {"call_id": "c-1", "agent_id": "a-1", "to_number": "+14155550000",
              "from_number": None, "status": status, "first_seen": 100.0, "placed_at": 100.0}
    fields.update(kw)
    return TrackedCall(**fields)


def cs(status: str, **fields) -> CallStatus:
    return CallStatus(call_id="c-1", agent_id="a-1", to_number="+14155550000", status=status,
                      **fields)


# ----------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(("status", "interval"), [
    ("initiated", 1.0), ("ringing", 1.0), ("answered", 2.0),
    ("transferring", 1.5), ("on-hold", 1.5), ("", 1.5),
])
def test_base_interval_per_status(status: str, interval: float) -> None:
    assert schedule.base_interval(status, P) == interval


@pytest.mark.parametrize("status", ["initiated", "ringing", "transferring", "Queued"])
def test_live_statuses_are_polled_again_and_never_done(status: str) -> None:
    c = call(status)
    plan = schedule.after_success(c, NOW, previous_status="initiated", policy=P)
    assert not plan.done
    assert plan.at == NOW + schedule.base_interval(status, P)
    assert 1.0 <= plan.interval <= 2.0


def test_answered_starts_at_two_and_grows_to_five_while_unchanged() -> None:
    c = call("answered", interval=1.0)
    seen = []
    previous = "ringing"
    for _ in range(6):
        plan = schedule.after_success(c, NOW, previous_status=previous, policy=P)
        seen.append(plan.interval)
        c.interval = plan.interval
        previous = "answered"
    assert seen == [2.0, 3.0, 4.5, 5.0, 5.0, 5.0]


def test_answered_interval_resets_when_it_becomes_answered_again() -> None:
    c = call("answered", interval=5.0)
    plan = schedule.after_success(c, NOW, previous_status="transferring", policy=P)
    assert plan.interval == 2.0 and plan.at == NOW + 2.0


# ----------------------------------------------------------------------------- follow-ups


def test_terminal_gets_two_follow_ups_then_done() -> None:
    c = call("ended", last=cs("ended"))
    first = schedule.after_success(c, NOW, previous_status="answered", policy=P)
    assert (first.done, first.at, first.follow_ups_done) == (False, NOW + 2.0, 0)
    c.next_poll_at, c.interval, c.follow_ups_done = first.at, first.interval, first.follow_ups_done
    second = schedule.after_success(c, first.at, previous_status="ended", policy=P)
    # the second follow-up comes 5 s after the end was first seen
    assert (second.done, second.at, second.follow_ups_done) == (False, NOW + 5.0, 1)
    c.next_poll_at, c.interval, c.follow_ups_done = second.at, second.interval, second.follow_ups_done
    third = schedule.after_success(c, second.at, previous_status="ended", policy=P)
    assert third.done and third.follow_ups_done == 2


def test_first_observation_terminal_also_gets_follow_ups() -> None:
    c = call("failed", last=cs("failed", disposition="busy"))
    plan = schedule.after_success(c, NOW, previous_status=None, policy=P)
    assert not plan.done and plan.at == NOW + 2.0


def test_all_late_fields_present_means_done_at_once() -> None:
    full = cs("ended", duration_seconds=20, recording_url="https://r/x", sentiment_score=0.2)
    assert schedule.late_fields_complete(full)
    assert not schedule.late_fields_complete(cs("ended", duration_seconds=0))
    c = call("ended", last=full)
    assert schedule.after_success(c, NOW, previous_status="answered", policy=P).done
    c2 = call("ended", last=full, follow_ups_done=0, next_poll_at=NOW + 1)
    assert schedule.after_success(c2, NOW, previous_status="ended", due=False, policy=P).done


def test_a_page_read_that_was_not_due_does_not_use_up_a_follow_up() -> None:
    c = call("ended", last=cs("ended"), next_poll_at=NOW + 1.5, interval=2.0, follow_ups_done=0)
    plan = schedule.after_success(c, NOW, previous_status="ended", due=False, policy=P)
    assert (plan.done, plan.at, plan.follow_ups_done) == (False, NOW + 1.5, 0)


def test_a_live_call_read_from_a_page_is_realigned_on_that_read() -> None:
    c = call("answered", interval=3.0, next_poll_at=NOW + 2.5)
    plan = schedule.after_success(c, NOW, previous_status="answered", due=False, policy=P)
    assert plan.at == NOW + 4.5


def test_no_follow_ups_configured_means_done_when_terminal() -> None:
    policy = PollPolicy(follow_ups=())
    c = call("failed", last=cs("failed"))
    assert schedule.after_success(c, NOW, previous_status="ringing", policy=policy).done


def test_follow_up_gaps() -> None:
    assert schedule.follow_up_gaps(P) == [2.0, 3.0]
    assert schedule.follow_up_gaps(PollPolicy(follow_ups=(1.0, 1.0, 4.0))) == [1.0, 0.0, 3.0]


# ----------------------------------------------------------------------------- error backoff


def test_error_backoff_is_exponential_with_seeded_jitter_and_capped() -> None:
    delays = [schedule.error_delay(n, random.Random(42), P) for n in range(1, 10)]
    again = [schedule.error_delay(n, random.Random(42), P) for n in range(1, 10)]
    assert delays == again  # seeded: reproducible
    for n, d in enumerate(delays, start=1):
        raw = min(P.error_cap, P.error_base * 2 ** (n - 1))
        assert raw * 0.75 <= d <= min(P.error_cap, raw * 1.25)
    assert delays[-1] <= 30.0 and delays[5] >= 0.75 * 30.0
    rng = random.Random(1)
    draws = {round(schedule.error_delay(3, rng, P), 6) for _ in range(20)}
    assert len(draws) > 1  # jitter actually varies


@given(n=st.integers(min_value=0, max_value=10_000), seed=st.integers(0, 2**32))
def test_error_backoff_never_exceeds_the_cap(n: int, seed: int) -> None:
    d = schedule.error_delay(n, random.Random(seed), P)
    assert 0.75 * P.error_base <= d <= P.error_cap


def test_after_error_never_polls_sooner_than_the_state_interval() -> None:
    c = call("answered", interval=5.0, consecutive_errors=1)
    assert schedule.after_error(c, NOW, random.Random(0), P) >= NOW + 5.0
    c = call("ringing", interval=1.0, consecutive_errors=4)
    at = schedule.after_error(c, NOW, random.Random(0), P)
    assert NOW + 6.0 <= at <= NOW + 10.0


# ----------------------------------------------------------------------------- stale


def test_stale_threshold_is_three_intervals_or_ten_seconds() -> None:
    assert schedule.stale_threshold(call("ringing", interval=1.0), P) == 10.0
    assert schedule.stale_threshold(call("answered", interval=5.0), P) == 15.0
    assert schedule.stale_threshold(call("transferring", interval=0.0), P) == 10.0


def test_stale_after_the_threshold_without_success() -> None:
    c = call("answered", interval=5.0, last_ok=NOW)
    assert not schedule.is_stale(c, NOW + 15.0, P)
    assert schedule.is_stale(c, NOW + 15.01, P)
    never = call("ringing", interval=1.0, first_seen=NOW, last_ok=None)
    assert not schedule.is_stale(never, NOW + 10.0, P)
    assert schedule.is_stale(never, NOW + 10.5, P)
    assert not schedule.is_stale(call("ended", done=True, last_ok=0.0), NOW, P)


# ----------------------------------------------------------------------------- watchdogs


def test_ringing_overdue_after_the_ringing_timeout_plus_margin() -> None:
    c = call("ringing", placed_at=NOW, ringing_timeout_seconds=30)
    assert not schedule.ringing_overdue(c, NOW + 45.0, P)
    assert schedule.ringing_overdue(c, NOW + 45.1, P)
    c.status = "initiated"
    assert schedule.ringing_overdue(c, NOW + 45.1, P)
    c.status = "answered"
    assert not schedule.ringing_overdue(c, NOW + 500, P)
    default = call("ringing", placed_at=NOW)  # API default timeout 80
    assert not schedule.ringing_overdue(default, NOW + 95.0, P)
    assert schedule.ringing_overdue(default, NOW + 95.1, P)


def test_over_max_duration_after_max_plus_margin_since_answered() -> None:
    c = call("answered", placed_at=NOW - 10, answered_at=NOW, max_call_duration_seconds=60)
    assert not schedule.over_max_duration(c, NOW + 90.0, P)
    assert schedule.over_max_duration(c, NOW + 90.1, P)
    c.status = "transferring"  # unknown live status after the answer still counts
    assert schedule.over_max_duration(c, NOW + 90.1, P)
    c.status = "ended"
    assert not schedule.over_max_duration(c, NOW + 9999, P)
    unknown_answer = call("answered", answered_at=None)
    assert not schedule.over_max_duration(unknown_answer, NOW + 99999, P)


def test_computed_flags_combine() -> None:
    c = call("ringing", placed_at=NOW, first_seen=NOW, last_ok=NOW, interval=1.0,
             ringing_timeout_seconds=10)
    assert schedule.computed_flags(c, NOW + 1, P) == set()
    assert schedule.computed_flags(c, NOW + 11, P) == {"stale"}
    assert schedule.computed_flags(c, NOW + 26, P) == {"stale", "ringing-overdue"}
    assert schedule.COMPUTED_FLAGS <= schedule.FLAGS
    assert schedule.FLAGS == {"stale", "ringing-overdue", "over-max-duration",
                              "outcome-unknown", "not-found"}


def test_scaled_policy_shrinks_polling_times_but_not_watchdog_margins() -> None:
    fast = P.scaled(0.1)
    assert fast.fast_interval == pytest.approx(0.1)
    assert fast.follow_ups == pytest.approx((0.2, 0.5))
    assert fast.stale_min == pytest.approx(1.0)
    assert fast.answered_growth == P.answered_growth
    assert fast.ringing_margin == P.ringing_margin and fast.not_found_after == 3
