"""Accepted drift of a managed group's membership: the `accepted: {members: ...}` entry read at
its positions, validate's dates, the plan holding the group's change back while Close keeps the
accepted members (and saying why once it does not), saved plans, and the same end to end
against the emulator on days the tests choose."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from helpers import assert_schema_checks_agree, cli

from numbersync import accepted, config, render
from numbersync.account import Group, User
from numbersync.emulator import Emulator
from numbersync.errors import InputError
from numbersync.live import Directory
from numbersync.models import DesiredState
from numbersync.plan import build_plan
from numbersync.savedplan.read import read_plan

TODAY = date(2026, 12, 2)
USERS = (
    User("user_alice", "alice@acme.example", organizations=frozenset({"orga_acme"})),
    User("user_bob", "bob@acme.example", organizations=frozenset({"orga_acme"})),
    User("user_carol", "carol@acme.example", organizations=frozenset({"orga_acme"})),
)
SUPPORT = (Group("group_support", "Support", "orga_acme"),)
# Bob covers the night desk for a while: Close has him in Support, the file does not.
TEXT = """\
version: 1
groups:
  Support:
    members: [alice@acme.example]
    accepted:
      members:
        value: [user_bob, user_alice]
        reason: Bob covers the night desk
        until: 2027-01-15
"""
HELD = """\
Accepted drift (not applied, not counted as changes):
  = group Support
      members: Close has [user_alice (alice@acme.example), user_bob (bob@acme.example)], the file wants [user_alice (alice@acme.example)]
      accepted until 2027-01-15: Bob covers the night desk

