"""Commands that read the whole account: `export` (the account as desired state: a file or a
directory) and `init` (a repository started from it)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from numbersync.cli.common import (
    CLOSE_ENV,
    close_client,
    concurrency_option,
    epilog,
    now,
    reports_errors,
    say_warnings,
)
from numbersync.cli.options import verbose_option
from numbersync.escape import escape

if TYPE_CHECKING:
    from numbersync.close import CloseClient
    from numbersync.fetch import Account


def _read_account(client: CloseClient, *, all_groups: bool = False) -> Account:
    """Everything an export writes: the account, then the members of the groups it writes (those
    the numbers ring, or every group), read together."""
    from numbersync.export import groups_to_write
    from numbersync.fetch import fetch_everything, fetch_members

    account = fetch_everything(client)
    wanted = groups_to_write(account.numbers, account.directory, every=all_groups)
    members = fetch_members(client, wanted)
    return replace(account, directory=replace(account.directory, members=members))


@click.command(epilog=epilog(CLOSE_ENV, "0 written; 1 an error"))
@click.option(
    "-o",
    "--output",
    "output_path",
    metavar="FILE|DIR",
    help="Write to FILE instead of stdout (- is stdout; with --split-by: into the new directory "
    "DIR), and point its modeline at a numbersync.schema.json there or above (written beside it "
    "if none).",
)
@click.option("--force", is_flag=True, help="Replace FILE even when it is read-only.")
@click.option(
    "--split-by",
    type=click.Choice(["group"]),
    help="Write a directory: a root numbersync.yaml with shared defaults, and one file per "
    "first participant group.",
)
@click.option(
    "--all-groups",
    is_flag=True,
    help="Write the members of every group of the account, not only of the groups the numbers "
    "ring.",
)
@concurrency_option
@verbose_option
@reports_errors
def export(
    output_path: str | None, force: bool, split_by: str | None, all_groups: bool, concurrency: int
) -> None:
    """Write the account's current settings as a numbers.yaml: a file (or a directory) that
    plans clean, with the members of the groups its numbers ring."""
    from numbersync.export import Export, write_tree
    from numbersync.modeline import SCHEMA_FILE, find_schema, relative_to, write_schema
    from numbersync.output import check_target, is_stdout, write_atomic

    if output_path and is_stdout(output_path):
        output_path = None
    if split_by and not output_path:
        raise click.UsageError("--split-by writes a directory: give it with -o DIR")
    if output_path and not split_by:
        check_target(output_path, force=force)  # before reading the account, not after
    with close_client(concurrency) as client:
        account = _read_account(client, all_groups=all_groups)
    exported = Export(account.numbers, account.directory, account.me)
    source, when, count = client.settings.api_url, now(), len(account.numbers)
    if not output_path:
        # Only a schema file in the current directory can be named: where stdout goes is unknown.
        schema = SCHEMA_FILE if os.path.isfile(SCHEMA_FILE) else None
        click.echo(exported.yaml(source=source, when=when, schema=schema), nl=False)
        say_warnings(exported.warnings)
        return
    # The schema beside the file, or inside DIR (unless one is found above either).
    found = find_schema(output_path if split_by else os.path.dirname(os.path.abspath(output_path)))
    if split_by:
        schema = relative_to(found.path, output_path)
        files = exported.tree(source=source, when=when, schema=schema)
        write_tree(output_path, files)
        written = f"{count} numbers to {len(files)} files in {output_path}"
    else:
        schema = relative_to(found.path, os.path.dirname(os.path.abspath(output_path)))
        text = exported.yaml(source=source, when=when, schema=schema)
        write_atomic(output_path, text, force=force)
        written = f"{count} numbers to {output_path}"
    click.echo(escape(f"Wrote {written}"), err=True)
    if not found.exists:
        write_schema(found.path)
        where = output_path if split_by else os.path.dirname(output_path.rstrip("/" + os.sep))
        shown = os.path.join(where, SCHEMA_FILE)
        click.echo(
            escape(f"Wrote the schema to {shown}, for editors (the modeline points at it)"),
            err=True,
        )
    say_warnings(exported.warnings)


@click.command(epilog=epilog(CLOSE_ENV, "0 written; 1 an error (nothing written)"))
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
@click.option(
    "--force",
    is_flag=True,
    help="Go on when files are already there: one that differs from what init writes is kept, "
    "and init's version written beside it as FILE.new.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Like --force, but overwrite the files that differ (read-only ones too) instead of "
    "writing FILE.new.",
)
@concurrency_option
@verbose_option
@reports_errors
def init(
    directory: str,
    ci: str | None,
    split_by: str | None,
    force: bool,
    overwrite: bool,
    concurrency: int,
) -> None:
    """Start a repository from the live account: the numbers, the schema, CI and pre-commit."""
    from numbersync import scaffold
    from numbersync.export import Export, write_files

    force = force or overwrite
    layout = scaffold.Layout(split=bool(split_by), ci=ci)
    # Refused before reading the account, and again once its files are known (a directory's).
    scaffold.refuse_existing(directory, layout, force=force)
    with close_client(concurrency) as client:
        account = _read_account(client)
    exported = Export(account.numbers, account.directory, account.me)
    files = scaffold.files(exported, layout, source=client.settings.api_url, when=now())
    scaffold.refuse_existing(directory, layout, force=force, written=files)
    writes = scaffold.sort_out(directory, files, overwrite=overwrite)
    write_files(directory, writes.files, force=overwrite)
    for line in scaffold.summary(directory, writes, layout, len(account.numbers)):
        click.echo(escape(line))
    say_warnings(exported.warnings)
