"""The command group: every command is listed with the summary its own help starts with, loaded
only when it runs, and `--help` and `validate` import only what they use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

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
    # Nor what only some files or errors need: acceptances (live), a ringing minimum, what
    # explains the quick check's refusals (schemacheck, the schema's text from resources), what
    # escapes printed text; nor the account's side of the models.
    for unused in (
        "numbersync.live",
        "numbersync.ringing",
        "numbersync.schemacheck",
        "numbersync.resources",
        "numbersync.escape",
        "numbersync.account",
    ):
        assert unused not in mine, unused
    # The schema is checked by code generated from it: jsonschema only explains errors, and
    # fastjsonschema (which generated the code) is not needed at run time.
    assert heavy.rstrip("]") == "'phonenumbers', 'yaml'"


# --- which config, with no -c ---------------------------------------------------------------------

NUMBER = 'version: 1\nnumbers:\n  "+16503334444":\n    label: Sales\n'


def validate_here(tmp_path: Path, monkeypatch: Any, *args: str) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.stdout, result.stderr


def test_without_c_the_config_is_numbers_yaml_else_the_numbers_directory(
    tmp_path: Path, monkeypatch: Any
) -> None:
    (tmp_path / "numbers").mkdir()
    (tmp_path / "numbers" / "sales.yaml").write_text(NUMBER)
    assert validate_here(tmp_path, monkeypatch) == (0, "OK: 1 number in 1 file\n", "")

    (tmp_path / "numbers.yaml").write_text(NUMBER)
    assert validate_here(tmp_path, monkeypatch) == (
        1,
        "",
        "Error: both numbers.yaml and numbers/ are here; which one is the config?\n"
        "Hint: name it: -c numbers.yaml or -c numbers\n",
    )
    assert validate_here(tmp_path, monkeypatch, "-c", "numbers.yaml") == (0, "OK: 1 number\n", "")

    (tmp_path / "numbers" / "sales.yaml").unlink()
    (tmp_path / "numbers").rmdir()
    assert validate_here(tmp_path, monkeypatch) == (0, "OK: 1 number\n", "")


def test_with_no_config_at_all_the_error_names_numbers_yaml(
    tmp_path: Path, monkeypatch: Any
) -> None:
    assert validate_here(tmp_path, monkeypatch) == (
        1,
        "",
        "Error: numbers.yaml: no such file\nHint: pass the desired-state file with -c FILE\n",
    )


def test_ci_help_loads_nothing_heavy() -> None:
    mine, heavy = probe("ci", "apply", "--help").split("] [")
    assert (
        mine
        == "['numbersync.cli.ci', 'numbersync.cli.common', 'numbersync.errors', 'numbersync.models'"
    )
    assert heavy == "]"


def test_every_commands_help_names_what_it_reads_and_its_exit_codes() -> None:
    context = click.Context(main)
    for name in COMMANDS:
        command = main.get_command(context, name)
        assert command is not None
        subcommands = (
            [command.get_command(context, n) for n in command.list_commands(context)]
            if isinstance(command, click.Group)
            else [command]
        )
        for sub in subcommands:
            assert sub is not None and sub.epilog, name
            assert "Environment:" in sub.epilog and "Exit codes:" in sub.epilog, name


def test_help_says_what_concurrency_does_and_which_seed_the_emulator_serves() -> None:
    def helped(*args: str) -> str:
        return " ".join(CliRunner().invoke(main, [*args, "--help"]).stdout.split())

    assert "while reading the account" in helped("plan")
    assert "numbers updated" not in helped("plan") + helped("export") + helped("init")
    assert "numbers updated" in helped("apply")
    assert "the Acme sample built into numbersync" in helped("emulator")
