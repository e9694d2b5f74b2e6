"""numbersync with the list read-ahead it had before it started small: the pages the caller
expects (page 0 when it expects none), then `--concurrency` pages ahead as soon as the last of
them says has_more. The `reads` benchmark runs it beside numbersync as it is, to show what
starting small costs a large account:

    CLOSE_API_URL=... CLOSE_API_KEY=... python benchmarks/fixed_readahead.py export -o FILE
"""

from __future__ import annotations

import sys

from numbersync.close import paging


def wanted(self: paging.ReadAhead) -> list[int]:
    if self.end is not None:
        return []  # a page said it is the last: nothing more, even before its turn
    last = self.expected - 1
    ahead = self.checked > last or self.known > self.expected
    limit = self.checked + self.concurrency if ahead else self.expected
    room = self.concurrency - sum(1 for page in self.issued if page >= self.checked)
    start = len(self.issued)
    return list(range(start, min(limit, start + room)))


def main() -> None:
    paging.ReadAhead.wanted = wanted  # type: ignore[method-assign]
    from numbersync.cli import main as numbersync

    numbersync(sys.argv[1:], prog_name="numbersync")


if __name__ == "__main__":
    main()
