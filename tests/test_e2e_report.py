"""`numbersync apply --report FILE`: the per-number audit record CI keeps, written whatever the
apply's end: applied, failed, refused or interrupted, even while it still reads Close or asks for
confirmation. Golden file for the Acme apply."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import click.testing
import pytest
from helpers import cli

from numbersync.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
EMULATOR_SEED = REPO / "examples" / "emulator-seed.yaml"
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


# --- however apply ends: while it is still reading Close --------------------------------------------


SAVED_NOT_SENT = """
  not sent  +1 650-333-4444    label, inbound_ring_duration, participants  {why}
  not sent  +1 650-333-4445    participant_groups, voicemail_greeting_url  {why}
  not sent  +1 650-333-4446    forward_to_enabled  {why}
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("source", ["config", "saved plan"])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_apply_interrupted_while_reading_close_leaves_its_report(
    source: str,
    signum: signal.Signals,
    start_emulator: Callable[..., Emulator],
    tmp_path: Path,
) -> None:
    emu = start_emulator(EMULATOR_SEED)
    report = tmp_path / "report.json"
    if source == "saved plan":
        planfile = tmp_path / "plan.json"
        assert cli(emu, "plan", "-c", str(NUMBERS_YAML), "--out", str(planfile)).exit_code == 0
        args = ["apply", str(planfile)]
    else:
        args = ["apply", "-c", str(NUMBERS_YAML), "--auto-approve"]
    emu.reset_log()
    # Every answer takes 40 s: the signal comes while apply waits for its first reads, and the
    # report must not wait for them.
    emu.faults.latency = 40.0
    env = {**os.environ, "CLOSE_API_URL": emu.url, "CLOSE_API_KEY": emu.admin_key, "NO_COLOR": "1"}
    env.pop("CLOSE_ACCESS_TOKEN", None)
    with subprocess.Popen(
        [sys.executable, "-m", "numbersync", *args, "--report", str(report)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            while not emu.requests:
                assert process.poll() is None, process.communicate()
                time.sleep(0.01)
            process.send_signal(signum)
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()

    code = 128 + signum
    assert process.returncode == code, out + err
    assert "Traceback" not in out + err
    assert [r.method for r in emu.requests if r.method != "GET"] == []
    document = read_report(report)
    assert document["stopped"] == signum.name
    assert document["exit_code"] == code
    assert document["refused"] is None and document["error"] is None
    if source == "config":
        assert out == "Interrupted before the plan was made: nothing was sent.\n"
        assert document["planned"] is False
        assert document["numbers"] == []
        assert document["summary"] == {"applied": 0, "failed": 0, "unknown": 0, "not_sent": 0}
    else:
        assert out == (
            SAVED_NOT_SENT.format(why="interrupted before it was sent")
            + "Interrupted: 0 applied, 0 failed, 0 unknown, 3 not sent.\n"
            "Hint: run apply again to converge: it sends only what is still different.\n"
        )
        assert document["planned"] is True
        assert [n["status"] for n in document["numbers"]] == ["not sent"] * 3
        assert document["summary"]["not_sent"] == 3


@pytest.mark.parametrize("source", ["config", "saved plan"])
def test_an_apply_whose_credential_close_rejects_while_reading_leaves_its_report(
    source: str, emulator: Emulator, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    if source == "saved plan":
        planfile = tmp_path / "plan.json"
        assert cli(emulator, "plan", "-c", str(NUMBERS_YAML), "--out", str(planfile)).exit_code == 0
        args = ["apply", str(planfile)]
    else:
        args = ["apply", "-c", str(NUMBERS_YAML), "--auto-approve"]
    emulator.reset_log()
    emulator.credential_uses_left[emulator.admin_key] = 0  # expired before the first read

    result = cli(emulator, *args, "--report", str(report))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: GET /phone_number/ (401): ")
    document = read_report(report)
    assert document["stopped"] == "credential"
    assert document["exit_code"] == 1
    assert document["error"] == result.stderr.splitlines()[0].removeprefix("Error: ")
    if source == "config":
        assert document["planned"] is False and document["numbers"] == []
    else:
        assert document["planned"] is True
        assert {n["message"] for n in document["numbers"]} == {"Close had rejected the credential"}
        assert [n["status"] for n in document["numbers"]] == ["not sent"] * 3
    assert [r for r in emulator.requests if r.method == "PUT"] == []


def test_ctrl_c_at_the_confirmation_prompt_leaves_its_report(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A terminal, and a prompt that reads it until Ctrl-C comes (as click.prompt, which turns
    # the KeyboardInterrupt into Abort).
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True)

    def prompt(*args: Any, **kwargs: Any) -> str:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(30)  # reading the terminal; the signal ends it
        except KeyboardInterrupt:
            raise click.Abort() from None
        raise AssertionError("the signal did not end the prompt")

    monkeypatch.setattr(click, "prompt", prompt)
    report = tmp_path / "report.json"

    result = cli(emulator, "apply", "-c", str(NUMBERS_YAML), "--report", str(report))

    assert result.exit_code == 130, result.output
    assert result.stdout.endswith(
        SAVED_NOT_SENT.format(why="interrupted before it was sent")
        + "Interrupted: 0 applied, 0 failed, 0 unknown, 3 not sent.\n"
        "Hint: run apply again to converge: it sends only what is still different.\n"
    )
    document = read_report(report)
    assert document["stopped"] == "SIGINT" and document["exit_code"] == 130
    assert [n["status"] for n in document["numbers"]] == ["not sent"] * 3
    assert [r for r in emulator.requests if r.method == "PUT"] == []
