"""Stopping a run: one flag that the first Ctrl-C, SIGTERM, a credential Close stopped accepting
or the run's deadline (`--timeout`) sets, and waits that end the moment it is set instead of
sleeping on.

Every wait of the client (retry backoff, Retry-After, rate-limit pacing) goes through `pause`, so
that "stop" means no new request starts and no wait goes on, whatever the thread is doing; and
work done beside the main thread runs `in_background`, so that a process that ends (Ctrl-C, an
error) never waits on a request still on the wire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from typing import Any, TypeVar

T = TypeVar("T")

Sleep = Callable[[float], None]


class Stopped(Exception):
    """A wait was abandoned because the run is stopping; `reason` is the Stop's."""

    def __init__(self, reason: str | None) -> None:
        super().__init__(f"stopped ({reason or 'unknown reason'})")
        self.reason = reason


TIMEOUT = "timeout"  # the reason a Stop gives when its deadline passed


class Stop:
    """Set once, by whoever first decides the run must end; `reason` says why: "SIGINT",
    "SIGTERM", "credential" (Close answered 401 to a write), "timeout" (the `deadline`, on
    `clock`, passed) or "closed" (the client was closed: what is still in flight has nobody
    waiting for it). Thread-safe.

    The deadline needs no timer thread: every check and every wait looks at the clock, so a
    test's fake clock moves it as it moves the waits."""

    def __init__(
        self, deadline: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.deadline = deadline
        self._clock = clock

    @classmethod
    def after(cls, seconds: float | None, clock: Callable[[], float] = time.monotonic) -> Stop:
        """A Stop that sets itself `seconds` from now (never, with None)."""
        return cls(None if seconds is None else clock() + seconds, clock)

    def left(self, seconds: float) -> float:
        """`seconds`, or less when the deadline comes first."""
        if self.deadline is None:
            return seconds
        return max(0.0, min(seconds, self.deadline - self._clock()))

    def set(self, reason: str) -> bool:
        """Stop, for `reason`; returns False (and keeps the first reason) when already stopped."""
        with self._lock:
            if self._event.is_set():
                return False
            self.reason = reason
            self._event.set()
            return True

    def is_set(self) -> bool:
        if self._event.is_set():
            return True
        if self.deadline is not None and self._clock() >= self.deadline:
            self.set(TIMEOUT)
            return True
        return False

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds`; True as soon as the run is stopped (the deadline included)."""
        self._event.wait(self.left(max(0.0, seconds)))
        return self.is_set()

    def check(self) -> None:
        """Raise Stopped when the run is stopping."""
        if self.is_set():
            raise Stopped(self.reason)


def pause(seconds: float, stop: Stop | None, sleep: Sleep | None = None) -> None:
    """Wait `seconds`, or less: raise Stopped at once when `stop` is (or becomes) set.

    With an injected `sleep` (tests on fake time) the sleep runs whole, cut at the stop's
    deadline, and the flag is checked before and after; otherwise the wait is on the flag
    itself, so setting it ends the wait.
    """
    if stop is not None:
        stop.check()
        seconds = stop.left(seconds)
    if sleep is not None:
        sleep(seconds)
        if stop is not None:
            stop.check()
        return
    if stop is None:
        threading.Event().wait(max(0.0, seconds))
        return
    if stop.wait(seconds):
        raise Stopped(stop.reason)


def results(futures: Sequence[Future[T]], stop: Stop) -> list[T]:
    """The futures' results in order, or the first one's error; Stopped as soon as `stop` is
    set while one is still running, without waiting for it (it runs on a daemon thread).

    The stop is looked at every `_LOOK_EVERY` seconds rather than waited on: signal handlers set
    it on this very thread, in the middle of whatever wait it is in, where no wake-up is safe."""
    found = []
    for future in futures:
        while not wait([future], timeout=_LOOK_EVERY).done:
            if stop.is_set():
                raise Stopped(stop.reason)
        found.append(future.result())
    return found


_LOOK_EVERY = 0.05


def in_background(name: str, func: Callable[..., T], *args: Any) -> Future[T]:
    """Run `func(*args)` on a daemon thread of its own; its result or error in the Future.

    Unlike a ThreadPoolExecutor's workers, which the interpreter joins before it exits, a daemon
    thread does not hold the process: after Ctrl-C a plan ends at once, even with a page read
    hanging; the client, closed on the way out, lets that thread make no further request."""
    future: Future[T] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = func(*args)
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future


POLL = 0.05  # seconds between looks at the stop flag while waiting for work done elsewhere


def until_stopped(stop: Stop, name: str, func: Callable[..., T], *args: Any) -> T:
    """`func(*args)`, run `in_background`, or Stopped as soon as `stop` is set (its deadline
    included), even while a request of `func` still hangs on the wire: that request is left to
    its daemon thread."""
    future = in_background(name, func, *args)
    while not wait([future], timeout=POLL).done:
        stop.check()
    return future.result()
