"""Reading a user's file whole, with a size limit and plain reasons when it cannot be read."""

from __future__ import annotations

import os

from numbersync.errors import UsageError

MAX_FILE_BYTES = 10 * 1024 * 1024


class UnreadableError(UsageError):
    """A file that cannot be read; `reason` says why without naming the file."""

    def __init__(self, message: str, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason


def read_file(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, or an UnreadableError saying plainly why it cannot be read (one over
    `limit` bytes too: a pipe or a device may never end)."""
    try:
        if os.path.isdir(path):
            reason = "a directory, not a YAML file"
            raise UnreadableError(f"{path} is {reason}", reason, "pass a file with -c FILE")
        with open(path, "rb") as handle:
            # Read in chunks rather than read(MAX + 1), which allocates the whole limit up front,
            # and count what arrives: a pipe or a device has no size to check beforehand.
            data = bytearray()
            while chunk := handle.read(1 << 16):
                data += chunk
                if len(data) > limit:
                    size = max(os.fstat(handle.fileno()).st_size, len(data))
                    too_big = f"{size:,} bytes; numbersync reads files up to {limit:,} bytes"
                    raise UnreadableError(f"{path} is {too_big}", f"the file is {too_big}")
            return bytes(data)
    except FileNotFoundError:
        raise UnreadableError(
            f"{path}: no such file", "no such file", "pass the desired-state file with -c FILE"
        ) from None
    except PermissionError:
        raise UnreadableError(f"{path}: permission denied", "permission denied") from None
    except OSError as exc:
        reason = f"cannot read the file ({exc.strerror})"
        raise UnreadableError(f"{path}: {reason}", reason) from None
