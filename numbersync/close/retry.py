"""One API call with pacing and retries: 429 and 5xx answers and dropped connections are tried
again after the wait the server asks for (else capped backoff with jitter), within a bound on
attempts and on seconds waited; every wait ends at once when the run is stopped."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from numbersync.close.errors import body_text, error_from_response, status_text, suffix
from numbersync.close.pacer import Pacer, Ticket
from numbersync.close.ratelimit import (
    backoff_delay,
    endpoint_group,
    header,
    parse_retry_after,
    rate_limit_from_headers,
)
from numbersync.close.settings import Settings
from numbersync.close.transport import Attempt, Scrub, Transport, excerpt, read_json
from numbersync.errors import Abandoned, ApiError
from numbersync.stopping import TIMEOUT, Sleep, Stop, Stopped, pause

log = logging.getLogger("numbersync.http")

DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_MAX_WAIT = 60.0  # seconds of retry waits per call before giving up
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Error answers after which Close may have acted on the request anyway: a gateway that gave up
# waiting, or a failure inside the server. (A 429 or 503 turns the request away.)
_AMBIGUOUS_STATUSES = frozenset({500, 502, 504})


@dataclass
class Stats:
    """What the client did: summed up at -v when the client closes, and read by the tests and
    the benchmarks. Thread-safe."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, group)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    retries: int = 0
    retry_wait: float = 0.0  # seconds slept before retries
    pacing_wait: float = 0.0  # seconds spent waiting for rate-limit budget
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_request(self, method: str, path: str, pacing_wait: float) -> None:
        with self._lock:
            self.requests[(method, endpoint_group(path))] += 1
            self.pacing_wait += pacing_wait

    def record_outcome(self, status: int | None) -> None:
        with self._lock:
            if status is None:
                self.transport_errors += 1
                return
            self.statuses[status] += 1

    def record_retry(self, wait: float) -> None:
        with self._lock:
            self.retries += 1
            self.retry_wait += wait

    def summary(self) -> str:
        """One line for -v at the end of a run: what was sent, retried and waited for."""
        with self._lock:
            sent = sum(self.requests.values())
            methods = Counter[str]()
            for (method, _), count in self.requests.items():
                methods[method] += count
            by_method = ", ".join(f"{m} {n}" for m, n in sorted(methods.items()))
            return (
                f"{sent} request{'s' if sent != 1 else ''} ({by_method or 'none'}); "
                f"{self.retries} retr{'ies' if self.retries != 1 else 'y'} after "
                f"{self.retry_wait:.1f} s of waiting; {self.statuses[429]} answered 429; "
                f"{self.transport_errors} without an answer; "
                f"{self.pacing_wait:.1f} s paced to the rate limits"
            )


