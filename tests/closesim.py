"""A discrete-event simulation, in fake time, of numbersync's pacer against a model of Close's rate
limiter written from close-api.md section 4: fixed windows per API key and per organization, per
endpoint group (groups given by the server, not by the client's guess), the `RateLimit` header
describing whichever limit has fewer remaining, `reset` rounded up, to nearest or as a fraction,
`,` or `;` separators, and 429s that carry a header or come bare from the edge.

Clients behave as numbersync's does (client.py): a worker reserves a ticket from its bucket's
meter, sends, completes the ticket with the parsed header, and on a 429 calls `throttled` and waits what the server said (the
header's reset, else Retry-After, else jittered backoff) before sending again. Deterministic for a
given seed; no threads, no real time.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from numbersync.close.pacer import Bucket, Pacer, Ticket
from numbersync.close.ratelimit import backoff_delay, parse_retry_after, rate_limit_from_headers

Rounding = Literal["ceil", "round", "float"]
Request = tuple[str, str]  # method, path


@dataclass(frozen=True)
class Limit:
    """`limit` requests per `window` seconds, per API key ("key") or per organization ("org")."""

    scope: Literal["key", "org"]
    limit: int
    window: float


def by_method_and_family(method: str, path: str) -> str:
    """The emulator's default grouping: `GET phone_number`, `PUT phone_number`, `GET me`."""
    return f"{method} {path.strip('/').split('/', 1)[0]}"


def by_method(method: str, path: str) -> str:
    """Coarser: every GET one group, every PUT another."""
    return method


def everything(method: str, path: str) -> str:
    """Coarsest: one group for all requests, reads and writes together."""
    return "all"


def list_apart_from_items(method: str, path: str) -> str:
    """Finer than the client's family: `GET /phone_number/` and `GET /phone_number/x/` apart."""
    parts = path.strip("/").split("/")
    return f"{method} {parts[0]}{'/*' if len(parts) > 1 else ''}"


@dataclass
class Server:
    """Close's limiter as close-api.md describes it (details undocumented there are options).

    `grid`: windows on a clock grid (offset `phase`) rather than opened by a group's first
    request. `count_refused`: whether a refused request still counts. `group_limits` overrides
    the limits of some groups (e.g. `GET me` with its own `limit=160`).
    """

    limits: Sequence[Limit]
    group: Callable[[str, str], str] = by_method_and_family
    group_limits: dict[str, Sequence[Limit]] = field(default_factory=dict)
    grid: bool = False
    phase: float = 0.37
    rounding: Rounding = "ceil"
    separator: str = "; "
    bare_429: bool = False
    retry_after: bool = False
    count_refused: bool = False
    windows: dict[tuple[str, str, int], tuple[float, int]] = field(default_factory=dict)
    log: list[tuple[float, str, str, int]] = field(default_factory=list)  # time, key, group, status
    shown: Counter[int] = field(default_factory=Counter)  # `limit` values the headers showed

    def hit(self, key: str, method: str, path: str, now: float) -> tuple[int, dict[str, str]]:
        group = self.group(method, path)
        rules = self.group_limits.get(group, self.limits)
        counters = []
        for index, rule in enumerate(rules):
            scope = key if rule.scope == "key" else "org"
            ident = (scope, group, index)
            start, count = self.windows.get(ident, (-math.inf, 0))
            if self.grid:
                grid_start = math.floor((now - self.phase) / rule.window) * rule.window + self.phase
                if grid_start != start:
                    start, count = grid_start, 0
            elif now >= start + rule.window:
                start, count = now, 0
            counters.append((ident, rule, start, count))
        allowed = all(count < rule.limit for _, rule, _, count in counters)
        shown: tuple[int, int, float] | None = None
        for ident, rule, start, count in counters:
            if allowed or self.count_refused:
                count += 1
            self.windows[ident] = (start, count)
            remaining = max(0, rule.limit - count)
            reset = max(start + rule.window - now, 0.001)
            if shown is None or remaining < shown[1]:
                shown = (rule.limit, remaining, reset)
        assert shown is not None
        self.log.append((now, key, group, 200 if allowed else 429))
        if not allowed and self.bare_429:
            return 429, {}
        limit, remaining, reset = shown
        self.shown[limit] += 1
        headers = {"RateLimit": self.header(limit, remaining, reset)}
        if not allowed and self.retry_after:
            headers["Retry-After"] = str(math.ceil(reset))
        return (200 if allowed else 429), headers

    def header(self, limit: int, remaining: int, reset: float) -> str:
        if self.rounding == "ceil":
            shown = str(math.ceil(reset))
        elif self.rounding == "round":
            shown = str(math.floor(reset + 0.5))
        else:
            shown = f"{reset:.3f}"
        parts = (f"limit={limit}", f"remaining={remaining}", f"reset={shown}")
        return self.separator.join(parts)

    def refused(self, after: float = -math.inf) -> int:
        return sum(1 for when, _, _, status in self.log if status == 429 and when >= after)


@dataclass
class Client:
    """One numbersync process: a key, a pacer with its client-side buckets, `workers` threads
    sending `requests` in order, each request retried on a 429 (up to `max_attempts`)."""

    key: str
    requests: Sequence[Request]
    workers: int
    pacer: Pacer
    max_attempts: int = 6
    done: int = 0
    gave_up: int = 0
    finished_at: float = 0.0
    sent: int = 0
    _queue: Iterator[Request] = field(default_factory=lambda: iter(()))

    @property
    def finished(self) -> bool:
        return self.done + self.gave_up == len(self.requests)


