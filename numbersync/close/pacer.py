"""The pacer: spends Close's rate-limit budget without provoking 429s and without idling, one
bucket per HTTP method, each following every limit the `RateLimit` header has shown it."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from numbersync.close.ratelimit import RateLimit
from numbersync.stopping import Stop, pause

log = logging.getLogger("numbersync.http")

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_POLL = 0.01  # seconds between checks while only an answer in flight can tell us more
_FIRST_PROBES = 4  # requests sent at once before any answer told us a budget
_REFUSALS_KEPT = 64  # failed requests remembered for throttled(), the latest ones
_STOP_POLL = 0.1  # with a real clock, a waiting acquire looks at the stop flag this often
_BLIND_HOLD = 0.5  # seconds a bucket holds after a 429 that tells nothing, doubling in a row
_BLIND_HOLD_MAX = 10.0
# How much later than the header says a window may end when `reset` is a whole number. Close's
# rounding is undocumented: we assume it rounds up (then the header is never early); a 429 just
# after a window we thought over shows otherwise, and each one adds a step, up to a second.
_LATE_STEP = 0.5
_LATE_MAX = 1.0


@dataclass(frozen=True)
class Ticket:
    """A reservation of one request in a bucket, handed back to `Bucket.complete`."""

    seq: int
    waited: float


class _Window:
    """One limit as the answers show it: Close counts each request against a limit per API key
    and one per organization, and the header describes whichever is closer to exhaustion, so a
    limit is known by its `limit` value. Fixed windows: `remaining` falls within one, refills
    when it ends."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.remaining: int | None = None  # our estimate, reservations included
        self.end_lo: float | None = None  # bracket of the current window's end (clock time)
        self.end_hi: float | None = None
        self.low: int | None = None  # the lowest `remaining` shown in the current window
        self.seen: set[int] = set()  # every `remaining` shown in the current window
        # Requests in flight when `remaining` was last derived from an answer: each was deducted,
        # so one whose answer shows it was counted before that answer is given back.
        self.basis: set[int] = set()
        self.roll_seq = 0  # first seq sent after the last roll-over
        self.rolled_at: float | None = None  # when we last assumed a refill from the time
        self.jumped_at: float | None = None  # when an answer last showed one early (see _open)
        self.old_max: int | None = None  # the highest `remaining` the previous window showed

    def narrow(self, lo: float, hi: float) -> None:
        """Take a bracket of the end into account: the intersection when it is compatible, else
        (the answer came from a counter or a window other than the one we thought) the newer."""
        apart = (
            self.end_lo is not None
            and self.end_hi is not None
            and (max(self.end_lo, lo) > min(self.end_hi, hi))
        )
        if self.end_lo is None or self.end_hi is None or apart:
            self.end_lo, self.end_hi = lo, hi
        else:
            self.end_lo, self.end_hi = max(self.end_lo, lo), min(self.end_hi, hi)

    def describe(self, now: float) -> str:
        end = "unknown" if self.end_hi is None else f"{max(0.0, self.end_hi - now):.1f} s"
        return f"limit {self.limit}: remaining {self.remaining}, reset in {end}"


