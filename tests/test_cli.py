"""The command group: every command is listed with the summary its own help starts with, loaded
only when it runs, and `--help` and `validate` import only what they use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from numbersync.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent


def test_each_summary_is_how_the_commands_own_help_begins() -> None:
    context = click.Context(main)
    for name, listed in COMMANDS.items():
        command = main.get_command(context, name)
        assert command is not None and command.help, name
        assert " ".join(command.help.split()).startswith(listed.summary.rstrip(".")), name


def test_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == list(COMMANDS)
    for line, (name, command) in zip(listed, COMMANDS.items(), strict=True):
        assert " ".join(line.split()) == f"{name} {command.summary}"


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])
    assert result.exit_code == 1
    assert "No such command 'frobnicate'" in result.stderr


PROBE = """\
import sys
from click.testing import CliRunner
from numbersync.cli import main
before = set(sys.modules)
r = CliRunner().invoke(main, {args!r})
assert r.exit_code == 0, r.output
mine = sorted(m for m in set(sys.modules) - before if m.startswith("numbersync"))
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(mine, heavy)
"""
HEAVY = ("httpx", "httpcore", "jsonschema", "deepdiff", "yaml", "phonenumbers", "fastjsonschema")


def probe(*args: str) -> str:
    code = PROBE.format(args=list(args), heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_help_loads_no_command_and_nothing_heavy() -> None:
    assert probe("--help") == "[] []"


def test_validate_loads_the_loader_but_not_the_client() -> None:
    mine, heavy = probe("validate", "-c", "examples/numbers.yaml").split("] [")
    assert "numbersync.close" not in mine and "numbersync.emulator" not in mine
    assert "numbersync.render" not in mine and "numbersync.plan" not in mine
    # The schema is checked by code generated from it: jsonschema only explains errors, and
    # fastjsonschema (which generated the code) is not needed at run time.
    assert heavy.rstrip("]") == "'phonenumbers', 'yaml'"
