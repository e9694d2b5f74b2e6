"""Loading a directory of files: 10,000 numbers spread over 100 files against the same numbers in
one file, in this process, interleaved run by run. The per-file work (a listing, a parse, a quick
schema check) must be small next to the per-number work, so the ratio should stay near 1. And the
YAML reader (yamlsource.parse: data and positions built from libyaml's events) against the events
alone, which no reader of this file can go below.

Loading is CPU-bound and single-threaded, so it is measured in CPU time: on a shared machine, wall
time mostly measures the other processes."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import Row, Sample, check, desired_numbers, ratios, write_yaml

SIZE = 10_000
FILES = 100
RATIO_TARGET = 1.1
SECTION = "load"


def write_both(workdir: Path) -> tuple[Path, Path]:
    """The same desired numbers as one file, and as a directory of FILES files of equal share
    under a root numbersync.yaml."""
    from numbersync.emulator import generate_seed

    whole = desired_numbers(generate_seed(SIZE), changed_every=0)
    single = write_yaml(workdir / "numbers.yaml", whole)
    tree = workdir / "numbers"
    tree.mkdir(exist_ok=True)
    write_yaml(tree / "numbersync.yaml", {"version": 1})
    items = list(whole["numbers"].items())
    share = len(items) // FILES
    for n in range(FILES):
        part = dict(items[n * share : (n + 1) * share])
        write_yaml(tree / f"team-{n:03d}.yaml", {"version": 1, "numbers": part})
    return single, tree


def run(workdir: Path, runs: int) -> list[Row]:
    from numbersync import config

    single, tree = write_both(workdir)
    one = config.load(str(single))
    many = config.load(str(tree))  # warms the schema, the phone number cache and the file cache
    assert len(one.numbers) == len(many.numbers) == SIZE and len(many.files) == FILES + 1
    assert [n.fields for n in one.numbers] == [n.fields for n in many.numbers]
    times: dict[str, list[float]] = {"file": [], "tree": []}
    for _ in range(max(runs, 5)):
        times["file"].append(cpu_time(lambda: config.load(str(single))))
        times["tree"].append(cpu_time(lambda: config.load(str(tree))))
    file_time, tree_time = Sample(tuple(times["file"])), Sample(tuple(times["tree"]))
    ratio = ratios(tree_time, file_time)
    return [
        Row(
            SECTION, f"config.load, {SIZE:,} numbers in 1 file, CPU", file_time.show("{:.3f}", " s")
        ),
        Row(
            SECTION,
            f"config.load, the same in {FILES} files + a root, CPU",
            tree_time.show("{:.3f}", " s"),
        ),
        Row(
            SECTION,
            f"{FILES} files / 1 file",
            ratio.show("{:.2f}", "x"),
            f"<= {RATIO_TARGET}x",
            check(ratio.median <= RATIO_TARGET),
        ),
        *reader_rows(single, runs),
    ]


def reader_rows(path: Path, runs: int) -> list[Row]:
    """yamlsource.parse of the 10,000-number file against iterating yaml.parse's events (libyaml)
    over the same text, interleaved run by run; both with the cyclic collector off, as the reader
    runs. The events are the floor of any reader built on them: what parse spends above them is
    the data, its positions and the checks."""
    import yaml

    from numbersync import yamlsource

    raw = path.read_bytes()
    text = raw.decode("utf-8")

    def events() -> None:
        for _ in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            pass

    times: dict[str, list[float]] = {"parse": [], "events": []}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(max(runs, 5)):
            times["parse"].append(cpu_time(lambda: yamlsource.parse(str(path), raw)))
            times["events"].append(cpu_time(events))
    finally:
        if enabled:
            gc.enable()
    parse, alone = Sample(tuple(times["parse"])), Sample(tuple(times["events"]))
    ratio = ratios(parse, alone)
    return [
        Row(SECTION, f"yamlsource.parse, {SIZE:,} numbers, CPU", parse.show("{:.3f}", " s")),
        Row(SECTION, "yaml.parse events alone, same file, CPU", alone.show("{:.3f}", " s")),
        Row(SECTION, "yamlsource.parse / events alone", ratio.show("{:.2f}", "x")),
    ]


def cpu_time(func: Callable[[], Any]) -> float:
    gc.collect()  # no collection left over from the other side's garbage
    started = time.process_time()
    func()
    return time.process_time() - started
