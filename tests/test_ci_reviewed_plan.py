"""The merge applies what was reviewed: the apply recipes' steps find the pull request's saved
plan, check that it was made from the merged config, and apply it, post a fresh plan for a new
review when Close changed since, or fall back to a fresh plan and say so; run against the
emulator with fake `gh` and GitLab APIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner
from helpers import cli

from numbersync import config
from numbersync.cli import main

if TYPE_CHECKING:
    from numbersync.emulator import Emulator

pytestmark = pytest.mark.usefixtures("time_limit")

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "numbers.yaml"


# --- validate --format json: the fingerprint the recipes compare ---------------------------------


def test_validate_prints_the_count_and_the_fingerprint_a_plan_of_this_config_carries() -> None:
    result = CliRunner().invoke(main, ["validate", "-c", str(EXAMPLE), "--format", "json"])

    assert result.exit_code == 0, result.output
    fingerprint = config.load(str(EXAMPLE)).fingerprint
    assert fingerprint.startswith("sha256:") and len(fingerprint) == 7 + 64
    assert result.stdout == f'{{"ok": true, "numbers": 5, "fingerprint": "{fingerprint}"}}\n'


def test_validate_json_of_a_file_with_errors_prints_nothing_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "numbers.yaml"
    bad.write_text('version: 1\nnumbers:\n  "+16503334444":\n    forwad_to: x\n')

    result = CliRunner().invoke(main, ["validate", "-c", str(bad), "--format", "json"])

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{bad}:4:5: $.numbers[\"+16503334444\"].forwad_to: unknown key 'forwad_to'"
        " (did you mean 'forward_to'?)\nError: 1 error found\n"
    )


def test_validate_text_is_unchanged() -> None:
    result = CliRunner().invoke(main, ["validate", "-c", str(EXAMPLE)])
    assert (result.exit_code, result.stdout) == (0, "OK: 5 numbers\n")


def test_a_saved_plan_carries_the_fingerprint_validate_prints(
    emulator: Emulator, tmp_path: Path
) -> None:
    # What the apply recipes compare: validate's fingerprint and the plan's config.fingerprint.
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(EXAMPLE), "--out", str(planfile)).exit_code == 0
    validated = cli(emulator, "validate", "-c", str(EXAMPLE), "--format", "json")
    saved = json.loads(planfile.read_text())
    assert saved["config"]["fingerprint"] == json.loads(validated.stdout)["fingerprint"]
