"""The Close API client on httpx: auth, pagination, retries, pacing and error mapping, with every
failure turned into an ApiError that names what went wrong and never carries the credential."""

from __future__ import annotations

import base64
import logging
import random
import re
import ssl
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlencode

import httpx

from numbersync import __version__
from numbersync.close.pacer import Bucket, Pacer, Ticket
from numbersync.close.ratelimit import (
    backoff_delay,
    endpoint_group,
    header,
    parse_retry_after,
    rate_limit_from_headers,
)
from numbersync.close.settings import Secret, Settings
from numbersync.errors import ApiError
from numbersync.models import MANAGED_FIELDS, Group, LiveNumber, Me, User

log = logging.getLogger("numbersync.http")

PAGE_SIZE = 100  # Close's documented default and the emulator's maximum
MAX_PAGES = 10_000  # a million records: beyond that, a server that keeps saying has_more is broken
# Always requested with the managed fields: what LiveNumber needs besides them.
# `user_id` (deprecated) is the only place older personal numbers name their owner: see
# plan.normalise_live, which reads it when `participants` is empty.
BASE_FIELDS = ("id", "number", "number_formatted", "date_updated", "user_id")
# Connect fails fast (a wrong URL or a dead network); a read may wait for a busy server.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_MAX_WAIT = 60.0  # seconds of retry waits per call before giving up
MAX_CONNECTIONS = 16  # the applier's largest --concurrency
RETRY_STATUSES = frozenset({500, 502, 503, 504})
# Transport failures worth another try: the server may not have seen the request, or it
# dropped the connection, or it was slow. (UnsupportedProtocol, proxy and local protocol errors
# are configuration problems that a retry won't fix.)
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
EXCERPT_CHARS = 200
# A page of 100 numbers with every field is ~150 kB: a body past this is not the Close API, and
# reading it whole could exhaust memory. Counted after decompression (a gzip bomb is refused too).
MAX_RESPONSE_BYTES = 16 * 2**20


@dataclass
class Stats:
    """What the client did: for tests, verbose output and benchmarks. Thread-safe."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)  # (method, group)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    retries: int = 0
    rate_limited: int = 0  # 429 responses received
    retry_wait: float = 0.0  # seconds slept before retries
    pacing_wait: float = 0.0  # seconds spent waiting for rate-limit budget
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def wait_seconds(self) -> float:
        return self.retry_wait + self.pacing_wait

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
            if status == 429:
                self.rate_limited += 1

    def record_retry(self, wait: float) -> None:
        with self._lock:
            self.retries += 1
            self.retry_wait += wait


@dataclass(frozen=True)
class _Failure:
    """A transport error reduced to what we report. The exception object itself is not kept, so
    that no frame of ours holds text that a proxy or server may have filled with headers."""

    description: str
    retryable: bool
    hint: str | None


class _TooLarge(Exception):
    """A response body past MAX_RESPONSE_BYTES."""


class _CredentialAuth(httpx.Auth):
    """Adds the Authorization header at send time, so that it is held only by the Secret and
    never sits in the client's default headers or in a local variable of ours."""

    def __init__(self, credential: Secret, scheme: str) -> None:
        self._credential = credential
        self._scheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = _authorization(self._credential, self._scheme)
        yield request

    def __repr__(self) -> str:
        return f"<_CredentialAuth {self._scheme} ****>"


def _authorization(credential: Secret, scheme: str) -> str:
    if scheme == "bearer":
        return "Bearer " + credential.reveal()
    # An API key is the Basic user name, with an empty password.
    return "Basic " + base64.b64encode(f"{credential.reveal()}:".encode()).decode("ascii")


