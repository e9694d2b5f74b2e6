"""The policy through the CLI against the Acme emulator: plan judges what Close keeps (a
premium-rate forward_to refused with no policy written at all) and who a number rings, group
members counted once each, refuses the plan before any write, and shows every waiver in each
format."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from conftest import EMULATOR_SEED
from helpers import cli

from numbersync.emulator import Emulator

HINT = "Hint: fix the file, or check that the key belongs to this account\n"


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def writes(emulator: Emulator) -> list[str]:
    return [r.method for r in emulator.requests if r.method not in ("GET", "HEAD")]


def test_plan_and_apply_refuse_a_premium_rate_forward_to_that_close_keeps(
    start_emulator: Callable[..., Emulator], tmp_path: Path
) -> None:
    seed: dict[str, Any] = yaml.safe_load(EMULATOR_SEED.read_text())
    erin = next(n for n in seed["numbers"] if n["number"] == "+16503334449")
    erin["forward_to"] = "+449098790000"
    emulator = start_emulator(seed)
    # No policy section: the refusal of premium-rate numbers is on by default. The file turns
    # forwarding on and leaves the target to Close, so Close's target is the file's business.
    config = write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334449": {label: Erin on call, forward_to_enabled: true}\n',
    )
    refused = (
        f'{config}:3:3: $.numbers["+16503334449"]: forward_to kept from Close: +44 909 879 0000 '
        "is a premium-rate number (GB), which policy refused_number_types refuses\n"
        "Error: 1 error found\n" + HINT
    )

    plan = cli(emulator, "plan", "-c", config)
    apply = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert (plan.exit_code, plan.stdout, plan.stderr) == (1, "", refused)
    assert (apply.exit_code, apply.stderr) == (1, refused)
    assert writes(emulator) == []

    # Forwarding switched off: the target Close keeps rings nobody, and the plan goes ahead.
    write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334449": {forward_to_enabled: false}\n',
    )
    assert cli(emulator, "plan", "-c", config).exit_code == 0


MIN_RINGING = """\
version: 1
policy:
  min_ringing: 2
numbers:
  "+16503334446": {label: Alice direct}
  "+16503334449":
    label: Erin on call
"""
WAIVER = """\
    waive:
      min_ringing: Erin is the one person on call; her forward covers her
"""


def test_plan_refuses_a_number_that_rings_too_few_people_unless_it_is_waived(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "numbers.yaml", MIN_RINGING)

    refused = cli(emulator, "plan", "-c", config)

    # Alice's line rings Alice and one external number: two. Erin's rings Erin alone.
    assert (refused.exit_code, refused.stdout, refused.stderr) == (
        1,
        "",
        f'{config}:6:3: $.numbers["+16503334449"]: rings 1 person, fewer than policy '
        "min_ringing (2)\nError: 1 error found\n" + HINT,
    )

    write(tmp_path / "numbers.yaml", MIN_RINGING + WAIVER)
    text = cli(emulator, "plan", "-c", config)
    markdown = cli(emulator, "plan", "-c", config, "--format", "markdown")
    document = json.loads(cli(emulator, "plan", "-c", config, "--format", "json").stdout)

    assert text.exit_code == 0, text.output
    reason = "Erin is the one person on call; her forward covers her"
    assert (
        f'Policy waivers (1):\n    +1 650-333-4449 min_ringing: "{reason}" ({config}:9)\n\n'
        in text.stdout
    )
    assert f"| +1 650-333-4449 | `min_ringing` | {reason} | `{config}:9` |\n" in markdown.stdout
    assert document["waivers"] == [
        {
            "number": "+16503334449",
            "key": "+16503334449",
            "file": config,
            "line": 9,
            "rule": "min_ringing",
            "reason": reason,
            "needed": True,
        }
    ]
    assert writes(emulator) == []


def test_plan_counts_the_members_of_the_groups_a_number_rings(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(
        tmp_path / "numbers.yaml",
        "version: 1\npolicy: {min_ringing: 3}\nnumbers:\n"
        # Alice, and Sales EMEA (Alice, Carol): two people, Alice once.
        '  "+16503334444": {label: Sales line}\n'
        # Sales EMEA and Support: Alice, Carol, Bob, Erin.
        '  "+16503334450": {label: Ported line}\n'
        # Bob, Support (Bob, Erin) and Night Shift (Dave): three.
        '  "+16503334448": {participant_groups: [Support, Night Shift]}\n'
        # Support alone: Bob and Erin.
        '  "+18005550142": {label: Toll free}\n',
    )

    result = cli(emulator, "plan", "-c", config)

    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f'{config}:4:3: $.numbers["+16503334444"]: rings 2 people, fewer than policy '
        "min_ringing (3)\n"
        f'{config}:7:3: $.numbers["+18005550142"]: rings 2 people, fewer than policy '
        "min_ringing (3)\n"
        "Error: 2 errors found\n" + HINT,
    )
    assert writes(emulator) == []
