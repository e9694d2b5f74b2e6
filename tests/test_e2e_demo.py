"""`numbersync demo` walks the whole workflow against the embedded emulator and ends clean."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(120)


def test_demo_runs_every_step_and_ends_with_no_changes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "numbersync", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    headings = [line for line in out.splitlines() if line.startswith("== ")]
    assert [h.split(". ", 1)[0] for h in headings] == [f"== {n}" for n in range(1, 7)]
    assert "OK: 5 numbers" in out
    # The text plan, the markdown summary of the saved plan, and the plan apply shows first.
    assert out.count("Plan: 3 to change, 2 unchanged, 6 unmanaged.") == 3
    assert "<!-- numbersync-plan -->" in out
    assert "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in out
    replan = out.split("== 5.")[1].split("== 6.")[0]
    assert "No changes. 5 managed numbers match the file; 6 unmanaged." in replan
    init = out.split("== 6.")[1]
    assert "Wrote 8 files, from 11 numbers:" in init
    # Nothing to do about files the demo has deleted by then.
    assert "Next:" not in init and "CHANGE ME" not in out
    assert "run `numbersync init` in a repository of your own." in init
    assert "Traceback" not in out + result.stderr
