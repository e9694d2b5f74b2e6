"""Execute a plan: safety rails first, then one POST or DELETE per group membership change and one
PUT per changed number carrying only its changed fields (the number read again first when the
plan's reading of it is old), each response checked to be that member's or that number's with the
wanted values, and a per-change report at the end."""

from __future__ import annotations

import contextlib
import queue
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from numbersync.account import GroupChange, LiveNumber, MemberChange
from numbersync.errors import Abandoned, ApiError, Diagnostic, RefusedError, json_path
from numbersync.models import DEFAULT_CONCURRENCY, DesiredState
from numbersync.plan import NumberChange, Plan, drifted, mismatched, shown
from numbersync.stopping import TIMEOUT, Stop

if TYPE_CHECKING:
    from numbersync.close import CloseClient

# What happened to one number: Close took the change (and its answer says so), refused it or
# answered something else, the request went out but no readable answer came back (re-plan to see),
# or it was never sent.
Status = Literal["applied", "failed", "unknown", "not sent"]
STATUSES: tuple[Status, ...] = ("applied", "failed", "unknown", "not sent")
IN_FLIGHT_GRACE = 5.0  # seconds requests in flight get after a stop (CI kills at 10 s)
# A number whose values the plan read longer ago than this is read again just before its PUT,
# and not written if Close changed it meanwhile: a longer wait (a slow confirmation, a long
# apply) leaves more room for a change made elsewhere to be written over unseen. Shorter, and an
# apply paced at Close's rate limits would spend its read budget on a GET before most PUTs.
RECHECK_AFTER = 60.0  # seconds
CHANGED_SINCE_READ = "not sent: Close changed it after the plan read it"
TIMEOUT_EXIT_CODE = 124  # as `timeout(1)` exits: CI tells our own deadline from a cancel
_REFUSAL_STATUSES = (400, 403, 404)


@dataclass(frozen=True)
class Outcome:
    change: NumberChange
    status: Status
    detail: str = ""
    errors: tuple[str, ...] = ()  # one line each, pointing at the YAML where possible


@dataclass(frozen=True)
class MemberOutcome:
    """What happened to one membership change; `user` is the member as shown (their email when
    known, else the user id)."""

    change: MemberChange
    status: Status
    detail: str = ""
    errors: tuple[str, ...] = ()
    user: str = ""


@dataclass(frozen=True)
class ApplyReport:
    """Every number's outcome, in plan order, every membership change's (`groups`, in the order
    of the plan's groups and their ops), and why the run stopped early if it did: the Stop's
    reason ("SIGINT", "SIGTERM", "credential"), or None when it ran to the end."""

    outcomes: tuple[Outcome, ...]
    stopped: str | None = None
    credential_name: str = "the credential"
    # Why the saved plan could not be checked against its config, when --unverified-plan let
    # it through anyway.
    unverified: str | None = None
    config_path: str = ""  # what the plan was made from, for the command a hint suggests
    groups: tuple[MemberOutcome, ...] = ()

    def count(self, *statuses: Status) -> int:
        """Changes of numbers and of memberships alike."""
        numbers = sum(o.status in statuses for o in self.outcomes)
        return numbers + sum(o.status in statuses for o in self.groups)

    @property
    def interrupted(self) -> bool:
        return self.stopped in ("SIGINT", "SIGTERM", TIMEOUT)

    @property
    def ok(self) -> bool:
        numbers = all(o.status == "applied" for o in self.outcomes)
        members = all(o.status == "applied" for o in self.groups)
        return self.stopped is None and numbers and members

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 143 after SIGTERM (as a shell reports a process those signals
        ended), 124 when --timeout ended it (as `timeout(1)` reports it), 0 when every change
        was applied, else 1."""
        if self.stopped == "SIGINT":
            return 130
        if self.stopped == "SIGTERM":
            return 143
        if self.stopped == TIMEOUT:
            return TIMEOUT_EXIT_CODE
        return 0 if self.ok else 1

    @property
    def summary(self) -> str:
        counts = ", ".join(f"{self.count(status)} {status}" for status in STATUSES)
        if self.stopped == TIMEOUT:
            return f"Interrupted by --timeout: {counts}."
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
            what = "changes" if any(o.status == "unknown" for o in self.groups) else "numbers"
            return (
                f"{what} marked unknown were sent but no readable answer came back: "
                f"`{plan if self.config_path else 'numbersync plan'}` shows whether Close took "
                "them, and apply again converges."
            )
        if self.stopped == TIMEOUT:
            return (
                "the run reached its --timeout: run apply again to converge (it sends only what "
                "is still different), with a longer --timeout if Close is slow today."
            )
        if any(o.detail == CHANGED_SINCE_READ for o in self.outcomes):
            return (
                "a number Close changed after the plan read it was not written: make a new plan "
                "and review it."
            )
        if self.interrupted or self.count("not sent"):
            return "run apply again to converge: it sends only what is still different."
        return None


def refuse_if_unsafe(plan: Plan, *, force: bool) -> None:
    """RefusedError when apply's verdict on the plan (safety.judge, the one `plan` states) is to
    refuse it and --force was not given."""
    if plan.verdict is not None and plan.verdict.refuses and not force:
        raise RefusedError(
            "refusing to apply: " + "; ".join(plan.verdict.reasons),
            hint="review the plan, then run again with --force if it is what you want",
        )


def verify(change: NumberChange, response: LiveNumber) -> list[str]:
    """The changed fields whose value in Close's answer is not the wanted one."""
    return [
        f"{c.field}: Close has {shown(now)}, wanted {shown(c.after)}"
        for c, now in mismatched(change, response, "after")
    ]


