"""The HTTP seam: one request sent once, its answer read whole up to a size cap and a deadline, or
the reason there is none, within a budget of bytes for the whole run. It adds the credential at
send time, never follows redirects, keeps loopback traffic away from proxies, and says whether a
failed request may have reached Close."""

from __future__ import annotations

import base64
import json
import logging
import re
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from numbersync import __version__
from numbersync.close.settings import Secret, Settings
from numbersync.loopback import is_loopback, url_host

log = logging.getLogger("numbersync.http")

# Connect fails fast (a wrong URL or a dead network); a read may wait for a busy server.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The largest --concurrency for the list's pages, the users, groups and /me/ read beside them,
# and the group member reads of a plan (fetch.MEMBER_READS_PER_SLOT for each page).
MAX_CONNECTIONS = 16 + 3 + 16 * 4
# A page of 100 numbers with every field is ~150 kB: a body past this is not the Close API, and
# reading it whole could exhaust memory. Counted after decompression (a gzip bomb is refused too).
MAX_RESPONSE_BYTES = 16 * 2**20
# What one run may read from the server in all: room for ten times the largest account we plan
# for (10,000 numbers with every managed field) and its users and groups. Past it, the server
# sends something other than an account (pages without end), and holding it would exhaust memory.
MAX_TOTAL_BYTES = 128 * 2**20
# A whole answer, body included, within this: the read timeout restarts with every byte, so a
# server that drips its body would otherwise hold a run for ever. Close answers in about a second.
DEFAULT_REQUEST_DEADLINE = 60.0
EXCERPT_CHARS = 200
Scrub = Callable[[str], str]


@dataclass(frozen=True)
class Failure:
    """Why a request got no usable answer, reduced to what we report. The exception itself is not
    kept, so that no frame of ours holds text a proxy or server may have filled with headers.

    `retryable`: another try may succeed. `reached`: the request may have reached Close (and a
    write may have been applied), as opposed to failing before anything was sent."""

    description: str
    retryable: bool
    reached: bool
    hint: str | None = None


@dataclass(frozen=True)
class Attempt:
    """One try: the whole response, or the failure that prevented one."""

    response: httpx.Response | None
    failure: Failure | None


class _TooLarge(Exception):
    """A response body past MAX_RESPONSE_BYTES."""


class _TooSlow(Exception):
    """A response not read whole by its deadline."""


class _OverBudget(Exception):
    """The run read more than its budget of bytes from the server."""


class _Deadline(httpx.SyncByteStream):
    """A response's bytes as they come off the wire, ended with _TooSlow once `clock` passes
    `at`. Below the decoder, so that a compressed body that drips without decoding to anything
    is cut all the same."""

    def __init__(self, inner: Any, clock: Callable[[], float], at: float) -> None:
        self._inner = inner
        self._clock = clock
        self._at = at

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if self._clock() > self._at:
                raise _TooSlow
            yield chunk

    def close(self) -> None:
        self._inner.close()


class _CredentialAuth(httpx.Auth):
    """Adds the Authorization header at send time, so that it is held only by the Secret and
    never sits in the client's default headers or in a local variable of ours."""

    def __init__(self, credential: Secret, scheme: str) -> None:
        self._credential = credential
        self._scheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = authorization(self._credential, self._scheme)
        yield request

    def __repr__(self) -> str:
        return f"<_CredentialAuth {self._scheme} ****>"


def tls_verification(api_url: str) -> ssl.SSLContext | bool:
    """How httpx verifies TLS for `api_url`: always. For https, httpx's default (`True`): with
    trust_env it builds its context from SSL_CERT_FILE or SSL_CERT_DIR when set, else from
    certifi's bundle, so a corporate CA is configured with SSL_CERT_FILE=/path/to/ca.pem. Plain
    http (only to a loopback host, see check_api_url) never opens TLS: it skips loading that
    bundle (tens of milliseconds a process) with a context that trusts no CA, and so would
    refuse any certificate."""
    if httpx.URL(api_url).scheme == "http":
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return True


