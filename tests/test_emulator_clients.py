"""The emulator from the outside: Close's official Python client works against it (429 handling
included), it stays correct under concurrent load, and `numbersync emulator` serves and stops
cleanly.
"""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from closeio_api import API, ValidationError
from helpers import FakeTime

from numbersync.cli import main
from numbersync.emulator import Emulator, RateLimits, generate_seed

REPO = Path(__file__).resolve().parent.parent
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"


# -- the official client (closeio 2.1, on `requests`) --------------------------------------------


def test_official_client_lists_reads_and_updates(emulator: Emulator) -> None:
    api = API(emulator.url + "/", api_key=emulator.admin_key)
    listed = api.get("phone_number", params={"_limit": 100})
    one = api.get(f"phone_number/{SALES_LINE}")
    updated = api.put(
        f"phone_number/{SALES_LINE}", {"label": "Sales line", "inbound_ring_duration": 45}
    )
    me = api.get("me")
    with pytest.raises(ValidationError) as caught:
        api.put(f"phone_number/{SALES_LINE}", {"inbound_ring_duration": 5})
    assert len(listed["data"]) == 11 and listed["has_more"] is False
    assert one["number"] == "+16503334444"
    assert (updated["label"], updated["inbound_ring_duration"]) == ("Sales line", 45)
    assert me["email"] == "admin@acme.example"
    assert caught.value.field_errors == {
        "inbound_ring_duration": "Ensure this value is between 15 and 90."
    }


