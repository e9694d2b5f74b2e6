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
from numbersync.escape import escape
from numbersync.models import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    import threading

    from numbersync.apply import ApplyReport, Outcome
    from numbersync.close import CloseClient
    from numbersync.fetch import Account
    from numbersync.models import DesiredNumber, DesiredState
    from numbersync.plan import Plan
    from numbersync.stopping import Stop

F = TypeVar("F", bound=Callable[..., Any])


def _fail(exc: NumbersyncError) -> None:
    if isinstance(exc, InputError):
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
    # Messages quote servers and files: each line is escaped, so none can forge another.
    click.echo(escape(f"Error: {exc.message}"), err=True)
    for line in exc.details:
        click.echo(escape(f"  {line}"), err=True)
    if isinstance(exc, ApiError):
        for name, message in sorted(exc.field_errors.items()):
            click.echo(escape(f"  {name}: {message}"), err=True)
    if exc.hint:
        click.echo(escape(f"Hint: {exc.hint}"), err=True)
    sys.exit(exc.exit_code)


def _quiet_broken_pipe() -> None:
    """The reader went away (`numbersync plan | head -1`): stop without a word. Python's advice:
    point stdout at /dev/null so that flushing it at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)


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
            sys.exit(130)
        except BrokenPipeError:
            _quiet_broken_pipe()
        except Exception as exc:  # a bug of ours: still no traceback for the user
            click.echo(escape(f"Error: unexpected {type(exc).__name__}: {exc}"), err=True)
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
    metavar="FILE|DIR",
    help="The desired-state file, or a directory of them (every *.yaml/*.yml below it).",
)
target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NUMBER|PATH",
    help="Only this number (any format, or its phon_ id), or every number of this config file "
    "or directory; repeatable.",
)
exclude_option = click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="NUMBER|PATH",
    help="Leave out this number (any format, or its phon_ id), or every number of this config "
    "file or directory; repeatable.",
)

format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for terminals, markdown for pull-request comments, json for machines.",
)
concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(1, 16),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Requests in flight at once: list pages read, numbers updated (paced to Close's rate "
    "limits either way).",
)


@contextmanager
def close_client(concurrency: int = DEFAULT_CONCURRENCY) -> Iterator[CloseClient]:
    from numbersync.close import CloseClient, Settings

    with CloseClient(Settings.from_env(os.environ), concurrency=concurrency) as client:
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
    """Check the desired-state file (or directory) offline: schema, numbers, limits. No network."""
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
        files = len(state.files)
        where = f" in {files} file{'s' if files != 1 else ''}" if os.path.isdir(config_path) else ""
        click.echo(f"OK: {count} number{'s' if count != 1 else ''}{where}")


def make_plan(
    client: CloseClient,
    state: DesiredState,
    targets: tuple[str, ...] = (),
    excludes: tuple[str, ...] = (),
) -> tuple[Plan, Account]:
    from numbersync.fetch import fetch_for_plan
    from numbersync.plan import build_plan

    account = fetch_for_plan(client, state)
    plan = build_plan(
        state,
        account.numbers,
        account.directory,
        me=account.me,
        targets=targets,
        excludes=excludes,
    )
    return plan, account


@main.command()
@config_option
@click.option("--out", "out_path", metavar="PLANFILE", help="Also save the plan (JSON) for apply.")
@format_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none, 1 on error.",
)
@target_option
@exclude_option
@click.option("--show-unmanaged", is_flag=True, help="List the numbers the file does not manage.")
@concurrency_option
@verbose_option
@reports_errors
def plan(
    config_path: str,
    out_path: str | None,
    output_format: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    show_unmanaged: bool,
    concurrency: int,
) -> None:
    """Fetch the live numbers, diff them against the file, and print the plan. Writes nothing."""
    from numbersync import config, render
    from numbersync.output import write_atomic

    state = config.load(config_path)
    with close_client(concurrency) as client:
        result, _ = make_plan(client, state, targets, excludes)
    if out_path:
        write_atomic(out_path, render.render_json(result))
    _print_plan(result, output_format, show_unmanaged=show_unmanaged)
    if detailed_exitcode and result.has_changes:
        sys.exit(2)


def _print_plan(plan: Plan, output_format: str, *, show_unmanaged: bool = False) -> None:
    from numbersync import render
    from numbersync.output import use_color

    if output_format == "json":
        click.echo(render.render_json(plan), nl=False)
    elif output_format == "markdown":
        click.echo(render.render_markdown(plan))
    else:
        text = render.render_text(plan, color=use_color(), show_unmanaged=show_unmanaged)
        click.echo(text, nl=False)


@main.command()
@click.argument("planfile")
@format_option
@click.option("--show-unmanaged", is_flag=True, help="List the numbers the plan left alone.")
@reports_errors
def show(planfile: str, output_format: str, show_unmanaged: bool) -> None:
    """Render a saved plan (`plan --out PLANFILE`) again, offline: what a reviewer or the job
    that applies it reads."""
    from numbersync.planfile import read_plan

    _print_plan(read_plan(planfile), output_format, show_unmanaged=show_unmanaged)


@main.command()
@click.option(
    "-o",
    "--output",
    "output_path",
    metavar="FILE|DIR",
    help="Write to FILE instead of stdout (with --split-by: into the new directory DIR), and "
    "point its modeline at a numbersync.schema.json there or above (written beside it if none).",
)
@click.option(
    "--split-by",
    type=click.Choice(["group"]),
    help="Write a directory: a root numbersync.yaml with shared defaults, and one file per "
    "first participant group.",
)
@concurrency_option
@verbose_option
@reports_errors
def export(output_path: str | None, split_by: str | None, concurrency: int) -> None:
    """Write the account's current settings as a numbers.yaml (or a directory) that plans clean."""
    from numbersync.export import Export, write_tree
    from numbersync.fetch import fetch_everything
    from numbersync.modeline import SCHEMA_FILE, find_schema, relative_to, write_schema
    from numbersync.output import write_atomic

    if split_by and not output_path:
        raise click.UsageError("--split-by writes a directory: give it with -o DIR")
    with close_client(concurrency) as client:
        account = fetch_everything(client)
    exported = Export(account.numbers, account.directory)
    source, when, count = client.settings.api_url, _now(), len(account.numbers)
    if not output_path:
        # Only a schema file in the current directory can be named: where stdout goes is unknown.
        schema = SCHEMA_FILE if os.path.isfile(SCHEMA_FILE) else None
        click.echo(exported.yaml(source=source, when=when, schema=schema), nl=False)
        _say_warnings(exported.warnings)
        return
    # The schema beside the output: the file's directory, or the one holding DIR.
    found = find_schema(os.path.dirname(os.path.abspath(output_path)))
    if split_by:
        schema = relative_to(found.path, output_path)
        files = exported.tree(source=source, when=when, schema=schema)
        write_tree(output_path, files)
        written = f"{count} numbers to {len(files)} files in {output_path}"
    else:
        schema = relative_to(found.path, os.path.dirname(os.path.abspath(output_path)))
        write_atomic(output_path, exported.yaml(source=source, when=when, schema=schema))
        written = f"{count} numbers to {output_path}"
    click.echo(escape(f"Wrote {written}"), err=True)
    if not found.exists:
        write_schema(found.path)
        shown = os.path.join(os.path.dirname(output_path.rstrip("/" + os.sep)), SCHEMA_FILE)
        click.echo(
            escape(f"Wrote the schema to {shown}, for editors (the modeline points at it)"),
            err=True,
        )
    _say_warnings(exported.warnings)


