"""What the commands share: error reporting (messages and exit codes, never a traceback), the
common options, the Close client, and printing a plan."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import click

from numbersync.errors import ApiError, InputError, NumbersyncError, TimedOut, UsageError
from numbersync.models import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from numbersync.base import Base
    from numbersync.close import CloseClient
    from numbersync.fetch import Account
    from numbersync.models import DesiredState
    from numbersync.plan import Plan
    from numbersync.stopping import Stop

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def _fail(exc: NumbersyncError) -> None:
    # Loaded here, where text is printed: a command that succeeds (validate) prints none of it.
    from numbersync.escape import escape

    if isinstance(exc, InputError):
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        if exc.more:
            click.echo(f"and {exc.more} more", err=True)
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
            from numbersync.escape import escape

            click.echo(escape(f"Error: unexpected {type(exc).__name__}: {exc}"), err=True)
            click.echo("Hint: this is a numbersync bug; please report it.", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


CONFIG_FILE = "numbers.yaml"
CONFIG_DIR = "numbers"


def discover_config(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """-c's default, found while parsing: None only when both are here, which resolve_config
    reports where a command reads its config (apply PLANFILE reads none)."""
    if value:
        return value
    has_file, has_dir = os.path.lexists(CONFIG_FILE), os.path.isdir(CONFIG_DIR)
    if has_file and has_dir:
        return None
    return CONFIG_DIR if has_dir else CONFIG_FILE


config_option = click.option(
    "-c",
    "--config",
    "config_path",
    metavar="FILE|DIR",
    callback=discover_config,
    help="The desired-state file, or a directory of them (every *.yaml/*.yml below it). "
    "Default: numbers.yaml, else a numbers/ directory.",
)


def resolve_config(given: str | None) -> str:
    """The config `-c` names, else `numbers.yaml` if it is here, else a `numbers/` directory;
    both here is ambiguous, so it is an error rather than a guess. With neither, numbers.yaml:
    its error says how to name another."""
    if given:
        return given
    has_file, has_dir = os.path.lexists(CONFIG_FILE), os.path.isdir(CONFIG_DIR)
    if has_file and has_dir:
        raise UsageError(
            f"both {CONFIG_FILE} and {CONFIG_DIR}/ are here; which one is the config?",
            hint=f"name it: -c {CONFIG_FILE} or -c {CONFIG_DIR}",
        )
    return CONFIG_DIR if has_dir else CONFIG_FILE


target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NUMBER|PATH",
    help="Only this number (any format, or its phon_ id), this managed group (by name or "
    "group_ id), or every number and group of this config file or directory; repeatable.",
)
exclude_option = click.option(
    "--exclude",
    "excludes",
    multiple=True,
    metavar="NUMBER|PATH",
    help="Leave out this number (any format, or its phon_ id), this managed group (by name or "
    "group_ id), or every number and group of this config file or directory; repeatable.",
)
format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="text for terminals, markdown for pull-request comments, json for machines.",
)


def _concurrency(help: str) -> Callable[[F], F]:
    return click.option(
        "--concurrency",
        type=click.IntRange(1, 16),
        default=DEFAULT_CONCURRENCY,
        show_default=True,
        help=help,
    )


concurrency_option = _concurrency(
    "Requests in flight at once while reading the account (paced to Close's rate limits)."
)
apply_concurrency_option = _concurrency(
    "Requests in flight at once: list pages read, numbers updated (paced to Close's rate "
    "limits either way)."
)

CLOSE_ENV = "CLOSE_API_KEY (or CLOSE_ACCESS_TOKEN), CLOSE_API_URL"


def epilog(env: str | None, exits: str) -> str:
    """The end of a command's --help: the environment variables it reads and its exit codes."""
    reads = f"Environment: {env}." if env else "Environment: none read."
    return f"{reads}\n\nExit codes: {exits}."


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_DURATION_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """`90s`, `15m`, `1h30m` or plain seconds (`45`, `2.5`), as seconds."""
    if value is None:
        return None
    text = value.strip()
    seconds: float | None = None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    elif re.fullmatch(r"(?:\d+(?:\.\d+)?[hms])+", text):
        seconds = sum(float(n) * _DURATION_UNIT[u] for n, u in _DURATION_PART.findall(text))
    if seconds is None or seconds <= 0:
        raise click.BadParameter(f"{value!r} is not a duration such as 90s, 15m or 1h30m")
    return seconds


