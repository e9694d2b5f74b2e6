"""One rate limit's window as the answers show it, and when it ends: the model the pacer's
decisions rest on (docs/pacing.md tells it whole)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bracket:
    """When a window ends, as far as the answers tell: at a clock time between `lo` and `hi`."""

    lo: float
    hi: float

    def narrowed(self, newer: Bracket) -> Bracket:
        """The intersection with `newer` when the two overlap; else `newer` alone, since the two
        cannot bracket the same end (the answer came from another counter or a later window)."""
        lo, hi = max(self.lo, newer.lo), min(self.hi, newer.hi)
        return newer if lo > hi else Bracket(lo, hi)


def end_of(reset: float, sent_at: float, received_at: float, late: float) -> Bracket:
    """Where the window of an answer ends, from its `reset`.

    The server read its clock somewhere between `sent_at` and `received_at`. A whole `reset` is
    taken as rounded up, so the true value lies within the second below it, and up to `late`
    above it (the allowance 429s taught: Close's rounding is undocumented); a fraction is taken
    as rounded to the hundredth.
    """
    whole = float(reset).is_integer()
    lo = sent_at + reset - (1.0 if whole else 0.01)
    hi = received_at + reset + (late if whole else 0.01)
    return Bracket(lo, hi)


class Window:
    """One of the limits Close counts a request against, known by its `limit` value.

    Close keeps one limit per API key and a larger one per organization, each in fixed windows:
    `remaining` falls as requests arrive and refills when the window ends. Each answer's header
    shows only the limit closest to exhaustion, so the limits take turns; each keeps its own
    estimate here, updated only by the answers that show it.

    `remaining` is our estimate of what the window has left, our own reservations deducted: the
    lowest count shown in the window (a higher one was counted earlier, or by a counter the
    server keeps apart) minus the requests in flight when it was shown. `end` brackets the
    window's end. `roll_seq` is the first request known to count in the current window: the
    answers to earlier ones may come from the previous window.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.remaining: int | None = None
        self.end: Bracket | None = None
        self.low: int | None = None  # the lowest `remaining` shown in the current window
        self.seen: set[int] = set()  # every `remaining` shown in the current window
        # The requests in flight when `remaining` was last derived from an answer: each was
        # deducted, so one whose answer shows it was counted before that answer is given back.
        self.basis: set[int] = set()
        self.roll_seq = 0
        self.rolled_at: float | None = None  # when we last assumed a refill from the time
        self.jumped_at: float | None = None  # when an answer last showed a refill (see `open`)
        self.old_max: int | None = None  # the highest `remaining` the previous window showed

    # An answer that shows this window --------------------------------------------------------

    def predates(self, seq: int, remaining: int) -> bool:
        """Whether the answer to `seq` counted in the previous window: sent before the roll-over,
        and showing no more than that window ever did (more would be the refill)."""
        return seq < self.roll_seq and (self.old_max is None or remaining <= self.old_max)

    def lower(self, seq: int, remaining: int, end: Bracket | None, in_flight: set[int]) -> None:
        """Take the answer to `seq`, the lowest count the window has shown, as its budget."""
        self.low = remaining
        self.seen.add(remaining)
        fresh = remaining - len(in_flight)
        if seq < self.roll_seq and self.remaining is not None:
            fresh = min(fresh, self.remaining)  # never above what the roll-over assumed
        self.remaining = fresh
        self.basis = set(in_flight)
        if end is not None:
            self.narrow(end)

    def refilled_early(self, seq: int, remaining: int, received_at: float, overtaking: int) -> bool:
        """Whether the answer to `seq` shows that the window has ended before the upper bound of
        its bracket (short windows do): received after the lower bound, it shows more than the
        window's lowest by more than `overtaking` answers overtaking each other could explain."""
        return (
            seq >= self.roll_seq
            and self.end is not None
            and received_at >= self.end.lo
            and self.low is not None
            and remaining > self.low + overtaking
        )

    def open(self, seq: int, remaining: int, end: Bracket, in_flight: set[int], now: float) -> None:
        """Start the window that the answer to `seq` was counted in; answers to requests sent
        before it are placed as after a roll-over."""
        self.old_max = max(self.seen, default=self.low)
        self.roll_seq = seq
        self.rolled_at = None
        self.jumped_at = now
        self.end = end
        self.low = remaining
        self.seen = {remaining}
        self.remaining = remaining - len(in_flight)
        self.basis = set(in_flight)

    def overtaken(self, seq: int, remaining: int) -> None:
        """Take an answer showing more than the window's lowest: counted before the answer that
        showed the lowest (overtaken on the way back), or by another counter. Either way it does
        not count after the lowest, yet it was deducted as in flight: give it back. Its end
        bracket may be the other counter's, so it is not used."""
        self.seen.add(remaining)
        if seq in self.basis and self.remaining is not None:
            self.basis.discard(seq)
            self.remaining += 1

    def narrow(self, end: Bracket) -> None:
        self.end = end if self.end is None else self.end.narrowed(end)

    def assume_at_least(self, shown: int, left: int) -> None:
        """Another limit of the same group was shown, `shown` remaining and `left` once our
        requests in flight are deducted: being closer to exhaustion, it has no more than this
        one. That lifts a window we lost track of (its end passed and no answer has shown it
        since). A window shown in its current period keeps its own estimate: if ours is lower,
        it is another group's (the server groups finer than our bucket), as it is when `shown`
        exceeds this whole limit."""
        if self.end is not None or (self.limit is not None and shown > self.limit):
            return
        floor = left if self.limit is None else min(self.limit, left)
        if self.remaining is None or self.remaining < floor:
            self.remaining = floor
            self.basis = set()

    # What time and 429s say ------------------------------------------------------------------

    def roll_over(self, counted: int, next_seq: int, now: float) -> None:
        """The window has surely ended, so the server has refilled it: start the next with
        `counted` requests already spent (those that may count in it), from `next_seq` on.
        Answers to earlier requests may come from either window: they must not overwrite the
        budget assumed here. Those showing a refill (more than the old window ever showed)
        opened the new window, though, and bound its end."""
        self.remaining = None if self.limit is None else self.limit - counted
        self.old_max = max(self.seen, default=self.low)
        self.roll_seq = next_seq
        self.rolled_at = now
        self.jumped_at = None
        self.end = None
        self.low = None
        self.seen = set()
        self.basis = set()

    def spend(self) -> None:
        """A 429 says this window has nothing left until its end."""
        self.remaining = min(self.remaining or 0, 0)

    def forget(self, next_seq: int) -> None:
        """A 429 says our picture of this window was wrong and its end is past: know nothing of
        it until an answer to a request from `next_seq` on."""
        self.remaining = None
        self.end = None
        self.low = None
        self.seen = set()
        self.basis = set()
        self.roll_seq = next_seq
        self.old_max = None

    # Reading it -------------------------------------------------------------------------------

    def binding_order(self) -> tuple[int, float]:
        """Sorts windows by what binds first: the least budget, then the latest end."""
        assert self.remaining is not None
        return (self.remaining, -(self.end.hi if self.end is not None else math.inf))

    def spread_below(self) -> int:
        """Below this budget, requests are spread over the time left; above it, sent at once."""
        full = self.limit if self.limit is not None else (self.low or 0) + 1
        return max(1, full // 2)

    def describe(self, now: float) -> str:
        end = "unknown" if self.end is None else f"{max(0.0, self.end.hi - now):.1f} s"
        return f"limit {self.limit}: remaining {self.remaining}, reset in {end}"
