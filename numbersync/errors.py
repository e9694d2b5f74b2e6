"""The error hierarchy: what went wrong, whose fault it is, and the exit code it maps to.

Input errors (the file is wrong) are kept apart from API errors (Close refused or failed) and from
refusals (the plan is unsafe or stale), so that the CLI can print each the way a user needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from numbersync.escape import escape


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
        return escape(f"{self.position}: {self.path}: {self.message}")


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
    """The desired-state file (or a plan file, or a flag) is wrong: every problem found, sorted."""

    def __init__(self, diagnostics: Iterable[Diagnostic], hint: str | None = None) -> None:
        self.diagnostics = sorted(set(diagnostics))
        count = len(self.diagnostics)
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


class RefusedError(NumbersyncError):
    """numbersync refuses to go on: an unsafe plan without --force, a stale plan, no consent."""
