"""Crash safety: `numbersync apply` killed with SIGKILL at random points of a 200-number apply
(no handler runs, nothing is cleaned up) leaves every field either as it was or as the plan
wanted, and the next apply converges to the desired state.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from numbersync.cli import main
from numbersync.emulator import Emulator, Faults, generate_seed

pytestmark = pytest.mark.timeout(60)

SIZE = 200
TRIALS = 10
SEED = generate_seed(SIZE, users=3, groups=1)


def desired(trial: int) -> dict[str, dict[str, Any]]:
    """Trial k wants a new label on every number and a new ring duration on every other one."""
    wanted: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(SEED["numbers"]):
        wanted[entry["id"]] = {"label": f"Trial {trial} line {i}"}
        if i % 2 == trial % 2:
            wanted[entry["id"]]["inbound_ring_duration"] = 15 + (trial * 7 + i) % 76
    return wanted


def write_config(path: Path, wanted: dict[str, dict[str, Any]]) -> str:
    lines = ["version: 1", "numbers:"]
    for number_id, fields in wanted.items():
        values = ", ".join(
            f'{name}: "{value}"' if isinstance(value, str) else f"{name}: {value}"
            for name, value in fields.items()
        )
        lines.append(f"  {number_id}: {{{values}}}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def snapshot(emu: Emulator) -> dict[str, dict[str, Any]]:
    return {
        obj["id"]: {name: obj[name] for name in ("label", "inbound_ring_duration")}
        for obj in emu.state.numbers()
    }


def test_apply_killed_at_random_points_always_converges(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    emu = start_emulator(SEED, faults=Faults(latency=0.01))
    env = {**os.environ, "CLOSE_API_URL": emu.url, "CLOSE_API_KEY": emu.admin_key, "NO_COLOR": "1"}
    env.pop("CLOSE_ACCESS_TOKEN", None)
    cli_env: dict[str, str | None] = {
        "CLOSE_API_URL": emu.url,
        "CLOSE_API_KEY": emu.admin_key,
        "CLOSE_ACCESS_TOKEN": None,
        "NO_COLOR": "1",
    }
    rng = random.Random(20240115)
    killed_after: list[int] = []
    for trial in range(TRIALS):
        wanted = desired(trial)
        config = write_config(tmp_path / f"trial{trial}.yaml", wanted)
        before = snapshot(emu)
        emu.reset_log()
        # Kill when the emulator has received a random number of PUTs (0: during start-up or
        # planning, at a random moment), so that kills land all over the apply.
        target = rng.randrange(SIZE)
        args = ["apply", "-c", config, "--auto-approve", "--force"]
        with subprocess.Popen(
            [sys.executable, "-m", "numbersync", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as process:
            if target == 0:
                time.sleep(rng.uniform(0.0, 0.5))
            else:
                while sum(r.method == "PUT" for r in emu.requests) < target:
                    assert process.poll() is None, "the apply ended before it could be killed"
                    time.sleep(0.001)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        assert process.returncode == -signal.SIGKILL
        time.sleep(0.05)  # requests the dead process left in flight finish on the server
        killed_after.append(sum(r.method == "PUT" for r in emu.requests))

        # Nothing half-done: each field is as it was, or as the plan wanted it.
        for number_id, fields in snapshot(emu).items():
            for name, value in fields.items():
                assert value in (before[number_id][name], wanted[number_id].get(name)), (
                    f"trial {trial}: {number_id} {name} is {value!r}"
                )

        rerun = CliRunner().invoke(main, args, env=cli_env)
        assert rerun.exit_code == 0, rerun.output
        assert "0 failed, 0 unknown, 0 not sent." in rerun.stdout
        final = snapshot(emu)
        for number_id, fields in wanted.items():
            for name, value in fields.items():
                assert final[number_id][name] == value
        clean = CliRunner().invoke(main, ["plan", "-c", config, "--detailed-exitcode"], env=cli_env)
        assert clean.exit_code == 0, clean.output
        assert "No changes." in clean.stdout
    # The kills really were spread over the apply: at start-up, early, late.
    assert min(killed_after) < SIZE // 4 and max(killed_after) > SIZE // 2, killed_after
