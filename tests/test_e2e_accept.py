"""Accepted drift end to end: `numbersync accept` against the emulator edits the commented
example files line by line, and plan, show, apply and validate treat the acceptance as the
contract says, on days the tests choose (numbersync.accepted.today is replaced)."""

from __future__ import annotations

import difflib
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from helpers import cli

from numbersync import accepted
from numbersync.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = date(2026, 12, 2)
ALICE_DIRECT = "phon_demoAliceDirect00000000000000000000001"
NIGHT_LINE = "phon_demoNightLine0000000000000000000000001"
SALES_LINE = "phon_demoSalesLine0000000000000000000000001"
REASON = "Alice is on leave: calls go to her mobile"
# A file that manages only Alice's direct line, whose forwarding Close has switched to her mobile
# while she is away (the test sets Close so); both differences are accepted until 2027-01-15.
ALICE_FILE = """\
version: 1
numbers:
  "+16503334446":
    label: Alice direct
    forward_to: "+1 650 555 0100"
    forward_to_enabled: true
    accepted:
      forward_to:
        value: "+1 650 555 0177"
        reason: Alice is on leave
        until: 2027-01-15
      forward_to_enabled:
        value: false
        reason: Alice is on leave
        until: 2027-01-15
"""
ACCEPTED_TEXT = """\
Accepted drift (not applied, not counted as changes):
  = +1 650-333-4446 "Alice direct"
      forward_to: Close has "+16505550177", the file wants "+16505550100"
      accepted until 2027-01-15: Alice is on leave
      forward_to_enabled: Close has false, the file wants true
      accepted until 2027-01-15: Alice is on leave

No changes. 1 managed number matches the file; 10 unmanaged; 2 accepted differences not applied.
"""


@pytest.fixture(autouse=True)
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accepted, "today", lambda: TODAY)


def on_leave(emu: Emulator) -> None:
    emu.state.set_number_fields(ALICE_DIRECT, {"forward_to": "+16505550177"})


def requests(emu: Emulator) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.path, r.query) for r in emu.requests]


def inserted(before: str, after: str) -> list[tuple[int, list[str]]]:
    """The blocks of lines `after` adds to `before` (0-based start); fails on any other change."""
    old, new = before.splitlines(), after.splitlines()
    blocks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        assert op in ("equal", "insert"), (op, old[i1:i2], new[j1:j2])
        if op == "insert":
            blocks.append((j1, new[j1:j2]))
    return blocks


# --- accept --------------------------------------------------------------------------------------