class CloseClient:
    """Talks to the Close API. Use as a context manager; safe to share between threads.

    `transport` replaces the network (httpx.MockTransport in tests). `clock`, `sleep` and `rng`
    replace time and randomness so that tests need not wait; with the default `sleep`, pacing
    waits on a condition that a refilling response wakes up early.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_wait: float = DEFAULT_MAX_WAIT,
        max_connections: int = MAX_CONNECTIONS,
        pace: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.settings = settings
        self.stats = Stats()
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep if sleep is not None else time.sleep
        self._rng = rng if rng is not None else random.Random()
        self._pacer = Pacer(clock, sleep, max_wait) if pace else None
        self._scrub = _scrubber(settings)
        # TLS verification stays on (httpx's default `verify=True`). With trust_env (the default)
        # httpx builds its SSL context from SSL_CERT_FILE or SSL_CERT_DIR when set, else from
        # certifi's bundle: a corporate CA is configured with SSL_CERT_FILE=/path/to/ca.pem.
        self._http = httpx.Client(
            base_url=settings.api_url,
            auth=_CredentialAuth(settings.credential, settings.scheme),
            headers={"User-Agent": f"numbersync/{__version__}", "Accept": "application/json"},
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            # A redirect would be a misconfigured CLOSE_API_URL: report it, don't follow it.
            follow_redirects=False,
        )

    def __enter__(self) -> CloseClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"<CloseClient {self.settings.api_url} ({self.settings.credential_name})>"

    # The API ---------------------------------------------------------------------------------

    def list_phone_numbers(self, fields: Sequence[str] | None = None) -> list[LiveNumber]:
        """Every phone number of the organization, with `fields` (default: all managed fields)."""
        wanted = tuple(MANAGED_FIELDS if fields is None else fields)
        unknown = sorted(set(wanted) - set(MANAGED_FIELDS))
        if unknown:
            raise ValueError(f"not managed fields: {', '.join(unknown)}")
        # Groups come with participants: they tell an owner listed only in `user_id` from a
        # sole group member (see plan.normalise_live).
        extra = ("participant_groups",) if "participants" in wanted else ()
        requested = BASE_FIELDS + tuple(
            name for name in MANAGED_FIELDS if name in wanted or name in extra
        )
        items = self._list("/phone_number/", {"_fields": ",".join(requested)})
        return [_live_number(item, wanted, "GET", "/phone_number/") for item in items]

    def get_phone_number(self, number_id: str) -> LiveNumber:
        path = _phone_number_path(number_id)
        return _live_number(self._object("GET", path), MANAGED_FIELDS, "GET", path)

    def update_phone_number(self, number_id: str, changes: Mapping[str, Any]) -> LiveNumber:
        """PUT exactly `changes` (Close treats PUT as PATCH) and return the number as it is now."""
        path = _phone_number_path(number_id)
        return _live_number(
            self._object("PUT", path, body=dict(changes)), MANAGED_FIELDS, "PUT", path
        )

    def list_users(self) -> list[User]:
        users = []
        for item in self._list("/user/", {}):
            name = " ".join(
                str(item.get(key) or "").strip() for key in ("first_name", "last_name")
            ).strip()
            users.append(User(id=item["id"], email=str(item.get("email") or ""), name=name))
        return users

    def list_groups(self) -> list[Group]:
        # The group list takes only `_fields` (no paging parameters are documented), so one
        # request; if a server ever says has_more, we follow it with _skip like other lists.
        items = self._list("/group/", {"_fields": "id,name"}, paged=False)
        return [Group(id=item["id"], name=str(item.get("name") or "")) for item in items]

    def me(self) -> Me:
        body = self._object("GET", "/me/")
        memberships = body.get("memberships")
        permissions: set[str] | None = None
        if isinstance(memberships, list):
            for membership in memberships:
                granted = (
                    membership.get("permissions_granted") if isinstance(membership, dict) else None
                )
                if isinstance(granted, list):
                    permissions = (permissions or set()) | {str(p) for p in granted}
        return Me(
            user_id=str(body.get("id") or ""),
            email=str(body.get("email") or ""),
            permissions=None if permissions is None else frozenset(permissions),
        )

    # Requests ----------------------------------------------------------------------------------

    def _object(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        result = self._request(method, path, body=body)
        if not isinstance(result, dict):
            raise ApiError(method, path, 200, "the response is not a JSON object")
        return result

    def _list(
        self, path: str, params: Mapping[str, str], paged: bool = True
    ) -> list[dict[str, Any]]:
        """All items of an offset-paginated list, de-duplicated by id (pages shift when records
        are added or removed while we read; the later copy is the fresher one)."""
        by_id: dict[str, dict[str, Any]] = {}
        for page in self._pages(path, params, paged):
            for item in page:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    raise ApiError("GET", path, 200, "the response lists an item without an id")
                by_id[item["id"]] = item
        return list(by_id.values())

    def _pages(
        self, path: str, params: Mapping[str, str], paged: bool
    ) -> Iterator[list[dict[str, Any]]]:
        skip = 0
        seen: set[Any] = set()
        for _ in range(MAX_PAGES):
            query = dict(params)
            if paged or skip:
                query.update({"_limit": str(PAGE_SIZE), "_skip": str(skip)})
            body = self._request("GET", path, params=query)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, list):
                raise ApiError("GET", path, 200, "the response has no `data` list")
            yield data
            if body.get("has_more") is not True:
                return
            if not data:
                # `_skip` would not move: the same empty page forever.
                raise ApiError("GET", path, 200, "the API said has_more but sent an empty page")
            ids = {item.get("id") for item in data if isinstance(item, dict)}
            if not ids - seen:
                # A server that ignores `_skip` sends the first page forever: without this we
                # would ask MAX_PAGES times before saying so.
                raise ApiError(
                    "GET", path, 200, "the API said has_more but sent only items it had sent before"
                )
            seen |= ids
            skip += len(data)
        raise ApiError(
            "GET", path, 200, f"the API kept returning has_more after {MAX_PAGES:,} pages"
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        """One API call with pacing and retries; returns the parsed JSON or raises ApiError."""
        target = path + ("?" + urlencode(params, safe=",") if params else "")
        bucket = self._pacer.bucket(method, path) if self._pacer is not None else None
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            response, failure = self._send(method, path, target, params, body, bucket)
            if response is not None and response.is_success:
                return self._json(method, path, response)
            status = None if response is None else response.status_code
            if response is not None and status not in RETRY_STATUSES and status != 429:
                raise _error_from_response(method, path, response, self.settings, self._scrub)
            if failure is not None and not failure.retryable:
                raise ApiError(method, path, None, failure.description, hint=failure.hint)
            if response is not None:
                reason = _status_text(response)
                if status != 429:  # a 429's body is boilerplate; a 5xx's may explain itself
                    reason += _suffix(_body_text(response, self._scrub))
            else:
                assert failure is not None
                reason = failure.description
            delay, asked = self._delay(attempt, response)
            if response is not None and status == 429 and bucket is not None:
                bucket.throttled(self._clock() + delay)
            if attempt >= self._max_attempts:
                raise ApiError(
                    method,
                    path,
                    status,
                    f"gave up after {attempt} attempts: {reason}",
                    hint=_give_up_hint(status),
                )
            if waited + delay > self._max_wait:
                why = "the server asked to wait" if asked else "the next retry would wait"
                raise ApiError(
                    method,
                    path,
                    status,
                    f"gave up after {attempt} attempts: {reason} ({why} {delay:.1f} s more, "
                    f"beyond the {self._max_wait:.0f} s retry budget)",
                    hint=_give_up_hint(status),
                )
            # Retrying is safe for every call we make: GETs read, and a PUT carries absolute
            # values (Close's PUT is a PATCH of the given fields), so sending it again after a
            # 5xx or a dropped connection, even if the first one was applied, ends in the same
            # state.
            log.info(
                "retrying %s %s in %.1f s after %s (attempt %d/%d)",
                method,
                path,
                delay,
                reason,
                attempt + 1,
                self._max_attempts,
            )
            self.stats.record_retry(delay)
            self._sleep(delay)
            waited += delay

    def _send(
        self,
        method: str,
        path: str,
        target: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
        bucket: Bucket | None,
    ) -> tuple[httpx.Response | None, _Failure | None]:
        """Send once: the response, or what prevented one."""
        ticket = bucket.acquire() if bucket is not None else Ticket(0, 0.0)
        self.stats.record_request(method, path, ticket.waited)
        started = self._clock()
        try:
            response = self._read_capped(method, path, params, body)
        except _TooLarge:
            failure = _Failure(
                f"the response is over {MAX_RESPONSE_BYTES // 2**20} MiB; stopped reading it",
                False,
                "check that CLOSE_API_URL points at the Close API (…/api/v1)",
            )
            self._finish(bucket, ticket, None)
            log.info("%s %s failed: %s", method, target, failure.description)
            self.stats.record_outcome(None)
            return None, failure
        except httpx.TransportError as exc:
            failure = _Failure(_describe(exc, self._scrub), _retryable(exc), _hint(exc))
            self._finish(bucket, ticket, None)
            elapsed = (self._clock() - started) * 1000
            log.info("%s %s failed after %.0f ms: %s", method, target, elapsed, failure.description)
            self.stats.record_outcome(None)
            return None, failure
        except BaseException:
            if bucket is not None:
                bucket.release(ticket)
            raise
        self._finish(bucket, ticket, response)
        elapsed = (self._clock() - started) * 1000
        log.info("%s %s %d %.0f ms", method, target, response.status_code, elapsed)
        if log.isEnabledFor(logging.DEBUG):
            for name in ("RateLimit", "Retry-After", "RateLimit-Reset"):
                value = header(response.headers, name)
                if value is not None:
                    log.debug("  %s: %s", name, self._scrub(value))
        self.stats.record_outcome(response.status_code)
        return response, None

    def _read_capped(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        """Send and read the whole response, but raise _TooLarge past MAX_RESPONSE_BYTES."""
        with self._http.stream(method, path, params=params, json=body) as streamed:
            declared = streamed.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise _TooLarge
            chunks, size = [], 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _TooLarge
                chunks.append(chunk)
        # The body is decoded already: drop the headers that describe its encoding on the wire.
        wire = {b"content-encoding", b"content-length", b"transfer-encoding"}
        return httpx.Response(
            streamed.status_code,
            headers=[(k, v) for k, v in streamed.headers.raw if k.lower() not in wire],
            content=b"".join(chunks),
            request=streamed.request,
            extensions=streamed.extensions,
        )

    def _finish(
        self, bucket: Bucket | None, ticket: Ticket, response: httpx.Response | None
    ) -> None:
        if bucket is None:
            return
        rate = None if response is None else rate_limit_from_headers(response.headers)
        success = response is not None and response.is_success
        bucket.complete(ticket, rate, received_at=self._clock(), success=success)

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
            return response.json()
        except ValueError:
            raise ApiError(
                method,
                path,
                response.status_code,
                "the response is not JSON: " + _excerpt(response.text, self._scrub),
                hint="check that CLOSE_API_URL points at the Close API (…/api/v1)",
            ) from None


# Building LiveNumbers ---------------------------------------------------------------------------


def _phone_number_path(number_id: str) -> str:
    # Quoted so that an id from a file or a plan can never walk to another path ("../user").
    return f"/phone_number/{quote(number_id, safe='')}/"


def _live_number(
    item: Mapping[str, Any], fields: Sequence[str], method: str, path: str
) -> LiveNumber:
    number_id, number = item.get("id"), item.get("number")
    if not isinstance(number_id, str) or not isinstance(number, str):
        raise ApiError(method, path, 200, "a phone number without an id or number")
    formatted = item.get("number_formatted")
    updated = item.get("date_updated")
    return LiveNumber(
        id=number_id,
        number=number,
        number_formatted=formatted if isinstance(formatted, str) and formatted else number,
        date_updated=updated if isinstance(updated, str) else None,
        fields={name: item[name] for name in fields if name in item},
        raw=dict(item),
    )


# Errors ---------------------------------------------------------------------------------------

_PHONE_NUMBER_PATH = re.compile(r"^/phone_number/([^/]+)/$")
_TAG = re.compile(r"<[^>]*>")


def _error_from_response(
    method: str,
    path: str,
    response: httpx.Response,
    settings: Settings,
    scrub: Callable[[str], str],
) -> ApiError:
    """Map a non-retryable error response to an ApiError with Close's own words where it has any."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    said = _server_message(body, scrub) if isinstance(body, dict) else ""
    text = _body_text(response, scrub)
    if status == 400:
        field_errors: dict[str, str] = {}
        messages: list[str] = []
        if isinstance(body, dict):
            raw_fields = body.get("field-errors")
            if isinstance(raw_fields, dict):
                field_errors = {str(k): scrub(_flatten(v)) for k, v in raw_fields.items()}
            errors = body.get("errors")
            if isinstance(errors, list):
                messages += [scrub(_flatten(e)) for e in errors]
            messages += [f"{name}: {message}" for name, message in field_errors.items()]
            if said and not messages:
                messages.append(said)
        detail = "; ".join(messages) or text or "bad request"
        return ApiError(method, path, status, f"Close rejected the request: {detail}", field_errors)
    if status == 401:
        return ApiError(
            method,
            path,
            status,
            f"{settings.credential_name} was rejected",
            hint=f"check that it is current and belongs to the organization at {settings.api_url}",
        )
    if status == 402:
        return ApiError(
            method, path, status, "a limit of your Close plan was reached" + _suffix(said)
        )
    if status == 403:
        hint = None
        if method == "PUT" and _PHONE_NUMBER_PATH.match(path):
            hint = (
                "changing members, groups or ring settings needs the Manage Team Phone Numbers "
                "permission; without it a user may change only label, greeting and forwarding "
                "of numbers where they are the sole member"
            )
        return ApiError(method, path, status, "not allowed" + _suffix(said), hint=hint)
    if status == 404:
        match = _PHONE_NUMBER_PATH.match(path)
        if match:
            return ApiError(method, path, status, f"phone number {unquote(match[1])} not found")
        return ApiError(
            method,
            path,
            status,
            "not found" + _suffix(said),
            hint="check CLOSE_API_URL (it should end in /api/v1)",
        )
    if 300 <= status < 400:
        return ApiError(
            method,
            path,
            status,
            f"unexpected redirect to {scrub(response.headers.get('Location', '?'))}",
            hint="check CLOSE_API_URL",
        )
    return ApiError(method, path, status, f"{_status_text(response)}" + _suffix(text))


