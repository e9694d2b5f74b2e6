"""Accepted drift without a server: reading `accepted` entries and their errors at their
positions, validate's date checks on a given day, and the plan's verdict on each acceptance."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import assert_schema_checks_agree

from numbersync import accepted, config
from numbersync.account import LiveNumber
from numbersync.errors import InputError
from numbersync.models import DesiredState
from numbersync.plan import build_plan

TODAY = date(2026, 12, 2)
ALICE = "user_alice000000000000000000000000000000000000"
HEAD = 'version: 1\nnumbers:\n  "+16503334446":\n    label: Alice direct\n'
FORWARDING = '    forward_to: "+1 650 555 0100"\n    forward_to_enabled: true\n'


def load(tmp_path: Path, text: str) -> DesiredState:
    path = tmp_path / "numbers.yaml"
    path.write_text(text)
    assert_schema_checks_agree(str(path))
    return config.load(str(path))


def errors(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, text)
    return [str(d).replace(str(tmp_path) + "/", "") for d in caught.value.diagnostics]


def accepting(until: str = "2027-01-15", value: str = "+16505550177") -> str:
    return (
        HEAD
        + FORWARDING
        + "    accepted:\n      forward_to:\n"
        + f"        value: {value}\n        reason: Alice is on leave\n        until: {until}\n"
    )


def test_an_acceptance_is_read_with_its_value_as_the_plan_compares_it(tmp_path: Path) -> None:
    # Unquoted, YAML reads the number as an integer and the day as a date: both are taken as
    # written.
    state = load(tmp_path, accepting(value="+1 650 555 0177"))
    (number,) = state.numbers
    (acceptance,) = number.accepted
    assert (acceptance.field, acceptance.value, acceptance.reason, acceptance.until) == (
        "forward_to",
        "+16505550177",
        "Alice is on leave",
        date(2027, 1, 15),
    )
    assert (acceptance.position.line, acceptance.position.col) == (8, 7)
    assert state.max_accept_days == 90


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + "    accepted:\n      label: {value: Alice, reason: x}\n",
            [
                "numbers.yaml:6:14: $.numbers[\"+16503334446\"].accepted.label: missing required key 'until'"
            ],
        ),
        (
            HEAD + "    accepted:\n      label: {value: 3, reason: '  ', until: 2027-1-5x}\n",
            [
                'numbers.yaml:6:22: $.numbers["+16503334446"].accepted.label.value: must be a string or null, got 3',
                'numbers.yaml:6:33: $.numbers["+16503334446"].accepted.label.reason: must say why the difference is accepted',
                'numbers.yaml:6:46: $.numbers["+16503334446"].accepted.label.until: must be a date, YYYY-MM-DD, got "2027-1-5x"',
            ],
        ),
        (
            HEAD + "    accepted:\n      label: {value: A, reason: x, until: '2027-02-30'}\n",
            [
                'numbers.yaml:6:43: $.numbers["+16503334446"].accepted.label.until: "2027-02-30" is not a day of the calendar'
            ],
        ),
        (
            HEAD
            + "    participants: [alice@acme.example]\n    accepted:\n"
            + "      participants: {value: [alice@acme.example], reason: x, until: 2027-01-01}\n",
            [
                'numbers.yaml:7:29: $.numbers["+16503334446"].accepted.participants.value: must list user ids (user_...), as Close has them, got "alice@acme.example"'
            ],
        ),
        (
            HEAD
            + "    accepted:\n      forward_to: {value: '555', reason: x, until: 2027-01-01}\n",
            [
                'numbers.yaml:6:27: $.numbers["+16503334446"].accepted.forward_to.value: "555" is not a valid phone number'
            ],
        ),
        (
            HEAD + "    accepted:\n      forwad_to: {value: x, reason: x, until: 2027-01-01}\n",
            [
                "numbers.yaml:6:7: $.numbers[\"+16503334446\"].accepted.forwad_to: unknown key 'forwad_to' (did you mean 'forward_to'?)"
            ],
        ),
        (
            "version: 1\ndefaults:\n  accepted: {}\nnumbers: {}\n",
            [
                "numbers.yaml:3:3: $.defaults.accepted: accepted drift belongs to one number, not to defaults"
            ],
        ),
        (
            HEAD + "    accepted:\n      forward_to: {value: null, reason: x, until: 2027-01-01}\n",
            [
                'numbers.yaml:6:7: $.numbers["+16503334446"].accepted.forward_to: forward_to is not managed for this number (neither the number nor its defaults set it): there is no difference to accept'
            ],
        ),
        (
            "version: 1\naccepted_drift: {max_days: 0}\nnumbers: {}\n",
            ["numbers.yaml:2:28: $.accepted_drift.max_days: must be at least 1, got 0"],
        ),
    ],
    ids=[
        "missing until",
        "wrong value, blank reason, no date",
        "no such day",
        "emails",
        "not a phone number",
        "a typo",
        "in defaults",
        "an unmanaged field",
        "a zero maximum",
    ],
)
def test_errors_of_accepted_entries_are_at_their_positions(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    assert errors(tmp_path, text) == expected


def test_a_team_file_cannot_set_the_maximum(tmp_path: Path) -> None:
    (tmp_path / "numbersync.yaml").write_text("version: 1\naccepted_drift: {max_days: 30}\n")
    (tmp_path / "team.yaml").write_text(
        "version: 1\naccepted_drift: {max_days: 120}\nnumbers: {}\n"
    )
    with pytest.raises(InputError) as caught:
        config.load(str(tmp_path))
    (only,) = caught.value.diagnostics
    assert only.message.startswith("accepted_drift is allowed only in the directory's root")
    (tmp_path / "team.yaml").write_text("version: 1\nnumbers: {}\n")
    assert config.load(str(tmp_path)).max_accept_days == 30


# --- validate's dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("until", "refused", "warned"),
    [
        ("2026-12-01", ["the acceptance expired on 2026-12-01 (today is 2026-12-02)"], []),
        (
            "2026-12-02",
            [],
            [
                "warning: the acceptance of forward_to ends today (2026-12-02); then the difference is drift again"
            ],
        ),
        (
            "2026-12-09",
            [],
            [
                "warning: the acceptance of forward_to ends in 7 days (2026-12-09); then the difference is drift again"
            ],
        ),
        ("2026-12-10", [], []),
        ("2027-03-02", [], []),
        (
            "2027-03-03",
            [
                "until 2027-03-03 is 91 days ahead, more than the 90 an acceptance may run (accepted_drift.max_days)"
            ],
            [],
        ),
    ],
)
def test_validate_refuses_past_days_and_warns_a_week_ahead(
    tmp_path: Path, until: str, refused: list[str], warned: list[str]
) -> None:
    found, warnings = accepted.date_findings(load(tmp_path, accepting(until)), TODAY)
    where = 'numbers.yaml:11:16: $.numbers["+16503334446"].accepted.forward_to.until: '
    assert [str(d).replace(str(tmp_path) + "/", "") for d in found] == [where + m for m in refused]
    assert [str(d).replace(str(tmp_path) + "/", "") for d in warnings] == [
        where + m for m in warned
    ]


def test_the_root_sets_another_maximum(tmp_path: Path) -> None:
    text = accepting("2027-03-03").replace(
        "version: 1\n", "version: 1\naccepted_drift:\n  max_days: 120\n"
    )
    assert accepted.date_findings(load(tmp_path, text), TODAY) == ([], [])


# --- the plan -----------------------------------------------------------------------------------


def live(forward_to: str, enabled: bool = True) -> LiveNumber:
    fields = {
        "label": "Alice direct",
        "forward_to": forward_to,
        "forward_to_enabled": enabled,
        "participants": [ALICE],
        "participant_groups": [],
        "phone_numbers": [],
    }
    return LiveNumber("phon_alice", "+16503334446", "+1 650-333-4446", None, fields)


@pytest.mark.parametrize(
    ("close_has", "today", "holds", "why", "changed"),
    [
        ("+16505550177", TODAY, True, None, ()),
        ("+16505550177", date(2027, 1, 15), True, None, ()),
        (
            "+16505550177",
            date(2027, 1, 16),
            False,
            "the acceptance expired on 2027-01-15 (today is 2027-01-16)",
            ("forward_to",),
        ),
        (
            "+1 650 555 0188",
            TODAY,
            False,
            'Close now has "+16505550188", not the accepted "+16505550177"',
            ("forward_to",),
        ),
        (
            "+16505550100",
            TODAY,
            False,
            "Close has the file's value again: the acceptance can be removed",
            (),
        ),
    ],
    ids=["holds", "holds on its last day", "expired", "Close moved on", "Close has the file's"],
)
def test_the_plan_keeps_an_accepted_difference_out_of_its_changes_while_it_holds(
    tmp_path: Path,
    close_has: str,
    today: date,
    holds: bool,
    why: str | None,
    changed: tuple[str, ...],
) -> None:
    state = load(tmp_path, accepting())
    plan = build_plan(state, [live(close_has)], today=today)
    (shown,) = plan.accepted
    assert (shown.field, shown.holds, shown.why, shown.reason, shown.until) == (
        "forward_to",
        holds,
        why,
        "Alice is on leave",
        "2027-01-15",
    )
    assert shown.after == "+16505550100"
    assert [c.field for change in plan.changes for c in change.fields] == list(changed)
    assert plan.has_changes is bool(changed)
    if not changed:
        assert plan.unchanged == ("+16503334446",)


def test_markdown_warns_of_acceptances_that_no_longer_hold_and_saved_plans_keep_them(
    tmp_path: Path,
) -> None:
    from numbersync import render
    from numbersync.savedplan.read import read_plan

    state = load(tmp_path, accepting())
    plan = build_plan(state, [live("+16505550188")], today=TODAY)
    markdown = render.render_markdown(plan)
    assert (
        "> [!WARNING]\n"
        "> Acceptances that no longer hold:\n"
        "> - +1 650-333-4446 `forward_to` (accepted until 2027-01-15: Alice is on leave): no longer "
        'holds: Close now has "+16505550188", not the accepted "+16505550177"\n'
    ) in markdown
    assert "**Accepted drift**" not in markdown  # none holds

    saved = tmp_path / "plan.json"
    saved.write_text(render.render_json(plan))
    again = read_plan(str(saved))
    assert again.accepted == plan.accepted
    assert render.render_text(again) == render.render_text(plan)


def test_a_saved_plan_with_a_malformed_acceptance_is_refused_at_its_path(tmp_path: Path) -> None:
    import json

    from numbersync import render
    from numbersync.savedplan.read import read_plan

    plan = build_plan(load(tmp_path, accepting()), [live("+16505550177")], today=TODAY)
    document = json.loads(render.render_json(plan))
    document["accepted"][0]["until"] = "soon"
    saved = tmp_path / "plan.json"
    saved.write_text(json.dumps(document))
    with pytest.raises(InputError) as caught:
        read_plan(str(saved))
    assert [str(d) for d in caught.value.diagnostics] == [
        f'{saved}: $.accepted[0].until: must be a date, YYYY-MM-DD, got "soon"'
    ]


@pytest.mark.parametrize(("accepting_them", "refuses"), [(True, False), (False, True)])
def test_accepted_differences_are_not_in_the_safety_rails_count(
    tmp_path: Path, accepting_them: bool, refuses: bool
) -> None:
    from numbersync.safety import judge

    lines = ["version: 1", "numbers:"]
    numbers = []
    for i in range(10):
        number = f"+1650333{4400 + i}"
        lines += [f'  "{number}":', "    label: Desk"]
        if accepting_them:
            lines += [
                "    accepted:",
                "      label: {value: Renamed, reason: a test, until: 2027-01-01}",
            ]
        numbers.append(
            LiveNumber(
                f"phon_{i}", number, number, None, {"label": "Renamed", "participants": [ALICE]}
            )
        )
    plan = build_plan(load(tmp_path, "\n".join(lines) + "\n"), numbers, today=TODAY)
    assert len(plan.accepted_holding) == (10 if accepting_them else 0)
    assert judge(plan, {n.id: n for n in numbers}).refuses is refuses


def test_the_entries_fit_a_managed_group_too() -> None:
    """The `groups:` of the file (not read by this module) take the same entries, for members."""
    from numbersync.yamlsource import parse

    text = (
        "groups:\n  Support:\n    members: [alice@acme.example]\n    accepted:\n      members:\n"
        "        value: [user_b, user_a, user_b]\n        reason: covering\n        until: 2027-01-05\n"
    )
    doc = parse("numbers.yaml", text.encode())
    data = doc.data
    accepted.until_texts(data)
    written = data["groups"]["Support"]["accepted"]
    assert list(accepted.entry_errors(doc, ("groups", "Support", "accepted"), written, set())) == []
    (acceptance,) = accepted.acceptances(doc, ("groups", "Support"), written)
    assert (acceptance.value, acceptance.until, acceptance.path) == (
        ("user_b", "user_a"),
        date(2027, 1, 5),
        ("groups", "Support", "accepted", "members"),
    )
    assert accepted.why_not(acceptance, ("user_a", "user_b"), ("user_c",), TODAY, 90) is None
    assert accepted.why_not(acceptance, ("user_a",), ("user_c",), TODAY, 90) == (
        'Close now has ["user_a"], not the accepted ["user_b", "user_a"]'
    )
    written["members"]["value"] = ["carol@acme.example"]
    (problem,) = accepted.entry_errors(doc, ("groups", "Support", "accepted"), written, set())
    assert str(problem) == (
        "numbers.yaml:6:16: $.groups.Support.accepted.members.value: must list user ids "
        '(user_...), as Close has them, got "carol@acme.example"'
    )
