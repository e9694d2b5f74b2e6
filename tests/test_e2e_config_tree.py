"""A directory of files end to end: the real CLI against the emulator over real sockets.

What each team's file asks for, layered over the root's defaults, is exactly what Close receives;
errors in several files (a number named twice among them) are reported together and nothing is
sent; an export split by group plans clean; the plans name each change's file (golden files).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import cli

from numbersync import fetch
from numbersync.emulator import Emulator

GOLDEN = Path(__file__).parent / "data" / "golden"
ALICE = "user_alice000000000000000000000000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
SUPPORT = "group_support000000000000000"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
SUPPORT_LINE = "phon_demoSupportLine00000000000000000000001"
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"

# The root, the sales team's file and the support desk's file, one level down.
TREE = {
    "numbersync.yaml": (
        "version: 1\n"
        "defaults:\n"
        "  inbound_ring_duration: 30\n"
        "  press_1_to_accept: false\n"
        "safety:\n"
        "  max_change_percent: 80\n"
        "  min_managed: 2\n"
    ),
    "sales.yaml": (
        "version: 1\n"
        "defaults:\n"
        "  inbound_ring_duration: 45\n"
        "  participant_groups: [Sales EMEA]\n"
        "numbers:\n"
        '  "+1 650-333-4444":\n'
        "    label: Sales line\n"
        "    participants: [alice@acme.example, bob@acme.example]\n"
        '  "+44 20 7946 0958":\n'
        "    participants: [carol@acme.example]\n"
        "    inbound_ring_duration: 60\n"
    ),
    "support/desk.yaml": (
        "version: 1\n"
        "numbers:\n"
        '  "+16503334445":\n'
        "    participant_groups: [Support]\n"
        f"  {NIGHT_LINE}:\n"
        '    phone_numbers: ["+14155550123", "+14155550124"]\n'
        "    press_1_to_accept: true\n"
    ),
}
# What the layering implies. Sales line: its label and participants, and its file's ring
# duration of 45 (its file's Sales EMEA group is what Close has). Support line: its group, and
# the root's press_1_to_accept (Close has true). Night line: its own press_1_to_accept. London:
# its own 60 s, its file's group, the root's press_1_to_accept: all as Close has them.
TREE_PUTS = {
    SALES_LINE: {"label": "Sales line", "inbound_ring_duration": 45, "participants": [ALICE, BOB]},
    SUPPORT_LINE: {"participant_groups": [SUPPORT], "press_1_to_accept": False},
    NIGHT_LINE: {"press_1_to_accept": True},
}


def write_tree(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / "numbers" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def puts(emu: Emulator) -> dict[str, Any]:
    sent = [r for r in emu.requests if r.method == "PUT"]
    by_id = {r.path.split("/")[2]: r.body for r in sent}
    assert len(by_id) == len(sent), f"a number was written twice: {[r.path for r in sent]}"
    return by_id


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in a scratch directory, so that the CLI names files as `numbers/...`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_apply_sends_exactly_what_the_layers_imply(emulator: Emulator, in_tmp: Path) -> None:
    write_tree(in_tmp, TREE)

    validated = cli(emulator, "validate", "-c", "numbers")
    applied = cli(emulator, "apply", "-c", "numbers", "--auto-approve")

    assert validated.stdout == "OK: 4 numbers in 3 files\n"
    assert applied.exit_code == 0, applied.output
    assert puts(emulator) == TREE_PUTS
    assert applied.stdout.endswith(
        "\n"
        "  applied   +1 650-333-4444    label, inbound_ring_duration, participants\n"
        "  applied   +1 650-333-4445    participant_groups, press_1_to_accept\n"
        "  applied   +1 650-333-4447    press_1_to_accept\n"
        "Apply complete: 3 applied, 0 failed, 0 unknown, 0 not sent.\n"
    )

    emulator.reset_log()
    again = cli(emulator, "plan", "-c", "numbers", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert again.stdout == "No changes. 4 managed numbers match the files; 7 unmanaged.\n"
    assert puts(emulator) == {}


def test_the_roots_safety_rails_hold_for_the_whole_tree(emulator: Emulator, in_tmp: Path) -> None:
    write_tree(in_tmp, {**TREE, "numbersync.yaml": TREE["numbersync.yaml"].replace("80", "50")})

    refused = cli(emulator, "apply", "-c", "numbers", "--auto-approve")

    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        "Error: refusing to apply: it changes 3 of 4 managed numbers (75%, more than 50%)\n"
    )
    assert puts(emulator) == {}


def test_errors_in_several_files_are_reported_together_and_nothing_is_sent(
    emulator: Emulator, in_tmp: Path
) -> None:
    write_tree(
        in_tmp,
        {
            **TREE,
            "sales.yaml": TREE["sales.yaml"].replace("duration: 60", "duration: 5"),
            "support/desk.yaml": TREE["support/desk.yaml"]
            + "    forwad_to: '+16505550100'\n"
            + '  "+16503334444": {label: Mine now}\n',
            "support/us.yaml": "version: 1\nsafety: {min_managed: 1}\nnumbers:\n"
            "  phon_demoNightLine0000000000000000000000001: {}\n",
        },
    )
    expected = (
        'numbers/sales.yaml:11:28: $.numbers["+44 20 7946 0958"].inbound_ring_duration: must be '
        "between 15 and 90, got 5\n"
        "numbers/support/desk.yaml:8:5: $.numbers.phon_demoNightLine0000000000000000000000001."
        "forwad_to: unknown key 'forwad_to' (did you mean 'forward_to'?)\n"
        'numbers/support/desk.yaml:9:3: $.numbers["+16503334444"]: "+16503334444" is also in '
        'numbers/sales.yaml:6 (as "+1 650-333-4444"); a number belongs to exactly one file\n'
        "numbers/support/us.yaml:2:1: $.safety: safety is allowed only in the directory's root "
        "numbersync.yaml, where it covers every file\n"
        "numbers/support/us.yaml:4:3: $.numbers.phon_demoNightLine0000000000000000000000001: "
        '"phon_demoNightLine0000000000000000000000001" is also in numbers/support/desk.yaml:5; '
        "a number belongs to exactly one file\n"
        "Error: 5 errors found\n"
    )

    for command in (
        ["validate"],
        ["plan", "--format", "markdown"],
        ["apply", "--auto-approve"],
        ["explain", "+16503334444"],
    ):
        result = cli(emulator, *command, "-c", "numbers")
        assert result.exit_code == 1, command
        assert (result.stdout, result.stderr) == ("", expected), command
    assert emulator.requests == []


def test_close_field_errors_point_at_the_file_and_line_that_set_the_value(
    emulator: Emulator, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan checks ids against /user/; told not to read it, it lets Close judge them (as
    # Close would a user removed between plan and apply).
    monkeypatch.setattr(fetch, "needs_directory", lambda state: (False, False))
    write_tree(
        in_tmp,
        {
            "numbersync.yaml": "version: 1\ndefaults:\n  participants: [user_ghost]\n",
            "alice.yaml": '# Alice\'s line\nversion: 1\nnumbers:\n  "+16503334446": {}\n',
        },
    )

    applied = cli(emulator, "apply", "-c", "numbers", "--auto-approve")

    assert applied.exit_code == 1
    assert puts(emulator) == {ALICE_DIRECT: {"participants": ["user_ghost"]}}
    assert (
        "      numbers/numbersync.yaml:3:17: $.defaults.participants: "
        "Not a user of this organization: user_ghost.\n"
    ) in applied.stdout


def test_a_saved_plan_applies_one_files_changes_with_target(
    emulator: Emulator, in_tmp: Path
) -> None:
    write_tree(in_tmp, TREE)

    planned = cli(emulator, "plan", "-c", "numbers", "--out", "plan.json")
    applied = cli(emulator, "apply", "plan.json", "--target", "numbers/support/desk.yaml")

    assert planned.exit_code == 0, planned.output
    document = json.loads(Path("plan.json").read_text())
    assert {(c["number"], c["file"]) for c in document["changes"]} == {
        ("+16503334444", "numbers/sales.yaml"),
        ("+16503334445", "numbers/support/desk.yaml"),
        ("+16503334447", "numbers/support/desk.yaml"),
    }
    assert applied.exit_code == 0, applied.output
    assert puts(emulator) == {k: v for k, v in TREE_PUTS.items() if k != SALES_LINE}

    emulator.reset_log()
    rest = cli(
        emulator, "apply", "-c", "numbers", "--auto-approve", "--target", "numbers/sales.yaml"
    )
    assert rest.exit_code == 0, rest.output
    assert puts(emulator) == {SALES_LINE: TREE_PUTS[SALES_LINE]}


# --- golden plans of a tree ---------------------------------------------------------------------

GOLDEN_TREE = {
    **TREE,
    "reception.yaml": 'version: 1\nnumbers:\n  "+442079460959":\n    label: London reception\n',
}


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [("text", "tree.txt"), ("markdown", "tree.md"), ("json", "tree.json")],
)
def test_golden_plans_of_a_tree(emulator: Emulator, in_tmp: Path, fmt: str, golden: str) -> None:
    write_tree(in_tmp, GOLDEN_TREE)

    result = cli(
        emulator, "plan", "-c", "numbers", "--format", fmt, "--detailed-exitcode", "--out", "p.json"
    )
    shown = cli(emulator, "show", "p.json", "--format", fmt)

    assert result.exit_code == 2, result.output
    path = GOLDEN / golden
    if os.environ.get("NUMBERSYNC_UPDATE_GOLDEN"):
        path.write_text(result.stdout)
    assert result.stdout == path.read_text()
    # A saved plan renders the same, file by file, offline.
    assert shown.stdout == result.stdout


# --- export into a directory --------------------------------------------------------------------


def test_an_export_split_by_group_validates_and_plans_clean(
    emulator: Emulator, in_tmp: Path
) -> None:
    exported = cli(emulator, "export", "-o", "numbers", "--split-by", "group")

    assert exported.exit_code == 0, exported.output
    assert exported.stderr == (
        "Wrote 11 numbers to 4 files in numbers\n"
        "Wrote the schema to numbers/numbersync.schema.json, for editors (the modeline points at "
        "it)\n"
    )
    assert sorted(os.listdir("numbers")) == [
        "numbersync.schema.json",
        "numbersync.yaml",
        "sales-emea.yaml",
        "support.yaml",
        "unassigned.yaml",
    ]
    root = Path("numbers/numbersync.yaml").read_text().split("\n", 4)[4]
    assert root == (
        "version: 1\n"
        "defaults:\n"
        "  forward_to_enabled: false\n"
        "  inbound_ring_duration: 30\n"
        "  participant_groups: []\n"
        "  phone_numbers: []\n"
        "  press_1_to_accept: false\n"
        "  voicemail_greeting_url: null\n"
    )
    support = Path("numbers/support.yaml").read_text().split("\n", 2)[2]
    assert support == (
        '# The numbers that ring "Support" first. Delete the ones you do not want to manage.\n'
        "version: 1\n"
        "numbers:\n"
        '  "+18005550142":\n'
        '    label: "Toll-free hotline"\n'
        "    inbound_ring_duration: 20\n"
        "    participants: []\n"
        '    participant_groups: ["Support"]\n'
        "# Group members, managed as a set: delete the groups you do not want to manage.\n"
        "groups:\n"
        '  "Support":\n'
        '    members: ["bob@acme.example", "erin@acme.example"]\n'
    )

    validated = cli(emulator, "validate", "-c", "numbers")
    emulator.reset_log()
    planned = cli(emulator, "plan", "-c", "numbers", "--detailed-exitcode")

    assert validated.stdout == "OK: 11 numbers, 2 groups in 4 files\n"
    assert planned.exit_code == 0, planned.output
    assert planned.stdout == "No changes. 11 managed numbers match the files; 0 unmanaged.\n"
    assert all(r.method == "GET" for r in emulator.requests)


def test_an_export_split_by_group_refuses_a_directory_with_files_in_it(
    emulator: Emulator, in_tmp: Path
) -> None:
    write_tree(in_tmp, {"old.yaml": "version: 1\nnumbers: {}\n"})

    refused = cli(emulator, "export", "-o", "numbers", "--split-by", "group")
    no_output = cli(emulator, "export", "--split-by", "group")

    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: numbers is not empty\n"
        "Hint: export into a new or empty directory: a file left there from before would name "
        "its numbers a second time\n"
    )
    assert os.listdir("numbers") == ["old.yaml"]
    assert no_output.exit_code == 1
    assert no_output.stderr.endswith("Error: --split-by writes a directory: give it with -o DIR\n")


# --- the README's "Many teams" section shows what the CLI prints --------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_many_teams_examples_print_what_the_readme_shows(
    emulator: Emulator, in_tmp: Path
) -> None:
    section = README.read_text(encoding="utf-8").split("\n## Many teams\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"^```(\w*)\n(.*?)^```$", section, re.M | re.S)
    files = {}
    for lang, body in blocks:
        named = re.match(r"# numbers/(\S+\.yaml):", body)
        if lang == "yaml" and named:
            files[named[1]] = body
    assert sorted(files) == ["numbersync.yaml", "sales.yaml", "support/emea.yaml"]
    write_tree(in_tmp, files)
    texts = [body for lang, body in blocks if lang == "text"]
    plan_shown = next(t for t in texts if t.startswith("# numbers/sales.yaml"))
    explain_shown = next(t for t in texts if t.startswith("+1 650-333-4444 in"))

    validated = cli(emulator, "validate", "-c", "numbers")
    planned = cli(emulator, "plan", "-c", "numbers")
    explained = cli(emulator, "explain", "+16503334444", "-c", "numbers", "--live")

    assert validated.stdout == "OK: 3 numbers in 3 files\n"
    assert planned.stdout == plan_shown
    assert explained.stdout == explain_shown
