"""Rate limits: lenient parsing of the `RateLimit`/`Retry-After` headers, retry backoff, and the
per-endpoint-group pacer that spends the server's budget without provoking 429s."""

from __future__ import annotations

import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

log = logging.getLogger("numbersync.http")

# Names accepted inside a `RateLimit` header. Close documents `limit=, remaining=, reset=`; the
# later IETF drafts shorten them to `r` (remaining) and `t` (seconds to reset).
_KEYS = {
    "limit": "limit",
    "remaining": "remaining",
    "reset": "reset",
    "r": "remaining",
    "t": "reset",
}
_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True)
class RateLimit:
    """What a response said about its endpoint group's budget: the window's `limit`, the requests
    `remaining` in it after this one, and the seconds until it `reset`s. Any may be missing."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None


def parse_rate_limit(value: str | None) -> RateLimit | None:
    """Parse a `RateLimit` header leniently, or return None when it says nothing usable.

    Keys in any order and any case, `,` or `;` between them, integer or float values, quotes and
    unknown keys ignored (Close's docs show commas, the live API was seen sending semicolons).
    Counts are rounded down, which errs on the side of sending fewer requests.
    """
    if not value:
        return None
    found: dict[str, float] = {}
    for item in _SEPARATORS.split(value):
        name, equals, raw = item.partition("=")
        key = _KEYS.get(name.strip().strip('"').lower())
        if not equals or key is None or key in found:
            continue
        number = _non_negative(raw.strip().strip('"'))
        if number is not None:
            found[key] = number
    if "remaining" not in found and "reset" not in found:
        return None
    limit, remaining = found.get("limit"), found.get("remaining")
    return RateLimit(
        limit=None if limit is None else math.floor(limit),
        remaining=None if remaining is None else math.floor(remaining),
        reset=found.get("reset"),
    )


def rate_limit_from_headers(headers: Mapping[str, str]) -> RateLimit | None:
    """The `RateLimit` header, or else the separate `RateLimit-Limit/-Remaining/-Reset` headers
    of the older drafts."""
    combined = parse_rate_limit(header(headers, "RateLimit"))
    if combined is not None:
        return combined
    parts = [
        f"{key}={header(headers, 'RateLimit-' + key)}"
        for key in ("limit", "remaining", "reset")
        if header(headers, "RateLimit-" + key) is not None
    ]
    return parse_rate_limit(", ".join(parts))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date (relative to
    `now`, a Unix time, default the current time); None when absent or unparsable."""
    if not value:
        return None
    seconds = _non_negative(value.strip())
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT; be lenient about the suffix
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(
    attempt: int, rng: random.Random, *, base: float = 0.5, cap: float = 10.0
) -> float:
    """Capped exponential backoff with full jitter for retry number `attempt` (1-based): uniform
    in [0, min(cap, base * 2**(attempt-1))], so that many clients don't retry in lockstep."""
    return rng.uniform(0.0, min(cap, base * 2 ** max(0, attempt - 1)))


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any case, from httpx.Headers or a plain dict."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _non_negative(raw: str) -> float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


# --- pacing ----------------------------------------------------------------------------------

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Ticket:
    """A reservation of one request in a bucket, handed back to `Bucket.complete`."""

    seq: int
    waited: float


class Bucket:
    """The budget of one endpoint group (e.g. `PUT phone_number`), shared by all threads.

    The server counts requests per group in windows; each answer says how many are `remaining`
    in the current window and in how many seconds it `reset`s. We keep a local estimate of the
    remaining budget, take one from it when a request is *sent* (several may be in flight), and
    re-derive it from the answer to the newest request as `remaining - requests in flight`
    (answers that overtook each other are reconciled: see `_apply`).

    The window's end is bracketed: `sent_at + reset - g <= end <= received_at + reset`, where g
    is the rounding of `reset` (1 s for integers, which Close rounds up); the answers of one
    window narrow the bracket. Only the upper bound lets us assume a refill, so a refill is
    never assumed early; then every request in flight or sent after the lower bound may already
    count in the new window, and is deducted from the fresh budget. While the budget is high,
    requests go at once; below half, they are spread over the time left; at 0, they wait.
    """

    def __init__(self, name: str, clock: Clock, sleep: Sleep | None, max_wait: float) -> None:
        self.name = name
        self._clock = clock
        # With no injected sleep we wait on the condition, so that a response that refills the
        # budget wakes waiters at once; tests inject a fake sleep (and clock) instead.
        self._sleep = sleep
        self._max_wait = max_wait
        self._cond = threading.Condition()
        self._metered: bool | None = None  # None until the first response says
        self._limit: int | None = None
        self._remaining: int | None = None  # local estimate, reservations included
        self._end_lo: float | None = None  # bracket of the current window's end (clock time)
        self._end_hi: float | None = None
        self._last_seen: int | None = None  # `remaining` of the newest applied response
        self._window_seen: set[int] = set()  # `remaining` values counted in the current window
        self._last_applied = -1  # seq of the newest request whose answer was applied
        self._next_seq = 0
        self._in_flight: set[int] = set()
        self._peak_in_flight = 1
        self._sent: dict[int, float] = {}  # seq -> send time, while it may matter
        self._next_slot = 0.0
        self._blocked_until = 0.0
        self._rtt = 0.0  # smoothed round trip of this group's requests, seconds
        # At the last roll-over: the first seq sent after it, and the highest `remaining` the
        # old window showed.
        self._pre_roll: tuple[int, int | None] = (0, None)

    # The waiting loop -----------------------------------------------------------------------

    def acquire(self) -> Ticket:
        """Wait until a request may be sent, reserve it, and return its ticket."""
        started = self._clock()
        logged = False
        with self._cond:
            while True:
                now = self._clock()
                wait = self._reserve_or_wait(now)
                if wait is not None and wait > self._max_wait:
                    # Waiting that long is pointless: send, and let the 429 handling decide
                    # (it gives up with a clear message when the server wants too long a pause).
                    self._take()
                    wait = None
                if wait is None:
                    seq = self._next_seq
                    self._next_seq += 1
                    self._in_flight.add(seq)
                    self._peak_in_flight = max(self._peak_in_flight, len(self._in_flight))
                    self._sent[seq] = now
                    return Ticket(seq, now - started)
                if not logged and wait >= 0.25:
                    logged = True
                    log.info("pacing %s: waiting %.1f s (%s)", self.name, wait, self._describe())
                self._pause(wait)

    def _reserve_or_wait(self, now: float) -> float | None:
        """None when a request may go now (the budget is then decremented), else seconds to wait
        (a short poll when only a response in flight can tell)."""
        if now < self._blocked_until:
            return self._blocked_until - now
        if self._metered is False:
            return None
        if self._end_hi is not None and now >= self._end_hi:
            self._roll_over()
        if self._remaining is None or (self._remaining <= 0 and self._end_hi is None):
            # Nothing known yet (first request, no `limit`, no `reset`): one request at a time
            # until a response tells us the budget, so that 16 workers don't start with a burst.
            if self._in_flight:
                return _POLL
            self._take()
            return None
        if self._remaining <= 0:
            assert self._end_hi is not None
            return self._end_hi - now
        if self._end_hi is not None and self._remaining <= self._spread_below():
            # Low on budget: spread what is left evenly over the time left in the window. The
            # upper bound is late by up to a round trip (the server measured `reset` somewhere
            # between send and receipt); aiming half a round trip earlier splits the difference
            # between leaving budget unused and idling before the refill. Only the timing is
            # shaped here: the budget itself still stops us at 0 until the upper bound.
            if now < self._next_slot:
                return self._next_slot - now
            end = self._end_hi - self._rtt / 2
            self._next_slot = now + max(0.0, end - now) / self._remaining
        self._take()
        return None

    def _take(self) -> None:
        """Reserve one request of the budget (the caller sends it now)."""
        if self._remaining is not None:
            self._remaining -= 1

    def _roll_over(self) -> None:
        """The window we knew about has surely ended, so the server has refilled the budget.
        Requests in flight, and those sent after the earliest moment the window could have
        ended, may already count in the new window: assume they do."""
        lo = self._end_lo
        counted = sum(
            1
            for seq, sent in self._sent.items()
            if seq in self._in_flight or (lo is not None and sent >= lo)
        )
        self._remaining = None if self._limit is None else self._limit - counted
        # Answers to requests sent before now may come from either window: they must not
        # overwrite the budget we now assume. Those showing a refill (more remaining than the
        # old window ever showed) opened the new window, though, and bound its end.
        old = self._window_seen | ({self._last_seen} if self._last_seen is not None else set())
        self._pre_roll = (self._next_seq, max(old, default=None))
        self._last_applied = self._next_seq - 1
        self._end_lo = self._end_hi = None
        self._last_seen = self._limit
        self._window_seen = set()
        self._sent = {seq: sent for seq, sent in self._sent.items() if seq in self._in_flight}

    def _spread_below(self) -> int:
        """Below this remaining budget, requests are spread out; above it, sent at once."""
        full = self._limit if self._limit is not None else (self._last_seen or 0) + 1
        return max(1, full // 2)

    def _pause(self, wait: float) -> None:
        if self._sleep is None:
            self._cond.wait(wait)
            return
        self._cond.release()
        try:
            self._sleep(wait)
        finally:
            self._cond.acquire()

    def _describe(self) -> str:
        end = self._end_hi
        reset = "unknown" if end is None else f"{max(0.0, end - self._clock()):.1f} s"
        return f"remaining {self._remaining}, reset in {reset}"

    # Feedback from responses ----------------------------------------------------------------

    def complete(
        self,
        ticket: Ticket,
        rate: RateLimit | None,
        *,
        received_at: float,
        success: bool,
    ) -> None:
        """Record the outcome of a request: its RateLimit header (None when absent, or when no
        response came), the clock time it was received, and whether it succeeded."""
        with self._cond:
            self._in_flight.discard(ticket.seq)
            sent_at = self._sent.get(ticket.seq, received_at)
            rtt = received_at - sent_at
            self._rtt = rtt if not self._rtt else 0.8 * self._rtt + 0.2 * rtt
            if rate is None:
                if success and self._metered is None:
                    self._metered = False  # a server without rate-limit headers: don't pace
            else:
                self._metered = True
                self._apply(ticket.seq, rate, sent_at, received_at)
            self._cond.notify_all()

    def _apply(self, seq: int, rate: RateLimit, sent_at: float, received_at: float) -> None:
        if rate.limit is not None:
            self._limit = rate.limit
        lo = hi = None
        if rate.reset is not None:
            whole = float(rate.reset).is_integer()
            # Integers are rounded up (Close's way): the true value lies within the second
            # below. Fractions are taken as rounded to the hundredth, either way.
            lo = sent_at + rate.reset - (1.0 if whole else 0.01)
            hi = received_at + rate.reset + (0.0 if whole else 0.01)
        remaining = rate.remaining
        if remaining is None:
            self._end_lo, self._end_hi = lo, hi
            return
        roll_seq, old_max = self._pre_roll
        if seq < roll_seq:
            # Sent before the last roll-over: counted in the old window or the new one. Only a
            # refill (more than the old window ever showed) places it, and then it may narrow
            # the new window's bracket and lower, never raise, the budget assumed at roll-over.
            if old_max is not None and remaining > old_max and lo is not None and hi is not None:
                if self._end_lo is None or self._end_hi is None:
                    self._end_lo, self._end_hi = lo, hi
                elif self._overlaps(lo, hi):
                    self._end_lo, self._end_hi = max(self._end_lo, lo), min(self._end_hi, hi)
                self._window_seen.add(remaining)
                if self._remaining is not None:
                    self._remaining = min(self._remaining, remaining - len(self._in_flight))
            return
        seen = self._window_seen
        if seq <= self._last_applied:
            # An older request answered after a newer one. If it was counted first, in this
            # window, the newer one's `remaining` already included it, yet it was deducted as in
            # flight: give it back. If it was counted later, the deduction stands.
            if (
                self._remaining is not None
                and self._last_seen is not None
                and self._last_seen < remaining <= max(seen, default=-1) + self._peak_in_flight
                and remaining not in seen
                and self._overlaps(lo, hi)
            ):
                seen.add(remaining)
                self._remaining += 1
            return
        self._last_applied = seq
        if self._opens_window(remaining, lo, hi):
            self._end_lo, self._end_hi = lo, hi
            self._window_seen = {remaining}
            self._last_seen = remaining
            self._remaining = remaining - len(self._in_flight)
        else:
            assert self._end_lo is not None and self._end_hi is not None
            assert lo is not None and hi is not None and self._last_seen is not None
            self._end_lo, self._end_hi = max(self._end_lo, lo), min(self._end_hi, hi)
            seen.add(remaining)
            if remaining < self._last_seen:
                self._last_seen = remaining
                self._remaining = remaining - len(self._in_flight)
            elif self._remaining is not None:
                # Overtaken on the way in: counted before the request that showed
                # `_last_seen`, so included in it, yet deducted as in flight.
                self._remaining += 1
        self._prune_sent()

    def _opens_window(self, remaining: int, lo: float | None, hi: float | None) -> bool:
        """Whether the answer to the newest request so far comes from a window after ours.

        Within a window `remaining` values are distinct and fall; requests overtaking each
        other on the way in shuffle them by at most the requests in flight. So a refill shows
        more than the window ever showed plus that, or a value it already showed; a bracket of
        the end that cannot be this window's is another window too.
        """
        seen = self._window_seen
        if not seen or self._end_lo is None or self._end_hi is None or lo is None or hi is None:
            return True
        return (
            not self._overlaps(lo, hi)
            or remaining in seen
            or remaining > max(seen) + self._peak_in_flight
        )

    def _prune_sent(self) -> None:
        floor = self._end_lo
        self._sent = {
            s: t
            for s, t in self._sent.items()
            if s in self._in_flight or (floor is not None and t >= floor)
        }

    def _overlaps(self, lo: float | None, hi: float | None) -> bool:
        """Whether a response's bracket of the window end is compatible with the current one."""
        if lo is None or hi is None or self._end_lo is None or self._end_hi is None:
            return False
        return max(self._end_lo, lo) <= min(self._end_hi, hi)

    def throttled(self, until: float) -> None:
        """A 429 came back: hold every request of this group until `until`, then probe one at a
        time, since our estimate of the budget was evidently wrong."""
        with self._cond:
            self._blocked_until = max(self._blocked_until, until)
            if self._metered:
                self._remaining = None
                self._end_lo = self._end_hi = None
                self._window_seen = set()
                self._pre_roll = (self._next_seq, None)  # ignore answers already on their way

    def release(self, ticket: Ticket) -> None:
        """Forget a reservation whose request was never answered (e.g. an exception)."""
        with self._cond:
            self._in_flight.discard(ticket.seq)
            self._cond.notify_all()


_POLL = 0.01  # seconds between checks while waiting for a response to an in-flight request


class Pacer:
    """One Bucket per endpoint group (method + first path segment), created on first use."""

    def __init__(
        self, clock: Clock = time.monotonic, sleep: Sleep | None = None, max_wait: float = 60.0
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self._lock = threading.Lock()
        self._buckets: dict[str, Bucket] = {}

    def bucket(self, method: str, path: str) -> Bucket:
        name = f"{method.upper()} {endpoint_group(path)}"
        with self._lock:
            found = self._buckets.get(name)
            if found is None:
                found = self._buckets[name] = Bucket(name, self._clock, self._sleep, self._max_wait)
            return found


def endpoint_group(path: str) -> str:
    """`/phone_number/phon_x/` -> `phone_number`: Close counts limits per path family and method."""
    return path.strip("/").split("/", 1)[0] or "/"
