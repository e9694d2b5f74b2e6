"""Offline commands about the desired state: `validate`, `explain` (also with Close's value) and
`schema`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from numbersync.cli.common import (
    CLOSE_ENV,
    close_client,
    config_option,
    epilog,
    reports_errors,
    resolve_config,
)
from numbersync.cli.options import verbose_option

if TYPE_CHECKING:
    from numbersync.models import DesiredGroup, DesiredNumber, DesiredState


@click.command(epilog=epilog(None, "0 the config is valid; 1 any error"))
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
def validate(config_path: str | None, output_format: str) -> None:
    """Check the desired-state file (or directory) offline: schema, numbers, limits. No network."""
    from numbersync import config

    config_path = resolve_config(config_path)
    state = config.load(config_path)
    _check_acceptance_dates(state)
    count, groups = len(state.numbers), len(state.groups)
    if output_format == "json":
        # CI compares the fingerprint with a saved plan's `config.fingerprint` to know whether the
        # plan was made from exactly this config. Errors still go to stderr, with exit 1.
        import json

        summary = {"ok": True, "numbers": count, "fingerprint": state.fingerprint}
        click.echo(json.dumps(summary))
    else:
        files = len(state.files)
        where = f" in {files} file{'s' if files != 1 else ''}" if os.path.isdir(config_path) else ""
        # Groups are named only when the config manages some, so that a file of numbers alone
        # reads as it always has.
        also = f", {groups} group{'s' if groups != 1 else ''}" if groups else ""
        click.echo(f"OK: {count} number{'s' if count != 1 else ''}{also}{where}")


def _check_acceptance_dates(state: DesiredState) -> None:
    """Acceptances past their day, or further ahead than allowed, are errors; those that end
    within a week are warnings on stderr, at their positions."""
    from numbersync import accepted
    from numbersync.errors import InputError

    errors, warnings = accepted.date_findings(state, accepted.today())
    for warning in warnings:
        click.echo(str(warning), err=True)
    if errors:
        raise InputError(errors, hint="accept again with a new date, or remove the acceptance")


@click.command(epilog=epilog(f"with --live: {CLOSE_ENV}", "0 success; 1 an error"))
@click.argument("number", metavar="NUMBER|GROUP")
@config_option
@click.option("--live", is_flag=True, help="Also show the value Close has now (needs a key).")
@verbose_option
@reports_errors
def explain(number: str, config_path: str | None, live: bool) -> None:
    """Show where each managed field of NUMBER gets its value: FILE:LINE and which layer; for a
    GROUP of the config's groups:, where its members are set."""
    from numbersync import config
    from numbersync.errors import UsageError
    from numbersync.explain import find, find_group, live_of, render_explain

    state = config.load(resolve_config(config_path))
    group = find_group(state, number)
    if group is not None:
        _explain_group(group, live)
        return
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


def _explain_group(group: DesiredGroup, live: bool) -> None:
    from numbersync.explain import group_of, render_group

    if not live:
        click.echo(render_group(group), nl=False)
        return
    with close_client() as client:
        found = group_of(group, client.list_groups())
        members = client.group_members(found.id)
    click.echo(render_group(group, members), nl=False)


@click.command(epilog=epilog(None, "0 success; 1 an error"))
@click.option(
    "-o",
    "--output",
    "output_path",
    metavar="FILE",
    help="Write to FILE instead of stdout (- is stdout).",
)
@click.option("--force", is_flag=True, help="Replace FILE even when it is read-only.")
@reports_errors
def schema(output_path: str | None, force: bool) -> None:
    """Print the JSON Schema this version validates with, for editors (offline)."""
    from numbersync.escape import escape
    from numbersync.output import is_stdout, write_atomic
    from numbersync.resources import shipped_text

    text = shipped_text("schemas/numbersync.schema.json")
    if output_path and not is_stdout(output_path):
        write_atomic(output_path, text, force=force)
        click.echo(escape(f"Wrote the schema to {output_path}"), err=True)
    else:
        click.echo(text, nl=False)