No changes. 0 managed numbers match the file; 0 unmanaged; 1 accepted difference not applied.
"""


def load(tmp_path: Path, text: str = TEXT) -> DesiredState:
    path = tmp_path / "numbers.yaml"
    path.write_text(text)
    assert_schema_checks_agree(str(path))
    return config.load(str(path))


def close_has(*members: str) -> Directory:
    return Directory(USERS, SUPPORT, {"group_support": members})


def row(tmp_path: Path, before: list[str], holds: bool, why: str | None) -> dict[str, object]:
    return {
        "id": "group_support",
        "group": "Support",
        "key": "Support",
        "file": str(tmp_path / "numbers.yaml"),
        "field": "members",
        "before": before,
        "after": ["user_alice"],
        "value": ["user_bob", "user_alice"],
        "reason": "Bob covers the night desk",
        "until": "2027-01-15",
        "holds": holds,
        "why": why,
    }


def test_a_group_acceptance_is_read_at_its_position(tmp_path: Path) -> None:
    (support,) = load(tmp_path).groups
    (acceptance,) = support.accepted
    assert (acceptance.field, acceptance.value, acceptance.reason, acceptance.until) == (
        "members",
        ("user_bob", "user_alice"),
        "Bob covers the night desk",
        date(2027, 1, 15),
    )
    assert (acceptance.position.line, acceptance.position.col) == (6, 7)
    assert acceptance.path == ("groups", "Support", "accepted", "members")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "      members: {value: [bob@acme.example], reason: ' ', until: 2027-1-5}\n",
            [
                'numbers.yaml:6:24: $.groups.Support.accepted.members.value: must list user ids (user_...), as Close has them, got "bob@acme.example"',
                "numbers.yaml:6:52: $.groups.Support.accepted.members.reason: must say why the difference is accepted",
                'numbers.yaml:6:64: $.groups.Support.accepted.members.until: must be a date, YYYY-MM-DD, got "2027-1-5"',
            ],
        ),
        (
            "      members: {value: [user_bob], reason: x}\n",
            ["numbers.yaml:6:16: $.groups.Support.accepted.members: missing required key 'until'"],
        ),
        (
            "      label: {value: x, reason: x, until: 2027-01-05}\n",
            ["numbers.yaml:6:7: $.groups.Support.accepted.label: unknown key 'label'"],
        ),
    ],
    ids=["wrong value, blank reason, no date", "missing until", "not a group's field"],
)
def test_errors_of_a_group_acceptance_are_at_their_positions(
    tmp_path: Path, entry: str, expected: list[str]
) -> None:
    text = "version: 1\ngroups:\n  Support:\n    members: []\n    accepted:\n" + entry
    with pytest.raises(InputError) as caught:
        load(tmp_path, text)
    found = [str(d).replace(str(tmp_path) + "/", "") for d in caught.value.diagnostics]
    assert found == expected


@pytest.mark.parametrize(
    ("day", "refused", "warned"),
    [
        (
            date(2027, 1, 8),
            [],
            [
                "warning: the acceptance of members ends in 7 days (2027-01-15); then the difference is drift again"
            ],
        ),
        (date(2027, 1, 7), [], []),
        (date(2027, 1, 16), ["the acceptance expired on 2027-01-15 (today is 2027-01-16)"], []),
        (
            date(2026, 10, 16),
            [
                "until 2027-01-15 is 91 days ahead, more than the 90 an acceptance may run (accepted_drift.max_days)"
            ],
            [],
        ),
    ],
)
def test_validate_checks_a_group_acceptances_day_at_its_position(
    tmp_path: Path, day: date, refused: list[str], warned: list[str]
) -> None:
    errors, warnings = accepted.date_findings(load(tmp_path), day)
    where = "numbers.yaml:9:16: $.groups.Support.accepted.members.until: "
    shown = [str(d).replace(str(tmp_path) + "/", "") for d in errors]
    assert shown == [where + m for m in refused]
    assert [str(d).replace(str(tmp_path) + "/", "") for d in warnings] == [
        where + m for m in warned
    ]


def test_a_held_group_acceptance_is_no_change_and_is_listed_as_accepted(tmp_path: Path) -> None:
    plan = build_plan(load(tmp_path), [], close_has("user_alice", "user_bob"), today=TODAY)
    assert plan.groups == ()
    assert not plan.has_changes
    assert render.render_text(plan) == HELD
    document = json.loads(render.render_json(plan))
    assert document["accepted"] == [row(tmp_path, ["user_alice", "user_bob"], True, None)]
    assert document["group_changes"] == []
    markdown = render.render_markdown(plan)
    assert "| group Support | members | " in markdown
    assert "| 2027-01-15 | Bob covers the night desk |\n" in markdown


@pytest.mark.parametrize(
    ("members", "day", "why", "lines"),
    [
        (
            ("user_alice", "user_bob"),
            date(2027, 1, 16),
            "the acceptance expired on 2027-01-15 (today is 2027-01-16)",
            [
                "      - bob@acme.example (no managed number stops ringing them through this group alone)"
            ],
        ),
        (
            ("user_carol",),
            TODAY,
            'Close now has ["user_carol"], not the accepted ["user_bob", "user_alice"]',
            [
                "      + alice@acme.example (no managed number rings them through this group alone)",
                "      - carol@acme.example (no managed number stops ringing them through this group alone)",
            ],
        ),
    ],
    ids=["the day passed", "Close moved on"],
)
def test_a_lapsed_group_acceptance_is_a_change_again_and_the_plan_says_why(
    tmp_path: Path, members: tuple[str, ...], day: date, why: str, lines: list[str]
) -> None:
    plan = build_plan(load(tmp_path), [], close_has(*members), today=day)
    assert plan.has_changes
    (change,) = plan.groups
    assert (change.before, change.after) == (members, ("user_alice",))
    text = render.render_text(plan).splitlines()
    assert text[: len(lines) + 3] == [
        "  ~ group Support",
        *lines,
        "",
        "Acceptances that no longer hold:",
    ]
    assert text[len(lines) + 3] == (
        "  ! group Support members (accepted until 2027-01-15: Bob covers the night desk): "
        f"no longer holds: {why}"
    )
    document = json.loads(render.render_json(plan))
    assert document["accepted"] == [row(tmp_path, list(members), False, why)]


def test_close_having_the_files_members_again_says_the_acceptance_can_go(tmp_path: Path) -> None:
    plan = build_plan(load(tmp_path), [], close_has("user_alice"), today=TODAY)
    assert not plan.has_changes
    assert render.render_text(plan) == (
        "Acceptances that no longer hold:\n"
        "  ! group Support members (accepted until 2027-01-15: Bob covers the night desk): no "
        "longer holds: Close has the file's value again: the acceptance can be removed\n"
        "\n"
        "No changes. 0 managed numbers match the file; 0 unmanaged.\n"
    )


@pytest.mark.parametrize("members", [("user_alice", "user_bob"), ("user_carol",)])
def test_a_saved_plan_carries_a_group_acceptance_and_shows_it_again(
    tmp_path: Path, members: tuple[str, ...]
) -> None:
    plan = build_plan(load(tmp_path), [], close_has(*members), today=TODAY)
    saved = tmp_path / "plan.json"
    saved.write_text(render.render_json(plan))
    again = read_plan(str(saved))
    assert again.accepted == plan.accepted
    assert render.render_text(again) == render.render_text(plan)


def test_a_saved_plans_group_acceptance_is_checked_as_a_groups(tmp_path: Path) -> None:
    plan = build_plan(load(tmp_path), [], close_has("user_alice", "user_bob"), today=TODAY)
    document = json.loads(render.render_json(plan))
    document["accepted"][0]["value"] = ["bob@acme.example"]
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        read_plan(str(saved))
    assert [str(d) for d in caught.value.diagnostics] == [
        f'{saved}: $.accepted[0].value[0]: must be a user id (user_ and letters or digits), got "bob@acme.example"'
    ]


# --- against the emulator ------------------------------------------------------------------------

GROUP_ID = "group_support000000000000000"
BOB = "user_bob00000000000000000000000000000000000000"
CAROL = "user_carol000000000000000000000000000000000000"
ERIN = "user_erin0000000000000000000000000000000000000"
DAVE = "user_dave0000000000000000000000000000000000000"
# The emulator's Support has Bob and Erin; the file wants Alice and Bob, and accepts Close's.
E2E_FILE = f"""\
version: 1
groups:
  Support:
    members: [alice@acme.example, bob@acme.example]
    # Erin stands in for Alice until mid-January.
    accepted:
      members:
        value: [{BOB}, {ERIN}]
        reason: Erin stands in for Alice
        until: 2027-01-15
