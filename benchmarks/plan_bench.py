"""`numbersync plan` and `numbersync export` run as whole processes, as users run them, against
the emulator answering after 0, 50 and 150 ms, over 100, 1,000 and 10,000 numbers: their wall
time over a bare sequential fetch of the same pages, and over a bare concurrent fetch plus the
file load (what is physically possible); the list requests and 429s of each; the same against a
rate-limited emulator; and plan's wall time at each --concurrency, which chose the default."""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RemoteEmulator,
    Requests,
    Row,
    Sample,
    check,
    desired_numbers,
    numbersync_command,
    ratios,
    run_timed,
    write_yaml,
)
from numbersync.models import DEFAULT_CONCURRENCY

SECTION = "plan"
SIZES = (100, 1_000, 10_000)
LATENCIES = (0.0, 0.05, 0.15)  # seconds the emulator waits before each answer
# Issue 18's targets for plan / bare sequential fetch, by (latency, size): every read in the
# first round trip, the file read while the answers are on their way.
SEQUENTIAL_TARGETS = {(0.15, 10_000): 0.15, (0.15, 1_000): 0.35, (0.05, 10_000): 0.25}
POSSIBLE_TARGET = 1.3  # plan / (bare concurrent fetch + file load), at every size and latency
# A bare sequential read expected to take longer than this (100 pages at 150 ms: 15 s) runs in
# the first round only: it is set by the latency and repeats closely from run to run.
SLOW_SEQUENTIAL = 10.0
SWEEP = (1, 2, 4, 8, 16)
SWEEP_SLOW = (1, 2)  # latency-bound (18 s and 10 s): one run each
SWEEP_SIZE, SWEEP_LATENCY = 10_000, 0.15
# 40 requests per 1-second window for every endpoint group and key, as in the issue.
LIMITED_SIZE, LIMITED_LATENCY, LIMIT, WINDOW = 10_000, 0.05, 40, 1.0
# A file managing only some of the account's numbers: plan reads past the pages it expected.
PARTIAL_SIZE, PARTIAL_MANAGED, PARTIAL_LATENCY = 10_000, 1_000, 0.0
LIST = ("GET", "/phone_number/")
BARE_SCRIPT = Path(__file__).resolve().parent / "bare_fetch.py"
# Run with `python -c`: the seconds of importing numbersync.config (YAML, JSON Schema, phone
# numbers) and loading the file, measured inside the process. The interpreter's own start is
# counted once already, in the bare fetch's process.
LOAD_CODE = """import sys, time
started = time.perf_counter()
from numbersync import config
config.load(sys.argv[1])
print(time.perf_counter() - started)
"""


def desired_file(seed: dict[str, Any]) -> dict[str, Any]:
    """desired_numbers() managing every field, as a file written by `numbersync export` does:
    then plan asks for the same `_fields` as export, and one bare fetch stands for both."""
    data = desired_numbers(seed)
    for entry, settings in zip(seed["numbers"], data["numbers"].values(), strict=True):
        settings["press_1_to_accept"] = bool(entry.get("press_1_to_accept"))
        settings["voicemail_greeting_url"] = entry.get("voicemail_greeting_url")
    return data


def list_bound(size: int, concurrency: int) -> int:
    """SPEC section 6: the most phone-number list requests a read of `size` numbers may make."""
    pages = max(1, math.ceil(size / 100))
    return pages + (min(2, concurrency - 1) if size <= 1000 else concurrency - 1)


def bound_text(size: int, concurrency: int) -> str:
    """The bound as the target column shows it."""
    extra = "2" if size <= 1000 else f"{concurrency} - 1"
    return f"<= ceil(N/100) + {extra} = {list_bound(size, concurrency)}"


def only_fields(run: Run) -> str:
    """The one `_fields` value a command's phone-number list requests carried."""
    asked = run.requests.fields(*LIST)
    if len(asked) != 1:
        raise RuntimeError(f"expected one `_fields` in the list requests, got {sorted(asked)}")
    return asked.pop()


