"""Every output path a command takes (`plan --out`, `schema -o`, `export -o`, `apply --report`,
`init`'s files): only regular files (or symlinks to them) are replaced, a read-only one only
where --force says so, `-` is standard output; a target that will be refused is refused before
Close is read or written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import cli

from numbersync.cli import main
from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.fixture
def read_only(tmp_path: Path) -> Path:
    path = tmp_path / "read-only.json"
    path.write_text("kept\n")
    path.chmod(0o444)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "-c", str(NUMBERS_YAML), "--out", "{target}"],
        ["export", "-o", "{target}"],
        ["apply", "-c", str(NUMBERS_YAML), "--auto-approve", "--report", "{target}"],
    ],
    ids=["plan", "export", "apply"],
)
def test_a_fifo_is_refused_before_close_is_read(
    emulator: Emulator, fifo: Path, args: list[str]
) -> None:
    result = cli(emulator, *(a.replace("{target}", str(fifo)) for a in args))

    assert result.exit_code == 1
    assert f"Error: refusing to write {fifo}: it is a FIFO, not a regular file" in result.stderr
    assert emulator.requests == []
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_schema_refuses_a_fifo_and_a_directory(fifo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for target, kind in ((fifo, "a FIFO"), (tmp_path, "a directory")):
        result = runner.invoke(main, ["schema", "-o", str(target)])
        assert result.exit_code == 1
        assert f"it is {kind}, not a regular file" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "-c", str(NUMBERS_YAML), "--out", "{target}"],
        ["export", "-o", "{target}"],
        ["schema", "-o", "{target}"],
    ],
    ids=["plan", "export", "schema"],
)
def test_a_read_only_file_is_replaced_only_with_force(
    emulator: Emulator, read_only: Path, args: list[str]
) -> None:
    args = [a.replace("{target}", str(read_only)) for a in args]

    refused = cli(emulator, *args)

    assert refused.exit_code == 1
    assert "is read-only (mode 0444)" in refused.stderr
    assert "Hint: pass --force to replace it anyway" in refused.stderr
    assert emulator.requests == []
    assert read_only.read_text() == "kept\n"

    forced = cli(emulator, *args, "--force")

    assert forced.exit_code == 0, forced.output
    assert read_only.read_text() != "kept\n"
    assert mode(read_only) == 0o444


def test_apply_refuses_a_read_only_report_before_sending_anything(
    emulator: Emulator, read_only: Path
) -> None:
    # apply's --force overrides the safety rails, never the audit record's protection.
    args = ["apply", "-c", str(NUMBERS_YAML), "--auto-approve", "--force"]
    result = cli(emulator, *args, "--report", str(read_only))

    assert result.exit_code == 1
    assert "is read-only (mode 0444)" in result.stderr
    assert "Hint: make it writable, or choose another path" in result.stderr
    assert emulator.requests == []
    assert read_only.read_text() == "kept\n"


def test_plan_out_dash_puts_the_plan_file_on_stdout(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", "-")

    assert result.exit_code == 0, result.output
    saved = json.loads(result.stdout)
    assert saved["format_version"] == 1
    assert saved["summary"]["change"] > 0
    assert f"Plan: {saved['summary']['change']} to change" in result.stderr


def test_plan_out_dev_stdout_is_stdout_too(emulator: Emulator) -> None:
    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", "/dev/stdout")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format_version"] == 1


def test_schema_and_export_dash_are_stdout(emulator: Emulator) -> None:
    schema = CliRunner().invoke(main, ["schema", "-o", "-"])
    assert schema.exit_code == 0
    assert json.loads(schema.stdout)["$schema"]
    assert schema.stderr == ""

    export = cli(emulator, "export", "-o", "-")
    assert export.exit_code == 0, export.output
    assert "numbers:\n" in export.stdout
    assert "Wrote" not in export.stderr


def test_apply_report_dash_is_the_only_thing_on_stdout(emulator: Emulator) -> None:
    result = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve", "--report", "-")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["summary"]["applied"] > 0
    assert "Apply complete:" in result.stderr
