"""Execute a plan: safety rails first, then one PUT per changed number carrying only its changed
fields, each response verified against the wanted values, and a per-number report at the end."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from numbersync import phone
from numbersync.errors import (
    Abandoned,
    ApiError,
    Diagnostic,
    NumbersyncError,
    RefusedError,
)
from numbersync.fetch import fields_to_fetch
from numbersync.models import (
    DEFAULT_CONCURRENCY,
    RINGING_FIELDS,
    DesiredState,
    LiveNumber,
    Safety,
)
from numbersync.plan import (
    NumberChange,
    Plan,
    choose,
    effective_live_fields,
    normalise_live,
    same_value,
)
from numbersync.stopping import Stop
from numbersync.yamlsource import json_path

if TYPE_CHECKING:
    from numbersync.close import CloseClient
    from numbersync.fetch import Account
    from numbersync.plan import FieldChange

# What happened to one number: Close took the change (and its answer says so), refused it or
# answered something else, the request went out but no readable answer came back (re-plan to see),
# or it was never sent.
Status = Literal["applied", "failed", "unknown", "not sent"]
STATUSES: tuple[Status, ...] = ("applied", "failed", "unknown", "not sent")
IN_FLIGHT_GRACE = 5.0  # seconds requests in flight get after a stop (CI kills at 10 s)


@dataclass(frozen=True)
class Outcome:
    change: NumberChange
    status: Status
    detail: str = ""
    errors: tuple[str, ...] = ()  # one line each, pointing at the YAML where possible


@dataclass(frozen=True)
class ApplyReport:
    """Every number's outcome, in plan order, and why the run stopped early if it did: the Stop's
    reason ("SIGINT", "SIGTERM", "credential"), or None when it ran to the end."""

    outcomes: tuple[Outcome, ...]
    stopped: str | None = None
    credential_name: str = "the credential"
    config_path: str = ""  # what the plan was made from, for the command a hint suggests

    def count(self, *statuses: Status) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def interrupted(self) -> bool:
        return self.stopped in ("SIGINT", "SIGTERM")

    @property
    def ok(self) -> bool:
        return self.stopped is None and all(o.status == "applied" for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 143 after SIGTERM (as a shell reports a process those signals
        ended), 0 when every change was applied, else 1."""
        if self.stopped == "SIGINT":
            return 130
        if self.stopped == "SIGTERM":
            return 143
        return 0 if self.ok else 1

    @property
    def summary(self) -> str:
        counts = ", ".join(f"{self.count(status)} {status}" for status in STATUSES)
        if self.interrupted:
            return f"Interrupted: {counts}."
        if self.stopped is not None:
            return f"Stopped: {counts}."
        return f"Apply complete: {counts}."

    @property
    def hint(self) -> str | None:
        if self.stopped == "credential":
            return (
                f"Close rejected {self.credential_name} partway through the apply (an OAuth "
                "access token may have expired), so no further change was sent. Renew it and "
                "run apply again: it converges."
            )
        if self.count("unknown"):
            plan = f"numbersync plan -c {shlex.quote(self.config_path)}"
            return (
                "numbers marked unknown were sent but no readable answer came back: "
                f"`{plan if self.config_path else 'numbersync plan'}` shows whether Close took "
                "them, and apply again converges."
            )
        if self.interrupted or self.count("not sent"):
            return "run apply again to converge: it sends only what is still different."
        return None


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
    """Applies changes with `concurrency` workers. Whatever happens to one number becomes its
    Outcome; nothing escapes a worker. The client's stop flag (set by the first Ctrl-C or SIGTERM,
    or here by a 401 on a write) lets no new PUT start; requests in flight then get `grace`
    seconds, or none once `abandon` is set (a second signal), before they count as unknown."""

    client: CloseClient
    state: DesiredState | None = None  # to point Close's field errors at YAML lines
    concurrency: int = DEFAULT_CONCURRENCY
    progress: Callable[[int, int, Outcome], None] = _quiet  # told of each finished number
    grace: float = IN_FLIGHT_GRACE
    abandon: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic

    @property
    def stop(self) -> Stop:
        return self.client.stop

    def run(self, changes: Sequence[NumberChange]) -> ApplyReport:
        """Apply every change and report each; returns early only when stopped."""
        outcomes: dict[int, Outcome] = {}
        finished: queue.Queue[tuple[int, Outcome]] = queue.Queue()
        pending = iter(range(len(changes)))
        started: set[int] = set()
        closed = False  # set when the report is made: workers still running take nothing more
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    index = None if closed else next(pending, None)
                    if index is None:
                        return
                    started.add(index)
                finished.put((index, self._one(changes[index])))

        # Daemon threads: a request that hangs past the grace period must not keep the process
        # (and the report) from ending.
        for n in range(min(max(1, self.concurrency), len(changes))):
            threading.Thread(target=work, name=f"numbersync-apply-{n}", daemon=True).start()
        deadline: float | None = None
        while len(outcomes) < len(changes):
            if self.stop.is_set() and deadline is None:
                deadline = self.clock() + self.grace
            try:
                index, outcome = finished.get(timeout=0.05)
            except queue.Empty:
                if self.abandon.is_set() or (deadline is not None and self.clock() >= deadline):
                    break
                continue
            outcomes[index] = outcome
            self._tell(len(outcomes), len(changes), outcome)
        with lock:
            closed = True
            for index, change in enumerate(changes):
                if index not in outcomes:
                    outcomes[index] = (
                        Outcome(change, "unknown", "sent, but no answer came before stopping")
                        if index in started
                        else Outcome(change, "not sent", self._not_sent_reason())
                    )
        return ApplyReport(
            tuple(outcomes[i] for i in range(len(changes))),
            self.stop.reason,
            self.client.settings.credential_name,
            self.state.path if self.state is not None else "",
        )

    def _tell(self, done: int, total: int, outcome: Outcome) -> None:
        with contextlib.suppress(OSError):  # a closed stderr must not lose the report
            self.progress(done, total, outcome)

    def _not_sent_reason(self) -> str:
        if self.stop.reason == "credential":
            return "Close had rejected the credential"
        return "interrupted before it was sent"

    def _one(self, change: NumberChange) -> Outcome:
        if self.stop.is_set():
            return Outcome(change, "not sent", self._not_sent_reason())
        try:
            response = self.client.update_phone_number(change.id, change.body)
            wrong = verify(change, response)
        except Abandoned as exc:
            status: Status = "unknown" if exc.reached else "not sent"
            return Outcome(change, status, exc.detail)
        except ApiError as exc:
            if exc.status == 401 and exc.method == "PUT":
                self.stop.set("credential")
            status = "unknown" if exc.reached else "failed"
            return Outcome(change, status, exc.message, tuple(self._field_errors(change, exc)))
        except Exception as exc:  # a bug of ours: still this number's outcome, never a crash
            detail = f"unexpected {type(exc).__name__}: {exc} (a numbersync bug; please report it)"
            return Outcome(change, "unknown", detail)
        if wrong:
            return Outcome(change, "failed", "Close did not take every value", tuple(wrong))
        return Outcome(change, "applied")

    def _field_errors(self, change: NumberChange, exc: ApiError) -> list[str]:
        desired = None
        if self.state is not None:
            desired = next((n for n in self.state.numbers if n.key == change.key), None)
        lines = []
        for name, message in sorted(exc.field_errors.items()):
            if desired is not None and name in desired.positions:
                path = json_path(desired.path_of(name))
                lines.append(str(Diagnostic(desired.position_of(name), path, message)))
            else:
                lines.append(f"{name}: {message}")
        if exc.hint:
            lines.append(f"hint: {exc.hint}")
        return lines


