"""Rate-limit headers and backoff: parsed leniently, capped and jittered."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from numbersync.close import RateLimit, parse_rate_limit, parse_retry_after
from numbersync.close.ratelimit import backoff_delay, endpoint_group, rate_limit_from_headers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("limit=100, remaining=50, reset=5", RateLimit(100, 50, 5.0)),
        ("limit=160; remaining=159; reset=8", RateLimit(160, 159, 8.0)),
        ("reset=3,remaining=7,limit=10", RateLimit(10, 7, 3.0)),
        ("Limit=10; REMAINING=7; Reset=3", RateLimit(10, 7, 3.0)),
        ("limit = 10 , remaining = 7 , reset = 0.25", RateLimit(10, 7, 0.25)),
        ("limit=10.0, remaining=6.9, reset=1.5", RateLimit(10, 6, 1.5)),  # counts round down
        ('limit="10", remaining="2", reset="1"', RateLimit(10, 2, 1.0)),
        ('"default";r=50;t=30', RateLimit(None, 50, 30.0)),  # the later IETF draft's names
        ("remaining=0", RateLimit(None, 0, None)),
        ("reset=2", RateLimit(None, None, 2.0)),
        ("limit=10, remaining=x, reset=2", RateLimit(10, None, 2.0)),
        ("limit=10, remaining=-1, reset=2", RateLimit(10, None, 2.0)),
        ("limit=10, remaining=5, remaining=9, reset=2", RateLimit(10, 5, 2.0)),  # first wins
        ("foo=1, bar=2, remaining=4", RateLimit(None, 4, None)),
        ("", None),
        (None, None),
        ("garbage", None),
        ("limit=10", None),  # nothing to act on
        ("remaining=nan, reset=inf", None),
        ("remaining=, reset=", None),
        ("=,;=;", None),
    ],
)
def test_parse_rate_limit(value: str | None, expected: RateLimit | None) -> None:
    assert parse_rate_limit(value) == expected


def test_rate_limit_from_headers_any_case_and_separate_headers() -> None:
    assert rate_limit_from_headers({"ratelimit": "limit=5, remaining=1, reset=2"}) == RateLimit(
        5, 1, 2.0
    )
    separate = {"RateLimit-Limit": "5", "RateLimit-Remaining": "0", "RATELIMIT-RESET": "3"}
    assert rate_limit_from_headers(separate) == RateLimit(5, 0, 3.0)
    assert rate_limit_from_headers({"Content-Type": "application/json"}) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        (formatdate(1_000_030, usegmt=True), 30.0),  # HTTP date 30 s after "now"
        (formatdate(999_000, usegmt=True), 0.0),  # in the past: no wait
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=1_000_000) == expected


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b

    tops = [backoff_delay(attempt, Top(), base=0.5, cap=10.0) for attempt in range(1, 9)]
    assert tops == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    rng = random.Random(7)
    delays = [backoff_delay(attempt, rng) for attempt in range(1, 200)]
    assert all(0.0 <= delay <= 10.0 for delay in delays)
    assert len({round(d, 6) for d in delays}) > 150  # jittered, not in lockstep


def test_endpoint_groups() -> None:
    assert endpoint_group("/phone_number/") == "phone_number"
    assert endpoint_group("/phone_number/phon_1/") == "phone_number"
    assert endpoint_group("/me/") == "me"
