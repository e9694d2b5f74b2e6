"""`numbersync explain`: each managed field's value, the FILE:LINE that set it and the layer, offline
and with Close's value beside it (--live, against the emulator over real sockets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli

from numbersync.emulator import Emulator

TREE = {
    "numbersync.yaml": (
        "version: 1\n"
        "defaults:\n"
        "  inbound_ring_duration: 30\n"
        "  press_1_to_accept: false\n"
        "  voicemail_greeting_url: null\n"
    ),
    "sales.yaml": (
        "version: 1\n"
        "defaults:\n"
        "  inbound_ring_duration: 60\n"
        "  participant_groups: [Sales EMEA]\n"
        "numbers:\n"
        '  "+1 650-333-4444":\n'
        "    label: Sales line\n"
        "    participants: [alice@acme.example, bob@acme.example, Alice@acme.example]\n"
        "    voicemail_greeting_url: https://cdn.acme.example/greetings/sales.mp3\n"
    ),
    "night/desk.yaml": (
        "version: 1\n"
        "numbers:\n"
        "  phon_demoNightLine0000000000000000000000001:\n"
        "    press_1_to_accept: true\n"
    ),
    "teams.yaml": (
        "version: 1\n"
        "groups:\n"
        "  Support:\n"
        "    members:\n"
        "      - erin@acme.example\n"
        "      - carol@acme.example\n"
        "  group_nightShift000000000000: {members: [dave@acme.example, Dave@acme.example]}\n"
    ),
}
SALES_OFFLINE = """\
+1 650-333-4444 in numbers/sales.yaml:6
  field                   set at                     by                   value
  label                   numbers/sales.yaml:7       the number itself    "Sales line"
  inbound_ring_duration   numbers/sales.yaml:3       its file's defaults  60
  participants            numbers/sales.yaml:8       the number itself    ["alice@acme.example", "bob@acme.example"]
  participant_groups      numbers/sales.yaml:4       its file's defaults  ["Sales EMEA"]
  press_1_to_accept       numbers/numbersync.yaml:4  the root's defaults  false
  voicemail_greeting_url  numbers/sales.yaml:9       the number itself    "https://cdn.acme.example/greetings/sales.mp3"