def _unsaid(line: str) -> None:
    pass


def check_saved_plan(
    client: CloseClient,
    plan: Plan,
    targets: Sequence[str] = (),
    excludes: Sequence[str] = (),
    *,
    note: Callable[[str], None] = _unsaid,
) -> tuple[Plan, dict[str, LiveNumber], DesiredState | None]:
    """A saved plan limited by `targets` and `excludes`, after re-reading Close: refused whole
    (RefusedError), writing nothing, if any `before` drifted (stale) or, when the config it names
    is here unchanged, if it is not what that config asks of the live numbers. Also the live
    numbers, for the safety rails, and that config, so that Close's field errors can still point
    at YAML lines. A plan whose config is absent or changed is applied on its type checks alone,
    which `note` is told in one line."""
    state, why = _unchanged_config(plan)
    if state is None:
        note(
            f"Note: {why}; the saved plan is applied on its own checks (types and staleness), "
            "not compared with its config."
        )
    if targets or excludes:
        kept = choose(
            plan.changes,
            targets,
            excludes,
            lambda c: (c.id, c.number, c.key, c.file),
            "not a change in the saved plan",
        )
        left_out = len(plan.changes) - len(kept)
        plan = replace(plan, changes=tuple(kept), untargeted=plan.untargeted + left_out)
    if state is None:
        live = client.list_phone_numbers(
            fields_to_fetch(c.field for ch in plan.changes for c in ch.fields), expect=plan.managed
        )
        _refuse_if_stale(plan, live)
    else:
        from numbersync.fetch import fetch_for_plan

        # The fresh plan reads only the fields the config manages: a change of any other could
        # be checked for staleness by nothing.
        _refuse_unreviewed(state, _unmanaged_fields(plan, state))
        account = fetch_for_plan(client, state)
        live = list(account.numbers)
        _refuse_if_stale(plan, live)
        fresh = _fresh_plan(state, account)
        _refuse_unreviewed(state, find_unreviewed(plan, fresh))
        # The names shown beside ids are Close's, not whatever the plan file says they are.
        plan = replace(plan, emails=fresh.emails, group_names=fresh.group_names)
    return plan, {n.id: n for n in live}, state


