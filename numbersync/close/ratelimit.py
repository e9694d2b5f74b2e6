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

    The model: the server counts requests per group in windows; each response says how many are
    `remaining` in the current window and when it `reset`s. We keep a local estimate of the
    remaining budget, decrement it when a request is *sent* (several may be in flight), and
    re-derive it from each newer response as `remaining - requests still in flight`. The window's
    end is kept as the earliest `received_at + reset` seen in the window: an upper bound (the
    server measured `reset` before we received it, and rounds it up when it sends integers),
    so a refill is never assumed early.
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        sleep: Sleep | None,
        max_wait: float,
    ) -> None:
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
        self._window_end: float | None = None  # upper bound, clock time
        self._last_seen: int | None = None  # `remaining` of the newest applied response
        self._last_applied = -1  # seq of the newest response whose header was applied
        self._next_seq = 0
        self._in_flight: set[int] = set()
        self._next_slot = 0.0
        self._blocked_until = 0.0

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
                    return Ticket(seq, self._clock() - started)
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
        if self._window_end is not None and now >= self._window_end:
            self._roll_over()
        if self._remaining is None or (self._remaining <= 0 and self._window_end is None):
            # Nothing known yet (first request, no `limit`, no `reset`): one request at a time
            # until a response tells us the budget, so that 16 workers don't start with a burst.
            if self._in_flight:
                return _POLL
            self._take()
            return None
        if self._remaining <= 0:
            assert self._window_end is not None
            return self._window_end - now
        if self._window_end is not None and self._remaining <= self._spread_below():
            # Low on budget: spread what is left evenly over the time left in the window.
            if now < self._next_slot:
                return self._next_slot - now
            self._next_slot = now + (self._window_end - now) / self._remaining
        self._take()
        return None

    def _take(self) -> None:
        """Reserve one request of the budget (the caller sends it now)."""
        if self._remaining is not None:
            self._remaining -= 1

    def _roll_over(self) -> None:
        """The window we knew about has ended, so the server has refilled it. Requests still in
        flight may be counted in the new window: assume they are."""
        self._window_end = None
        self._last_seen = self._limit
        self._remaining = None if self._limit is None else self._limit - len(self._in_flight)
        # Responses to requests sent before now may come from either window: don't let their
        # `remaining` overwrite what we now assume.
        self._last_applied = self._next_seq - 1

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
        end = self._window_end
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
            if rate is None:
                if success and self._metered is None:
                    self._metered = False  # a server without rate-limit headers: don't pace
            else:
                self._metered = True
                self._apply(ticket.seq, rate, received_at)
            self._cond.notify_all()

    def _apply(self, seq: int, rate: RateLimit, received_at: float) -> None:
        if rate.limit is not None:
            self._limit = rate.limit
        if seq <= self._last_applied:
            return  # a newer response (or a roll-over) already said more
        self._last_applied = seq
        end = None if rate.reset is None else received_at + rate.reset
        if rate.remaining is None:
            self._window_end = end
            return
        # `remaining` only goes up when a new window started: then its `reset` replaces the old
        # bound; while it goes down we are in the same window and keep the tightest bound.
        same_window = (
            self._last_seen is not None
            and rate.remaining < self._last_seen
            and self._window_end is not None
        )
        if not same_window:
            self._window_end = end
        elif end is not None and self._window_end is not None:
            self._window_end = min(self._window_end, end)
        self._last_seen = rate.remaining
        self._remaining = rate.remaining - len(self._in_flight)

    def throttled(self, until: float) -> None:
        """A 429 came back: hold every request of this group until `until`, then probe one at a
        time, since our estimate of the budget was evidently wrong."""
        with self._cond:
            self._blocked_until = max(self._blocked_until, until)
            if self._metered:
                self._remaining = None
                self._window_end = None
                self._last_applied = self._next_seq - 1

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
