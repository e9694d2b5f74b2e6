"""Buckets that threads wait on for the meter's go-ahead, one per HTTP method."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from numbersync.close.pacer.meter import FIRST_READS, FIRST_WRITES, Meter, Ticket
from numbersync.close.ratelimit import RateLimit
from numbersync.stopping import Stop, pause

log = logging.getLogger("numbersync.http")

Clock = Callable[[], float]
Sleep = Callable[[float], None]

_STOP_POLL = 0.1  # with a real clock, a waiting acquire looks at the stop flag this often


class Bucket:
    """The budget of the requests of one HTTP method, shared by all threads.

    `meter` makes every decision; the bucket gives it the time and makes threads wait as it
    says. With no injected `sleep`, threads wait on a condition that every answer notifies, so
    that an answer that refills the budget wakes them at once.
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
        self.meter = Meter(max_wait, FIRST_READS if name == "GET" else FIRST_WRITES)
        self._clock = clock
        self._sleep = sleep
        self._stop = stop
        self._cond = threading.Condition()

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
                got = self.meter.reserve(now, now - started)
                if isinstance(got, Ticket):
                    return got
                if not logged and got >= 0.25:
                    logged = True
                    described = self.meter.describe(self._clock())
                    log.info("pacing %s: waiting %.1f s (%s)", self.name, got, described)
                self._pause(got)

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
            self.meter.complete(ticket, rate, received_at=received_at, success=success)
            self._cond.notify_all()

    def throttled(self, until: float, ticket: Ticket | None = None) -> None:
        """A 429 came back (for `ticket`, completed already; by default the latest request that
        failed): hold every request of this bucket until `until`, then probe one at a time."""
        with self._cond:
            self.meter.throttled(until, ticket, self._clock())

    def release(self, ticket: Ticket) -> None:
        """Forget a reservation whose request was never answered (e.g. an exception)."""
        with self._cond:
            self.meter.release(ticket)
            self._cond.notify_all()

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
            # An answer notifies the condition; the stop flag is another event, so look at it
            # every _STOP_POLL seconds.
            self._cond.wait(min(wait, _STOP_POLL))


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

    def bucket(self, method: str) -> Bucket:
        """The bucket the requests of `method` go through, whatever their path."""
        name = method.upper()
        with self._lock:
            found = self._buckets.get(name)
            if found is None:
                found = self._buckets[name] = Bucket(
                    name, self._clock, self._sleep, self._max_wait, self._stop
                )
            return found
