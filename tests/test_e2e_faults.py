"""Faults during `numbersync apply`, through the real CLI against the emulator over real sockets:
429 storms, 503 bursts, a 504 after the write was made, dropped connections, slow bodies and a
server restart mid-apply. Each time every change lands exactly on its desired value, no number
passes through a state the plan did not show, and each retry is visible with -v.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from numbersync.cli import main
from numbersync.emulator import Emulator, Faults, RecordedRequest, generate_seed
from numbersync.models import MANAGED_FIELDS

pytestmark = pytest.mark.timeout(40)

MANAGED = 12  # numbers the file manages: the first 10 change, the last 2 already match
CHANGED = 10
SEED = generate_seed(16, users=4, groups=2)  # 4 numbers stay unmanaged


def number_id(i: int) -> str:
    return str(SEED["numbers"][i]["id"])


def desired_settings(i: int) -> dict[str, Any]:
    """What the file asks of number i: several fields, so that each PUT carries several."""
    entry = SEED["numbers"][i]
    emails = {u["id"]: u["email"] for u in SEED["users"]}
    if i >= CHANGED:  # already as wanted: must not be written
        return {"label": entry["label"]}
    settings: dict[str, Any] = {
        "label": f"Reliable {i}",
        "inbound_ring_duration": 45 + i,
        "participants": [emails[SEED["users"][i % 4]["id"]], emails[SEED["users"][0]["id"]]],
    }
    if i % 3 == 0:
        settings["press_1_to_accept"] = not entry["press_1_to_accept"]
    return settings


def expected_values(i: int) -> dict[str, Any]:
    """The managed values number i must end with, as Close stores them (user ids, sorted sets)."""
    settings = dict(desired_settings(i))
    if "participants" in settings:
        ids = {u["email"]: u["id"] for u in SEED["users"]}
        settings["participants"] = sorted({ids[e] for e in settings["participants"]})
    return settings


def write_config(tmp_path: Path) -> str:
    numbers = {SEED["numbers"][i]["number"]: desired_settings(i) for i in range(MANAGED)}
    path = tmp_path / "numbers.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "numbers": numbers}))
    return str(path)


def cli(url: str, key: str, *args: str) -> Result:
    env = {"CLOSE_API_URL": url, "CLOSE_API_KEY": key, "CLOSE_ACCESS_TOKEN": None, "NO_COLOR": "1"}
    return CliRunner().invoke(main, list(args), env=env)


def managed_state(emu: Emulator) -> dict[str, dict[str, Any]]:
    """Every number's managed fields, set fields sorted."""
    result = {}
    for obj in emu.state.numbers():
        values = {name: obj[name] for name in MANAGED_FIELDS}
        for name in ("participants", "participant_groups", "phone_numbers"):
            values[name] = sorted(values[name] or [])
        result[obj["id"]] = values
    return result


def planned_changes(emu: Emulator, config: str) -> dict[str, dict[str, Any]]:
    """The plan as JSON, before anything is applied: {number id: {field: after}}."""
    result = cli(emu.url, emu.admin_key, "plan", "-c", config, "--format", "json")
    assert result.exit_code == 0, result.output
    changes: dict[str, dict[str, Any]] = {}
    for change in json.loads(result.stdout)["changes"]:
        changes.setdefault(change["id"], {})[change["field"]] = change["after"]
    return changes


def check_converged(
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    plan: dict[str, dict[str, Any]],
    puts: list[RecordedRequest],
) -> None:
    # The plan is what the file asks: ten numbers, with exactly the fields that differ.
    assert sorted(plan) == sorted(number_id(i) for i in range(CHANGED))
    for i in range(MANAGED):
        for name, value in expected_values(i).items():
            got = after[number_id(i)][name]
            assert got == value, f"number {i} {name}: {got!r}, wanted {value!r}"
    # Every field of every number is either as before or as the plan said it would become.
    for number, fields in after.items():
        for name, value in fields.items():
            wanted = plan.get(number, {}).get(name, before[number][name])
            if isinstance(wanted, list):
                wanted = sorted(wanted)
            assert value == wanted, f"{number} {name}: {value!r}, the plan showed {wanted!r}"
    # Every PUT, first tries and retries alike, carried exactly the plan's values for its number:
    # no write ever asked for anything else, so no number passed through an unplanned state.
    for request in puts:
        number = request.path.split("/")[2]
        assert number in plan, f"a PUT to {number}, which the plan does not change"
        body = {k: sorted(v) if isinstance(v, list) else v for k, v in request.body.items()}
        wanted = {k: sorted(v) if isinstance(v, list) else v for k, v in plan[number].items()}
        assert body == wanted