class Simulation:
    """Runs clients against a server until every request is answered; `latency` is the range
    of one-way delays (each direction drawn apart, so answers overtake each other)."""

    def __init__(
        self,
        server: Server,
        latency: tuple[float, float] = (0.025, 0.025),
        seed: int = 1,
        start: float = 1000.0,
    ) -> None:
        self.server = server
        self.latency = latency
        self.rng = random.Random(seed)
        self.now = start
        self.start = start
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._waiting: dict[int, list[Callable[[], None]]] = {}

    def clock(self) -> float:
        return self.now

    def pacer(self) -> Pacer:
        return Pacer(self.clock, None, max_wait=60.0)

    def at(self, when: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._events, (when, next(self._order), action))

    def run(self, clients: Sequence[Client], until: float = math.inf) -> float:
        """Simulated seconds until the last client finished."""
        for client in clients:
            client._queue = iter(client.requests)
            for _ in range(client.workers):
                self.at(self.now, lambda c=client: self._next(c))
        while self._events:
            when, _, action = heapq.heappop(self._events)
            if when > until:
                break
            self.now = max(self.now, when)
            action()
        return max(c.finished_at for c in clients) - self.start

    def every(self, interval: float, action: Callable[[], None], clients: Sequence[Client]) -> None:
        """Run `action` every `interval` seconds until every client has finished (another
        integration's traffic on the same organization, say)."""

        def tick() -> None:
            action()
            if not all(client.finished for client in clients):
                self.at(self.now + interval, tick)

        self.at(self.now, tick)

    def _next(self, client: Client) -> None:
        request = next(client._queue, None)
        if request is not None:
            self._acquire(client, *request, attempt=1)

    def _acquire(self, client: Client, method: str, path: str, attempt: int) -> None:
        bucket = client.pacer.bucket(method)
        # The bucket's own decisions, without its waiting: the simulation schedules that.
        got = bucket.meter.reserve(self.now)
        if isinstance(got, Ticket):
            self._send(client, bucket, got, method, path, attempt)
            return
        # Like a thread waiting on the bucket's condition: woken by an answer to any request of
        # the bucket, or when the wait is over, whichever comes first.
        woken = [False]

        def wake() -> None:
            if not woken[0]:
                woken[0] = True
                self._acquire(client, method, path, attempt)

        self._waiting.setdefault(id(bucket), []).append(wake)
        self.at(self.now + got, wake)

    def _send(
        self,
        client: Client,
        bucket: Bucket,
        ticket: Ticket,
        method: str,
        path: str,
        attempt: int,
    ) -> None:
        client.sent += 1
        up = self.rng.uniform(*self.latency)
        down = self.rng.uniform(*self.latency)

        def arrive() -> None:
            status, headers = self.server.hit(client.key, method, path, self.now)
            self.at(self.now + down, lambda: answer(status, headers))

        def answer(status: int, headers: dict[str, str]) -> None:
            rate = rate_limit_from_headers(headers)
            bucket.complete(ticket, rate, received_at=self.now, success=status == 200)
            for wake in self._waiting.pop(id(bucket), []):
                self.at(self.now, wake)
            if status == 200:
                client.done += 1
                client.finished_at = self.now
                self._next(client)
                return
            if attempt >= client.max_attempts:
                client.gave_up += 1
                client.finished_at = self.now
                self._next(client)
                return
            delay = self._delay(attempt, rate.reset if rate is not None else None, headers)
            bucket.throttled(self.now + delay, ticket)
            self.at(
                self.now + delay,
                lambda: self._acquire(client, method, path, attempt + 1),
            )

        self.at(self.now + up, arrive)

    def _delay(self, attempt: int, reset: float | None, headers: dict[str, str]) -> float:
        """client.py's choice: the header's reset, else Retry-After, else jittered backoff."""
        asked = reset if reset is not None else parse_retry_after(headers.get("Retry-After"))
        if asked is not None:
            return max(asked, 0.05) + self.rng.uniform(0.0, 0.05)
        return backoff_delay(attempt, self.rng)


def puts(n: int) -> list[Request]:
    return [("PUT", f"/phone_number/phon_{i}/") for i in range(n)]


def plan_reads(pages: int, groups: int = 3) -> list[Request]:
    """The reads of a plan: /me/, the users, the groups and each group's members, then the
    pages of phone numbers, which a plan reads concurrently."""
    reads: list[Request] = [("GET", "/me/"), ("GET", "/user/"), ("GET", "/group/")]
    reads += [("GET", f"/group/group_{g}/") for g in range(groups)]
    reads += [("GET", "/phone_number/")] * pages
    return reads


def mixed(n: int, share: float, rng: random.Random) -> list[Request]:
    """GETs of the phone-number list and of single numbers, `share` of them single."""
    return [
        ("GET", "/phone_number/phon_1/") if rng.random() < share else ("GET", "/phone_number/")
        for _ in range(n)
    ]


def statuses(server: Server) -> Counter[int]:
    return Counter(status for _, _, _, status in server.log)
