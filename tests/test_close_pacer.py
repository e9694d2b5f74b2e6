"""The pacer as a whole: buckets in fake time (waits, spreading, probes, 429s, stops), one bucket
per method, and a simulated fixed-window server with several workers, close to the limit without a
single 429."""

from __future__ import annotations

import heapq
import logging
import math
import random
import threading
import time as time_module

import pytest
from helpers import FakeTime

from numbersync.close import RateLimit, parse_rate_limit
from numbersync.close.pacer import Bucket, Pacer, Ticket
from numbersync.stopping import Stop, Stopped

# --- the pacer, single-threaded in fake time -------------------------------------------------


def bucket(time: FakeTime) -> Bucket:
    return Bucket("PUT phone_number", time.clock, time.sleep, max_wait=60.0)


def answer(b: Bucket, ticket: Ticket, time: FakeTime, header: str | None) -> None:
    b.complete(ticket, parse_rate_limit(header), received_at=time.now, success=True)


def test_an_unmetered_server_is_not_paced() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, None)
    tickets = [b.acquire() for _ in range(50)]
    assert len(tickets) == 50
    assert time.sleeps == []


def test_an_empty_budget_waits_for_the_reset_then_refills() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=3, remaining=0, reset=2")
    ticket = b.acquire()
    assert time.sleeps == [pytest.approx(2.0)]
    assert ticket.waited == pytest.approx(2.0)
    answer(b, ticket, time, "limit=3, remaining=2, reset=1")
    b.acquire()  # one left after this one's answer... and this one reserved it
    assert len(time.sleeps) == 1


def test_a_low_budget_is_spread_over_the_time_left() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=10, remaining=4, reset=2")
    start = time.now
    for _ in range(4):
        b.acquire()
    # 4 left for 2 s: one now, then every ~0.5 s, never faster.
    assert time.now - start == pytest.approx(1.5, abs=0.05)
    b.acquire()  # the fifth one waits for the window's end
    assert time.now - start == pytest.approx(2.0, abs=0.05)


def test_a_high_budget_is_sent_at_once() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=100, remaining=99, reset=1")
    for _ in range(45):
        b.acquire()
    assert time.sleeps == []


def test_requests_in_flight_are_deducted_from_the_budget() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=5, remaining=4, reset=0.8")
    in_flight = [b.acquire() for _ in range(3)]
    assert time.sleeps == []
    # The oldest answers: 3 remaining by the server's count, two others still in flight.
    answer(b, in_flight[0], time, "limit=5, remaining=3, reset=0.8")
    b.acquire()  # the last one of the window
    b.acquire()  # must wait for the reset (0.8 s, plus 10 ms for the rounding of a fraction)
    assert sum(time.sleeps) == pytest.approx(0.81)


def test_an_older_answer_does_not_overwrite_a_newer_one() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=10, remaining=9, reset=5")
    first, second = b.acquire(), b.acquire()
    answer(b, second, time, "limit=10, remaining=0, reset=5")
    answer(b, first, time, "limit=10, remaining=8, reset=5")  # overtaken: counted before
    b.acquire()
    assert sum(time.sleeps) == pytest.approx(5.0)


def test_the_first_requests_probe_a_few_at_a_time() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    first = [b.acquire() for _ in range(4)]  # a command's first reads go together
    assert time.sleeps == []
    # A fifth worker has to wait for an answer: with a fake sleep it polls.
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        answer(b, first[0], time, "limit=10, remaining=9, reset=1")

    b._sleep = sleep
    b.acquire()
    assert len(polls) == 1


def test_a_429_holds_the_bucket_then_probes() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=10, remaining=9, reset=1")
    b.throttled(time.now + 3.0)
    b.acquire()
    assert time.sleeps == [pytest.approx(3.0)]


def test_a_wait_beyond_the_budget_is_not_taken() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=10, remaining=0, reset=3600")
    b.acquire()  # sent anyway: the 429 path reports the server's hour-long wait
    assert time.sleeps == []