def test_accept_writes_closes_value_into_the_example_and_changes_no_other_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    on_leave(emulator)
    path = tmp_path / "numbers.yaml"
    shutil.copy(EXAMPLES / "numbers.yaml", path)
    before = path.read_text()

    result = cli(
        emulator, "accept", "+1 650 333 4446", "forward_to", "--until", "2027-01-15",
        "--reason", REASON, "-c", str(path),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f'Accepted forward_to of +1 650-333-4446 = "+16505550177" until 2027-01-15, in {path}:34.\n'
    )
    # One request: the number, by its number, with the field.
    assert requests(emulator) == [
        (
            "GET",
            "/phone_number/",
            {
                "_fields": "id,number,number_formatted,date_updated,organization_id,type,user_id,forward_to",
                "number": "+16503334446",
                "_limit": "100",
                "_skip": "0",
            },
        )
    ]
    assert inserted(before, path.read_text()) == [
        (
            33,
            [
                "    accepted:",
                "      forward_to:",
                '        value: "+16505550177"',
                f'        reason: "{REASON}"',
                "        until: 2027-01-15",
            ],
        )
    ]

    # A second field joins the first, by the number's id where the file names it so.
    again = cli(
        emulator, "accept", "+1 650 333 4446", "forward_to_enabled", "--until", "2027-01-10",
        "--reason", "on leave", "-c", str(path),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    night = cli(
        emulator, "accept", NIGHT_LINE, "label", "--until", "2026-12-31", "--reason", "renamed",
        "-c", str(path),
    )  # fmt: skip
    assert night.exit_code == 1
    assert "Close has what" in night.output  # the Night line's label is the file's
    emulator.state.set_number_fields(NIGHT_LINE, {"label": "Night desk"})
    night = cli(
        emulator, "accept", NIGHT_LINE, "label", "--until", "2026-12-31", "--reason", "renamed",
        "-c", str(path),
    )  # fmt: skip
    assert night.exit_code == 0, night.output
    assert requests(emulator)[-1] == ("GET", f"/phone_number/{NIGHT_LINE}/", {})
    assert inserted(before, path.read_text()) == [
        (
            33,
            [
                "    accepted:",
                "      forward_to:",
                '        value: "+16505550177"',
                f'        reason: "{REASON}"',
                "        until: 2027-01-15",
                "      forward_to_enabled:",
                "        value: false",
                "        reason: on leave",
                "        until: 2027-01-10",
            ],
        ),
        (
            56,
            [
                "    accepted:",
                "      label:",
                "        value: Night desk",
                "        reason: renamed",
                "        until: 2026-12-31",
            ],
        ),
    ]

    # The plan shows both of Alice's as accepted, and applies neither.
    planned = cli(emulator, "plan", "-c", str(path))
    assert planned.exit_code == 0, planned.output
    assert "  ~ +1 650-333-4446" not in planned.stdout
    assert (
        '      forward_to: Close has "+16505550177", the file wants "+16505550100"\n'
        f"      accepted until 2027-01-15: {REASON}\n"
        "      forward_to_enabled: Close has false, the file wants true\n"
        "      accepted until 2027-01-10: on leave\n"
    ) in planned.stdout
    assert planned.stdout.endswith(
        "Plan: 2 to change, 3 unchanged, 6 unmanaged; 3 accepted differences not applied.\n"
    )


def test_accept_finds_the_team_file_of_a_directory(emulator: Emulator, tmp_path: Path) -> None:
    on_leave(emulator)
    tree = tmp_path / "numbers"
    (tree / "sales").mkdir(parents=True)
    (tree / "numbersync.yaml").write_text("version: 1\naccepted_drift:\n  max_days: 120\n")
    team = "version: 1\nnumbers:\n  # Alice's line\n  '+16503334446':\n    forward_to: '+16505550100'\n"
    (tree / "sales" / "alice.yaml").write_text(team)
    (tree / "sales" / "other.yaml").write_text(
        "version: 1\nnumbers:\n  '+16503334444':\n    label: Sales\n"
    )

    result = cli(
        emulator, "accept", "+16503334446", "forward_to", "--until", "2027-03-31",
        "--reason", "on leave", "-c", str(tree),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert inserted(team, (tree / "sales" / "alice.yaml").read_text()) == [
        (
            5,
            [
                "    accepted:",
                "      forward_to:",
                "        value: '+16505550177'",
                "        reason: on leave",
                "        until: 2027-03-31",
            ],
        )
    ]
    assert (tree / "sales" / "other.yaml").read_text().endswith("label: Sales\n")
    planned = cli(emulator, "plan", "-c", str(tree), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert (
        "Accepted drift (not applied, not counted as changes):\n"
        f'  = +1 650-333-4446 "Alice direct"  (in {tree / "sales" / "alice.yaml"})\n'
        '      forward_to: Close has "+16505550177", the file wants "+16505550100"\n'
        "      accepted until 2027-03-31: on leave\n\n"
        "No changes. 2 managed numbers match the files; 9 unmanaged; 1 accepted difference not "
        "applied.\n"
    ) in planned.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["+16503334449", "label"], "Error: +16503334449 is not a number in {path}"),
        (
            ["+16503334446", "labl"],
            "Error: labl is not a field numbersync manages (one of: label, forward_to, forward_to_enabled, inbound_ring_duration, participants, participant_groups, phone_numbers, press_1_to_accept, voicemail_greeting_url)",
        ),
        (
            ["+16503334446", "participants"],
            "Error: participants is not managed for +16503334446 (neither the number nor its defaults set it): there is no difference to accept",
        ),
        (
            ["+16503334446", "forward_to", "--until", "2026-12-01"],
            "Error: --until 2026-12-01 is past (today is 2026-12-02)",
        ),
        (
            ["+16503334446", "forward_to", "--until", "2027-03-03"],
            "Error: --until 2027-03-03 is 91 days ahead, more than the 90 an acceptance may run (accepted_drift.max_days)",
        ),
        (
            ["+16503334446", "forward_to", "--reason", "  "],
            "Error: --reason must say why the difference is accepted",
        ),
        (
            ["+16503334446", "forward_to", "--until", "2027-02-30"],
            "Error: Invalid value for '--until': '2027-02-30' is not a day such as 2027-01-15",
        ),
        (
            ["+16503334446", "label"],
            "Error: Close has what {path} wants for label of +16503334446: nothing to accept",
        ),
    ],
    ids=[
        "unmanaged number",
        "no such field",
        "unmanaged field",
        "past",
        "too far",
        "no reason",
        "no such day",
        "nothing to accept",
    ],
)
def test_accept_refuses_clearly_and_writes_nothing(
    emulator: Emulator, tmp_path: Path, args: list[str], message: str
) -> None:
    on_leave(emulator)
    path = tmp_path / "numbers.yaml"
    text = 'version: 1\nnumbers:\n  "+16503334446":\n    label: Alice direct\n    forward_to: "+16505550100"\n'
    path.write_text(text)
    given = {"--until": "2027-01-15", "--reason": "why"}
    for flag in ("--until", "--reason"):
        if flag in args:
            given[flag] = args[args.index(flag) + 1]
    positional = [a for a in args if a not in given and a not in given.values()]
    flags = [part for pair in given.items() for part in pair]

    result = cli(emulator, "accept", *positional, *flags, "-c", str(path))

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert message.format(path=path) in result.output.splitlines()
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["numbers.yaml"]
    # Only the refusal that needs Close's value asks Close.
    assert len(emulator.requests) == (1 if message.startswith("Error: Close has") else 0)


