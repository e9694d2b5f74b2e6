"""The emulator's HTTP side: a threaded HTTP/1.1 server on loopback that injects faults,
authenticates (credentials may expire), rate-limits and logs every request, and hands the rest to
the endpoints in api.py.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import http.server
import itertools
import json
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from numbersync.emulator.api import Call, Response, error, resolve
from numbersync.emulator.faults import DEFAULT_SLOW_SECONDS, Faults
from numbersync.emulator.quirks import Quirks
from numbersync.emulator.ratelimit import RateLimiter, RateLimits, Verdict
from numbersync.emulator.seed import SeedSource, build_seed, read_seed
from numbersync.emulator.state import Credential, State
from numbersync.loopback import url_host

API_PREFIX = "/api/v1"
MAX_BODY = 1 << 20  # far above any phone number update; refuses runaway uploads
HANG_SECONDS = 120.0  # the longest a "hang-after-write" holds a request when nobody stops it
log = logging.getLogger("numbersync.emulator")


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator saw it, without any header (so never a credential).

    `path` is the part after /api/v1 (the full path for requests outside it); `body` is the parsed
    JSON or None; `status` is what was answered, 0 when the connection was dropped; `fault` is the
    injected fault that shaped the answer, None when there was none. With "504-after-write" and
    "corrupt-gzip-after-write" the request did run (a PUT changed the number) whatever the client
    could read of the answer. `answer` is the response body as sent (empty when none was), kept
    out of comparisons so that tests can state the requests they expect without it; the contract
    tests check it against Close's published schemas.
    """

    method: str
    path: str
    query: dict[str, str]
    body: Any | None
    status: int
    fault: str | None = None
    answer: bytes = field(default=b"", repr=False, compare=False)


