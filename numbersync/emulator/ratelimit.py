"""Rate limits per credential and per organization, each per endpoint group in fixed windows, with
the `RateLimit` header in the variants seen from Close (`,` or `;` separators, Retry-After or not,
a JSON body or none) describing whichever limit is closer to exhaustion.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from numbersync.emulator.settings import SettingsError

Window = tuple[int, float]
# A request no endpoint group claims is counted in "METHOD family", e.g. "PUT phone_number".
_FALLBACK_GROUP = re.compile(r"^[A-Z]+ [A-Za-z0-9_.-]+$")
_PATTERN = re.compile(r"^(GET|PUT|POST|DELETE|PATCH) (/(\*|[^/*\s]+))+/$")


@dataclass
class RateLimits:
    """The limits the emulator enforces. Mutable: a test may change it while the server runs.

    Every request is counted in one endpoint group: the first of `endpoint_groups` (name -> list
    of "METHOD /path/" patterns, `*` standing for one path segment) with a matching pattern, else
    "METHOD family" (the first path segment, e.g. "GET phone_number"). Each credential may make
    `limit` requests per `window` seconds in each group, unless `groups` overrides that group
    with its own (limit, window) or with None (no per-credential limit). `organization`, when set,
    is a second (limit, window) per group shared by every credential of the organization. A
    request is refused when either limit is used up, and then counts against neither.
    `limit=None` turns rate limiting off entirely (no header, no 429). The defaults are generous
    enough that normal tests never meet them.
    """

    limit: int | None = 1000
    window: float = 1.0
    groups: dict[str, Window | None] = field(default_factory=dict)
    separator: str = ", "
    reset_format: Literal["int", "float"] = "int"
    retry_after: bool = True
    body_on_429: bool = True
    organization: Window | None = None
    endpoint_groups: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise SettingsError(problems)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RateLimits:
        """Build from a seed's `rate_limits:` mapping: `groups` as {name: [limit, window]},
        `organization` as {limit: N, window: S}. Raises SettingsError naming every problem."""
        problems = [
            f"{key}: unknown key; expected some of {sorted(_FIELDS)}"
            for key in sorted(set(data) - _FIELDS, key=str)
        ]
        values = {key: value for key, value in data.items() if key in _FIELDS}
        values["groups"] = _parse_groups(values.get("groups"), problems)
        values["organization"] = _parse_organization(values.get("organization"), problems)
        values["endpoint_groups"] = _parse_endpoint_groups(values.get("endpoint_groups"), problems)
        if "window" in values:
            values["window"] = _seconds(values["window"])
        if problems:
            raise SettingsError(problems)
        return cls(**values)

    def problems(self) -> list[str]:
        """Every inconsistency in the current settings, as "path: message" (empty when usable)."""
        problems: list[str] = []
        if self.limit is not None:
            problems += _window_problems("", (self.limit, self.window))
        for name, pair in self.groups.items():
            if pair is not None:
                problems += _window_problems(f"groups[{name!r}]", pair)
            if name not in self.endpoint_groups and not _FALLBACK_GROUP.match(str(name)):
                problems.append(
                    f"groups[{name!r}]: not an endpoint group; expected a name from "
                    'endpoint_groups or "METHOD family" such as "PUT phone_number"'
                )
        if self.organization is not None:
            problems += _window_problems("organization", self.organization)
        seen: dict[str, str] = {}
        for name, patterns in self.endpoint_groups.items():
            if not isinstance(name, str) or not name.strip():
                problems.append(
                    f"endpoint_groups: a group name must be a non-empty string, got {name!r}"
                )
            if not isinstance(patterns, list):
                problems.append(f'endpoint_groups[{name!r}]: must be a list of "METHOD /path/"')
                continue
            for index, pattern in enumerate(patterns):
                where = f"endpoint_groups[{name!r}][{index}]"
                if not isinstance(pattern, str) or not _PATTERN.match(pattern):
                    problems.append(
                        f'{where}: expected "METHOD /path/" such as "GET /phone_number/*/" '
                        f"(`*` stands for one whole path segment), got {pattern!r}"
                    )
                elif pattern in seen:
                    problems.append(f"{where}: {pattern!r} is already in group {seen[pattern]!r}")
                else:
                    seen[pattern] = name
        if self.separator not in (", ", "; ", ",", ";"):
            problems.append(f'separator: must be ", " or "; ", got {self.separator!r}')
        if self.reset_format not in ("int", "float"):
            problems.append(f'reset_format: must be "int" or "float", got {self.reset_format!r}')
        for name in ("retry_after", "body_on_429"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name}: must be true or false, got {getattr(self, name)!r}")
        return problems

    def group_of(self, method: str, path: str) -> str:
        """The endpoint group a request to `path` (after /api/v1) is counted in."""
        segments = tuple(path.strip("/").split("/"))
        for name, patterns in self.endpoint_groups.items():
            for pattern in patterns:
                wanted_method, wanted = _parse_pattern(pattern)
                if method == wanted_method and _segments_match(wanted, segments):
                    return name
        return f"{method} {segments[0]}"

    def for_group(self, group: str) -> Window | None:
        """The per-credential (limit, window) of an endpoint group, or None when unlimited."""
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
    | {"organization", "endpoint_groups"}
)


def _window_problems(path: str, pair: Any) -> list[str]:
    prefix = f"{path}." if path else ""
    limit, window = pair
    problems = []
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        problems.append(f"{prefix}limit: must be a positive integer, got {limit!r}")
    if not isinstance(window, (int, float)) or isinstance(window, bool) or window <= 0:
        problems.append(f"{prefix}window: must be a positive number of seconds, got {window!r}")
    return problems


def _parse_groups(value: Any, problems: list[str]) -> dict[str, Window | None]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append('groups: must map an endpoint group such as "writes" to [limit, window]')
        return {}
    parsed: dict[str, Window | None] = {}
    for name, pair in value.items():
        if pair is None:
            parsed[str(name)] = None
        elif isinstance(pair, list) and len(pair) == 2:
            parsed[str(name)] = (pair[0], _seconds(pair[1]))  # values are checked by problems()
        else:
            problems.append(f"groups[{str(name)!r}]: must be [limit, window_seconds] or null")
    return parsed


def _parse_organization(value: Any, problems: list[str]) -> Window | None:
    if value is None:
        return None
    if isinstance(value, tuple):  # already parsed (RateLimits(organization=(120, 8.0)))
        return value
    if not isinstance(value, Mapping) or set(value) != {"limit", "window"}:
        problems.append(f"organization: must be {{limit: N, window: SECONDS}}, got {value!r}")
        return None
    return (value["limit"], _seconds(value["window"]))


def _seconds(value: Any) -> Any:
    """A window as a float when it is a whole number (YAML reads `8` as an int)."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _parse_endpoint_groups(value: Any, problems: list[str]) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.append('endpoint_groups: must map a group name to a list of "METHOD /path/"')
        return {}
    parsed: dict[str, list[str]] = {}
    for name, patterns in value.items():
        if not isinstance(patterns, list) or not patterns:
            problems.append(
                f'endpoint_groups[{name!r}]: must be a non-empty list of "METHOD /path/" patterns'
            )
        else:
            parsed[name] = list(patterns)
    return parsed


