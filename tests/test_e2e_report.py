"""`numbersync apply --report FILE`: the per-number audit record CI keeps, written whatever the
apply's end: applied, failed, refused or interrupted. Golden file for the Acme apply."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from helpers import cli

from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
GOLDEN = Path(__file__).parent / "data" / "golden" / "apply_report.json"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"


def read_report(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document.pop("finished_at"))
    assert document.pop("numbersync_version")
    return document


def test_the_report_of_an_apply_is_golden(emulator: Emulator, tmp_path: Path) -> None:
    report = tmp_path / "report.json"

    result = cli(
        emulator, "apply", "-c", str(NUMBERS_YAML), "--auto-approve", "--report", str(report)
    )

    assert result.exit_code == 0, result.output
    document = read_report(report)
    document["config"]["path"] = "examples/numbers.yaml"
    assert document == json.loads(GOLDEN.read_text())


def test_a_failed_number_is_in_the_report_with_closes_words(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(
        "version: 1\nnumbers:\n"
        '  "+16503334444": {inbound_ring_duration: 45}\n'
        '  "+16503334447": {label: "Dave\'s line"}\n'
    )
    report = tmp_path / "report.json"

    result = cli(
        emulator,
        "apply",
        "-c",
        str(config),
        "--auto-approve",
        "--report",
        str(report),
        key="api_demo_dave.fake0000",
    )

    assert result.exit_code == 1
    document = read_report(report)
    assert document["exit_code"] == 1
    assert document["summary"] == {"applied": 1, "failed": 1, "unknown": 0, "not_sent": 0}
    failed, applied = document["numbers"]
    assert failed["status"] == "failed"
    assert failed["message"].startswith("PUT /phone_number/phon_demoSalesLine")
    assert "(403): not allowed" in failed["message"]
    assert failed["fields"] == [{"field": "inbound_ring_duration", "before": 30, "after": 45}]
    assert applied["status"] == "applied" and applied["message"] is None


def test_a_refused_plan_still_leaves_its_report(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text(f"version: 1\nnumbers:\n  {NIGHT_LINE}:\n    participants: []\n")
    emulator.state.set_number_fields(NIGHT_LINE, {"phone_numbers": []})
    report = tmp_path / "report.json"

    result = cli(emulator, "apply", "-c", str(config), "--auto-approve", "--report", str(report))

    assert result.exit_code == 1
    document = read_report(report)
    assert document["refused"].startswith("refusing to apply: it leaves +1 650-333-4447")
    assert [n["status"] for n in document["numbers"]] == ["not sent"]
    assert [r for r in emulator.requests if r.method == "PUT"] == []


def test_a_plan_with_no_changes_writes_an_empty_report(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "numbers.yaml"
    config.write_text('version: 1\nnumbers:\n  "+16503334444": {label: Sales}\n')
    report = tmp_path / "report.json"

    result = cli(emulator, "apply", "-c", str(config), "--auto-approve", "--report", str(report))

    assert result.exit_code == 0, result.output
    document = read_report(report)
    assert document["numbers"] == [] and document["exit_code"] == 0
