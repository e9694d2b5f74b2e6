"""A hostile or broken server: a body that is not JSON, JSON of the wrong shape, a list that never
ends or repeats itself, a huge or endless body. `numbersync apply` stops with one clear `Error:`
line and exit 1, within seconds and tens of MiB, and writes nothing (no PUT is sent).

The server is a few lines of http.server on loopback, so that the client's real transport (and
its handling of streamed, chunked and cut-off bodies) is what is tested.
"""

from __future__ import annotations

import http.server
import json
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner, Result

from numbersync.cli import main
from numbersync.close import paging, retry
from numbersync.models import DEFAULT_CONCURRENCY

pytestmark = pytest.mark.timeout(30)

Behaviour = Callable[["Handler"], None]
MEMORY_BOUND = 64 * 2**20  # bytes allocated at the peak (the response cap is 16 MiB)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/api/v1/me/":
            self.send_json({"id": "user_1", "email": "admin@example.com", "memberships": []})
        elif path == "/api/v1/user/":
            self.send_json({"data": [], "has_more": False})
        else:
            self.server.behaviour(self)

    def do_PUT(self) -> None:
        self.server.puts += 1
        self.send_json({})

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, payload: Any) -> None:
        self.send_body(200, json.dumps(payload).encode(), "application/json")


class HostileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.puts = 0
        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (pages read ahead, abandoned once the list is refused) is
        # routine here; socketserver would print its traceback into the output under test.
        pass


def page(skip: int, has_more: bool = True) -> dict[str, Any]:
    items = [
        {"id": f"phon_{n}", "number": f"+1650{2_000_000 + n:07d}", "label": f"Line {n}"}
        for n in range(skip, skip + 100)
    ]
    return {"data": items, "has_more": has_more}


def endless_pages(h: Handler) -> None:
    h.send_json(page(int(h.query.get("_skip", "0"))))


def repeating_pages(h: Handler) -> None:
    h.send_json(page(0))  # _skip ignored: the first page, forever


def huge_declared_body(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(200 * 2**20))
    h.end_headers()
    chunk = b" " * 2**16
    try:
        for _ in range(200 * 16):
            h.wfile.write(chunk)
    except OSError:
        pass  # the client hung up, as it should


def endless_chunked_body(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b'{"data": [' + b" " * 2**16
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    try:
        while True:
            h.wfile.write(frame)
    except OSError:
        pass


CASES: dict[str, tuple[Behaviour, str]] = {
    "an HTML page with 200": (
        lambda h: h.send_body(200, b"<html><body>Please sign in</body></html>", "text/html"),
        "GET /phone_number/ (200): the response is not JSON: <html><body>Please sign in",
    ),
    "binary labelled as JSON": (
        lambda h: h.send_body(200, b"\x89PNG\r\n\x1a\n\x00\x00\xff", "application/json"),
        "GET /phone_number/ (200): the response is not JSON",
    ),
    "JSON of the wrong shape": (
        lambda h: h.send_json({"numbers": [1, 2, 3]}),
        "GET /phone_number/ (200): the response has no `data` list",
    ),
    "items without ids": (
        lambda h: h.send_json({"data": [{"number": "+16502000000"}], "has_more": False}),
        "GET /phone_number/ (200): the response lists an item without an id",
    ),
    "has_more forever (MAX_ITEMS lowered to 2,000)": (
        endless_pages,
        "GET /phone_number/ (200): the API said has_more after 2,100 items, more than any account",
    ),
    "a page repeating ids": (
        repeating_pages,
        "GET /phone_number/ (200): the API said has_more but sent only items it had sent before",
    ),
    "a huge body (200 MiB declared)": (
        huge_declared_body,
        "GET /phone_number/: the response is over 16 MiB; stopped reading it",
    ),
    "an endless chunked body": (
        endless_chunked_body,
        "GET /phone_number/: the response is over 16 MiB; stopped reading it",
    ),
    "a wrong content type on an empty body": (
        lambda h: h.send_body(200, b"", "text/plain"),
        "GET /phone_number/ (200): the response is not JSON",
    ),
}


@pytest.fixture
def serve() -> Iterator[Callable[[Behaviour], HostileServer]]:
    servers: list[HostileServer] = []

    def start(behaviour: Behaviour) -> HostileServer:
        server = HostileServer(behaviour)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def apply(server: HostileServer, tmp_path: Path, *extra: str) -> tuple[Result, float, int]:
    """`numbersync apply` against the server; returns the result, seconds taken, peak bytes."""
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16502000000": {label: Sales}\n')
    env = {
        "CLOSE_API_URL": server.url,
        "CLOSE_API_KEY": "api_hostile_test_key",
        "CLOSE_ACCESS_TOKEN": None,
    }
    args = [*extra, "apply", "-c", str(config), "--auto-approve", "--force"]
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, args, env=env)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_server_gets_a_clear_error_and_no_write(
    case: str,
    serve: Callable[[Behaviour], HostileServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    behaviour, message = CASES[case]
    monkeypatch.setattr(paging, "MAX_ITEMS", 2_000)  # 100,000 in use
    server = serve(behaviour)

    result, peak = apply(server, tmp_path)

    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {message}"), result.stderr
    assert "Traceback" not in result.output
    assert "unexpected" not in result.stderr  # numbersync's own-bug path
    assert server.puts == 0
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB"


def test_a_repeating_list_is_refused_at_the_second_page_without_lowering_any_limit(
    serve: Callable[[Behaviour], HostileServer], tmp_path: Path
) -> None:
    requests: list[str] = []

    def repeating(h: Handler) -> None:
        requests.append(h.path)
        repeating_pages(h)

    result, _ = apply(serve(repeating), tmp_path)

    assert result.exit_code == 1
    assert "sent only items it had sent before" in result.stderr
    # The first page, then pages read ahead, --concurrency at a time: the second page ends it
    # as soon as it is checked, and no more than --concurrency pages go past it.
    assert 2 <= len(requests) <= 2 + DEFAULT_CONCURRENCY


def test_a_body_cut_short_is_retried_then_reported(
    serve: Callable[[Behaviour], HostileServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Content-Length promises more than arrives: a transport failure, retried like a dropped
    connection, then reported with the attempts it took."""

    def cut_short(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b'{"data": [')
        h.close_connection = True

    # No waiting between attempts: the retry policy is tested elsewhere, here only the outcome.
    monkeypatch.setattr(retry, "backoff_delay", lambda attempt, rng: 0.0)
    result, _ = apply(serve(cut_short), tmp_path, "-v")

    assert result.exit_code == 1
    assert "Error: GET /phone_number/: gave up after 6 attempts: RemoteProtocolError" in (
        result.stderr
    )
    assert result.stderr.count("numbersync.http: retrying GET /phone_number/") == 5
    assert "Traceback" not in result.output
