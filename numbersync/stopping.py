"""Stopping a run: one flag that the first Ctrl-C, SIGTERM or a credential Close stopped accepting
sets, and waits that end the moment it is set instead of sleeping on.

Every wait of the client (retry backoff, Retry-After, rate-limit pacing) goes through `pause`, so
that "stop" means no new request starts and no wait goes on, whatever the thread is doing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

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
