"""The error hierarchy: what went wrong, whose fault it is, and the exit code it maps to.

Input errors (the file is wrong) are kept apart from API errors (Close refused or failed) and from
refusals (the plan is unsafe or stale), so that the CLI can print each the way a user needs it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Position:
    """A place in a file: 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem with the desired-state file, printed as `FILE:LINE:COL: $.path: message`."""

    position: Position
    path: str
    message: str

    def __str__(self) -> str:
        # A key or a file name may hold a newline or an escape sequence: printed raw, it could
        # forge a line of its own (a GitHub Actions workflow command) or recolour the terminal.
        from numbersync.escape import escape  # only for what is printed: a valid file prints none

        return escape(f"{self.position}: {self.path}: {self.message}")


# Diagnostics shown at most: past these a reader fixes what is shown and runs again, and a file
# with a mistake on every one of a million lines costs a count, not a million lines and a sort.
MAX_SHOWN = 100


class Findings:
    """Diagnostics as they are found: the first MAX_SHOWN in file order kept, the rest only
    counted. Each one costs at most one comparison once the kept ones are full, so collecting
    stays linear in the number of problems. One found twice is dropped when it is kept; the
    checks find each problem once, so no set of every one found is held to catch repeats."""

    def __init__(self, limit: int = MAX_SHOWN) -> None:
        self._limit = limit
        self._kept: list[Diagnostic] = []
        self._last: tuple[str, int, int, str, str] = ("", 0, 0, "", "")  # kept[-1]'s order
        self.total = 0

    def add(self, diagnostic: Diagnostic) -> None:
        kept = self._kept
        if len(kept) == self._limit and _key(diagnostic) > self._last:
            self.total += 1
            return
        at = bisect.bisect_left(kept, diagnostic)
        if at < len(kept) and kept[at] == diagnostic:
            return  # the same problem found twice
        self.total += 1
        kept.insert(at, diagnostic)
        if len(kept) > self._limit:
            kept.pop()
        self._last = _key(kept[-1])

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def merge(self, other: Findings) -> None:
        """Another file's findings: those it kept, and the count of those it did not."""
        self.extend(other._kept)
        self.total += other.total - len(other._kept)

    @property
    def shown(self) -> list[Diagnostic]:
        return list(self._kept)

    def __bool__(self) -> bool:
        return self.total > 0


def _key(diagnostic: Diagnostic) -> tuple[str, int, int, str, str]:
    """A diagnostic's place in the order, as one plain tuple: the comparison made for every
    problem past the kept ones, cheaper than the dataclasses' own."""
    position = diagnostic.position
    return (position.file, position.line, position.col, diagnostic.path, diagnostic.message)


class NumbersyncError(Exception):
    """Base of every error numbersync reports to a user; `exit_code` is what the CLI exits with.

    `message` is one line; `details` are lines printed under it (e.g. each drifted field)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, details: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)


class InputError(NumbersyncError):
    """The desired-state file (or a plan file, or a flag) is wrong: the first MAX_SHOWN problems
    in file order, and `more`, how many others were found."""

    def __init__(
        self, diagnostics: Iterable[Diagnostic] | Findings, hint: str | None = None
    ) -> None:
        if not isinstance(diagnostics, Findings):
            found = Findings()
            found.extend(diagnostics)
            diagnostics = found
        self.findings = diagnostics
        self.diagnostics = diagnostics.shown
        self.more = diagnostics.total - len(self.diagnostics)
        count = diagnostics.total
        super().__init__(f"{count} error{'s' if count != 1 else ''} found", hint)


class UsageError(NumbersyncError):
    """A problem with how numbersync was invoked or configured (environment, flags, files)."""


class ApiError(NumbersyncError):
    """Close answered with an error, or could not be reached after every retry.

    `field_errors` keeps Close's `field-errors` per field, so callers can point at the YAML line.
    `reached` says whether the request (any of its attempts) may have reached Close: a write that
    failed with `reached` may still have been applied, one without it was not.
    """

    def __init__(
        self,
        method: str,
        path: str,
        status: int | None,
        detail: str,
        field_errors: Mapping[str, str] | None = None,
        hint: str | None = None,
        *,
        reached: bool = False,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.detail = detail
        self.field_errors = dict(field_errors or {})
        self.reached = reached
        code = f" ({status})" if status is not None else ""
        super().__init__(f"{method} {path}{code}: {detail}", hint)


class Abandoned(ApiError):
    """The run was stopped while this request waited (for a retry, or for rate-limit budget);
    `reached` says whether an earlier attempt may have reached Close."""


class TimedOut(NumbersyncError):
    """The run reached its --timeout before it had anything to show; exits as `timeout(1)`."""

    exit_code = 124


class RefusedError(NumbersyncError):
    """numbersync refuses to go on: an unsafe plan without --force, a stale plan, no consent."""


# Where a value sits in a document: keys and list indexes from the root.
Path = tuple[str | int, ...]


def json_path(path: Path) -> str:
    """`$.numbers["+16503334444"].participants[0]`, as check-jsonschema prints paths."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier():
            out += f".{part}"
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{escaped}"]'
    return out