def test_each_limit_the_header_shows_has_its_own_window() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=40; remaining=39; reset=2")  # the key's, for 2 s
    # The organization's limit, shared with other keys, is now the closer one: 1 left, 6 s.
    answer(b, b.acquire(), time, "limit=120; remaining=1; reset=6")
    b.acquire()  # the last one the organization allows
    b.acquire()  # waits for the organization's window, though the key's refills in 2 s
    assert time.sleeps == [pytest.approx(6.0)]


def test_a_fuller_counter_within_the_window_does_not_raise_the_budget() -> None:
    # The server counts some GETs apart from others (its groups are finer than the bucket):
    # an answer from the fuller counter must not make us spend the emptier one's budget.
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=10; remaining=2; reset=5")
    other = b.acquire()
    answer(b, other, time, "limit=10; remaining=9; reset=5")
    b.acquire()  # the second of the 2 (spread: half-way through the 5 s)
    b.acquire()  # waits for the window's end
    assert time.now == pytest.approx(105.0)
    assert len(time.sleeps) == 2


def test_a_bare_429_spends_the_window_until_its_end() -> None:
    time = FakeTime(100.0)
    b = bucket(time)
    answer(b, b.acquire(), time, "limit=10; remaining=5; reset=4")
    refused = b.acquire()
    # A 429 from the edge, no header: the budget we counted on is not there.
    b.complete(refused, None, received_at=time.now, success=False)
    b.throttled(time.now + 0.3)  # the client's backoff
    b.acquire()
    assert sum(time.sleeps) == pytest.approx(4.0)  # the window's end, not just the backoff


def test_a_stop_ends_the_wait_at_once() -> None:
    time = FakeTime(100.0)
    stop = Stop()
    b = Bucket("PUT", time.clock, time.sleep, 60.0, stop)
    answer(b, b.acquire(), time, "limit=3; remaining=0; reset=30")
    stop.set("SIGINT")
    with pytest.raises(Stopped, match="SIGINT"):
        b.acquire()
    assert time.sleeps == []


def test_a_stop_during_an_injected_sleep_is_noticed_after_it() -> None:
    time = FakeTime(100.0)
    stop = Stop()

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        stop.set("SIGTERM")

    b = Bucket("PUT", time.clock, sleep, 60.0, stop)
    answer(b, b.acquire(), time, "limit=3; remaining=0; reset=30")
    with pytest.raises(Stopped, match="SIGTERM"):
        b.acquire()
    assert time.sleeps == [pytest.approx(30.0)]


def test_a_stop_wakes_a_thread_waiting_on_the_real_clock(caplog: pytest.LogCaptureFixture) -> None:
    stop = Stop()
    b = Bucket("PUT", time_module.monotonic, None, 60.0, stop)
    first = b.acquire()
    b.complete(
        first,
        parse_rate_limit("limit=3; remaining=0; reset=30"),
        received_at=time_module.monotonic(),
        success=True,
    )
    waiting = threading.Event()

    class Signal(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("pacing PUT: waiting"):
                waiting.set()

    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            b.acquire()
        except BaseException as exc:
            outcome.append(exc)

    logger = logging.getLogger("numbersync.http")
    signal, level = Signal(), logger.level
    logger.addHandler(signal)
    logger.setLevel(logging.INFO)
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        assert waiting.wait(30)  # it is waiting for the window's end, 30 s away
        stop.set("SIGINT")
        thread.join(30)  # it notices within a tenth of a second; generous for a loaded machine
    finally:
        logger.removeHandler(signal)
        logger.setLevel(level)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Stopped)


def test_one_bucket_per_method() -> None:
    pacer = Pacer(FakeTime().clock)
    assert pacer.bucket("GET") is pacer.bucket("get")
    assert pacer.bucket("PUT") is not pacer.bucket("GET")
    assert pacer.bucket("PUT").name == "PUT"


