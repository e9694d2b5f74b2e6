"""`apply`: the plan (fresh from the file, or a saved one verified against its config and Close),
the safety rails, confirmation, the applier with stopping on signals, and the report (and
`--report`, written however apply ends)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NoReturn

import click

from numbersync.cli.common import (
    CLOSE_ENV,
    apply_concurrency_option,
    close_client,
    config_option,
    epilog,
    exclude_option,
    make_plan,
    now,
    reports_errors,
    resolve_config,
    target_option,
    timeout_option,
    within_timeout,
)
from numbersync.cli.options import verbose_option
from numbersync.escape import escape

if TYPE_CHECKING:
    from numbersync.apply import ApplyReport, MemberOutcome, Outcome
    from numbersync.plan import Plan
    from numbersync.stopping import Stop


@click.command(
    epilog=epilog(
        f"{CLOSE_ENV}, NO_COLOR",
        "0 every change applied and verified (or none to make); 1 an error, a refusal, or any "
        "number not applied; 130/143 interrupted (Ctrl-C/SIGTERM)",
    )
)
@click.argument("planfile", required=False)
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Apply even when the safety rails refuse the plan.")
@target_option
@exclude_option
@apply_concurrency_option
@click.option(
    "--report",
    "report_path",
    metavar="FILE",
    help="Also write each number's outcome as JSON (written however the apply ends: failed, "
    "refused, interrupted, even before the plan was made); - writes it to stdout, and the rest "
    "to stderr. A read-only FILE is refused before anything is sent (--force is about the safety "
    "rails only).",
)
@click.option(
    "--unverified-plan",
    is_flag=True,
    help="Apply a saved PLANFILE even when the config it was made from is not here to verify it "
    "against (said loudly on stderr and in the report).",
)
@timeout_option
@verbose_option
@click.pass_context
@reports_errors
def apply(
    ctx: click.Context,
    planfile: str | None,
    config_path: str | None,
    auto_approve: bool,
    force: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    concurrency: int,
    report_path: str | None,
    unverified_plan: bool,
    timeout: float | None,
) -> None:
    """Apply the changes: from the file, or a saved PLANFILE. Shows the plan, asks first.

    A saved plan was reviewed already, so it is applied without asking again, but only once
    verified against the config it was made from (-c, else the path it records, with the plan's
    fingerprint) and if every value it saw is still what Close has: otherwise it is refused
    whole, writing nothing.
    """
    from numbersync import render
    from numbersync.apply import Applier, ApplyReport, refuse_if_unsafe
    from numbersync.config import load as load_config
    from numbersync.output import check_target, is_stdout, use_color
    from numbersync.report import render_report
    from numbersync.safety import judge
    from numbersync.savedplan.check import check_saved_plan
    from numbersync.savedplan.read import read_plan
    from numbersync.stopping import Stop

    given = ctx.get_parameter_source("config_path") != click.core.ParameterSource.DEFAULT
    if unverified_plan and not planfile:
        raise click.UsageError("--unverified-plan is for a saved PLANFILE")
    # The config a fresh plan is made from; with a PLANFILE, the one given to check it against.
    config = resolve_config(config_path) if not planfile else config_path if given else None
    # The report must be writable before anything is sent: after the PUTs is too late to learn
    # that the audit record cannot be kept.
    if report_path:
        check_target(report_path, forcible=False)
    to_err = is_stdout(report_path or "")  # stdout carries the report
    record = _Record(report_path, config or "", to_err)
    # The deadline counts from here, a confirmation prompt included: CI answers none.
    stop = Stop.after(timeout)
    doing = "reading Close; nothing was sent"
    abandon = threading.Event()
    with close_client(concurrency, stop) as client, _stop_on_signals(client.stop, abandon):
        with record.until_applying(client.stop):
            read_at = time.monotonic()  # the plan's live values are no older than this
            unverified = None
            if planfile:
                record.plan = read_plan(planfile)
                saved = record.plan
                checked = within_timeout(
                    stop,
                    timeout,
                    doing,
                    lambda: check_saved_plan(
                        client,
                        saved,
                        config_path=config,
                        targets=targets,
                        excludes=excludes,
                        unverified_ok=unverified_plan,
                        warn=lambda line: click.echo(escape(f"Warning: {line}"), err=True),
                        planfile=planfile,
                    ),
                )
                plan, live, state = checked.plan, checked.live, checked.state
                unverified = checked.unverified
            else:
                state = load_config(resolve_config(config))
                record.fingerprint = state.fingerprint
                plan, account = within_timeout(
                    stop, timeout, doing, make_plan, client, state, targets, excludes
                )
                live = {n.id: n for n in account.numbers}
            # The same judgment `plan` printed, made again on what Close has now.
            plan = replace(plan, verdict=judge(plan, live))
            record.plan = plan
            color = use_color(sys.stderr if to_err else sys.stdout)
            click.echo(render.render_text(plan, color=color), nl=False, err=to_err)
            if not plan.has_changes and not plan.groups:
                record.save(ApplyReport((), unverified=unverified))
                return
            refuse_if_unsafe(plan, force=force)
            if not planfile:
                _confirm(auto_approve, client.stop, err=to_err)
        applier = Applier(
            client,
            state,
            concurrency,
            progress=_progress(),
            abandon=abandon,
            read_at=read_at,
            emails=plan.emails,
        )
        report = replace(applier.run(plan.changes, plan.groups), unverified=unverified)
    # Requests still hanging after a stop are left to their (daemon) worker threads: closing
    # the client closes their sockets, and the process does not wait for them.
    record.save(report)
    click.echo(render_report(report), nl=False, err=to_err)
    sys.exit(report.exit_code)


@dataclass
class _Record:
    """What `--report FILE` keeps, however apply ends: before the plan is known, no numbers and
    `planned: false`; after, every number of the plan, not sent unless the applier got to it."""

    path: str | None
    config_path: str
    to_err: bool = False  # the report JSON goes to stdout, so everything else to stderr
    fingerprint: str = ""
    plan: Plan | None = None

    def save(
        self, report: ApplyReport, *, refused: str | None = None, error: str | None = None
    ) -> None:
        from numbersync.output import write_output
        from numbersync.plan import Plan
        from numbersync.report import render_report_json

        if not self.path:
            return
        plan = self.plan or Plan(
            (), (), (), config_path=self.config_path, fingerprint=self.fingerprint
        )
        text = render_report_json(
            report,
            plan,
            finished_at=now(),
            refused=refused,
            error=error,
            planned=self.plan is not None,
        )
        write_output(self.path, text, forcible=False)

    def not_sent(self, why: str, stopped: str | None = None) -> ApplyReport:
        from numbersync.apply import ApplyReport, MemberOutcome, Outcome

        changes = self.plan.changes if self.plan else ()
        emails = self.plan.emails if self.plan else {}
        members = tuple(
            MemberOutcome(op, "not sent", why, user=emails.get(op.user_id, op.user_id))
            for group in (self.plan.groups if self.plan else ())
            for op in group.ops
        )
        outcomes = tuple(Outcome(c, "not sent", why) for c in changes)
        return ApplyReport(outcomes, stopped, groups=members)

    @contextmanager
    def until_applying(self, stop: Stop) -> Iterator[None]:
        """Whatever ends apply before it writes leaves its record: a refusal (unsafe, stale,
        unverified, not confirmed), an error (Close rejecting the credential, a file that does
        not load), or a signal, which also prints the report and exits 130 or 143."""
        from numbersync.errors import ApiError, NumbersyncError, RefusedError
        from numbersync.stopping import TIMEOUT

        try:
            yield
        except (Exception, KeyboardInterrupt) as exc:
            if stop.reason in ("SIGINT", "SIGTERM"):
                self._interrupted(stop.reason)
            if isinstance(exc, RefusedError):
                self.save(self.not_sent("refused: " + exc.message), refused=exc.message)
                raise
            if isinstance(exc, ApiError) and exc.status == 401:
                report = self.not_sent("Close had rejected the credential", "credential")
            elif stop.reason == TIMEOUT:
                report = self.not_sent("--timeout was reached before it was sent", TIMEOUT)
            else:
                report = self.not_sent("apply ended before it was sent")
            if isinstance(exc, NumbersyncError):
                error = exc.message
            else:
                error = f"unexpected {type(exc).__name__}: {exc}"
            self.save(report, error=error)
            raise

    def _interrupted(self, reason: str) -> NoReturn:
        from numbersync.report import render_report

        report = self.not_sent("interrupted before it was sent", reason)
        self.save(report)
        if self.plan is None:
            click.echo("Interrupted before the plan was made: nothing was sent.", err=self.to_err)
        else:
            click.echo(render_report(report), nl=False, err=self.to_err)
        sys.exit(report.exit_code)


def _confirm(auto_approve: bool, stop: Stop, *, err: bool = False) -> None:
    from numbersync.errors import RefusedError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise RefusedError(
            "refusing to apply without confirmation: standard input is not a terminal",
            hint="review the plan, then pass --auto-approve (for CI) to apply it",
        )
    with _ending_the_prompt(stop):
        answer = click.prompt(
            "Apply these changes? Only 'yes' will be accepted",
            default="",
            show_default=False,
            err=err,
        )
    if answer != "yes":
        raise RefusedError("Apply cancelled.")


def _progress() -> Callable[[int, int, Outcome | MemberOutcome], None]:
    from numbersync.report import Progress

    return Progress(sys.stderr, terminal=sys.stderr.isatty())


@contextmanager
def _on_signals(handler: Callable[[int, Any], None]) -> Iterator[None]:
    """`handler` for SIGINT and SIGTERM while the block runs; the previous handlers after."""
    import signal

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)


def _stop_on_signals(stop: Stop, abandon: threading.Event) -> AbstractContextManager[None]:
    """Ctrl-C, or SIGTERM (how CI cancels a job): the first starts no new request and ends every
    wait, for a read, a retry or the rate limit, and the requests in flight get a few seconds; a
    second one stops waiting for them, so that the report is on screen before CI's SIGKILL
    (GitHub sends SIGINT, SIGTERM 7.5 s later, SIGKILL at 10 s).

    The handlers only set flags: a KeyboardInterrupt raised inside a waiting thread primitive can
    break its lock, and then the report is lost.
    """
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        if not stop.set(signal.Signals(signum).name):
            abandon.set()

    return _on_signals(interrupt)


def _ending_the_prompt(stop: Stop) -> AbstractContextManager[None]:
    """At the confirmation prompt a signal ends the prompt too: a flag cannot end a read from
    the terminal, and no thread primitive is waiting there to break."""
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        stop.set(signal.Signals(signum).name)
        raise KeyboardInterrupt

    return _on_signals(interrupt)