def _quiet(done: int, total: int, outcome: Outcome | MemberOutcome) -> None:
    pass


_WRITES = ("PUT", "POST", "DELETE")


def _member_hint(exc: ApiError) -> str | None:
    """What to do about a refused membership change. The client's hints are worded for phone
    numbers (a 404 there means a wrong CLOSE_API_URL), so the group endpoints' own come here."""
    if exc.status == 404:
        return (
            "Close knows no such group, or the user is not an active member of the "
            "organization: plan again to see the groups and users as Close has them now"
        )
    if exc.status in (400, 403) and exc.detail.startswith("not allowed"):
        # Close names no permission for editing groups: the refusal's own words say which.
        return "editing a group's members needs a role that may manage groups in Close"
    return exc.hint


Task = MemberChange | NumberChange


@dataclass
class Applier:
    """Applies changes with `concurrency` workers. Whatever happens to one number (or one
    membership change) becomes its Outcome (MemberOutcome); nothing escapes a worker. The client's
    stop flag (set by the first Ctrl-C or SIGTERM, or here by a 401 on a write) lets no new write
    start; requests in flight then get `grace` seconds, or none once `abandon` is set (a second
    signal), before they count as unknown."""

    client: CloseClient
    state: DesiredState | None = None  # to point Close's field errors at YAML lines
    concurrency: int = DEFAULT_CONCURRENCY
    progress: Callable[[int, int, Outcome | MemberOutcome], None] = _quiet  # told of each one
    grace: float = IN_FLIGHT_GRACE
    abandon: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    read_at: float | None = None  # when the plan read the live values (by `clock`), if known
    recheck_after: float = RECHECK_AFTER
    # user id -> email: to name personal numbers' owners and the members of membership changes
    emails: Mapping[str, str] = field(default_factory=dict)

    @property
    def stop(self) -> Stop:
        return self.client.stop

    def run(
        self, changes: Sequence[NumberChange], groups: Sequence[GroupChange] = ()
    ) -> ApplyReport:
        """Apply every change (the groups' membership changes and the numbers') and report each;
        returns early only when stopped."""
        # One queue for both, membership changes first (each group's in GroupChange.ops order,
        # removals before additions): a number the plan moves onto a group then finds it with
        # the members the plan showed it ringing, and the rails judged the plan on both sides
        # done. Sharing the workers keeps the pool full across the switch from POST/DELETE to
        # PUT (each method has its own rate-limit budget), and a failed membership change is that
        # change's outcome only: the numbers' PUTs go on.
        tasks: list[Task] = [op for group in groups for op in group.ops]
        tasks.extend(changes)
        results: dict[int, Outcome | MemberOutcome] = {}
        finished: queue.Queue[tuple[int, Outcome | MemberOutcome]] = queue.Queue()
        pending = iter(range(len(tasks)))
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
                finished.put((index, self._do(tasks[index])))

        # Daemon threads: a request that hangs past the grace period must not keep the process
        # (and the report) from ending.
        for n in range(min(max(1, self.concurrency), len(tasks))):
            threading.Thread(target=work, name=f"numbersync-apply-{n}", daemon=True).start()
        deadline: float | None = None
        while len(results) < len(tasks):
            if self.stop.is_set() and deadline is None:
                deadline = self.clock() + self.grace
            try:
                index, outcome = finished.get(timeout=0.05)
            except queue.Empty:
                if self.abandon.is_set() or (deadline is not None and self.clock() >= deadline):
                    break
                continue
            results[index] = outcome
            self._tell(len(results), len(tasks), outcome)
        with lock:
            closed = True
            for index, task in enumerate(tasks):
                if index not in results:
                    if index in started:
                        detail = "sent, but no answer came before stopping"
                        results[index] = self._outcome(task, "unknown", detail)
                    else:
                        results[index] = self._outcome(task, "not sent", self._not_sent_reason())
        ordered = [results[i] for i in range(len(tasks))]
        return ApplyReport(
            tuple(o for o in ordered if isinstance(o, Outcome)),
            self.stop.reason,
            self.client.settings.credential_name,
            config_path=self.state.path if self.state is not None else "",
            groups=tuple(o for o in ordered if isinstance(o, MemberOutcome)),
        )

    def _do(self, task: Task) -> Outcome | MemberOutcome:
        return self._member(task) if isinstance(task, MemberChange) else self._one(task)

    def _outcome(self, task: Task, status: Status, detail: str) -> Outcome | MemberOutcome:
        if isinstance(task, MemberChange):
            return self._member_outcome(task, status, detail)
        return Outcome(task, status, detail)

    def _member_outcome(
        self, change: MemberChange, status: Status, detail: str = "", errors: Sequence[str] = ()
    ) -> MemberOutcome:
        user = self.emails.get(change.user_id, change.user_id)
        return MemberOutcome(change, status, detail, tuple(errors), user)

    def _tell(self, done: int, total: int, outcome: Outcome | MemberOutcome) -> None:
        with contextlib.suppress(OSError):  # a closed stderr must not lose the report
            self.progress(done, total, outcome)

    def _not_sent_reason(self) -> str:
        if self.stop.reason == "credential":
            return "Close had rejected the credential"
        if self.stop.reason == TIMEOUT:
            return "--timeout was reached before it was sent"
        return "interrupted before it was sent"

    def _one(self, change: NumberChange) -> Outcome:
        if self.stop.is_set():
            return Outcome(change, "not sent", self._not_sent_reason())
        if self.read_at is not None and self.clock() - self.read_at > self.recheck_after:
            changed = self._changed_since_read(change)
            if changed is not None:
                return changed
        try:
            response = self.client.update_phone_number(change.id, change.body)
            if response.id != change.id:
                # Its values may match what was sent, but nothing says they are this number's.
                detail = (
                    f"Close answered for another number ({response.id}): whether this one "
                    "changed is unknown"
                )
                return Outcome(change, "unknown", detail)
            wrong = verify(change, response)
        except Abandoned as exc:
            status: Status = "unknown" if exc.reached else "not sent"
            return Outcome(change, status, exc.detail)
        except ApiError as exc:
            if exc.status == 401 and exc.method in _WRITES:
                self.stop.set("credential")
            status = "unknown" if exc.reached else "failed"
            return Outcome(change, status, exc.message, tuple(self._field_errors(change, exc)))
        except Exception as exc:  # a bug of ours: still this number's outcome, never a crash
            detail = f"unexpected {type(exc).__name__}: {exc} (a numbersync bug; please report it)"
            return Outcome(change, "unknown", detail)
        if wrong:
            return Outcome(change, "failed", "Close did not take every value", tuple(wrong))
        return Outcome(change, "applied")

    def _member(self, change: MemberChange) -> MemberOutcome:
        """One POST (add) or DELETE (remove). Both are idempotent in Close, so the client's
        retries after a dropped answer are safe, and a confirmed answer means the member is in
        (or out of) the group whatever an earlier attempt did."""
        if self.stop.is_set():
            return self._member_outcome(change, "not sent", self._not_sent_reason())
        try:
            if change.action == "add":
                self.client.add_group_member(change.group_id, change.user_id)
            else:
                self.client.remove_group_member(change.group_id, change.user_id)
        except Abandoned as exc:
            status: Status = "unknown" if exc.reached else "not sent"
            return self._member_outcome(change, status, exc.detail)
        except ApiError as exc:
            if exc.status == 401 and exc.method in _WRITES:
                self.stop.set("credential")
            status = "unknown" if exc.reached else "failed"
            lines = [f"{name}: {message}" for name, message in sorted(exc.field_errors.items())]
            hint = _member_hint(exc)
            if hint:
                lines.append(f"hint: {hint}")
            return self._member_outcome(change, status, exc.message, lines)
        except Exception as exc:  # a bug of ours: still this change's outcome, never a crash
            detail = f"unexpected {type(exc).__name__}: {exc} (a numbersync bug; please report it)"
            return self._member_outcome(change, "unknown", detail)
        return self._member_outcome(change, "applied")

    def _changed_since_read(self, change: NumberChange) -> Outcome | None:
        """The number read again: an outcome when it must not be written (Close changed it since
        the plan read it, or it could not be read), else None."""
        try:
            current = self.client.get_phone_number(change.id)
        except Abandoned:
            return Outcome(change, "not sent", self._not_sent_reason())
        except ApiError as exc:
            detail = f"not sent: reading it again before writing failed: {exc.message}"
            return Outcome(change, "failed", detail)
        if current.id != change.id:
            detail = f"not sent: read again, Close answered for another number ({current.id})"
            return Outcome(change, "failed", detail)
        found = drifted(change, current)
        return Outcome(change, "failed", CHANGED_SINCE_READ, tuple(found)) if found else None

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
        if change.owner and exc.status in _REFUSAL_STATUSES and not exc.field_errors:
            # Close refuses a teammate's personal number whatever the permission, as a 403, a
            # 400 or a 404 (it documents none): the plan's mark says why.
            owner = self.emails.get(change.owner, change.owner)
            lines.append(
                f"hint: this is the personal number of {owner}, and Close lets only its owner "
                "change it; leave it out of the file, or let its owner apply it"
            )
        elif exc.hint:
            lines.append(f"hint: {exc.hint}")
        return lines
