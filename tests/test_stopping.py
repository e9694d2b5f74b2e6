"""stopping.results: the results of work running beside the main thread, given up on at once
when the run is stopped (a signal handler sets the flag on the very thread that waits)."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from numbersync.stopping import Stop, Stopped, in_background, results


def test_results_come_in_call_order_with_the_first_error_in_that_order() -> None:
    late = threading.Event()

    def first() -> str:
        late.wait(5)
        return "first"

    futures = [in_background("a", first), in_background("b", lambda: "second")]
    late.set()
    assert results(futures, Stop()) == ["first", "second"]

    def fails() -> str:
        raise ValueError("second failed")

    failing = [in_background("c", lambda: "first"), in_background("d", fails)]
    with pytest.raises(ValueError, match="second failed"):
        results(failing, Stop())


def test_a_stop_ends_the_wait_for_work_that_never_ends() -> None:
    stop = Stop()
    never: Future[str] = Future()  # nobody will ever finish it
    done: Future[str] = Future()
    done.set_result("read")
    threading.Timer(0.0, stop.set, args=("SIGTERM",)).start()

    with pytest.raises(Stopped) as raised:
        results([done, never], stop)

    assert raised.value.reason == "SIGTERM"
    assert not never.done()
