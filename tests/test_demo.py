"""`numbersync demo` walks the whole workflow against the embedded emulator and ends clean."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.usefixtures("time_limit"), pytest.mark.time_limit(120)]


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
    assert [h.split(". ", 1)[0] for h in headings] == ["== 1", "== 2", "== 3", "== 4", "== 5"]
    assert "OK: 5 numbers" in out
    # The text plan, the markdown summary, and the plan apply shows before applying.
    assert out.count("Plan: 3 to change, 2 unchanged, 6 unmanaged.") == 3
    assert "<!-- numbersync-plan -->" in out
    assert "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent." in out
    last_step = out.split("== 5.")[1]
    assert "No changes. 5 managed numbers match the file; 6 unmanaged." in last_step
    assert "Traceback" not in out + result.stderr
