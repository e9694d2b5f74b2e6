"""Who a number rings (numbersync/ringing.py): participants, members of its groups (unread groups
said, never guessed empty) and external numbers; the risk of a change judged by who stops ringing;
and the plan's rings before and after each change of a number's ringing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_plan import DIRECTORY, live, state

from numbersync import ringing
from numbersync.plan import build_plan, with_fields
from numbersync.ringing import GroupRing, Rings, rings

MEMBERS = {"group_sales": ("user_alice", "user_carol"), "group_empty": ()}


def test_a_number_rings_its_participants_its_groups_members_and_its_external_numbers() -> None:
    ring = rings(
        {
            "participants": ("user_bob", "user_alice"),
            "participant_groups": ("group_sales", "group_empty", "group_unread"),
            "phone_numbers": ("+14155550100",),
        },
        MEMBERS,
    )
    assert ring.users == ("user_bob", "user_alice", "user_carol")  # Alice once
    assert ring.groups == (
        GroupRing("group_sales", ("user_alice", "user_carol")),
        GroupRing("group_empty", ()),
        GroupRing("group_unread", None),
    )
    assert ring.unread == ("group_unread",)
    assert ring.via("user_alice") == ("group_sales",) and ring.direct("user_alice")
    assert ring.via("user_bob") == () and ring.direct("user_bob")
    assert ring.via("user_carol") == ("group_sales",) and not ring.direct("user_carol")
    assert ring.count == 4


@pytest.mark.parametrize(
    ("fields", "members", "nobody"),
    [
        ({}, MEMBERS, True),
        ({"participant_groups": ("group_empty",)}, MEMBERS, True),
        ({"participant_groups": ("group_sales",)}, MEMBERS, False),
        # Not read: it may ring someone, and nobody is said only when sure.
        ({"participant_groups": ("group_empty",)}, None, False),
        ({"participant_groups": ("group_x",)}, MEMBERS, False),
        ({"phone_numbers": ("+14155550100",)}, {}, False),
    ],
)
def test_rings_nobody_only_when_sure(
    fields: dict[str, tuple[str, ...]], members: dict[str, tuple[str, ...]] | None, nobody: bool
) -> None:
    assert rings(fields, members).nobody is nobody


BEFORE = {"participants": ("user_alice", "user_bob"), "participant_groups": ("group_sales",)}


# Each row: the ringing fields after (before: Alice and Bob, and Sales EMEA: Alice and Carol),
# and the risk of the change.
@pytest.mark.parametrize(
    ("after", "risk"),
    [
        # Alice still rings through Sales EMEA: no one stops ringing.
        ({**BEFORE, "participants": ("user_bob",)}, None),
        ({**BEFORE, "participants": ("user_alice",)}, "stops ringing 1 person"),
        ({"participants": ("user_bob",)}, "stops ringing 2 people"),
        ({**BEFORE, "participant_groups": ("group_empty",)}, "stops ringing 1 person"),
        ({**BEFORE, "participants": ("user_alice", "user_bob", "user_dave")}, None),
        (
            {**BEFORE, "participant_groups": ("group_unread",)},
            "stops ringing 1 person (group members not read)",
        ),
    ],
)
def test_the_risk_is_who_stops_ringing(after: dict[str, tuple[str, ...]], risk: str | None) -> None:
    assert ringing.risk(rings(BEFORE, MEMBERS), rings(after, MEMBERS)) == risk


def test_dropping_an_external_number_or_an_unread_group_is_a_risk() -> None:
    before = rings({"phone_numbers": ("+14155550100", "+14155550101")}, {})
    after = rings({"phone_numbers": ("+14155550101",)}, {})
    assert ringing.risk(before, after) == "stops ringing 1 external number"
    unread = rings({"participant_groups": ("group_x",)}, {})
    assert ringing.risk(unread, Rings()) == (
        "stops ringing the members of 1 group (group members not read)"
    )


def test_the_numbers_a_membership_change_alters() -> None:
    numbers = {
        "+16503334444": {"participant_groups": ("group_sales",)},
        # Carol rings here as a participant already: her joining Support changes nothing.
        "+16503334445": {"participants": ("user_carol",), "participant_groups": ("group_sales",)},
        "+16503334446": {"participants": ("user_bob",)},
    }
    before = {"group_sales": ("user_alice",)}
    after = {"group_sales": ("user_alice", "user_carol")}
    assert ringing.numbers_affected(numbers, before, after) == ("+16503334444",)
    assert ringing.numbers_affected(numbers, before, before) == ()


# --- the plan says who rings ---------------------------------------------------------------------


def test_a_plan_gives_who_rings_before_and_after_only_where_ringing_fields_change(
    tmp_path: Path,
) -> None:
    desired = state(
        tmp_path,
        "  '+16503334444': {participants: [bob@acme.example]}\n"
        "  '+16503334445': {label: Support}\n",
    )
    numbers = [
        live(
            "+16503334444",
            participants=["user_alice", "user_bob"],
            participant_groups=["group_sales"],
        ),
        live("+16503334445", label="Old", participant_groups=["group_sales"]),
    ]
    directory = replace(DIRECTORY, members={"group_sales": ("user_alice",)})

    ringing_change, label_change = build_plan(desired, numbers, directory).changes

    sales = (GroupRing("group_sales", ("user_alice",)),)
    assert ringing_change.rings_before == Rings(("user_alice", "user_bob"), sales)
    assert ringing_change.rings_after == Rings(("user_bob",), sales)
    # Alice leaves the participants but still rings through Sales EMEA: no risk.
    assert ringing_change.risks == ()
    assert (label_change.rings_before, label_change.rings_after) == (None, None)


def test_without_members_a_plan_says_the_groups_were_not_read(tmp_path: Path) -> None:
    desired = state(tmp_path, "  '+16503334444': {participants: [bob@acme.example]}\n")
    numbers = [
        live(
            "+16503334444",
            participants=["user_alice", "user_bob"],
            participant_groups=["group_sales"],
        )
    ]

    (change,) = build_plan(desired, numbers, DIRECTORY).changes

    assert change.rings_after is not None and change.rings_after.unread == ("group_sales",)
    assert change.risks == ("stops ringing 1 person (group members not read)",)


def test_a_change_cut_to_some_of_its_fields_rings_as_those_fields_leave_it(tmp_path: Path) -> None:
    # A saved plan applies only the fields it holds: a field the config asks for since (another
    # difference in Close) must not count in who the number rings after.
    desired = state(
        tmp_path,
        "  '+16503334444': {participant_groups: [Sales EMEA], phone_numbers: []}\n",
    )
    numbers = [live("+16503334444", participant_groups=[], phone_numbers=["+14155550100"])]
    directory = replace(DIRECTORY, members={"group_sales": ("user_alice",)})
    (change,) = build_plan(desired, numbers, directory).changes
    assert change.risks == ("stops ringing 1 external number",)

    groups_only = with_fields(change, [f for f in change.fields if f.field == "participant_groups"])

    assert groups_only.rings_after == Rings(
        (), (GroupRing("group_sales", ("user_alice",)),), ("+14155550100",)
    )
    assert groups_only.risks == ()
    label_only = with_fields(change, [])
    assert (label_only.rings_before, label_only.rings_after) == (None, None)
