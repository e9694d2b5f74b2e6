"""CLI start-up, in fresh processes: `numbersync --help` over `python -c "import click"` (the least
any click program imports), `numbersync validate` over importing what validating needs (PyYAML,
jsonschema, phonenumbers), and both over `python -c pass`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.common import (
    Row,
    Sample,
    check,
    desired_numbers,
    numbersync_command,
    ratios,
    timed,
    write_yaml,
)

VALIDATE_SIZE = 1_000
SECTION = "start-up"
HELP_TARGET = 1.25  # --help / import click (issue 18)
VALIDATE_TARGET = 1.3  # validate of 1,000 numbers / import yaml, jsonschema, phonenumbers
PASS = "python -c pass"
CLICK = 'python -c "import click"'
LIBRARIES = 'python -c "import yaml, jsonschema, phonenumbers"'
HELP = "numbersync --help"
VALIDATE_ONE = "numbersync validate (1 number)"
VALIDATE = f"numbersync validate ({VALIDATE_SIZE:,} numbers)"


def run(workdir: Path, runs: int) -> list[Row]:
    from numbersync.emulator import generate_seed

    one = write_yaml(workdir / "one.yaml", desired_numbers(generate_seed(1)))
    path = write_yaml(workdir / "validate.yaml", desired_numbers(generate_seed(VALIDATE_SIZE)))
    numbersync = numbersync_command()
    commands = {
        PASS: [sys.executable, "-c", "pass"],
        CLICK: [sys.executable, "-c", "import click"],
        LIBRARIES: [sys.executable, "-c", "import yaml, jsonschema, phonenumbers"],
        HELP: [*numbersync, "--help"],
        VALIDATE_ONE: [*numbersync, "validate", "-c", str(one)],
        VALIDATE: [*numbersync, "validate", "-c", str(path)],
    }

    def once(argv: list[str]) -> float:
        return timed(lambda: subprocess.run(argv, check=True, capture_output=True))

    for argv in commands.values():
        once(argv)  # warm the file cache and the .pyc files
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(max(runs, 5)):
        for name, argv in commands.items():  # interleaved: the same load for each
            times[name].append(once(argv))
    sample = {name: Sample(tuple(values)) for name, values in times.items()}
    rows = [Row(SECTION, name, sample[name].show("{:.3f}", " s")) for name in commands]
    for name, baseline, target in (
        (HELP, CLICK, HELP_TARGET),
        (VALIDATE, LIBRARIES, VALIDATE_TARGET),
        (VALIDATE_ONE, LIBRARIES, None),
        (HELP, PASS, None),
        (VALIDATE, PASS, None),
    ):
        ratio = ratios(sample[name], sample[baseline])
        rows.append(
            Row(
                SECTION,
                f"{name} / {baseline}",
                ratio.show("{:.2f}", "x"),
                "" if target is None else f"<= {target}x",
                "" if target is None else check(ratio.median <= target),
            )
        )
    return rows
