"""Rate limits as the server states them: lenient parsing of the `RateLimit` and `Retry-After`
headers, and the retry backoff; the pacer that spends the budget is in pacer/."""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

# Names accepted inside a `RateLimit` header. Close documents `limit=, remaining=, reset=`; the
# later IETF drafts shorten them to `r` (remaining) and `t` (seconds to reset).
_KEYS = {
    "limit": "limit",
    "remaining": "remaining",
    "reset": "reset",
    "r": "remaining",
    "t": "reset",
}
_SEPARATORS = re.compile(r"[,;]")


@dataclass(frozen=True)
class RateLimit:
    """What a response said about its endpoint group's budget: the window's `limit`, the requests
    `remaining` in it after this one, and the seconds until it `reset`s. Any may be missing."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None


def parse_rate_limit(value: str | None) -> RateLimit | None:
    """Parse a `RateLimit` header leniently, or return None when it says nothing usable.

    Keys in any order and any case, `,` or `;` between them, integer or float values, quotes and
    unknown keys ignored (Close's docs show commas, the live API was seen sending semicolons).
    Counts are rounded down, which errs on the side of sending fewer requests.
    """
    if not value:
        return None
    found: dict[str, float] = {}
    for item in _SEPARATORS.split(value):
        name, equals, raw = item.partition("=")
        key = _KEYS.get(name.strip().strip('"').lower())
        if not equals or key is None or key in found:
            continue
        number = _non_negative(raw.strip().strip('"'))
        if number is not None:
            found[key] = number
    if "remaining" not in found and "reset" not in found:
        return None
    limit, remaining = found.get("limit"), found.get("remaining")
    return RateLimit(
        limit=None if limit is None else math.floor(limit),
        remaining=None if remaining is None else math.floor(remaining),
        reset=found.get("reset"),
    )


def rate_limit_from_headers(headers: Mapping[str, str]) -> RateLimit | None:
    """The `RateLimit` header, or else the separate `RateLimit-Limit/-Remaining/-Reset` headers
    of the older drafts."""
    combined = parse_rate_limit(header(headers, "RateLimit"))
    if combined is not None:
        return combined
    parts = [
        f"{key}={header(headers, 'RateLimit-' + key)}"
        for key in ("limit", "remaining", "reset")
        if header(headers, "RateLimit-" + key) is not None
    ]
    return parse_rate_limit(", ".join(parts))


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date (relative to
    `now`, a Unix time, default the current time); None when absent or unparsable."""
    if not value:
        return None
    seconds = _non_negative(value.strip())
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT; be lenient about the suffix
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(
    attempt: int, rng: random.Random, *, base: float = 0.5, cap: float = 10.0
) -> float:
    """Capped exponential backoff with full jitter for retry number `attempt` (1-based): uniform
    in [0, min(cap, base * 2**(attempt-1))], so that many clients don't retry in lockstep."""
    return rng.uniform(0.0, min(cap, base * 2 ** max(0, attempt - 1)))


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any case, from httpx.Headers or a plain dict."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def _non_negative(raw: str) -> float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def endpoint_group(path: str) -> str:
    """`/phone_number/phon_x/` -> `phone_number`: Close counts limits per path family and method."""
    return path.strip("/").split("/", 1)[0] or "/"
