"""`apply` of 1,000 changed numbers against an emulator that allows R PUTs per 1-second window and
answers after 50 ms: wall time over the bound max(1000/R, 1000 * latency / concurrency), and the
429s received, at each concurrency from 1 to 16; and (section "limits") the same apply through the
CLI against Close's limits per API key and per organization, in windows of several seconds."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RemoteEmulator,
    Row,
    Sample,
    check,
    desired_numbers,
    numbersync_command,
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


# Close's limits per API key and per organization -------------------------------------------------

LIMITS_SECTION = "limits"
LIMITS_CHANGES = 1_000
# The emulator's seed shape for Close's limits (issue 11): a limit per key and one per
# organization, each per endpoint group in fixed windows, the header showing the closer one.
ENDPOINT_GROUPS = {
    "reads": ["GET /phone_number/", "GET /user/", "GET /group/", "GET /me/"],
    "writes": ["PUT /phone_number/*/"],
}
# Each setup's bound is 40 s, so that `make bench` stays within a few minutes.
LIMIT_SETUPS: tuple[tuple[str, dict[str, Any]], ...] = (
    # The organization's 200 per 8 s binds while the key's 70 per 2 s refill: each header shows
    # the key early in an organization window and the organization later.
    (
        "key 70/2 s, organization 200/8 s",
        {"limit": 70, "window": 2, "organization": {"limit": 200, "window": 8}},
    ),
    # Close's example proportion (the organization's limit 3x the key's): the key binds.
    (
        "key 100/4 s, organization 300/4 s",
        {"limit": 100, "window": 4, "organization": {"limit": 300, "window": 4}},
    ),
)
_REQUEST_LOG = re.compile(r"^numbersync\.http: (GET|PUT) \S+ \d{3} ")
_HEADER_LOG = re.compile(r"^numbersync\.http:\s+RateLimit: limit=(\d+)")


def binding(limits: dict[str, Any], n: int = LIMITS_CHANGES) -> tuple[float, str]:
    """The bound of `n` writes under a setup's limits, and which limit gives it."""
    org = limits["organization"]
    key_bound = n / limits["limit"] * limits["window"]
    org_bound = n / org["limit"] * org["window"]
    return (org_bound, "organization") if org_bound >= key_bound else (key_bound, "key")


def cli_apply(emu: RemoteEmulator, config_path: str) -> dict[str, Any]:
    """`numbersync -vv apply -c FILE --auto-approve --force` in its own process: its wall time,
    the span from its first PUT's answer to its last (-vv logs each request as it is answered),
    the 429s the emulator answered, and the limits the `RateLimit` headers of the PUTs showed."""
    env = dict(os.environ, CLOSE_API_URL=emu.url, CLOSE_API_KEY=emu.admin_key, NO_COLOR="1")
    env.pop("CLOSE_ACCESS_TOKEN", None)
    argv = [*numbersync_command(), "-vv", "apply", "-c", config_path, "--auto-approve", "--force"]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    lines = [(time.perf_counter(), line) for line in process.stderr]  # stamped as they come
    code = process.wait()
    wall = time.perf_counter() - started
    if code != 0:
        tail = "".join(line for _, line in lines[-20:])
        raise RuntimeError(f"numbersync apply exited {code}: {tail}")
    shown: Counter[int] = Counter()
    put_times = []
    method = ""
    for when, line in lines:
        request = _REQUEST_LOG.match(line)
        if request:
            method = request.group(1)
            if method == "PUT":
                put_times.append(when)
            continue
        limit = _HEADER_LOG.match(line)
        if limit and method == "PUT":
            shown[int(limit.group(1))] += 1
    served = emu.take_requests()
    return {
        "wall": wall,
        "puts": max(put_times) - min(put_times),
        "429": {m: served.count(method=m, status=429) for m in ("GET", "PUT")},
        "shown": shown,
    }


def run_limits(workdir: Path, runs: int, *, thorough: bool = False) -> list[Row]:
    """An apply of 1,000 changes through the real CLI against the emulator with per-key and
    per-organization limits, long windows and the header switching between them: 429s (target
    0) and wall time over the binding limit's bound (target <= 1.15x; the CLI's start-up and the
    plan's reads are inside the wall time, not the bound). One run per setup (each takes about
    40 s) unless `thorough`."""
    from numbersync.emulator import generate_seed

    runs = runs if thorough else 1
    seed = generate_seed(LIMITS_CHANGES)
    rows: list[Row] = []
    for n, (name, limits) in enumerate(LIMIT_SETUPS):
        bound_s, binds = binding(limits)
        settings = {**limits, "endpoint_groups": ENDPOINT_GROUPS, "separator": "; "}
        results = []
        for run_no in range(runs):
            # A fresh emulator per run: every run starts with every window unused.
            with RemoteEmulator(
                LIMITS_CHANGES, faults={"latency": LATENCY}, rate_limits=settings
            ) as emu:
                data = desired_numbers(seed, changed_every=1, tag=f"limits {n}.{run_no}")
                path = str(write_yaml(workdir / f"limits-{n}-{run_no}.yaml", data))
                results.append(cli_apply(emu, path))
        wall = Sample(tuple(r["wall"] for r in results))
        ratio = Sample(tuple(r["wall"] / bound_s for r in results))
        puts = Sample(tuple(r["puts"] / bound_s for r in results))
        puts_refused = sum(r["429"]["PUT"] for r in results)
        gets_refused = sum(r["429"]["GET"] for r in results)
        shown: Counter[int] = sum((r["shown"] for r in results), Counter())
        what = f"{name}, {LATENCY * 1000:g} ms"
        rows += [
            Row(
                LIMITS_SECTION,
                f"{what}: wall time (bound {bound_s:g} s, the {binds}'s limit binds)",
                wall.show(unit=" s"),
            ),
            Row(
                LIMITS_SECTION,
                f"{what}: wall / bound (and first to last PUT answer / bound)",
                f"{ratio.show('{:.3f}', 'x')} ({puts.median:.3f}x)",
                f"<= {RATIO_TARGET}x",
                check(ratio.median <= RATIO_TARGET),
            ),
            Row(
                LIMITS_SECTION,
                f"{what}: 429s received (all runs; PUTs, GETs)",
                f"{puts_refused + gets_refused} ({puts_refused}, {gets_refused})",
                "0",
                check(puts_refused + gets_refused == 0),
            ),
            Row(
                LIMITS_SECTION,
                f"{what}: limits the PUTs' headers showed",
                ", ".join(f"limit={limit}: {count}" for limit, count in sorted(shown.items())),
            ),
        ]
    return rows
