"""What apply tells its user: progress while it runs (a bar on a terminal, one line per number in
a CI log) and the report at the end, number by number, with the summary and what to do next."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from numbersync import phone
from numbersync.apply import ApplyReport, Outcome
from numbersync.escape import escape


def render_report(report: ApplyReport) -> str:
    """Each number's status, its changed fields and Close's words (at the YAML line where it
    names a field), then the summary line and, where there is one, the hint."""
    out = [""]
    for outcome in report.outcomes:
        fields = ", ".join(c.field for c in outcome.change.fields)
        detail = f"  {escape(outcome.detail)}" if outcome.detail else ""
        number = phone.display(outcome.change.number)
        out.append(f"  {outcome.status:<9} {number:<18} {fields}{detail}")
        out.extend(f"      {escape(line)}" for line in outcome.errors)
    out.append(report.summary)
    if report.hint:
        out.append(f"Hint: {report.hint}")
    return "\n".join(out) + "\n"


class Progress:
    """Told of each finished number. On a terminal: one bar redrawn in place with the rate and
    the time left; elsewhere (a CI log): one line per number, which reads well when scrolled."""

    def __init__(
        self,
        stream: TextIO,
        *,
        terminal: bool,
        clock: Callable[[], float] = time.monotonic,
        width: int = 30,
    ) -> None:
        self._stream = stream
        self._terminal = terminal
        self._clock = clock
        self._width = width
        self._started = clock()

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        if not self._terminal:
            number = phone.display(outcome.change.number)
            self._stream.write(f"[{done}/{total}] {number}: {outcome.status}\n")
            self._stream.flush()
            return
        filled = self._width * done // total
        bar = "#" * filled + "." * (self._width - filled)
        elapsed = self._clock() - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = f", {_duration((total - done) / rate)} left" if rate and done < total else ""
        speed = f"  {rate:.1f}/s{left}" if rate else ""
        end = "\n" if done == total else ""
        # \x1b[K clears what a longer previous line left behind.
        self._stream.write(f"\rApplying [{bar}] {done}/{total}{speed}\x1b[K{end}")
        self._stream.flush()


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
