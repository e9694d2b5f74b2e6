"""Fault injection: what the emulator does wrong on purpose (latency, 5xx, spurious 429s with or
without headers, dropped connections, slow bodies, unreadable answers), by share or by an exact
schedule, reproducibly.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# "ok" answers normally; a status answers that status without touching the state (a "429" with
# the RateLimit header, Retry-After and body the rate limits are set to send); "429-bare" is a 429
# from the edge: no body, no RateLimit header, no Retry-After; "drop" closes the connection
# without a response; "slow" dribbles the normal response; "504-after-write" runs the request (a
# PUT really changes the number) and then answers 504, like a gateway timing out;
# "corrupt-gzip-after-write" runs it too, then sends its status with `Content-Encoding: gzip` and
# a body that is not valid gzip, like a proxy mangling the answer; "hang-after-write" runs it and
# never answers (the connection stays open until the emulator stops), like a stalled gateway;
# "other-id-after-write" runs it and answers its body with the id of another number of the
# account, like a cache or a proxy that mixed up two answers.
FAULT_NAMES: tuple[str, ...] = (
    "ok",
    "500",
    "502",
    "503",
    "504",
    "429",
    "429-bare",
    "drop",
    "slow",
    "504-after-write",
    "corrupt-gzip-after-write",
    "hang-after-write",
    "other-id-after-write",
)
DEFAULT_SLOW_SECONDS = 1.0  # what a scheduled "slow" takes when `slow_body` is 0


@dataclass
class Faults:
    """Which requests fail and how. Mutable: a test may change it while the server runs.

    Precedence, decided per request before authentication (faults model the network and the
    ingress in front of Close, so a faulted request never reaches the state or the rate limiter,
    except the *-after-write ones, which run it first):

    1. `schedule`: when it is not empty and the request matches `match`, the first entry is
       consumed and alone decides that request; the shares below are not drawn.
    2. Otherwise one draw from a `random.Random(seed)`: below `drop_rate` the connection is
       dropped, then `error_rate` answers a status from `error_statuses`, then `rate_429` a 429,
       then `rate_429_bare` a "429-bare". Nothing is drawn while every share is 0, so a test
       that asks for no fault gets none.
    3. `latency` is added to every response, faulted or not; `slow_body` dribbles every body.

    `match` is "METHOD", "/path-prefix" or "METHOD /path-prefix" (paths after /api/v1), e.g.
    "PUT" or "GET /phone_number/"; it restricts the schedule only.
    """

    latency: float = 0.0
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 502, 503, 504])
    rate_429: float = 0.0
    rate_429_bare: float = 0.0
    drop_rate: float = 0.0
    slow_body: float = 0.0
    schedule: list[str] = field(default_factory=list)
    match: str | None = None
    seed: int = 0
    _random: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))
        self._random = random.Random(self.seed)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Faults:
        """Build from a seed's `faults:` mapping; raises ValueError naming every bad key."""
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown keys {unknown}; expected some of {sorted(_FIELDS)}")
        values = dict(data)
        for key in ("latency", "error_rate", "rate_429", "rate_429_bare", "drop_rate", "slow_body"):
            if key in values and not _is_number(values[key]):
                raise ValueError(f"{key} must be a number, got {values[key]!r}")
        if "schedule" in values:
            schedule = values["schedule"]
            if not isinstance(schedule, list):
                raise ValueError("schedule must be a list of fault names")
            # YAML reads `- 503` as an int; accept it for the status names.
            values["schedule"] = [str(item) for item in schedule]
        if "error_statuses" in values and not (
            isinstance(values["error_statuses"], list)
            and all(isinstance(s, int) for s in values["error_statuses"])
        ):
            raise ValueError("error_statuses must be a list of integers")
        return cls(**values)

    def problems(self) -> list[str]:
        """Every inconsistency in the current settings (empty when usable)."""
        problems = []
        for name in _SHARES:
            share = getattr(self, name)
            if not 0 <= share <= 1:
                problems.append(f"{name} must be between 0 and 1, got {share}")
        if sum(getattr(self, name) for name in _SHARES) > 1:
            problems.append("error_rate + rate_429 + rate_429_bare + drop_rate must not exceed 1")
        if self.latency < 0 or self.slow_body < 0:
            problems.append("latency and slow_body must not be negative")
        if self.error_rate and not self.error_statuses:
            problems.append("error_rate needs at least one of error_statuses")
        bad_statuses = [s for s in self.error_statuses if not 500 <= s <= 599]
        if bad_statuses:
            problems.append(f"error_statuses must be 5xx, got {bad_statuses}")
        bad_names = [name for name in self.schedule if name not in FAULT_NAMES]
        if bad_names:
            problems.append(f"unknown fault names {bad_names}; expected some of {FAULT_NAMES}")
        return problems

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one the schedule applies to."""
        if not self.match:
            return True
        first, _, rest = self.match.strip().partition(" ")
        wanted_method: str | None = None
        prefix: str | None = first
        if not first.startswith("/"):
            wanted_method, prefix = first.upper(), rest.strip() or None
        if wanted_method is not None and method.upper() != wanted_method:
            return False
        return prefix is None or path.startswith(prefix)

    def decide(self, method: str, path: str) -> str:
        """The fault for this request (a name from FAULT_NAMES). Not thread-safe: the emulator
        calls it under a lock, since it consumes the schedule and advances the random stream."""
        if self.schedule and self.matches(method, path):
            name = self.schedule.pop(0)
            if name not in FAULT_NAMES:
                raise ValueError(f"unknown fault name {name!r} in the schedule")
            return name
        if not (self.drop_rate or self.error_rate or self.rate_429 or self.rate_429_bare):
            return "ok"
        draw = self._random.random()
        if draw < self.drop_rate:
            return "drop"
        if draw < self.drop_rate + self.error_rate:
            return str(self._random.choice(self.error_statuses))
        if draw < self.drop_rate + self.error_rate + self.rate_429:
            return "429"
        if draw < self.drop_rate + self.error_rate + self.rate_429 + self.rate_429_bare:
            return "429-bare"
        return "ok"


_SHARES = ("error_rate", "rate_429", "rate_429_bare", "drop_rate")
_FIELDS = frozenset(
    {"latency", "error_rate", "error_statuses", "rate_429", "rate_429_bare", "drop_rate"}
    | {"slow_body"}
    | {"schedule", "match", "seed"}
)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
