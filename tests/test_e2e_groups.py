"""Managed groups end to end against the emulator: the plan's group block and the requests that
read it, --target by group, errors at their positions, saved plans shown again and refused when
a member changed in Close since."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from helpers import cli

from numbersync.emulator import Emulator

ACME_SEED = Path(__file__).resolve().parent.parent / "examples" / "emulator-seed.yaml"
SUPPORT = "group_support000000000000000"
SALES_EMEA = "group_salesEmea0000000000000"
ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
ERIN = "user_erin0000000000000000000000000000000000000"
TOLL_FREE = "+18005550142"  # rings Support, and nothing else

CONFIG = """\
version: 1
numbers:
  "+18005550142":
    participant_groups: [Support]
groups:
  Support:
    members: [alice@acme.example, bob@acme.example]
"""
BLOCK = (
    "  ~ group Support\n"
    "      + alice@acme.example (rings on 1 more number: +1 800-555-0142)\n"
    "      - erin@acme.example (no longer rings on 1 number: +1 800-555-0142)\n"
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "numbers.yaml"
    path.write_text(CONFIG)
    return path


def add_member(emulator: Emulator, group_id: str, user_id: str) -> None:
    """Someone changes the group in Close, outside numbersync."""
    answer = httpx.post(
        f"{emulator.url}/group/{group_id}/member/",
        json={"user_id": user_id},
        auth=(emulator.admin_key, ""),
    )
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)
def test_plan_shows_the_group_block_and_reads_only_the_managed_groups_members(
    emulator: Emulator, config: Path
) -> None:
    result = cli(emulator, "plan", "-c", str(config), "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert result.stdout.startswith(BLOCK)
    assert result.stdout.endswith("1 group to change: 1 member added, 1 removed.\n")
    gets = sorted(r.path for r in emulator.requests if r.path.startswith("/group/"))
    assert gets == ["/group/", f"/group/{SUPPORT}/"]  # one GET for the one managed group
    assert {r.method for r in emulator.requests} == {"GET"}


def test_a_file_that_uses_and_manages_no_group_reads_no_group(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text('version: 1\nnumbers:\n  "+18005550142": {label: Hotline}\n')
    assert cli(emulator, "plan", "-c", str(path)).exit_code == 0
    assert [r.path for r in emulator.requests if r.path.startswith("/group/")] == []


def test_a_managed_group_the_numbers_ring_too_is_read_once(
    emulator: Emulator, config: Path
) -> None:
    assert cli(emulator, "plan", "-c", str(config)).exit_code == 0
    reads = [r.path for r in emulator.requests if r.path == f"/group/{SUPPORT}/"]
    assert len(reads) == 1


@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)
def test_a_member_who_rings_through_another_group_already_is_not_counted_there(
    emulator: Emulator, tmp_path: Path
) -> None:
    # The ported line rings Sales EMEA and Support; Alice is in Sales EMEA. Adding her to
    # Support makes her ring the toll-free line, not the ported line: the plan reads Sales
    # EMEA's members (after Support's) to tell, and no other group's.
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "version: 1\nnumbers:\n"
        '  "+16503334450": {label: Ported main line}\n'
        '  "+18005550142": {participant_groups: [Support]}\n'
        "groups:\n  Support:\n    members: [alice@acme.example, bob@acme.example, "
        "erin@acme.example]\n"
    )

    result = cli(emulator, "plan", "-c", str(path))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "  ~ group Support\n      + alice@acme.example (rings on 1 more number: +1 800-555-0142)\n"
    )
    reads = sorted(r.path for r in emulator.requests if r.path.startswith("/group/group_"))
    assert reads == [f"/group/{SALES_EMEA}/", f"/group/{SUPPORT}/"]


def test_a_managed_group_whose_members_cannot_be_read_fails_the_plan_as_close_did(
    start_emulator: Callable[..., Emulator], config: Path
) -> None:
    from numbersync.emulator import Faults

    # Every attempt at Support's members fails: the plan cannot compare them, and says so as
    # for any read Close refused, not as a mistake in the file.
    faults = Faults(schedule=["500"] * 6, match=f"GET /group/{SUPPORT}/")
    emu = start_emulator(ACME_SEED, faults=faults)

    result = cli(emu, "plan", "-c", str(config))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: GET /group/{SUPPORT}/ (500): gave up after 6 attempts: 500 Internal Server "
        "Error: Internal server error. (emulated fault)\n"
        "Hint: Close kept failing: try again later (a second apply picks up where this one "
        "stopped)\n"
    )


def test_target_and_exclude_choose_a_group_by_name(emulator: Emulator, config: Path) -> None:
    only = cli(emulator, "plan", "-c", str(config), "--target", "Support")
    assert only.exit_code == 0, only.output
    assert only.stdout.startswith(BLOCK)
    left_out = cli(emulator, "plan", "-c", str(config), "--exclude", "Support")
    assert left_out.exit_code == 0, left_out.output
    assert "group Support" not in left_out.stdout
    assert left_out.stdout.startswith("No changes.")
    typo = cli(emulator, "plan", "-c", str(config), "--target", "Suport")
    assert typo.exit_code == 1
    assert f"--target Suport: not a number or a group in {config}" in typo.stderr


def test_unknown_group_and_member_are_errors_at_their_positions(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "version: 1\ngroups:\n  Suport:\n    members: [alice@acme.example, alise@acme.example]\n"
    )
    result = cli(emulator, "plan", "-c", str(path))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        f"{path}:3:3: $.groups.Suport: no group named 'Suport' in the organization "
        "(did you mean 'Support'?)",
        f"{path}:4:35: $.groups.Suport.members[1]: no active member of the organization has "
        "the email alise@acme.example (did you mean 'alice@acme.example'?)",
        "Error: 2 errors found",
    ]
    assert not [r for r in emulator.requests if r.method != "GET"]


def test_a_saved_plan_carries_its_groups_and_shows_them_again(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"
    made = cli(emulator, "plan", "-c", str(config), "--out", str(planfile))
    assert made.exit_code == 0, made.output
    document = json.loads(planfile.read_text())
    assert document["summary"]["group_change"] == 1
    assert document["group_changes"] == [
        {
            "id": SUPPORT,
            "name": "Support",
            "key": "Support",
            "file": str(config),
            "before": [BOB, ERIN],
            "after": [ALICE, BOB],
            "added": [{"user_id": ALICE, "email": "alice@acme.example", "numbers": [TOLL_FREE]}],
            "removed": [{"user_id": ERIN, "email": "erin@acme.example", "numbers": [TOLL_FREE]}],
            "numbers": [TOLL_FREE],
        }
    ]
    shown = cli(emulator, "show", str(planfile))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == made.stdout


def test_a_member_added_in_close_since_the_plan_refuses_it(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(config), "--out", str(planfile)).exit_code == 0
    add_member(emulator, SUPPORT, CAROL)
    emulator.reset_log()
    result = cli(emulator, "apply", str(planfile))
    assert result.exit_code == 1
    assert (
        "Error: the saved plan is stale, nothing was applied; Close changed since it was made:\n"
        "  group Support: carol@acme.example was added in Close since the plan\n"
    ) in result.stderr
    assert [r.method for r in emulator.requests if r.method != "GET"] == []


def test_a_saved_plan_whose_members_the_config_no_longer_asks_for_is_refused(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(config), "--out", str(planfile)).exit_code == 0
    document = json.loads(planfile.read_text())
    change = document["group_changes"][0]
    change["after"] = [BOB, CAROL, ERIN]
    change["added"] = [{"user_id": CAROL, "email": "carol@acme.example", "numbers": [TOLL_FREE]}]
    change["removed"] = []
    planfile.write_text(json.dumps(document))
    result = cli(emulator, "apply", str(planfile))
    assert result.exit_code == 1
    assert (
        f'  group Support: the members are ["{BOB}", "{CAROL}", "{ERIN}"] in the plan, the '
        f'config asks for ["{ALICE}", "{BOB}"]\n'
    ) in result.stderr
    assert [r.method for r in emulator.requests if r.method != "GET"] == []


def test_a_plan_file_whose_member_lines_disagree_with_before_and_after_is_refused(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(config), "--out", str(planfile)).exit_code == 0
    document = json.loads(planfile.read_text())
    document["group_changes"][0]["removed"] = []
    planfile.write_text(json.dumps(document))
    result = cli(emulator, "show", str(planfile))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{planfile}: $.group_changes[0].removed: must be "
        f'["{ERIN}"] (what before and after make), got []'
    )


@pytest.mark.parametrize("emulator", ["tidy", "wild"], indirect=True)
def test_apply_sends_one_request_per_member_change_and_converges(
    emulator: Emulator, config: Path
) -> None:
    first = cli(emulator, "apply", "-c", str(config), "--auto-approve")
    assert first.exit_code == 0, first.output
    # Sent side by side: their order is the pool's.
    writes = sorted(
        (r.method, r.path, json.dumps(r.body)) for r in emulator.requests if r.method != "GET"
    )
    assert writes == [
        ("DELETE", f"/group/{SUPPORT}/member/{ERIN}/", "null"),
        ("POST", f"/group/{SUPPORT}/member/", json.dumps({"user_id": ALICE})),
    ]
    group = emulator.state.group(SUPPORT)
    assert group is not None and set(group.members) == {ALICE, BOB}
    emulator.reset_log()
    second = cli(emulator, "apply", "-c", str(config), "--auto-approve")
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("No changes.")
    assert [r for r in emulator.requests if r.method != "GET"] == []
    drift = cli(emulator, "plan", "-c", str(config), "--detailed-exitcode")
    assert drift.exit_code == 0, drift.output


def test_apply_of_a_saved_plan_sends_its_member_changes(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(config), "--out", str(planfile)).exit_code == 0
    emulator.reset_log()
    result = cli(emulator, "apply", str(planfile))
    assert result.exit_code == 0, result.output
    writes = sorted((r.method, r.path) for r in emulator.requests if r.method != "GET")
    assert writes == [
        ("DELETE", f"/group/{SUPPORT}/member/{ERIN}/"),
        ("POST", f"/group/{SUPPORT}/member/"),
    ]


def test_emptying_the_only_group_a_number_rings_is_refused_without_force(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("version: 1\ngroups:\n  Support:\n    members: []\n")
    result = cli(emulator, "apply", "-c", str(path), "--auto-approve")
    assert result.exit_code == 1
    assert (
        "Safety: apply will refuse this without --force: it leaves +1 800-555-0142 ringing "
        "nobody: its groups lose their last members, and it has no participants and no phone "
        "numbers.\n"
    ) in result.stdout
    assert [r for r in emulator.requests if r.method != "GET"] == []
    forced = cli(emulator, "apply", "-c", str(path), "--auto-approve", "--force")
    assert forced.exit_code == 0, forced.output
    group = emulator.state.group(SUPPORT)
    assert group is not None and group.members == ()


def test_an_unverified_saved_plan_still_checks_its_groups_members(
    emulator: Emulator, config: Path, tmp_path: Path
) -> None:
    planfile = tmp_path / "plan.json"
    assert cli(emulator, "plan", "-c", str(config), "--out", str(planfile)).exit_code == 0
    config.unlink()  # the config is not here to verify the plan against
    add_member(emulator, SUPPORT, CAROL)
    emulator.reset_log()
    result = cli(emulator, "apply", str(planfile), "--unverified-plan")
    assert result.exit_code == 1
    # Without the config, /user/ is not read: the member Close added is named by id.
    assert f"  group Support: {CAROL} was added in Close since the plan\n" in result.stderr
    assert [r.method for r in emulator.requests if r.method != "GET"] == []