def replan(config_path: str) -> str:
    """The command that makes a new plan of the config a saved plan was made from."""
    return f"numbersync plan -c {shlex.quote(config_path)} --out PLANFILE"


def _refuse_if_stale(plan: Plan, live: Sequence[LiveNumber]) -> None:
    drift = find_drift(plan, live)
    if drift:
        raise RefusedError(
            "the saved plan is stale, nothing was applied; Close changed since it was made:",
            hint=f"make a new plan with `{replan(plan.config_path)}` and review it",
            details=drift,
        )


def find_unreviewed(plan: Plan, fresh: Plan) -> list[str]:
    """What `plan` would do that `fresh` (a plan made now from the same config against the same
    live numbers) does not ask for: another `after`, a change it does not make, other rails."""
    wanted = {(c.id, f.field): f.after for c in fresh.changes for f in c.fields}
    found = []
    if plan.safety != fresh.safety:
        found.append(
            f"safety: {_rails(plan.safety)} in the plan, {_rails(fresh.safety)} in the config"
        )
    if plan.managed != fresh.managed:
        found.append(
            f"the plan counts {plan.managed} managed numbers, the config manages {fresh.managed}"
        )
    for change in plan.changes:
        where = phone.display(change.number)
        for c in change.fields:
            key = (change.id, c.field)
            if key not in wanted:
                found.append(_not_asked(change, c))
            elif not same_value(c.field, c.after, wanted[key]):
                found.append(
                    f"{where}: {c.field} is {_show(c.after)} in the plan, the config asks for "
                    f"{_show(wanted[key])}"
                )
    return found


def _unmanaged_fields(plan: Plan, state: DesiredState) -> list[str]:
    managed = {name for number in state.numbers for name in number.fields}
    return [
        _not_asked(change, c)
        for change in plan.changes
        for c in change.fields
        if c.field not in managed
    ]


def _not_asked(change: NumberChange, c: FieldChange) -> str:
    where = phone.display(change.number)
    return f"{where}: {c.field} {_show(c.after)} is not a change the config asks for"


def _rails(safety: Safety) -> str:
    return f"max_change_percent {safety.max_change_percent:g}, min_managed {safety.min_managed}"


def _refuse_unreviewed(state: DesiredState, found: list[str]) -> None:
    if found:
        raise RefusedError(
            f"the saved plan is not what its config asks, nothing was applied; {state.path} is "
            "unchanged since the plan was made, and asks otherwise:",
            hint=f"make a new plan with `{replan(state.path)}` and review it; a plan file is "
            "not edited by hand",
            details=found,
        )


def _fresh_plan(state: DesiredState, account: Account) -> Plan:
    """The plan the config makes now; users and groups resolved with Close's own, so that no
    name map in a plan file can stand in for them."""
    from numbersync.errors import InputError
    from numbersync.plan import build_plan

    try:
        return build_plan(state, account.numbers, account.directory)
    except InputError as exc:
        raise RefusedError(
            f"the saved plan cannot be checked against its config, nothing was applied; "
            f"{state.path} no longer plans against Close:",
            hint=f"fix the config, then make a new plan with `{replan(state.path)}`",
            details=[str(d) for d in exc.diagnostics],
        ) from None


def _unchanged_config(plan: Plan) -> tuple[DesiredState | None, str]:
    """The config the plan names when it is here with the plan's fingerprint; else None and
    why not."""
    from numbersync import config

    where = f"the plan's config {plan.config_path}"
    if not os.path.exists(plan.config_path):
        return None, f"{where} is not here"
    try:
        state = config.load(plan.config_path)
    except NumbersyncError as exc:
        return None, f"{where} does not load ({exc.message})"
    if state.fingerprint != plan.fingerprint:
        return None, f"{where} changed since the plan was made"
    return state, ""
