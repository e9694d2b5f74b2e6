"""`apply` of 500 group membership changes (one POST or DELETE /group/{id}/member/ each, half of
each) against an emulator that counts both in one endpoint group allowing R per 1-second window
and answers after 50 ms: wall time over the rate-limit bound 500/R windows, and the 429s received.
Driven the way `numbersync apply -c FILE` goes: a config whose `groups:` asks for the members,
loaded, planned against the emulator (not timed), then applied through numbersync.apply.Applier at
the CLI's default concurrency (timed)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.common import RemoteEmulator, Row, Sample, check, write_yaml
from numbersync.models import DEFAULT_CONCURRENCY

SECTION = "members"
CHANGES = 500
RATE = 100  # membership writes allowed per window
WINDOW = 1.0  # seconds
LATENCY = 0.05  # seconds added to every response
USERS = 100
GROUPS = 10
RATIO_TARGET = 1.15
# Close may count a member's POST and DELETE together (it groups "paths and methods" as it
# likes): one endpoint group for both is the harder case for a client that paces per method.
LIMITS = {
    "endpoint_groups": {"members": ["POST /group/*/member/", "DELETE /group/*/member/*/"]},
    "groups": {"members": [RATE, WINDOW]},
}


Members = dict[str, tuple[str, ...]]  # group id -> member ids


def bound() -> float:
    """The fastest any client could go: every change within the rate limit."""
    return CHANGES / RATE * WINDOW


def memberships(seed: dict[str, Any]) -> tuple[Members, Members]:
    """Two memberships of every group of the seed, A and B, with no user in both: moving all the
    groups from one to the other is CHANGES changes, half removals and half additions."""
    users = [user["id"] for user in seed["users"]]
    size = CHANGES // (2 * len(seed["groups"]))
    assert size * 2 * len(seed["groups"]) == CHANGES and 2 * size <= len(users)
    first: Members = {}
    second: Members = {}
    for g, group in enumerate(seed["groups"]):
        ring = users[g:] + users[:g]  # each group its own members
        first[group["id"]], second[group["id"]] = tuple(ring[:size]), tuple(ring[size : 2 * size])
    return first, second


def config_of(seed: dict[str, Any], members: Members) -> dict[str, Any]:
    """The desired state that asks every group of the seed for these members."""
    return {
        "version": 1,
        "groups": {g["name"]: {"members": list(members[g["id"]])} for g in seed["groups"]},
    }


def apply_once(url: str, key: str, config_path: Path, *, count: bool = True) -> dict[str, Any]:
    from numbersync import config
    from numbersync.apply import Applier
    from numbersync.close import CloseClient, Secret, Settings
    from numbersync.fetch import fetch_for_plan
    from numbersync.plan import build_plan

    state = config.load(str(config_path))
    with CloseClient(Settings(url, Secret(key)), concurrency=DEFAULT_CONCURRENCY) as client:
        account = fetch_for_plan(client, state)
        plan = build_plan(state, account.numbers, account.directory, me=account.me)
        planned = sum(len(g.ops) for g in plan.groups)
        assert not count or planned == CHANGES, planned
        before = client.stats.statuses[429]
        started = time.perf_counter()
        report = Applier(client, state, DEFAULT_CONCURRENCY).run(plan.changes, plan.groups)
        ended = time.perf_counter()
        stats = client.stats
        result = {
            "wall": ended - started,
            "429": stats.statuses[429] - before,
            "sent": stats.requests[("POST", "group")] + stats.requests[("DELETE", "group")],
            "ended": ended,
        }
    assert report.ok, report.summary
    return result


def run(workdir: Path, runs: int) -> list[Row]:
    from numbersync.emulator import generate_seed

    seed = generate_seed(0, users=USERS, groups=GROUPS)
    first, second = memberships(seed)
    configs = [
        write_yaml(workdir / f"members-{n}.yaml", config_of(seed, members))
        for n, members in enumerate((first, second))
    ]
    results = []
    with RemoteEmulator(
        0, faults={"latency": LATENCY}, rate_limits=LIMITS, users=USERS, groups=GROUPS
    ) as emu:
        # Not timed: every group to membership A, so that each run then moves them all to B (or
        # back): the same number of removals and additions, interleaved group by group.
        setup = apply_once(emu.url, emu.admin_key, configs[0], count=False)
        not_before = setup["ended"] + WINDOW + 0.1
        for serial in range(runs):
            # Let the window of the run before end, so that every run starts with a full budget.
            time.sleep(max(0.0, not_before - time.perf_counter()))
            results.append(apply_once(emu.url, emu.admin_key, configs[1 - serial % 2]))
            not_before = results[-1]["ended"] + WINDOW + 0.1
    wall = Sample(tuple(r["wall"] for r in results))
    ratio = Sample(tuple(r["wall"] / bound() for r in results))
    throttled = sum(r["429"] for r in results)
    extra = sum(r["sent"] - CHANGES for r in results)
    name = f"apply of {CHANGES} membership changes (R={RATE}/s, {LATENCY * 1000:g} ms)"
    return [
        Row(SECTION, f"{name}: wall time (bound {bound():g} s)", wall.show(unit=" s")),
        Row(
            SECTION,
            f"{name}: wall / rate-limit bound",
            ratio.show("{:.3f}", "x"),
            f"<= {RATIO_TARGET}x",
            check(ratio.median <= RATIO_TARGET),
        ),
        Row(
            SECTION,
            f"{name}: 429s received (all runs)",
            f"{throttled} ({extra} requests beyond {CHANGES} per run, summed)",
            "0",
            check(throttled == 0),
        ),
    ]
