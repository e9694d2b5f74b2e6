"""Offset-paginated lists (`_skip`/`_limit`, `{"data": [...], "has_more": ...}`) read whole,
several pages in flight at once, de-duplicated by id, with bounds against servers that would have
us page forever.

How far to read ahead is ReadAhead's decision: Close returns `has_more` and no total, so a list of
unknown length starts with one page and widens only while pages keep coming (SPEC section 6: at
most ceil(N/100) + 2 requests for N <= 1,000, + concurrency - 1 beyond). Pages are checked
strictly in order, so the bounds see what a sequential reader would.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from numbersync.errors import ApiError
from numbersync.stopping import in_background

PAGE_SIZE = 100  # Close's documented default and the emulator's maximum
# A list this long or shorter costs at most SMALL_MARGIN requests past its end.
SMALL_LIST = 1_000
SMALL_MARGIN = 2
SMALL_PAGES = SMALL_LIST // PAGE_SIZE
# The page at _skip=SMALL_LIST: requested early, it tells in one round trip whether the list is
# longer than SMALL_LIST, and so whether reading `concurrency` pages ahead may begin.
PROBE_PAGE = SMALL_PAGES
# Bounds on a server that keeps saying has_more. Close's lists hold what an organization has:
# no account holds this many phone numbers or users (ten times the largest one known).
MAX_ITEMS = 100_000
# Pages must bring new items: on average at least MIN_YIELD each, after SLACK_PAGES pages (a few
# short or shifted pages are allowed; pages of one item, or of items sent before, are not).
MIN_YIELD = PAGE_SIZE // 4
SLACK_PAGES = 3

Get = Callable[[str, Mapping[str, str]], Any]  # (path, query) -> parsed JSON
Page = tuple[list[dict[str, Any]], bool]  # (items, has_more)


def list_all(
    get: Get,
    path: str,
    params: Mapping[str, str],
    *,
    paged: bool = True,
    concurrency: int = 1,
    expect: int = 0,
) -> list[dict[str, Any]]:
    """All items of an offset-paginated list, de-duplicated by id (pages shift when records are
    added or removed while we read; the later copy is the fresher one).

    `expect`, how many items the caller knows of (the numbers a file manages), says how many
    pages surely exist: those are requested at once, and pages past them only once the last of
    them says there are more (see ReadAhead). `paged=False` is for lists that take no paging
    parameters: one request, then `_skip` only if the server says has_more.
    """
    return _Reader(get, path, params, paged, concurrency, expect).read()


def pages_for(items: int) -> int:
    """How many pages hold `items`: at least one, since even an empty list takes a request."""
    return max(1, -(-items // PAGE_SIZE))


class ReadAhead:
    """Which pages to request next, from what the answers so far say.

    - The pages known to exist (the caller's count, and one past every page that said
      has_more) are requested, `concurrency` at most in flight or waiting to be checked.
    - Pages past those start only once page 0 said has_more: most lists fit one page.
    - While the list may hold SMALL_LIST items or fewer, at most SMALL_MARGIN requests may turn
      out to be past its end. Pages then go in rounds, once every page requested has answered
      (but for those the caller's count promises), so that what is read depends on the answers
      alone, not on their timing. The first page past the known ones is PROBE_PAGE, which tells
      whether the list is longer than SMALL_LIST without walking to it.
    - Once the list is known to be longer than SMALL_LIST and than the caller's count, pages are
      read `concurrency` ahead; past the end that costs at most concurrency - 1 requests.
    - Nothing at or past a page that said it is the last, even before its turn to be checked.
    """

    def __init__(self, concurrency: int, expected_pages: int = 1) -> None:
        self.concurrency = max(1, concurrency)
        self.expected = max(1, expected_pages)
        self.known = 1  # pages known to exist: page 0 always (an empty list answers it)
        self.end: int | None = None  # the first page found to say has_more: false
        self.issued: set[int] = set()
        self.answers: set[int] = set()  # the pages issued that have answered
        self.checked = 0  # pages checked in order so far

    @property
    def wide(self) -> bool:
        """Reading `concurrency` ahead: the list is longer than SMALL_LIST and than expected."""
        return self.known > max(self.expected, SMALL_PAGES)

    def answered(self, page: int, count: int, has_more: bool) -> None:
        """Page `page` held `count` items and said `has_more`."""
        self.answers.add(page)
        if has_more:
            self.known = max(self.known, page + 2)
            return
        if count:
            self.known = max(self.known, page + 1)  # the last page: every one before it exists
        if self.end is None or page < self.end:
            self.end = page

    def wanted(self) -> list[int]:
        """The pages to request now, in order; the caller then marks them `issued`."""
        room = self.concurrency - sum(1 for page in self.issued if page >= self.checked)
        limit = self.end if self.end is not None else None
        believed = max(self.expected, self.known)
        if self.wide:
            pages = self._free(0, limit, room)
        elif believed > SMALL_PAGES:
            # The caller's count says the list is long: its pages, and none past them yet.
            pages = self._free(0, believed if limit is None else min(believed, limit), room)
        elif self.answers < self.issued:
            # A round is on its way: only the pages the caller's count promises start now.
            pages = self._free(
                0, self.expected if limit is None else min(self.expected, limit), room
            )
        else:
            needed = self._free(0, believed if limit is None else min(believed, limit), room)
            extra: list[int] = []
            if self.known > 1:  # page 0 said has_more
                margin = min(SMALL_MARGIN, self.concurrency - 1)
                spare = margin - sum(1 for page in self.issued if page >= believed)
                if spare > 0 and self._may_probe(believed, limit, margin):
                    extra.append(PROBE_PAGE)
                extra += self._free(believed, limit, spare - len(extra), skip=tuple(extra))
            pages = (needed + extra)[:room]
        return sorted(pages)

    def _may_probe(self, believed: int, limit: int | None, margin: int) -> bool:
        return (
            PROBE_PAGE not in self.issued
            and believed < PROBE_PAGE
            and (limit is None or limit > PROBE_PAGE)
            and self.concurrency - 1 > margin  # reading wide would be wider
        )

    def _free(
        self, start: int, limit: int | None, count: int, skip: tuple[int, ...] = ()
    ) -> list[int]:
        """Up to `count` pages from `start` on, below `limit`, not requested yet."""
        pages: list[int] = []
        page = max(start, self.checked)  # every page before that was requested and checked
        while len(pages) < count and (limit is None or page < limit):
            if page not in self.issued and page not in skip:
                pages.append(page)
            page += 1
        return pages


class _Reader:
    def __init__(
        self,
        get: Get,
        path: str,
        params: Mapping[str, str],
        paged: bool,
        concurrency: int,
        expect: int,
    ) -> None:
        self._get = get
        self._path = path
        self._params = dict(params)
        self._paged = paged
        self._concurrency = concurrency
        self._expect = expect
        # Answers of page requests, for the reading thread.
        self._inbox: queue.SimpleQueue[tuple[int, Future[Page]]] = queue.SimpleQueue()
        self._items: dict[str, dict[str, Any]] = {}
        self._pages = 0  # pages checked that said has_more
        self._read = 0  # items in the pages checked: where a sequential reader goes on from

    def read(self) -> list[dict[str, Any]]:
        if self._concurrency <= 1 or not self._paged:
            self._sequential()
        else:
            self._concurrent()
        return list(self._items.values())

    def _sequential(self) -> None:
        """Page after page from where the pages checked so far end."""
        while True:
            items, has_more = self._fetch(self._read, first=self._read == 0)
            if not self._goes_on(items, has_more):
                return

    def _concurrent(self) -> None:
        expected = pages_for(self._expect) if self._expect else 1
        ahead = ReadAhead(self._concurrency, expected)
        done: dict[int, Page] = {}
        in_flight = 0
        # Pages in flight when the list has failed are not waited for: they run in_background,
        # and the client, once closed, lets them send no more. Nor are those read wide past the
        # end once the last page is in; but read in rounds, they were asked with the last page
        # and answer with it, so they are waited for: the reading leaves nothing behind, and
        # what it asked depends on the answers alone.
        while not self._list_ends(ahead, done):
            for page in ahead.wanted():
                ahead.issued.add(page)
                future = in_background(
                    f"numbersync-page-{page}", self._fetch, page * PAGE_SIZE, page == 0
                )
                future.add_done_callback(self._answer(page))
                in_flight += 1
            if not in_flight:
                raise self._error("the pages read ahead ended before the list did")  # a bug
            page, future = self._inbox.get()
            in_flight -= 1
            items, has_more = future.result()
            ahead.answered(page, len(items), has_more)
            done[page] = (items, has_more)
        if ahead.wide:
            return
        while in_flight:
            self._inbox.get()
            in_flight -= 1

    def _list_ends(self, ahead: ReadAhead, done: dict[int, Page]) -> bool:
        """Check in order what has arrived: whether a page said it is the last."""
        while ahead.checked in done:
            items, has_more = done.pop(ahead.checked)
            ahead.checked += 1
            if not self._goes_on(items, has_more):
                return True
            if len(items) != PAGE_SIZE:
                # A server that pages by another size: the offsets requested ahead are wrong,
                # so go on one page after another.
                self._sequential()
                return True
        return False

    def _answer(self, page: int) -> Callable[[Future[Page]], None]:
        def post(future: Future[Page]) -> None:
            self._inbox.put((page, future))

        return post

    def _fetch(self, skip: int, first: bool) -> Page:
        query = dict(self._params)
        if self._paged or not first:
            query.update({"_limit": str(PAGE_SIZE), "_skip": str(skip)})
        body = self._get(self._path, query)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise self._error("the response has no `data` list")
        for item in data:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise self._error("the response lists an item without an id")
        return data, body.get("has_more") is True

    def _goes_on(self, items: list[dict[str, Any]], has_more: bool) -> bool:
        """Keep this page's items; whether to read past it, refusing a server that would have us
        read forever: memory and requests stay in proportion to the different items it sent."""
        before = len(self._items)
        for item in items:
            self._items[item["id"]] = item
        self._read += len(items)
        if not has_more:
            return False
        if not items:
            # `_skip` would not move: the same empty page forever.
            raise self._error("the API said has_more but sent an empty page")
        repeated = len(items) - (len(self._items) - before)
        if repeated == len(items):
            # A server that ignores `_skip` sends the first page forever.
            raise self._error("the API said has_more but sent only items it had sent before")
        if 2 * repeated > len(items):
            # Records added while we read shift a page by a few; most of a page again is a
            # server walking in place.
            raise self._error(
                f"the API said has_more but sent a page of which {repeated} of {len(items)} "
                "items it had sent before"
            )
        self._pages += 1
        if len(self._items) > MAX_ITEMS:
            raise self._error(
                f"the API said has_more after {len(self._items):,} items, more than any "
                "account holds"
            )
        if self._pages > SLACK_PAGES + len(self._items) // MIN_YIELD:
            raise self._error(
                f"the API said has_more on {self._pages:,} pages that held only "
                f"{len(self._items):,} different items"
            )
        return True

    def _error(self, detail: str) -> ApiError:
        return ApiError("GET", self._path, 200, detail)
