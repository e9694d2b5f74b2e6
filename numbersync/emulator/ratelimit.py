"""Rate limits per credential and endpoint group, in fixed windows, with the `RateLimit` header in
the variants seen from Close (`,` or `;` separators, Retry-After or not, a JSON body or none).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# Endpoint groups are "METHOD family", e.g. "GET phone_number", "PUT phone_number", "GET me".
Window = tuple[int, float]


@dataclass
class RateLimits:
    """The limits the emulator enforces. Mutable: a test may change it while the server runs.

    `limit` requests per `window` seconds for each (credential, endpoint group), unless `groups`
    overrides a group with its own (limit, window) or with None (unlimited). `limit=None` turns
    rate limiting off entirely (no header, no 429). The defaults are generous enough that normal
    tests never meet them.
    """

    limit: int | None = 1000
    window: float = 1.0
    groups: dict[str, Window | None] = field(default_factory=dict)
    separator: str = ", "
    reset_format: Literal["int", "float"] = "int"
    retry_after: bool = True
    body_on_429: bool = True

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RateLimits:
        """Build from a seed's `rate_limits:` mapping; groups given as [limit, window] pairs."""
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown keys {unknown}; expected some of {sorted(_FIELDS)}")
        values = dict(data)
        groups = values.get("groups") or {}
        if not isinstance(groups, Mapping):
            raise ValueError(
                'groups must map a group such as "PUT phone_number" to [limit, window]'
            )
        parsed: dict[str, Window | None] = {}
        for name, pair in groups.items():
            if pair is None:
                parsed[str(name)] = None
            elif (
                isinstance(pair, list)
                and len(pair) == 2
                and isinstance(pair[0], int)
                and isinstance(pair[1], (int, float))
            ):
                parsed[str(name)] = (pair[0], float(pair[1]))
            else:
                raise ValueError(f"groups[{name!r}] must be [limit, window_seconds] or null")
        values["groups"] = parsed
        if "window" in values and isinstance(values["window"], int):
            values["window"] = float(values["window"])
        return cls(**values)

    def problems(self) -> list[str]:
        problems = []
        windows = [(self.limit, self.window)] if self.limit is not None else []
        windows += [pair for pair in self.groups.values() if pair is not None]
        for limit, window in windows:
            if not isinstance(limit, int) or limit < 1:
                problems.append(f"a limit must be a positive integer, got {limit!r}")
            if not isinstance(window, (int, float)) or window <= 0:
                problems.append(f"a window must be a positive number of seconds, got {window!r}")
        if self.separator not in (", ", "; ", ",", ";"):
            problems.append(f'separator must be ", " or "; ", got {self.separator!r}')
        if self.reset_format not in ("int", "float"):
            problems.append(f'reset_format must be "int" or "float", got {self.reset_format!r}')
        return problems

    def for_group(self, group: str) -> Window | None:
        """The (limit, window) that applies to an endpoint group, or None when unlimited."""
        if self.limit is None:
            return None
        if group in self.groups:
            return self.groups[group]
        return (self.limit, self.window)

    def header(self, limit: int, remaining: int, reset: float) -> str:
        """The `RateLimit` header value, e.g. "limit=100, remaining=50, reset=5"."""
        shown = str(math.ceil(reset)) if self.reset_format == "int" else f"{reset:.3f}"
        return self.separator.join((f"limit={limit}", f"remaining={remaining}", f"reset={shown}"))


_FIELDS = frozenset(
    {"limit", "window", "groups", "separator", "reset_format", "retry_after", "body_on_429"}
)


@dataclass(frozen=True)
class Verdict:
    """The outcome of counting one request: allowed or not, and what the header says."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # seconds until the window ends


class RateLimiter:
    """Fixed windows per (credential, group): a window opens at its first request and lasts
    `window` seconds; requests past `limit` within it are refused and not counted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, limits: RateLimits, credential: str, group: str, now: float) -> Verdict | None:
        """Count a request at monotonic time `now`; None when the group is unlimited."""
        rule = limits.for_group(group)
        if rule is None:
            return None
        limit, window = rule
        with self._lock:
            start, count = self._windows.get((credential, group), (now, 0))
            if now >= start + window:
                start, count = now, 0
            allowed = count < limit
            if allowed:
                count += 1
            self._windows[(credential, group)] = (start, count)
        reset = max(start + window - now, 0.001)
        return Verdict(allowed, limit, limit - count, reset)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
