"""CLI start-up: `numbersync --help` and `numbersync validate` of a 1,000-number file, each as a
ratio to `python -c pass`, in fresh processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.common import Row, Sample, desired_numbers, ratios, timed, write_yaml

VALIDATE_SIZE = 1_000
SECTION = "start-up"


def numbersync_command() -> list[str]:
    """The console script installed next to this Python, as users run it."""
    script = Path(sys.executable).with_name("numbersync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "numbersync"]


def run(workdir: Path, runs: int) -> list[Row]:
    from numbersync.emulator import generate_seed

    one = write_yaml(workdir / "one.yaml", desired_numbers(generate_seed(1)))
    path = write_yaml(workdir / "validate.yaml", desired_numbers(generate_seed(VALIDATE_SIZE)))
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "numbersync --help": [*numbersync_command(), "--help"],
        "numbersync validate (1 number)": [*numbersync_command(), "validate", "-c", str(one)],
        f"numbersync validate ({VALIDATE_SIZE:,} numbers)": [
            *numbersync_command(),
            "validate",
            "-c",
            str(path),
        ],
    }

    def once(argv: list[str]) -> float:
        return timed(lambda: subprocess.run(argv, check=True, capture_output=True))

    for argv in commands.values():
        once(argv)  # warm the file cache and the .pyc files
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(max(runs, 5)):
        for name, argv in commands.items():  # interleaved: the same load for each
            times[name].append(once(argv))
    baseline = Sample(tuple(times["python -c pass"]))
    rows = [Row(SECTION, "python -c pass", baseline.show("{:.3f}", " s"))]
    for name in list(commands)[1:]:
        sample = Sample(tuple(times[name]))
        ratio = ratios(sample, baseline)
        rows.append(Row(SECTION, name, sample.show("{:.3f}", " s")))
        rows.append(Row(SECTION, f"{name} / python -c pass", ratio.show("{:.1f}", "x")))
    return rows
