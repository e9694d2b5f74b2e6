"""Reading offset-paginated lists with several pages in flight: every item once, at most
ceil(N/100) + concurrency - 1 requests, none past the end when the caller's count was right, and
the guards against endless lists checking pages in order as a sequential reader would."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import pytest

from numbersync.close.paging import list_all
from numbersync.errors import ApiError


class Server:
    """A list of `n` items served in pages of `page_size`, counting requests (thread-safe)."""

    def __init__(self, n: int, page_size: int = 100, *, ignores_skip: bool = False) -> None:
        self.items = [{"id": f"item_{i}"} for i in range(n)]
        self.page_size = page_size
        self.ignores_skip = ignores_skip
        self.skips: list[int] = []
        self._lock = threading.Lock()

    def get(self, path: str, query: Mapping[str, str]) -> Any:
        skip = 0 if self.ignores_skip else int(query.get("_skip", "0"))
        limit = min(int(query.get("_limit", "100")), self.page_size)
        with self._lock:
            self.skips.append(int(query.get("_skip", "0")))
        data = self.items[skip : skip + limit]
        return {"data": data, "has_more": skip + len(data) < len(self.items)}


@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 250, 1000, 1001])
@pytest.mark.parametrize("concurrency", [1, 2, 8, 16])
def test_every_item_once_within_the_request_bound(n: int, concurrency: int) -> None:
    server = Server(n)
    items = list_all(server.get, "/x/", {}, concurrency=concurrency)
    assert [item["id"] for item in items] == [f"item_{i}" for i in range(n)]
    pages = max(1, math.ceil(n / 100))
    assert pages <= len(server.skips) <= pages + concurrency - 1
    assert sorted(server.skips) == [100 * i for i in range(len(server.skips))]


@pytest.mark.parametrize("n", [0, 50, 100, 101, 250, 1000, 10_000])
def test_a_right_count_costs_no_request_past_the_end(n: int) -> None:
    server = Server(n)
    list_all(server.get, "/x/", {}, concurrency=8, expect=n)
    assert len(server.skips) == max(1, math.ceil(n / 100))


def test_a_count_too_low_still_reads_everything() -> None:
    server = Server(1000)
    items = list_all(server.get, "/x/", {}, concurrency=8, expect=10)
    assert len(items) == 1000
    assert len(server.skips) <= 10 + 8 - 1


def test_a_server_that_pages_by_another_size_is_followed() -> None:
    server = Server(230, page_size=50)
    items = list_all(server.get, "/x/", {}, concurrency=8, expect=230)
    assert len(items) == 230
    # The 3 pages read ahead assumed 100 a page; then 50 by 50 from where the first ended.
    assert sorted(set(server.skips)) == [0, 50, 100, 150, 200]


def test_a_server_that_ignores_skip_is_refused_at_its_second_page() -> None:
    server = Server(500, ignores_skip=True)
    with pytest.raises(ApiError, match="sent only items it had sent before"):
        list_all(server.get, "/x/", {}, concurrency=8)
    assert len(server.skips) <= 1 + 8


def test_a_failing_page_fails_the_list() -> None:
    server = Server(1000)

    def get(path: str, query: Mapping[str, str]) -> Any:
        if query.get("_skip") == "300":
            raise ApiError("GET", path, 500, "gave up after 6 attempts")
        return server.get(path, query)

    with pytest.raises(ApiError, match="gave up after 6 attempts"):
        list_all(get, "/x/", {}, concurrency=8, expect=1000)


def test_pages_are_checked_in_order_whatever_order_they_arrive_in() -> None:
    # Page 2 answers first and says it is the last; pages 0 and 1 still count.
    server = Server(250)
    gate = threading.Event()

    def get(path: str, query: Mapping[str, str]) -> Any:
        if query.get("_skip") == "200":
            gate.set()
        else:
            assert gate.wait(10)
        return server.get(path, query)

    items = list_all(get, "/x/", {}, concurrency=8, expect=250)
    assert len(items) == 250


def test_pages_past_the_end_answering_first_stop_the_reading_ahead() -> None:
    # The real last page (skip=200) is slow; the pages past it answer at once, empty. Each of
    # those says the list ended: no further page may be requested while the last one is awaited.
    server = Server(250)
    past_end_answered = threading.Semaphore(0)

    def get(path: str, query: Mapping[str, str]) -> Any:
        skip = int(query.get("_skip", "0"))
        if skip == 200:
            for _ in range(6):  # pages 3 to 8, read ahead with it
                assert past_end_answered.acquire(timeout=10)
        answer = server.get(path, query)
        if skip > 200:
            past_end_answered.release()
        return answer

    items = list_all(get, "/x/", {}, concurrency=8)
    assert len(items) == 250
    assert sorted(server.skips) == [100 * i for i in range(9)]  # 3 pages + 6 read ahead


def test_pages_past_the_end_that_answer_while_the_last_is_slow_send_no_more() -> None:
    # The last page (skip 200) answers only after 8 others did, pages past the end among them:
    # each of those must not make room for another request, or a slow last page costs dozens.
    server = Server(250)
    answered = threading.Semaphore(0)

    def get(path: str, query: Mapping[str, str]) -> Any:
        if query.get("_skip") == "200":
            for _ in range(8):
                assert answered.acquire(timeout=10)
            return server.get(path, query)
        try:
            return server.get(path, query)
        finally:
            answered.release()

    items = list_all(get, "/x/", {}, concurrency=8)
    assert len(items) == 250
    assert len(server.skips) <= 3 + 8 - 1
