"""`python -m benchmarks` (`make bench`): run every benchmark, print one table, and write it to
benchmarks/results.md for the README to quote."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    apply_bench,
    groups_bench,
    load_bench,
    plan_bench,
    plan_phases,
    reads_bench,
    startup,
)
from benchmarks.common import Row, Table

RESULTS = Path(__file__).resolve().parent / "results.md"
SECTIONS = ("plan", "groups", "reads", "phases", "apply", "limits", "startup", "load")


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"nproc {cpus}, Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.platform()}, load average {load_average()} at start"
    )


def compile_bytecode() -> None:
    """Compile numbersync's modules once, as pip does when it installs the wheel: in a source
    checkout (and where PYTHONDONTWRITEBYTECODE is set) every process would otherwise compile
    them again, a start-up cost no installed numbersync pays."""
    import compileall

    import numbersync

    compileall.compile_dir(Path(numbersync.__file__).parent, quiet=1)


def cell(text: str) -> tuple[float, int]:
    """`150:10000` -> (0.15, 10000), a plan cell as plan_bench keys it."""
    latency, _, size = text.partition(":")
    try:
        return float(latency) / 1000, int(size)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MS:SIZE, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--cell",
        dest="cells",
        action="append",
        type=cell,
        metavar="MS:SIZE",
        help="plan section: only this latency (ms) and size, e.g. 150:10000 (repeatable; no "
        "--concurrency sweep, no rate-limited rows)",
    )
    parser.add_argument(
        "--thorough",
        action="store_true",
        help="also repeat the slow applies (concurrency 1 and 2: 50 s and 25 s; limits: 40 s)",
    )
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not write {RESULTS.name}, only print"
    )
    args = parser.parse_args(argv)
    sections = [name for name in SECTIONS if name in (args.only or SECTIONS)]
    compile_bytecode()
    about = machine()
    print(f"numbersync benchmarks: {about}", flush=True)
    table = Table()
    started = time.perf_counter()
    runners: dict[str, Callable[[Path], list[Row]]] = {
        "plan": lambda workdir: plan_bench.run(
            workdir, args.runs, set(args.cells) if args.cells else None
        ),
        "groups": lambda workdir: groups_bench.run(workdir, args.runs),
        "reads": lambda workdir: reads_bench.run(workdir, args.runs),
        "phases": lambda workdir: plan_phases.run(workdir, args.runs),
        "apply": lambda workdir: apply_bench.run(workdir, args.runs, thorough=args.thorough),
        "limits": lambda workdir: apply_bench.run_limits(
            workdir, args.runs, thorough=args.thorough
        ),
        "startup": lambda workdir: startup.run(workdir, args.runs),
        "load": lambda workdir: load_bench.run(workdir, args.runs),
    }
    durations = []
    with tempfile.TemporaryDirectory(prefix="numbersync-bench-") as tmp:
        for name in sections:
            print(f"{name} ...", flush=True)
            section_started = time.perf_counter()
            table.extend(runners[name](Path(tmp)))
            durations.append(f"{name} {time.perf_counter() - section_started:.0f} s")
    elapsed = time.perf_counter() - started
    # The load at the end too: a figure measured while other work ran says so.
    about += f", {load_average()} at the end"
    print()
    print(table.text())
    print(f"\n{about}; {elapsed:.0f} s in all ({', '.join(durations)})")
    if not args.no_write:
        write_results(table, about, elapsed, sections)
        print(f"Wrote {RESULTS}")
    return 0


def write_results(table: Table, about: str, elapsed: float, sections: list[str]) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    partial = "" if len(sections) == len(SECTIONS) else f" (only: {', '.join(sections)})"
    RESULTS.write_text(
        f"""# Benchmark results

Written by `make bench` (`python -m benchmarks`){partial} on {when}, in {elapsed:.0f} s.
Machine: {about}.

Everything runs against the emulator on 127.0.0.1, served from a separate process; `plan`,
`export`, the bare fetches and the start-up rows are whole processes, as users run them. Each
figure is the median of the runs with their range; ratios are taken run by run, each pair measured
in the same round, so that both sides saw the same machine load. The method is described in
[docs/reliability.md](../docs/reliability.md#benchmarks).

{table.markdown()}
""",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.exit(main())
