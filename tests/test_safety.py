"""The one judgment `plan` states and `apply` enforces: blast radius and numbers left ringing
nobody, from the plan and the live numbers alone."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from numbersync.account import GroupChange, LiveNumber, Verdict
from numbersync.apply import refuse_if_unsafe
from numbersync.errors import RefusedError
from numbersync.models import Safety
from numbersync.plan import FieldChange, NumberChange, Plan
from numbersync.ringing import GroupRing, Rings
from numbersync.safety import judge, refused_by_close


def live(i: int, **fields: Any) -> LiveNumber:
    return LiveNumber(f"phon_{i}", f"+1650333{i:04d}", "", None, fields, fields)


def change(i: int, *fields: FieldChange, owner: str | None = None) -> NumberChange:
    fields = fields or (FieldChange("label", "Old", "New"),)
    return NumberChange(f"phon_{i}", f"+1650333{i:04d}", None, str(i), fields, owner=owner)


RAILS = Safety()


def plan(changes: int, managed: int, safety: Safety = RAILS, *extra: NumberChange) -> Plan:
    made = tuple(change(i) for i in range(changes)) + extra
    unchanged = tuple(f"+1650444{i:04d}" for i in range(managed - len(made)))
    return Plan(made, unchanged, (), safety=safety)


EMPTIED = FieldChange("participants", ("user_a",), ())


# Each row: changed and managed numbers, the rails, and the reasons apply refuses.
@pytest.mark.parametrize(
    ("changes", "managed", "safety", "reasons"),
    [
        (3, 10, Safety(), ()),
        (4, 10, Safety(), ("it changes 4 of 10 managed numbers (40%, more than 30%)",)),
        (5, 10, Safety(), ("it changes 5 of 10 managed numbers (50%, more than 30%)",)),
        (9, 9, Safety(), ()),  # fewer than 10 managed: no blast-radius rail
        (5, 10, Safety(max_change_percent=50), ()),
        (2, 4, Safety(min_managed=4), ("it changes 2 of 4 managed numbers (50%, more than 30%)",)),
    ],
)
def test_blast_radius(changes: int, managed: int, safety: Safety, reasons: tuple[str]) -> None:
    assert judge(plan(changes, managed, safety), {}) == Verdict(reasons)


# Each row: what Close has, what the change does to who the number rings, and whether the number
# then rings nobody.
@pytest.mark.parametrize(
    ("server", "field", "silenced"),
    [
        ({"participants": ["user_a"]}, EMPTIED, True),
        ({"participants": ["user_a"], "phone_numbers": ["+14155550100"]}, EMPTIED, False),
        ({"participants": ["user_a"], "participant_groups": ["group_x"]}, EMPTIED, False),
        ({"participants": [], "user_id": "user_a"}, EMPTIED, True),
        ({"phone_numbers": ["+14155550100"]}, FieldChange("phone_numbers", ("+1",), ()), True),
        ({"participants": ["user_a"]}, FieldChange("label", "A", "B"), False),
    ],
)
def test_rings_nobody(server: dict[str, Any], field: FieldChange, silenced: bool) -> None:
    verdict = judge(plan(0, 1, Safety(), change(7, field)), {"phon_7": live(7, **server)})
    reason = (
        "it leaves +1 650-333-0007 ringing nobody: no participants, no group with a member and "
        "no phone numbers"
    )
    assert verdict == Verdict((reason,) if silenced else ())


def test_apply_refuses_exactly_what_the_verdict_says() -> None:
    from dataclasses import replace

    risky = plan(5, 10)
    judged = replace(risky, verdict=judge(risky, {}))
    assert judged.verdict is not None
    assert judged.verdict.line == (
        "apply will refuse this without --force: it changes 5 of 10 managed numbers "
        "(50%, more than 30%)"
    )
    with pytest.raises(RefusedError) as caught:
        refuse_if_unsafe(judged, force=False)
    assert caught.value.message == (
        "refusing to apply: it changes 5 of 10 managed numbers (50%, more than 30%)"
    )
    refuse_if_unsafe(judged, force=True)
    safe = plan(3, 10)
    refuse_if_unsafe(replace(safe, verdict=judge(safe, {})), force=False)
    assert judge(safe, {}).line == "apply will go ahead: no safety rail refuses this plan"


def test_close_refusals_name_each_owner_by_email_or_id() -> None:
    from dataclasses import replace

    made = plan(0, 3, Safety(), change(1, owner="user_bob"), change(2), change(3, owner="user_x"))
    made = replace(made, emails={"user_bob": "bob@acme.example"})
    assert refused_by_close(made) == [
        "+1 650-333-0001 is the personal number of bob@acme.example",
        "+1 650-333-0003 is the personal number of user_x",
    ]
    # Close's refusals are each number's outcome, never the run's: apply goes ahead.
    assert not judge(made, {}).refuses


# --- who rings: group members count --------------------------------------------------------------


def ringing_change(i: int, before: Rings, after: Rings) -> NumberChange:
    fields = (FieldChange("participants", before.participants, after.participants),)
    return replace(change(i, *fields), rings_before=before, rings_after=after)


NOBODY = "it leaves +1 650-333-0007 ringing nobody: no participants, no group with a member and "
NOBODY += "no phone numbers"


@pytest.mark.parametrize(
    ("after", "silenced"),
    [
        # Only a group with no members left: nobody rings.
        (Rings((), (GroupRing("group_empty", ()),)), True),
        (Rings((), (GroupRing("group_empty", ()), GroupRing("group_x", ("user_b",)))), False),
        # A group whose members were not read may ring someone: no refusal on a guess.
        (Rings((), (GroupRing("group_unread", None),)), False),
        (Rings((), (), ("+14155550100",)), False),
        (Rings(), True),
    ],
)
def test_rings_nobody_counts_group_members(after: Rings, silenced: bool) -> None:
    before = Rings(("user_a",))
    emptied = ringing_change(7, before, after)
    # Close still lists the group on the number: by the fields alone it rings something.
    server = live(7, participants=["user_a"], participant_groups=["group_empty"])
    verdict = judge(plan(0, 1, Safety(), emptied), {"phon_7": server})
    assert verdict == Verdict((NOBODY,) if silenced else ())


def test_blast_radius_counts_numbers_a_membership_change_alters() -> None:
    changed = plan(2, 10)
    assert judge(changed, {}) == Verdict()
    # Support's new member rings on two more numbers, one of them changed already.
    support = GroupChange(
        "group_s", "Support", "Support", (), ("user_a",), numbers=("+16503330001", "+16504440000")
    )
    sales = GroupChange("group_x", "Sales", "Sales", ("user_b",), (), numbers=("+16504440001",))
    wider = replace(changed, groups=(support, sales))
    assert judge(wider, {}) == Verdict(
        (
            "it changes 4 of 10 managed numbers, 2 of them through group membership (40%, more "
            "than 30%)",
        )
    )
