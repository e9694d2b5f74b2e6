"""What every benchmark shares: samples summarised as a median with their spread, the result table,
an emulator served from a child process (with its request counts), commands timed as whole
processes, and generated desired-state files."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Sample:
    """Several measurements of one quantity."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self, fmt: str = "{:.3g}", unit: str = "") -> str:
        """`1.23 s (1.20–1.31, 3 runs)`: the median, then the range of the runs."""
        median = fmt.format(self.median) + unit
        if len(self.values) == 1:
            return f"{median} (1 run)"
        lo, hi = fmt.format(min(self.values)), fmt.format(max(self.values))
        return f"{median} ({lo}–{hi}, {len(self.values)} runs)"


def ratios(top: Sample, bottom: Sample) -> Sample:
    """Run-by-run ratios (run i of one over run i of the other), measured in the same loop so
    that both sides saw the same machine load."""
    return Sample(tuple(a / b for a, b in zip(top.values, bottom.values, strict=True)))


def timed(func: Callable[[], Any]) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Row:
    section: str
    what: str
    value: str
    target: str = ""
    verdict: str = ""  # "ok", "MISSED", or "" when there is no target


def check(ok: bool) -> str:
    return "ok" if ok else "MISSED"


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def add(self, section: str, what: str, value: str, target: str = "", verdict: str = "") -> None:
        self.rows.append(Row(section, what, value, target, verdict))
        print(f"  {section}: {what}: {value}" + (f"  [{verdict}]" if verdict else ""), flush=True)

    def extend(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.add(row.section, row.what, row.value, row.target, row.verdict)

    def text(self) -> str:
        headers = ("benchmark", "measurement", "result (median, range)", "target", "")
        cells = [headers] + [(r.section, r.what, r.value, r.target, r.verdict) for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
        lines = []
        for n, row in enumerate(cells):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths).rstrip())
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [
            "| benchmark | measurement | result (median, range) | target | |",
            "|---|---|---|---|---|",
        ]
        for r in self.rows:
            cells = (r.section, r.what, r.value, r.target, r.verdict)
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(lines)


# The emulator in a child process ----------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def serve_from_argv() -> None:
    """The child's side: serve the seed argv asks for, print the URL and key, then answer the
    parent's commands, one a line on stdin, until EOF: `requests` (what was logged since the last
    `requests`, as JSON) and `faults {...}` (replace the faults; answers `ok`)."""
    from numbersync.emulator import Emulator, Faults, RateLimits, generate_seed

    options = json.loads(sys.argv[1])
    seed_path = options.get("seed_path")
    emu = Emulator(
        json.loads(Path(seed_path).read_text())
        if seed_path
        else generate_seed(options["n_numbers"]),
        faults=Faults.from_mapping(options.get("faults", {})),
        rate_limits=RateLimits.from_mapping(options.get("rate_limits", {})),
    )
    with emu:
        print(json.dumps([emu.url, emu.admin_key]), flush=True)
        reported = 0  # a cursor, not reset_log(): a request logged meanwhile is never lost
        for line in sys.stdin:  # the parent closes our stdin to stop us
            command, _, argument = line.strip().partition(" ")
            if command == "requests":
                log = emu.requests
                tally = Counter(
                    (entry.method, entry.path, entry.status, entry.query.get("_fields", ""))
                    for entry in log[reported:]
                )
                reported = len(log)
                print(json.dumps([[*key, n] for key, n in sorted(tally.items())]), flush=True)
            elif command == "faults":
                emu.faults = Faults.from_mapping(json.loads(argument))
                print("ok", flush=True)
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)