def retries_logged(stderr: str, method: str = "PUT") -> int:
    return sum(
        line.startswith(f"numbersync.http: retrying {method} ") for line in stderr.splitlines()
    )


def run_apply(emu: Emulator, config: str, *extra: str) -> Result:
    return cli(
        emu.url, emu.admin_key, "-v", "apply", "-c", config, "--auto-approve", "--force", *extra
    )


def assert_second_apply_writes_nothing(emu: Emulator, config: str) -> None:
    emu.faults = Faults()
    emu.reset_log()
    again = run_apply(emu, config)
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    assert not [r for r in emu.requests if r.method == "PUT"]


# Each schedule is consumed in arrival order by the requests it matches. Fewer than six faults in
# all, so that no single request can use up its six attempts, whatever the interleaving.
SCHEDULES = {
    "429 storm, every other PUT": (["429", "ok"] * 5, "PUT", 5),
    "503 bursts": (["503", "503", "ok", "ok", "503", "503", "503"], "PUT", 5),
    "504 after the write was made": (["504-after-write", "ok"] * 3, "PUT", 3),
    "dropped connections": (["drop", "ok", "drop", "ok", "ok", "drop"], "PUT", 3),
    "slow bodies": (["slow", "ok", "slow", "slow"], "PUT", 0),
    # GETs too: the list pages, /user/ and /me/ the plan reads before applying.
    "dropped and 503 reads": (["drop", "503", "ok", "drop"], "GET", 0),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_apply_converges_through_faults(
    name: str, start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    schedule, match, put_faults = SCHEDULES[name]
    emu = start_emulator(SEED)
    config = write_config(tmp_path)
    plan = planned_changes(emu, config)
    before = managed_state(emu)
    emu.faults = Faults(schedule=list(schedule), match=match)
    emu.reset_log()

    result = run_apply(emu, config, "--concurrency", "4")

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stdout.endswith(
        f"Apply complete: {CHANGED} applied, 0 failed, 0 unknown, 0 not sent.\n"
    )
    assert emu.faults.schedule == [], "the schedule was not used up: the test proved less"
    puts = [r for r in emu.requests if r.method == "PUT"]
    check_converged(before, managed_state(emu), plan, puts)
    # One retry on stderr per fault a PUT met, and one PUT per change besides.
    assert retries_logged(result.stderr, "PUT") == put_faults
    assert len(puts) == CHANGED + put_faults
    if match == "GET":
        faulted = sum(1 for f in schedule if f != "ok")
        assert retries_logged(result.stderr, "GET") == faulted
    assert_second_apply_writes_nothing(emu, config)


def test_apply_converges_across_a_server_restart(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    """The server goes away mid-apply (connections cut, port closed) and comes back on the same
    port with the same state: requests in flight and those sent meanwhile are retried."""
    first = start_emulator(SEED, faults=Faults(latency=0.05))
    config = write_config(tmp_path)
    plan = planned_changes(first, config)
    before = managed_state(first)
    first.reset_log()
    port = first.port
    servers = [first]

    def restart() -> None:
        deadline = time.monotonic() + 20
        while sum(r.method == "PUT" for r in first.requests) < 3:
            if time.monotonic() > deadline:
                return
            time.sleep(0.005)
        first.stop()
        time.sleep(0.3)  # long enough for requests to meet the closed port
        second = Emulator(SEED, port=port, faults=Faults(latency=0.05))
        second.state = first.state  # the same account: what was applied stays applied
        servers.append(second.start())

    restarter = threading.Thread(target=restart)
    restarter.start()
    try:
        result = cli(
            first.url,
            first.admin_key,
            "-v",
            "apply",
            "-c",
            config,
            "--auto-approve",
            "--force",
            "--concurrency",
            "2",
        )
    finally:
        restarter.join()
        for server in servers[1:]:
            server.stop()

    assert len(servers) == 2, "the apply ended before the server could be restarted"
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        f"Apply complete: {CHANGED} applied, 0 failed, 0 unknown, 0 not sent.\n"
    )
    puts = [r for s in servers for r in s.requests if r.method == "PUT"]
    check_converged(before, managed_state(servers[1]), plan, puts)
    assert retries_logged(result.stderr, "PUT") >= 1
    assert "Traceback" not in result.output
