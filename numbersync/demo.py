"""`numbersync demo`: the whole workflow against the embedded emulator, printed step by step.

Each step runs the real CLI in a child process, as a user would type it, in a scratch directory
holding a copy of examples/numbers.yaml; the emulator is stopped before the demo returns.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from numbersync.resources import shipped_text

# The README's tour, step for step (tests/test_e2e_docs.py keeps the two the same).
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Check the file offline: schema, numbers, limits", ("validate",)),
    ("Compare the file with the live account, and save the plan", ("plan", "--out", "plan.json")),
    (
        "The saved plan again, offline, as a pull-request comment",
        ("show", "plan.json", "--format", "markdown"),
    ),
    (
        "Apply the reviewed plan: one PUT per changed number, only the changed fields",
        ("apply", "plan.json", "--report", "report.json"),
    ),
    ("Plan again: the account now matches the file", ("plan", "--detailed-exitcode")),
    ("Start a repository of your own from the account", ("init", "my-numbers", "--ci", "github")),
)


def run_demo(echo: Callable[[str], None]) -> int:
    """Run every step; returns 0 when each behaved as the demo expects, else 1."""
    from numbersync.emulator import Emulator, default_seed_path

    with (
        tempfile.TemporaryDirectory(prefix="numbersync-demo-") as scratch,
        Emulator(default_seed_path()) as emu,
    ):
        Path(scratch, "numbers.yaml").write_text(shipped_text("examples/numbers.yaml"))
        echo(f"Started the Close API emulator at {emu.url} with the Acme sample account.")
        echo("Its API keys are fake; nothing leaves this machine.")
        env = {**os.environ, "CLOSE_API_URL": emu.url, "CLOSE_API_KEY": emu.admin_key}
        env.pop("CLOSE_ACCESS_TOKEN", None)
        env["NO_COLOR"] = "1"
        for number, (title, args) in enumerate(STEPS, start=1):
            echo("")
            echo(f"== {number}. {title}")
            echo(f"$ numbersync {' '.join(args)}")
            result = subprocess.run(
                [sys.executable, "-m", "numbersync", *args],
                cwd=scratch,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
            )
            output = result.stdout.rstrip("\n")
            if args[0] == "init":
                # What init says is left to do is about files the demo deletes when it ends.
                output = output.split("\n\nNext:", 1)[0]
                output += (
                    "\n(The demo's copy is deleted when it ends: run `numbersync init` in a "
                    "repository of your own.)"
                )
            if output:
                echo(output)
            if result.returncode != 0:
                echo(f"(step {number} exited {result.returncode}; the demo stops here)")
                return 1
        echo("")
        echo("Done, and the emulator is stopped. To explore on your own:")
        echo("  numbersync emulator    # serves this sample account; prints the exports to paste")
        echo("  numbersync export -o numbers.yaml && numbersync plan    # start from any account")
    return 0
