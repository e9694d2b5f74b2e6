"""Offset-paginated lists (`_skip`/`_limit`, `{"data": [...], "has_more": ...}`) read whole,
several pages in flight at once, de-duplicated by id, with guards against servers that would have
us page forever.

Pages are requested ahead (up to `concurrency` in flight) but checked strictly in order, so the
guards see what a sequential reader would. Requests stop as soon as one page says it is the last,
so reading N items takes at most ceil(N / 100) + concurrency - 1 requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from numbersync.errors import ApiError
from numbersync.stopping import in_background

PAGE_SIZE = 100  # Close's documented default and the emulator's maximum
MAX_PAGES = 10_000  # a million records: beyond that, a server that keeps saying has_more is broken
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
    pages to read ahead from the start; pages past those are requested ahead only once the last
    expected page says there are more, so that a list as long as expected costs no request past
    its end. `paged=False` is for lists that take no paging parameters: one request, then
    `_skip` only if the server says has_more.
    """
    reader = _Reader(get, path, params, paged)
    if concurrency <= 1 or not paged:
        pages = reader.sequential()
    else:
        pages = reader.concurrent(concurrency, expected_pages=max(1, -(-expect // PAGE_SIZE)))
    by_id: dict[str, dict[str, Any]] = {}
    for items in pages:
        for item in items:
            by_id[item["id"]] = item
    return list(by_id.values())


class _Reader:
    def __init__(self, get: Get, path: str, params: Mapping[str, str], paged: bool) -> None:
        self._get = get
        self._path = path
        self._params = dict(params)
        self._paged = paged
        self._seen: set[str] = set()

    def sequential(self, skip: int = 0) -> list[list[dict[str, Any]]]:
        """Page after page from `skip`, each offset moved by what the last page held."""
        pages = []
        for _ in range(MAX_PAGES):
            items, has_more = self._fetch(skip, first=skip == 0)
            pages.append(items)
            if not self._goes_on(items, has_more):
                return pages
            skip += len(items)
        raise self._endless()

    def concurrent(self, concurrency: int, expected_pages: int) -> list[list[dict[str, Any]]]:
        done: dict[int, Page] = {}
        pages: list[list[dict[str, Any]]] = []
        in_flight: dict[Future[Page], int] = {}
        issued = 0
        # Pages in flight when the list is complete (past its end) or has failed are not waited
        # for: they run in_background, and the client, once closed, lets them send no more.
        while True:
            # Past the expected pages only once the last of them said there are more; never
            # more than `concurrency` past the last page checked; and none past a page that
            # said it is the last, even before its turn to be checked (pages past the end
            # answer at once while the real last one may be slow).
            last = expected_pages - 1
            ahead = len(pages) > last or (last in done and done[last][1])
            limit = len(pages) + concurrency if ahead else expected_pages
            if any(not has_more for _, has_more in done.values()):
                limit = issued
            while len(in_flight) < concurrency and issued < min(limit, MAX_PAGES):
                future = in_background(
                    f"numbersync-page-{issued}", self._fetch, issued * PAGE_SIZE, issued == 0
                )
                in_flight[future] = issued
                issued += 1
            if not in_flight:
                raise self._endless()
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                done[in_flight.pop(future)] = future.result()
            # Check in order what has arrived; stop at the page that says it is the last.
            while len(pages) in done:
                items, has_more = done.pop(len(pages))
                pages.append(items)
                if not self._goes_on(items, has_more):
                    return pages
                if len(items) != PAGE_SIZE:
                    # A server that pages by another size: the offsets requested ahead are
                    # wrong, so go on one page after another.
                    return pages + self.sequential(sum(len(p) for p in pages))

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
        """Whether to read past this page, refusing pages that would have us read forever."""
        if not has_more:
            return False
        if not items:
            # `_skip` would not move: the same empty page forever.
            raise self._error("the API said has_more but sent an empty page")
        ids = {item["id"] for item in items}
        if not ids - self._seen:
            # A server that ignores `_skip` sends the first page forever: without this we
            # would ask MAX_PAGES times before saying so.
            raise self._error("the API said has_more but sent only items it had sent before")
        self._seen |= ids
        return True

    def _error(self, detail: str) -> ApiError:
        return ApiError("GET", self._path, 200, detail)

    def _endless(self) -> ApiError:
        return self._error(f"the API kept returning has_more after {MAX_PAGES:,} pages")
