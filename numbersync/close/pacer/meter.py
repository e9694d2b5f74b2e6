"""The pacing decisions of one bucket: whether a request may go now or how long it waits, from the
windows the answers have shown; single-threaded, on clock times its caller gives."""

from __future__ import annotations

from dataclasses import dataclass

from numbersync.close.pacer.flights import Flights
from numbersync.close.pacer.refusals import (
    Refusal,
    Refusals,
    refutes_early_refill,
    shows_late_end,
)
from numbersync.close.pacer.window import Bracket, Window, end_of
from numbersync.close.ratelimit import RateLimit

POLL = 0.01  # seconds between checks while only an answer in flight can tell more
# Requests sent at once before any answer told a budget. A command's first reads (/me/, users,
# groups, the first pages of numbers) are few and fixed by the command, not by the account, and
# the client's concurrency of them stays below every limit Close has been seen to show, so they
# all leave in the first round trip; writes, as many as the account has changes, go a few first.
FIRST_READS = 16
FIRST_WRITES = 4
# How much later than a whole `reset` says a window may end: each 429 just after a window we
# thought over adds a step (see refusals.shows_late_end).
_LATE_STEP = 0.5
_LATE_MAX = 1.0


@dataclass(frozen=True)
class Ticket:
    """A reservation of one request in a bucket, handed back when its answer comes."""

    seq: int
    waited: float


