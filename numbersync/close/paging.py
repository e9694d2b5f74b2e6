"""Offset-paginated lists (`_skip`/`_limit`, `{"data": [...], "has_more": ...}`) read whole,
de-duplicated by id, with guards against servers that would have us page forever."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from numbersync.errors import ApiError

PAGE_SIZE = 100  # Close's documented default and the emulator's maximum
MAX_PAGES = 10_000  # a million records: beyond that, a server that keeps saying has_more is broken
Get = Callable[[str, Mapping[str, str]], Any]  # (path, query) -> parsed JSON


def list_all(
    get: Get, path: str, params: Mapping[str, str], *, paged: bool = True
) -> list[dict[str, Any]]:
    """All items of an offset-paginated list, de-duplicated by id (pages shift when records are
    added or removed while we read; the later copy is the fresher one)."""
    by_id: dict[str, dict[str, Any]] = {}
    for page in _pages(get, path, params, paged):
        for item in page:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise ApiError("GET", path, 200, "the response lists an item without an id")
            by_id[item["id"]] = item
    return list(by_id.values())


def _pages(
    get: Get, path: str, params: Mapping[str, str], paged: bool
) -> Iterator[list[dict[str, Any]]]:
    skip = 0
    seen: set[Any] = set()
    for _ in range(MAX_PAGES):
        query = dict(params)
        if paged or skip:
            query.update({"_limit": str(PAGE_SIZE), "_skip": str(skip)})
        body = get(path, query)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ApiError("GET", path, 200, "the response has no `data` list")
        yield data
        if body.get("has_more") is not True:
            return
        if not data:
            # `_skip` would not move: the same empty page forever.
            raise ApiError("GET", path, 200, "the API said has_more but sent an empty page")
        ids = {item.get("id") for item in data if isinstance(item, dict)}
        if not ids - seen:
            # A server that ignores `_skip` sends the first page forever: without this we
            # would ask MAX_PAGES times before saying so.
            raise ApiError(
                "GET", path, 200, "the API said has_more but sent only items it had sent before"
            )
        seen |= ids
        skip += len(data)
    raise ApiError("GET", path, 200, f"the API kept returning has_more after {MAX_PAGES:,} pages")