@lru_cache(maxsize=256)
def _parse_pattern(pattern: str) -> tuple[str, tuple[str, ...]]:
    method, _, path = pattern.partition(" ")
    return method, tuple(path.strip("/").split("/"))


def _segments_match(wanted: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    return len(wanted) == len(segments) and all(
        w == "*" or w == s for w, s in zip(wanted, segments, strict=True)
    )


@dataclass(frozen=True)
class Verdict:
    """The outcome of counting one request: allowed or not, and what the header says."""

    allowed: bool
    limit: int
    remaining: int
    reset: float  # seconds until the window ends


class RateLimiter:
    """Fixed windows per (credential, group) and per (organization, group): a window opens at
    its first request and lasts its `window` seconds; a request is counted in every window that
    applies to it, or, when one of them is used up, in none."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, ...], tuple[float, int]] = {}

    def hit(self, limits: RateLimits, credential: str, group: str, now: float) -> Verdict | None:
        """Count a request at monotonic time `now`; None when no limit applies to it.

        The verdict describes the limit closer to exhaustion (fewest remaining; the credential's
        on a tie), as Close's header does, so its numbers may jump between two answers. A refused
        request describes the used-up limit that resets last: the wait that really frees it.
        """
        rules: list[tuple[tuple[str, ...], Window]] = []
        own = limits.for_group(group)
        if own is not None:
            rules.append((("credential", credential, group), own))
        if limits.limit is not None and limits.organization is not None:
            rules.append((("organization", group), limits.organization))
        if not rules:
            return None
        with self._lock:
            counts = []
            for key, (limit, window) in rules:
                start, count = self._windows.get(key, (now, 0))
                if now >= start + window:
                    start, count = now, 0
                counts.append((key, limit, window, start, count))
            allowed = all(count < limit for _, limit, _, _, count in counts)
            for key, _, _, start, count in counts:
                self._windows[key] = (start, count + 1 if allowed else count)
        verdicts = [
            Verdict(allowed, limit, max(limit - (count + 1 if allowed else count), 0), reset)
            for _, limit, window, start, count in counts
            for reset in (max(start + window - now, 0.001),)
        ]
        if allowed:
            return min(verdicts, key=lambda v: v.remaining)  # min keeps the first on a tie
        return max((v for v in verdicts if v.remaining <= 0), key=lambda v: v.reset)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