Not managed (never compared or sent): forward_to, forward_to_enabled, phone_numbers
"""


@pytest.fixture
def in_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in TREE.items():
        path = tmp_path / "numbers" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("number", ["+16503334444", "+1 (650) 333-4444", "+1 650-333-4444"])
def test_explain_offline_names_the_file_line_and_layer_of_each_field(
    emulator: Emulator, in_tree: Path, number: str
) -> None:
    result = cli(emulator, "explain", number, "-c", "numbers")

    assert result.exit_code == 0, result.output
    assert result.stdout == SALES_OFFLINE
    assert emulator.requests == []  # offline: not even a key is needed


def test_explain_offline_exact_output(emulator: Emulator, in_tree: Path) -> None:
    result = cli(
        emulator, "explain", "phon_demoNightLine0000000000000000000000001", "-c", "numbers"
    )

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "phon_demoNightLine0000000000000000000000001 in numbers/night/desk.yaml:3\n"
        "  field                   set at                     by                   value\n"
        "  inbound_ring_duration   numbers/numbersync.yaml:3  the root's defaults  30\n"
        "  press_1_to_accept       numbers/night/desk.yaml:4  the number itself    true\n"
        "  voicemail_greeting_url  numbers/numbersync.yaml:5  the root's defaults  null\n"
        "Not managed (never compared or sent): label, forward_to, forward_to_enabled, "
        "participants, participant_groups, phone_numbers\n"
    )


def test_explain_live_shows_what_close_has_beside_each_value(
    emulator: Emulator, in_tree: Path
) -> None:
    result = cli(emulator, "explain", "+16503334444", "-c", "numbers", "--live")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "+1 650-333-4444 in numbers/sales.yaml:6\n"
        "  field                   set at                     by                   value                                           Close has\n"
        '  label                   numbers/sales.yaml:7       the number itself    "Sales line"                                    "Sales"\n'
        "  inbound_ring_duration   numbers/sales.yaml:3       its file's defaults  60                                              30\n"
        '  participants            numbers/sales.yaml:8       the number itself    ["alice@acme.example", "bob@acme.example"]      ["user_alice000000000000000000000000000000000000"]\n'
        '  participant_groups      numbers/sales.yaml:4       its file\'s defaults  ["Sales EMEA"]                                  ["group_salesEmea0000000000000"]\n'
        "  press_1_to_accept       numbers/numbersync.yaml:4  the root's defaults  false                                           false\n"
        '  voicemail_greeting_url  numbers/sales.yaml:9       the number itself    "https://cdn.acme.example/greetings/sales.mp3"  "https://cdn.acme.example/greetings/sales.mp3"\n'
        "Not managed (never compared or sent): forward_to, forward_to_enabled, phone_numbers\n"
    )
    # One page of numbers, only the fields this number manages.
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", "/phone_number/")]
    fields = emulator.requests[0].query["_fields"].split(",")
    assert "forward_to" not in fields and "inbound_ring_duration" in fields


def test_explain_live_finds_a_number_the_config_names_by_its_id(
    emulator: Emulator, in_tree: Path
) -> None:
    offline = cli(emulator, "explain", "+16503334447", "-c", "numbers")
    live = cli(emulator, "explain", "+16503334447", "-c", "numbers", "--live")

    assert offline.exit_code == 1
    assert offline.stderr == (
        "Error: +16503334447 is not a number in numbers\n"
        "Hint: name a number the config manages, in any form, or its phon_ id; add --live to "
        "find a number the config names by its id\n"
    )
    assert live.exit_code == 0, live.output
    assert live.stdout.splitlines()[:3] == [
        "phon_demoNightLine0000000000000000000000001 in numbers/night/desk.yaml:3",
        "  field                   set at                     by                   value  Close has",
        "  inbound_ring_duration   numbers/numbersync.yaml:3  the root's defaults  30     30",
    ]


def test_explain_a_number_not_in_the_config_is_a_clear_error(
    emulator: Emulator, in_tree: Path
) -> None:
    for args in ([], ["--live"]):
        result = cli(emulator, "explain", "+16503334448", "-c", "numbers", *args)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.startswith("Error: +16503334448 is not a number in numbers\n")
        assert "Traceback" not in result.output


def test_explain_live_a_number_close_does_not_have(emulator: Emulator, in_tree: Path) -> None:
    Path("numbers/gone.yaml").write_text('version: 1\nnumbers:\n  "+16509999999": {label: x}\n')

    result = cli(emulator, "explain", "+16509999999", "-c", "numbers", "--live")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "numbers/gone.yaml:3:3: $.numbers[\"+16509999999\"]: number '+16509999999' is not in "
        "the Close account\n"
        "Error: 1 error found\n"
    )


def test_explain_a_single_file_says_the_files_defaults(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(
        "version: 1\ndefaults:\n  inbound_ring_duration: 45\nnumbers:\n  '+16503334444': {}\n"
    )

    result = cli(emulator, "explain", "+16503334444", "-c", str(path))

    assert result.stdout == (
        f"+1 650-333-4444 in {path}:5\n"
        f"  field                  {'set at':<{len(str(path)) + 2}}  by                   value\n"
        f"  inbound_ring_duration  {path}:3  its file's defaults  45\n"
        "Not managed (never compared or sent): label, forward_to, forward_to_enabled, "
        "participants, participant_groups, phone_numbers, press_1_to_accept, "
        "voicemail_greeting_url\n"
    )


def test_explain_a_group_names_the_file_and_line_of_its_members(
    emulator: Emulator, in_tree: Path
) -> None:
    support = cli(emulator, "explain", "Support", "-c", "numbers")
    night = cli(emulator, "explain", "group_nightShift000000000000", "-c", "numbers")

    assert support.exit_code == 0, support.output
    assert support.stdout == (
        "group Support in numbers/teams.yaml:3\n"
        "  field    set at                value\n"
        '  members  numbers/teams.yaml:5  ["erin@acme.example", "carol@acme.example"]\n'
        "Managed as a set: apply adds the members Close lacks and removes the others.\n"
    )
    assert night.exit_code == 0, night.output
    assert night.stdout.splitlines()[:3] == [
        "group group_nightShift000000000000 in numbers/teams.yaml:7",
        "  field    set at                value",
        '  members  numbers/teams.yaml:7  ["dave@acme.example"]',
    ]
    assert emulator.requests == []  # offline


def test_explain_live_a_group_shows_the_members_close_has(
    emulator: Emulator, in_tree: Path
) -> None:
    result = cli(emulator, "explain", "Support", "-c", "numbers", "--live")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:3] == [
        "  field    set at                value" + " " * 38 + "  Close has",
        '  members  numbers/teams.yaml:5  ["erin@acme.example", "carol@acme.example"]  '
        '["user_bob00000000000000000000000000000000000000", '
        '"user_erin0000000000000000000000000000000000000"]',
    ]
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("GET", "/group/"),
        ("GET", "/group/group_support000000000000000/"),
    ]


def test_explain_live_a_group_close_does_not_have(emulator: Emulator, in_tree: Path) -> None:
    Path("numbers/teams.yaml").write_text("version: 1\ngroups:\n  Suport: {members: []}\n")

    result = cli(emulator, "explain", "Suport", "-c", "numbers", "--live")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "numbers/teams.yaml:3:3: $.groups.Suport: group 'Suport' is not in the Close account "
        "(did you mean 'Support'?)\n"
        "Error: 1 error found\n"
    )


def test_explain_what_is_neither_a_number_nor_a_group_suggests_a_group(
    emulator: Emulator, in_tree: Path
) -> None:
    result = cli(emulator, "explain", "support", "-c", "numbers")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "Error: support is not a number or a group in numbers\n"
        "Hint: name a number the config manages, in any form, or its phon_ id, or a group by its "
        'key under groups: (did you mean "Support"?); add --live to find a number the config '
        "names by its id\n"
    )


def test_explain_a_group_escapes_what_the_file_wrote(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(
        'version: 1\ngroups:\n  "Red\\e[31m":\n    members: ["a\\u202eb@acme.example"]\n'
    )

    result = cli(emulator, "explain", "Red\x1b[31m", "-c", str(path))

    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert result.stdout.startswith("group Red\\x1b[31m in ")
