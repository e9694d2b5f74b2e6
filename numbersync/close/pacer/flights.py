"""The requests of one bucket by sequence number: which are on their way, and when each was sent,
for as long as that can still decide which window it counts in."""

from __future__ import annotations

import math
from collections.abc import Iterable


class Flights:
    """Sequence numbers in sending order, the requests in flight, and their send times."""

    def __init__(self) -> None:
        self.next_seq = 0
        self.in_flight: set[int] = set()
        # The most requests in flight at once: how far answers can overtake each other.
        self.peak = 1
        self._sent: dict[int, float] = {}

    def send(self, now: float) -> int:
        """Number a request sent at `now`."""
        seq = self.next_seq
        self.next_seq += 1
        self.in_flight.add(seq)
        self.peak = max(self.peak, len(self.in_flight))
        self._sent[seq] = now
        return seq

    def land(self, seq: int, received_at: float) -> float:
        """The answer to `seq` came: it is no longer in flight. Returns when it was sent."""
        self.in_flight.discard(seq)
        return self._sent.get(seq, received_at)

    def drop(self, seq: int) -> None:
        """`seq` will never be answered."""
        self.in_flight.discard(seq)

    def counted_after(self, start: float | None) -> int:
        """How many requests may count in a window that started at `start` (None: unknown): those
        in flight, and those sent since."""
        return sum(
            1
            for seq, sent in self._sent.items()
            if seq in self.in_flight or (start is not None and sent >= start)
        )

    def prune(self, starts: Iterable[float]) -> None:
        """Forget the send times that no window can still ask about: `starts` are the earliest
        moments the windows we know may have ended (and so the next ones started)."""
        floors = list(starts)
        if self.in_flight:
            # A window learnt later may bracket its end up to a second before a send in flight.
            floors.append(min(self._sent.get(s, math.inf) for s in self.in_flight) - 1.0)
        floor = min(floors, default=math.inf)
        self._sent = {s: t for s, t in self._sent.items() if s in self.in_flight or t >= floor}