def _body_text(response: httpx.Response, scrub: Callable[[str], str]) -> str:
    """Close's message when the body is JSON that has one, else the body's text, cut short."""
    try:
        body = response.json()
    except ValueError:
        body = None
    said = _server_message(body, scrub) if isinstance(body, dict) else ""
    text = response.text
    if "html" in response.headers.get("Content-Type", ""):
        text = _TAG.sub(" ", text)  # a gateway's error page: keep its words
    return said or _excerpt(text, scrub)


def _server_message(body: Mapping[str, Any], scrub: Callable[[str], str]) -> str:
    """Close's human-readable `error` (or `message`), if the body carries one."""
    for key in ("error", "message", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return _excerpt(value, scrub)
    return ""


def _flatten(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_flatten(item) for item in value)
    return str(value)


def _suffix(text: str) -> str:
    return f": {text}" if text else ""


def _excerpt(text: str, scrub: Callable[[str], str]) -> str:
    """A server's text for a message: whitespace collapsed, cut at ~200 characters."""
    flat = " ".join(scrub(text).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "…"


def _status_text(response: httpx.Response) -> str:
    phrase = response.reason_phrase
    return f"{response.status_code} {phrase}" if phrase else str(response.status_code)


def _retryable(exc: httpx.TransportError) -> bool:
    return isinstance(exc, RETRY_EXCEPTIONS) and not _is_certificate_error(exc)


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _describe(exc: httpx.TransportError, scrub: Callable[[str], str]) -> str:
    message = _excerpt(str(exc), scrub)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _hint(exc: httpx.TransportError) -> str | None:
    if _is_certificate_error(exc):
        return (
            "the server's TLS certificate was not trusted; behind a proxy that re-signs TLS, "
            "point SSL_CERT_FILE at its CA bundle"
        )
    return "check CLOSE_API_URL"


def _give_up_hint(status: int | None) -> str:
    if status == 429:
        return "Close kept rate-limiting: wait a minute, or apply with a lower --concurrency"
    if status is None:
        return "Close could not be reached: check the network and CLOSE_API_URL, then retry"
    return "Close kept failing: try again later (a second apply picks up where this one stopped)"


def _scrubber(settings: Settings) -> Callable[[str], str]:
    """Remove the credential (raw and in its Basic form) from text a server sent back: a
    misbehaving proxy or server that echoes the request must not make us print it."""
    secrets = [settings.credential.reveal(), _authorization(settings.credential, "basic")[6:]]
    secrets = [s for s in secrets if len(s) >= 4]

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "****")
        return text

    return scrub


# Logging --------------------------------------------------------------------------------------


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler configure_logging installed, so that calling it again replaces it."""


def configure_logging(verbosity: int) -> None:
    """Log numbersync's messages to stderr: warnings by default, each request with -v, rate-limit
    headers with -vv. httpx's and httpcore's own loggers are left alone (quiet)."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logger = logging.getLogger("numbersync")
    for handler in list(logger.handlers):
        if isinstance(handler, _StderrHandler):
            logger.removeHandler(handler)
    handler = _StderrHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
