"""Execute a plan: safety rails first, then one PUT per changed number carrying only its changed
fields, each response verified against the wanted values, and a per-number report at the end."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from numbersync import phone
from numbersync.errors import ApiError, Diagnostic, NumbersyncError, RefusedError, UsageError
from numbersync.models import DEFAULT_CONCURRENCY, DesiredState, LiveNumber, Safety
from numbersync.plan import (
    NumberChange,
    Plan,
    effective_live_fields,
    normalise_live,
    same_value,
    select_targets,
)
from numbersync.yamlsource import json_path

if TYPE_CHECKING:
    from numbersync.close import CloseClient

Status = Literal["applied", "failed", "not converged", "skipped"]
RINGING_FIELDS = ("participants", "participant_groups", "phone_numbers")


@dataclass(frozen=True)
class Outcome:
    change: NumberChange
    status: Status
    detail: str = ""
    errors: tuple[str, ...] = ()  # one line each, pointing at the YAML where possible


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[Outcome, ...]
    interrupted: bool = False

    def count(self, *statuses: Status) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return not self.interrupted and all(o.status == "applied" for o in self.outcomes)

    @property
    def summary(self) -> str:
        failed = self.count("failed", "not converged")
        return (
            f"Apply complete: {self.count('applied')} changed, {failed} failed, "
            f"{self.count('skipped')} skipped."
        )


def check_safety(plan: Plan, live: Mapping[str, LiveNumber], safety: Safety) -> list[str]:
    """The reasons to refuse this plan without --force (SPEC 4); empty when it is safe."""
    reasons = []
    managed, changing = plan.managed, len(plan.changes)
    if managed >= safety.min_managed and changing * 100 > safety.max_change_percent * managed:
        reasons.append(
            f"it changes {changing} of {managed} managed numbers "
            f"({changing * 100 / managed:.0f}%, more than {safety.max_change_percent:g}%)"
        )
    for change in plan.changes:
        if live_silenced(change, live.get(change.id)):
            reasons.append(
                f"it leaves {phone.display(change.number)} with no participants, no groups "
                "and no phone numbers to ring"
            )
    return reasons


def live_silenced(change: NumberChange, current: LiveNumber | None) -> bool:
    """Whether this change takes away the last thing the number rings."""
    if not any(c.field in RINGING_FIELDS for c in change.fields):
        return False
    have = effective_live_fields(current) if current else {}
    after = {c.field: c.after for c in change.fields}
    return not any(after.get(name, have.get(name)) for name in RINGING_FIELDS)


def refuse_if_unsafe(
    plan: Plan, live: Mapping[str, LiveNumber], safety: Safety, *, force: bool
) -> None:
    reasons = check_safety(plan, live, safety)
    if reasons and not force:
        raise RefusedError(
            "refusing to apply: " + "; ".join(reasons),
            hint="review the plan, then run again with --force if it is what you want",
        )


def find_drift(plan: Plan, live: Sequence[LiveNumber]) -> list[str]:
    """Each planned `before` that no longer matches Close: a saved plan is stale if any."""
    by_id = {n.id: n for n in live}
    drift = []
    for change in plan.changes:
        current = by_id.get(change.id)
        where = phone.display(change.number)
        if current is None:
            drift.append(f"{where}: the number is no longer in the account")
            continue
        have = effective_live_fields(current)
        for c in change.fields:
            now = have.get(c.field, normalise_live(c.field, None))
            if not same_value(c.field, now, c.before):
                drift.append(
                    f"{where}: {c.field} was {_show(c.before)} in the plan, now {_show(now)}"
                )
    return drift


def _show(value: object) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def verify(change: NumberChange, response: LiveNumber) -> list[str]:
    """The changed fields whose value in Close's answer is not the wanted one."""
    have = effective_live_fields(response)
    wrong = []
    for c in change.fields:
        now = have.get(c.field, normalise_live(c.field, None))
        if not same_value(c.field, now, c.after):
            wrong.append(f"{c.field}: Close has {_show(now)}, wanted {_show(c.after)}")
    return wrong


