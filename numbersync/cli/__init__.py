"""The command line: the `numbersync` group and where each command lives.

Commands are loaded only when one runs, so `numbersync --help` costs little more than click
itself: the group lists each command's summary from the table below, which a test keeps equal
to the commands' own help. The commands (parse, build dependencies, call the core, map errors to
exit codes) are in the modules beside this one.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NamedTuple

import click

from numbersync import __version__
from numbersync.cli.options import verbose_option


class _Command(NamedTuple):
    module: str  # beside this file
    summary: str  # the first line of its help, shown by `numbersync --help`


COMMANDS: dict[str, _Command] = {
    "validate": _Command("checks", "Check the desired-state file (or directory) offline."),
    "plan": _Command("plans", "Fetch the live numbers and print what would change."),
    "show": _Command("plans", "Render a saved plan (`plan --out PLANFILE`) again, offline."),
    "apply": _Command("applying", "Apply the changes: from the file, or a saved PLANFILE."),
    "export": _Command("accounts", "Write the account's current settings as a numbers.yaml."),
    "init": _Command("accounts", "Start a repository from the live account."),
    "explain": _Command("checks", "Show where each managed field of NUMBER gets its value."),
    "accept": _Command("edits", "Record Close's value of a field as drift accepted until a date."),
    "schema": _Command("checks", "Print the JSON Schema this version validates with."),
    "emulator": _Command("local", "Run the local Close API emulator until Ctrl-C."),
    "demo": _Command("local", "Walk through validate, plan, apply on the emulator."),
    "ci": _Command("ci", "Run a CI job on GitHub Actions: plan, apply or drift."),
}


class NumbersyncGroup(click.Group):
    """Loads each command on use, and exits 1 for usage errors too (click says 2), so that `2`
    always means "changes present"."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        found = COMMANDS.get(name)
        if found is None:
            return None
        command: click.Command = getattr(
            importlib.import_module(f"numbersync.cli.{found.module}"), name
        )
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, found.summary) for name, found in COMMANDS.items()])

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


@click.group(cls=NumbersyncGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="numbersync")
@verbose_option
def main() -> None:
    """Keep the settings of your Close phone numbers in Git: validate, plan, apply, export."""
    import gc

    # A run holds millions of small objects for its whole life (the file, the account): with
    # the default thresholds the cyclic collector walks them again and again, a large share of
    # a big plan's time. Collections stay, far fewer.
    gc.set_threshold(200_000, 30, 30)
