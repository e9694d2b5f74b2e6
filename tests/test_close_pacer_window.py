"""One limit's window, on its own: the bracket of its end, and how answers, time and 429s move its
budget. Times are plain numbers; nothing waits."""

from __future__ import annotations

import pytest

from numbersync.close.pacer.window import Bracket, Window, end_of


def test_a_whole_reset_is_taken_as_rounded_up_and_a_fraction_to_the_hundredth() -> None:
    # Sent at 100.0, answered at 100.2: the server read its clock somewhere in between.
    whole = end_of(8, sent_at=100.0, received_at=100.2, late=0.0)
    assert (whole.lo, whole.hi) == pytest.approx((107.0, 108.2))
    fraction = end_of(0.5, sent_at=100.0, received_at=100.2, late=0.0)
    assert (fraction.lo, fraction.hi) == pytest.approx((100.49, 100.71))


def test_a_learnt_lateness_widens_only_whole_resets() -> None:
    assert end_of(8, sent_at=100.0, received_at=100.2, late=0.5).hi == pytest.approx(108.7)
    assert end_of(8.0, sent_at=100.0, received_at=100.2, late=0.5).hi == pytest.approx(108.7)
    assert end_of(7.5, sent_at=100.0, received_at=100.2, late=0.5).hi == pytest.approx(107.71)


def test_brackets_that_overlap_narrow_to_their_intersection() -> None:
    assert Bracket(10.0, 12.0).narrowed(Bracket(11.0, 13.0)) == Bracket(11.0, 12.0)
    assert Bracket(10.0, 12.0).narrowed(Bracket(10.5, 11.5)) == Bracket(10.5, 11.5)


def test_brackets_that_cannot_bound_the_same_end_give_way_to_the_newer() -> None:
    assert Bracket(10.0, 12.0).narrowed(Bracket(13.0, 14.0)) == Bracket(13.0, 14.0)
    assert Bracket(10.0, 12.0).narrowed(Bracket(8.0, 9.0)) == Bracket(8.0, 9.0)


def shown(remaining: int, in_flight: set[int], end: Bracket | None = None) -> Window:
    """A 40-request window whose lowest count shown so far is `remaining`."""
    window = Window(40)
    window.lower(0, remaining, end, in_flight)
    return window


def test_the_lowest_count_shown_less_the_requests_in_flight_is_the_budget() -> None:
    window = shown(30, {1, 2, 3}, Bracket(107.0, 108.2))
    assert (window.low, window.remaining) == (30, 27)
    assert window.end == Bracket(107.0, 108.2)
    window.lower(1, 25, Bracket(107.5, 108.5), {2, 3})
    assert (window.low, window.remaining) == (25, 23)
    assert window.end == Bracket(107.5, 108.2)  # narrowed, not replaced


def test_an_overtaken_answer_gives_back_its_deduction_once() -> None:
    # 30 left with requests 1-3 in flight; 1's answer, counted before the one that showed 30,
    # shows 31: it no longer counts after the lowest, so its deduction returns.
    window = shown(30, {1, 2, 3})
    window.overtaken(1, 31)
    assert window.remaining == 28
    window.overtaken(1, 31)  # the same request again (a retry's answer, say): nothing more
    window.overtaken(7, 35)  # not in flight when the budget was derived: nothing to give back
    assert window.remaining == 28
    assert window.seen == {30, 31, 35}


def test_a_refill_is_believed_early_only_after_the_end_could_have_come() -> None:
    window = shown(5, set(), Bracket(107.0, 108.2))
    # More than overtaking (at most 4 in flight) explains, but before the earliest end: no.
    assert not window.refilled_early(3, 38, received_at=106.9, overtaking=4)
    assert window.refilled_early(3, 38, received_at=107.1, overtaking=4)
    # Within what 4 answers overtaking each other could show: no.
    assert not window.refilled_early(3, 9, received_at=107.1, overtaking=4)
    assert not Window(40).refilled_early(3, 38, received_at=107.1, overtaking=4)  # no end known


