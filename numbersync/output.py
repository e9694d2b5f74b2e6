"""Where results go: files written whole or not at all, only over regular files, `-` for
standard output, and colour only where a person reads it."""

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


# Names of standard output wherever a command takes an output path. /dev/stdout is not
# written through: when stdout is a file, replacing that file would cut off the shell's handle.
STDOUT_NAMES = ("-", "/dev/stdout")
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def is_stdout(path: str) -> bool:
    return path in STDOUT_NAMES


def write_output(path: str, text: str, *, force: bool = False, forcible: bool = True) -> None:
    """`text` to standard output when `path` names it, else to the file (see write_atomic)."""
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(path, text, force=force, forcible=forcible)


def check_target(path: str, *, force: bool = False, forcible: bool = True) -> None:
    """Raise UsageError unless `path` may be written: missing (in a directory that exists), or a
    regular file (or a symlink to one) that is writable, or read-only with `force`. Never a
    device, a FIFO or a directory: replacing one (as root, /dev/null) breaks what uses it, and
    writing into one may block or go nowhere. Read-only is judged by the mode bits, not by
    access(), which says yes to root for every file. `forcible`: the command has a --force
    that overrides read-only (the hint says which way out there is)."""
    if is_stdout(path):
        return
    try:
        found = os.stat(path)
    except FileNotFoundError:
        directory = os.path.dirname(os.path.realpath(path))
        if not os.path.isdir(directory):
            raise UsageError(f"cannot write {path}: no such directory {directory}") from None
        return
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    for test, kind in _KINDS:
        if test(found.st_mode):
            raise UsageError(
                f"refusing to write {path}: it is {kind}, not a regular file",
                hint="give the path of a file, or - for standard output",
            )
    if not found.st_mode & 0o222 and not force:
        raise UsageError(
            f"refusing to replace {path}: {path} is read-only "
            f"(mode {stat.S_IMODE(found.st_mode):04o})",
            hint="pass --force to replace it anyway"
            if forcible
            else "make it writable, or choose another path",
        )


def write_atomic(path: str, text: str, *, force: bool = False, forcible: bool = True) -> None:
    """Write `text` to `path` whole or not at all: through a temporary file beside it, flushed to
    disk before it replaces the old one. Only a regular file is replaced (check_target says
    what is refused, and what `force` allows). A symlink is written through (what it points at
    is replaced, the link stays); an existing file keeps its permission bits, a new one gets the
    usual ones (0666 less the umask), not the temporary file's 0600."""
    check_target(path, force=force, forcible=forcible)
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