def _quiet(done: int, total: int, outcome: Outcome) -> None:
    pass


@dataclass
class Applier:
    client: CloseClient
    state: DesiredState | None = None  # to point Close's field errors at YAML lines
    concurrency: int = DEFAULT_CONCURRENCY
    progress: Callable[[int, int, Outcome], None] = _quiet  # told of each finished number
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, changes: Sequence[NumberChange]) -> ApplyReport:
        """Apply every change; keeps going after a failure. On KeyboardInterrupt (Ctrl-C, or
        SIGTERM turned into one by the CLI) no new PUT starts, requests in flight finish, and
        the report says what was applied."""
        outcomes: dict[int, Outcome] = {}
        interrupted = False
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            pending: dict[Future[Outcome], int] = {
                pool.submit(self._one, change): i for i, change in enumerate(changes)
            }
            while pending:
                try:
                    done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    interrupted = True
                    self.stop.set()
                    continue
                for future in done:
                    index = pending.pop(future)
                    outcomes[index] = future.result()
                    self.progress(len(outcomes), len(changes), outcomes[index])
        ordered = tuple(outcomes[i] for i in range(len(changes)))
        return ApplyReport(ordered, interrupted or self.stop.is_set())

    def _one(self, change: NumberChange) -> Outcome:
        if self.stop.is_set():
            return Outcome(change, "skipped", "interrupted before it was sent")
        try:
            response = self.client.update_phone_number(change.id, change.body)
        except ApiError as exc:
            return Outcome(change, "failed", exc.message, tuple(self._field_errors(change, exc)))
        wrong = verify(change, response)
        if wrong:
            return Outcome(change, "not converged", "Close did not take every value", tuple(wrong))
        return Outcome(change, "applied")

    def _field_errors(self, change: NumberChange, exc: ApiError) -> list[str]:
        desired = None
        if self.state is not None:
            desired = next((n for n in self.state.numbers if n.key == change.key), None)
        lines = []
        for name, message in sorted(exc.field_errors.items()):
            if desired is not None and name in desired.positions:
                path = json_path(("numbers", change.key, name))
                lines.append(str(Diagnostic(desired.position_of(name), path, message)))
            else:
                lines.append(f"{name}: {message}")
        if exc.hint:
            lines.append(f"hint: {exc.hint}")
        return lines


def check_saved_plan(
    client: CloseClient, plan: Plan, targets: Sequence[str] = ()
) -> tuple[Plan, dict[str, LiveNumber], DesiredState | None]:
    """A saved plan limited to `targets`, after re-reading Close: refused whole (RefusedError)
    if any `before` drifted. Also the live numbers, for the safety rails, and the plan's config
    when it is unchanged since, so that Close's field errors can still point at YAML lines."""
    if targets:
        kept, _ = select_targets(plan.changes, targets, lambda c: (c.id, c.number, c.key, c.file))
        if not kept:
            raise UsageError(f"--target {', '.join(targets)}: not a change in the saved plan")
        plan = replace(plan, changes=tuple(kept))
    fields = sorted({c.field for change in plan.changes for c in change.fields})
    live = client.list_phone_numbers(fields)
    drift = find_drift(plan, live)
    if drift:
        raise RefusedError(
            "the saved plan is stale, nothing was applied; Close changed since it was made:\n  "
            + "\n  ".join(drift),
            hint="make a new plan with `numbersync plan --out PLANFILE` and review it",
        )
    return plan, {n.id: n for n in live}, _unchanged_config(plan)


def _unchanged_config(plan: Plan) -> DesiredState | None:
    from numbersync import config

    if not os.path.isfile(plan.config_path):
        return None
    try:
        state = config.load(plan.config_path)
    except NumbersyncError:
        return None
    return state if state.fingerprint == plan.fingerprint else None