@dataclass(frozen=True)
class Run:
    """One process: its wall time and the requests the emulator logged for it."""

    wall: float
    requests: Requests


class Commands:
    """The processes measured, against one emulator serving `size` numbers."""

    def __init__(self, emu: RemoteEmulator, size: int, config_path: Path, workdir: Path) -> None:
        self.emu = emu
        self.size = size
        self.config_path = str(config_path)
        self.export_path = str(workdir / f"export-{size}.yaml")
        self.env = {k: v for k, v in os.environ.items() if k != "CLOSE_ACCESS_TOKEN"}
        self.env.update(CLOSE_API_URL=emu.url, CLOSE_API_KEY=emu.admin_key)

    def _run(self, argv: list[str]) -> tuple[Run, str]:
        wall, out = run_timed(argv, self.env)
        return Run(wall, self.emu.take_requests()), out

    def plan(self, concurrency: int | None = None, config_path: Path | None = None) -> Run:
        """`numbersync plan -c FILE` (with --concurrency only when given)."""
        flag = [] if concurrency is None else ["--concurrency", str(concurrency)]
        path = str(config_path or self.config_path)
        return self._run([*numbersync_command(), "plan", "-c", path, *flag])[0]

    def export(self) -> Run:
        return self._run([*numbersync_command(), "export", "-o", self.export_path])[0]

    def bare(self, fields: str, concurrency: int) -> Run:
        run, out = self._run([sys.executable, str(BARE_SCRIPT), fields, str(concurrency)])
        if int(out) != self.size:
            raise RuntimeError(f"the bare fetch read {out.strip()} numbers, not {self.size}")
        return run

    def load(self) -> float:
        """Seconds of the file load alone, in its own process (imports included)."""
        return float(run_timed([sys.executable, "-c", LOAD_CODE, self.config_path])[1])


def run(workdir: Path, runs: int, only: set[tuple[float, int]] | None = None) -> list[Row]:
    """Every (latency, size) cell, the --concurrency sweep and the rate-limited rows; or, with
    `only`, just those cells' rows (no sweep, no rate limits)."""
    from numbersync.emulator import generate_seed

    cells: dict[tuple[float, int], list[Row]] = {}
    for size in SIZES:
        latencies = [lat for lat in LATENCIES if only is None or (lat, size) in only]
        if not latencies:
            continue
        seed = generate_seed(size)
        path = write_yaml(workdir / f"plan-{size}.yaml", desired_file(seed))
        with RemoteEmulator(size) as emu:
            commands = Commands(emu, size, path, workdir)
            if not cells:  # warm the file cache and the .pyc files, not timed
                commands.load()
                commands.plan()
                commands.export()
            for latency in latencies:
                emu.set_faults({"latency": latency})
                wanted = (size, latency) == (SWEEP_SIZE, SWEEP_LATENCY) and only is None
                sweep = Sweep(commands) if wanted else None
                cells[(latency, size)] = cell(commands, latency, runs, sweep)
                if (size, latency) == (PARTIAL_SIZE, PARTIAL_LATENCY):
                    cells[(latency, size)] += partial_file(commands, seed, workdir, runs)
    rows = [row for key in sorted(cells) for row in cells[key]]
    if only is None:
        rows.extend(rate_limited(workdir))
    return rows


