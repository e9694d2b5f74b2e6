"""What 429s tell the pacer, on its own: which refusal a 429 is, bursts against probes refused in a
row, the blind hold, and what a refusal shows about a window."""

from __future__ import annotations

import pytest

from numbersync.close.pacer.refusals import (
    Refusal,
    Refusals,
    refutes_early_refill,
    shows_late_end,
)
from numbersync.close.pacer.window import Window
from numbersync.close.ratelimit import RateLimit

BARE = Refusal(100.0, None)


def test_a_429_is_found_by_its_request_or_else_is_the_latest_failure() -> None:
    refusals = Refusals()
    assert refusals.find(None) == (-1, None)
    refusals.failed(5, Refusal(100.0, None))
    refusals.failed(3, Refusal(100.1, RateLimit(40, 0, 2.0)))  # answers overtake each other
    assert refusals.find(5) == (5, Refusal(100.0, None))
    assert refusals.find(9) == (9, None)
    # No request given: the latest failure says which limit refused, and the highest number
    # whether it came after the previous 429.
    assert refusals.find(None) == (5, Refusal(100.1, RateLimit(40, 0, 2.0)))


def test_only_the_latest_failures_are_kept() -> None:
    refusals = Refusals()
    for seq in range(100):
        refusals.failed(seq, BARE)
    assert refusals.find(35) == (35, None)
    assert refusals.find(36) == (36, BARE)


def test_a_burst_refused_together_counts_once_and_a_success_ends_the_run() -> None:
    refusals = Refusals()
    refusals.count(seq=0, next_seq=8)  # 8 requests in flight, all refused
    for seq in range(1, 8):
        refusals.count(seq, next_seq=8)
    assert refusals.in_a_row == 1
    refusals.count(seq=8, next_seq=9)  # the probe sent after them
    assert refusals.in_a_row == 2
    refusals.succeeded()
    assert refusals.in_a_row == 0


def test_the_blind_hold_starts_at_the_third_refusal_in_a_row_and_doubles_up_to_10_s() -> None:
    refusals = Refusals()
    holds = []
    for seq in range(8):
        refusals.count(seq, next_seq=seq + 1)
        holds.append(refusals.blind_hold())
    assert holds == [None, None, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def test_a_refusal_after_a_believed_early_refill_refutes_it() -> None:
    window = Window(40)
    assert not refutes_early_refill(BARE, window)
    window.jumped_at = 100.0
    assert refutes_early_refill(Refusal(100.0, None), window)
    assert not refutes_early_refill(Refusal(99.9, None), window)  # sent before we believed it


@pytest.mark.parametrize(
    ("sent_at", "rate", "late"),
    [
        (100.0, None, True),  # bare, just after the roll-over
        (101.05, None, True),  # within a second and a round trip
        (101.2, None, False),  # too long after: another cause
        (99.9, None, False),  # sent before we assumed the window over
        (100.5, RateLimit(40, 0, 1.0), True),  # the header says it ends within a second
        (100.5, RateLimit(40, 0, 0.3), True),
        (100.5, RateLimit(40, 0, 2.0), False),  # a window ending later: not this one's end
        (100.5, RateLimit(40, 0, None), True),
    ],
)
def test_a_refusal_just_after_a_roll_over_shows_windows_end_late(
    sent_at: float, rate: RateLimit | None, late: bool
) -> None:
    window = Window(40)
    assert not shows_late_end(Refusal(sent_at, rate), window, rtt=0.1)  # never rolled over
    window.roll_over(counted=0, next_seq=10, now=100.0)
    assert shows_late_end(Refusal(sent_at, rate), window, rtt=0.1) == late