def authorization(credential: Secret, scheme: str) -> str:
    if scheme == "bearer":
        return "Bearer " + credential.reveal()
    # An API key is the Basic user name, with an empty password.
    return "Basic " + base64.b64encode(f"{credential.reveal()}:".encode()).decode("ascii")


def scrubber(settings: Settings) -> Scrub:
    """Remove the credential (raw and in its Basic form) from text a server sent back: a
    misbehaving proxy or server that echoes the request must not make us print it. The
    Transport applies it to every answer's reason phrase and headers, `read_json` to every
    string of a JSON body (keys too), and `excerpt` to any other text of a body."""
    secrets = [settings.credential.reveal(), authorization(settings.credential, "basic")[6:]]
    secrets = [s for s in secrets if len(s) >= 4]

    def scrub(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "****")
        return text

    return scrub


class Transport:
    """Sends requests to the Close API at `settings.api_url`; safe to share between threads.

    `transport` replaces the network (httpx.MockTransport in tests).
    """

    def __init__(
        self,
        settings: Settings,
        scrub: Scrub,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        deadline: float = DEFAULT_REQUEST_DEADLINE,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._scrub = scrub
        self._deadline = deadline
        self._max_total_bytes = max_total_bytes
        self._clock = clock
        self._read = 0  # bytes read in all, against max_total_bytes
        self._read_lock = threading.Lock()
        host = httpx.URL(settings.api_url).host
        # HTTP_PROXY and friends apply to the real API (https through a proxy is a CONNECT
        # tunnel: the proxy sees the host name, never the credential). Loopback traffic (the
        # emulator, a CI service) is never sent to a proxy: over plain http the proxy would read
        # the Authorization header.
        mounts: dict[str, httpx.BaseTransport | None] = (
            {f"all://{url_host(host)}": None} if is_loopback(host) else {}
        )
        self._http = httpx.Client(
            base_url=settings.api_url,
            auth=_CredentialAuth(settings.credential, settings.scheme),
            headers={"User-Agent": f"numbersync/{__version__}", "Accept": "application/json"},
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
            mounts=mounts,
            verify=tls_verification(settings.api_url),
            # A redirect would be a misconfigured CLOSE_API_URL: report it, don't follow it.
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> Attempt:
        """Send once. Never raises for anything the network or the server does."""
        if self._read > self._max_total_bytes:
            return Attempt(None, self._over_budget(reached=False))
        try:
            return Attempt(self._read_capped(method, path, params, body), None)
        except _OverBudget:
            failure = self._over_budget(reached=True)
        except _TooSlow:
            failure = Failure(
                f"the answer did not arrive whole within {self._deadline:g} s; stopped reading it",
                retryable=False,
                reached=True,
                hint="the server sends its answers too slowly: try again later, and check that "
                "CLOSE_API_URL points at the Close API",
            )
        except _TooLarge:
            failure = Failure(
                f"the response is over {MAX_RESPONSE_BYTES // 2**20} MiB; stopped reading it",
                retryable=False,
                reached=True,
                hint="check that CLOSE_API_URL points at the Close API (…/api/v1)",
            )
        except httpx.DecodingError as exc:
            # An answer came but cannot be read (a corrupt gzip body, a bad charset): Close
            # may well have acted on the request.
            failure = Failure(
                "the answer could not be decoded: " + describe(exc, self._scrub),
                retryable=True,
                reached=True,
            )
        except httpx.TransportError as exc:
            failure = Failure(
                describe(exc, self._scrub),
                retryable=_retryable(exc),
                reached=_may_have_reached(exc),
                hint=_hint(exc),
            )
        return Attempt(None, failure)

    def _over_budget(self, *, reached: bool) -> Failure:
        return Failure(
            f"the server sent more than {self._max_total_bytes // 2**20} MiB in this run, more "
            "than any plausible account; stopped reading",
            retryable=False,
            reached=reached,
            hint="check that CLOSE_API_URL points at the Close API (…/api/v1): a list that never "
            "ends is a fault of the server",
        )

    def _count(self, size: int) -> None:
        with self._read_lock:
            self._read += size
            if self._read > self._max_total_bytes:
                raise _OverBudget

    def _read_capped(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        """Send and read the whole response, but raise _TooLarge past MAX_RESPONSE_BYTES,
        _TooSlow past the deadline and _OverBudget past the run's budget of bytes."""
        at = self._clock() + self._deadline
        with self._http.stream(method, path, params=params, json=body) as streamed:
            if self._clock() > at:
                raise _TooSlow
            declared = streamed.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                raise _TooLarge
            streamed.stream = _Deadline(streamed.stream, self._clock, at)
            chunks, size = [], 0
            for chunk in streamed.iter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _TooLarge
                self._count(len(chunk))
                chunks.append(chunk)
        # The body is decoded already: drop the headers that describe its encoding on the wire.
        wire = {b"content-encoding", b"content-length", b"transfer-encoding"}
        headers = [
            (k, self._scrub_bytes(v, "latin-1"))
            for k, v in streamed.headers.raw
            if k.lower() not in wire
        ]
        extensions = dict(streamed.extensions)
        # httpx reads the reason phrase as ASCII, dropping any other byte: scrubbed as read.
        extensions["reason_phrase"] = self._scrub(streamed.reason_phrase).encode("ascii")
        return httpx.Response(
            streamed.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=streamed.request,
            extensions=extensions,
        )

    def _scrub_bytes(self, value: bytes, encoding: str) -> bytes:
        return self._scrub(value.decode(encoding)).encode(encoding)


# Transport failures worth another try: the server may not have seen the request, or it dropped
# the connection, or it was slow. (UnsupportedProtocol, proxy and local protocol errors are
# configuration problems that a retry won't fix.)
_RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# Failures that happen before the request leaves: nothing can have been applied.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


def _retryable(exc: httpx.TransportError) -> bool:
    return isinstance(exc, _RETRY_EXCEPTIONS) and not _is_certificate_error(exc)


def _may_have_reached(exc: httpx.TransportError) -> bool:
    return not isinstance(exc, (*_NOT_SENT, httpx.UnsupportedProtocol))


def _is_certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(
            seen
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def describe(exc: Exception, scrub: Scrub) -> str:
    message = excerpt(str(exc), scrub)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


# The credential is printable ASCII without quotes (Settings refuses anything else), so only an
# escape of such a character can hide it from a scrub of the raw text: `\u0021` to `\u007e`,
# `\\` and `\/`. Escaped accents and emoji (most servers' JSON) need no second look.
_ASCII_ESCAPE = re.compile(r"\\(?:u00[2-7][0-9A-Fa-f]|[\\/])")


def read_json(response: httpx.Response, scrub: Scrub) -> Any:
    """The body's JSON (read as httpx reads it), every string in it scrubbed, keys too: a value
    may hide the credential behind `\\u` escapes, so the strings are scrubbed once decoded.
    ValueError when the body is not JSON."""
    raw = response.content
    text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    document = json.loads(text)
    if _ASCII_ESCAPE.search(text) or scrub(text) != text:
        document = _scrubbed(document, scrub)
    return document


def _scrubbed(document: Any, scrub: Scrub) -> Any:
    """`document` with `scrub` applied to each string, keys included; not recursive, so that
    no nesting json accepted can exhaust the stack here."""
    pending: list[Any] = []

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, dict):
            value = {scrub(key): item for key, item in value.items()}
            pending.append(value)
        elif isinstance(value, list):
            pending.append(value)
        return value

    top = clean(document)
    while pending:
        node = pending.pop()
        for key, value in list(node.items() if isinstance(node, dict) else enumerate(node)):
            node[key] = clean(value)
    return top


def excerpt(text: str, scrub: Scrub) -> str:
    """A server's text for a message: whitespace collapsed, cut at ~200 characters."""
    flat = " ".join(scrub(text).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS] + "…"


def _hint(exc: httpx.TransportError) -> str | None:
    if _is_certificate_error(exc):
        return (
            "the server's TLS certificate was not trusted; behind a proxy that re-signs TLS, "
            "point SSL_CERT_FILE at its CA bundle"
        )
    return "check CLOSE_API_URL"
