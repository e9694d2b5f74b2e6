"""What 429s tell the pacer: which request and limit were refused, how many probes in a row, and
what a refusal reveals about Close's windows that the headers did not."""

from __future__ import annotations

from dataclasses import dataclass

from numbersync.close.pacer.window import Window
from numbersync.close.ratelimit import RateLimit

_KEPT = 64  # failed requests remembered, the latest ones
_BLIND_HOLD = 0.5  # seconds a bucket holds after a 429 that tells nothing, doubling in a row
_BLIND_HOLD_MAX = 10.0


@dataclass(frozen=True)
class Refusal:
    """A request that failed: when it was sent, and the header of its answer if any."""

    sent_at: float
    rate: RateLimit | None


class Refusals:
    """The latest failed requests by sequence number, and the 429s since the last success."""

    def __init__(self) -> None:
        self._latest: dict[int, Refusal] = {}
        self.in_a_row = 0
        self._since = 0  # the first request sent after the last 429

    def failed(self, seq: int, refusal: Refusal) -> None:
        self._latest[seq] = refusal
        if len(self._latest) > _KEPT:
            del self._latest[next(iter(self._latest))]

    def succeeded(self) -> None:
        self.in_a_row = 0

    def find(self, seq: int | None) -> tuple[int, Refusal | None]:
        """The refusal of `seq`; with None, the latest request that failed."""
        if seq is not None:
            return seq, self._latest.get(seq)
        latest = self._latest[next(reversed(self._latest))] if self._latest else None
        return max(self._latest, default=-1), latest

    def count(self, seq: int, next_seq: int) -> None:
        """A 429 came for `seq`; `next_seq` is the next request to be sent. Requests sent before
        the previous 429 were refused in the same burst: only the first of a burst counts."""
        if seq >= self._since:
            self.in_a_row += 1
        self._since = next_seq

    def blind_hold(self) -> float | None:
        """Seconds to hold the whole bucket when 429s tell nothing of when the budget returns
        (no header, no window end known) and probes keep being refused; twice longer each time,
        so that the waiting happens in the pacer rather than in the callers' retries (each
        counts against its request's attempts, and one probing request could run out of them)."""
        if self.in_a_row < 3:
            return None
        return min(_BLIND_HOLD_MAX, _BLIND_HOLD * 2.0 ** min(self.in_a_row - 1, 8))


def refutes_early_refill(refusal: Refusal, window: Window) -> bool:
    """Whether `refusal` came after an answer made us believe `window` refilled before its
    bracket ended: that answer then came from a counter the server keeps apart (its groups are
    finer than our bucket), and only brackets can be trusted."""
    return window.jumped_at is not None and refusal.sent_at >= window.jumped_at


def shows_late_end(refusal: Refusal, window: Window, rtt: float) -> bool:
    """Whether `refusal` came just after we assumed `window` over, its header (if any) saying the
    window ends within a second: then windows end later than `reset` rounded up would say
    (Close may round to nearest, or down)."""
    rolled = window.rolled_at
    return (
        rolled is not None
        and rolled <= refusal.sent_at <= rolled + 1.0 + rtt
        and (refusal.rate is None or (refusal.rate.reset or 0.0) <= 1.0)
    )
