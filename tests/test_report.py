"""What apply prints while it runs and at the end: a progress bar with rate and time left on a
terminal, one line per number in a CI log, and the report with its summary and hint."""

from __future__ import annotations

import io

from helpers import FakeTime

from numbersync.apply import ApplyReport, Outcome
from numbersync.plan import FieldChange, NumberChange
from numbersync.report import Progress, render_report


def change(i: int) -> NumberChange:
    return NumberChange(
        f"phon_{i}", f"+1650555{i:04d}", None, f"+1650555{i:04d}", (FieldChange("label", "a", "b"),)
    )


def test_a_terminal_gets_one_bar_redrawn_with_the_rate_and_the_time_left() -> None:
    stream, time = io.StringIO(), FakeTime()
    progress = Progress(stream, terminal=True, clock=time.clock, width=10)
    for i in range(1, 5):
        time.sleep(0.5)  # two numbers a second
        progress(i, 4, Outcome(change(i), "applied"))
    frames = stream.getvalue().split("\r")[1:]
    assert frames == [
        "Applying [##........] 1/4  2.0/s, 2 s left\x1b[K",
        "Applying [#####.....] 2/4  2.0/s, 1 s left\x1b[K",
        "Applying [#######...] 3/4  2.0/s, 1 s left\x1b[K",
        "Applying [##########] 4/4  2.0/s\x1b[K\n",
    ]


def test_a_long_apply_says_minutes_left() -> None:
    stream, time = io.StringIO(), FakeTime()
    progress = Progress(stream, terminal=True, clock=time.clock, width=10)
    time.sleep(10.0)
    progress(10, 1000, Outcome(change(1), "applied"))
    assert stream.getvalue() == "\rApplying [..........] 10/1000  1.0/s, 16 min 30 s left\x1b[K"


def test_a_ci_log_gets_one_line_per_number() -> None:
    stream = io.StringIO()
    progress = Progress(stream, terminal=False)
    progress(1, 2, Outcome(change(1), "applied"))
    progress(2, 2, Outcome(change(2), "unknown", "sent, but no answer came"))
    assert stream.getvalue() == "[1/2] +1 650-555-0001: applied\n[2/2] +1 650-555-0002: unknown\n"


def test_the_report_escapes_what_close_said_and_ends_with_the_summary_and_hint() -> None:
    report = ApplyReport(
        (
            Outcome(change(1), "applied"),
            Outcome(change(2), "failed", "not allowed\n::error::x", ("hint: \x1b[2Jclear",)),
            Outcome(change(3), "not sent", "interrupted before it was sent"),
        ),
        stopped="SIGINT",
    )
    assert render_report(report) == (
        "\n"
        "  applied   +1 650-555-0001    label\n"
        "  failed    +1 650-555-0002    label  not allowed\\n::error::x\n"
        "      hint: \\x1b[2Jclear\n"
        "  not sent  +1 650-555-0003    label  interrupted before it was sent\n"
        "Interrupted: 1 applied, 1 failed, 0 unknown, 1 not sent.\n"
        "Hint: run apply again to converge: it sends only what is still different.\n"
    )
    assert report.exit_code == 130