def test_opening_a_window_starts_it_at_the_answer_that_showed_the_refill() -> None:
    window = shown(5, set(), Bracket(107.0, 108.2))
    window.overtaken(2, 6)
    window.open(3, 38, Bracket(114.0, 115.2), {4, 5}, now=107.1)
    assert (window.low, window.remaining, window.end) == (38, 36, Bracket(114.0, 115.2))
    assert (window.roll_seq, window.jumped_at, window.old_max) == (3, 107.1, 6)
    assert window.predates(2, 6)  # an answer from the old window: no longer placed
    assert not window.predates(2, 39)  # more than the old window ever showed: the new one's


def test_rolling_over_refills_less_what_may_already_count_in_the_next_window() -> None:
    window = shown(0, {1}, Bracket(107.0, 108.2))
    window.overtaken(1, 2)
    window.roll_over(counted=3, next_seq=9, now=108.2)
    assert window.remaining == 37
    assert window.end is None and window.low is None and window.seen == set()
    assert (window.roll_seq, window.rolled_at, window.old_max) == (9, 108.2, 2)
    assert window.predates(8, 2) and not window.predates(8, 3) and not window.predates(9, 0)


def test_an_answer_sent_before_the_roll_over_never_raises_what_it_assumed() -> None:
    window = shown(0, set(), Bracket(107.0, 108.2))
    window.roll_over(counted=30, next_seq=9, now=108.2)  # 10 assumed left
    window.lower(8, 35, None, set())  # a refill shown by an answer sent before the roll-over
    assert window.remaining == 10
    window.lower(9, 6, None, {10})  # sent after it: its count stands
    assert window.remaining == 5


def test_a_window_lost_track_of_has_at_least_what_the_closer_limit_shows() -> None:
    organization = Window(120)
    organization.assume_at_least(shown=39, left=37)  # the key's 40 was shown: 37 ours to spend
    assert organization.remaining == 37
    organization.assume_at_least(shown=30, left=28)  # never lowered that way
    assert organization.remaining == 37


def test_a_window_shown_in_its_current_period_keeps_its_own_estimate() -> None:
    organization = Window(120)
    organization.lower(0, 10, Bracket(107.0, 108.2), set())
    organization.assume_at_least(shown=39, left=39)
    assert organization.remaining == 10


def test_a_count_above_a_whole_limit_is_another_groups_and_lifts_nothing() -> None:
    key = Window(40)
    key.assume_at_least(shown=100, left=100)  # /me/'s own limit of 160, say
    assert key.remaining is None
    key.assume_at_least(shown=39, left=60)  # a closer limit cannot leave us more than 40
    assert key.remaining == 40
    unnamed = Window(None)
    unnamed.assume_at_least(shown=100, left=99)
    assert unnamed.remaining == 99


def test_a_429_spends_a_window_or_forgets_it() -> None:
    window = shown(5, set(), Bracket(107.0, 108.2))
    window.spend()
    assert window.remaining == 0
    window.forget(next_seq=12)
    assert (window.remaining, window.end, window.low, window.old_max) == (None, None, None, None)
    assert window.predates(11, 99) and not window.predates(12, 0)


def test_the_least_budget_binds_then_the_latest_end() -> None:
    early, late, endless = Window(40), Window(120), Window(200)
    early.lower(0, 5, Bracket(101.0, 102.0), set())
    late.lower(0, 5, Bracket(107.0, 108.0), set())
    endless.lower(0, 5, None, set())
    assert min([early, late], key=Window.binding_order) is late
    assert min([early, late, endless], key=Window.binding_order) is endless
    endless.remaining = 6
    assert min([early, late, endless], key=Window.binding_order) is late


@pytest.mark.parametrize(("limit", "low", "below"), [(40, None, 20), (3, None, 1), (None, 9, 5)])
def test_requests_are_spread_below_half_the_window(
    limit: int | None, low: int | None, below: int
) -> None:
    window = Window(limit)
    window.low = low
    assert window.spread_below() == below


def test_a_window_describes_itself_for_the_log() -> None:
    window = shown(5, {1}, Bracket(107.0, 108.2))
    assert window.describe(now=106.0) == "limit 40: remaining 4, reset in 2.2 s"
    assert Window(None).describe(now=106.0) == "limit None: remaining None, reset in unknown"