def _say_warnings(warnings: tuple[str, ...]) -> None:
    for warning in warnings:
        click.echo(escape(f"Warning: {warning}"), err=True)


@main.command()
@click.argument("directory", default=".", metavar="[DIR]")
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab"]),
    help="Also write the CI recipes: GitHub Actions workflows, or a .gitlab-ci.yml.",
)
@click.option(
    "--split-by",
    type=click.Choice(["group"]),
    help="Write the directory numbers/ (one file per first participant group) instead of "
    "numbers.yaml.",
)
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@concurrency_option
@verbose_option
@reports_errors
def init(
    directory: str, ci: str | None, split_by: str | None, force: bool, concurrency: int
) -> None:
    """Start a repository from the live account: the numbers, the schema, CI and pre-commit."""
    from numbersync import scaffold
    from numbersync.export import Export, write_files
    from numbersync.fetch import fetch_everything

    layout = scaffold.Layout(split=bool(split_by), ci=ci)
    # Refused before reading the account, and again once its files are known (a directory's).
    scaffold.refuse_existing(directory, layout, force=force)
    with close_client(concurrency) as client:
        account = fetch_everything(client)
    exported = Export(account.numbers, account.directory)
    files = scaffold.files(exported, layout, source=client.settings.api_url, when=_now())
    scaffold.refuse_existing(directory, layout, force=force, written=files)
    write_files(directory, files)
    for line in scaffold.summary(directory, files, layout, len(account.numbers)):
        click.echo(escape(line))
    _say_warnings(exported.warnings)


@main.command()
@click.argument("number")
@config_option
@click.option("--live", is_flag=True, help="Also show the value Close has now (needs a key).")
@verbose_option
@reports_errors
def explain(number: str, config_path: str, live: bool) -> None:
    """Show where each managed field of NUMBER gets its value: FILE:LINE and which layer."""
    from numbersync import config
    from numbersync.errors import UsageError
    from numbersync.explain import find, live_of, render_explain

    state = config.load(config_path)
    if not live:
        click.echo(render_explain(find(state, number)), nl=False)
        return
    desired: DesiredNumber | None
    try:
        desired = find(state, number)
    except UsageError:
        desired = None  # the config may name it by its phon_ id: Close's list has both
    with close_client() as client:
        numbers = client.list_phone_numbers(list(desired.fields) if desired else None)
    desired = desired or find(state, number, numbers)
    click.echo(render_explain(desired, live_of(desired, numbers)), nl=False)


@main.command()
@click.argument("planfile", required=False)
@config_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--force", is_flag=True, help="Apply even when the safety rails refuse the plan.")
@target_option
@exclude_option
@concurrency_option
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
    config_path: str,
    auto_approve: bool,
    force: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    concurrency: int,
    report_path: str | None,
) -> None:
    """Show the plan, ask for confirmation, and apply it; or apply a saved PLANFILE.

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
                plan, live, state = check_saved_plan(client, saved, targets, excludes)
        else:
            state = config.load(config_path)
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
        write_atomic(path, render_report_json(report, plan, finished_at=_now(), refused=refused))


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


@main.command()
@click.option(
    "-o", "--output", "output_path", metavar="FILE", help="Write to FILE instead of stdout."
)
@reports_errors
def schema(output_path: str | None) -> None:
    """Print the JSON Schema this version validates with, for editors (offline)."""
    from numbersync.output import write_atomic
    from numbersync.resources import shipped_text

    text = shipped_text("schemas/numbersync.schema.json")
    if output_path:
        write_atomic(output_path, text)
        click.echo(f"Wrote the schema to {output_path}", err=True)
    else:
        click.echo(text, nl=False)


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