"""


def test_a_held_group_acceptance_sends_nothing_and_lapses_on_its_day(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accepted, "today", lambda: TODAY)
    path = tmp_path / "numbers.yaml"
    path.write_text(E2E_FILE)

    planned = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.startswith(
        "Accepted drift (not applied, not counted as changes):\n"
        "  = group Support\n"
        f"      members: Close has [{BOB} (bob@acme.example), {ERIN} (erin@acme.example)], "
        f"the file wants [user_alice000000000000000000000000000000000000 (alice@acme.example), {BOB} (bob@acme.example)]\n"
        "      accepted until 2027-01-15: Erin stands in for Alice\n"
    )
    applied = cli(emulator, "apply", "-c", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [r.method for r in emulator.requests if r.method != "GET"] == []

    monkeypatch.setattr(accepted, "today", lambda: date(2027, 1, 16))
    plan_file = tmp_path / "plan.json"
    expired = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode", "--out", str(plan_file))
    assert expired.exit_code == 2, expired.output
    assert (
        "  ! group Support members (accepted until 2027-01-15: Erin stands in for Alice): no "
        "longer holds: the acceptance expired on 2027-01-15 (today is 2027-01-16)\n"
    ) in expired.stdout
    shown = cli(emulator, "show", str(plan_file))
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == expired.stdout

    refused = cli(emulator, "validate", "-c", str(path))
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"{path}:10:16: $.groups.Support.accepted.members.until: the acceptance expired on "
        "2027-01-15 (today is 2027-01-16)\n"
    )


def test_close_moving_away_from_the_accepted_members_is_drift_again(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    monkeypatch.setattr(accepted, "today", lambda: TODAY)
    path = tmp_path / "numbers.yaml"
    path.write_text(E2E_FILE)
    answer = httpx.post(
        f"{emulator.url}/group/{GROUP_ID}/member/",
        json={"user_id": CAROL},
        auth=(emulator.admin_key, ""),
    )
    assert answer.status_code == 201, answer.text
    emulator.reset_log()

    planned = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert (
        f'no longer holds: Close now has ["{BOB}", "{ERIN}", "{CAROL}"], not the accepted '
        f'["{BOB}", "{ERIN}"]\n'
    ) in planned.stdout
    applied = cli(emulator, "apply", "-c", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    writes = sorted((r.method, r.path) for r in emulator.requests if r.method != "GET")
    assert writes == [
        ("DELETE", f"/group/{GROUP_ID}/member/{CAROL}/"),
        ("DELETE", f"/group/{GROUP_ID}/member/{ERIN}/"),
        ("POST", f"/group/{GROUP_ID}/member/"),
    ]


# A commented file that manages Support by name and Night Shift by id: accept must add its lines
# and change no other, comments and quoting included.
COMMENTED = """\
# Who answers what.
version: 1
groups:
  # Front line: Alice and Bob.
  Support:
    members:
      - alice@acme.example   # team lead
      - "bob@acme.example"
  group_nightShift000000000000:
    members: [carol@acme.example]  # nights
numbers:
  "+18005550142":
    participant_groups: [Support]
