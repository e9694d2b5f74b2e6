"""Reading offset-paginated lists with several pages in flight: every item once, at most
ceil(N/100) + concurrency - 1 requests, none past the end when the caller's count was right, and
the guards against endless lists checking pages in order as a sequential reader would."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import pytest

from numbersync.close import paging
from numbersync.close.paging import ReadAhead, list_all, pages_for
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


def bound(n: int, concurrency: int) -> int:
    """SPEC section 6: the most requests reading `n` items may take (an empty list takes one)."""
    pages = max(1, math.ceil(n / 100))
    if n <= 1000:
        return pages + min(2, concurrency - 1)
    return pages + concurrency - 1


@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 250, 300, 301, 999, 1000, 1001, 1250, 5000])
@pytest.mark.parametrize("concurrency", [1, 2, 3, 4, 8, 16])
def test_every_item_once_within_the_request_bound(n: int, concurrency: int) -> None:
    server = Server(n)
    items = list_all(server.get, "/x/", {}, concurrency=concurrency)
    assert [item["id"] for item in items] == [f"item_{i}" for i in range(n)]
    pages = max(1, math.ceil(n / 100))
    assert pages <= len(server.skips) <= bound(n, concurrency)
    assert len(set(server.skips)) == len(server.skips)
    assert {100 * i for i in range(pages)} <= set(server.skips)


@pytest.mark.parametrize(
    ("n", "expect", "requests"),
    [
        # The count right: its pages, none past the end.
        (250, 250, 3),
        (1000, 1000, 10),
        (1001, 1001, 11),
        (10_000, 10_000, 100),
        # A file managing 3 numbers of a 250-number account: page 0, then pages 1, 2 and 10.
        (250, 3, 4),
        # Too low a count: what the list holds, in rounds as if none was given.
        (1000, 10, 11),
        (500, 250, 6),
    ],
)
def test_the_callers_count_sizes_the_reading(n: int, expect: int, requests: int) -> None:
    server = Server(n)
    items = list_all(server.get, "/x/", {}, concurrency=16, expect=expect)
    assert len(items) == n
    assert len(server.skips) == requests


def test_a_count_too_low_for_a_long_list_reads_on_within_the_bound() -> None:
    server = Server(10_000)
    items = list_all(server.get, "/x/", {}, concurrency=16, expect=1000)
    assert len(items) == 10_000
    # Pages 0 to 9 at once, then 10 to 12 (SMALL_MARGIN past them, in case the list holds 1,000
    # or fewer); past them, how many pages are in flight when the last answers depends on timing.
    assert sorted(server.skips)[:13] == [100 * i for i in range(13)]
    assert 100 <= len(server.skips) <= bound(10_000, 16)


def test_a_server_that_pages_by_another_size_is_followed() -> None:
    server = Server(230, page_size=50)
    items = list_all(server.get, "/x/", {}, concurrency=8, expect=230)
    assert len(items) == 230
    # The 3 pages expected, 100 a page; then 50 by 50 from where the first ended.
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


@pytest.mark.parametrize("slow", [1900, 1800])
def test_pages_past_the_end_answering_first_make_no_room_for_more(slow: int) -> None:
    # A page near the end (the last one, or the one before it) answers only after a page past
    # the end did: the pages waiting behind it to be checked, and those past the end, must not
    # make room for further requests.
    server = Server(2000)
    past_end_answered = threading.Semaphore(0)

    def get(path: str, query: Mapping[str, str]) -> Any:
        skip = int(query.get("_skip", "0"))
        if skip == slow:
            assert past_end_answered.acquire(timeout=10)
        answer = server.get(path, query)
        if skip >= 2000:
            past_end_answered.release()
        return answer

    items = list_all(get, "/x/", {}, concurrency=8)
    assert len(items) == 2000
    assert len(server.skips) <= bound(2000, 8)


# --- the widening rule, round by round -------------------------------------------------------


def rounds(n: int, concurrency: int = 16, expect: int = 0):
    """The pages ReadAhead asks for, round by round, reading a list of `n` items whose pages
    all answer together."""
    ahead = ReadAhead(concurrency, pages_for(expect) if expect else 1)
    pages = pages_for(n)
    asked: list[list[int]] = []
    while ahead.checked < pages:
        wanted = ahead.wanted()
        assert wanted, f"nothing to ask after {asked}"
        asked.append(wanted)
        ahead.issued.update(wanted)
        for page in wanted:
            count = min(100, max(0, n - 100 * page))
            ahead.answered(page, count, has_more=100 * (page + 1) < n)
        while ahead.checked in ahead.answers and ahead.checked < pages:
            ahead.checked += 1
    return asked


WIDE_10_000 = [
    [0],
    [1, 2, 10],
    # Page 10 said has_more: reading wide, 16 pages waiting or in flight (page 10 among them).
    [*range(3, 10), *range(11, 19)],
    *[list(range(start, start + 16)) for start in range(19, 115, 16)],
]


@pytest.mark.parametrize(
    ("n", "asked"),
    [
        (0, [[0]]),
        (100, [[0]]),
        # Page 0 said has_more: two pages past it, one of them page 10 (_skip=1000).
        (101, [[0], [1, 2, 10]]),
        (250, [[0], [1, 2, 10]]),
        (300, [[0], [1, 2, 10]]),
        # Page 10 was empty: the list holds 1,000 or fewer, and page 10 is already one of the
        # two requests it may cost past its end.
        (301, [[0], [1, 2, 10], [3, 4]]),
        (1000, [[0], [1, 2, 10], [3, 4], [5, 6], [7, 8], [9]]),
        # Page 10 was the last: every page before it exists.
        (1001, [[0], [1, 2, 10], [3, 4, 5, 6, 7, 8, 9]]),
        (10_000, WIDE_10_000),
    ],
)
def test_read_ahead_starts_small_and_widens_while_pages_keep_coming(
    n: int, asked: list[list[int]]
) -> None:
    assert rounds(n) == asked
    requests = sum(map(len, asked))
    assert requests <= bound(n, 16)


def test_without_room_for_a_probe_pages_go_three_by_three() -> None:
    # With --concurrency 3, reading wide is no wider than reading small.
    assert rounds(1200, concurrency=3)[:5] == [[0], [1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]


def test_a_long_count_reads_its_pages_and_none_past_them_until_the_last_says_more() -> None:
    assert rounds(2000, expect=2000) == [list(range(16)), list(range(16, 20))]
    assert rounds(2500, expect=2000)[1:] == [list(range(16, 20)), list(range(20, 36))]


# --- bounds on a server that keeps saying has_more -------------------------------------------


class Hostile:
    """A list server that answers has_more forever with pages made by `page(skip)`, counting
    its requests and failing the test past `cap` of them."""

    def __init__(self, page: Any, cap: int = 200) -> None:
        self.page = page
        self.cap = cap
        self.requests = 0
        self._lock = threading.Lock()

    def get(self, path: str, query: Mapping[str, str]) -> Any:
        with self._lock:
            self.requests += 1
            assert self.requests <= self.cap, "the reader did not stop"
        return {"data": self.page(int(query.get("_skip", "0"))), "has_more": True}


def ids(start: int, count: int) -> list[dict[str, Any]]:
    return [{"id": f"item_{i}"} for i in range(start, start + count)]


@pytest.mark.parametrize("concurrency", [1, 16])
def test_endless_pages_of_one_item_stop_at_the_fourth(concurrency: int) -> None:
    server = Hostile(lambda skip: ids(skip, 1))
    with pytest.raises(ApiError, match="has_more on 4 pages that held only 4 different items"):
        list_all(server.get, "/x/", {}, concurrency=concurrency)
    assert server.requests == 4


def test_endless_pages_of_ten_items_stop_at_the_sixth() -> None:
    server = Hostile(lambda skip: ids(skip, 10))
    with pytest.raises(ApiError, match="has_more on 6 pages that held only 60 different items"):
        list_all(server.get, "/x/", {})
    assert server.requests == 6


def test_a_page_mostly_sent_before_is_refused() -> None:
    # Each page walks 40 items on: 60 of its 100 were on the page before.
    server = Hostile(lambda skip: ids(skip * 40 // 100, 100))
    with pytest.raises(ApiError, match="a page of which 60 of 100 items it had sent before"):
        list_all(server.get, "/x/", {})
    assert server.requests == 2


def test_pages_shifted_by_a_few_records_added_meanwhile_are_read_whole() -> None:
    # Three records are added at the front before each page after the first: each page repeats
    # the last three items of the one before.
    n = 600

    def get(path: str, query: Mapping[str, str]) -> Any:
        skip = int(query["_skip"])
        start = max(0, skip - 3 * (skip // 100))
        return {"data": ids(start, min(100, n - start)), "has_more": start + 100 < n}

    items = list_all(get, "/x/", {})
    assert len(items) == n


@pytest.mark.parametrize("concurrency", [1, 16])
def test_endless_pages_of_new_items_stop_past_any_account(
    concurrency: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "MAX_ITEMS", 2_000)
    server = Hostile(lambda skip: ids(skip, 100))
    with pytest.raises(ApiError, match="has_more after 2,100 items, more than any account holds"):
        list_all(server.get, "/x/", {}, concurrency=concurrency)
    # Page 20 trips it; pages requested ahead are at most `concurrency` past it.
    assert 21 <= server.requests <= 21 + concurrency - 1
