"""Running numbersync's own commands from a CI job, as a user would type them: a child process
each, its output shown in the job's log as it comes and kept for the summary and comments."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class Ran:
    """What one command did: its exit code and everything it printed."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


# How a job runs `numbersync ARGS`; tests give it a fake.
Run = Callable[[Sequence[str]], Ran]


def run_numbersync(args: Sequence[str]) -> Ran:
    """`numbersync ARGS` with this Python, stdout and stderr copied to ours line by line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "numbersync", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    assert process.stdout is not None and process.stderr is not None
    out: list[str] = []
    err: list[str] = []
    copies = [
        threading.Thread(target=_copy, args=(process.stdout, sys.stdout, out), daemon=True),
        threading.Thread(target=_copy, args=(process.stderr, sys.stderr, err), daemon=True),
    ]
    for copy in copies:
        copy.start()
    try:
        returncode = process.wait()
    except KeyboardInterrupt:
        # CI cancels the whole process group: numbersync got the signal too, and stops on its
        # own (an apply reports what it did); its report is worth waiting for.
        returncode = process.wait()
    for copy in copies:
        copy.join()
    return Ran(tuple(args), returncode, "".join(out), "".join(err))


def _copy(source: IO[str], sink: IO[str], kept: list[str]) -> None:
    for line in source:
        kept.append(line)
        sink.write(line)
        sink.flush()