"""


def inserted(before: str, after: str) -> list[tuple[int, list[str]]]:
    """The blocks of lines `after` adds to `before` (0-based start); fails on any other change."""
    import difflib

    old, new = before.splitlines(), after.splitlines()
    blocks = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        assert op in ("equal", "insert"), (op, old[i1:i2], new[j1:j2])
        if op == "insert":
            blocks.append((j1, new[j1:j2]))
    return blocks


def test_accept_writes_a_groups_members_from_close_and_changes_no_other_line(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accepted, "today", lambda: TODAY)
    path = tmp_path / "numbers.yaml"
    path.write_text(COMMENTED)

    result = cli(
        emulator, "accept", "Support", "members", "--until", "2027-01-15",
        "--reason", "Erin stands in for Alice", "-c", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f'Accepted members of group Support = ["{BOB}", "{ERIN}"] until 2027-01-15, in {path}:9.\n'
    )
    # By name: the list of groups, then the one group's members.
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("GET", "/group/"),
        ("GET", f"/group/{GROUP_ID}/"),
    ]
    after = path.read_text()
    assert inserted(COMMENTED, after) == [
        (
            8,
            [
                "    accepted:",
                "      members:",
                f"        value: [{BOB}, {ERIN}]",
                "        reason: Erin stands in for Alice",
                "        until: 2027-01-15",
            ],
        )
    ]
    # By id: one request, the group's members; it joins the file the same way.
    emulator.reset_log()
    night = cli(
        emulator, "accept", "group_nightShift000000000000", "members", "--until", "2026-12-20",
        "--reason", "rota", "-c", str(path),
    )  # fmt: skip
    assert night.exit_code == 0, night.output
    assert [(r.method, r.path) for r in emulator.requests] == [
        ("GET", "/group/group_nightShift000000000000/")
    ]
    assert inserted(after, path.read_text()) == [
        (
            15,
            [
                "    accepted:",
                "      members:",
                f"        value: [{DAVE}]",
                "        reason: rota",
                "        until: 2026-12-20",
            ],
        )
    ]

    # Both held: the plan has no change, and apply sends nothing.
    planned = cli(emulator, "plan", "-c", str(path), "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert planned.stdout.startswith("Accepted drift (not applied, not counted as changes):\n")
    assert "  = group Night Shift\n" in planned.stdout
    assert "  = group Support\n" in planned.stdout
    assert planned.stdout.endswith(
        "No changes. 1 managed number matches the file; 10 unmanaged; "
        "2 accepted differences not applied.\n"
    )
    emulator.reset_log()
    applied = cli(emulator, "apply", "-c", str(path), "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert [r.method for r in emulator.requests if r.method != "GET"] == []


@pytest.mark.parametrize(
    ("key", "until", "reason", "message"),
    [
        ("Sales", "2027-01-15", "x", "Error: Sales is not a group managed in {path}\n"),
        ("Support", "2026-12-01", "x", "Error: --until 2026-12-01 is past (today is 2026-12-02)\n"),
        (
            "Support",
            "2027-01-15",
            "  ",
            "Error: --reason must say why the difference is accepted\n",
        ),
        (
            "Support",
            "2027-01-15",
            "again",
            "Error: members of group Support are accepted already, until 2027-01-15 "
            "({path}:7:7); change or remove that entry\n",
        ),
    ],
    ids=["not managed", "past", "no reason", "accepted already"],
)
def test_accept_of_a_group_refuses_clearly_asks_nothing_and_writes_nothing(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str,
    until: str,
    reason: str,
    message: str,
) -> None:
    monkeypatch.setattr(accepted, "today", lambda: TODAY)
    path = tmp_path / "numbers.yaml"
    text = E2E_FILE if message.startswith("Error: members") else COMMENTED
    path.write_text(text)
    result = cli(
        emulator, "accept", key, "members", "--until", until, "--reason", reason, "-c", str(path)
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(message.format(path=path))
    assert emulator.requests == []
    assert path.read_text() == text


def test_a_held_group_keeps_closes_members_for_who_the_other_changes_make_ring(
    tmp_path: Path,
) -> None:
    from numbersync.account import LiveNumber

    # The hotline rings Support and Night; Bob is in both in Close. The file takes him out of
    # both, but accepts Support as Close has it: the hotline still rings him through Support.
    text = (
        TEXT.replace("[user_bob, user_alice]", "[user_bob]").replace(
            "members: [alice@acme.example]", "members: []"
        )
        + '  Night:\n    members: []\nnumbers:\n  "+18005550142":\n    label: Hotline\n'
    )
    groups = (*SUPPORT, Group("group_night", "Night", "orga_acme"))
    directory = Directory(
        USERS, groups, {"group_support": ("user_bob",), "group_night": ("user_bob",)}
    )
    fields = {
        "label": "Hotline",
        "participants": [],
        "participant_groups": ["group_support", "group_night"],
        "phone_numbers": [],
    }
    hotline = LiveNumber(
        "phon_hot",
        "+18005550142",
        "+18005550142",
        None,
        fields,
        {**fields, "id": "phon_hot"},
        organization_id="orga_acme",
    )

    plan = build_plan(load(tmp_path, text), [hotline], directory, today=TODAY)
    assert [a.holds for a in plan.accepted] == [True]
    (night,) = plan.groups
    assert (night.name, night.removed, night.numbers) == ("Night", ("user_bob",), ())
    assert render.render_text(plan).startswith(
        "  ~ group Night\n"
        "      - bob@acme.example (no managed number stops ringing them through this group alone)\n"
    )
