"""Where a plan's time goes, inside one process: the phases of `numbersync plan` (file load,
fetch, diff + render) through the same library calls, the fetch against its latency bound, the
CPU time of diff + render, peak memory, and diff + render alone at 100,000 numbers."""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import RemoteEmulator, Row, Sample, desired_numbers, write_yaml
from benchmarks.plan_bench import SIZES, desired_file
from numbersync.models import DEFAULT_CONCURRENCY

SECTION = "phases"
LATENCY = 0.15  # the latency of the strictest targets
DIFF_ONLY_SIZE = 100_000
# The fields desired_numbers() manages: those diff_only's live numbers carry, as the client's would.
WANTED = ("label", "participants", "inbound_ring_duration", "forward_to", "forward_to_enabled")


def plan_once(url: str, key: str, config_path: str) -> dict[str, Any]:
    """What `numbersync plan -c FILE` does, through the same library calls as cli.plan; returns
    the wall time of each phase and the CPU time of diff + render."""
    from numbersync import config, render
    from numbersync.close import CloseClient, Secret, Settings
    from numbersync.fetch import fetch_for_plan
    from numbersync.plan import build_plan

    clock = time.perf_counter
    started = clock()
    state = config.load(config_path)
    loaded = clock()
    with CloseClient(Settings(url, Secret(key)), concurrency=DEFAULT_CONCURRENCY) as client:
        account = fetch_for_plan(client, state)
        fetched = clock()
        cpu = time.process_time()
        plan = build_plan(state, account.numbers, account.directory, me=account.me)
        text = render.render_text(plan)
        cpu = time.process_time() - cpu
    done = clock()
    assert text.endswith("\n") and plan.changes
    return {
        "wall": done - started,
        "load": loaded - started,
        "fetch": fetched - loaded,
        "diff": done - fetched,
        "diff_cpu": cpu,
    }


def peak_memory(func: Callable[[], Any]) -> float:
    """Peak bytes traced by tracemalloc while `func` runs (objects it allocates and keeps too)."""
    gc.collect()
    tracemalloc.start()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def run(workdir: Path, runs: int) -> list[Row]:
    from numbersync.emulator import generate_seed

    rows: list[Row] = []
    for size in SIZES:
        path = str(write_yaml(workdir / f"phases-{size}.yaml", desired_file(generate_seed(size))))
        with RemoteEmulator(size, faults={"latency": LATENCY}) as emu:
            if size == SIZES[0]:  # warm up once: imports, the schema
                plan_once(emu.url, emu.admin_key, path)
            infos = [plan_once(emu.url, emu.admin_key, path) for _ in range(runs)]
            memory = peak_memory(lambda: plan_once(emu.url, emu.admin_key, path))  # noqa: B023

        def phase(name: str) -> Sample:
            return Sample(tuple(info[name] for info in infos))  # noqa: B023

        name = f"{size:,} numbers at {LATENCY * 1000:g} ms"
        phases = ", ".join(f"{what} {phase(what).median:.3g}" for what in ("load", "fetch", "diff"))
        # No client can read the pages faster than in rounds of `concurrency` requests.
        rounds = math.ceil(math.ceil(size / 100) / DEFAULT_CONCURRENCY)
        bound = rounds * LATENCY
        fetch = Sample(tuple(v / bound for v in phase("fetch").values))
        rows += [
            Row(SECTION, f"{name}: plan wall time (in process)", phase("wall").show(unit=" s")),
            Row(SECTION, f"{name}: phases, median s (config.load, fetch, diff+render)", phases),
            Row(
                SECTION,
                f"{name}: fetch phase / {rounds} rounds of {DEFAULT_CONCURRENCY} requests at "
                f"{LATENCY * 1000:g} ms ({bound:.3g} s)",
                fetch.show(unit="x"),
            ),
            Row(SECTION, f"{name}: diff + render CPU", phase("diff_cpu").show(unit=" s")),
            Row(SECTION, f"{name}: peak memory (whole plan)", f"{memory / 2**20:.1f} MiB"),
        ]
    # One timed run: CPU time alone, steady from run to run, and 7 s each on this machine.
    rows.extend(diff_only(DIFF_ONLY_SIZE, 1))
    return rows


def diff_only(size: int, runs: int) -> list[Row]:
    """build_plan + render_text over in-memory inputs shaped like the client's: no file, no
    server. Memory is what the diff and render allocate at their peak, over the inputs."""
    from numbersync import render
    from numbersync.account import LiveNumber, User
    from numbersync.errors import Position
    from numbersync.live import Directory
    from numbersync.models import MANAGED_FIELDS, DesiredNumber, DesiredState
    from numbersync.plan import build_plan

    def inputs() -> tuple[DesiredState, list[LiveNumber], Directory]:
        from numbersync.emulator import generate_seed

        seed = generate_seed(size)
        desired = desired_numbers(seed)["numbers"]
        live = [
            LiveNumber(
                id=entry["id"],
                number=entry["number"],
                number_formatted=entry["number"],
                date_updated="2024-01-15T09:00:00+00:00",
                # As the client returns them: only the fields the file manages.
                fields={name: entry.get(name) for name in MANAGED_FIELDS if name in WANTED},
                raw=entry,
            )
            for entry in seed["numbers"]
        ]
        numbers = tuple(
            DesiredNumber(
                key=key,
                number=key,
                id=None,
                fields={**settings, "participants": tuple(settings["participants"])},
                positions={"": Position("numbers.yaml", 4 + 4 * i, 3)},
            )
            for i, (key, settings) in enumerate(desired.items())
        )
        users = tuple(User(u["id"], u["email"]) for u in seed["users"])
        return DesiredState("numbers.yaml", 1, numbers), live, Directory(users=users)

    def diff(state: DesiredState, live: list[LiveNumber], directory: Directory) -> str:
        return render.render_text(build_plan(state, live, directory))

    # Inputs first (not traced: tracing their construction would take most of a minute), then
    # the diff's own peak under tracemalloc, then the timed runs on the same inputs without it.
    state, live, directory = inputs()
    gc.collect()
    tracemalloc.start()
    try:
        diff(state, live, directory)
        _, memory = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cpu = []
    for _ in range(runs):
        started = time.process_time()
        diff(state, live, directory)
        cpu.append(time.process_time() - started)
    name = f"{size:,} numbers"
    return [
        Row(SECTION, f"{name}: diff + render CPU (no server)", Sample(tuple(cpu)).show(unit=" s")),
        Row(
            SECTION,
            f"{name}: peak memory of diff + render (inputs not counted)",
            f"{memory / 2**20:.0f} MiB",
        ),
    ]
