"""The command line: parse options, build dependencies, call the core, map errors to exit codes.

Nothing here decides anything about numbers; heavy modules are imported inside the commands that
need them so that `--help` and `validate` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

from numbersync import __version__
from numbersync.errors import ApiError, InputError, NumbersyncError
from numbersync.models import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    import threading

    from numbersync.apply import Outcome
    from numbersync.close import CloseClient
    from numbersync.fetch import Account
    from numbersync.models import DesiredState
    from numbersync.plan import Plan

F = TypeVar("F", bound=Callable[..., Any])


def _fail(exc: NumbersyncError) -> None:
    if isinstance(exc, InputError):
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
    click.echo(f"Error: {exc.message}", err=True)
    if isinstance(exc, ApiError):
        for name, message in sorted(exc.field_errors.items()):
            click.echo(f"  {name}: {message}", err=True)
    if exc.hint:
        click.echo(f"Hint: {exc.hint}", err=True)
    sys.exit(exc.exit_code)


def reports_errors(func: F) -> F:
    """Turn numbersync's errors into their message on stderr and exit code, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except NumbersyncError as exc:
            _fail(exc)
        except (click.ClickException, click.exceptions.Abort):
            raise  # usage errors and an aborted prompt: NumbersyncGroup.main reports them
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(1)
        except Exception as exc:  # a bug of ours: still no traceback for the user
            click.echo(f"Error: unexpected {type(exc).__name__}: {exc}", err=True)
            click.echo("Hint: this is a numbersync bug; please report it.", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


class NumbersyncGroup(click.Group):
    """Exit 1 for usage errors too (click says 2), so that `2` always means "changes present"."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    # Accepted before and after the command name; counts add up (`-v plan -v` is -vv).
    root = ctx.find_root()
    total = root.meta.get("numbersync.verbosity", 0) + value
    root.meta["numbersync.verbosity"] = total
    if value:
        from numbersync.close import configure_logging

        configure_logging(total)


verbose_option = click.option(
    "-v",
    "--verbose",
    count=True,
    expose_value=False,
    callback=_set_verbosity,
    help="Log each API request to stderr (-vv: with rate-limit headers).",
)


@click.group(cls=NumbersyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="numbersync")
@verbose_option
def main() -> None:
    """Keep the settings of your Close phone numbers in Git: validate, plan, apply, export."""


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    default="numbers.yaml",
    show_default=True,
    metavar="FILE",
    help="The desired-state file.",
)
target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NUMBER",
    help="Only this number (any format, or its phon_ id); repeatable.",
)


@contextmanager
def close_client() -> Iterator[CloseClient]:
    from numbersync.close import CloseClient, Settings

    with CloseClient(Settings.from_env(os.environ)) as client:
        yield client


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@main.command()
@config_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints the number count and the config's fingerprint, which saved plans carry.",
)
@reports_errors
def validate(config_path: str, output_format: str) -> None:
    """Check the desired-state file offline: schema, numbers, limits. No network."""
    import json

    from numbersync import config

    state = config.load(config_path)
    count = len(state.numbers)
    if output_format == "json":
        # CI compares the fingerprint with a saved plan's `config.fingerprint` to know whether the
        # plan was made from exactly this config. Errors still go to stderr, with exit 1.
        summary = {"ok": True, "numbers": count, "fingerprint": state.fingerprint}
        click.echo(json.dumps(summary))
    else:
        click.echo(f"OK: {count} number{'s' if count != 1 else ''}")


def make_plan(
    client: CloseClient, state: DesiredState, targets: tuple[str, ...]
) -> tuple[Plan, Account]:
    from numbersync.fetch import fetch_for_plan
    from numbersync.plan import build_plan

    account = fetch_for_plan(client, state)
    plan = build_plan(state, account.numbers, account.directory, me=account.me, targets=targets)
    return plan, account


@main.command()
@config_option
@click.option("--out", "out_path", metavar="PLANFILE", help="Also save the plan (JSON) for apply.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for terminals, markdown for pull-request comments, json for machines.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none, 1 on error.",
)
@target_option
@click.option("--show-unmanaged", is_flag=True, help="List the numbers the file does not manage.")
@verbose_option
@reports_errors
def plan(
    config_path: str,
    out_path: str | None,
    output_format: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    show_unmanaged: bool,
) -> None:
    """Fetch the live numbers, diff them against the file, and print the plan. Writes nothing."""
    from numbersync import config, render
    from numbersync.output import use_color, write_atomic

    state = config.load(config_path)
    with close_client() as client:
        result, _ = make_plan(client, state, targets)
    if out_path:
        write_atomic(out_path, render.render_json(result))
    if output_format == "json":
        click.echo(render.render_json(result), nl=False)
    elif output_format == "markdown":
        click.echo(render.render_markdown(result))
    else:
        text = render.render_text(result, color=use_color(), show_unmanaged=show_unmanaged)
        click.echo(text, nl=False)
    if detailed_exitcode and result.has_changes:
        sys.exit(2)


@main.command()
@click.option(
    "-o", "--output", "output_path", metavar="FILE", help="Write to FILE instead of stdout."
)
@verbose_option
@reports_errors
def export(output_path: str | None) -> None:
    """Write the account's current settings as a numbers.yaml that plans clean."""
    from numbersync.export import export_yaml
    from numbersync.fetch import fetch_everything
    from numbersync.output import write_atomic

    with close_client() as client:
        account = fetch_everything(client)
    text = export_yaml(
        account.numbers,
        account.directory,
        source=client.settings.api_url,
        when=_now(),
    )
    if output_path:
        write_atomic(output_path, text)
        click.echo(f"Wrote {len(account.numbers)} numbers to {output_path}", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("planfile", required=False)
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Apply even when the safety rails refuse the plan.")
@target_option
@click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="How many numbers are updated at once (the client still paces to the rate limit).",
)
@verbose_option
@click.pass_context
@reports_errors
def apply(
    ctx: click.Context,
    planfile: str | None,
    config_path: str,
    auto_approve: bool,
    force: bool,
    targets: tuple[str, ...],
    concurrency: int,
) -> None:
    """Show the plan, ask for confirmation, and apply it; or apply a saved PLANFILE.

    A saved plan was reviewed already, so it is applied without asking again, but only if every
    value it saw is still what Close has: a stale plan is refused whole, writing nothing.
    """
    from numbersync import config, render
    from numbersync.apply import Applier, check_saved_plan, refuse_if_unsafe
    from numbersync.output import use_color
    from numbersync.planfile import read_plan

    if planfile and ctx.get_parameter_source("config_path") != click.core.ParameterSource.DEFAULT:
        raise click.UsageError("give either -c FILE or a PLANFILE, not both")
    with close_client() as client:
        if planfile:
            plan, live, state = check_saved_plan(client, read_plan(planfile), targets)
        else:
            state = config.load(config_path)
            plan, account = make_plan(client, state, targets)
            live = {n.id: n for n in account.numbers}
        click.echo(render.render_text(plan, color=use_color()), nl=False)
        if not plan.has_changes:
            return
        refuse_if_unsafe(plan, live, plan.safety, force=force)
        if not planfile:
            _confirm(auto_approve)
        applier = Applier(client, state, concurrency, progress=_progress_printer())
        with _stop_on_signals(applier.stop):
            report = applier.run(plan.changes)
    click.echo(render.render_report(report), nl=False)
    if not report.ok:
        sys.exit(1)


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


def _progress_printer() -> Callable[[int, int, Outcome], None]:
    from numbersync import phone

    on_terminal = sys.stderr.isatty()

    def show(done: int, total: int, outcome: Outcome) -> None:
        if on_terminal:
            width = 30
            filled = width * done // total
            bar = "#" * filled + "." * (width - filled)
            click.echo(f"\rApplying [{bar}] {done}/{total}", err=True, nl=done == total)
        else:
            number = phone.display(outcome.change.number)
            click.echo(f"[{done}/{total}] {number}: {outcome.status}", err=True)

    return show


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C, or SIGTERM (how CI cancels a job): no new PUT starts, the requests in flight
    finish, and the report says what was applied; a second signal interrupts at once.

    The first signal only sets `stop`: a KeyboardInterrupt raised inside concurrent.futures'
    wait() can break a future's lock ("release unlocked lock"), and then every remaining PUT
    was sent with no report.
    """
    import signal

    def interrupt(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@main.command()
@reports_errors
def demo() -> None:
    """Start the emulator with sample data and walk through validate, plan, apply, re-plan."""
    from numbersync.demo import run_demo

    sys.exit(run_demo(click.echo))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to bind.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help="Port to bind (default: a free one)."
)
@click.option(
    "--seed",
    "seed_path",
    metavar="FILE",
    help="Seed YAML: users, groups, keys, numbers (default: examples/emulator-seed.yaml).",
)
@click.option(
    "--latency", type=click.FloatRange(min=0), metavar="S", help="Seconds added to every response."
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    metavar="X",
    help="Share of requests (0..1) answered with a 5xx.",
)
@click.option(
    "--rate-limit", metavar="N/S", help="Allow N requests per S seconds per key and endpoint group."
)
@reports_errors
def emulator(
    host: str,
    port: int,
    seed_path: str | None,
    latency: float | None,
    error_rate: float | None,
    rate_limit: str | None,
) -> None:
    """Run the local Close API emulator until Ctrl-C, printing the exports to paste first."""
    from numbersync.emulator.serve import serve

    serve(
        host=host,
        port=port,
        seed=seed_path,
        latency=latency,
        error_rate=error_rate,
        rate_limit=rate_limit,
    )