def cell(commands: Commands, latency: float, runs: int, sweep: Sweep | None) -> list[Row]:
    """Both commands and both bare fetches, in rounds: each ratio pairs runs of the same round.
    The bare fetches ask for the `_fields` plan asked for (export must ask for the same)."""
    size, concurrency = commands.size, DEFAULT_CONCURRENCY
    pages = math.ceil(size / 100)
    sequential_runs = 1 if pages * latency > SLOW_SEQUENTIAL else runs
    plans, exports, sequentials, concurrents, loads = [], [], [], [], []
    for n in range(runs):
        plans.append(commands.plan())
        fields = only_fields(plans[0])
        if n < sequential_runs:
            sequentials.append(commands.bare(fields, 1))
        concurrents.append(commands.bare(fields, concurrency))
        loads.append(commands.load())
        exports.append(commands.export())
        if only_fields(exports[0]) != fields:
            raise RuntimeError(f"export asks for other fields than plan: {only_fields(exports[0])}")
        if sweep is not None:
            sweep.round(n)

    def wall(sample: list[Run]) -> Sample:
        return Sample(tuple(r.wall for r in sample))

    plan, export, sequential = wall(plans), wall(exports), wall(sequentials)
    bare = wall(concurrents)
    possible = Sample(tuple(c + f for c, f in zip(bare.values, loads, strict=True)))
    first = Sample(plan.values[:sequential_runs])  # the runs paired with a sequential fetch
    name = f"{latency * 1000:g} ms, {size:,} numbers"
    fewer = "" if sequential_runs == runs else ", first round only: latency-bound"
    target = SEQUENTIAL_TARGETS.get((latency, size))
    by_sequential = ratios(first, sequential)
    by_possible = ratios(plan, possible)
    rows = [
        Row(SECTION, f"{name}: bare sequential fetch{fewer}", sequential.show(unit=" s")),
        Row(
            SECTION,
            f"{name}: bare concurrent fetch ({concurrency} threads) + file load",
            f"{possible.show(unit=' s')}: fetch {bare.median:.3g} + load "
            f"{Sample(tuple(loads)).median:.3g}",
        ),
        Row(SECTION, f"{name}: numbersync plan", plan.show(unit=" s")),
        Row(
            SECTION,
            f"{name}: plan / bare sequential",
            by_sequential.show(unit="x"),
            "" if target is None else f"<= {target}x",
            "" if target is None else check(by_sequential.median <= target),
        ),
        Row(
            SECTION,
            f"{name}: plan / (bare concurrent + load)",
            by_possible.show(unit="x"),
            f"<= {POSSIBLE_TARGET}x",
            check(by_possible.median <= POSSIBLE_TARGET),
        ),
        Row(SECTION, f"{name}: numbersync export", export.show(unit=" s")),
        Row(
            SECTION,
            f"{name}: export / bare sequential; export / bare concurrent",
            f"{ratios(Sample(export.values[:sequential_runs]), sequential).show(unit='x')}; "
            f"{ratios(export, bare).show(unit='x')}",
        ),
        requests_row(name, size, plans, exports, concurrency),
    ]
    return rows if sweep is None else rows + sweep.rows(plans)


def requests_row(
    name: str, size: int, plans: list[Run], exports: list[Run], concurrency: int
) -> Row:
    """The list requests of every run of each command, against the bound, and every 429."""
    bound = list_bound(size, concurrency)
    lists = {
        command: [r.requests.count(*LIST) for r in runs]
        for command, runs in (("plan", plans), ("export", exports))
    }
    throttled = sum(r.requests.count(status=429) for r in plans + exports)
    shown = "; ".join(f"{command} {', '.join(map(str, n))}" for command, n in lists.items())
    return Row(
        SECTION,
        f"{name}: list requests, each run; 429s",
        f"{shown}; {throttled} 429s",
        f"{bound_text(size, concurrency)}; 0",
        check(max(lists["plan"] + lists["export"]) <= bound and throttled == 0),
    )


def partial_file(commands: Commands, seed: dict[str, Any], workdir: Path, runs: int) -> list[Row]:
    """plan of a file that manages PARTIAL_MANAGED of the account's numbers, the usual case: it
    expects fewer pages than there are, and reads on `concurrency` pages ahead."""
    data = desired_file(seed)
    kept = dict(list(data["numbers"].items())[:PARTIAL_MANAGED])
    path = write_yaml(workdir / "partial.yaml", {**data, "numbers": kept})
    plans = [commands.plan(config_path=path) for _ in range(runs)]
    lists = [r.requests.count(*LIST) for r in plans]
    throttled = sum(r.requests.count(status=429) for r in plans)
    bound = list_bound(commands.size, DEFAULT_CONCURRENCY)
    name = (
        f"{PARTIAL_LATENCY * 1000:g} ms, a file managing {PARTIAL_MANAGED:,} of "
        f"{commands.size:,} numbers"
    )
    return [
        Row(
            SECTION,
            f"{name}: plan list requests, each run; 429s",
            f"{', '.join(map(str, lists))}; {throttled} 429s",
            f"{bound_text(commands.size, DEFAULT_CONCURRENCY)}; 0",
            check(max(lists) <= bound and throttled == 0),
        )
    ]


