"""Where results go: files written whole or not at all, and colour only where a person reads it."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from typing import TextIO

from numbersync.errors import UsageError


def use_color(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org)."""
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def write_atomic(path: str, text: str) -> None:
    """Write `text` to `path` whole or not at all: through a temporary file beside it, flushed to
    disk before it replaces the old one. A symlink is written through (what it points at is
    replaced, the link stays); an existing file keeps its permission bits, a new one gets the
    usual ones (0666 less the umask), not the temporary file's 0600."""
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".numbersync-", suffix=".tmp")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    _fsync_directory(directory)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; some filesystems cannot, which is no reason to fail."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
