"""The requests of one bucket, on their own: numbered in sending order, in flight until answered,
their send times kept as long as a window can still ask for them."""

from __future__ import annotations

from numbersync.close.pacer.flights import Flights


def test_requests_are_numbered_in_sending_order_and_in_flight_until_answered() -> None:
    flights = Flights()
    assert [flights.send(100.0), flights.send(100.1), flights.send(100.2)] == [0, 1, 2]
    assert flights.land(1, received_at=100.3) == 100.1
    flights.drop(2)  # never answered
    assert (flights.in_flight, flights.next_seq, flights.peak) == ({0}, 3, 3)


def test_an_answer_whose_send_time_is_forgotten_counts_as_sent_when_received() -> None:
    assert Flights().land(7, received_at=100.3) == 100.3


def test_a_window_that_may_have_started_counts_the_requests_in_flight_and_sent_since() -> None:
    flights = Flights()
    for now in (100.0, 100.5, 101.0, 101.5):
        flights.send(now)
    flights.land(0, received_at=100.1)
    flights.land(2, received_at=101.1)
    flights.land(3, received_at=101.6)
    assert flights.counted_after(None) == 1  # only request 1, in flight
    assert flights.counted_after(101.0) == 3  # 1, and 2 and 3 sent since
    assert flights.counted_after(99.0) == 4


def test_send_times_are_kept_while_a_window_or_a_request_in_flight_may_need_them() -> None:
    flights = Flights()
    for now in (100.0, 101.0, 102.0, 103.0, 104.0):
        flights.send(now)
    for seq in (0, 1, 2, 4):
        flights.land(seq, received_at=104.5)
    flights.prune([100.5])  # a window may have started at 100.5: 101.0 on are kept
    assert flights.counted_after(0.0) == 4
    # Request 3 (sent at 103.0) is in flight: a window learnt later may start a second before.
    flights.prune([])
    assert flights.counted_after(0.0) == 3
    flights.land(3, received_at=104.6)
    flights.prune([103.5])
    assert flights.counted_after(0.0) == 1
    flights.prune([])  # no window, nothing in flight: nothing can ask
    assert flights.counted_after(0.0) == 0
