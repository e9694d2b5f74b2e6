"""What reading an account of unknown length costs (issue 18): the list requests of a small
account (a plan of a file managing 3 of its 250 numbers, an export), and the wall time of a large
one (10,000 numbers at 150 ms: an export, a plan of a file managing 3 of them) beside the same
command with the read-ahead it had before it started small (benchmarks/fixed_readahead.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RemoteEmulator,
    Row,
    Sample,
    check,
    ratios,
    run_timed,
    write_yaml,
)
from benchmarks.plan_bench import LIST, Commands, Run, bound_text, desired_file, list_bound
from numbersync.models import DEFAULT_CONCURRENCY

SECTION = "reads"
SMALL_SIZE, LARGE_SIZE, MANAGED = 250, 10_000, 3
SMALL_TARGET = 5  # list requests of a plan of 3 numbers of a 250-number account
LARGE_LATENCY = 0.15
FIXED_TARGET = 1.1  # wall time / the same command with the former read-ahead
FIXED_SCRIPT = Path(__file__).resolve().parent / "fixed_readahead.py"


def few_numbers(seed: dict[str, Any], path: Path) -> Path:
    """desired_file() of the seed, keeping only its first MANAGED numbers."""
    data = desired_file(seed)
    return write_yaml(path, {**data, "numbers": dict(list(data["numbers"].items())[:MANAGED])})


def run(workdir: Path, runs: int) -> list[Row]:
    return small_account(workdir, runs) + large_account(workdir, runs)


def small_account(workdir: Path, runs: int) -> list[Row]:
    from numbersync.emulator import generate_seed

    seed = generate_seed(SMALL_SIZE)
    path = few_numbers(seed, workdir / "few-of-small.yaml")
    with RemoteEmulator(SMALL_SIZE) as emu:
        commands = Commands(emu, SMALL_SIZE, path, workdir)
        plans = [commands.plan().requests.count(*LIST) for _ in range(runs)]
        exports = [commands.export().requests.count(*LIST) for _ in range(runs)]
    name = f"{SMALL_SIZE} numbers, 0 ms"
    bound = list_bound(SMALL_SIZE, DEFAULT_CONCURRENCY)
    return [
        Row(
            SECTION,
            f"{name}: plan of a file managing {MANAGED} of them: list requests, each run",
            ", ".join(map(str, plans)),
            f"<= {SMALL_TARGET}",
            check(max(plans) <= SMALL_TARGET),
        ),
        Row(
            SECTION,
            f"{name}: export: list requests, each run",
            ", ".join(map(str, exports)),
            bound_text(SMALL_SIZE, DEFAULT_CONCURRENCY),
            check(max(exports) <= bound),
        ),
    ]


def large_account(workdir: Path, runs: int) -> list[Row]:
    """Each command and its former-read-ahead twin in the same round, so that each ratio pairs
    runs that saw the same machine load."""
    from numbersync.emulator import generate_seed

    seed = generate_seed(LARGE_SIZE)
    path = few_numbers(seed, workdir / "few-of-large.yaml")
    export_path = str(workdir / "export-large.yaml")
    rows = []
    with RemoteEmulator(LARGE_SIZE, faults={"latency": LARGE_LATENCY}) as emu:
        commands = Commands(emu, LARGE_SIZE, path, workdir)

        def fixed(*argv: str) -> Run:
            wall, _ = run_timed([sys.executable, str(FIXED_SCRIPT), *argv], commands.env)
            return Run(wall, emu.take_requests())

        measured: dict[str, tuple[list[Run], list[Run]]] = {"export": ([], []), "plan": ([], [])}
        fixed("export", "-o", export_path)  # warm the file cache and the .pyc files
        for _ in range(runs):
            measured["export"][0].append(commands.export())
            measured["export"][1].append(fixed("export", "-o", export_path))
            measured["plan"][0].append(commands.plan())
            measured["plan"][1].append(fixed("plan", "-c", str(path)))
    name = f"{LARGE_SIZE:,} numbers at {LARGE_LATENCY * 1000:g} ms"
    bound = list_bound(LARGE_SIZE, DEFAULT_CONCURRENCY)
    for command, (now, before) in measured.items():
        what = f"{command} of a file managing {MANAGED}" if command == "plan" else command
        wall_now = Sample(tuple(r.wall for r in now))
        wall_before = Sample(tuple(r.wall for r in before))
        ratio = ratios(wall_now, wall_before)
        lists = [r.requests.count(*LIST) for r in now]
        lists_before = [r.requests.count(*LIST) for r in before]
        rows += [
            Row(
                SECTION,
                f"{name}: {what}; with the former read-ahead",
                f"{wall_now.show(unit=' s')}; {wall_before.show(unit=' s')}",
            ),
            Row(
                SECTION,
                f"{name}: {what} / with the former read-ahead",
                ratio.show(unit="x"),
                f"<= {FIXED_TARGET}x",
                check(ratio.median <= FIXED_TARGET),
            ),
            Row(
                SECTION,
                f"{name}: {what}: list requests, each run (former read-ahead)",
                f"{', '.join(map(str, lists))} ({', '.join(map(str, lists_before))})",
                bound_text(LARGE_SIZE, DEFAULT_CONCURRENCY),
                check(max(lists) <= bound),
            ),
        ]
    return rows
