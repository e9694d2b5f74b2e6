"""What export writes for each number, offline: people and groups as the plan reads them back,
external numbers with their label only, and a tree whose defaults an external number cannot
escape; each loaded back through the config loader and planned clean."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from numbersync import config
from numbersync.account import Group, LiveNumber, User
from numbersync.export import Export, groups_to_write
from numbersync.live import Directory
from numbersync.plan import build_plan

ACME, LABS = "orga_acme", "orga_labs"
DIRECTORY = Directory(
    users=(
        User("user_a", "a@acme.example", organizations=frozenset({ACME})),
        User("user_l", "l@labs.example", organizations=frozenset({LABS})),
        User("user_both", "both@acme.example", organizations=frozenset({ACME, LABS})),
        User("user_unsaid", "unsaid@acme.example"),  # Close did not list organizations
    ),
    groups=(
        Group("group_s", "Sales", ACME),
        Group("group_l", "Labs", LABS),
        Group("group_t", "Team"),
        Group("group_t2", "Team"),
    ),
)


def live(number: str, type: str = "internal", **fields: Any) -> LiveNumber:
    return LiveNumber(f"phon_{number[1:]}", number, "", None, fields, fields, ACME, type)


def test_people_and_groups_are_named_only_where_the_plan_reads_them_back() -> None:
    number = live(
        "+16503334444",
        participants=["user_a", "user_l", "user_both", "user_unsaid", "user_gone"],
        participant_groups=["group_s", "group_l", "group_t", "group_missing"],
    )

    text = Export([number], DIRECTORY).yaml(source="test", when="now")

    assert text.split("numbers:\n", 1)[1] == (
        '  "+16503334444":\n'
        '    participants: ["a@acme.example", "user_l", "both@acme.example", '
        '"unsaid@acme.example", "user_gone"]  # user_l: a user of another organization, not an '
        "active member of this one; user_gone: not an active member of the organization "
        "(deactivated or removed)\n"
        '    participant_groups: ["Sales", "group_l", "group_t", "group_missing"]  # group_l: a '
        'group of another organization; group_t: "Team" (two groups have this name); '
        "group_missing: not one of the organization's groups\n"
    )


def test_an_external_number_manages_its_label_only(tmp_path: Path) -> None:
    caller_id = live(
        "+16505550177", "external", label="Caller ID", inbound_ring_duration=45, participants=[]
    )
    internal = live("+16503334444", label="Sales", inbound_ring_duration=30, participants=[])
    exported = Export([caller_id, internal], DIRECTORY)

    text = exported.yaml(source="test", when="now")

    assert text.split("numbers:\n", 1)[1] == (
        '  "+16503334444":\n'
        '    label: "Sales"\n'
        "    inbound_ring_duration: 30\n"
        "    participants: []\n"
        '  "+16505550177":\n'
        "    # external: Close uses it only as outbound caller ID, so only its label is managed\n"
        '    label: "Caller ID"\n'
    )
    path = tmp_path / "numbers.yaml"
    path.write_text(text)
    assert build_plan(config.load(str(path)), [caller_id, internal], DIRECTORY).changes == ()


def test_in_a_tree_an_external_number_takes_no_inbound_default(tmp_path: Path) -> None:
    # Two numbers ring 30 s: the root's default. The external one (45 s in Close, unused) takes
    # no inbound setting from defaults, so it writes its label only and the tree plans clean.
    numbers = [
        live("+16503334444", label="A", inbound_ring_duration=30),
        live("+16503334445", label="B", inbound_ring_duration=30),
        live("+16505550177", "external", label="Caller ID", inbound_ring_duration=45),
    ]

    tree = Export(numbers, DIRECTORY).tree(source="test", when="now")

    assert "defaults:\n  inbound_ring_duration: 30\n" in tree["numbersync.yaml"]
    assert tree["unassigned.yaml"].split('  "+16505550177":\n', 1)[1] == (
        "    # external: Close uses it only as outbound caller ID, so only its label is managed\n"
        '    label: "Caller ID"\n'
    )
    for name, text in tree.items():
        (tmp_path / name).write_text(text)
    assert build_plan(config.load(str(tmp_path)), numbers, DIRECTORY).changes == ()


def test_the_groups_written_are_those_the_numbers_ring_of_their_organization() -> None:
    numbers = [
        live("+16503334444", participant_groups=["group_t", "group_l", "group_s"]),
        live("+16503334445", participant_groups=["group_s", "group_missing"]),
        # An external number's groups are not written: Close does not ring it.
        live("+16503334446", "external", participant_groups=["group_t2"]),
        live("+16503334447", participant_groups=[]),
    ]

    # group_l is Labs', group_missing is no group of the list; group_t says no organization.
    assert groups_to_write(numbers, DIRECTORY) == ("group_t", "group_s")
    assert groups_to_write(numbers[3:], DIRECTORY) == ()
    every = ("group_s", "group_l", "group_t", "group_t2")
    assert groups_to_write(numbers, DIRECTORY, every=True) == every


def test_groups_are_written_by_name_with_members_as_emails_and_load_back(tmp_path: Path) -> None:
    directory = replace(
        DIRECTORY,
        members={
            "group_t": ("user_a", "user_gone"),
            "group_s": ("user_both", "user_l"),
            "group_t2": (),
        },
    )
    text = Export([], directory).yaml(source="test", when="now")

    assert text.split("numbers: {}\n", 1)[1] == (
        "# Group members, managed as a set: delete the groups you do not want to manage.\n"
        "groups:\n"
        '  "Sales":\n'
        '    members: ["both@acme.example", "user_l"]  # user_l: a user of another '
        "organization, not an active member of this one\n"
        '  "group_t":\n'
        '    # "Team" (two groups have this name)\n'
        '    members: ["a@acme.example", "user_gone"]  # user_gone: not an active member of the '
        "organization (deactivated or removed)\n"
        '  "group_t2":\n'
        '    # "Team" (two groups have this name)\n'
        "    members: []\n"
    )
    path = tmp_path / "numbers.yaml"
    path.write_text(text)
    assert [(g.key, g.members) for g in config.load(str(path)).groups] == [
        ("Sales", ("both@acme.example", "user_l")),
        ("group_t", ("a@acme.example", "user_gone")),
        ("group_t2", ()),
    ]
