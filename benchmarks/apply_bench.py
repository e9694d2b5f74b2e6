"""`apply` of 1,000 changed numbers against an emulator that allows R PUTs per 1-second window and
answers after 50 ms: wall time over the bound max(1000/R, 1000 * latency / concurrency), and the
429s received, at each concurrency from 1 to 16."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RemoteEmulator,
    Row,
    Sample,
    check,
    desired_numbers,
    write_yaml,
)
from numbersync.models import DEFAULT_CONCURRENCY

CHANGES = 1_000
RATE = 100  # PUTs allowed per window
WINDOW = 1.0  # seconds
LATENCY = 0.05  # seconds added to every response
CONCURRENCIES = (1, 2, 4, 8, 16)
# Their bound is the latency alone (50 s and 25 s), which repeats closely from run to run: one run
# each unless asked for more, to keep `make bench` within a few minutes.
SLOW = (1, 2)
RATIO_TARGET = 1.15
BARE_PUTS = 100
SECTION = "apply"


def bound(concurrency: int, round_trip: float = LATENCY) -> float:
    """The fastest any client could go: the rate limit, or the round trip (by default the added
    latency alone) spread over the workers."""
    return max(CHANGES / RATE * WINDOW, CHANGES * round_trip / concurrency)


def apply_once(
    url: str, key: str, config_path: str, concurrency: int, not_before: float = 0.0
) -> dict[str, Any]:
    """Plan (not timed), then apply through numbersync.apply.Applier as `numbersync apply` does;
    returns the apply's wall time and what the client saw."""
    from numbersync import config
    from numbersync.apply import Applier
    from numbersync.close import CloseClient, Secret, Settings
    from numbersync.fetch import fetch_for_plan
    from numbersync.plan import build_plan

    state = config.load(config_path)
    with CloseClient(Settings(url, Secret(key))) as client:
        account = fetch_for_plan(client, state)
        plan = build_plan(state, account.numbers, account.directory, me=account.me)
        assert len(plan.changes) == CHANGES, len(plan.changes)
        # Let the PUT window of an earlier run end, so that every run starts from a fresh budget.
        time.sleep(max(0.0, not_before - time.perf_counter()))
        before = client.stats.statuses[429]
        started = time.perf_counter()
        report = Applier(client, state, concurrency).run(plan.changes)
        ended = time.perf_counter()
        wall = ended - started
        stats = client.stats
        puts = stats.requests[("PUT", "phone_number")]
        result = {
            "wall": wall,
            "429": stats.statuses[429] - before,
            "puts": puts,
            "retries": stats.retries,
            "ok": report.ok,
            "ended": ended,
        }
    assert report.ok, report.summary
    return result


def bare_round_trips(url: str, key: str, ids: list[str]) -> Sample:
    """Seconds per PUT of a plain httpx loop, one at a time: the floor a client reaches at
    concurrency 1, latency plus the emulator's and the loopback's own time."""
    import httpx

    times = []
    with httpx.Client(base_url=url, auth=(key, "")) as http:
        for i, number_id in enumerate(ids):
            started = time.perf_counter()
            http.put(f"/phone_number/{number_id}/", json={"label": f"bare {i}"}).raise_for_status()
            times.append(time.perf_counter() - started)
    return Sample(tuple(times))


def run(workdir: Path, runs: int, *, thorough: bool = False) -> list[Row]:
    from numbersync.emulator import generate_seed

    seed = generate_seed(CHANGES)
    rows: list[Row] = []
    medians: dict[int, float] = {}
    faults = {"latency": LATENCY}
    limits = {"groups": {"PUT phone_number": [RATE, WINDOW]}}
    with RemoteEmulator(CHANGES, faults=faults, rate_limits=limits) as emu:
        ids = [entry["id"] for entry in seed["numbers"][:BARE_PUTS]]
        bare = bare_round_trips(emu.url, emu.admin_key, ids)
        serial = 0
        not_before = time.perf_counter() + WINDOW + 0.1
        for concurrency in CONCURRENCIES:
            results = []
            for _ in range(runs if thorough or concurrency not in SLOW else 1):
                serial += 1
                # A new label on every number in every run, so each run has 1,000 changes.
                data = desired_numbers(seed, changed_every=1, tag=f"run {serial}")
                path = str(write_yaml(workdir / f"apply-{serial}.yaml", data))
                results.append(apply_once(emu.url, emu.admin_key, path, concurrency, not_before))
                not_before = results[-1]["ended"] + WINDOW + 0.1
            wall = Sample(tuple(r["wall"] for r in results))
            ratio = Sample(tuple(r["wall"] / bound(concurrency) for r in results))
            # The same against the round trip a bare loop measured: what is numbersync's own.
            own = Sample(tuple(r["wall"] / bound(concurrency, bare.median) for r in results))
            throttled = sum(r["429"] for r in results)
            extra = sum(r["puts"] - CHANGES for r in results)
            medians[concurrency] = wall.median
            name = f"concurrency {concurrency}"
            rows.append(
                Row(
                    SECTION,
                    f"{name}: wall time (bound {bound(concurrency):g} s)",
                    wall.show(unit=" s"),
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{name}: wall / bound (and / bound with the bare round trip)",
                    f"{ratio.show('{:.3f}', 'x')} ({own.median:.3f}x)",
                    f"<= {RATIO_TARGET}x",
                    check(ratio.median <= RATIO_TARGET),
                )
            )
            rows.append(
                Row(
                    SECTION,
                    f"{name}: 429s received (all runs)",
                    f"{throttled} ({extra} PUTs beyond {CHANGES:,} per run, summed)",
                    "0",
                    check(throttled == 0),
                )
            )
    rows.insert(
        0,
        Row(
            SECTION,
            f"bare httpx PUT round trip, one at a time ({BARE_PUTS} PUTs; the bound assumes "
            f"{LATENCY * 1000:g} ms)",
            f"{bare.median * 1000:.1f} ms (min {min(bare.values) * 1000:.1f}, "
            f"max {max(bare.values) * 1000:.1f})",
        ),
    )
    rows.insert(
        1,
        Row(
            SECTION,
            "numbersync at concurrency 1, per PUT",
            f"{medians[1] / CHANGES * 1000:.1f} ms",
        ),
    )
    best = min(medians, key=lambda c: medians[c])
    ranking = ", ".join(f"{c}: {medians[c]:.1f} s" for c in CONCURRENCIES)
    rows.append(
        Row(
            SECTION,
            f"fastest concurrency (median wall; CLI default {DEFAULT_CONCURRENCY}, "
            f"R={RATE}/s, {LATENCY * 1000:g} ms)",
            f"{best} ({ranking})",
        )
    )
    return rows