class Bucket:
    """The budget of the requests of one HTTP method, shared by all threads.

    Close enforces a limit per API key and a larger one per organization, per endpoint group, in
    fixed windows; each answer's `RateLimit` header shows the one closer to exhaustion. Every
    limit seen (told apart by its `limit` value) gets a `_Window`; a request goes only when every
    known window has budget, and takes one from each. An answer re-derives its window's budget as
    `remaining - requests in flight`, taking the lowest value shown within a window: a higher one
    was counted earlier, or by a counter the server keeps apart (groups finer than our bucket).
    Since the header shows the closest limit, a window we lost track of has at least as much.

    A window's end is bracketed: `sent_at + reset - g <= end <= received_at + reset`, where g is
    the rounding of `reset` (1 s for integers); the answers that lower the budget narrow the
    bracket. The upper bound lets us assume a refill, never early; then every request in flight
    or sent after the lower bound may already count in the new window, and is deducted from the
    fresh budget. An answer showing far more than the window's lowest after its lower bound shows
    the refill sooner (1-second windows with whole-second resets); once that led to a 429, the
    server's groups are finer than the bucket and only the bracket counts. A 429 just after a
    refill we assumed means `reset` is not rounded up: later ends are allowed for. While the
    budget is high, requests go at once; below half, they are spread over the time left; at 0,
    they wait. Before any answer a few requests go at once; after a 429, one at a time, until an
    answer tells us the budget.
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        sleep: Sleep | None,
        max_wait: float,
        stop: Stop | None = None,
    ) -> None:
        self.name = name
        self._clock = clock
        # With no injected sleep we wait on the condition, so that an answer that refills the
        # budget wakes waiters at once; tests inject a fake sleep (and clock) instead.
        self._sleep = sleep
        self._max_wait = max_wait
        self._stop = stop
        self._cond = threading.Condition()
        self._metered: bool | None = None  # None until an answer says
        self._windows: dict[int | None, _Window] = {}
        self._next_seq = 0
        self._in_flight: set[int] = set()
        self._peak_in_flight = 1
        self._sent: dict[int, float] = {}  # seq -> send time, while it may matter
        self._next_slot = 0.0
        self._blocked_until = 0.0
        self._probe_from: int | None = None  # after a 429: one at a time until an answer
        # The send time and header of the latest requests that failed, by seq, for throttled().
        self._refused: dict[int, tuple[float, RateLimit | None]] = {}
        self._late = 0.0  # see _LATE_STEP
        self._refusals_in_a_row = 0  # 429 events since the last success, for blind holds
        self._throttled_seq = 0  # first seq sent after the last 429
        self._trust_jumps = True  # see _place
        self._rtt = 0.0  # smoothed round trip of this bucket's requests, seconds

    # Reserving ------------------------------------------------------------------------------

    def acquire(self) -> Ticket:
        """Wait until a request may be sent, reserve it, and return its ticket. Raises
        numbersync.stopping.Stopped at once when the stop flag is (or becomes) set."""
        started = self._clock()
        logged = False
        with self._cond:
            while True:
                if self._stop is not None:
                    self._stop.check()
                now = self._clock()
                wait = self._reserve_or_wait(now)
                if wait is None:
                    return self._issue(now, now - started)
                if not logged and wait >= 0.25:
                    logged = True
                    log.info("pacing %s: waiting %.1f s (%s)", self.name, wait, self._describe())
                self._pause(wait)

    def try_acquire(self) -> Ticket | float:
        """Reserve a request if one may be sent now, else say how many seconds to wait before
        asking again (an answer may allow it sooner): for callers that schedule their own
        waiting, such as a simulation."""
        with self._cond:
            now = self._clock()
            wait = self._reserve_or_wait(now)
            return self._issue(now, 0.0) if wait is None else wait

    def _issue(self, now: float, waited: float) -> Ticket:
        seq = self._next_seq
        self._next_seq += 1
        self._in_flight.add(seq)
        self._peak_in_flight = max(self._peak_in_flight, len(self._in_flight))
        self._sent[seq] = now
        return Ticket(seq, waited)

    def _reserve_or_wait(self, now: float) -> float | None:
        """None when a request may go now (the budgets are then decremented), else seconds to
        wait (a short poll when only an answer in flight can tell)."""
        wait = self._wait(now)
        if wait is not None and wait > self._max_wait:
            # Waiting that long is pointless: send, and let the 429 handling decide (it gives
            # up with a clear message when the server wants too long a pause).
            wait = None
        if wait is None:
            self._take()
        return wait

    def _wait(self, now: float) -> float | None:
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._metered is False:
            return None
        for window in self._windows.values():
            if window.end_hi is not None and now >= window.end_hi:
                self._roll_over(window, now)
        known = [w for w in self._windows.values() if w.remaining is not None]
        if self._probe_from is not None:
            # After a 429: one request at a time until an answer tells us the budget again.
            return _POLL if self._in_flight else self._exhausted_wait(known, now)
        if not known:
            # Before any answer told us a budget: a few requests at once (a command's first
            # reads, of different paths, go together), so that 16 workers don't start with a
            # burst into a budget another run may have spent.
            return _POLL if len(self._in_flight) >= _FIRST_PROBES else None
        spent = [w for w in known if w.remaining is not None and w.remaining <= 0]
        if spent:
            return self._exhausted_wait(spent, now)
        binding = min(known, key=_budget)
        assert binding.remaining is not None
        if binding.end_hi is not None and binding.remaining <= _spread_below(binding):
            # Low on budget: spread what is left evenly over the time left in the window. The
            # upper bound is late by up to a round trip (the server measured `reset` somewhere
            # between send and receipt); aiming half a round trip earlier splits the difference
            # between leaving budget unused and idling before the refill. Only the timing is
            # shaped here: the budget itself still stops us at 0 until the upper bound.
            if now < self._next_slot:
                return self._next_slot - now
            end = binding.end_hi - self._rtt / 2
            self._next_slot = now + max(0.0, end - now) / binding.remaining
        return None

    def _exhausted_wait(self, windows: list[_Window], now: float) -> float | None:
        """Until the last of the spent windows whose end we know ends; when no end is known,
        a probe (one request, only when none is in flight) finds out."""
        spent = [w for w in windows if w.remaining is not None and w.remaining <= 0]
        ends = [w.end_hi for w in spent if w.end_hi is not None]
        if ends:
            return max(ends) - now
        return _POLL if self._in_flight else None

    def _take(self) -> None:
        """Reserve one request of every budget (the caller sends it now)."""
        for window in self._windows.values():
            if window.remaining is not None:
                window.remaining -= 1

    def _roll_over(self, window: _Window, now: float) -> None:
        """The window we knew about has surely ended, so the server has refilled its budget.
        Requests in flight, and those sent after the earliest moment the window could have
        ended, may already count in the new window: assume they do."""
        lo = window.end_lo
        counted = sum(
            1
            for seq, sent in self._sent.items()
            if seq in self._in_flight or (lo is not None and sent >= lo)
        )
        window.remaining = None if window.limit is None else window.limit - counted
        # Answers to requests sent before now may come from either window: they must not
        # overwrite the budget we now assume. Those showing a refill (more remaining than the
        # old window ever showed) opened the new window, though, and bound its end.
        window.old_max = max(window.seen, default=window.low)
        window.roll_seq = self._next_seq
        window.rolled_at = now
        window.jumped_at = None
        window.end_lo = window.end_hi = None
        window.low = None
        window.seen = set()
        window.basis = set()

    def _pause(self, wait: float) -> None:
        if self._sleep is not None:
            self._cond.release()
            try:
                pause(wait, self._stop, self._sleep)
            finally:
                self._cond.acquire()
        elif self._stop is None:
            self._cond.wait(wait)
        else:
            # Waiting on the condition lets an answer wake us; the stop flag is another event,
            # so look at it every _STOP_POLL seconds.
            self._cond.wait(min(wait, _STOP_POLL))

    def _describe(self) -> str:
        now = self._clock()
        return "; ".join(w.describe(now) for w in self._windows.values()) or "no budget known"

    # Feedback from answers ------------------------------------------------------------------

    def complete(
        self,
        ticket: Ticket,
        rate: RateLimit | None,
        *,
        received_at: float,
        success: bool,
    ) -> None:
        """Record the outcome of a request: its RateLimit header (None when absent, or when no
        answer came), the clock time it was received, and whether it succeeded."""
        with self._cond:
            self._in_flight.discard(ticket.seq)
            sent_at = self._sent.get(ticket.seq, received_at)
            rtt = received_at - sent_at
            self._rtt = rtt if not self._rtt else 0.8 * self._rtt + 0.2 * rtt
            if success:
                self._refusals_in_a_row = 0
            else:
                self._refused[ticket.seq] = (sent_at, rate)
                if len(self._refused) > _REFUSALS_KEPT:
                    del self._refused[next(iter(self._refused))]
            if rate is None:
                if success and self._metered is None:
                    self._metered = False  # a server without rate-limit headers: don't pace
            else:
                self._metered = True
                self._apply(ticket.seq, rate, sent_at, received_at)
            if (
                self._probe_from is not None
                and ticket.seq >= self._probe_from
                and (success or rate is not None)
            ):
                self._probe_from = None
            self._prune_sent()
            self._cond.notify_all()

    def _apply(self, seq: int, rate: RateLimit, sent_at: float, received_at: float) -> None:
        window = self._windows.get(rate.limit)
        if window is None:
            window = self._windows[rate.limit] = _Window(rate.limit)
        lo = hi = None
        if rate.reset is not None:
            whole = float(rate.reset).is_integer()
            # Integers are rounded up (Close's way, we assume: see _LATE_STEP): the true value
            # lies within the second below. Fractions are taken as rounded to the hundredth.
            lo = sent_at + rate.reset - (1.0 if whole else 0.01)
            hi = received_at + rate.reset + (self._late if whole else 0.01)
        remaining = rate.remaining
        if remaining is None:
            if lo is not None and hi is not None and seq >= window.roll_seq:
                window.narrow(lo, hi)
            return
        if not self._place(window, seq, remaining, lo, hi, received_at) or window.remaining is None:
            return
        # The header showed the limit closest to exhaustion: every other limit of the same
        # group has at least as much left (this estimate already deducts the requests in
        # flight). That lifts a window we lost track of (its end passed, and the header has not
        # shown it since). A window shown in its current period keeps its own estimate: if ours
        # is lower, it is another group's (the server groups finer than our bucket), as it is
        # when `remaining` exceeds the other's whole limit.
        for other in self._windows.values():
            if other is window or other.end_hi is not None:
                continue
            if other.limit is not None and remaining > other.limit:
                continue
            floor = window.remaining if other.limit is None else min(other.limit, window.remaining)
            if other.remaining is None or other.remaining < floor:
                other.remaining = floor
                other.basis = set()

    def _place(
        self,
        window: _Window,
        seq: int,
        remaining: int,
        lo: float | None,
        hi: float | None,
        received_at: float,
    ) -> bool:
        """Fold an answer into its window; False when it came from a window already over."""
        if seq < window.roll_seq and (window.old_max is None or remaining <= window.old_max):
            # Sent before the last roll-over and no refill (more than the old window ever
            # showed): counted in the old window.
            return False
        if window.low is None or remaining < window.low:
            window.low = remaining
            window.seen.add(remaining)
            fresh = remaining - len(self._in_flight)
            if seq < window.roll_seq and window.remaining is not None:
                fresh = min(fresh, window.remaining)  # never above what the roll-over assumed
            window.remaining = fresh
            window.basis = set(self._in_flight)
            if lo is not None and hi is not None:
                window.narrow(lo, hi)
            return True
        if (
            self._trust_jumps
            and seq >= window.roll_seq
            and window.end_lo is not None
            and received_at >= window.end_lo
            and remaining > window.low + self._peak_in_flight
            and lo is not None
            and hi is not None
        ):
            # Above the window's lowest by more than answers overtaking each other could explain,
            # after its earliest end: the window has ended and this request counted in the next
            # (short windows end well before their bracket's upper bound).
            self._open(window, seq, remaining, lo, hi, received_at)
            return True
        # Counted before the answer that showed `low` (overtaken on the way back), or not in
        # this window's counter at all: either way it does not count after `low`, yet it was
        # deducted as in flight. Its end bracket may be another counter's: not used.
        window.seen.add(remaining)
        if seq in window.basis and window.remaining is not None:
            window.basis.discard(seq)
            window.remaining += 1
        return True

    def _open(
        self, window: _Window, seq: int, remaining: int, lo: float, hi: float, now: float
    ) -> None:
        """Start the window that the answer to `seq` was counted in; requests sent before it
        are placed as after a roll-over."""
        window.old_max = max(window.seen, default=window.low)
        window.roll_seq = seq
        window.rolled_at = None
        window.jumped_at = now
        window.end_lo, window.end_hi = lo, hi
        window.low = remaining
        window.seen = {remaining}
        window.remaining = remaining - len(self._in_flight)
        window.basis = set(self._in_flight)

    def _prune_sent(self) -> None:
        lows = [w.end_lo for w in self._windows.values() if w.end_lo is not None]
        if self._in_flight:
            # A window learnt later may bracket its end up to a second before a send in flight.
            lows.append(min(self._sent.get(s, math.inf) for s in self._in_flight) - 1.0)
        floor = min(lows, default=math.inf)
        self._sent = {s: t for s, t in self._sent.items() if s in self._in_flight or t >= floor}

    def throttled(self, until: float, ticket: Ticket | None = None) -> None:
        """A 429 came back (for `ticket`, completed already; by default the latest request that
        failed): hold every request of this bucket until `until`, then probe one at a time,
        since our estimate of the budget was evidently wrong. The limit the 429 names (the one
        closest to exhaustion, when it names none) is spent until its window ends."""
        with self._cond:
            self._blocked_until = max(self._blocked_until, until)
            if self._metered is False:
                return
            self._probe_from = self._next_seq
            if ticket is not None:
                refused = self._refused.get(ticket.seq)
            else:
                refused = self._refused[next(reversed(self._refused))] if self._refused else None
            seq = ticket.seq if ticket is not None else max(self._refused, default=-1)
            if seq >= self._throttled_seq:
                # Sent after the last 429 (a probe, not one of a burst refused together).
                self._refusals_in_a_row += 1
            self._throttled_seq = self._next_seq
            named = None if refused is None or refused[1] is None else refused[1].limit
            window = self._windows.get(named) if named in self._windows else None
            if window is None:
                # No header: the 429 does not say which limit, nor when it returns.
                known = [w for w in self._windows.values() if w.remaining is not None]
                if self._refusals_in_a_row >= 3 and not any(w.end_hi is not None for w in known):
                    # Nor do we know any window's end, and probes keep being refused: hold the
                    # whole bucket, twice longer each time, so that the waiting happens here
                    # rather than in the callers' retries (each counts against its request's
                    # attempts, and one probing request could run out of them).
                    blind = _BLIND_HOLD * 2 ** min(self._refusals_in_a_row - 1, 8)
                    hold = self._clock() + min(_BLIND_HOLD_MAX, blind)
                    self._blocked_until = max(self._blocked_until, hold)
                if not known:
                    return
                window = min(known, key=_budget)
            if (
                refused is not None
                and window.jumped_at is not None
                and refused[0] >= window.jumped_at
            ):
                # Refused after an answer made us believe in a refill before the window's
                # bracket ended: that answer came from a counter the server keeps apart from
                # this one (its groups are finer than our bucket). Wait for brackets from now on.
                self._trust_jumps = False
            if (
                refused is not None
                and window.rolled_at is not None
                and window.rolled_at <= refused[0] <= window.rolled_at + 1.0 + self._rtt
                and (refused[1] is None or (refused[1].reset or 0.0) <= 1.0)
            ):
                # Refused just after we assumed this window over, with the header (if any)
                # saying it ends within a second: it ends later than `reset` rounded up would
                # say (Close may round to nearest, or down). Allow for that from now on.
                self._late = min(_LATE_MAX, self._late + _LATE_STEP)
            if window.end_hi is not None and window.end_hi > until + 0.02:
                window.remaining = min(window.remaining or 0, 0)
            else:
                window.remaining = None
                window.end_lo = window.end_hi = None
                window.low = None
                window.seen = set()
                window.basis = set()
                window.roll_seq = self._next_seq  # ignore answers already on their way
                window.old_max = None

    def release(self, ticket: Ticket) -> None:
        """Forget a reservation whose request was never answered (e.g. an exception)."""
        with self._cond:
            self._in_flight.discard(ticket.seq)
            self._cond.notify_all()


def _budget(window: _Window) -> tuple[int, float]:
    """Order windows by what binds first: the least budget, then the latest end."""
    assert window.remaining is not None
    return (window.remaining, -(window.end_hi if window.end_hi is not None else math.inf))


def _spread_below(window: _Window) -> int:
    """Below this remaining budget, requests are spread out; above it, sent at once."""
    full = window.limit if window.limit is not None else (window.low or 0) + 1
    return max(1, full // 2)


class Pacer:
    """One Bucket per HTTP method, created on first use.

    Close's endpoint groups are undocumented, and a client cannot know which of its requests
    the server counts together. One bucket per method follows the coarsest grouping Close could
    plausibly use (it documents GETs and writes as separate groups): requests the server counts
    apart only make us a little careful (the lowest count shown binds), while requests it counts
    together in separate buckets would overrun the budget together.
    """

    def __init__(
        self,
        clock: Clock = time.monotonic,
        sleep: Sleep | None = None,
        max_wait: float = 60.0,
        stop: Stop | None = None,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._stop = stop
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}

    def bucket(self, method: str, path: str) -> Bucket:
        """The bucket a request of `method` on `path` goes through (every path of a method
        shares one; `path` is accepted so that callers need not know)."""
        name = method.upper()
        with self._lock:
            found = self._buckets.get(name)
            if found is None:
                found = self._buckets[name] = Bucket(
                    name, self._clock, self._sleep, self._max_wait, self._stop
                )
            return found
