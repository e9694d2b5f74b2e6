"""Plan, apply and export against the Close of the wild (tests/data/seeds/acme-wild.yaml): users of
another organization, a former member still on a number, an admin whose /me/ shows no phone
permission, permission refusals as 400s, no deprecated fields, an external number, per-key and
per-organization limits with long windows. Each point of issue 11, through the real CLI, with the
exact requests Close received."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from helpers import cli

from numbersync.emulator import Emulator

pytestmark = [
    pytest.mark.parametrize("emulator", ["wild"], indirect=True),
]

REPO = Path(__file__).resolve().parent.parent
NUMBERS_YAML = REPO / "examples" / "numbers.yaml"
DAVE_KEY = "api_demo_dave.fake0000"
FRANK = "user_frank000000000000000000000000000000000000"
LABS_ALICE = "user_labsAlice00000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
FORMER_REP_LINE = "phon_wildFormerRepLine000000000000000000001"
ERIN_OLD_LINE = "phon_wildErinOldLine00000000000000000000001"


def write(tmp_path: Path, body: str) -> str:
    path = tmp_path / "numbers.yaml"
    path.write_text("version: 1\nnumbers:\n" + body)
    return str(path)


def puts(emu: Emulator) -> list[tuple[str, object]]:
    return [(r.path, r.body) for r in emu.requests if r.method == "PUT"]


def test_the_acme_plan_means_the_same_in_the_wild(emulator: Emulator) -> None:
    tidy = (Path(__file__).parent / "data" / "e2e" / "acme-plan.txt").read_text()

    result = cli(emulator, "plan", "-c", str(NUMBERS_YAML))

    assert result.exit_code == 0, result.output
    # Two more unmanaged numbers, and no permission warning for an admin whose /me/ lists only
    # bulk_edit and export (as in Close's own example).
    assert result.stdout == tidy.replace("6 unmanaged", "8 unmanaged")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("participant", "message"),
    [
        (
            "alice@acmelabs.example",
            "alice@acmelabs.example is a user of another organization, not of the one that "
            "owns these numbers",
        ),
        (
            LABS_ALICE,
            f"{LABS_ALICE} (alice@acmelabs.example) is a user of another organization, not of "
            "the one that owns these numbers",
        ),
    ],
    ids=["email", "id"],
)
def test_a_user_of_another_organization_is_refused_at_plan_time(
    emulator: Emulator, tmp_path: Path, participant: str, message: str
) -> None:
    config = write(
        tmp_path, f'  "+16503334448":\n    participants: [bob@acme.example, {participant}]\n'
    )

    result = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f'{config}:4:38: $.numbers["+16503334448"].participants[1]: {message}\n'
        "Error: 1 error found\n"
    )
    assert puts(emulator) == []


def test_a_former_member_stays_where_close_has_them_and_the_plan_says_what_they_are(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(
        tmp_path,
        f"  {FORMER_REP_LINE}:\n    label: Former rep\n    participants: [{FRANK}, {BOB}]\n",
    )

    result = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        f"Warning: {config}:5:20: $.numbers.{FORMER_REP_LINE}.participants[0]: {FRANK} is a "
        "participant in Close but not an active member of the organization (deactivated or "
        "removed); it stays as it is\n"
    ) in result.stdout
    assert puts(emulator) == [(f"/phone_number/{FORMER_REP_LINE}/", {"label": "Former rep"})]


def test_a_former_member_cannot_be_added_to_another_number(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path, f'  "+16503334448":\n    participants: [{BOB}, {FRANK}]\n')

    result = cli(emulator, "plan", "-c", config)

    assert result.exit_code == 1
    assert (
        f'$.numbers["+16503334448"].participants[1]: no active member of the organization has '
        f"the id {FRANK}\n"
    ) in result.stderr


def test_an_email_typo_gets_a_suggestion(emulator: Emulator, tmp_path: Path) -> None:
    config = write(tmp_path, '  "+16503334448":\n    participants: [bob@acme.exmaple]\n')

    result = cli(emulator, "plan", "-c", config)

    assert result.exit_code == 1
    assert (
        '$.numbers["+16503334448"].participants[0]: no active member of the organization has '
        "the email bob@acme.exmaple (did you mean 'bob@acme.example'?)\n"
    ) in result.stderr


def test_inbound_settings_of_an_external_number_are_noted_and_defaults_skip_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Carol's caller ID rings her alone: her personal number, which Close lets only her change,
    # unless it behaves otherwise (the owner rule switched off here; tests/test_e2e_rules.py).
    emulator.quirks.personal_numbers = False
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "version: 1\n"
        "defaults:\n"
        "  inbound_ring_duration: 45\n"
        "numbers:\n"
        '  "+16505550177":\n'
        '    label: "Carol (caller ID)"\n'
        '    forward_to: "+16505550100"\n'
        "    forward_to_enabled: true\n"
    )

    result = cli(emulator, "apply", "-c", str(path), "--auto-approve")

    assert result.exit_code == 0, result.output
    assert (
        f'Warning: {path}:5:3: $.numbers["+16505550177"]: +1 650-555-0177 is an external number '
        "(Close uses it only as outbound caller ID): Close does not use its forward_to, "
        "forward_to_enabled\n"
    ) in result.stdout
    # The ring duration from defaults does not apply to it; what the number itself says does.
    assert puts(emulator) == [
        (
            "/phone_number/phon_demoCarolCallerId000000000000000000001/",
            {
                "label": "Carol (caller ID)",
                "forward_to": "+16505550100",
                "forward_to_enabled": True,
            },
        )
    ]


def test_a_restricted_user_is_warned_once_and_a_400_refusal_reads_like_a_403(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(
        tmp_path,
        '  "+16503334444": {inbound_ring_duration: 45}\n'
        '  "+16503334446": {inbound_ring_duration: 45}\n',
    )

    result = cli(emulator, "apply", "-c", config, "--auto-approve", key=DAVE_KEY)

    assert result.exit_code == 1
    warnings = [line for line in result.stdout.splitlines() if line.startswith("Warning:")]
    assert warnings == [
        "Warning: 2 changes (+1 650-333-4444, +1 650-333-4446) may need the 'Manage Team Phone "
        "Numbers' permission (manage_group_numbers), and neither /me/ nor the role user shows "
        "it for dave@acme.example; if Close refuses one, apply reports it and goes on with the "
        "others."
    ]
    failed = [line for line in result.stdout.splitlines() if line.startswith("  failed ")]
    assert len(failed) == 2
    assert all(
        '(400): not allowed: You need the "Manage Team Phone Numbers"' in line for line in failed
    )
    hints = [
        line.strip() for line in result.stdout.splitlines() if line.strip().startswith("hint:")
    ]
    assert (
        hints
        == [
            "hint: changing members, groups or ring settings needs the Manage Team Phone Numbers "
            "permission; without it a user may change only label, greeting and forwarding of "
            "numbers where they are the sole member"
        ]
        * 2
    )


def test_an_old_personal_number_without_deprecated_fields_exports_and_plans_clean(
    emulator: Emulator, tmp_path: Path
) -> None:
    exported = tmp_path / "exported.yaml"
    assert cli(emulator, "export", "-o", str(exported)).exit_code == 0

    result = cli(emulator, "plan", "-c", str(exported), "--detailed-exitcode")

    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("No changes. 13 managed numbers match the file; 0 unmanaged.\n")
    text = exported.read_text()
    assert "user_labs" not in text and "acmelabs" not in text  # no other organization's users


def test_two_groups_with_one_name_are_refused_by_name_listing_both(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Close says group names are unique in an organization; a second "Support" is put straight
    # into the served state (the seed loader refuses it).
    support = next(g for g in emulator.state.groups if g.name == "Support")
    twin = dataclasses.replace(support, id="group_support2000000000000")
    monkeypatch.setattr(emulator.state, "groups", (*emulator.state.groups, twin))
    monkeypatch.setitem(emulator.state._groups, twin.id, twin)
    config = write(tmp_path, '  "+16503334448":\n    participant_groups: [Support]\n')

    result = cli(emulator, "plan", "-c", config)

    assert result.exit_code == 1
    assert (
        "$.numbers[\"+16503334448\"].participant_groups[0]: 2 groups are named 'Support' "
        "(group_support000000000000000, group_support2000000000000); name the group by id\n"
    ) in result.stderr
