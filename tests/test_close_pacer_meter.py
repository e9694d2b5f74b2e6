"""The pacer's decisions on their own: a meter told the time, asked whether a request may go now or
how long it waits. No threads and no clock: each test says when things happen."""

from __future__ import annotations

import pytest

from numbersync.close.pacer import Pacer
from numbersync.close.pacer.meter import FIRST_READS, FIRST_WRITES, POLL, Meter, Ticket
from numbersync.close.ratelimit import parse_rate_limit
from numbersync.models import DEFAULT_CONCURRENCY


def sent(meter: Meter, now: float) -> Ticket:
    got = meter.reserve(now)
    assert isinstance(got, Ticket), f"waits {got} s"
    return got


def answer(meter: Meter, ticket: Ticket, header: str | None, at: float, ok: bool = True) -> None:
    meter.complete(ticket, parse_rate_limit(header), received_at=at, success=ok)


def test_a_server_without_rate_limit_headers_is_not_paced() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), None, at=100.0)
    assert all(isinstance(meter.reserve(100.0), Ticket) for _ in range(50))


def test_before_any_answer_a_few_requests_go_then_one_is_awaited() -> None:
    meter = Meter(max_wait=60.0)
    first = [sent(meter, 100.0) for _ in range(4)]
    assert meter.reserve(100.0) == POLL
    meter.release(first[0])  # never answered: no longer holds a place
    sent(meter, 100.0)
    assert meter.reserve(100.0) == POLL
    answer(meter, first[1], "limit=40, remaining=39, reset=8", at=100.05)
    sent(meter, 100.05)


def test_before_any_answer_a_commands_first_reads_all_go() -> None:
    reads, writes = Meter(max_wait=60.0, first=FIRST_READS), Meter(max_wait=60.0)
    assert FIRST_READS == DEFAULT_CONCURRENCY
    for _ in range(FIRST_READS):
        sent(reads, 100.0)
    assert reads.reserve(100.0) == POLL
    for _ in range(FIRST_WRITES):
        sent(writes, 100.0)
    assert writes.reserve(100.0) == POLL


def test_a_get_bucket_sends_the_first_reads_together_and_a_put_bucket_a_few() -> None:
    pacer = Pacer(clock=lambda: 100.0, sleep=lambda seconds: None)
    assert (pacer.bucket("GET").meter.first, pacer.bucket("PUT").meter.first) == (16, 4)


def test_a_spent_window_waits_until_the_server_has_surely_refilled_it() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=3, remaining=0, reset=2", at=100.0)
    assert meter.reserve(100.0) == pytest.approx(2.0)  # the upper bound of its end, 102.0
    assert meter.reserve(101.5) == pytest.approx(0.5)
    sent(meter, 102.0)


def test_a_refilled_window_counts_the_requests_that_may_already_be_in_it() -> None:
    meter = Meter(max_wait=60.0)
    first = sent(meter, 100.0)
    answer(meter, first, "limit=3, remaining=2, reset=2", at=100.0)  # ends in [101.0, 102.0]
    sent(meter, 100.0)
    sent(meter, 101.5)  # sent after the window may have ended, so it may count in the next
    assert meter.reserve(101.5) == pytest.approx(0.5)
    # At 102.0 the next window has 3, less the two requests in flight: one left.
    sent(meter, 102.0)
    assert meter.reserve(102.0) == POLL  # spent, its end unknown until an answer brackets it


def test_below_half_its_budget_a_window_is_spread_over_the_time_left() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=10, remaining=4, reset=2", at=100.0)
    sent(meter, 100.0)  # 4 left for 2 s: one now, the next in 0.5 s
    assert meter.reserve(100.0) == pytest.approx(0.5)
    assert meter.reserve(100.3) == pytest.approx(0.2)
    sent(meter, 100.5)  # 3 left for 1.5 s
    assert meter.reserve(100.5) == pytest.approx(0.5)


def test_the_spread_aims_half_a_round_trip_before_the_end() -> None:
    # The end's upper bound is late by up to a round trip (0.2 s here).
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 99.8), "limit=10, remaining=4, reset=2", at=100.0)
    sent(meter, 100.0)
    assert meter.reserve(100.0) == pytest.approx((102.0 - 0.1 - 100.0) / 4)


def test_above_half_its_budget_a_window_is_spent_at_once() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=100, remaining=99, reset=1", at=100.0)
    for _ in range(50):  # the 50th goes at half the budget: 50 left for the last second
        sent(meter, 100.0)
    assert meter.reserve(100.0) == pytest.approx(1.0 / 50)  # from there, spread