@dataclass(frozen=True)
class Requests:
    """What the emulator logged over a stretch of time: how many requests of each
    (method, path after /api/v1, status answered, `_fields` asked for)."""

    counts: tuple[tuple[str, str, int, str, int], ...]

    def count(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> int:
        """How many matched every criterion given."""
        return sum(
            n
            for m, p, s, _, n in self.counts
            if (method is None or m == method)
            and (path is None or p == path)
            and (status is None or s == status)
        )

    def fields(self, method: str, path: str) -> set[str]:
        """The distinct `_fields` values of these requests ("" when none was sent)."""
        return {f for m, p, _, f, _ in self.counts if (m, p) == (method, path)}

    def by_path(self) -> str:
        """`GET /me/: 1, GET /user/: 1`: the counts per method and path, whatever the status."""
        paths: Counter[str] = Counter()
        for method, path, _, _, n in self.counts:
            paths[f"{method} {path}"] += n
        return ", ".join(f"{name}: {n}" for name, n in sorted(paths.items()))


class RemoteEmulator:
    """An emulator serving `generate_seed(n_numbers)` (or the seed saved as JSON at `seed_path`)
    from a child process, so that the server's work does not compete for this process's GIL with
    the code being measured. `faults` and `rate_limits` are mappings as in a seed's `faults:` and
    `rate_limits:`; take_requests() and set_faults() talk to the child between measurements."""

    def __init__(
        self,
        n_numbers: int,
        *,
        faults: dict[str, Any] | None = None,
        rate_limits: dict[str, Any] | None = None,
        seed_path: Path | None = None,
    ) -> None:
        options = {
            "n_numbers": n_numbers,
            "faults": faults or {},
            "rate_limits": rate_limits or {},
            "seed_path": str(seed_path) if seed_path else None,
        }
        code = "from benchmarks.common import serve_from_argv; serve_from_argv()"
        self._process = subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(options)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the emulator did not start")
        self.url, self.admin_key = json.loads(line)

    def take_requests(self) -> Requests:
        """The requests the emulator logged since the last call (or since it started). Call it
        once the client is done: a request is logged before its answer is written."""
        line = self._ask("requests")
        return Requests(tuple((m, p, int(s), f, int(n)) for m, p, s, f, n in json.loads(line)))

    def set_faults(self, faults: dict[str, Any]) -> None:
        """Replace the faults (a mapping as in a seed's `faults:`) from the next request on."""
        self._ask("faults " + json.dumps(faults))

    def _ask(self, command: str) -> str:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer or answer.startswith('{"error"'):
            raise RuntimeError(f"the emulator did not answer {command.split()[0]!r}: {answer!r}")
        return answer

    def stop(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> RemoteEmulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# Whole processes ---------------------------------------------------------------------------------


def numbersync_command() -> list[str]:
    """The console script installed next to this Python, as users run it."""
    script = Path(sys.executable).with_name("numbersync")
    return [str(script)] if script.exists() else [sys.executable, "-m", "numbersync"]


def run_timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Run a command to its end as a user would; its wall time (start to exit, seen from here)
    and its standard output. A failure raises, with the command's stderr."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return elapsed, done.stdout


# Desired-state files ------------------------------------------------------------------------------


def desired_numbers(
    seed: dict[str, Any], *, changed_every: int = 10, tag: str = ""
) -> dict[str, Any]:
    """A desired state for a generated seed: every number managed with its label, ring duration
    and participants (as emails, so users are resolved as in real files); one in `changed_every`
    gets a new label (`tag` makes it differ from every earlier run's)."""
    emails = {user["id"]: user["email"] for user in seed["users"]}
    numbers: dict[str, Any] = {}
    for i, entry in enumerate(seed["numbers"]):
        label = entry["label"]
        if changed_every and i % changed_every == 0:
            label = f"{label} {tag or 'renamed'}"
        settings: dict[str, Any] = {
            "label": label,
            "participants": [emails[user_id] for user_id in entry["participants"]],
            "inbound_ring_duration": entry["inbound_ring_duration"] or 30,
        }
        if "forward_to" in entry:
            settings["forward_to"] = entry["forward_to"]
            settings["forward_to_enabled"] = entry["forward_to_enabled"]
        numbers[entry["number"]] = settings
    return {"version": 1, "numbers": numbers}


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