# --- plan, show, apply ---------------------------------------------------------------------------


def test_accepted_differences_are_shown_and_not_counted_until_their_day(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_leave(emulator)
    path = tmp_path / "numbers.yaml"
    path.write_text(ALICE_FILE)

    planned = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert planned.stdout == ACCEPTED_TEXT

    markdown = cli(emulator, "plan", "-c", str(path), "--format", "markdown")
    assert (
        "| Number | Field | Close has | The file wants | Until | Reason |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        '| +1 650-333-4446 | `forward_to` | "+16505550177" | "+16505550100" | 2027-01-15 | Alice is on leave |\n'
        "| +1 650-333-4446 | `forward_to_enabled` | false | true | 2027-01-15 | Alice is on leave |\n"
    ) in markdown.stdout

    document = json.loads(cli(emulator, "plan", "-c", str(path), "--format", "json").stdout)
    assert document["changes"] == []
    assert document["accepted"][0] == {
        "id": ALICE_DIRECT,
        "number": "+16503334446",
        "key": "+16503334446",
        "file": str(path),
        "label": "Alice direct",
        "field": "forward_to",
        "before": "+16505550177",
        "after": "+16505550100",
        "value": "+16505550177",
        "reason": "Alice is on leave",
        "until": "2027-01-15",
        "holds": True,
        "why": None,
    }

    # apply sends nothing: an accepted difference is no change.
    before = len(emulator.requests)
    applied = cli(emulator, "apply", "-c", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [r.method for r in emulator.requests[before:] if r.method != "GET"] == []

    # Its last day still holds; the day after, both are drift again, and say why.
    monkeypatch.setattr(accepted, "today", lambda: date(2027, 1, 15))
    assert cli(emulator, "plan", "-c", str(path), "--detailed-exitcode").exit_code == 0
    monkeypatch.setattr(accepted, "today", lambda: date(2027, 1, 16))
    expired = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode")
    assert expired.exit_code == 2, expired.output
    assert (
        "Acceptances that no longer hold:\n"
        "  ! +1 650-333-4446 forward_to (accepted until 2027-01-15: Alice is on leave): no longer "
        "holds: the acceptance expired on 2027-01-15 (today is 2027-01-16)\n"
        "  ! +1 650-333-4446 forward_to_enabled (accepted until 2027-01-15: Alice is on leave): "
        "no longer holds: the acceptance expired on 2027-01-15 (today is 2027-01-16)\n"
    ) in expired.stdout
    assert expired.stdout.endswith("Plan: 1 to change, 0 unchanged, 10 unmanaged.\n")


def test_close_moving_away_from_the_accepted_value_is_drift_again(
    emulator: Emulator, tmp_path: Path
) -> None:
    on_leave(emulator)
    path = tmp_path / "numbers.yaml"
    path.write_text(ALICE_FILE)
    emulator.state.set_number_fields(ALICE_DIRECT, {"forward_to": "+16505550188"})
    plan_file = tmp_path / "plan.json"

    planned = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode", "--out", str(plan_file))

    assert planned.exit_code == 2, planned.output
    lines = planned.stdout.splitlines()
    assert '      forward_to: "+16505550188" -> "+16505550100"' in lines
    assert (
        "  ! +1 650-333-4446 forward_to (accepted until 2027-01-15: Alice is on leave): no longer "
        'holds: Close now has "+16505550188", not the accepted "+16505550177"'
    ) in lines
    assert "      forward_to_enabled: Close has false, the file wants true" in lines
    assert (
        lines[-1]
        == "Plan: 1 to change, 0 unchanged, 10 unmanaged; 1 accepted difference not applied."
    )

    # show renders the saved plan's sections again, offline.
    shown = cli(emulator, "show", str(plan_file))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == planned.stdout

    # apply of the saved plan writes the drifted field, never the accepted one.
    before = len(emulator.requests)
    applied = cli(emulator, "apply", str(plan_file), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    puts = [r for r in emulator.requests[before:] if r.method == "PUT"]
    assert [(r.path, r.body) for r in puts] == [
        (f"/phone_number/{ALICE_DIRECT}/", {"forward_to": "+16505550100"})
    ]
    assert emulator.state.number(ALICE_DIRECT)["forward_to_enabled"] is False


# --- validate and export -------------------------------------------------------------------------


def test_validate_warns_a_week_ahead_and_refuses_past_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(ALICE_FILE.replace("2027-01-15", "2026-12-05", 1))
    warned = cli(emulator, "validate", "-c", str(path))
    assert warned.exit_code == 0, warned.output
    assert warned.stderr == (
        f'{path}:11:16: $.numbers["+16503334446"].accepted.forward_to.until: warning: the '
        "acceptance of forward_to ends in 3 days (2026-12-05); then the difference is drift again\n"
    )
    assert warned.stdout == "OK: 1 number\n"

    monkeypatch.setattr(accepted, "today", lambda: date(2026, 12, 6))
    refused = cli(emulator, "validate", "-c", str(path))
    assert refused.exit_code == 1
    assert refused.stderr == (
        f'{path}:11:16: $.numbers["+16503334446"].accepted.forward_to.until: the acceptance '
        "expired on 2026-12-05 (today is 2026-12-06)\n"
        "Error: 1 error found\n"
        "Hint: accept again with a new date, or remove the acceptance\n"
    )
    assert emulator.requests == []


def test_export_never_writes_acceptances(emulator: Emulator, tmp_path: Path) -> None:
    on_leave(emulator)
    out = tmp_path / "exported.yaml"
    result = cli(emulator, "export", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "accepted" not in out.read_text()
    assert '"+16505550177"' in out.read_text()  # Close's value, as any other
