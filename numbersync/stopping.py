"""Stopping a run: one flag that the first Ctrl-C, SIGTERM or a credential Close stopped accepting
sets, and waits that end the moment it is set instead of sleeping on.

Every wait of the client (retry backoff, Retry-After, rate-limit pacing) goes through `pause`, so
that "stop" means no new request starts and no wait goes on, whatever the thread is doing; and
work done beside the main thread runs `in_background`, so that a process that ends (Ctrl-C, an
error) never waits on a request still on the wire.
"""

from __future__ import annotations

import threading
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


class Stop:
    """Set once, by whoever first decides the run must end; `reason` says why: "SIGINT",
    "SIGTERM", "credential" (Close answered 401 to a write) or "closed" (the client was closed: what
    is still in flight has nobody waiting for it). Thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason: str | None = None

    def set(self, reason: str) -> bool:
        """Stop, for `reason`; returns False (and keeps the first reason) when already stopped."""
        with self._lock:
            if self._event.is_set():
                return False
            self.reason = reason
            self._event.set()
            return True

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds`; True as soon as the run is stopped."""
        return self._event.wait(max(0.0, seconds))

    def check(self) -> None:
        """Raise Stopped when the run is stopping."""
        if self._event.is_set():
            raise Stopped(self.reason)


def pause(seconds: float, stop: Stop | None, sleep: Sleep | None = None) -> None:
    """Wait `seconds`, or less: raise Stopped at once when `stop` is (or becomes) set.

    With an injected `sleep` (tests on fake time) the sleep runs whole and the flag is checked
    before and after; otherwise the wait is on the flag itself, so setting it ends the wait.
    """
    if stop is not None:
        stop.check()
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