timeout_option = click.option(
    "--timeout",
    callback=parse_duration,
    metavar="DURATION",
    help="End the run after DURATION (90s, 15m, 1h30m) as SIGTERM would (no new request; "
    "apply still prints and writes its report), with exit code 124.",
)


def shown_duration(seconds: float) -> str:
    """A --timeout as a user would write it back: `90s`, `15m`, `1h30m`."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n]
    return "".join(parts)


@contextmanager
def close_client(
    concurrency: int = DEFAULT_CONCURRENCY, stop: Stop | None = None
) -> Iterator[CloseClient]:
    from numbersync.close import CloseClient, Settings

    settings = Settings.from_env(os.environ)
    with CloseClient(settings, concurrency=concurrency, stop=stop) as client:
        yield client


def within_timeout(
    stop: Stop, timeout: float | None, doing: str, func: Callable[..., T], *args: Any
) -> T:
    """`func(*args)`, given up as soon as the run's --timeout passes, even with a request still
    hanging on the wire: then TimedOut, which says what was `doing`."""
    from numbersync.stopping import TIMEOUT, Stopped, until_stopped

    try:
        return until_stopped(stop, "numbersync-work", func, *args)
    except (Stopped, ApiError) as exc:
        if stop.reason != TIMEOUT or timeout is None:
            raise
        raise TimedOut(
            f"--timeout {shown_duration(timeout)} reached while {doing}",
            hint="Close answered too slowly: try again later, or give a longer --timeout",
        ) from exc


def now() -> str:
    """This moment in UTC, to the second: `2026-12-01T22:30:00Z`."""
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def make_plan(
    client: CloseClient,
    state: DesiredState,
    targets: tuple[str, ...] = (),
    excludes: tuple[str, ...] = (),
    base: Base | None = None,
) -> tuple[Plan, Account]:
    from numbersync.fetch import fetch_for_base, fetch_for_plan, role_permissions, users_to_name
    from numbersync.stopping import in_background, results
    from numbersync.unmanaged import compared_with, fields_read

    also = fields_read(base.state) if base else set()
    # The modules that make the plan load while the first reads are on their way.
    fetching = in_background("numbersync-fetch", fetch_for_plan, client, state, also)
    from numbersync.plan import (
        build_plan,
        role_to_read_for,
        unnamed_people,
        with_people_emails,
        with_role,
    )
    from numbersync.planning import plan_with_members
    from numbersync.safety import judge

    plan, account = plan_with_members(
        client,
        results([fetching], client.stop)[0],
        lambda account, unread: build_plan(
            state,
            account.numbers,
            account.directory,
            me=account.me,
            targets=targets,
            excludes=excludes,
            unread=unread,
        ),
    )
    live = {n.id: n for n in account.numbers}
    role_id = role_to_read_for(plan, live, account.me)
    if role_id is not None and account.me is not None:
        granted = role_permissions(client, role_id)
        plan = with_role(plan, live, account.me, role_id, granted)
    plan = with_people_emails(plan, users_to_name(client, account, unnamed_people(plan)))
    if base is not None:
        directory = fetch_for_base(client, account, base.state, state)
        plan = compared_with(plan, base.name, base.state, state, account.numbers, directory)
    return replace(plan, verdict=judge(plan, live)), account


def print_plan(
    plan: Plan, output_format: str, *, show_unmanaged: bool = False, err: bool = False
) -> None:
    """The plan on stdout, or on stderr (`err`) when stdout carries something else."""
    from numbersync import render
    from numbersync.output import use_color

    if output_format == "json":
        click.echo(render.render_json(plan), nl=False, err=err)
    elif output_format == "markdown":
        click.echo(render.render_markdown(plan), err=err)
    else:
        color = use_color(sys.stderr if err else sys.stdout)
        text = render.render_text(plan, color=color, show_unmanaged=show_unmanaged)
        click.echo(text, nl=False, err=err)


def say_warnings(warnings: tuple[str, ...]) -> None:
    from numbersync.escape import escape

    for warning in warnings:
        click.echo(escape(f"Warning: {warning}"), err=True)
