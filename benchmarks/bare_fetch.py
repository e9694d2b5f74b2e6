"""The floor numbersync's reads are measured against: Close's phone-number list read with plain
httpx, page after page (`_skip` until `has_more` is false) or `concurrency` pages in flight at
once, each parsed as JSON and nothing else. A script run in its own process, as a user's would be:

    CLOSE_API_URL=... CLOSE_API_KEY=... python benchmarks/bare_fetch.py FIELDS CONCURRENCY

prints the number of items read. It imports nothing from numbersync, on purpose.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from typing import Any

import httpx

PAGE_SIZE = 100


def get_page(http: httpx.Client, fields: str, skip: int) -> dict[str, Any]:
    params = {"_fields": fields, "_limit": str(PAGE_SIZE), "_skip": str(skip)}
    body: dict[str, Any] = http.get("/phone_number/", params=params).raise_for_status().json()
    return body


def sequential(http: httpx.Client, fields: str) -> int:
    count = 0
    while True:
        body = get_page(http, fields, count)
        count += len(body["data"])
        if not body["has_more"]:
            return count


def concurrent(http: httpx.Client, fields: str, workers: int) -> int:
    """`workers` threads each take the next page in turn, until one page says it is the last.
    Without knowing the list's length, as numbersync export does not: up to `workers - 1` pages
    past the end are requested, and answered at the same time as the last one."""
    pages = itertools.count()
    sizes: dict[int, int] = {}
    last: list[int] = []  # the first page found to say has_more: false
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if last:
                    return
                page = next(pages)
            body = get_page(http, fields, page * PAGE_SIZE)
            with lock:
                sizes[page] = len(body["data"])
                if not body["has_more"] and (not last or page < last[0]):
                    last[:] = [page]

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(n for page, n in sizes.items() if page <= last[0])


def main() -> None:
    fields, concurrency = sys.argv[1], int(sys.argv[2])
    url, key = os.environ["CLOSE_API_URL"], os.environ["CLOSE_API_KEY"]
    with httpx.Client(base_url=url, auth=(key, "")) as http:
        if concurrency == 1:
            count = sequential(http, fields)
        else:
            count = concurrent(http, fields, concurrency)
    print(count)


if __name__ == "__main__":
    main()
