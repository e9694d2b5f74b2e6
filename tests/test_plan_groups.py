"""The diff of managed groups: membership compared as a set, references resolved as numbers'
are, every problem at its file position, and the numbers each membership change makes ring."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from numbersync import config
from numbersync.account import Group, GroupChange, LiveNumber, User
from numbersync.errors import InputError, Position, UsageError
from numbersync.live import Directory
from numbersync.models import DesiredGroup, DesiredState
from numbersync.plan import build_plan, unread_groups, with_members_read

FILE = "numbers.yaml"
USERS = (
    User("user_alice", "alice@acme.example", organizations=frozenset({"orga_acme"})),
    User("user_bob", "bob@acme.example", organizations=frozenset({"orga_acme"})),
    User("user_carol", "carol@acme.example", organizations=frozenset({"orga_acme"})),
    User("user_eve", "eve@other.example", organizations=frozenset({"orga_other"})),
)
GROUPS = (
    Group("group_support", "Support", "orga_acme"),
    Group("group_sales", "Sales EMEA", "orga_acme"),
    Group("group_night", "Night shift", "orga_acme"),
)
MEMBERS = {
    "group_support": ("user_bob",),
    "group_sales": ("user_carol",),
    "group_night": ("user_carol",),
}
DIRECTORY = Directory(USERS, GROUPS, MEMBERS)


def group(key: str, *members: str, line: int = 10, file: str = FILE) -> DesiredGroup:
    """A group as the file would give it: key at `line`, member i at line+1, column 7+i*20."""
    positions = {"": Position(file, line, 3), "members": Position(file, line + 1, 5)}
    positions.update(
        {f"members[{i}]": Position(file, line + 1, 7 + i * 20) for i in range(len(members))}
    )
    return DesiredGroup(key, members, positions, file)


def desired(*groups: DesiredGroup, numbers: str = "") -> DesiredState:
    return DesiredState(FILE, 1, (), groups=groups, files=(FILE,))


def live(number: str, **fields: Any) -> LiveNumber:
    id = "phon_" + number.lstrip("+")
    fields = {"participants": [], "participant_groups": [], "phone_numbers": [], **fields}
    raw = {**fields, "id": id}
    return LiveNumber(id, number, number, None, fields, raw, organization_id="orga_acme")


def with_numbers(tmp_path: Path, body: str, *groups: DesiredGroup) -> DesiredState:
    path = tmp_path / FILE
    path.write_text(f"version: 1\nnumbers:\n{body}")
    state = config.load(str(path))
    return replace(state, groups=tuple(replace(g, file=state.path) for g in groups))


def test_membership_is_compared_as_a_set_and_unchanged_groups_make_no_change() -> None:
    state = desired(
        group("Support", "bob@acme.example"),
        group("group_sales", "user_carol", "user_carol", line=20),
    )
    plan = build_plan(state, [], DIRECTORY)
    assert plan.groups == ()
    assert not plan.has_changes


def test_members_added_and_removed_make_one_change_with_the_ids_close_needs() -> None:
    state = desired(group("Support", "ALICE@acme.example", "user_carol"))
    plan = build_plan(state, [], DIRECTORY)
    assert plan.groups == (
        GroupChange(
            "group_support",
            "Support",
            "Support",
            ("user_bob",),
            ("user_alice", "user_carol"),
            FILE,
            (),
            {"user_alice": (), "user_carol": (), "user_bob": ()},
        ),
    )
    change = plan.groups[0]
    assert change.added == ("user_alice", "user_carol")
    assert change.removed == ("user_bob",)
    assert [(op.action, op.user_id) for op in change.ops] == [
        ("remove", "user_bob"),
        ("add", "user_alice"),
        ("add", "user_carol"),
    ]
    assert plan.has_changes
    # The plan names the users it shows, and the group.
    assert plan.emails == {
        "user_alice": "alice@acme.example",
        "user_bob": "bob@acme.example",
        "user_carol": "carol@acme.example",
    }
    assert plan.group_names == {"group_support": "Support"}


def test_an_empty_member_list_empties_the_group() -> None:
    plan = build_plan(desired(group("Support")), [], DIRECTORY)
    assert [(c.before, c.after) for c in plan.groups] == [(("user_bob",), ())]


def test_groups_not_in_the_file_are_never_compared() -> None:
    plan = build_plan(desired(group("Support", "bob@acme.example")), [], DIRECTORY)
    assert plan.groups == ()  # Sales EMEA and Night shift hold members the file never names


def test_every_problem_is_reported_at_its_position_with_a_suggestion() -> None:
    state = desired(
        group("support", "alice@acme.example"),
        group("Sales EMEA", "alise@acme.example", "eve@other.example", "user_ghost", line=20),
        group("group_nope", line=30),
        group("group_support", line=40),
    )
    with pytest.raises(InputError) as caught:
        # A number of the account says which organization owns it: eve is of another one.
        build_plan(state, [live("+16503334441")], DIRECTORY)
    assert [str(d) for d in caught.value.diagnostics] == [
        "numbers.yaml:10:3: $.groups.support: no group named 'support' in the organization "
        "(did you mean 'Support'? names match exactly)",
        'numbers.yaml:21:7: $.groups["Sales EMEA"].members[0]: no active member of the '
        "organization has the email alise@acme.example (did you mean 'alice@acme.example'?)",
        'numbers.yaml:21:27: $.groups["Sales EMEA"].members[1]: eve@other.example is a user '
        "of another organization, not of the one that owns these numbers",
        'numbers.yaml:21:47: $.groups["Sales EMEA"].members[2]: no active member of the '
        "organization has the id user_ghost",
        "numbers.yaml:30:3: $.groups.group_nope: no group with id group_nope in the organization",
    ]


def test_a_near_name_is_suggested() -> None:
    with pytest.raises(InputError) as caught:
        build_plan(desired(group("Suport")), [], DIRECTORY)
    assert [d.message for d in caught.value.diagnostics] == [
        "no group named 'Suport' in the organization (did you mean 'Support'?)"
    ]


def test_the_same_group_by_name_and_by_id_is_refused_naming_the_first() -> None:
    state = desired(group("Support"), group("group_support", "user_bob", line=20))
    with pytest.raises(InputError) as caught:
        build_plan(state, [], DIRECTORY)
    assert [str(d) for d in caught.value.diagnostics] == [
        "numbers.yaml:20:3: $.groups.group_support: 'group_support' is the same Close group "
        "as 'Support' (line 10)"
    ]


def test_a_member_given_as_email_and_id_is_one_member_with_a_note() -> None:
    state = desired(group("Support", "bob@acme.example", "user_bob"))
    plan = build_plan(state, [], DIRECTORY)
    assert plan.groups == ()
    assert plan.warnings == (
        "numbers.yaml:11:27: $.groups.Support.members[1]: user_bob is the same user as "
        "bob@acme.example (user_bob): a member once",
    )


def test_a_group_of_a_thousand_members() -> None:
    users = tuple(User(f"user_{n:04}", f"u{n:04}@acme.example") for n in range(1000))
    directory = Directory(users, GROUPS, {"group_support": tuple(u.id for u in users[:500])})
    state = desired(group("Support", *(u.email for u in users[250:])))
    (change,) = build_plan(state, [], directory).groups
    assert change.added == tuple(u.id for u in users[500:])
    assert change.removed == tuple(u.id for u in users[:250])
    assert len(change.ops) == 750


def test_each_member_names_the_numbers_it_starts_or_stops_ringing(tmp_path: Path) -> None:
    state = with_numbers(
        tmp_path,
        # A rings Support alone; B rings Support and carol directly; C rings Night shift.
        "  '+16503334441': {participant_groups: [Support]}\n"
        "  '+16503334442': {participant_groups: [Support], participants: [carol@acme.example]}\n"
        "  '+16503334443': {participant_groups: [Night shift]}\n",
        group("Support", "alice@acme.example", "carol@acme.example"),
    )
    numbers = [
        live("+16503334441", participant_groups=["group_support"]),
        live("+16503334442", participant_groups=["group_support"], participants=["user_carol"]),
        live("+16503334443", participant_groups=["group_night"]),
    ]
    (change,) = build_plan(state, numbers, DIRECTORY).groups
    assert change.reach == {
        "user_alice": ("+16503334441", "+16503334442"),
        "user_carol": ("+16503334441",),  # B rings carol already
        "user_bob": ("+16503334441", "+16503334442"),
    }
    assert change.numbers == ("+16503334441", "+16503334442")


def test_a_number_that_gains_the_group_in_the_same_plan_counts(tmp_path: Path) -> None:
    state = with_numbers(
        tmp_path,
        "  '+16503334441': {participant_groups: [Support, Night shift]}\n",
        group("Support", "alice@acme.example", "carol@acme.example", "bob@acme.example"),
    )
    numbers = [live("+16503334441")]
    (change,) = build_plan(state, numbers, DIRECTORY).groups
    # carol rings through Night shift as well: the membership change alone does not move her.
    assert change.reach == {"user_alice": ("+16503334441",), "user_carol": ()}


def test_target_and_exclude_name_a_group_by_name_id_or_key() -> None:
    state = desired(
        group("Support", "alice@acme.example"),
        group("group_sales", "alice@acme.example", line=20),
    )
    every = build_plan(state, [], DIRECTORY)
    assert [c.name for c in every.groups] == ["Sales EMEA", "Support"]
    for name in ("Support", "group_support"):
        plan = build_plan(state, [], DIRECTORY, targets=(name,))
        assert [c.name for c in plan.groups] == ["Support"]
    for name in ("Sales EMEA", "group_sales"):
        plan = build_plan(state, [], DIRECTORY, excludes=(name,))
        assert [c.name for c in plan.groups] == ["Support"]
    with pytest.raises(
        UsageError, match=r"--target Nobody: not a number or a group in numbers\.yaml"
    ):
        build_plan(state, [], DIRECTORY, targets=("Nobody",))


def test_a_number_target_leaves_the_groups_out(tmp_path: Path) -> None:
    state = with_numbers(tmp_path, "  '+16503334441': {label: A}\n", group("Support"))
    plan = build_plan(state, [live("+16503334441")], DIRECTORY, targets=("+16503334441",))
    assert [c.number for c in plan.changes] == ["+16503334441"]
    assert plan.groups == ()
    by_file = build_plan(state, [live("+16503334441")], DIRECTORY, targets=(state.path,))
    assert [c.name for c in by_file.groups] == ["Support"]


def test_who_a_changed_number_rings_after_counts_the_groups_members_after(
    tmp_path: Path,
) -> None:
    state = with_numbers(
        tmp_path,
        "  '+16503334441': {participant_groups: [Support]}\n",
        group("Support", "alice@acme.example"),
    )
    (change,) = build_plan(state, [live("+16503334441")], DIRECTORY).changes
    assert change.rings_before is not None and change.rings_after is not None
    assert change.rings_before.users == ()
    assert change.rings_after.users == ("user_alice",)  # not bob, whom the plan removes


def test_a_membership_change_that_empties_a_numbers_only_group_is_refused_by_the_rail(
    tmp_path: Path,
) -> None:
    from numbersync.safety import judge

    state = with_numbers(
        tmp_path,
        "  '+16503334441': {participant_groups: [Support]}\n"
        "  '+16503334442': {participant_groups: [Support, Night shift]}\n",
        group("Support"),
    )
    numbers = [
        live("+16503334441", participant_groups=["group_support"]),
        live("+16503334442", participant_groups=["group_support", "group_night"]),
    ]
    plan = build_plan(state, numbers, DIRECTORY)
    assert plan.changes == ()
    (change,) = plan.groups
    assert change.numbers == ("+16503334441", "+16503334442")
    assert judge(plan, {n.id: n for n in numbers}).reasons == (
        "it leaves +1 650-333-4441 ringing nobody: its groups lose their last members, and it "
        "has no participants and no phone numbers",
    )


def test_a_group_change_reads_back_from_its_document_and_says_how_close_moved() -> None:
    from numbersync.kinds.groups import KIND

    state = desired(group("Support", "alice@acme.example"))
    (change,) = build_plan(state, [], DIRECTORY).groups
    assert KIND.from_document(KIND.document(change, {})) == change
    emails = {"user_bob": "bob@acme.example", "user_carol": "carol@acme.example"}
    assert KIND.drift(change, {"group_support": ("user_bob",)}, emails) == []
    assert KIND.drift(change, {"group_support": ("user_carol",)}, emails) == [
        "group Support: carol@acme.example was added in Close since the plan",
        "group Support: bob@acme.example was removed in Close since the plan",
    ]
    assert KIND.drift(change, {}, emails) == [
        "group Support: its members could not be read from Close"
    ]


def test_an_error_names_the_members_index_in_the_file_after_a_duplicate(tmp_path: Path) -> None:
    path = tmp_path / FILE
    path.write_text(
        "version: 1\ngroups:\n  Support:\n"
        "    members: [alice@acme.example, ALICE@acme.example, alise@acme.example]\n"
    )
    state = config.load(str(path))
    with pytest.raises(InputError) as caught:
        build_plan(state, [], DIRECTORY)
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{path}:4:55: $.groups.Support.members[2]: no active member of the organization has "
        "the email alise@acme.example (did you mean 'alice@acme.example'?)"
    ]


def test_a_group_built_without_its_file_belongs_to_the_configs_path() -> None:
    state = desired(replace(group("Support"), file=""))
    (change,) = build_plan(state, [], DIRECTORY).groups
    assert change.file == FILE


# --- members read only when the plan needs them -------------------------------------------------


def test_a_plan_needs_the_groups_its_changed_numbers_ring_and_no_other(tmp_path: Path) -> None:
    state = with_numbers(
        tmp_path,
        # A loses bob and gains Night shift; B only changes its label; both ring Sales EMEA.
        "  '+16503334441': {participants: [], participant_groups: [Sales EMEA, Night shift]}\n"
        "  '+16503334442': {label: B}\n",
    )
    numbers = [
        live("+16503334441", participant_groups=["group_sales"], participants=["user_bob"]),
        live("+16503334442", participant_groups=["group_sales", "group_support"]),
    ]
    told: list[str] = []
    unread = build_plan(state, numbers, replace(DIRECTORY, members=None), unread=told.extend)

    assert unread_groups(unread, numbers, {}) == {"group_sales", "group_night"}
    assert sorted(set(told)) == ["group_night", "group_sales"]  # as the change was found
    assert unread_groups(unread, numbers, {"group_sales": ()}) == {"group_night"}
    # Read, they make the plan build_plan makes with every member known, carol named.
    read = with_members_read(unread, MEMBERS, USERS)
    assert read == build_plan(state, numbers, DIRECTORY)
    assert read.emails["user_carol"] == "carol@acme.example"
    assert "user_carol" not in unread.emails


def test_a_membership_change_needs_the_other_groups_of_the_numbers_it_seems_to_reach(
    tmp_path: Path,
) -> None:
    state = with_numbers(
        tmp_path,
        "  '+16503334441': {label: A}\n  '+16503334442': {label: B}\n",
        group("Support", "bob@acme.example", "carol@acme.example"),
    )
    # A rings Support and Sales EMEA (carol is in both); B rings Night shift only.
    numbers = [
        live("+16503334441", label="A", participant_groups=["group_support", "group_sales"]),
        live("+16503334442", label="B", participant_groups=["group_night"]),
    ]
    managed_only = {"group_support": MEMBERS["group_support"]}
    partial = build_plan(state, numbers, replace(DIRECTORY, members=managed_only))

    (change,) = partial.groups
    assert change.reach == {"user_carol": ("+16503334441",)}  # Sales EMEA unread: a guess
    assert unread_groups(partial, numbers, managed_only) == {"group_sales"}
    (change,) = build_plan(state, numbers, DIRECTORY).groups
    assert change.reach == {"user_carol": ()}  # she rings A through Sales EMEA already
