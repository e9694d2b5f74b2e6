"""Close's rules on who may change what, through the CLI against the Acme emulator: a teammate's
personal number is marked in every plan format and Close's refusal is that number's outcome in
apply; a custom role holding manage_group_numbers gets no warning, one without it one line;
forwarding with no target is refused before any request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from numbersync.emulator import Emulator
from tests.helpers import cli

ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
BOB_DIRECT = "phon_demoBobDirect0000000000000000000000001"
DAVE_KEY = "api_demo_dave.fake0000"
MARK = "! personal number of bob@acme.example: Close lets only its owner change it"
# Sales line (shared) and Bob's direct line (Bob's personal number), renamed by the admin.
RENAMES = (
    "version: 1\nnumbers:\n"
    '  "+16503334444": {label: Sales team}\n'
    '  "+16503334448": {label: Bob on call}\n'
)
REASONS = {
    403: "PUT /phone_number/phon_demoBobDirect0000000000000000000000001/ (403): not allowed: You "
    "can only update your own personal numbers.",
    400: "PUT /phone_number/phon_demoBobDirect0000000000000000000000001/ (400): not allowed: You "
    "can only update your own personal numbers.",
    404: "PUT /phone_number/phon_demoBobDirect0000000000000000000000001/ (404): phone number "
    "phon_demoBobDirect0000000000000000000000001 not found",
}
HINT = (
    "hint: this is the personal number of bob@acme.example, and Close lets only its owner "
    "change it; leave it out of the file, or let its owner apply it"
)


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_the_plan_marks_a_teammates_personal_number_in_every_format(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(tmp_path / "numbers.yaml", RENAMES)

    text = cli(emulator, "plan", "-c", config)
    markdown = cli(emulator, "plan", "-c", config, "--format", "markdown")
    document = json.loads(cli(emulator, "plan", "-c", config, "--format", "json").stdout)

    assert text.exit_code == 0, text.output
    assert text.stdout == (
        '  ~ +1 650-333-4444 "Sales team"  (last changed in Close 2024-01-15 09:00 UTC)\n'
        '      label: "Sales" -> "Sales team"\n'
        "\n"
        '  ~ +1 650-333-4448 "Bob on call"  (last changed in Close 2024-01-15 09:05 UTC)\n'
        f"      {MARK}\n"
        '      label: "Bob direct" -> "Bob on call"\n'
        "\n"
        "Safety: apply will go ahead: no safety rail refuses this plan.\n"
        "Close will refuse 1 change: +1 650-333-4448 is the personal number of bob@acme.example "
        "(only its owner can change it).\n"
        "Plan: 2 to change, 0 unchanged, 9 unmanaged.\n"
    )
    lines = markdown.stdout.splitlines()
    assert lines[3:8] == [
        "**Safety:** apply will go ahead: no safety rail refuses this plan.",
        "",
        "> [!WARNING]",
        "> Close will refuse 1 change: +1 650-333-4448 is the personal number of "
        "bob@acme.example (only its owner can change it).",
        "",
    ]
    assert (
        "| +1 650-333-4448 | Bob on call | `label` 🔒 personal number of bob@acme.example: Close "
        "lets only its owner change it | 2024-01-15 09:05 UTC |"
    ) in lines
    assert f"!   {MARK[2:]}" in lines
    assert document["verdict"] == {
        "refuses": False,
        "reasons": [],
        "close_refuses": [
            {
                "id": BOB_DIRECT,
                "number": "+16503334448",
                "owner": BOB,
                "owner_email": "bob@acme.example",
                "reason": "personal number: Close lets only its owner change it",
            }
        ],
    }
    assert [(c["id"], c["owner"], c["shares"]) for c in document["changes"]] == [
        (SALES_LINE, None, False),
        (BOB_DIRECT, BOB, False),
    ]
    assert document["users"] == {BOB: "bob@acme.example"}
    # The file names nobody by email: /user/ is read once per plan, to name the owner.
    assert [r.path for r in emulator.requests if r.path == "/user/"] == ["/user/"] * 3


@pytest.mark.parametrize("status", [403, 400, 404])
def test_apply_reports_closes_refusal_for_that_number_and_goes_on(
    emulator: Emulator, tmp_path: Path, status: int
) -> None:
    emulator.quirks.personal_number_error = status
    config = write(tmp_path / "numbers.yaml", RENAMES)
    report = tmp_path / "report.json"

    result = cli(emulator, "apply", "-c", config, "--auto-approve", "--report", str(report))

    assert result.exit_code == 1, result.output
    puts = [(r.path, r.body) for r in emulator.requests if r.method == "PUT"]
    assert sorted(puts) == [
        (f"/phone_number/{BOB_DIRECT}/", {"label": "Bob on call"}),
        (f"/phone_number/{SALES_LINE}/", {"label": "Sales team"}),
    ]
    assert (emulator.state.number(SALES_LINE) or {})["label"] == "Sales team"
    assert (emulator.state.number(BOB_DIRECT) or {})["label"] == "Bob direct"
    assert (
        f"  failed    +1 650-333-4448    label  {REASONS[status]}\n      {HINT}\n" in result.stdout
    )
    assert "Apply complete: 1 applied, 1 failed, 0 unknown, 0 not sent." in result.stdout
    outcomes = {n["id"]: n for n in json.loads(report.read_text())["numbers"]}
    assert outcomes[SALES_LINE]["status"] == "applied"
    assert {k: outcomes[BOB_DIRECT][k] for k in ("status", "message", "errors")} == {
        "status": "failed",
        "message": REASONS[status],
        "errors": [HINT],
    }


def test_members_on_a_personal_number_are_said_to_make_it_shared(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334448": {participants: [bob@acme.example, '
        "alice@acme.example]}\n",
    )

    text = cli(emulator, "plan", "-c", config).stdout
    markdown = cli(emulator, "plan", "-c", config, "--format", "markdown").stdout
    document = json.loads(cli(emulator, "plan", "-c", config, "--format", "json").stdout)

    assert "      ! turns a personal number into a shared one\n" in text
    assert "🔒 turns a personal number into a shared one" in markdown
    assert "!   turns a personal number into a shared one" in markdown
    assert [c["shares"] for c in document["changes"]] == [True]


ROLE_WARNING = (
    "Warning: 1 change (+1 650-333-4444) may need the 'Manage Team Phone Numbers' permission "
    "(manage_group_numbers), and neither /me/ nor the role {role} shows it for "
    "dave@acme.example; if Close refuses one, apply reports it and goes on with the others."
)


@pytest.mark.parametrize(
    ("role", "permissions", "warned"),
    [
        ("role_lead", ["calling", "manage_group_numbers"], False),
        ("role_caller", ["calling"], True),
    ],
)
def test_a_custom_role_is_read_before_warning(
    start_emulator: object, tmp_path: Path, role: str, permissions: list[str], warned: bool
) -> None:
    import yaml

    from tests.conftest import EMULATOR_SEED

    seed = yaml.safe_load(EMULATOR_SEED.read_text())
    seed["roles"] = [{"id": role, "name": "Custom", "permissions": permissions}]
    dave = next(u for u in seed["users"] if u["email"] == "dave@acme.example")
    dave["role_id"] = role
    emu = start_emulator(seed)  # type: ignore[operator]
    config = write(
        tmp_path / "numbers.yaml", 'version: 1\nnumbers:\n  "+16503334444": {label: X}\n'
    )

    result = cli(emu, "plan", "-c", config, key=DAVE_KEY)

    assert result.exit_code == 0, result.output
    expected = ROLE_WARNING.format(role=role) + "\n\n" if warned else ""
    assert result.stdout.split('"X"\n\n', 1)[1].startswith(expected + "Safety:")
    assert [r.path for r in emu.requests if r.path.startswith("/role/")] == [f"/role/{role}/"]


def test_forwarding_with_no_target_is_refused_before_any_request(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Bob's direct line has no forward_to in Close.
    config = write(
        tmp_path / "numbers.yaml",
        'version: 1\nnumbers:\n  "+16503334448":\n    forward_to_enabled: true\n',
    )

    result = cli(emulator, "apply", "-c", config, "--auto-approve")

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f'{config}:4:25: $.numbers["+16503334448"].forward_to_enabled: forwarding is switched on, '
        "but neither the file nor Close has a number to forward to: set forward_to"
    )
    assert [r.method for r in emulator.requests if r.method != "GET"] == []