# --- the pacer against a simulated server, several workers, fake time ------------------------


class WindowServer:
    """Fixed windows like the emulator's (opened by the first request) or on a clock grid; counts
    a request when it arrives; reports `reset` rounded up or as a float."""

    def __init__(self, limit: int, reset_format: str, grid: bool) -> None:
        self.limit, self.reset_format, self.grid = limit, reset_format, grid
        self.start: float | None = None
        self.count = 0
        self.rejected = 0

    def hit(self, now: float) -> tuple[bool, RateLimit]:
        if self.grid:
            start = math.floor(now - 0.37) + 0.37
            if start != self.start:
                self.start, self.count = start, 0
        elif self.start is None or now >= self.start + 1.0:
            self.start, self.count = now, 0
        allowed = self.count < self.limit
        self.count += allowed
        self.rejected += not allowed
        reset = max(self.start + 1.0 - now, 0.001)
        shown = math.ceil(reset) if self.reset_format == "int" else round(reset, 3)
        return allowed, RateLimit(self.limit, self.limit - self.count, shown)


class Simulation:
    """`workers` threads sending `n` requests through one Bucket, as discrete events in fake
    time: the server counts at arrival, answers after a latency drawn from `latency`."""

    def __init__(self, server: WindowServer, workers: int, latency: tuple[float, float]) -> None:
        self.server, self.workers, self.latency = server, workers, latency
        self.now = 0.0
        self.events: list[tuple[float, int, Ticket, RateLimit, bool]] = []
        self.rng = random.Random(3)
        self.counter = 0
        self.free = workers
        self.todo = 0
        self.bucket = Bucket("PUT phone_number", lambda: self.now, self.sleep, 60.0)

    def sleep(self, seconds: float) -> None:
        # Like a Condition notified by complete(): wake at the next answer if it comes first.
        if self.events and self.events[0][0] <= self.now + seconds:
            self.answer_next()
        else:
            self.now += seconds

    def answer_next(self) -> None:
        when, _, ticket, rate, allowed = heapq.heappop(self.events)
        self.now = max(self.now, when)
        self.bucket.complete(ticket, rate, received_at=self.now, success=allowed)
        self.free += 1
        self.todo += not allowed  # a refused request is retried

    def run(self, n: int) -> float:
        self.todo = n
        while self.todo or self.events:
            if not self.free or not self.todo:
                self.answer_next()
                continue
            ticket = self.bucket.acquire()
            allowed, rate = self.server.hit(self.now)
            self.free -= 1
            self.todo -= 1
            self.counter += 1
            delay = self.rng.uniform(*self.latency)
            heapq.heappush(self.events, (self.now + delay, self.counter, ticket, rate, allowed))
        return self.now


@pytest.mark.parametrize("reset_format", ["int", "float"])
@pytest.mark.parametrize("grid", [False, True], ids=["opened-by-first", "clock-grid"])
@pytest.mark.parametrize(("workers", "limit"), [(4, 50), (8, 50), (8, 10), (16, 100)])
def test_pacing_runs_near_the_limit_without_429s(
    reset_format: str, grid: bool, workers: int, limit: int
) -> None:
    server = WindowServer(limit, reset_format, grid)
    n = 600
    elapsed = Simulation(server, workers, (0.05, 0.05)).run(n)
    assert server.rejected == 0
    ideal = max(n / limit, n * 0.05 / workers)
    assert elapsed <= 1.15 * ideal


@pytest.mark.parametrize("reset_format", ["int", "float"])
def test_pacing_survives_jittered_latency_without_429s(reset_format: str) -> None:
    # Answers overtake each other: the pacer must not count one twice, nor trust a stale one.
    server = WindowServer(20, reset_format, grid=True)
    elapsed = Simulation(server, 8, (0.02, 0.08)).run(400)
    assert server.rejected == 0
    assert elapsed <= 1.2 * 400 / 20
