"""`plan` against the emulator: its wall time over a bare paginated fetch of the same pages, the
requests it makes, the CPU time of diff + render, and peak memory (also at 100,000 numbers, diff
only, with no server)."""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RemoteEmulator,
    Row,
    Sample,
    check,
    desired_numbers,
    ratios,
    write_yaml,
)

SIZES = (100, 1_000, 10_000)
DIFF_ONLY_SIZE = 100_000
PLAN_RATIO_TARGET = 1.5
SECTION = "plan"
# The fields desired_numbers() manages, hence the ones the client asks Close for.
WANTED = ("label", "participants", "inbound_ring_duration", "forward_to", "forward_to_enabled")


def plan_once(url: str, key: str, config_path: str) -> dict[str, Any]:
    """What `numbersync plan -c FILE` does, through the same library calls as cli.plan; returns
    the wall time of each phase, the CPU time of diff + render and the requests made."""
    from numbersync import config, render
    from numbersync.close import CloseClient, Secret, Settings
    from numbersync.fetch import fetch_for_plan
    from numbersync.plan import build_plan

    clock = time.perf_counter
    started = clock()
    state = config.load(config_path)
    loaded = clock()
    with CloseClient(Settings(url, Secret(key))) as client:
        account = fetch_for_plan(client, state)
        fetched = clock()
        cpu = time.process_time()
        plan = build_plan(state, account.numbers, account.directory, me=account.me)
        text = render.render_text(plan)
        cpu = time.process_time() - cpu
        requests = dict(client.stats.requests)
    done = clock()
    assert text.endswith("\n") and plan.changes
    return {
        "wall": done - started,
        "load": loaded - started,
        "fetch": fetched - loaded,
        "diff": done - fetched,
        "diff_cpu": cpu,
        "requests": requests,
    }


def bare_fetch(url: str, key: str) -> int:
    """The floor: a plain httpx loop over the same pages, asking for the same fields, parsing the
    JSON and nothing else. Returns the number of items read."""
    import httpx

    from numbersync.close.client import BASE_FIELDS
    from numbersync.close.paging import PAGE_SIZE
    from numbersync.models import MANAGED_FIELDS

    fields = ",".join(BASE_FIELDS + tuple(f for f in MANAGED_FIELDS if f in WANTED))
    count = 0
    with httpx.Client(base_url=url, auth=(key, "")) as http:
        skip = 0
        while True:
            params = {"_fields": fields, "_limit": str(PAGE_SIZE), "_skip": str(skip)}
            body = http.get("/phone_number/", params=params).raise_for_status().json()
            count += len(body["data"])
            skip += len(body["data"])
            if not body["has_more"]:
                return count


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
        seed = generate_seed(size)
        path = str(write_yaml(workdir / f"plan-{size}.yaml", desired_numbers(seed)))
        with RemoteEmulator(size) as emu:
            if size == SIZES[0]:  # warm up once: imports, the schema, the SSL context
                plan_once(emu.url, emu.admin_key, path)
                bare_fetch(emu.url, emu.admin_key)
            runs_info: list[dict[str, Any]] = []
            bare_times = []
            for _ in range(runs):
                # Alternate, so that both see the same stretch of machine load.
                runs_info.append(plan_once(emu.url, emu.admin_key, path))
                started = time.perf_counter()
                assert bare_fetch(emu.url, emu.admin_key) == size
                bare_times.append(time.perf_counter() - started)
            memory = peak_memory(lambda: plan_once(emu.url, emu.admin_key, path))  # noqa: B023

        def phase(name: str) -> Sample:
            return Sample(tuple(info[name] for info in runs_info))  # noqa: B023

        plan_s, bare_s, cpu = phase("wall"), Sample(tuple(bare_times)), phase("diff_cpu")
        info = runs_info[-1]
        ratio = ratios(plan_s, bare_s)
        name = f"{size:,} numbers"
        rows.append(Row(SECTION, f"{name}: plan wall time", plan_s.show(unit=" s")))
        phases = ", ".join(f"{what} {phase(what).median:.3g}" for what in ("load", "fetch", "diff"))
        rows.append(
            Row(SECTION, f"{name}: plan phases, median s (config.load, fetch, diff+render)", phases)
        )
        rows.append(Row(SECTION, f"{name}: bare paginated fetch", bare_s.show(unit=" s")))
        rows.append(
            Row(
                SECTION,
                f"{name}: plan / bare fetch",
                ratio.show(unit="x"),
                f"<= {PLAN_RATIO_TARGET}x",
                check(ratio.median <= PLAN_RATIO_TARGET),
            )
        )
        # Where the difference lies: the client's reading of the same pages against the bare loop.
        fetch_ratio = ratios(phase("fetch"), bare_s)
        rows.append(
            Row(
                SECTION,
                f"{name}: client fetch phase / bare fetch (users and /me/ included)",
                fetch_ratio.show(unit="x"),
            )
        )
        requests = info["requests"]
        lists = requests.get(("GET", "phone_number"), 0)
        minimum = math.ceil(size / 100)
        others = ", ".join(
            f"{method} /{group}/: {n}"
            for (method, group), n in sorted(requests.items())
            if (method, group) != ("GET", "phone_number")
        )
        rows.append(
            Row(
                SECTION,
                f"{name}: phone-number list requests",
                f"{lists} (+ {others})",
                f"= ceil(N/100) = {minimum}",
                check(lists == minimum),
            )
        )
        rows.append(Row(SECTION, f"{name}: diff + render CPU", cpu.show(unit=" s")))
        rows.append(Row(SECTION, f"{name}: peak memory (whole plan)", f"{memory / 2**20:.1f} MiB"))
    rows.extend(diff_only(DIFF_ONLY_SIZE, runs))
    return rows


def diff_only(size: int, runs: int) -> list[Row]:
    """build_plan + render_text over in-memory inputs shaped like the client's: no file, no
    server. Memory is what the diff and render allocate at their peak, over the inputs."""
    from numbersync import render
    from numbersync.errors import Position
    from numbersync.models import MANAGED_FIELDS, DesiredNumber, DesiredState, LiveNumber, User
    from numbersync.plan import Directory, build_plan

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