class Emulator:
    """A local Close API over real sockets; see the package docstring and seed.py for the seed.

    Use as a context manager, or call start() and stop(). `faults`, `rate_limits` and `quirks`
    default to those of the seed (or none, generous ones and the tidy API); each may be changed
    while the server runs. `credential_uses_left` maps a key or token to the number of requests it
    is still served for (from the seed's `expires_after`); a test may set or delete entries while
    the server runs. `clock` is the monotonic clock rate-limit windows are measured on (give a
    fake one to test windows without waiting). `on_request`, when given, is called with every
    RecordedRequest (the CLI prints them).
    """

    def __init__(
        self,
        seed: SeedSource = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Faults | None = None,
        rate_limits: RateLimits | None = None,
        quirks: Quirks | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        built = build_seed(read_seed(seed))
        self.state: State = built.state
        self.faults: Faults = faults if faults is not None else built.faults
        self.rate_limits: RateLimits = rate_limits if rate_limits is not None else built.rate_limits
        self.quirks: Quirks = quirks if quirks is not None else built.quirks
        self.credential_uses_left: dict[str, int] = {
            c.secret: c.expires_after for c in self.state.credentials if c.expires_after is not None
        }
        self.clock = clock
        self.on_request = on_request
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._limiter = RateLimiter()
        self._uses_lock = threading.Lock()
        self._fault_lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._log: list[tuple[int, RecordedRequest]] = []
        self._arrivals = itertools.count()
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Emulator:
        """Bind (port 0 picks a free port) and serve in a daemon thread; returns self."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        server = _Server((self._host, self._port), self)
        self._stopping.clear()
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() returns within ~20 ms
            name="numbersync-emulator",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open connection (idempotent)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        self._stopping.set()  # releases requests held by "hang-after-write"
        server.shutdown()
        # Keep-alive connections would otherwise keep answering from their handler threads.
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- what tests and the CLI read -------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give a client, e.g. "http://127.0.0.1:PORT/api/v1"."""
        return f"http://{url_host(self._host)}:{self.port}{API_PREFIX}"

    @property
    def admin_key(self) -> str:
        """The first API key of the seed whose user may manage team phone numbers (by role,
        `manage_numbers` or the permission string; see User.can_manage_numbers)."""
        for credential in self.state.api_keys:
            user = self.state.user(credential.user_id)
            if user is not None and user.can_manage_numbers:
                return credential.secret
        raise LookupError("the seed has no API key whose user may manage team phone numbers")

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log in arrival order. A request is logged before its
        response is written, so a client that got its answer always finds its request here."""
        with self._log_lock:
            return [entry for _, entry in sorted(self._log, key=lambda item: item[0])]

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    # -- used by the request handler -------------------------------------------------------------

    def _arrival(self) -> int:
        return next(self._arrivals)  # itertools.count is atomic under the GIL

    def _record(self, sequence: int, entry: RecordedRequest) -> None:
        with self._log_lock:
            self._log.append((sequence, entry))
        if self.on_request is not None:
            self.on_request(entry)

    def _decide_fault(self, method: str, path: str) -> str:
        with self._fault_lock:
            return self.faults.decide(method, path)

    def _respond(
        self, method: str, path: str | None, query: Mapping[str, str], body: bytes, headers: Message
    ) -> Response:
        """Everything after the faults: route, authenticate, rate-limit, run the endpoint."""
        if path is None:
            return error(404, f"Not found. The Close API lives under {API_PREFIX}/.")
        route = resolve(method, path)
        if isinstance(route, Response):
            return route
        credential = self._authenticate(headers.get("Authorization"))
        if isinstance(credential, Response):
            return credential
        if not self._use(credential):
            return _rejected(credential.kind)
        user = self.state.user(credential.user_id)
        assert user is not None  # the seed guarantees every credential's user exists
        limits = self.rate_limits
        group = limits.group_of(method, path)
        verdict = self._limiter.hit(limits, credential.label, group, self.clock())
        if verdict is not None and not verdict.allowed:
            return _too_many(limits, verdict)
        call = Call(self.state, user, self.quirks, route.ids)
        response = route.handler(call, route.param, query, body)
        if verdict is not None:
            header = limits.header(verdict.limit, verdict.remaining, verdict.reset)
            response = response.with_headers(("RateLimit", header))
        return response

    def _use(self, credential: Credential) -> bool:
        """Count one request against a credential that expires; False once it has expired."""
        with self._uses_lock:
            left = self.credential_uses_left.get(credential.secret)
            if left is None:
                return True
            if left <= 0:
                return False
            self.credential_uses_left[credential.secret] = left - 1
            return True

    def _authenticate(self, authorization: str | None) -> Credential | Response:
        # Messages never include what was sent: a wrong key is still a secret someone typed.
        if not authorization:
            return _unauthorized(
                "Authentication required: send your API key with HTTP Basic auth (the key as "
                "username, an empty password) or an OAuth access token as a Bearer token."
            )
        scheme, _, value = authorization.strip().partition(" ")
        credential: Credential | None
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return _unauthorized("Malformed HTTP Basic credentials.")
            # Close takes the key as the username; the password is ignored, as curl users send
            # "key:" and some libraries "key:X".
            credential = self.state.credential("key", decoded.partition(":")[0])
            return _rejected("key") if credential is None else credential
        if scheme.lower() == "bearer":
            credential = self.state.credential("token", value.strip())
            return _rejected("token") if credential is None else credential
        return _unauthorized("Unsupported authorization scheme; use Basic or Bearer.")


def _unauthorized(message: str) -> Response:
    return error(401, message).with_headers(("WWW-Authenticate", 'Basic realm="Close API"'))


def _rejected(kind: str) -> Response:
    """401 for an unknown or expired key or token, with the same words for both, as a server that
    does not say which secrets exist would answer."""
    if kind == "token":
        return _unauthorized("Invalid or expired OAuth access token.")
    return _unauthorized("Invalid API key.")


def _too_many(limits: RateLimits, verdict: Verdict) -> Response:
    headers = [("RateLimit", limits.header(verdict.limit, 0, verdict.reset))]
    if limits.retry_after:
        headers.append(("Retry-After", str(math.ceil(verdict.reset))))
    if not limits.body_on_429:
        # What an ingress answers: status and headers only.
        return Response(429, b"", tuple(headers))
    # Close's legacy body (deprecated 2024-04-24 in favour of the headers, still seen).
    payload = {
        "error": {
            "message": "API call count exceeded for this period.",
            "rate_reset": round(verdict.reset, 3),
            "rate_limit": verdict.limit,
        }
    }
    return Response.json(429, payload).with_headers(*headers)


def _corrupt_gzip(response: Response) -> Response:
    """`response` with `Content-Encoding: gzip` and a body no gzip reader accepts: a valid gzip
    header followed by a deflate block of the reserved type 3."""
    body = gzip.compress(response.body, mtime=0)[:10] + b"\xff" * 16
    return Response(response.status, body, (*response.headers, ("Content-Encoding", "gzip")))


def _other_id(response: Response, state: State) -> Response:
    """`response` with the id of another number of the account in place of its own."""
    body = _parse_json(response.body)
    if not isinstance(body, dict) or "id" not in body:
        return response
    other = next(n["id"] for n in state.numbers() if n["id"] != body["id"])
    return Response.json(response.status, {**body, "id": other}).with_headers(
        *(h for h in response.headers if h[0] != "Content-Type")
    )


def _fault_response(status: int, limits: RateLimits) -> Response:
    """A response the network or ingress makes up; 502 and 504 come as HTML like a gateway's."""
    if status == 429:
        limit = limits.limit if limits.limit is not None else 1
        return _too_many(limits, Verdict(False, limit, 0, 1.0))
    if status in (502, 504):
        title = {502: "502 Bad Gateway", 504: "504 Gateway Time-out"}[status]
        body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        return Response(status, body.encode(), (("Content-Type", "text/html"),))
    messages = {500: "Internal server error.", 503: "Service temporarily unavailable."}
    return error(status, messages.get(status, "Server error.") + " (emulated fault)")


class _BadRequest(Exception):
    pass


class _Server(http.server.ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its emulator and can close its live connections."""

    daemon_threads = True
    # stop() closes every connection, which ends the handler threads; waiting for them as well
    # (socketserver's default) could hold stop() on a thread the OS schedules late.
    block_on_close = False
    # socketserver listens with a backlog of 5: a client's first burst of connections (16 reads
    # at once) would overflow it, and the dropped SYNs wait a second for their retransmission,
    # a delay no real API server adds.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is routine (timeouts, dropped pools), not an error.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so httpx's connection pool is exercised
    server_version = "CloseEmulator/1"
    sys_version = ""
    disable_nagle_algorithm = True  # a dribbled (slow) body is many small writes
    timeout = 120  # an idle keep-alive connection is closed after this
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def __getattr__(self, name: str) -> Any:
        # Any other method (HEAD, OPTIONS, TRACE, ...) gets the 405 of a known path (404
        # otherwise) rather than the standard library's 501, which a client takes for a server
        # error.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log (and on_request) replace the stderr access log

    def _handle(self) -> None:
        emulator = self.server.emulator
        sequence = emulator._arrival()
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        api_path = (
            split.path[len(API_PREFIX) :] if split.path.startswith(API_PREFIX + "/") else None
        )
        logged_path = split.path if api_path is None else api_path
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True  # the stream position is unknown now
            response = error(400, str(exc))
            entry = RecordedRequest(
                self.command, logged_path, query, None, 400, answer=response.body
            )
            emulator._record(sequence, entry)
            self._write(response, 0.0)
            return

        def record(status: int, fault: str, answer: bytes = b"") -> None:
            entry = RecordedRequest(
                self.command,
                logged_path,
                query,
                _parse_json(body),
                status,
                None if fault == "ok" else fault,
                answer,
            )
            emulator._record(sequence, entry)

        faults = emulator.faults
        try:
            fault = emulator._decide_fault(self.command, logged_path)
            if fault == "drop":
                record(0, fault)
                _pause(faults.latency)
                self.close_connection = True  # no response at all; the socket just closes
                return
            if fault.isdigit():
                response = _fault_response(int(fault), emulator.rate_limits)
            elif fault == "429-bare":
                response = Response(429)  # from the edge: no body, no RateLimit, no Retry-After
            else:
                response = emulator._respond(self.command, api_path, query, body, self.headers)
                if fault == "504-after-write":
                    response = _fault_response(504, emulator.rate_limits)
                elif fault == "corrupt-gzip-after-write":
                    response = _corrupt_gzip(response)
                elif fault == "other-id-after-write":
                    response = _other_id(response, emulator.state)
                elif fault == "hang-after-write":
                    record(response.status, fault)  # nothing is sent
                    emulator._stopping.wait(HANG_SECONDS)  # no answer: until the server stops
                    self.close_connection = True
                    return
        except Exception as exc:  # a bug or a bad fault setting: say so instead of hanging
            log.exception("emulator failure on %s %s", self.command, logged_path)
            fault = "ok"
            response = error(500, f"Emulator failure: {type(exc).__name__}: {exc}")
        record(response.status, fault, response.body)
        _pause(faults.latency)
        slow = faults.slow_body or (DEFAULT_SLOW_SECONDS if fault == "slow" else 0.0)
        self._write(response, slow)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            raise _BadRequest("Invalid Content-Length header.") from None
        if not 0 <= length <= MAX_BODY:
            raise _BadRequest(f"The request body must be between 0 and {MAX_BODY} bytes.")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadRequest("Malformed chunked request body.") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise _BadRequest(f"The request body must be at most {MAX_BODY} bytes.")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: Response, slow: float) -> None:
        # Status line, headers and body go out in one write: two small writes per response
        # cost a round of TCP acknowledgements each and halved the throughput.
        phrase = self.responses.get(response.status, ("",))[0]
        lines = [
            f"{self.protocol_version} {response.status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            *(f"{name}: {value}" for name, value in response.headers),
            f"Content-Length: {len(response.body)}",
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD":
            response = Response(response.status)  # the headers say what a GET would send
        try:
            if slow <= 0 or not response.body:
                self.wfile.write(head + response.body)
                return
            # Dribble the body in ten pieces over `slow` seconds, as a congested link would.
            self.wfile.write(head)
            pieces = 10
            step = max(1, math.ceil(len(response.body) / pieces))
            for offset in range(0, len(response.body), step):
                time.sleep(slow / pieces)
                self.wfile.write(response.body[offset : offset + step])
        except OSError:
            self.close_connection = True  # the client went away; nothing more to do


def _pause(seconds: float) -> None:
    # Not time.sleep(0): it still hands the GIL over and cost ~0.7 ms per request under load.
    if seconds > 0:
        time.sleep(seconds)


def _parse_json(body: bytes) -> Any | None:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
