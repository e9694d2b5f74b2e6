"""What apply tells its user: progress while it runs (a bar on a terminal, one line per change in
a CI log) and the report at the end, number by number and membership change by membership
change, with the summary and what to do next."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any, TextIO

from numbersync import __version__, phone
from numbersync.apply import STATUSES, ApplyReport, MemberOutcome, Outcome
from numbersync.escape import escape, escape_json
from numbersync.plan import Plan
from numbersync.savedplan.write import json_value


def render_report(report: ApplyReport) -> str:
    """Each number's status, its changed fields and Close's words (at the YAML line where it
    names a field), then the summary line and, where there is one, the hint."""
    out = [""]
    for outcome in report.outcomes:
        fields = ", ".join(c.field for c in outcome.change.fields)
        detail = f"  {escape(outcome.detail)}" if outcome.detail else ""
        number = escape(phone.display(outcome.change.number))
        out.append(f"  {outcome.status:<9} {number:<18} {fields}{detail}")
        out.extend(f"      {escape(line)}" for line in outcome.errors)
    for member in report.groups:
        detail = f"  {escape(member.detail)}" if member.detail else ""
        out.append(f"  {member.status:<9} {escape(_membership(member))}{detail}")
        out.extend(f"      {escape(line)}" for line in member.errors)
    if report.unverified:
        out.append(escape(f"{UNVERIFIED}: {report.unverified}."))
    out.append(report.summary)
    if report.hint:
        out.append(f"Hint: {report.hint}")
    return "\n".join(out) + "\n"


def _membership(outcome: MemberOutcome) -> str:
    """e.g. "Support + alice@acme.example": the group, then who joins (+) or leaves (-) it."""
    sign = "+" if outcome.change.action == "add" else "-"
    return f"{outcome.change.group:<18} {sign} {outcome.user}"


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

    def __call__(self, done: int, total: int, outcome: Outcome | MemberOutcome) -> None:
        if not self._terminal:
            if isinstance(outcome, MemberOutcome):
                what = " ".join(escape(_membership(outcome)).split())
            else:
                what = escape(phone.display(outcome.change.number))
            self._stream.write(f"[{done}/{total}] {what}: {outcome.status}\n")
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
    seconds = max(0, math.ceil(seconds))  # never "0 s left" while something is
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


REPORT_FORMAT_VERSION = 1
UNVERIFIED = "Unverified: applied without checking it against its config (--unverified-plan)"


def report_document(
    report: ApplyReport,
    plan: Plan,
    *,
    finished_at: str,
    refused: str | None = None,
    error: str | None = None,
    planned: bool = True,
) -> dict[str, Any]:
    """The versioned JSON audit record of an apply (`apply --report FILE`): every planned number
    with its fields (before and after), its status and Close's words, and every membership change
    (`groups`: the group, add or remove, the user) with its status and Close's words. `refused`
    is the reason when numbersync refused the whole plan (unsafe, stale), in which case nothing
    was sent; `error` the error that ended the apply before it sent anything; `planned` False
    when it ended before the plan was known (its numbers then empty)."""
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "numbersync_version": __version__,
        "finished_at": finished_at,
        "config": {"path": plan.config_path, "fingerprint": plan.fingerprint},
        "planned": planned,
        "unverified": report.unverified,
        "refused": refused,
        "error": error,
        "stopped": report.stopped,
        "exit_code": 1 if refused or error else report.exit_code,
        "summary": {status.replace(" ", "_"): report.count(status) for status in STATUSES},
        "numbers": [
            {
                "number": outcome.change.number,
                "id": outcome.change.id,
                "key": outcome.change.key,
                "label": outcome.change.label,
                "status": outcome.status,
                "message": outcome.detail or None,
                "errors": list(outcome.errors),
                "fields": [
                    {
                        "field": c.field,
                        "before": json_value(c, c.before),
                        "after": json_value(c, c.after),
                    }
                    for c in outcome.change.fields
                ],
            }
            for outcome in report.outcomes
        ],
        "groups": [
            {
                "group": member.change.group,
                "id": member.change.group_id,
                "key": member.change.key,
                "action": member.change.action,
                "user_id": member.change.user_id,
                "user": member.user,
                "status": member.status,
                "message": member.detail or None,
                "errors": list(member.errors),
            }
            for member in report.groups
        ],
    }


def render_report_json(report: ApplyReport, plan: Plan, **details: Any) -> str:
    """report_document (`details`: its keyword arguments) as the JSON `--report` writes."""
    document = report_document(report, plan, **details)
    return escape_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"
