"""`apply`: the plan (fresh from the file, or a saved one re-checked against Close), the safety
rails, confirmation, the applier with stopping on signals, and the report (and `--report`)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from numbersync.cli import verbose_option
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
)
from numbersync.escape import escape

if TYPE_CHECKING:
    from numbersync.apply import ApplyReport, Outcome
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
    help="Also write each number's outcome as JSON (written when the apply fails, is refused or "
    "is interrupted too).",
)
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
) -> None:
    """Apply the changes: from the file, or a saved PLANFILE. Shows the plan, asks first.

    A saved plan was reviewed already, so it is applied without asking again, but only if every
    value it saw is still what Close has: a stale plan is refused whole, writing nothing.
    """
    from numbersync import config, render
    from numbersync.apply import Applier, ApplyReport, check_saved_plan, refuse_if_unsafe
    from numbersync.output import use_color
    from numbersync.planfile import read_plan
    from numbersync.report import render_report

    if planfile and ctx.get_parameter_source("config_path") != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("give either -c FILE or a PLANFILE, not both")
    with close_client(concurrency) as client:
        if planfile:
            saved = read_plan(planfile)
            with _report_refusal(report_path, saved):
                plan, live, state = check_saved_plan(
                    client,
                    saved,
                    targets,
                    excludes,
                    note=lambda line: click.echo(escape(line), err=True),
                )
        else:
            state = config.load(resolve_config(config_path))
            plan, account = make_plan(client, state, targets, excludes)
            live = {n.id: n for n in account.numbers}
        click.echo(render.render_text(plan, color=use_color()), nl=False)
        if not plan.has_changes:
            _save_report(report_path, ApplyReport(()), plan)
            return
        with _report_refusal(report_path, plan):
            refuse_if_unsafe(plan, live, plan.safety, force=force)
            if not planfile:
                _confirm(auto_approve)
        applier = Applier(client, state, concurrency, progress=_progress())
        with _stop_on_signals(client.stop, applier.abandon):
            report = applier.run(plan.changes)
    # Requests still hanging after a stop are left to their (daemon) worker threads: closing
    # the client closes their sockets, and the process does not wait for them.
    _save_report(report_path, report, plan)
    click.echo(render_report(report), nl=False)
    sys.exit(report.exit_code)


def _save_report(
    path: str | None, report: ApplyReport, plan: Plan, refused: str | None = None
) -> None:
    from numbersync.output import write_atomic
    from numbersync.report import render_report_json

    if path:
        write_atomic(path, render_report_json(report, plan, finished_at=now(), refused=refused))


@contextmanager
def _report_refusal(path: str | None, plan: Plan) -> Iterator[None]:
    """A refused plan (unsafe, stale, not confirmed) still leaves its audit record: every number
    not sent, and why."""
    from numbersync.apply import ApplyReport, Outcome
    from numbersync.errors import RefusedError

    try:
        yield
    except RefusedError as exc:
        outcomes = tuple(Outcome(c, "not sent", "refused: " + exc.message) for c in plan.changes)
        _save_report(path, ApplyReport(outcomes), plan, refused=exc.message)
        raise


def _confirm(auto_approve: bool) -> None:
    from numbersync.errors import RefusedError

    if auto_approve:
        return
    if not sys.stdin.isatty():
        raise RefusedError(
            "refusing to apply without confirmation: standard input is not a terminal",
            hint="review the plan, then pass --auto-approve (for CI) to apply it",
        )
    answer = click.prompt(
        "Apply these changes? Only 'yes' will be accepted", default="", show_default=False
    )
    if answer != "yes":
        raise RefusedError("Apply cancelled.")


def _progress() -> Callable[[int, int, Outcome], None]:
    from numbersync.report import Progress

    return Progress(sys.stderr, terminal=sys.stderr.isatty())


@contextmanager
def _stop_on_signals(stop: Stop, abandon: threading.Event) -> Iterator[None]:
    """Ctrl-C, or SIGTERM (how CI cancels a job): the first starts no new PUT and ends every
    wait between retries, and the requests in flight get a few seconds; a second one stops
    waiting for them, so that the report is on screen before CI's SIGKILL (GitHub sends SIGINT,
    SIGTERM 7.5 s later, SIGKILL at 10 s).

    The handlers only set flags: a KeyboardInterrupt raised inside a waiting thread primitive can
    break its lock, and then the report is lost.
    """
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        if not stop.set(signal.Signals(signum).name):
            abandon.set()

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
