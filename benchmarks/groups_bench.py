"""`numbersync plan` of numbers that ring groups against the same plan of the same numbers
without groups, as whole processes against the emulator at 150 ms: a plan that changes no one's
ringing (no member read), and one that changes who rings on a number of each group (one GET per
group, once the plan knows it needs them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from benchmarks.common import (
    RemoteEmulator,
    Row,
    Sample,
    check,
    numbersync_command,
    ratios,
    run_timed,
    write_yaml,
)
from benchmarks.plan_bench import desired_file

SECTION = "groups"
SIZE, GROUPS, LATENCY = 1_000, 50, 0.15
TARGET = 1.25  # plan with groups / the same plan without, at most


def seeds() -> tuple[dict[str, Any], dict[str, Any]]:
    """The account with every number ringing one of GROUPS groups (each group on SIZE / GROUPS
    numbers), and the same account with no groups at all."""
    from numbersync.emulator import generate_seed

    grouped = generate_seed(SIZE, groups=GROUPS)
    ids = [group["id"] for group in grouped["groups"]]
    for i, entry in enumerate(grouped["numbers"]):
        entry["participant_groups"] = [ids[i % GROUPS]]
    plain = json.loads(json.dumps(grouped))
    plain["groups"] = []
    for entry in plain["numbers"]:
        del entry["participant_groups"]
    return grouped, plain


def config(seed: dict[str, Any]) -> dict[str, Any]:
    """The file managing every number as it is (but one label in ten), groups by name."""
    data = desired_file(seed)
    names = {group["id"]: group["name"] for group in seed["groups"]}
    for entry, settings in zip(seed["numbers"], data["numbers"].values(), strict=True):
        if entry.get("participant_groups"):
            settings["participant_groups"] = [names[g] for g in entry["participant_groups"]]
    return data


def ringing_config(seed: dict[str, Any]) -> dict[str, Any]:
    """`config(seed)` changing who rings on GROUPS numbers, one per group (participants taken
    off, or one given): the plan then needs every group's members, to say who rings."""
    data = config(seed)
    for settings in list(data["numbers"].values())[:GROUPS]:
        settings["participants"] = [] if settings.get("participants") else ["user1@gen.example"]
    return data


def run(workdir: Path, runs: int) -> list[Row]:
    grouped, plain = seeds()
    seed_paths = []
    for name, seed in (("groups", grouped), ("plain", plain)):
        seed_path = workdir / f"ringing-{name}-seed.json"
        seed_path.write_text(json.dumps(seed))
        seed_paths.append(seed_path)
    scenarios = (
        # What a plan that changes no one's ringing costs (a drift check, a relabelling): the
        # groups are listed, no member read.
        ("", config, 0),
        # One that changes who rings on a number of each group: every group's members, read
        # once its id is known.
        (", changing who rings on 50 of them", ringing_config, GROUPS),
    )
    faults = {"latency": LATENCY}
    rows = []
    with (
        RemoteEmulator(SIZE, faults=faults, seed_path=seed_paths[0]) as with_groups,
        RemoteEmulator(SIZE, faults=faults, seed_path=seed_paths[1]) as without,
    ):
        for n, (what, make, reads_wanted) in enumerate(scenarios):
            paths = [
                write_yaml(workdir / f"ringing-{n}-{name}.yaml", make(seed))
                for name, seed in (("groups", grouped), ("plain", plain))
            ]
            pairs = ((with_groups, paths[0]), (without, paths[1]))
            rows += _compare(pairs, runs, what, reads_wanted)
    return rows


def _compare(
    pairs: tuple[tuple[RemoteEmulator, Path], ...], runs: int, what: str, reads_wanted: int
) -> list[Row]:
    """The plan with groups against the same plan without, interleaved run by run."""
    for emu, path in pairs:  # warm the file cache and the .pyc files, not timed
        _plan(emu, path)
        emu.take_requests()
    walls: tuple[list[float], list[float]] = ([], [])
    member_reads: list[int] = []
    plain_reads: list[int] = []
    for _ in range(runs):
        for n, (emu, path) in enumerate(pairs):
            walls[n].append(_plan(emu, path))
            requests = emu.take_requests()
            reads = sum(
                count
                for method, where, _, _, count in requests.counts
                if method == "GET" and where.startswith("/group/group_")
            )
            (member_reads if n == 0 else plain_reads).append(reads)
    grouped_wall, plain_wall = Sample(tuple(walls[0])), Sample(tuple(walls[1]))
    ratio = ratios(grouped_wall, plain_wall)
    name = f"{LATENCY * 1000:g} ms, plan of {SIZE:,} numbers using {GROUPS} groups{what}"
    return [
        Row(SECTION, f"{name}: numbersync plan", grouped_wall.show(unit=" s")),
        Row(SECTION, f"{name}: the same plan without groups", plain_wall.show(unit=" s")),
        Row(
            SECTION,
            f"{name}: plan / the same plan without groups",
            ratio.show(unit="x"),
            f"<= {TARGET}x",
            check(ratio.median <= TARGET),
        ),
        Row(
            SECTION,
            f"{name}: member reads (GET /group/{{id}}/), each run; without groups",
            f"{', '.join(map(str, member_reads))}; {', '.join(map(str, plain_reads))}",
            f"{reads_wanted}; 0",
            check(set(member_reads) == {reads_wanted} and set(plain_reads) == {0}),
        ),
    ]


def _plan(emu: RemoteEmulator, path: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "CLOSE_ACCESS_TOKEN"}
    env.update(CLOSE_API_URL=emu.url, CLOSE_API_KEY=emu.admin_key)
    return run_timed([*numbersync_command(), "plan", "-c", str(path)], env)[0]