class Meter:
    """Reserves requests against every window the answers have shown, one `Window` per `limit`.

    A request goes when no window is spent, and takes one from each. Waits, in order: a hold
    after a 429 (the server's wait); after a 429, an answer (one probe at a time); before any
    answer, an answer once a few requests are out; the end of a spent window (the upper bound
    of its bracket, when the server has surely refilled it); and, when the binding window is
    below half its budget, the next slot of what is left spread over its time left. A wait
    beyond `max_wait` is not taken: the request goes, and the 429 handling decides.
    """

    def __init__(self, max_wait: float, first: int = FIRST_WRITES) -> None:
        self.max_wait = max_wait
        self.first = first  # requests sent at once before any answer told a budget
        self._windows: dict[int | None, Window] = {}
        self._flights = Flights()
        self._refusals = Refusals()
        self._metered: bool | None = None  # None until an answer says
        self._next_slot = 0.0
        self._blocked_until = 0.0
        self._probe_from: int | None = None  # after a 429: one at a time until an answer
        self._late = 0.0
        self._trust_jumps = True  # see Window.refilled_early
        self._rtt = 0.0  # smoothed round trip, seconds

    # Reserving --------------------------------------------------------------------------------

    def reserve(self, now: float, waited: float = 0.0) -> Ticket | float:
        """A ticket for a request sent now, or the seconds to wait before asking again (an
        answer may allow it sooner)."""
        wait = self._wait(now)
        if wait is not None and wait <= self.max_wait:
            return wait
        for window in self._windows.values():
            if window.remaining is not None:
                window.remaining -= 1
        return Ticket(self._flights.send(now), waited)

    def _wait(self, now: float) -> float | None:
        """None when a request may go now, else the seconds it waits (see the class docstring)."""
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._metered is False:
            return None
        self._roll_over_ended(now)
        known = [w for w in self._windows.values() if w.remaining is not None]
        if self._probe_from is not None:
            return POLL if self._flights.in_flight else self._until_refilled(known, now)
        if not known:
            # A command's first reads, of different paths, go together; more would be a burst
            # into a budget another run may have spent.
            return POLL if len(self._flights.in_flight) >= self.first else None
        if any(w.remaining is not None and w.remaining <= 0 for w in known):
            return self._until_refilled(known, now)
        return self._spread(min(known, key=Window.binding_order), now)

    def _roll_over_ended(self, now: float) -> None:
        """Refill every window whose end has surely passed. Requests in flight, and those sent
        after the earliest moment it could have ended, may already count in the next window:
        assume they do."""
        for window in self._windows.values():
            if window.end is not None and now >= window.end.hi:
                counted = self._flights.counted_after(window.end.lo)
                window.roll_over(counted, self._flights.next_seq, now)

    def _until_refilled(self, windows: list[Window], now: float) -> float | None:
        """Until the last of the spent windows whose end we know ends; when no end is known, a
        probe (one request, only when none is in flight) finds out."""
        spent = [w for w in windows if w.remaining is not None and w.remaining <= 0]
        ends = [w.end.hi for w in spent if w.end is not None]
        if ends:
            return max(ends) - now
        return POLL if self._flights.in_flight else None

    def _spread(self, binding: Window, now: float) -> float | None:
        """While the budget is high, requests go at once; below half, what is left is spread
        evenly over the time left. The upper bound of the end is late by up to a round trip
        (the server measured `reset` between send and receipt): aiming half a round trip
        earlier splits the difference between leaving budget unused and idling before the
        refill. Only the timing is shaped here: the budget still stops us at 0."""
        assert binding.remaining is not None
        if binding.end is None or binding.remaining > binding.spread_below():
            return None
        if now < self._next_slot:
            return self._next_slot - now
        end = binding.end.hi - self._rtt / 2
        self._next_slot = now + max(0.0, end - now) / binding.remaining
        return None

    # Feedback from answers --------------------------------------------------------------------

    def complete(
        self, ticket: Ticket, rate: RateLimit | None, *, received_at: float, success: bool
    ) -> None:
        """Take in the outcome of a request: its header (None when absent, or when no answer
        came), when it was received, and whether it succeeded."""
        sent_at = self._flights.land(ticket.seq, received_at)
        rtt = received_at - sent_at
        self._rtt = rtt if not self._rtt else 0.8 * self._rtt + 0.2 * rtt
        if success:
            self._refusals.succeeded()
        else:
            self._refusals.failed(ticket.seq, Refusal(sent_at, rate))
        if rate is None:
            if success and self._metered is None:
                self._metered = False  # a server without rate-limit headers: don't pace
        else:
            self._metered = True
            self._take_header(ticket.seq, rate, sent_at, received_at)
        if (
            self._probe_from is not None
            and ticket.seq >= self._probe_from
            and (success or rate is not None)
        ):
            self._probe_from = None
        self._flights.prune(w.end.lo for w in self._windows.values() if w.end is not None)

    def release(self, ticket: Ticket) -> None:
        """Forget a reservation whose request was never answered."""
        self._flights.drop(ticket.seq)

    def _take_header(self, seq: int, rate: RateLimit, sent_at: float, received_at: float) -> None:
        """Fold a header into the window of its `limit`, then into the windows it implies."""
        window = self._windows.get(rate.limit)
        if window is None:
            window = self._windows[rate.limit] = Window(rate.limit)
        end = None if rate.reset is None else end_of(rate.reset, sent_at, received_at, self._late)
        if rate.remaining is None:
            if end is not None and seq >= window.roll_seq:
                window.narrow(end)
            return
        if not self._place(window, seq, rate.remaining, end, received_at):
            return
        if window.remaining is None:
            return
        for other in self._windows.values():
            if other is not window:
                other.assume_at_least(rate.remaining, window.remaining)

    def _place(
        self, window: Window, seq: int, remaining: int, end: Bracket | None, received_at: float
    ) -> bool:
        """Fold the answer to `seq` into its window; False when it counted in one already over."""
        if window.predates(seq, remaining):
            return False
        in_flight = self._flights.in_flight
        if window.low is None or remaining < window.low:
            window.lower(seq, remaining, end, in_flight)
        elif (
            self._trust_jumps
            and end is not None
            and window.refilled_early(seq, remaining, received_at, self._flights.peak)
        ):
            window.open(seq, remaining, end, in_flight, received_at)
        else:
            window.overtaken(seq, remaining)
        return True

    # Refusals ---------------------------------------------------------------------------------

    def throttled(self, until: float, ticket: Ticket | None, now: float) -> None:
        """A 429 came back for `ticket` (completed already; None: the latest request that failed):
        hold every request until `until`, then probe one at a time, since our estimate was
        evidently wrong. The limit the 429 names (else the one that binds) is spent until its
        window ends."""
        self._blocked_until = max(self._blocked_until, until)
        if self._metered is False:
            return
        next_seq = self._flights.next_seq
        self._probe_from = next_seq
        seq, refusal = self._refusals.find(None if ticket is None else ticket.seq)
        self._refusals.count(seq, next_seq)
        named = None if refusal is None or refusal.rate is None else refusal.rate.limit
        window = self._windows.get(named)
        if window is None:
            # The 429 does not say which limit, nor when it returns.
            known = [w for w in self._windows.values() if w.remaining is not None]
            hold = self._refusals.blind_hold()
            if hold is not None and not any(w.end is not None for w in known):
                self._blocked_until = max(self._blocked_until, now + hold)
            if not known:
                return
            window = min(known, key=Window.binding_order)
        if refusal is not None and refutes_early_refill(refusal, window):
            self._trust_jumps = False
        if refusal is not None and shows_late_end(refusal, window, self._rtt):
            self._late = min(_LATE_MAX, self._late + _LATE_STEP)
        # A window that ends after the hold (by more than the hundredth `reset` may be rounded
        # to) stays spent until then; one that ends before, the hold already covers.
        if window.end is not None and window.end.hi > until + 0.02:
            window.spend()
        else:
            window.forget(next_seq)

    def describe(self, now: float) -> str:
        """The windows known, for the log."""
        return "; ".join(w.describe(now) for w in self._windows.values()) or "no budget known"
