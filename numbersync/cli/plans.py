"""`plan` (fetch, diff, print; writes nothing to Close) and `show` (a saved plan, again)."""

from __future__ import annotations

import shlex
import sys

import click

from numbersync.cli.common import (
    CLOSE_ENV,
    close_client,
    concurrency_option,
    config_option,
    epilog,
    exclude_option,
    format_option,
    make_plan,
    print_plan,
    reports_errors,
    resolve_config,
    target_option,
    timeout_option,
    within_timeout,
)
from numbersync.cli.options import verbose_option
from numbersync.escape import escape


@click.command(
    epilog=epilog(
        f"{CLOSE_ENV}, NO_COLOR",
        "0 success (with --detailed-exitcode: no changes); 2 with --detailed-exitcode, success "
        "and changes present; 1 an error",
    )
)
@config_option
@click.option(
    "--out",
    "out_path",
    metavar="PLANFILE",
    help="Also save the plan (JSON) for apply; - writes it to stdout, and the rendered plan to "
    "stderr.",
)
@click.option("--force", is_flag=True, help="Replace PLANFILE even when it is read-only.")
@format_option
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes, 0 when there are none, 1 on error.",
)
@target_option
@exclude_option
@click.option("--show-unmanaged", is_flag=True, help="List the numbers the file does not manage.")
@click.option(
    "--base",
    "base_ref",
    metavar="REF|PATH",
    help="Also list what the config no longer manages compared with an earlier config, and the "
    "value Close keeps: a file or directory, else a Git ref at which the config's path is read "
    "(e.g. origin/main).",
)
@concurrency_option
@timeout_option
@verbose_option
@reports_errors
def plan(
    config_path: str | None,
    out_path: str | None,
    force: bool,
    output_format: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    excludes: tuple[str, ...],
    show_unmanaged: bool,
    base_ref: str | None,
    concurrency: int,
    timeout: float | None,
) -> None:
    """Fetch the live numbers and print what would change: the plan. Writes nothing to Close."""
    from numbersync import config, render
    from numbersync.base import load_base
    from numbersync.output import check_target, is_stdout, write_output
    from numbersync.stopping import Stop

    config_path = resolve_config(config_path)
    stop = Stop.after(timeout)
    state = config.load(config_path)
    base = load_base(base_ref, config_path) if base_ref is not None else None
    if out_path:
        check_target(out_path, force=force)  # before reading Close, not after
    with close_client(concurrency, stop) as client:
        result, _ = within_timeout(
            stop, timeout, "reading Close", make_plan, client, state, targets, excludes, base
        )
    if out_path:
        write_output(out_path, render.render_json(result), force=force)
    print_plan(
        result,
        output_format,
        show_unmanaged=show_unmanaged,
        err=is_stdout(out_path or ""),
    )
    if out_path and not is_stdout(out_path) and output_format != "json":
        # After the plan, so that it is the last thing a reader sees (a person: JSON is for
        # programs, which know where they asked for the file).
        saved = shlex.quote(out_path)
        click.echo(
            escape(
                f"Saved the plan to {out_path}. Review it again with `numbersync show {saved}`; "
                f"apply exactly it with `numbersync apply {saved}`."
            ),
            err=True,
        )
    if detailed_exitcode and result.has_changes:
        sys.exit(2)


@click.command(epilog=epilog("NO_COLOR", "0 success; 1 an error (no such file, not a plan)"))
@click.argument("planfile")
@format_option
@click.option("--show-unmanaged", is_flag=True, help="List the numbers the plan left alone.")
@reports_errors
def show(planfile: str, output_format: str, show_unmanaged: bool) -> None:
    """Render a saved plan (`plan --out PLANFILE`) again, offline: what a reviewer or the job
    that applies it reads."""
    from numbersync.savedplan.read import read_plan

    print_plan(read_plan(planfile), output_format, show_unmanaged=show_unmanaged)