class Sweep:
    """plan at each --concurrency of SWEEP, run at the end of each round of a cell, whose own plan
    runs stand for the default; the latency-bound low ones in the first round only."""

    def __init__(self, commands: Commands) -> None:
        self.commands = commands
        self.runs: dict[int, list[Run]] = {c: [] for c in SWEEP if c != DEFAULT_CONCURRENCY}

    def round(self, n: int) -> None:
        for concurrency, runs in self.runs.items():
            if n == 0 or concurrency not in SWEEP_SLOW:
                runs.append(self.commands.plan(concurrency))

    def rows(self, default: list[Run]) -> list[Row]:
        name = f"{SWEEP_LATENCY * 1000:g} ms, {self.commands.size:,} numbers"
        rows = []
        medians = {}
        for concurrency in SWEEP:
            plans = self.runs.get(concurrency, default)
            wall = Sample(tuple(r.wall for r in plans))
            medians[concurrency] = wall.median
            lists = max(r.requests.count(*LIST) for r in plans)
            throttled = sum(r.requests.count(status=429) for r in plans)
            bound = list_bound(self.commands.size, concurrency)
            how = " (the default: the runs above)" if concurrency == DEFAULT_CONCURRENCY else ""
            rows.append(
                Row(
                    SECTION,
                    f"{name}: plan --concurrency {concurrency}{how}; list requests; 429s",
                    f"{wall.show(unit=' s')}; {lists}; {throttled}",
                    f"<= {bound}; 0",
                    check(lists <= bound and throttled == 0),
                )
            )
        best = min(medians, key=lambda c: medians[c])
        ranking = ", ".join(f"{c}: {medians[c]:.3g} s" for c in SWEEP)
        rows.append(
            Row(
                SECTION,
                f"{name}: fastest plan --concurrency (median wall; default {DEFAULT_CONCURRENCY})",
                f"{best} ({ranking})",
            )
        )
        return rows


def rate_limited(workdir: Path) -> list[Row]:
    """plan and export, once each, against an emulator allowing LIMIT requests per WINDOW for
    each endpoint group: the requests they make and the 429s they get."""
    from numbersync.emulator import generate_seed

    size = LIMITED_SIZE
    path = write_yaml(workdir / f"limited-{size}.yaml", desired_file(generate_seed(size)))
    limits = {"limit": LIMIT, "window": WINDOW}
    faults = {"latency": LIMITED_LATENCY}
    name = (
        f"{LIMIT} requests per {WINDOW:g} s per group, {LIMITED_LATENCY * 1000:g} ms, "
        f"{size:,} numbers"
    )
    pages = math.ceil(size / 100)
    fastest = (math.ceil(pages / LIMIT) - 1) * WINDOW + LIMITED_LATENCY
    rows = []
    with RemoteEmulator(size, faults=faults, rate_limits=limits) as emu:
        commands = Commands(emu, size, path, workdir)
        for command, measure in (("plan", commands.plan), ("export", commands.export)):
            time.sleep(WINDOW + 0.1)  # every command starts with its windows fresh
            result = measure()
            lists = result.requests.count(*LIST)
            throttled = result.requests.count(status=429)
            bound = list_bound(size, DEFAULT_CONCURRENCY)
            rows.append(
                Row(
                    SECTION,
                    f"{name}: {command} (1 run; the limit alone keeps {pages} pages to "
                    f">= {fastest:.3g} s)",
                    f"{result.wall:.3g} s",
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{name}: {command} requests; 429s",
                    f"{result.requests.by_path()}; {throttled}",
                    f"list <= {bound}; 0",
                    check(lists <= bound and throttled == 0),
                )
            )
    return rows
