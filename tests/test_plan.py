"""The pure diff: what changes, what does not, and which problems stop a plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from numbersync import config
from numbersync.account import Group, LiveNumber, Me, Membership, User
from numbersync.errors import InputError, UsageError
from numbersync.live import Directory
from numbersync.plan import FieldChange, build_plan, role_to_read

USERS = (
    User("user_alice", "alice@acme.example"),
    User("user_bob", "bob@acme.example"),
    User("user_twin1", "twin@acme.example"),
    User("user_twin2", "TWIN@acme.example"),
)
GROUPS = (Group("group_sales", "Sales EMEA"), Group("group_support", "Support"))
DIRECTORY = Directory(USERS, GROUPS)


def live(number: str, id: str = "", **fields: Any) -> LiveNumber:
    id = id or "phon_" + number.lstrip("+")
    return LiveNumber(id, number, number, "2026-01-01T00:00:00+00:00", fields, {**fields, "id": id})


def state(tmp_path: Path, body: str, defaults: str = "") -> config.DesiredState:
    path = tmp_path / "numbers.yaml"
    path.write_text(f"version: 1\n{defaults}numbers:\n{body}")
    return config.load(str(path))


# Each row: the settings written for +16503334444, what Close has, and the expected changes.
CASES = [
    ("label: Sales", {"label": "Sales"}, []),
    ("label: Sales", {"label": "Old"}, [("label", "Old", "Sales")]),
    ("label: Sales", {"label": None}, [("label", None, "Sales")]),
    ("inbound_ring_duration: 30", {"inbound_ring_duration": None}, []),
    ("inbound_ring_duration: 30", {}, []),
    (
        "inbound_ring_duration: 45",
        {"inbound_ring_duration": None},
        [("inbound_ring_duration", 30, 45)],
    ),
    ("forward_to: '+1 (650) 555-0100'", {"forward_to": "+16505550100"}, []),
    ("forward_to: '+16505550100'", {"forward_to": None}, [("forward_to", None, "+16505550100")]),
    (
        "forward_to_enabled: true",
        {"forward_to_enabled": False, "forward_to": "+16505550100"},
        [("forward_to_enabled", False, True)],
    ),
    ("press_1_to_accept: false", {"press_1_to_accept": False}, []),
    ("voicemail_greeting_url: null", {"voicemail_greeting_url": None}, []),
    (
        "voicemail_greeting_url: null",
        {"voicemail_greeting_url": "https://x.example/a.mp3"},
        [("voicemail_greeting_url", "https://x.example/a.mp3", None)],
    ),
    (
        "participants: [bob@acme.example, ALICE@acme.example]",
        {"participants": ["user_alice", "user_bob"]},
        [],
    ),
    (
        "participants: [user_bob, user_alice, user_bob]",
        {"participants": ["user_alice", "user_bob"]},
        [],
    ),
    (
        "participants: [alice@acme.example]",
        {"participants": ["user_alice", "user_bob"]},
        [("participants", ("user_alice", "user_bob"), ("user_alice",))],
    ),
    ("participants: [alice@acme.example]", {"participants": [], "user_id": "user_alice"}, []),
    (
        "participant_groups: [Support, group_sales]",
        {"participant_groups": ["group_sales", "group_support"]},
        [],
    ),
    (
        "phone_numbers: ['+1 415 555 0199', '+14155550100']",
        {"phone_numbers": ["+14155550100", "+14155550199"]},
        [],
    ),
    (
        "phone_numbers: []",
        {"phone_numbers": ["+14155550100"]},
        [("phone_numbers", ("+14155550100",), ())],
    ),
    ("phone_numbers: ['+14155550100']", {}, [("phone_numbers", (), ("+14155550100",))]),
]


@pytest.mark.parametrize(("written", "server", "expected"), CASES)
def test_diff_table(
    tmp_path: Path, written: str, server: dict[str, Any], expected: list[tuple[Any, ...]]
) -> None:
    desired = state(tmp_path, f"  '+16503334444':\n    {written}\n")
    plan = build_plan(desired, [live("+16503334444", **server)], DIRECTORY)
    got = [(c.field, c.before, c.after) for change in plan.changes for c in change.fields]
    assert got == expected
    assert plan.unchanged == (() if expected else ("+16503334444",))


def test_only_fields_the_file_names_are_compared(tmp_path: Path) -> None:
    desired = state(tmp_path, "  '+16503334444':\n    label: Sales\n")
    server = live(
        "+16503334444", label="Sales", inbound_ring_duration=90, participants=["user_bob"]
    )
    assert not build_plan(desired, [server], DIRECTORY).has_changes


def test_defaults_apply_unless_the_number_sets_the_field(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "  '+16503334444': {inbound_ring_duration: 60}\n  '+16503334445':\n",
        defaults="defaults: {inbound_ring_duration: 45}\n",
    )
    plan = build_plan(
        desired,
        [
            live("+16503334444", inbound_ring_duration=45),
            live("+16503334445", inbound_ring_duration=None),
        ],
    )
    assert [(c.number, c.fields) for c in plan.changes] == [
        ("+16503334444", (FieldChange("inbound_ring_duration", 45, 60),)),
        ("+16503334445", (FieldChange("inbound_ring_duration", 30, 45),)),
    ]


def test_put_body_carries_only_changed_fields_and_whole_lists(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "  '+16503334444':\n    label: Sales\n    participants: [bob@acme.example, alice@acme.example]\n"
        "    inbound_ring_duration: 30\n",
    )
    server = live(
        "+16503334444", label="Old", participants=["user_alice"], inbound_ring_duration=None
    )
    (change,) = build_plan(desired, [server], DIRECTORY).changes
    assert change.body == {"label": "Sales", "participants": ["user_bob", "user_alice"]}


def test_numbers_matched_by_id_and_unmanaged_counted(tmp_path: Path) -> None:
    desired = state(tmp_path, "  phon_x:\n    label: By id\n  '+16503334444': {label: A}\n")
    numbers = [
        live("+16503334444", label="A"),
        live("+16503330000", id="phon_x", label="Old"),
        live("+19999999999", label="Front desk"),
    ]
    plan = build_plan(desired, numbers)
    assert [(c.id, c.number, c.key) for c in plan.changes] == [("phon_x", "+16503330000", "phon_x")]
    assert plan.unchanged == ("+16503334444",)
    assert [(u.id, u.label) for u in plan.unmanaged] == [("phon_19999999999", "Front desk")]
    assert plan.managed == 2


def test_changes_are_sorted_by_number(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "  '+16503334446': {label: C}\n  '+16503334444': {label: A}\n  '+16503334445': {label: B}\n",
    )
    numbers = [live(n) for n in ("+16503334445", "+16503334446", "+16503334444")]
    assert [c.number for c in build_plan(desired, numbers).changes] == [
        "+16503334444",
        "+16503334445",
        "+16503334446",
    ]


def test_every_plan_time_problem_is_reported_at_once_with_its_position(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "  '+16503334444':\n"
        "    participants: [alice@acme.example, nobody@acme.example, twin@acme.example]\n"
        "    participant_groups: [sales emea, Nightshift]\n"
        "  '+16509999999':\n"
        "    label: Gone\n"
        "  phon_missing: {label: X}\n",
    )
    with pytest.raises(InputError) as caught:
        build_plan(desired, [live("+16503334444")], DIRECTORY)
    assert [str(d) for d in caught.value.diagnostics] == [
        f'{desired.path}:4:40: $.numbers["+16503334444"].participants[1]: '
        "no active member of the organization has the email nobody@acme.example",
        f'{desired.path}:4:61: $.numbers["+16503334444"].participants[2]: '
        "twin@acme.example matches 2 users (user_twin1, user_twin2); name the user by id",
        f'{desired.path}:5:26: $.numbers["+16503334444"].participant_groups[0]: '
        "no group named 'sales emea' in the organization (did you mean 'Sales EMEA'? names match exactly)",
        f'{desired.path}:5:38: $.numbers["+16503334444"].participant_groups[1]: '
        "no group named 'Nightshift' in the organization",
        f"{desired.path}:6:3: $.numbers[\"+16509999999\"]: number '+16509999999' is not in the Close account",
        f"{desired.path}:8:3: $.numbers.phon_missing: phone number id 'phon_missing' is not in the Close account",
    ]


def test_same_number_by_id_and_by_number_is_refused(tmp_path: Path) -> None:
    desired = state(tmp_path, "  '+16503334444': {label: A}\n  phon_a: {label: B}\n")
    with pytest.raises(InputError, match="1 error"):
        build_plan(desired, [live("+16503334444", id="phon_a")])


def test_unknown_ids_are_refused_only_when_the_directory_was_fetched(tmp_path: Path) -> None:
    desired = state(tmp_path, "  '+16503334444':\n    participants: [user_ghost]\n")
    numbers = [live("+16503334444", participants=[])]
    assert build_plan(desired, numbers).changes  # no directory: the server is the judge
    with pytest.raises(InputError):
        build_plan(desired, numbers, DIRECTORY)


def test_targets_limit_the_plan(tmp_path: Path) -> None:
    desired = state(tmp_path, "  '+16503334444': {label: A}\n  '+16503334445': {label: B}\n")
    numbers = [live("+16503334444"), live("+16503334445")]
    plan = build_plan(desired, numbers, targets=("+1 650-333-4445",))
    assert [c.number for c in plan.changes] == ["+16503334445"]
    assert plan.unmanaged == ()
    with pytest.raises(UsageError, match=r"--target \+16500000000: not a number in"):
        build_plan(desired, numbers, targets=("+16500000000",))


def membership(
    role: str | None,
    *permissions: str,
    org: str | None = "orga_acme",
    role_permissions: frozenset[str] | None = None,
) -> Membership:
    return Membership(org, role, frozenset(permissions), role_permissions)


def test_permission_warning_is_advisory_and_said_once(tmp_path: Path) -> None:
    desired = state(
        tmp_path,
        "  '+16503334444': {label: A, inbound_ring_duration: 45}\n"
        "  '+16503334445': {label: B}\n"
        "  '+16503334446': {label: C}\n",
    )
    numbers = [
        live("+16503334444", participants=["user_alice"]),
        live("+16503334445", participants=["user_alice"]),
        live("+16503334446", participants=["user_alice", "user_bob"]),
    ]
    role = frozenset({"calling", "view_all_leads"})
    restricted = Me(
        "user_alice",
        "alice@acme.example",
        (membership("user", "view_all_leads", role_permissions=role),),
    )
    plan = build_plan(desired, numbers, me=restricted)
    assert len(plan.changes) == 3
    # +1 650-333-4445 only changes the label of a number Alice alone belongs to: no permission.
    assert plan.warnings == (
        "2 changes (+1 650-333-4444, +1 650-333-4446) may need the 'Manage Team Phone Numbers' "
        "permission (manage_group_numbers), and neither /me/ nor the role user shows it for "
        "alice@acme.example; if Close refuses one, apply reports it and goes on with the others.",
    )


CALLING = frozenset({"calling"})
LEAD = frozenset({"calling", "manage_group_numbers"})


# Each row: the caller's membership as /me/ (and /role/{id}/) show it, and whether the plan warns.
@pytest.mark.parametrize(
    ("memberships", "warned"),
    [
        # Close's own example admin lists no phone-number permission at all.
        ((membership("admin", "bulk_edit", "export"),), False),
        ((membership("superuser", "bulk_edit", role_permissions=CALLING),), False),
        ((membership("role_lead", "calling", role_permissions=LEAD),), False),
        ((membership("role_lead", "manage_group_numbers"),), False),
        ((membership("user", "manage_team_phone_numbers", role_permissions=CALLING),), False),
        ((membership("user", "manage_group_phone_numbers", role_permissions=CALLING),), False),
        ((Membership("orga_acme", "user", None, CALLING),), False),  # /me/ lists no permissions
        ((membership("user", "calling"),), False),  # the role could not be read
        ((membership("user", "calling", role_permissions=frozenset()),), True),
        ((membership("role_lead", role_permissions=CALLING),), True),
        ((), False),  # no membership at all
        # Two memberships and numbers that do not say whose they are: no guess.
        (
            (
                membership("user", org="orga_a", role_permissions=CALLING),
                membership("user", org="orga_b", role_permissions=CALLING),
            ),
            False,
        ),
    ],
    ids=[
        "admin",
        "superuser",
        "custom-role-with-it",
        "me-lists-it",
        "team-permission",
        "group-phone-permission",
        "unlisted",
        "role-unread",
        "role-without-it",
        "custom-role-without-it",
        "none",
        "ambiguous",
    ],
)
def test_permission_warning_only_when_close_shows_it_missing(
    tmp_path: Path, memberships: tuple[Membership, ...], warned: bool
) -> None:
    desired = state(tmp_path, "  '+16503334444': {inbound_ring_duration: 45}\n")
    # A shared number: any change to it needs the permission.
    numbers = [live("+16503334444", participants=["user_bob", "user_carol"])]
    me = Me("user_alice", "alice@acme.example", memberships)
    warnings = build_plan(desired, numbers, me=me).warnings
    role = memberships[0].role_id if memberships else None
    assert warnings == (
        (
            "1 change (+1 650-333-4444) may need the 'Manage Team Phone Numbers' permission "
            f"(manage_group_numbers), and neither /me/ nor the role {role} shows it for "
            "alice@acme.example; if Close refuses one, apply reports it and goes on with the "
            "others.",
        )
        if warned
        else ()
    )


@pytest.mark.parametrize(
    ("role", "permissions", "read"),
    [
        ("admin", frozenset(), None),
        ("superuser", frozenset(), None),
        ("user", None, None),  # /me/ shows no list: nothing to complete
        ("user", frozenset({"manage_group_numbers"}), None),
        ("user", frozenset({"calling"}), "user"),
        ("role_lead", frozenset(), "role_lead"),
        (None, frozenset(), None),
    ],
)
def test_the_role_is_read_only_where_me_lists_permissions_without_it(
    role: str | None, permissions: frozenset[str] | None, read: str | None
) -> None:
    assert role_to_read(Membership("orga_acme", role, permissions)) == read


ALICE = Me("user_alice", "alice@acme.example")


# Each row: what Close has for +16503334444, what the file sets, and the marks the change gets:
# (owner, shares). The caller is Alice.
@pytest.mark.parametrize(
    ("server", "body", "owner", "shares"),
    [
        ({"participants": ["user_bob"]}, "label: B", "user_bob", False),
        # The old shape: no participants, the owner in the deprecated user_id.
        ({"participants": [], "user_id": "user_bob"}, "label: B", "user_bob", False),
        ({"participants": ["user_alice"]}, "label: B", None, False),
        (
            {"participants": ["user_bob"], "phone_numbers": ["+14155550100"]},
            "label: B",
            None,
            False,
        ),
        (
            {"participants": ["user_bob"], "participant_groups": ["group_x"]},
            "label: B",
            None,
            False,
        ),
        ({"participants": ["user_bob", "user_carol"]}, "label: B", None, False),
        ({"participants": []}, "label: B", None, False),
        # Bob's number made to ring Carol too: refused, and it would be shared.
        (
            {"participants": ["user_bob"]},
            "participants: [user_bob, user_carol]",
            "user_bob",
            True,
        ),
        ({"participants": ["user_alice"]}, "phone_numbers: ['+14155550100']", None, True),
        ({"participants": ["user_alice"]}, "participant_groups: [group_x]", None, True),
        # Handed to another user: still personal, not shared.
        ({"participants": ["user_alice"]}, "participants: [user_bob]", None, False),
        # A shared number made to ring one user is no personal number before the change.
        ({"participants": ["user_alice", "user_bob"]}, "participants: [user_bob]", None, False),
    ],
)
def test_a_teammates_personal_number_is_marked_with_its_owner(
    tmp_path: Path, server: dict[str, Any], body: str, owner: str | None, shares: bool
) -> None:
    server = {"participant_groups": [], "phone_numbers": [], "label": "A", **server}
    desired = state(tmp_path, f"  '+16503334444': {{{body}}}\n")
    plan = build_plan(desired, [live("+16503334444", **server)], me=ALICE)
    [change] = plan.changes
    assert (change.owner, change.shares) == (owner, shares)
    assert plan.refused_by_close == ((change,) if owner else ())


def test_without_me_no_personal_number_is_marked(tmp_path: Path) -> None:
    desired = state(tmp_path, "  '+16503334444': {label: B}\n")
    numbers = [live("+16503334444", label="A", participants=["user_bob"])]
    assert build_plan(desired, numbers).changes[0].owner is None
    assert build_plan(desired, numbers, me=ALICE).changes[0].owner == "user_bob"


def test_the_owner_is_named_by_email_when_users_were_read(tmp_path: Path) -> None:
    from numbersync.plan import unnamed_people, with_people_emails

    desired = state(tmp_path, "  '+16503334444': {label: B}\n")
    numbers = [live("+16503334444", label="A", participants=["user_bob"])]
    plan = build_plan(desired, numbers, me=ALICE)
    assert unnamed_people(plan) == {"user_bob"}
    users = [User("user_bob", "bob@acme.example"), User("user_carol", "carol@acme.example")]
    named = with_people_emails(plan, users)
    assert named.emails == {"user_bob": "bob@acme.example"}
    assert unnamed_people(named) == set()
    directory = Directory(users=tuple(users))
    assert build_plan(desired, numbers, directory, me=ALICE).emails == {
        "user_bob": "bob@acme.example"
    }


# Each row: the file's forwarding settings, defaults, what Close has, and the error (None: fine).
FORWARD_ERROR = (
    "forwarding is switched on, but neither the file nor Close has a number to forward to: "
    "set forward_to"
)


@pytest.mark.parametrize(
    ("defaults", "body", "server", "error"),
    [
        ("", "forward_to_enabled: true", {"forward_to": None}, "numbers.+16503334444"),
        ("", "forward_to_enabled: true", {}, "numbers.+16503334444"),
        # Kept on: Close already has it on, with nowhere to forward.
        ("", "forward_to_enabled: true", {"forward_to_enabled": True}, "numbers.+16503334444"),
        ("defaults: {forward_to_enabled: true}\n", "label: A", {}, "defaults"),
        ("", "forward_to_enabled: true", {"forward_to": "+16505550100"}, None),
        ("", "{forward_to_enabled: true, forward_to: '+16505550100'}", {}, None),
        ("", "forward_to_enabled: false", {}, None),
        ("", "label: A", {"forward_to_enabled": True}, None),  # not managed: not judged
    ],
)
def test_forwarding_on_with_nowhere_to_forward_is_an_error_at_its_position(
    tmp_path: Path, defaults: str, body: str, server: dict[str, Any], error: str | None
) -> None:
    entry = body if body.startswith("{") else f"{{{body}}}"
    desired = state(tmp_path, f"  '+16503334444': {entry}\n", defaults)
    numbers = [live("+16503334444", **{"forward_to_enabled": False, **server})]
    if error is None:
        build_plan(desired, numbers)
        return
    with pytest.raises(InputError) as caught:
        build_plan(desired, numbers)
    [diagnostic] = caught.value.diagnostics
    line = 2 if error == "defaults" else 3
    path = (
        "$.defaults.forward_to_enabled"
        if error == "defaults"
        else ('$.numbers["+16503334444"].forward_to_enabled')
    )
    assert (diagnostic.position.line, diagnostic.path, diagnostic.message) == (
        line,
        path,
        FORWARD_ERROR,
    )


def test_the_role_is_read_only_for_a_change_that_needs_the_permission(tmp_path: Path) -> None:
    from numbersync.plan import role_to_read_for, with_role

    desired = state(
        tmp_path,
        "  '+16503334444': {label: Own}\n  '+16503334445': {inbound_ring_duration: 45}\n",
    )
    numbers = [
        live("+16503334444", participants=["user_alice"]),  # Alice's own: label needs nothing
        live("+16503334445", participants=["user_alice", "user_bob"]),
    ]
    alice = Me("user_alice", "alice@acme.example", (membership("role_lead", "calling"),))
    by_id = {n.id: n for n in numbers}
    only_own = build_plan(desired, numbers, me=alice, targets=["+16503334444"])
    assert role_to_read_for(only_own, by_id, alice) is None
    both = build_plan(desired, numbers, me=alice)
    assert both.warnings == ()
    assert role_to_read_for(both, by_id, alice) == "role_lead"
    warned = with_role(both, by_id, alice, "role_lead", frozenset({"calling"}))
    assert len(warned.warnings) == 1
    assert warned.warnings[0].startswith("1 change (+1 650-333-4445) may need")
    lead = frozenset({"manage_group_numbers"})
    assert with_role(both, by_id, alice, "role_lead", lead).warnings == ()
    assert with_role(both, by_id, alice, "role_lead", None).warnings == ()  # unreadable


def importers_of(target: str) -> set[str]:
    """The modules of the package that import `target`, at the top or inside a function."""
    import ast

    package = Path(__file__).parent.parent / "numbersync"
    parent, _, name = target.rpartition(".")
    found = set()
    for path in package.rglob("*.py"):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        source = path.read_text(encoding="utf-8")
        if source.startswith("# Generated from"):
            # The quick schema checks import nothing of ours, and their nesting is deep enough
            # that CPython 3.11.7's parser raised SystemError (AST recursion depth mismatch) on
            # them in a full run.
            continue
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.ImportFrom)
                and (
                    node.module == target
                    or (node.module == parent and any(a.name == name for a in node.names))
                )
            ) or (isinstance(node, ast.Import) and any(a.name == target for a in node.names)):
                found.add(module.removesuffix(".__init__"))
    return found


@pytest.mark.slow
def test_only_the_modules_that_build_render_or_apply_plans_import_the_diff() -> None:
    # Reading Close (fetch), writing YAML (export) and explaining a value read live numbers
    # through numbersync.live, never through the diff.
    assert importers_of("numbersync.plan") == {
        "numbersync.apply",  # applies a Plan, re-checking each change against Close
        "numbersync.safety",  # judges a Plan before it is applied
        "numbersync.render",  # renders a Plan
        "numbersync.report",  # renders what applying a Plan did
        "numbersync.savedplan.write",  # a Plan as its saved document
        "numbersync.savedplan.read",  # a saved document back into a Plan
        "numbersync.savedplan.check",  # a fresh Plan to check a saved one against
        "numbersync.cli.common",  # builds and prints a Plan
        "numbersync.planning",  # builds a Plan again with the members it lacks
        "numbersync.cli.applying",  # the Plan that apply is given
        "numbersync.unmanaged",  # adds to a Plan what --base lets go (the type only)
    }
    # apply only applies: the saved plan's format and its checks are savedplan's alone.
    for part in ("write", "read", "check"):
        assert "numbersync.apply" not in importers_of(f"numbersync.savedplan.{part}")
