"""Bounds against a pathological server (issue 19): the run's deadline (`--timeout`) ends a 429
storm like SIGTERM would; every request has a deadline that covers its body; what a run reads
from the server has a total budget. Fake clocks throughout: no test waits for real."""

from __future__ import annotations

import gzip
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from helpers import FakeTime

from numbersync.apply import Applier
from numbersync.cli import main
from numbersync.cli.common import parse_duration, shown_duration
from numbersync.close import CloseClient, Settings
from numbersync.close.settings import Secret
from numbersync.close.transport import Failure, Transport
from numbersync.errors import ApiError
from numbersync.plan import FieldChange, NumberChange
from numbersync.stopping import Stop, Stopped, pause, until_stopped

KEY = "api_boundstest.secret000"


def change(i: int) -> NumberChange:
    number = f"+1650555{i:04d}"
    return NumberChange(f"phon_{i}", number, None, number, (FieldChange("label", "a", "b"),))


# The run's deadline -----------------------------------------------------------------------------


def test_a_stop_sets_itself_at_its_deadline() -> None:
    time = FakeTime()
    stop = Stop.after(30, time.clock)
    time.sleep(29.9)
    assert not stop.is_set()
    time.sleep(0.1)
    assert stop.is_set()
    assert stop.reason == "timeout"


def test_a_wait_is_cut_at_the_deadline() -> None:
    time = FakeTime()
    stop = Stop.after(30, time.clock)
    time.sleep(25)
    with pytest.raises(Stopped) as caught:
        pause(10, stop, time.sleep)
    assert time.sleeps == [25, 5]
    assert caught.value.reason == "timeout"


def test_work_that_hangs_is_left_behind_at_the_deadline() -> None:
    release = threading.Event()
    stop = Stop()

    def hang() -> str:
        release.wait(60)  # a request on the wire that never finishes
        return "late"

    threading.Timer(0.01, stop.set, ("timeout",)).start()
    try:
        with pytest.raises(Stopped):
            until_stopped(stop, "test-hang", hang)
    finally:
        release.set()


