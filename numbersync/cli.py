"""The command line: parse options, build dependencies, call the core, map errors to exit codes.

Nothing here decides anything about numbers; heavy modules are imported inside the commands that
need them so that `--help` and `validate` start fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click

from numbersync import __version__
from numbersync.errors import InputError, NumbersyncError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn numbersync's errors into their message on stderr and exit code, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            sys.exit(exc.exit_code)
        except NumbersyncError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="numbersync")
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


@main.command()
@config_option
@reports_errors
def validate(config_path: str) -> None:
    """Check the desired-state file offline: schema, numbers, limits. No network."""
    from numbersync import config

    state = config.load(config_path)
    count = len(state.numbers)
    click.echo(f"OK: {count} number{'s' if count != 1 else ''}")