def test_each_limit_shown_binds_on_its_own() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=40; remaining=39; reset=2", at=100.0)
    answer(meter, sent(meter, 100.0), "limit=120; remaining=1; reset=6", at=100.0)
    sent(meter, 100.0)  # the last one the organization allows
    # The key's window has 37 left and ends at 102, but the organization's binds until 106.
    assert meter.reserve(100.0) == pytest.approx(6.0)
    assert meter.describe(100.0) == (
        "limit 40: remaining 37, reset in 2.0 s; limit 120: remaining 0, reset in 6.0 s"
    )


def test_a_wait_beyond_max_wait_is_not_taken() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=10, remaining=0, reset=3600", at=100.0)
    sent(meter, 100.0)  # the 429 handling reports the server's hour-long wait


def test_after_a_429_the_bucket_holds_then_probes_one_at_a_time() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=10, remaining=9, reset=8", at=100.0)
    refused = sent(meter, 100.0)
    answer(meter, refused, "limit=10, remaining=0, reset=1", at=100.0, ok=False)
    meter.throttled(103.0, refused, now=100.0)
    assert meter.reserve(100.0) == pytest.approx(3.0)
    probe = sent(meter, 103.0)
    assert meter.reserve(103.0) == POLL
    answer(meter, probe, "limit=10, remaining=9, reset=8", at=103.05)
    sent(meter, 103.05)
    sent(meter, 103.05)


def test_the_limit_a_429_names_is_spent_until_its_window_ends() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=40, remaining=30, reset=2", at=100.0)
    answer(meter, sent(meter, 100.0), "limit=120, remaining=50, reset=6", at=100.0)
    refused = sent(meter, 100.0)
    # The organization's budget went to other keys: its 429 names it.
    answer(meter, refused, "limit=120, remaining=0, reset=6", at=100.0, ok=False)
    meter.throttled(100.5, refused, now=100.0)
    # The key's window has budget left; the organization's binds until its end, 106.0.
    assert meter.reserve(100.5) == pytest.approx(5.5)


def test_bare_429s_with_no_end_known_hold_the_bucket_longer_each_time() -> None:
    meter = Meter(max_wait=60.0)
    now, holds = 100.0, []
    for _ in range(5):
        refused = sent(meter, now)
        answer(meter, refused, None, at=now, ok=False)
        meter.throttled(now + 0.3, refused, now=now)  # the client's backoff
        wait = meter.reserve(now)
        assert isinstance(wait, float)
        holds.append(wait)
        now += wait
    assert holds == pytest.approx([0.3, 0.3, 2.0, 4.0, 8.0])


def test_a_429_just_after_a_roll_over_makes_later_windows_end_later() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=3, remaining=0, reset=2", at=100.0)
    refused = sent(meter, 102.0)  # the window ended, by `reset` rounded up; not so
    answer(meter, refused, "limit=3, remaining=0, reset=1", at=102.0, ok=False)
    meter.throttled(103.0, refused, now=102.0)
    probe = sent(meter, 103.0)
    answer(meter, probe, "limit=3, remaining=0, reset=8", at=103.0)
    assert meter.reserve(103.0) == pytest.approx(8.5)  # half a second more than it says


def test_an_early_refill_is_believed_until_a_429_refutes_it() -> None:
    meter = Meter(max_wait=60.0)
    answer(meter, sent(meter, 100.0), "limit=20, remaining=2, reset=1", at=100.0)
    # After the earliest end (100.0), far more than the lowest: the window refilled early.
    answer(meter, sent(meter, 100.0), "limit=20, remaining=19, reset=1", at=100.1)
    assert meter.describe(100.1) == "limit 20: remaining 19, reset in 1.0 s"
    # It came from a counter the server keeps apart: the next request is refused.
    refused = sent(meter, 100.1)
    answer(meter, refused, "limit=20, remaining=0, reset=1", at=100.2, ok=False)
    meter.throttled(101.2, refused, now=100.2)
    probe = sent(meter, 101.2)
    answer(meter, probe, "limit=20, remaining=2, reset=1", at=101.2)
    answer(meter, sent(meter, 101.2), "limit=20, remaining=19, reset=1", at=101.3)
    # No longer believed: the low count stands until its window's bracket ends.
    assert meter.describe(101.3) == "limit 20: remaining 1, reset in 0.9 s"