def test_work_that_ends_returns_its_result_and_its_error() -> None:
    assert until_stopped(Stop(), "test-ok", lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        until_stopped(Stop(), "test-error", lambda: 1 / 0)


def test_a_429_storm_on_put_ends_at_the_deadline_with_a_report() -> None:
    # Every PUT answered 429 with Retry-After: 10. Without a deadline each number waits out the
    # 60 s retry budget, one after another: 8 numbers took 442 s in the adversarial round.
    time, puts = FakeTime(), []

    def handler(request: httpx.Request) -> httpx.Response:
        puts.append(request.url.path)
        return httpx.Response(429, headers={"Retry-After": "10"}, json={"error": "slow down"})

    settings = Settings.from_env({"CLOSE_API_KEY": KEY})
    stop = Stop.after(25, time.clock)
    with CloseClient(
        settings,
        transport=httpx.MockTransport(handler),
        clock=time.clock,
        sleep=time.sleep,
        rng=random.Random(0),
        stop=stop,
    ) as client:
        report = Applier(client, concurrency=1).run([change(i) for i in range(8)])

    assert report.stopped == "timeout"
    assert report.exit_code == 124
    assert report.summary == (
        "Interrupted by --timeout: 0 applied, 0 failed, 0 unknown, 8 not sent."
    )
    assert report.outcomes[0].detail == "--timeout reached before it could be sent again"
    assert {o.detail for o in report.outcomes[1:]} == {"--timeout was reached before it was sent"}
    assert puts == ["/api/v1/phone_number/phon_0/"] * 3  # at 0, ~10 and ~20 s
    assert time.now - 1000.0 == pytest.approx(25.0)


# --timeout on the command line ------------------------------------------------------------------


class SilentServer:
    """Accepts connections on loopback and never answers: a gateway that stalled. Every
    connection is held until close()."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}/api/v1"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self._held.append(connection)

    def close(self) -> None:
        self._server.close()
        for connection in self._held:
            connection.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def run(url: str, *args: str) -> Result:
    env = {"CLOSE_API_URL": url, "CLOSE_API_KEY": KEY, "CLOSE_ACCESS_TOKEN": None}
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_timeout_ends_a_run_whose_server_never_answers(
    silent: SilentServer, tmp_path: Path, command: str
) -> None:
    # Each request would wait its read timeout (30 s), then be retried: --timeout ends it all.
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: Support}\n')
    extra = ["--auto-approve"] if command == "apply" else []

    result = run(silent.url, command, "-c", str(config), "--timeout", "0.2", *extra)

    assert result.exit_code == 124, result.output
    doing = "reading Close; nothing was sent" if command == "apply" else "reading Close"
    assert f"Error: --timeout 0.2s reached while {doing}\n" in result.stderr
    assert "Hint: Close answered too slowly" in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90.0), ("15m", 900.0), ("1h30m", 5400.0), ("45", 45.0), ("2.5s", 2.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(None, None, text) == seconds  # type: ignore[arg-type]
    assert parse_duration(None, None, shown_duration(seconds)) == seconds  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["0", "0s", "-5s", "15 minutes", "1d", "m", ""])
def test_a_bad_duration_is_a_usage_error(text: str, tmp_path: Path) -> None:
    result = run("http://127.0.0.1:9/api/v1", "plan", "--timeout", text)
    assert result.exit_code == 1
    assert "is not a duration such as 90s, 15m or 1h30m" in result.stderr


# Each request's deadline, body included ---------------------------------------------------------


class DrippingServer:
    """Answers every request with a 200 whose body comes one byte at a time: 1,000 bytes, one
    every 10 ms of real time, unless the client hangs up first. `sent` counts the bytes."""

    BODY_BYTES = 1000

    def __init__(self, gzip: bool = False) -> None:
        self.sent = 0
        self._gzip = gzip
        self._server = socket.create_server(("127.0.0.1", 0))
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}/api/v1"

    def _serve(self) -> None:
        try:
            connection, _ = self._server.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            encoding = b"Content-Encoding: gzip\r\n" if self._gzip else b""
            body = gzip.compress(b'{"id": "' + b"x" * 20000 + b'"}') if self._gzip else b"{}"
            body = body.ljust(self.BODY_BYTES, b" ")[: self.BODY_BYTES]
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + encoding
                + b"Content-Length: %d\r\n\r\n" % len(body)
            )
            for byte in body:
                if self._stop.wait(0.01):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the client hung up: what this test wants
                self.sent += 1

    def close(self) -> None:
        self._stop.set()
        self._server.close()


class Stepping:
    """A clock that moves 5 s every time it is read: each byte seems to take 5 s to come."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 5.0
        return self.now


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_a_body_that_drips_is_cut_at_the_request_deadline(compressed: bool) -> None:
    server = DrippingServer(gzip=compressed)
    settings = Settings(api_url=server.url, credential=Secret(KEY))
    try:
        transport = Transport(settings, lambda text: text, deadline=60.0, clock=Stepping())
        attempt = transport.send("GET", "/me/")
        transport.close()
    finally:
        server.close()

    assert attempt.response is None
    assert attempt.failure == Failure(
        "the answer did not arrive whole within 60 s; stopped reading it",
        retryable=False,
        reached=True,
        hint="the server sends its answers too slowly: try again later, and check that "
        "CLOSE_API_URL points at the Close API",
    )
    # Read at 5 s a byte, the deadline passes at the 12th: nowhere near the whole body.
    assert server.sent < 100


def test_a_plan_against_a_dripping_server_ends_with_the_deadline(tmp_path: Path) -> None:
    server = DrippingServer()
    settings = Settings(api_url=server.url, credential=Secret(KEY))
    try:
        client = CloseClient(settings, request_clock=Stepping(), max_attempts=6)
        with client, pytest.raises(ApiError) as caught:
            client.me()
    finally:
        server.close()
    assert caught.value.message == (
        "GET /me/: the answer did not arrive whole within 60 s; stopped reading it"
    )
    assert sum(client.stats.requests.values()) == 1  # not retried: the next try would drip the same


# The run's budget of bytes ----------------------------------------------------------------------


def test_reading_stops_past_the_runs_budget_of_bytes() -> None:
    # Pages of 100 numbers, each with a 3 kB label, that always say there are more.
    pages = []

    def handler(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("_skip", "0"))
        pages.append(skip)
        data = [
            {"id": f"phon_{skip + i}", "number": f"+1650{skip + i:07d}", "label": "x" * 3000}
            for i in range(100)
        ]
        return httpx.Response(200, json={"data": data, "has_more": True})

    settings = Settings.from_env({"CLOSE_API_KEY": KEY})
    with CloseClient(
        settings, transport=httpx.MockTransport(handler), max_total_bytes=2**20, pace=False
    ) as client:
        with pytest.raises(ApiError) as caught:
            client.list_phone_numbers(["label"])
        with pytest.raises(ApiError) as after:
            client.me()

    assert caught.value.detail == (
        "the server sent more than 1 MiB in this run, more than any plausible account; "
        "stopped reading"
    )
    assert pages == [0, 100, 200, 300]  # 300 kB each: the fourth passes 1 MiB
    # Nothing more is even sent once the budget is spent.
    assert after.value.detail == caught.value.detail
    assert not after.value.reached
    assert pages == [0, 100, 200, 300]