@pytest.mark.parametrize("separator", [", ", "; "], ids=["commas", "semicolons"])
def test_official_client_waits_out_a_429_and_retries(
    start_emulator: Callable[..., Emulator], separator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # closeio 2.1 reads `reset` from the RateLimit header when it has commas, and falls back to
    # Retry-After for the semicolon variant seen live; either way it sleeps the 8 s left. Its
    # sleep and the emulator's windows both run on fake time.
    fake = FakeTime()
    monkeypatch.setattr("closeio_api.time", SimpleNamespace(sleep=fake.sleep))
    limits = RateLimits(groups={"PUT phone_number": (1, 8.0)}, separator=separator)
    emu = start_emulator(generate_seed(2, users=1, groups=0), rate_limits=limits, clock=fake.clock)
    api = API(emu.url + "/", api_key=emu.admin_key)
    number = "phon_gen" + "0" * 40
    api.put(f"phone_number/{number}", {"label": "first"})
    second = api.put(f"phone_number/{number}", {"label": "second"})
    assert second["label"] == "second"
    assert [r.status for r in emu.requests] == [200, 429, 200]
    assert fake.sleeps == [8.0]


# -- concurrency ---------------------------------------------------------------------------------


def _serve_in_child(seed: dict[str, Any], connection: Connection) -> None:
    """Serve `seed` in a child process until told to stop, then send back numbers and log."""
    with Emulator(seed) as emu:
        connection.send((emu.url, emu.admin_key))
        connection.recv()
        connection.send((emu.state.numbers_by_id(), emu.requests))


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_concurrent_load_loses_no_update() -> None:
    """20 threads, 5,000 requests: each number gets concurrent PUTs of two different fields from
    two threads, so a read-modify-write race in the emulator would revert one of them.

    The emulator runs in a child process: sharing one GIL with 20 httpx threads nearly doubled
    the CPU each request cost, and this keeps the test to a few seconds.
    """
    threads, per_thread, numbers = 20, 250, 10
    ids = [f"phon_gen{i:040d}" for i in range(numbers)]
    last: dict[int, str] = {}
    failures: list[str] = []
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    seed = generate_seed(numbers, users=3, groups=1)
    process = context.Process(target=_serve_in_child, args=(seed, child), daemon=True)
    process.start()
    try:
        assert parent.poll(20), "the emulator process did not start"
        url, key = parent.recv()

        def worker(index: int) -> None:
            number = ids[index % numbers]
            field = "label" if index < numbers else "forward_to"
            # verify=False: plain http on loopback; spares loading the CA bundle per client.
            with httpx.Client(base_url=url, auth=(key, ""), timeout=10, verify=False) as client:
                for k in range(per_thread // 2):
                    value = f"t{index}-{k}" if field == "label" else f"+1415{index:03d}{k:04d}"
                    put = client.put(f"/phone_number/{number}/", json={field: value})
                    if put.status_code != 200 or put.json()[field] != value:
                        failures.append(f"PUT {number} {field}={value}: {put.status_code}")
                    if k % 2:
                        got = client.get(f"/phone_number/{number}/", params={"_fields": field})
                        if got.json() != {field: value}:  # only this thread writes this field
                            failures.append(f"GET {number}: {got.text}")
                    else:
                        page = client.get("/phone_number/", params={"_skip": k % numbers})
                        if len(page.json()["data"]) != numbers - k % numbers:
                            failures.append(f"list skip={k % numbers}: {page.text[:100]}")
                    last[index] = value

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        started = time.perf_counter()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=50)
        elapsed = time.perf_counter() - started
        parent.send("stop")
        assert parent.poll(20), "the emulator process did not report back"
        final, log = parent.recv()
    finally:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()

    assert failures == []
    for i, number_id in enumerate(ids):
        assert final[number_id]["label"] == last[i]
        assert final[number_id]["forward_to"] == last[i + numbers]
    assert len(log) == threads * per_thread
    assert sum(r.method == "PUT" for r in log) == threads * per_thread // 2
    assert {r.status for r in log} == {200}
    print(f"5,000 requests from 20 threads in {elapsed:.2f} s")


# -- `numbersync emulator` -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stop_signal", "sigint_at_start"),
    [
        (signal.SIGINT, signal.SIG_DFL),
        # Started in the background of a script: SIGINT comes ignored, and Python then installs
        # no handler for it. Whatever the test runner itself was started with, each case is set.
        (signal.SIGINT, signal.SIG_IGN),
        (signal.SIGTERM, signal.SIG_DFL),
    ],
    ids=["SIGINT", "SIGINT-started-in-background", "SIGTERM"],
)
def test_cli_prints_the_exports_serves_and_stops_cleanly(
    stop_signal: signal.Signals, sigint_at_start: signal.Handlers
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "numbersync", "emulator", "--rate-limit", "2/5"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint_at_start),
    )
    try:
        assert process.stdout is not None
        url_line, key_line = process.stdout.readline(), process.stdout.readline()
        assert url_line.startswith("export CLOSE_API_URL=http://127.0.0.1:")
        assert url_line.rstrip().endswith("/api/v1")
        assert key_line == "export CLOSE_API_KEY=api_demo_admin.fake0000\n"
        url = url_line.rstrip().split("=", 1)[1]
        auth = ("api_demo_admin.fake0000", "")
        statuses = [
            httpx.get(url + "/phone_number/", auth=auth, timeout=5, verify=False).status_code
            for _ in range(3)
        ]
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=30)  # a hang, not a speed, is what this catches
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert statuses == [200, 200, 429]  # --rate-limit 2/5 took effect
    assert process.returncode == 0
    assert out == ""  # stdout holds only the two export lines
    assert "Traceback" not in err
    assert "GET /phone_number/ -> 429" in err
    assert "api_demo_dave.fake0000" in err  # the other fake keys are listed as comments


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--host", "0.0.0.0"], "refusing to listen on 0.0.0.0"),
        (["--host", "192.0.2.1"], "refusing to listen on 192.0.2.1"),
        (["--rate-limit", "fast"], "--rate-limit must be N/S"),
        (["--seed", "no/such/seed.yaml"], "cannot read the file"),
    ],
)
def test_cli_refuses_bad_options_without_a_traceback(args: list[str], needle: str) -> None:
    result = CliRunner().invoke(main, ["emulator", *args])
    assert result.exit_code == 1
    assert needle in result.output
    assert "Traceback" not in result.output


def test_cli_reports_every_problem_of_a_bad_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("users: [{first_name: Nobody}]\nnumbers: [{number: '650'}]\n")
    result = CliRunner().invoke(main, ["emulator", "--seed", str(seed)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: invalid emulator seed {seed}",
        f"  {seed}:1:1: $.api_keys: at least one API key or OAuth token is needed to call the API",
        f"  {seed}:1:9: $.users[0]: missing required key 'email'",
        f'  {seed}:2:20: $.numbers[0].number: must be in E.164 format (e.g. +16503334444), got "650"',
        "Hint: The seed format is described in docs/emulator.md.",
    ]


def test_cli_help_documents_every_flag() -> None:
    result = CliRunner().invoke(main, ["emulator", "--help"])
    assert result.exit_code == 0
    for flag in ("--host", "--port", "--seed", "--latency", "--error-rate", "--rate-limit"):
        assert flag in result.output