class Retrier:
    """Sends calls through `transport`, paced by `pacer`, retried as the module docstring says.

    `clock`, `sleep` and `rng` replace time and randomness in tests; with the default `sleep`,
    waits are on `stop`, so that a stop ends them at once.
    """

    def __init__(
        self,
        transport: Transport,
        settings: Settings,
        scrub: Scrub,
        *,
        pacer: Pacer | None,
        stats: Stats,
        stop: Stop | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._transport = transport
        self._settings = settings
        self._scrub = scrub
        self._pacer = pacer
        self._stats = stats
        self._stop = stop
        self._clock = clock
        self._sleep = sleep
        self._rng = rng if rng is not None else random.Random()
        self.max_attempts = max_attempts
        self.max_wait = max_wait

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        budget: str | None = None,
    ) -> Any:
        """The parsed JSON of a successful answer (None for a removal's empty one); otherwise
        ApiError (Abandoned when stopped), whose `reached` says whether any attempt may have
        reached Close. `budget` names the pacer's bucket when it is not `method`'s own."""
        budget = budget or method
        target = path + ("?" + urlencode(params, safe=",") if params else "")
        waited = 0.0
        attempt = 0
        reached = False
        status: int | None = None
        while True:
            attempt += 1
            try:
                result, ticket = self._attempt(method, path, target, params, body, budget)
            except Stopped as stopped:
                raise self._abandoned(method, path, status, reached, stopped) from None
            response, failure = result.response, result.failure
            status = None if response is None else response.status_code
            if response is not None and response.is_success:
                if status == 204 or (method == "DELETE" and not response.content):
                    return None  # a removal's answer: the status is all there is to read
                return self._json(method, path, response)
            if response is not None and status not in RETRY_STATUSES and status != 429:
                error = error_from_response(method, path, response, self._settings, self._scrub)
                error.reached = reached  # this answer refused it; an earlier try may not have
                raise error
            reached = reached or _may_have_acted(result)
            if failure is not None and not failure.retryable:
                raise ApiError(
                    method, path, None, failure.description, hint=failure.hint, reached=reached
                )
            reason = self._reason(response, failure)
            delay, asked = self._delay(attempt, response)
            if response is not None and status == 429 and self._pacer is not None:
                # This request's ticket: another thread's failure in between is not this 429.
                self._pacer.bucket(budget).throttled(self._clock() + delay, ticket)
            if attempt >= self.max_attempts:
                raise ApiError(
                    method,
                    path,
                    status,
                    f"gave up after {attempt} attempts: {reason}",
                    hint=_give_up_hint(status, reached),
                    reached=reached,
                )
            if waited + delay > self.max_wait:
                why = "the server asked to wait" if asked else "the next retry would wait"
                raise ApiError(
                    method,
                    path,
                    status,
                    f"gave up after {attempt} attempts: {reason} ({why} {delay:.1f} s more, "
                    f"beyond the {self.max_wait:.0f} s retry budget)",
                    hint=_give_up_hint(status, reached),
                    reached=reached,
                )
            if self._stop is not None and self._stop.is_set():
                raise self._abandoned(method, path, status, reached, Stopped(self._stop.reason))
            # Retrying is safe for every call we make: GETs read, a PUT carries absolute values
            # (Close's PUT is a PATCH of the given fields), and adding or removing a group
            # member does nothing when it was done already, so sending one again after a 5xx or
            # a dropped connection, even if the first one was applied, ends in the same state.
            log.info(
                "retrying %s %s in %.1f s after %s (attempt %d/%d)",
                method,
                path,
                delay,
                reason,
                attempt + 1,
                self.max_attempts,
            )
            self._stats.record_retry(delay)
            try:
                pause(delay, self._stop, self._sleep)
            except Stopped as stopped:
                raise self._abandoned(method, path, status, reached, stopped) from None
            waited += delay

    def _attempt(
        self,
        method: str,
        path: str,
        target: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        budget: str,
    ) -> tuple[Attempt, Ticket]:
        """Wait for rate-limit budget, then send once (the result, and the ticket the pacer gave
        the request); raises Stopped only before sending."""
        bucket = self._pacer.bucket(budget) if self._pacer is not None else None
        ticket = bucket.acquire() if bucket is not None else Ticket(0, 0.0)
        if self._stop is not None and self._stop.is_set():
            if bucket is not None:
                bucket.release(ticket)
            raise Stopped(self._stop.reason)
        self._stats.record_request(method, path, ticket.waited)
        started = self._clock()
        try:
            result = self._transport.send(method, path, params, body)
        except BaseException:
            if bucket is not None:
                bucket.release(ticket)
            raise
        received = self._clock()
        response = result.response
        if bucket is not None:
            rate = None if response is None else rate_limit_from_headers(response.headers)
            success = response is not None and response.is_success
            bucket.complete(ticket, rate, received_at=received, success=success)
        elapsed = (received - started) * 1000
        if response is None:
            assert result.failure is not None
            description = result.failure.description
            log.info("%s %s failed after %.0f ms: %s", method, target, elapsed, description)
            self._stats.record_outcome(None)
            return result, ticket
        log.info("%s %s %d %.0f ms", method, target, response.status_code, elapsed)
        if log.isEnabledFor(logging.DEBUG):
            for name in ("RateLimit", "Retry-After", "RateLimit-Reset"):
                value = header(response.headers, name)
                if value is not None:
                    log.debug("  %s: %s", name, self._scrub(value))
        self._stats.record_outcome(response.status_code)
        return result, ticket

    def _reason(self, response: httpx.Response | None, failure: Any) -> str:
        if response is None:
            return str(failure.description)
        reason = status_text(response)
        if response.status_code != 429:  # a 429's body is boilerplate; a 5xx's may explain
            reason += suffix(body_text(response, self._scrub))
        return reason

    def _abandoned(
        self, method: str, path: str, status: int | None, reached: bool, stopped: Stopped
    ) -> Abandoned:
        why = {"SIGINT": "interrupted", "SIGTERM": "terminated", TIMEOUT: "--timeout reached"}.get(
            stopped.reason or "", "stopped"
        )
        detail = f"{why} before it could be sent again" if status is not None or reached else why
        return Abandoned(method, path, status, detail, reached=reached)

    def _delay(self, attempt: int, response: httpx.Response | None) -> tuple[float, bool]:
        """Seconds before the next attempt, and whether the server asked for them.

        A 429 waits what the server says: `RateLimit` reset, else `Retry-After` (seconds or an
        HTTP date), else `RateLimit-Reset`; a 5xx honours `Retry-After` when present. Otherwise
        capped exponential backoff with full jitter.
        """
        if response is not None:
            asked: float | None = None
            if response.status_code == 429:
                rate = rate_limit_from_headers(response.headers)
                asked = rate.reset if rate is not None else None
            if asked is None:
                asked = parse_retry_after(header(response.headers, "Retry-After"))
            if asked is None and response.status_code == 429:
                asked = parse_retry_after(header(response.headers, "RateLimit-Reset"))
            if asked is not None:
                # A reset of 0 (a window that just ended) still deserves a breath, and a little
                # jitter keeps 16 workers from returning in the same millisecond.
                return max(asked, 0.05) + self._rng.uniform(0.0, 0.05), True
        return backoff_delay(attempt, self._rng), False

    def _json(self, method: str, path: str, response: httpx.Response) -> Any:
        try:
            return read_json(response, self._scrub)
        except ValueError:
            raise ApiError(
                method,
                path,
                response.status_code,
                "the response is not JSON: " + excerpt(response.text, self._scrub),
                hint="check that CLOSE_API_URL points at the Close API (…/api/v1)",
                reached=True,
            ) from None


def _may_have_acted(result: Attempt) -> bool:
    """Whether Close may have applied the request that got this (unsuccessful) result."""
    if result.failure is not None:
        return result.failure.reached
    assert result.response is not None
    return result.response.status_code in _AMBIGUOUS_STATUSES


def _give_up_hint(status: int | None, reached: bool) -> str:
    if status == 429:
        return "Close kept rate-limiting: wait a minute, or apply with a lower --concurrency"
    if status is None and reached:
        return (
            "the answers did not arrive whole (a timeout, a dropped connection or a body that "
            "could not be decoded): `numbersync plan` shows what Close has now"
        )
    if status is None:
        return "Close could not be reached: check the network and CLOSE_API_URL, then retry"
    return "Close kept failing: try again later (a second apply picks up where this one stopped)"
